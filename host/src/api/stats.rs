//! What the access layer counts: probe calls against requests sent, per operation; responses
//! by status code; request durations; waits for the politeness limits; token refreshes. The
//! exposition turns a [`ApiSnapshot`] into `probe_host_api_*` families.

use potato_api_client::{Observer, Outcome};
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Upper bounds of the request-duration histogram, in seconds.
pub const DURATION_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Counters of the access layer, shared by every probe run.
#[derive(Debug, Default)]
pub struct ApiStats {
    inner: Mutex<ApiSnapshot>,
}

/// A copy of every counter, taken for one scrape.
#[derive(Debug, Clone, Default)]
pub struct ApiSnapshot {
    /// Per `operationId`, sorted.
    pub operations: BTreeMap<&'static str, OperationStats>,
    /// OAuth2 tokens fetched from the token endpoint.
    pub token_refreshes: u64,
    /// Failed attempts to fetch an OAuth2 token.
    pub token_refresh_failures: u64,
    /// Requests that waited for the concurrency cap or the requests-per-second limit.
    pub limit_waits: u64,
    /// Time spent in those waits, in seconds.
    pub limit_wait_seconds: f64,
}

/// Counters of one operation.
#[derive(Debug, Clone, Default)]
pub struct OperationStats {
    /// Calls made by probes.
    pub calls: u64,
    /// Calls answered from a shared result (in flight or within the share window).
    pub cache_hits: u64,
    /// Calls that needed a request of their own.
    pub cache_misses: u64,
    /// Calls refused without a request because the API asked to wait (`Retry-After`).
    pub retry_after_refusals: u64,
    /// Responses by HTTP status code; `"error"` when no complete response arrived,
    /// `"cancelled"` when the probe's run ended (timed out) while waiting for it.
    pub responses: BTreeMap<String, u64>,
    /// Request durations: cumulative count per [`DURATION_BUCKETS`] bound, then the sum and count.
    pub duration_buckets: [u64; DURATION_BUCKETS.len()],
    pub duration_sum: f64,
    pub duration_count: u64,
}

impl ApiStats {
    /// Every counter as of now.
    pub fn snapshot(&self) -> ApiSnapshot {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ApiSnapshot> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn call(&self, operation: &'static str, hit: bool) {
        let mut s = self.lock();
        let op = s.operations.entry(operation).or_default();
        op.calls += 1;
        if hit {
            op.cache_hits += 1;
        } else {
            op.cache_misses += 1;
        }
    }

    pub(crate) fn retry_after_refusal(&self, operation: &'static str) {
        self.lock().operations.entry(operation).or_default().retry_after_refusals += 1;
    }

    pub(crate) fn limit_wait(&self, waited: Duration) {
        let mut s = self.lock();
        s.limit_waits += 1;
        s.limit_wait_seconds += waited.as_secs_f64();
    }

    pub(crate) fn token_refresh(&self, ok: bool) {
        let mut s = self.lock();
        if ok {
            s.token_refreshes += 1;
        } else {
            s.token_refresh_failures += 1;
        }
    }
}

impl Observer for ApiStats {
    fn request_done(&self, operation: &'static str, outcome: Outcome, elapsed: Duration) {
        let code = match outcome {
            Outcome::Status(code) => code.to_string(),
            Outcome::Failed => "error".to_string(),
            Outcome::Cancelled => "cancelled".to_string(),
        };
        let secs = elapsed.as_secs_f64();
        let mut s = self.lock();
        let op = s.operations.entry(operation).or_default();
        *op.responses.entry(code).or_default() += 1;
        for (bound, n) in DURATION_BUCKETS.iter().zip(op.duration_buckets.iter_mut()) {
            if secs <= *bound {
                *n += 1;
            }
        }
        op.duration_sum += secs;
        op.duration_count += 1;
    }
}
