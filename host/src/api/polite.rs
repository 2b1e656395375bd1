//! Politeness to the target, shared by every probe: a cap on requests in flight, a
//! requests-per-second limit, and `Retry-After` honoured per operation — after a `429` (or a
//! `503` with `Retry-After`) no request for that operation leaves before the time given; the
//! calls in between get `rate-limited` with the seconds left, without touching the API.

use super::{ApiError, ApiStats};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// The limits, from `[api]` in the config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Politeness {
    /// Requests in flight at once, across all probes (at least 1).
    pub max_concurrent_requests: usize,
    /// Requests per second, across all probes, with bursts up to one second's worth;
    /// `None`: no limit.
    pub max_requests_per_second: Option<f64>,
}

impl Default for Politeness {
    fn default() -> Self {
        Self { max_concurrent_requests: 8, max_requests_per_second: Some(50.0) }
    }
}

/// Rate limiting by virtual scheduling (GCRA): each request is due one interval after the
/// previous one, and may go up to `tolerance` early, which allows a burst of `rate` requests.
#[derive(Debug)]
struct Rate {
    interval: Duration,
    tolerance: Duration,
    /// When the next request is due ("theoretical arrival time").
    due: Mutex<Instant>,
}

impl Rate {
    fn new(per_second: f64) -> Self {
        let interval = Duration::from_secs_f64(1.0 / per_second);
        let burst = per_second.ceil().max(1.0);
        Self { interval, tolerance: interval.mul_f64(burst - 1.0), due: Mutex::new(Instant::now()) }
    }

    /// Takes the next slot; returns when the request may be sent.
    fn reserve(&self) -> Instant {
        let now = Instant::now();
        let mut due = self.due.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = (*due).max(now);
        *due = slot + self.interval;
        slot.checked_sub(self.tolerance).map_or(now, |at| at.max(now))
    }
}

/// The gate every request passes.
#[derive(Debug)]
pub(crate) struct Gate {
    permits: Semaphore,
    rate: Option<Rate>,
    /// Per operation: no request before this instant.
    blocked: Mutex<HashMap<&'static str, Instant>>,
    stats: Arc<ApiStats>,
}

impl Gate {
    pub(crate) fn new(limits: Politeness, stats: Arc<ApiStats>) -> Self {
        Self {
            permits: Semaphore::new(limits.max_concurrent_requests.max(1)),
            rate: limits.max_requests_per_second.filter(|r| *r > 0.0).map(Rate::new),
            blocked: Mutex::new(HashMap::new()),
            stats,
        }
    }

    /// Sends the request `send` once the limits allow, or refuses it while `operation` is
    /// under a `Retry-After`.
    pub(crate) async fn send<T>(
        &self,
        operation: &'static str,
        send: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        self.check_hold(operation)?;
        let asked = Instant::now();
        let mut waited = false;
        let _permit = match self.permits.try_acquire() {
            Ok(permit) => permit,
            Err(_) => {
                waited = true;
                self.permits.acquire().await.map_err(|_| ApiError::Transport("the API gate is closed".into()))?
            }
        };
        if let Some(rate) = &self.rate {
            let at = rate.reserve();
            if at > Instant::now() {
                waited = true;
                tokio::time::sleep_until(at).await;
            }
        }
        if waited {
            self.stats.limit_wait(asked.elapsed());
            // A 429 may have arrived while this call waited its turn: check the hold again.
            self.check_hold(operation)?;
        }
        let result = send.await;
        if let Err(ApiError::RateLimited(secs)) = &result {
            self.block(operation, Duration::from_secs(u64::from(*secs)));
        }
        result
    }

    /// `Err(RateLimited)` with the seconds left while `operation` is held (counted).
    fn check_hold(&self, operation: &'static str) -> Result<(), ApiError> {
        match self.blocked_for(operation) {
            Some(left) => {
                self.stats.retry_after_refusal(operation);
                // Round up: "retry after 0 s" would invite a retry that is refused again.
                Err(ApiError::RateLimited(u32::try_from(left.as_millis().div_ceil(1000)).unwrap_or(u32::MAX)))
            }
            None => Ok(()),
        }
    }

    fn blocked_for(&self, operation: &'static str) -> Option<Duration> {
        let blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
        let until = *blocked.get(operation)?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then_some(left)
    }

    fn block(&self, operation: &'static str, for_: Duration) {
        let until = Instant::now() + for_;
        tracing::warn!(operation, seconds = for_.as_secs(), "the potato-api asked to wait: holding this operation");
        let mut blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = blocked.entry(operation).or_insert(until);
        *entry = (*entry).max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_one_second_then_one_request_per_interval() {
        let rate = Rate::new(4.0);
        let start = Instant::now();
        let slots: Vec<Duration> = (0..8).map(|_| rate.reserve() - start).collect();
        let ms: Vec<u128> = slots.iter().map(Duration::as_millis).collect();
        // Four at once (the burst), then one every 250 ms.
        assert_eq!(ms, [0, 0, 0, 0, 250, 500, 750, 1000]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_waiting_for_its_turn_when_a_429_arrives_is_not_sent() {
        let limits = Politeness { max_concurrent_requests: 1, max_requests_per_second: None };
        let gate = Arc::new(Gate::new(limits, Arc::default()));
        let (answer, answered) = tokio::sync::oneshot::channel::<()>();
        // The first call holds the only permit until it is answered with a 429.
        let first = tokio::spawn({
            let gate = gate.clone();
            async move {
                gate.send("listFarms", async {
                    let _ = answered.await;
                    Err::<(), _>(ApiError::RateLimited(3))
                })
                .await
            }
        });
        tokio::task::yield_now().await;
        // The second waits for the permit...
        let second = tokio::spawn({
            let gate = gate.clone();
            async move { gate.send("listFarms", async { panic!("sent during the hold") }).await }
        });
        tokio::task::yield_now().await;
        let _ = answer.send(());
        assert_eq!(first.await.unwrap(), Err(ApiError::RateLimited(3)));
        // ...and once it has it, the hold that began meanwhile refuses it.
        assert_eq!(second.await.unwrap(), Err::<(), _>(ApiError::RateLimited(3)));
        let limits = Politeness { max_concurrent_requests: 8, max_requests_per_second: Some(1.0) };
        let gate = Gate::new(limits, Arc::default());
        assert_eq!(gate.send("listFarms", async { Ok(1) }).await, Ok(1));
        // This one waits a second for a rate slot; a 429 for its operation lands meanwhile.
        let waiting = gate.send("listFarms", async { panic!("sent during the hold") });
        let blocking = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            gate.block("listFarms", Duration::from_secs(5));
        };
        let (refused, ()) = tokio::join!(waiting, blocking);
        assert_eq!(refused, Err::<(), _>(ApiError::RateLimited(5)));
    }

    #[tokio::test(start_paused = true)]
    async fn an_operation_under_retry_after_is_refused_with_the_seconds_left() {
        let gate = Gate::new(Politeness::default(), Arc::default());
        let first: Result<(), _> = gate.send("listFarms", async { Err(ApiError::RateLimited(3)) }).await;
        assert_eq!(first, Err(ApiError::RateLimited(3)));
        tokio::time::advance(Duration::from_millis(1500)).await;
        let second = gate.send("listFarms", async { panic!("sent while blocked") }).await;
        assert_eq!(second, Err::<(), _>(ApiError::RateLimited(2)), "1.5 s left, rounded up");
        // Other operations are not held.
        assert_eq!(gate.send("listQueues", async { Ok(1) }).await, Ok(1));
        tokio::time::advance(Duration::from_millis(1600)).await;
        assert_eq!(gate.send("listFarms", async { Ok(2) }).await, Ok(2));
    }
}
