//! Probes as the configuration describes them ([`ProbeSpec`], [`Desired`]), and compiling
//! their bytes into [`engine::Probe`]s. Where the bytes come from is [`crate::sources`].

mod shard;

pub use shard::Shard;

use crate::config::{Config, ProbeSettings};
use crate::engine::{self, Engine};
use crate::sources::Source;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// Everything the host needs to know to load and schedule one probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeSpec {
    pub name: String,
    pub source: Source,
    pub settings: ProbeSettings,
    pub config: Arc<BTreeMap<String, String>>,
}

/// A probe the configuration asks for: a usable spec, or why its entry cannot be used (a bad
/// sidecar file affects that probe alone).
#[derive(Debug, Clone, PartialEq)]
pub enum Desired {
    Spec(ProbeSpec),
    Broken { name: String, source: Source, error: String },
}

impl Desired {
    pub fn name(&self) -> &str {
        match self {
            Desired::Spec(s) => &s.name,
            Desired::Broken { name, .. } => name,
        }
    }

    /// Why the entry is unusable, for a [`Desired::Broken`].
    pub fn problem(&self) -> Option<&str> {
        match self {
            Desired::Spec(_) => None,
            Desired::Broken { error, .. } => Some(error),
        }
    }

    pub fn source(&self) -> &Source {
        match self {
            Desired::Spec(s) => &s.source,
            Desired::Broken { source, .. } => source,
        }
    }
}

/// The probe specs from a configuration's `[[probes]]` entries.
///
/// # Errors
/// When a source is malformed or no name can be derived from it.
pub fn specs_from_config(config: &Config, base_dir: &Path) -> Result<Vec<ProbeSpec>, crate::sources::SourceError> {
    let mut specs = Vec::new();
    for p in &config.probes {
        let source = Source::parse(&p.source, base_dir)?;
        let name = match &p.name {
            Some(n) => n.clone(),
            None => source.default_name()?,
        };
        specs.push(ProbeSpec {
            name,
            source,
            settings: config.defaults.overridden_by(p),
            config: Arc::new(p.config.clone()),
        });
    }
    Ok(specs)
}

/// Two probes with one name: the name and both sources.
#[derive(Debug, thiserror::Error)]
#[error("two probes are named {name:?} ({first} and {second}); give one a `name` in the config")]
pub struct DuplicateName {
    pub name: String,
    pub first: String,
    pub second: String,
}

/// Rejects two probes with one name: their series and self-metrics would be indistinguishable.
///
/// # Errors
/// [`DuplicateName`], naming the probe and both sources.
pub fn check_unique_names(desired: &[Desired]) -> Result<(), DuplicateName> {
    let mut seen: HashSet<&str> = HashSet::new();
    for d in desired {
        if !seen.insert(d.name()) {
            let first = desired.iter().find(|o| o.name() == d.name()).map(|o| o.source().to_string());
            return Err(DuplicateName {
                name: d.name().to_string(),
                first: first.unwrap_or_default(),
                second: d.source().to_string(),
            });
        }
    }
    Ok(())
}

/// Why a probe's component could not be compiled. Shared (`Clone`) by every probe of the same
/// component: one compilation serves them all.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CompileFailure {
    /// The bytes are not a component of the host's world.
    #[error(transparent)]
    Load(Arc<engine::LoadError>),
    /// The blocking task that compiles ended without an answer (the compiler panicked).
    #[error("compilation task failed: {0}")]
    Task(String),
}

/// [`CompileFailure`] of a probe, with the source it came from.
#[derive(Debug, Clone, thiserror::Error)]
#[error("probe {origin}: {failure}")]
pub struct CompileError {
    /// The probe's source (a path or an OCI reference).
    pub origin: String,
    pub failure: CompileFailure,
}

/// Compiles a probe's component. Compilation runs on a blocking thread: a large component
/// takes seconds and must not stall the async runtime (and with it, `/metrics`).
///
/// # Errors
/// [`CompileError`], naming the probe's source and the cause.
pub async fn compile(engine: &Arc<Engine>, spec: &ProbeSpec, bytes: Arc<[u8]>) -> Result<engine::Probe, CompileError> {
    compile_bytes(engine, &spec.name, bytes)
        .await
        .map_err(|failure| CompileError { origin: spec.source.to_string(), failure })
}

/// Like [`compile`], with the cause alone in the error (the caller names the source).
///
/// # Errors
/// Why the bytes are not a component of the host's world.
pub async fn compile_bytes(
    engine: &Arc<Engine>,
    name: &str,
    bytes: Arc<[u8]>,
) -> Result<engine::Probe, CompileFailure> {
    let engine = engine.clone();
    let name = name.to_string();
    tokio::task::spawn_blocking(move || engine.load(&name, &bytes))
        .await
        .map_err(|e| CompileFailure::Task(e.to_string()))?
        .map_err(|e| CompileFailure::Load(Arc::new(e)))
}
