//! The supervisor: keeps the running probes in line with the desired set. On every reload (a
//! file changed, a tag moved, the config was reloaded) it is handed the whole desired set and
//! changes only what differs:
//! - a new probe is fetched, compiled and scheduled;
//! - a probe whose bytes changed is compiled first, and replaces the running version only if
//!   that worked — a bad new version never takes a working one down (the refusal is shown in
//!   the log, `probe_host_probe_update_failures_total` and the landing page);
//! - a probe whose settings changed restarts with the same compiled component;
//! - a probe no longer wanted is stopped and its series disappear.

use crate::engine::{Engine, Probe};
use crate::probe::{self, Desired, ProbeSpec};
use crate::scheduler;
use crate::sources::{Fetched, Sources};
use crate::status::{ProbeSlot, ProbeTable};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::OnceCell;
use tokio::task::{JoinHandle, JoinSet};

/// A probe as it runs now.
struct Running {
    desired: Desired,
    slot: Arc<ProbeSlot>,
    /// The compiled component and its digest; `None` while it never loaded.
    loaded: Option<(Probe, String)>,
    task: Option<AbortOnDrop>,
}

/// Stops the probe's task when the probe is replaced or removed.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Compiled components by digest, for one reconcile: probes that run the same component share
/// one compilation (and its code in memory), including with the probes already running.
#[derive(Default)]
struct Compiled {
    cells: std::sync::Mutex<HashMap<String, Arc<CompileCell>>>,
}

/// One component's compilation, done by the first probe that needs it.
type CompileCell = OnceCell<Result<Probe, probe::CompileFailure>>;

impl Compiled {
    fn cell(&self, digest: &str) -> Arc<CompileCell> {
        let mut cells = self.cells.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cells.entry(digest.to_string()).or_default().clone()
    }

    /// `spec`'s component: shared with another probe of the same digest, or compiled now.
    async fn get(
        &self,
        engine: &Arc<Engine>,
        spec: &ProbeSpec,
        fetched: &Fetched,
    ) -> Result<Probe, probe::CompileError> {
        let cell = self.cell(&fetched.digest);
        let compiled = cell.get_or_init(|| probe::compile_bytes(engine, &spec.name, fetched.bytes.clone())).await;
        match compiled {
            Ok(probe) => Ok(probe.with_name(&spec.name)),
            Err(failure) => Err(probe::CompileError { origin: spec.source.to_string(), failure: failure.clone() }),
        }
    }
}

/// Owns the probe tasks.
pub struct Supervisor {
    engine: Arc<Engine>,
    sources: Arc<Sources>,
    table: Arc<ProbeTable>,
    running: tokio::sync::Mutex<Vec<Running>>,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor").finish_non_exhaustive()
    }
}

/// What a reconcile decided for one probe, before the slow part (fetch and compile).
enum Plan {
    /// Fetch, compare and maybe compile; `old` keeps running until then.
    Update { spec: ProbeSpec, old: Option<Running> },
    /// The desired entry itself is unusable (a `Desired::Broken`).
    Broken { desired: Desired, old: Option<Running> },
}

impl Supervisor {
    pub fn new(engine: Arc<Engine>, sources: Arc<Sources>, table: Arc<ProbeTable>) -> Self {
        Self { engine, sources, table, running: tokio::sync::Mutex::new(Vec::new()) }
    }

    /// Makes the running probes match `desired` (in that order). Reconciles one at a time.
    pub async fn apply(&self, desired: Vec<Desired>) {
        let mut running = self.running.lock().await;
        let mut previous: Vec<Running> = std::mem::take(&mut *running);
        let mut plans = Vec::with_capacity(desired.len());
        for d in desired {
            let old = previous.iter().position(|r| r.desired.name() == d.name()).map(|i| previous.remove(i));
            plans.push(match d {
                Desired::Spec(spec) => Plan::Update { spec, old },
                Desired::Broken { .. } => Plan::Broken { desired: d, old },
            });
        }
        for gone in previous {
            tracing::info!(probe = %gone.desired.name(), "probe removed");
        }
        // Show new probes at once (as "starting"), and keep the running ones visible meanwhile.
        let placeholders: Vec<Arc<ProbeSlot>> = plans
            .iter()
            .map(|p| match p {
                Plan::Update { old: Some(r), .. } | Plan::Broken { old: Some(r), .. } => r.slot.clone(),
                Plan::Update { spec, old: None } => Arc::new(slot_for(spec)),
                Plan::Broken { desired, old: None } => Arc::new(broken_slot(desired)),
            })
            .collect();
        self.table.set_slots(placeholders.clone());

        // Fetch and compile concurrently: one slow component must not hold up the others.
        let compiled = Arc::new(Compiled::default());
        for p in &plans {
            if let Plan::Update { old: Some(Running { loaded: Some((probe, digest)), .. }), .. } = p {
                let _ = compiled.cell(digest).set(Ok(probe.clone()));
            }
        }
        let mut work = JoinSet::new();
        let mut done: Vec<Option<Running>> = Vec::new();
        for (i, (plan, placeholder)) in plans.into_iter().zip(placeholders).enumerate() {
            done.push(None);
            let (sources, engine, compiled) = (self.sources.clone(), self.engine.clone(), compiled.clone());
            work.spawn(async move { (i, settle(plan, placeholder, &sources, &engine, &compiled).await) });
        }
        while let Some(joined) = work.join_next().await {
            match joined {
                Ok((i, settled)) => done[i] = Some(settled),
                Err(e) => tracing::error!("probe reconcile task failed: {e}"),
            }
        }
        let mut next: Vec<Running> = done.into_iter().flatten().collect();
        for r in &mut next {
            if r.task.is_none()
                && let (Some((probe, _)), Desired::Spec(spec)) = (&r.loaded, &r.desired)
            {
                let (probe, spec, slot) = (probe.clone(), spec.clone(), r.slot.clone());
                r.task = Some(AbortOnDrop(tokio::spawn(scheduler::run_forever(probe, spec, slot))));
            }
        }
        self.table.set_slots(next.iter().map(|r| r.slot.clone()).collect());
        *running = next;
    }
}

fn slot_for(spec: &ProbeSpec) -> ProbeSlot {
    ProbeSlot::new(&spec.name, &spec.source.to_string(), spec.settings.interval)
}

/// Decides one probe: fetch, compare with what runs, compile if needed. A returned `Running`
/// without a task is started by the caller.
async fn settle(
    plan: Plan,
    placeholder: Arc<ProbeSlot>,
    sources: &Sources,
    engine: &Arc<Engine>,
    compiled: &Compiled,
) -> Running {
    match plan {
        Plan::Broken { desired, old } => {
            let error = desired.problem().unwrap_or_default().to_string();
            refuse(desired, old, placeholder, error)
        }
        Plan::Update { spec, old } => {
            let started = Instant::now();
            let fetched = sources.fetch(&spec.source).await;
            update(spec, old, placeholder, fetched, started, engine, compiled).await
        }
    }
}

async fn update(
    spec: ProbeSpec,
    old: Option<Running>,
    placeholder: Arc<ProbeSlot>,
    fetched: Result<Fetched, crate::sources::SourceError>,
    started: Instant,
    engine: &Arc<Engine>,
    compiled: &Compiled,
) -> Running {
    let fetched = match fetched {
        Ok(f) => f,
        Err(error) => return refuse(Desired::Spec(spec), old, placeholder, error.to_string()),
    };
    let warning = fetched.warning.clone();
    let running = take(spec, old, placeholder, fetched, started, engine, compiled).await;
    // The source answered from a fallback (the registry refused the credentials, the cached
    // copy runs): the version asked for was not had, and that is counted as a refused update.
    if let Some(warning) = warning {
        running.slot.set_update_error(warning);
    }
    running
}

/// Runs `fetched` for `spec`: the running probe as it is, restarted with new settings, or a
/// newly compiled version; `old` stays when the new one does not compile.
async fn take(
    spec: ProbeSpec,
    mut old: Option<Running>,
    placeholder: Arc<ProbeSlot>,
    fetched: Fetched,
    started: Instant,
    engine: &Arc<Engine>,
    compiled: &Compiled,
) -> Running {
    let name = spec.name.clone();
    let same_component = old.as_ref().is_some_and(|o| o.loaded.as_ref().is_some_and(|(_, d)| *d == fetched.digest));
    if let Some(mut old) = old.take_if(|_| same_component) {
        if old.desired == Desired::Spec(spec.clone()) {
            // Back to (or still) the running version: any refusal of a newer one is moot,
            // unless this is the cached copy standing in for what the registry refused.
            if fetched.warning.is_none() {
                old.slot.clear_update_error();
            }
            return old;
        }
        // Same component, new settings: restart it without compiling again.
        tracing::info!(probe = %name, "probe settings changed: restarting it");
        let slot = slot_for(&spec).with_digest(&fetched.digest, fetched.manifest_digest.as_deref());
        let slot = Arc::new(slot.with_counters_of(&old.slot));
        if let Some((probe, _)) = &old.loaded {
            slot.set_loaded(started.elapsed(), probe.optimized());
        }
        old.task = None;
        return Running { desired: Desired::Spec(spec), slot, loaded: old.loaded.take(), task: None };
    }
    match compiled.get(engine, &spec, &fetched).await {
        Ok(compiled) => {
            let took = started.elapsed();
            let replaced = old.as_ref().is_some_and(|o| o.loaded.is_some());
            tracing::info!(probe = %name, source = %spec.source, digest = %fetched.digest, interval = ?spec.settings.interval, ?took,
                "{}", if replaced { "new probe version loaded" } else { "probe loaded" });
            // The old task stops when `old` drops here; the new one starts from a fresh slot
            // (fresh state, the same counters).
            let mut slot = slot_for(&spec).with_digest(&fetched.digest, fetched.manifest_digest.as_deref());
            if let Some(old) = &old {
                slot = slot.with_counters_of(&old.slot);
            }
            let slot = Arc::new(slot);
            slot.set_loaded(took, compiled.optimized());
            Running { desired: Desired::Spec(spec), slot, loaded: Some((compiled, fetched.digest)), task: None }
        }
        Err(error) => refuse(Desired::Spec(spec), old, placeholder, error.to_string()),
    }
}

/// A version that cannot be used: the running one (if any) stays, else the probe shows the error.
fn refuse(desired: Desired, old: Option<Running>, placeholder: Arc<ProbeSlot>, error: String) -> Running {
    match old {
        Some(old) if old.loaded.is_some() => {
            tracing::error!(probe = %desired.name(), "{error}; the running version stays");
            old.slot.set_update_error(error);
            old
        }
        old => {
            tracing::error!(probe = %desired.name(), "{error}");
            // The placeholder is the old slot when the probe never loaded: show the error on a
            // slot that reflects the current entry (its source and interval) instead.
            let slot = match (&old, &desired) {
                (None, _) => placeholder,
                (Some(old), Desired::Spec(spec)) => Arc::new(slot_for(spec).with_counters_of(&old.slot)),
                (Some(old), Desired::Broken { .. }) => Arc::new(broken_slot(&desired).with_counters_of(&old.slot)),
            };
            slot.set_load_error(error);
            Running { desired, slot, loaded: None, task: None }
        }
    }
}

/// The slot of an entry that cannot be loaded at all (it never runs, so it has no interval).
fn broken_slot(desired: &Desired) -> ProbeSlot {
    ProbeSlot::new(desired.name(), &desired.source().to_string(), std::time::Duration::ZERO)
}
