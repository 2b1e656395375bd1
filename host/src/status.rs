//! The probe table: each probe's latest results and run history, shared by the scheduler (which
//! writes after each run) and the server (which reads on each scrape). Scrapes only read what
//! the last runs left; they never trigger or wait for a run.

use crate::bounded::bounded;
use crate::model::MetricFamily;
use crate::outcome::RunOutcome;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

/// Bytes of a message kept in a probe's status (and shown on `/`, and logged): a probe's own
/// error text is cut to the engine's `MAX_ERROR_BYTES` (4 KiB) first, this leaves 1 KiB for the
/// host's words around it (a unit test keeps the two in step). A probe decides what its errors
/// say, not how much the host keeps.
pub const MAX_MESSAGE_BYTES: usize = 5 * 1024;

/// One probe's slot in the table.
#[derive(Debug)]
pub struct ProbeSlot {
    pub name: String,
    pub source: String,
    pub interval: Duration,
    /// The component's digest (`sha256:…`), once read.
    pub digest: Option<String>,
    /// For a probe from a registry, the digest of the manifest it resolved to: what `push`
    /// prints and what `oci://…@sha256:…` pins.
    pub manifest_digest: Option<String>,
    /// Calls refused because the operation is not in the probe's `allow` list.
    pub denied: Arc<std::sync::atomic::AtomicU64>,
    status: Mutex<ProbeStatus>,
}

/// What is known about a probe right now.
#[derive(Debug, Clone, Default)]
pub struct ProbeStatus {
    /// Set when the component could not be loaded; the probe never runs.
    pub load_error: Option<Arc<str>>,
    /// How long reading and compiling (or fetching from the compile cache) took.
    pub load_duration: Option<Duration>,
    /// Turns true when the probe runs optimized code (after loading it runs the baseline
    /// compiler's until the optimizer swaps it; `engine::Compiler`).
    pub optimized: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// The families of the last run, if it succeeded. Cleared when a run fails: stale values
    /// are never served as if they were fresh.
    pub families: Option<Arc<Vec<MetricFamily>>>,
    /// For each of `families`, the series names it claims ([`MetricFamily::claimed_names`]):
    /// worked out once per run, so scrapes check collisions without allocating.
    pub claimed: Option<Arc<Vec<Vec<String>>>>,
    pub runs: BTreeMap<RunOutcome, u64>,
    /// Why the last run failed, cut to [`MAX_MESSAGE_BYTES`]. Shared, not copied, by readers.
    pub last_error: Option<Arc<str>>,
    pub last_duration: Option<Duration>,
    pub last_success: Option<SystemTime>,
    pub last_api_calls: u32,
    /// Failed runs since the last success.
    pub consecutive_failures: u32,
    /// Why the newest version of the probe's source was not taken (it did not compile, fit
    /// the world or could be fetched); this version keeps running. Cleared by a good version.
    pub update_error: Option<Arc<str>>,
    /// Versions refused that way.
    pub update_failures: u64,
}

impl ProbeStatus {
    /// Whether the probe has finished at least one run (either way) or failed to load.
    pub fn settled(&self) -> bool {
        self.load_error.is_some() || self.runs.values().any(|n| *n > 0)
    }

    pub fn up(&self) -> bool {
        self.families.is_some()
    }
}

impl ProbeSlot {
    pub fn new(name: &str, source: &str, interval: Duration) -> Self {
        let status = ProbeStatus { runs: RunOutcome::ALL.iter().map(|r| (*r, 0)).collect(), ..ProbeStatus::default() };
        Self {
            name: name.into(),
            source: source.into(),
            interval,
            digest: None,
            manifest_digest: None,
            denied: Arc::default(),
            status: Mutex::new(status),
        }
    }

    /// The same probe's counters carried over from its previous slot (a new version, new
    /// settings, or a refused entry): counters live as long as the probe's name, so a refusal
    /// followed by a fix between two scrapes still shows, and `rate()` sees no reset.
    pub fn with_counters_of(self, previous: &ProbeSlot) -> Self {
        let (runs, update_failures) = {
            let old = previous.lock();
            (old.runs.clone(), old.update_failures)
        };
        {
            let mut s = self.lock();
            s.runs = runs;
            s.update_failures = update_failures;
        }
        Self { denied: previous.denied.clone(), ..self }
    }

    /// The same slot for a component with this digest (and, from a registry, the manifest
    /// digest it was pulled by).
    pub fn with_digest(mut self, digest: &str, manifest_digest: Option<&str>) -> Self {
        self.digest = Some(digest.into());
        self.manifest_digest = manifest_digest.map(Into::into);
        self
    }

    fn lock(&self) -> MutexGuard<'_, ProbeStatus> {
        // A panic elsewhere while holding the lock must not take the probe table down with it.
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the current status.
    pub fn status(&self) -> ProbeStatus {
        self.lock().clone()
    }

    pub fn set_loaded(&self, took: Duration, optimized: Arc<std::sync::atomic::AtomicBool>) {
        let mut status = self.lock();
        status.load_duration = Some(took);
        status.optimized = Some(optimized);
    }

    pub fn set_load_error(&self, message: String) {
        self.lock().load_error = Some(bounded(&message, MAX_MESSAGE_BYTES).into());
    }

    /// A newer version was refused; this one keeps running. The same refusal seen again (every
    /// rescan re-reads the sources) is counted once.
    pub fn set_update_error(&self, message: String) {
        let message = bounded(&message, MAX_MESSAGE_BYTES);
        let mut s = self.lock();
        if s.update_error.as_deref() != Some(message.as_str()) {
            s.update_error = Some(message.into());
            s.update_failures += 1;
        }
    }

    pub fn clear_update_error(&self) {
        self.lock().update_error = None;
    }

    pub fn record_success(&self, families: Vec<MetricFamily>, duration: Duration, api_calls: u32) {
        let mut s = self.lock();
        s.claimed = Some(Arc::new(families.iter().map(|f| f.claimed_names().collect()).collect()));
        s.families = Some(Arc::new(families));
        s.last_error = None;
        s.last_duration = Some(duration);
        s.last_success = Some(SystemTime::now());
        s.last_api_calls = api_calls;
        s.consecutive_failures = 0;
        *s.runs.entry(RunOutcome::Success).or_default() += 1;
    }

    /// Records a failed run (`result` is how it failed; not [`RunOutcome::Success`]).
    pub fn record_failure(&self, result: RunOutcome, message: String, duration: Duration) {
        let mut s = self.lock();
        s.families = None;
        s.claimed = None;
        s.last_error = Some(bounded(&message, MAX_MESSAGE_BYTES).into());
        s.last_duration = Some(duration);
        s.consecutive_failures += 1;
        *s.runs.entry(result).or_default() += 1;
    }
}

/// Every probe the host knows, in configuration order (which decides who keeps a contested
/// name). The set changes on reload; readers take a snapshot of the list.
#[derive(Debug, Default)]
pub struct ProbeTable {
    slots: RwLock<Vec<Arc<ProbeSlot>>>,
    reload: Mutex<ReloadStatus>,
    /// False until the first set of probes is known (before that, nothing is ready).
    populated: std::sync::atomic::AtomicBool,
}

/// How the last configuration reload went.
#[derive(Debug, Clone, Copy)]
pub struct ReloadStatus {
    pub last_successful: bool,
    pub last_success: SystemTime,
}

impl Default for ReloadStatus {
    fn default() -> Self {
        Self { last_successful: true, last_success: SystemTime::now() }
    }
}

impl ProbeTable {
    pub fn new(slots: Vec<Arc<ProbeSlot>>) -> Self {
        let table = Self::default();
        table.set_slots(slots);
        table
    }

    /// The probes now.
    pub fn slots(&self) -> Vec<Arc<ProbeSlot>> {
        self.slots.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Replaces the set of probes.
    pub fn set_slots(&self, slots: Vec<Arc<ProbeSlot>>) {
        *self.slots.write().unwrap_or_else(PoisonError::into_inner) = slots;
        self.populated.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Ready when the probes are known and every one has loaded and run once, or failed to load.
    pub fn ready(&self) -> bool {
        self.populated.load(std::sync::atomic::Ordering::SeqCst) && self.slots().iter().all(|s| s.status().settled())
    }

    pub fn reload_status(&self) -> ReloadStatus {
        *self.reload.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a configuration reload's outcome.
    pub fn record_reload(&self, ok: bool) {
        let mut r = self.reload.lock().unwrap_or_else(PoisonError::into_inner);
        r.last_successful = ok;
        if ok {
            r.last_success = SystemTime::now();
        }
    }
}

#[cfg(test)]
mod tests {
    /// The status keeps a probe's whole (already cut) error and the host's words around it.
    #[test]
    fn a_status_message_has_room_for_a_probes_whole_error() {
        assert_eq!(super::MAX_MESSAGE_BYTES, crate::engine::MAX_ERROR_BYTES + 1024);
    }
}
