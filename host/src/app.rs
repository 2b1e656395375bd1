//! Assembly: the engine, the API client, the probe table, the supervisor, the reloader and the
//! server, wired together. Used by `probe-host run` and `probe-host demo`.

use crate::api::{ApiSettings, HttpCaller, PotatoApi};
use crate::config::Config;
use crate::engine::{Engine, EngineSettings};
use crate::probe::Desired;
use crate::reload::{self, ProbeSources, Reloader};
use crate::server::{self, ServerSettings};
use crate::sources::{OciSettings, Sources};
use crate::status::ProbeTable;
use crate::supervisor::Supervisor;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Room for probes added by reloads: the instance pool is sized once, at start.
const MIN_POOLED_PROBES: usize = 32;

/// What a host needs to start.
#[derive(Debug, Clone)]
pub struct HostSettings {
    pub listen: SocketAddr,
    pub api: ApiSettings,
    /// Where the probes come from (re-read on reload).
    pub probes: ProbeSources,
    /// The target's document, mapped: the file's `[api] openapi`, else the built-in potato-api.
    pub document: Arc<potato_api_client::wit::Generated>,
    /// The configuration file as read at start, if any: its probes and their defaults (re-read
    /// on reload).
    pub config: Option<Config>,
    /// The file's settings the command line overrode (named as in `config::RESTART_KEYS`).
    pub fixed_by_flags: Vec<&'static str>,
    /// Compile cache directory (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
    /// Which compiler makes the probes' code.
    pub compiler: crate::engine::Compiler,
    pub oci: OciSettings,
    pub server: ServerSettings,
}

/// A started host. Dropping it stops the server, the reloader and every probe task.
#[derive(Debug)]
pub struct RunningHost {
    pub addr: SocketAddr,
    pub table: Arc<ProbeTable>,
    pub reloader: Arc<Reloader>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for RunningHost {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Binds the server, then loads every probe in the background and schedules those that load.
/// `/metrics` answers from the start; a probe that fails to load is reported and the others go on.
///
/// # Errors
/// When the probe set is unusable (two probes share a name), the engine or the API client
/// cannot be created, or the address cannot be bound. Probe failures are never errors here.
pub async fn start(settings: HostSettings) -> anyhow::Result<RunningHost> {
    // First of all: from here on a SIGHUP asks for a reload instead of ending the process.
    let hangup = reload::hangup_signal();
    let desired = reload::desired(&settings.probes, settings.config.as_ref())?;
    if let Some(shard) = settings.probes.shard {
        tracing::info!("shard {}/{}: running {} probes", shard.index, shard.count, desired.len());
    }
    if desired.is_empty() {
        tracing::warn!("no probes to run: serving only the host's own metrics");
    }
    let max_memory = desired
        .iter()
        .filter_map(|d| match d {
            Desired::Spec(s) => Some(s.settings.memory),
            Desired::Broken { .. } => None,
        })
        .chain([settings.probes.defaults.memory])
        .max()
        .unwrap_or(crate::config::ProbeSettings::default().memory);
    let api = PotatoApi::new(&settings.api).context("cannot build the API client")?;
    // The target's functions, from its OpenAPI document.
    let document = settings.document.clone();
    for warning in crate::api::advice::warnings(&settings.api, &document.api) {
        tracing::warn!("{warning}");
    }
    let target = HttpCaller::target(api.clone(), &document);
    tracing::info!(
        package = %target.api.package,
        functions = target.api.functions.len() + target.api.pagers.len(),
        "serving the target's operations from its OpenAPI document"
    );
    let engine_settings = EngineSettings {
        cache_dir: settings.cache_dir.clone(),
        compiler: settings.compiler,
        target: Some(target),
        ..EngineSettings::for_probes(desired.len().max(MIN_POOLED_PROBES), max_memory)
    };
    let engine = Arc::new(Engine::new(engine_settings).context("cannot create the WebAssembly engine")?);
    let listener =
        TcpListener::bind(settings.listen).await.with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;

    let table = Arc::new(ProbeTable::default());
    let sources = crate::exposition::SelfSources { api: Some(api.stats()), compile_cache: engine.compile_cache() };
    let exposition = Arc::new(crate::exposition::Exposition::new(table.clone(), sources));
    let sources = Arc::new(Sources::new(OciSettings {
        cache_dir: settings.oci.cache_dir.clone().or_else(|| settings.cache_dir.clone()),
        ..settings.oci.clone()
    }));
    let supervisor = Arc::new(Supervisor::new(engine, sources, table.clone()));
    let reloader = Arc::new(Reloader::new(
        settings.probes.clone(),
        settings.config.clone(),
        settings.fixed_by_flags.clone(),
        supervisor,
        table.clone(),
    ));
    let (reload_tx, mut reload_rx) = tokio::sync::mpsc::channel(4);
    let server_settings = ServerSettings { reload: Some(reload_tx), ..settings.server.clone() };
    let mut tasks = vec![tokio::spawn(server::serve(listener, exposition, server_settings))];
    let r = reloader.clone();
    tasks.push(tokio::spawn(async move {
        r.start(desired, &mut reload_rx).await;
        r.run(reload_rx, hangup).await;
    }));
    Ok(RunningHost { addr, table, reloader, tasks })
}
