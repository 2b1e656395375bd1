//! A probes directory: every `NAME.wasm`, each with an optional sidecar `NAME.toml` holding the
//! same keys as a `[[probes]]` entry (interval, limits, `allow`, `config`), except `name` and
//! `source`. Works through symlinks, so a Kubernetes ConfigMap volume (files that point into a
//! `..data` directory swapped atomically on update) reads like any directory.

use super::Source;
use crate::config::{ProbeConfig, ProbeSettings};
use crate::probe::{Desired, ProbeSpec};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One entry per `*.wasm` file in `dir`, sorted by name: a spec, or the reason its sidecar is
/// unusable (that probe alone is affected).
///
/// # Errors
/// When the directory cannot be read.
pub fn scan_dir(dir: &Path, defaults: &ProbeSettings) -> Result<Vec<Desired>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read probes directory {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        // Hidden entries are the ConfigMap's own bookkeeping (`..data`, `..2024_…`).
        .filter(|p| !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
        .filter(|p| p.extension().is_some_and(|ext| ext == "wasm") && p.is_file())
        .collect();
    paths.sort();
    Ok(paths.into_iter().map(|path| entry(path, defaults)).collect())
}

fn entry(path: PathBuf, defaults: &ProbeSettings) -> Desired {
    let source = Source::File(path.clone());
    let name = match source.default_name() {
        Ok(name) => name,
        Err(error) => return Desired::Broken { name: path.display().to_string(), source, error: error.to_string() },
    };
    let sidecar = path.with_extension("toml");
    match read_sidecar(&sidecar, defaults) {
        Ok((settings, config)) => Desired::Spec(ProbeSpec { name, source, settings, config: Arc::new(config) }),
        Err(error) => Desired::Broken { name, source, error },
    }
}

type Sidecar = (ProbeSettings, std::collections::BTreeMap<String, String>);

fn read_sidecar(path: &Path, defaults: &ProbeSettings) -> Result<Sidecar, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((defaults.clone(), Default::default())),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let entry: ProbeConfig =
        toml::from_str(&text).map_err(|e| format!("invalid {}: {}", path.display(), e.to_string().trim_end()))?;
    if entry.name.is_some() || !entry.source.is_empty() {
        return Err(format!(
            "{}: a sidecar sets neither name nor source (they come from the file name)",
            path.display()
        ));
    }
    let settings = defaults.overridden_by(&entry);
    settings.check(&path.display().to_string())?;
    Ok((settings, entry.config))
}
