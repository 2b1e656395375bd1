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
pub type ReloadRequest = oneshot::Sender<ReloadOutcome>;

/// How a requested reload went.
#[derive(Debug)]
pub enum ReloadOutcome {
    /// Applied; the settings named changed too, and take effect only after a restart.
    Applied { restart_needed: Vec<&'static str> },
    /// The new configuration was rejected (the reason names the file); the running one stays.
    Rejected(ReloadError),
    /// The first load of the probes is still under way (a slow registry, a cold compile).
    Starting,
}

/// Why a set of probes could not be worked out (at start, or for a reload, which then keeps
/// what runs): each names the file or the probes at fault.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The configuration file could not be read or is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A `[[probes]]` entry's source is unusable.
    #[error("{path}: {error}")]
    Entry { path: std::path::PathBuf, error: crate::sources::SourceError },
    /// Two probes share a name.
    #[error(transparent)]
    DuplicateName(#[from] probe::DuplicateName),
}

/// SIGHUP, listened for from the moment this is called: a signal that arrives while the first
/// load is under way waits for it instead of killing the process (SIGHUP's default action).
pub fn hangup_signal() -> Option<tokio::signal::unix::Signal> {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!("cannot listen for SIGHUP: {e}");
            None
        }
    }
}

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
    /// The configuration the host started with: what the settings a reload cannot apply
    /// (the server's address, the API client, ...) still follow.
    /// Settings the command line fixed, whatever the file says.
    fixed: Vec<&'static str>,
    at_start: Option<Config>,
    /// How often tags are resolved again: `[oci] poll_interval`, applied by reloads.
    poll_interval: Mutex<Duration>,
    changed: Arc<Notify>,
    watcher: Mutex<Option<Watcher>>,
}

impl std::fmt::Debug for Reloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloader").field("sources", &self.sources).finish_non_exhaustive()
    }
}

impl Reloader {
    /// `fixed` names the settings the command line set (see [`crate::resolve`]): a reload that
    /// changes them in the file changes nothing, so it does not call for a restart either.
    pub fn new(
        sources: ProbeSources,
        config: Option<Config>,
        fixed: Vec<&'static str>,
        supervisor: Arc<Supervisor>,
        table: Arc<ProbeTable>,
    ) -> Self {
        let poll_interval = config.as_ref().map_or(sources.oci_poll_interval, |c| c.oci.poll_interval);
        Self {
            sources,
            supervisor,
            table,
            poll_interval: Mutex::new(poll_interval),
            at_start: config.clone(),
            fixed,
            config: Mutex::new(config),
            changed: Arc::new(Notify::new()),
            watcher: Mutex::new(None),
        }
    }

    fn desired(&self, config: Option<&Config>) -> Result<Vec<Desired>, ReloadError> {
        desired(&self.sources, config)
    }

    /// Loads the first set of probes and watches their sources. Reload requests that arrive
    /// meanwhile are answered [`ReloadOutcome::Starting`] (SIGHUPs wait for [`Reloader::run`]).
    pub async fn start(&self, desired: Vec<Desired>, requests: &mut mpsc::Receiver<ReloadRequest>) {
        self.rewatch(&desired);
        let load = self.supervisor.apply(desired);
        tokio::pin!(load);
        loop {
            tokio::select! {
                () = &mut load => return,
                Some(reply) = requests.recv() => {
                    let _ = reply.send(ReloadOutcome::Starting);
                }
            }
        }
    }

    /// Re-reads the configuration file and applies it; on error keeps everything as it is.
    /// Returns [`ReloadOutcome::Applied`] (naming the changed settings that need a restart) or
    /// [`ReloadOutcome::Rejected`] with the reason, naming the file.
    pub async fn reload_config(&self) -> ReloadOutcome {
        let result = self.try_reload_config().await;
        self.table.record_reload(result.is_ok());
        match result {
            Ok(restart_needed) if restart_needed.is_empty() => {
                tracing::info!("configuration reloaded");
                ReloadOutcome::Applied { restart_needed }
            }
            Ok(restart_needed) => {
                tracing::warn!(
                    "configuration reloaded; changes to {} take effect after a restart",
                    restart_needed.join(", ")
                );
                ReloadOutcome::Applied { restart_needed }
            }
            Err(e) => {
                tracing::error!("configuration reload failed, keeping the running configuration: {e}");
                ReloadOutcome::Rejected(e)
            }
        }
    }

    async fn try_reload_config(&self) -> Result<Vec<&'static str>, ReloadError> {
        let new = match &self.sources.config_path {
            Some(path) => Some(Config::load(path)?),
            None => None,
        };
        let desired = self.desired(new.as_ref())?;
        // Against the configuration at start, not the last reloaded one: until a restart,
        // every reload says what still waits for it.
        let restart_needed = match (&self.at_start, &new) {
            (Some(old), Some(new)) => {
                old.restart_needed(new).into_iter().filter(|key| !self.fixed.contains(key)).collect()
            }
            _ => Vec::new(),
        };
        if let Some(new) = &new {
            *self.poll_interval.lock().unwrap_or_else(PoisonError::into_inner) = new.oci.poll_interval;
        }
        self.rewatch(&desired);
        *self.config.lock().unwrap_or_else(PoisonError::into_inner) = new;
        self.supervisor.apply(desired).await;
        Ok(restart_needed)
    }

    /// How often `oci://` tags are resolved again, as last configured.
    pub fn poll_interval(&self) -> Duration {
        *self.poll_interval.lock().unwrap_or_else(PoisonError::into_inner)
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

    /// Handles reload triggers until the task is dropped. `hangup` is [`hangup_signal`], taken
    /// before the first load so a SIGHUP sent during it is applied here, after it.
    pub async fn run(
        self: Arc<Self>,
        mut requests: mpsc::Receiver<ReloadRequest>,
        mut hangup: Option<tokio::signal::unix::Signal>,
    ) {
        let mut period = self.poll_interval();
        let mut poll = poll_timer(period).await;
        loop {
            // A reload may have changed `[oci] poll_interval`: the next poll follows it.
            if self.poll_interval() != period {
                period = self.poll_interval();
                tracing::info!("resolving OCI tags every {period:?}");
                poll = poll_timer(period).await;
            }
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

/// An interval timer whose first tick is one `period` from now.
async fn poll_timer(period: Duration) -> tokio::time::Interval {
    let mut poll = tokio::time::interval(period);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    poll.tick().await;
    poll
}

/// The desired probes for `config`: its entries, then the directory's files; this shard's only.
///
/// # Errors
/// When the configuration's entries are unusable or two probes share a name.
pub fn desired(from: &ProbeSources, config: Option<&Config>) -> Result<Vec<Desired>, ReloadError> {
    let mut desired: Vec<Desired> = Vec::new();
    if let (Some(c), Some(path)) = (config, &from.config_path) {
        let base = path.parent().unwrap_or(Path::new("."));
        let specs =
            probe::specs_from_config(c, base).map_err(|error| ReloadError::Entry { path: path.clone(), error })?;
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
