//! Probe loading: where probes come from (config entries, a directory of `*.wasm`) and turning
//! their bytes into compiled [`engine::Probe`]s.

mod shard;

pub use shard::Shard;

use crate::config::{Config, ProbeSettings};
use crate::engine::{self, Engine, LoadError};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Everything the host needs to know to load and schedule one probe.
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    pub name: String,
    pub path: PathBuf,
    pub settings: ProbeSettings,
    pub config: Arc<BTreeMap<String, String>>,
}

/// Why a probe could not be loaded; names the probe's file.
#[derive(Debug, thiserror::Error)]
pub enum ProbeLoadError {
    #[error("cannot read probe {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("probe {path}: {source}")]
    Component { path: PathBuf, source: LoadError },
    #[error("probe {path}: compilation task failed: {message}")]
    Task { path: PathBuf, message: String },
}

/// The probe specs from a configuration's `[[probes]]` entries.
///
/// # Errors
/// When a source is not a local path (only `file://` and plain paths are supported), or two
/// probes would get the same name.
pub fn specs_from_config(config: &Config, base_dir: &Path) -> Result<Vec<ProbeSpec>, String> {
    let mut specs = Vec::new();
    for p in &config.probes {
        let path = local_path(&p.source)?;
        let path = if path.is_relative() { base_dir.join(path) } else { path };
        let name = match &p.name {
            Some(n) => n.clone(),
            None => name_from_path(&path)?,
        };
        specs.push(ProbeSpec {
            name,
            path,
            settings: config.defaults.overridden_by(p),
            config: Arc::new(p.config.clone()),
        });
    }
    Ok(specs)
}

/// One spec per `*.wasm` file in `dir` (sorted by name), with the defaults.
///
/// # Errors
/// When the directory cannot be read.
pub fn specs_from_dir(dir: &Path, defaults: &ProbeSettings) -> Result<Vec<ProbeSpec>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read probes directory {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "wasm") && p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            Ok(ProbeSpec { name: name_from_path(&path)?, path, settings: defaults.clone(), config: Arc::default() })
        })
        .collect()
}

/// Rejects two probes with one name: their series and self-metrics would be indistinguishable.
///
/// # Errors
/// Names the duplicated probe and both files.
pub fn check_unique_names(specs: &[ProbeSpec]) -> Result<(), String> {
    let mut seen: HashSet<&str> = HashSet::new();
    for s in specs {
        if !seen.insert(&s.name) {
            let first = specs.iter().find(|o| o.name == s.name).map(|o| o.path.display().to_string());
            return Err(format!(
                "two probes are named {:?} ({} and {}); give one a `name` in the config",
                s.name,
                first.unwrap_or_default(),
                s.path.display()
            ));
        }
    }
    Ok(())
}

fn local_path(source: &str) -> Result<PathBuf, String> {
    if let Some(rest) = source.strip_prefix("file://") {
        return Ok(PathBuf::from(rest));
    }
    if source.contains("://") {
        return Err(format!("probe source {source:?}: only local paths and file:// are supported"));
    }
    Ok(PathBuf::from(source))
}

pub fn name_from_path(path: &Path) -> Result<String, String> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("cannot derive a probe name from {}", path.display()))
}

/// Reads and compiles one probe. Compilation runs on a blocking thread: a large component
/// takes seconds and must not stall the async runtime (and with it, `/metrics`).
///
/// # Errors
/// A [`ProbeLoadError`] naming the file and the cause.
pub async fn load(engine: &Arc<Engine>, spec: &ProbeSpec) -> Result<engine::Probe, ProbeLoadError> {
    let bytes =
        tokio::fs::read(&spec.path).await.map_err(|source| ProbeLoadError::Read { path: spec.path.clone(), source })?;
    let engine = engine.clone();
    let name = spec.name.clone();
    tokio::task::spawn_blocking(move || engine.load(&name, &bytes))
        .await
        .map_err(|e| ProbeLoadError::Task { path: spec.path.clone(), message: e.to_string() })?
        .map_err(|source| ProbeLoadError::Component { path: spec.path.clone(), source })
}
