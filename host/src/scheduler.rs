//! The scheduler: one task per probe, running it on its interval. Runs of one probe never
//! overlap (the task awaits each run), and each run is bounded by its timeout.

use crate::api::PotatoApi;
use crate::engine::{Probe, RunContext};
use crate::probe::ProbeSpec;
use crate::status::ProbeSlot;
use crate::validate::validate;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{Instant, MissedTickBehavior};

/// The largest random delay before a probe's first run, so probes started together do not
/// all call the potato-api in the same instant.
const MAX_START_JITTER: Duration = Duration::from_secs(2);

/// Runs `probe` forever on `spec.interval`, recording each outcome in `slot`. Cancel it by
/// dropping the future (or aborting its task).
pub async fn run_forever(probe: Probe, spec: ProbeSpec, api: PotatoApi, slot: Arc<ProbeSlot>) {
    tokio::time::sleep(start_jitter(&spec)).await;
    let mut ticks = tokio::time::interval(spec.interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        run_once(&probe, &spec, &api, &slot).await;
    }
}

/// One run: execute, validate, record.
pub async fn run_once(probe: &Probe, spec: &ProbeSpec, api: &PotatoApi, slot: &ProbeSlot) {
    let ctx = RunContext {
        api: api.clone(),
        config: spec.config.clone(),
        timeout: spec.timeout,
        memory_bytes: spec.memory_bytes,
    };
    let started = Instant::now();
    let outcome = probe.run(ctx).await;
    let elapsed = started.elapsed();
    match outcome {
        Ok(out) => match validate(&out.families) {
            Ok(()) => {
                tracing::debug!(probe = %spec.name, ?elapsed, families = out.families.len(), "run succeeded");
                slot.record_success(out.families, elapsed, out.api_calls);
            }
            Err(invalid) => {
                tracing::warn!(probe = %spec.name, "run rejected: invalid output: {invalid}");
                slot.record_failure("invalid_output", format!("invalid output: {invalid}"), elapsed);
            }
        },
        Err(err) => {
            tracing::warn!(probe = %spec.name, "run failed: {err}");
            slot.record_failure(err.kind(), err.to_string(), elapsed);
        }
    }
}

fn start_jitter(spec: &ProbeSpec) -> Duration {
    let max = (spec.interval / 10).min(MAX_START_JITTER);
    let random = RandomState::new().hash_one(&spec.name);
    max.mul_f64((random % 10_000) as f64 / 10_000.0)
}
