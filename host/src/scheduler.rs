//! The scheduler: one task per probe, running it on its interval. Runs of one probe never
//! overlap (the task awaits each run), and each run is bounded by its timeout.

use crate::bounded::bounded;
use crate::config::ProbeSettings;
use crate::engine::{Probe, RunContext, RunLimits, Scratch};
use crate::outcome::RunOutcome;
use crate::probe::ProbeSpec;
use crate::status::{MAX_MESSAGE_BYTES, ProbeSlot};
use crate::validate::{OutputLimits, validate};
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The largest random delay before a probe's first run, so probes started together do not
/// all call the potato-api in the same instant.
const MAX_START_JITTER: Duration = Duration::from_secs(2);

/// Runs `probe` forever, recording each outcome in `slot`: every `interval` while it succeeds,
/// backing off exponentially while it fails (see [`backoff`]). Cancel it by dropping the
/// future (or aborting its task).
pub async fn run_forever(probe: Probe, spec: ProbeSpec, slot: Arc<ProbeSlot>) {
    tokio::time::sleep(start_jitter(&spec)).await;
    let mut failures = 0u32;
    // Lives as long as this task: empty after a restart or a reload of the probe.
    let mut scratch = Scratch::default();
    loop {
        let started = Instant::now();
        let ok = run_once(&probe, &spec, &slot, &mut scratch).await;
        failures = if ok { 0 } else { failures.saturating_add(1) };
        // A run longer than the delay is followed at once by the next: runs never overlap.
        tokio::time::sleep_until(started + backoff(spec.settings.interval, failures)).await;
    }
}

/// The delay before the next run after `failures` consecutive failed runs: the interval after
/// a success or a first failure, then doubling, up to 16 intervals or 10 minutes (whichever is
/// smaller, but never below the interval). A probe that fails for a while calls the potato-api
/// less, and is back on its interval after its first success.
pub fn backoff(interval: Duration, failures: u32) -> Duration {
    let cap = (interval * 16).min(Duration::from_secs(600)).max(interval);
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
    interval.saturating_mul(factor).min(cap)
}

impl From<&ProbeSettings> for RunLimits {
    /// What a run of a probe with these settings may use.
    fn from(settings: &ProbeSettings) -> Self {
        RunLimits {
            timeout: settings.timeout,
            cpu: settings.cpu,
            memory_bytes: settings.memory,
            max_api_calls: settings.max_api_calls,
            max_families: settings.max_families,
            max_samples: settings.max_samples,
            max_output_bytes: settings.max_output_size,
        }
    }
}

/// One run: execute, validate, record. `scratch` is replaced by the run's scratch space only
/// if the run succeeds.
pub async fn run_once(probe: &Probe, spec: &ProbeSpec, slot: &ProbeSlot, scratch: &mut Scratch) -> bool {
    let settings = &spec.settings;
    let ctx = RunContext {
        config: spec.config.clone(),
        limits: RunLimits::from(settings),
        scratch: scratch.clone(),
        allow: settings.allow.as_deref().map(Into::into),
        denied: slot.denied.clone(),
    };
    let output_limits = OutputLimits {
        max_families: settings.max_families,
        max_samples: settings.max_samples,
        max_bytes: settings.max_output_size,
        ..OutputLimits::default()
    };
    let started = Instant::now();
    let outcome = probe.run(ctx).await;
    let elapsed = started.elapsed();
    match outcome {
        Ok(out) => match validate(&out.families, &output_limits) {
            Ok(()) => {
                tracing::debug!(probe = %spec.name, ?elapsed, families = out.families.len(), "run succeeded");
                slot.record_success(out.families, elapsed, out.api_calls);
                *scratch = out.scratch;
                true
            }
            Err(invalid) => {
                fail(slot, RunOutcome::InvalidOutput, &format!("invalid output: {invalid}"), elapsed);
                false
            }
        },
        Err(err) => {
            fail(slot, err.kind(), &err.to_string(), elapsed);
            false
        }
    }
}

/// Logs and records a failed run. What the probe controls in the message (its error text, a
/// label value) is cut to [`MAX_MESSAGE_BYTES`] before it reaches either.
fn fail(slot: &ProbeSlot, result: RunOutcome, message: &str, elapsed: Duration) {
    let message = bounded(message, MAX_MESSAGE_BYTES);
    tracing::warn!(probe = %slot.name, "run failed ({result}): {message}");
    slot.record_failure(result, message, elapsed);
}

fn start_jitter(spec: &ProbeSpec) -> Duration {
    let max = (spec.settings.interval / 10).min(MAX_START_JITTER);
    let random = RandomState::new().hash_one(&spec.name);
    max.mul_f64((random % 10_000) as f64 / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_a_cap_and_resets() {
        let s = Duration::from_secs;
        let delays: Vec<_> = (0..7).map(|f| backoff(s(30), f)).collect();
        assert_eq!(delays, [s(30), s(30), s(60), s(120), s(240), s(480), s(480)]);
        assert_eq!(backoff(s(1), 100), s(16));
        assert_eq!(backoff(s(3600), 5), s(3600), "never below the interval");
    }
}
