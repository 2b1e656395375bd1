//! Assembly: the engine, the API client, the probe table, the scheduler and the server, wired
//! together. Used by `probe-host run` and `probe-host demo`.

use crate::api::{ApiSettings, PotatoApi};
use crate::engine::{Engine, EngineSettings};
use crate::probe::{self, ProbeSpec};
use crate::scheduler;
use crate::server::{self, ServerSettings};
use crate::status::{ProbeSlot, ProbeTable};
use anyhow::Context;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What a host needs to start.
#[derive(Debug, Clone)]
pub struct HostSettings {
    pub listen: SocketAddr,
    pub api: ApiSettings,
    pub probes: Vec<ProbeSpec>,
    /// Compile cache directory (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
    pub server: ServerSettings,
}

/// A started host. Dropping it stops the server and every probe task.
#[derive(Debug)]
pub struct RunningHost {
    pub addr: SocketAddr,
    pub table: Arc<ProbeTable>,
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
/// When the engine cannot be created, the API client cannot be built, or the address cannot be
/// bound. Probe failures are never errors here.
pub async fn start(settings: HostSettings) -> anyhow::Result<RunningHost> {
    probe::check_unique_names(&settings.probes).map_err(anyhow::Error::msg)?;
    let max_memory = settings.probes.iter().map(|p| p.settings.memory).max().unwrap_or(64 << 20);
    let engine_settings = EngineSettings {
        cache_dir: settings.cache_dir.clone(),
        ..EngineSettings::for_probes(settings.probes.len(), max_memory)
    };
    let engine = Arc::new(Engine::new(engine_settings).context("cannot create the WebAssembly engine")?);
    let api = PotatoApi::new(&settings.api).context("cannot build the potato-api client")?;
    let listener =
        TcpListener::bind(settings.listen).await.with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = listener.local_addr()?;

    let slots: Vec<Arc<ProbeSlot>> = settings
        .probes
        .iter()
        .map(|s| Arc::new(ProbeSlot::new(&s.name, &s.path.display().to_string(), s.settings.interval)))
        .collect();
    let table = Arc::new(ProbeTable::new(slots.clone()).with_api_stats(api.stats()));
    let mut tasks = vec![tokio::spawn(server::serve(listener, table.clone(), settings.server.clone()))];

    for (spec, slot) in settings.probes.into_iter().zip(slots) {
        let engine = engine.clone();
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let started = std::time::Instant::now();
            match probe::load(&engine, &spec).await {
                Ok(probe) => {
                    let took = started.elapsed();
                    slot.set_loaded(took);
                    tracing::info!(probe = %spec.name, path = %spec.path.display(), interval = ?spec.settings.interval, ?took, "probe loaded");
                    scheduler::run_forever(probe, spec, api, slot).await;
                }
                Err(e) => {
                    tracing::error!(probe = %spec.name, "{e}");
                    slot.set_load_error(e.to_string());
                }
            }
        }));
    }
    Ok(RunningHost { addr, table, tasks })
}
