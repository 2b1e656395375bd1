//! Reloading, as Prometheus and its exporters do it: `SIGHUP` or `POST /-/reload` re-read the
//! configuration file — an invalid one is rejected and the running set kept, with
//! `probe_host_config_last_reload_successful` 0 — and a change under a watched directory, or a
//! tag that moved in its registry, re-reads the probes' sources. Either way the supervisor is
//! handed the whole desired set and changes only what differs.

use crate::config::{Config, ProbeSettings};
use crate::probe::{self, Desired, Shard};
use crate::sources::{self, Source, Watcher};
use crate::status::ProbeTable;
use crate::supervisor::Supervisor;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot};

/// Changes within this long of each other are handled as one (a ConfigMap update is several
/// file events; an editor's save is often two).
const DEBOUNCE: Duration = Duration::from_millis(500);

/// A `POST /-/reload`: answered with the reload's outcome.
pub type ReloadRequest = oneshot::Sender<Result<(), String>>;

/// What decides the desired set of probes.
#[derive(Debug, Clone)]
pub struct ProbeSources {
    /// The configuration file, re-read on reload.
    pub config_path: Option<PathBuf>,
    /// A directory of `*.wasm` (with optional `NAME.toml` sidecars), watched.
    pub probes_dir: Option<PathBuf>,
    pub shard: Option<Shard>,
    /// Probe defaults when there is no configuration file.
    pub defaults: ProbeSettings,
    /// How often `oci://` sources with a tag are resolved again.
    pub oci_poll_interval: Duration,
}

/// Keeps the running probes in line with their sources.
pub struct Reloader {
    sources: ProbeSources,
    supervisor: Arc<Supervisor>,
    table: Arc<ProbeTable>,
    config: Mutex<Option<Config>>,
    changed: Arc<Notify>,
    watcher: Mutex<Option<Watcher>>,
}

impl std::fmt::Debug for Reloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloader").field("sources", &self.sources).finish_non_exhaustive()
    }
}

impl Reloader {
    pub fn new(
        sources: ProbeSources,
        config: Option<Config>,
        supervisor: Arc<Supervisor>,
        table: Arc<ProbeTable>,
    ) -> Self {
        Self {
            sources,
            supervisor,
            table,
            config: Mutex::new(config),
            changed: Arc::new(Notify::new()),
            watcher: Mutex::new(None),
        }
    }

    fn desired(&self, config: Option<&Config>) -> Result<Vec<Desired>, String> {
        desired(&self.sources, config)
    }

    /// Loads the first set of probes and watches their sources.
    pub async fn start(&self, desired: Vec<Desired>) {
        self.rewatch(&desired);
        self.supervisor.apply(desired).await;
    }

    /// Re-reads the configuration file and applies it; on error keeps everything as it is.
    ///
    /// # Errors
    /// The reason the new configuration was rejected, naming the file.
    pub async fn reload_config(&self) -> Result<(), String> {
        let result = self.try_reload_config().await;
        self.table.record_reload(result.is_ok());
        match &result {
            Ok(()) => tracing::info!("configuration reloaded"),
            Err(e) => tracing::error!("configuration reload failed, keeping the running configuration: {e}"),
        }
        result
    }

    async fn try_reload_config(&self) -> Result<(), String> {
        let new = match &self.sources.config_path {
            Some(path) => Some(Config::load(path).map_err(|e| e.to_string())?),
            None => None,
        };
        let desired = self.desired(new.as_ref())?;
        if let (Some(old), Some(new)) = (&*self.config.lock().unwrap_or_else(PoisonError::into_inner), &new) {
            // These are wired into the running server and API client at start.
            let fixed = |c: &Config| format!("{:?} {:?} {:?}", c.listen, c.cache_dir, c.api);
            if fixed(old) != fixed(new) {
                tracing::warn!("`listen`, `cache_dir` and `[api]` changes take effect after a restart");
            }
        }
        self.rewatch(&desired);
        *self.config.lock().unwrap_or_else(PoisonError::into_inner) = new;
        self.supervisor.apply(desired).await;
        Ok(())
    }

    /// Re-reads every source with the current configuration (after a file change or on the
    /// OCI poll) and applies what changed.
    pub async fn rescan(&self) {
        let config = self.config.lock().unwrap_or_else(PoisonError::into_inner).clone();
        match self.desired(config.as_ref()) {
            Ok(desired) => self.supervisor.apply(desired).await,
            Err(e) => tracing::error!("probe sources: {e}; keeping the running probes"),
        }
    }

    /// Watches the probes directory and the directories of file sources.
    fn rewatch(&self, desired: &[Desired]) {
        let mut dirs: Vec<PathBuf> = self.sources.probes_dir.iter().cloned().collect();
        for d in desired {
            if let Source::File(path) = d.source()
                && let Some(parent) = path.parent()
                && !dirs.iter().any(|x| x == parent)
            {
                dirs.push(parent.to_path_buf());
            }
        }
        let mut watcher = self.watcher.lock().unwrap_or_else(PoisonError::into_inner);
        if watcher.as_ref().is_some_and(|w| w.dirs == dirs) {
            return;
        }
        *watcher = match Watcher::new(dirs, self.changed.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::error!("{e}; probe changes need a reload");
                None
            }
        };
    }

    fn has_oci_tags(&self) -> bool {
        let config = self.config.lock().unwrap_or_else(PoisonError::into_inner);
        config
            .as_ref()
            .is_some_and(|c| c.probes.iter().any(|p| p.source.starts_with("oci://") && !p.source.contains('@')))
    }

    /// Handles reload triggers until the task is dropped.
    pub async fn run(self: Arc<Self>, mut requests: mpsc::Receiver<ReloadRequest>) {
        let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!("cannot listen for SIGHUP: {e}");
                None
            }
        };
        let mut poll = tokio::time::interval(self.sources.oci_poll_interval);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        poll.tick().await;
        loop {
            tokio::select! {
                Some(()) = async { match &mut hangup { Some(h) => h.recv().await, None => None } } => {
                    tracing::info!("SIGHUP: reloading the configuration");
                    let _ = self.reload_config().await;
                }
                Some(reply) = requests.recv() => {
                    let _ = reply.send(self.reload_config().await);
                }
                () = self.changed.notified() => {
                    tokio::time::sleep(DEBOUNCE).await;
                    tracing::info!("probe files changed: re-reading them");
                    self.rescan().await;
                }
                _ = poll.tick() => {
                    if self.has_oci_tags() {
                        tracing::debug!("resolving OCI tags again");
                        self.rescan().await;
                    }
                }
            }
        }
    }
}

/// The desired probes for `config`: its entries, then the directory's files; this shard's only.
///
/// # Errors
/// When the configuration's entries are unusable or two probes share a name.
pub fn desired(from: &ProbeSources, config: Option<&Config>) -> Result<Vec<Desired>, String> {
    let mut desired: Vec<Desired> = Vec::new();
    if let (Some(c), Some(path)) = (config, &from.config_path) {
        let base = path.parent().unwrap_or(Path::new("."));
        let specs = probe::specs_from_config(c, base).map_err(|e| format!("{}: {e}", path.display()))?;
        desired.extend(specs.into_iter().map(Desired::Spec));
    }
    if let Some(dir) = &from.probes_dir {
        let defaults = config.map_or(&from.defaults, |c| &c.defaults);
        // A missing or unreadable directory is the probes' problem, not the config's:
        // report it and run the probes we have.
        match sources::scan_dir(dir, defaults) {
            Ok(found) => desired.extend(found),
            Err(e) => tracing::error!("{e}"),
        }
    }
    if let Some(shard) = from.shard {
        desired.retain(|d| shard.owns(d.name()));
    }
    probe::check_unique_names(&desired)?;
    Ok(desired)
}
