//! Shared calls: identical calls (same operation and arguments) within a freshness window are
//! made once and their result shared — single-flight while the request is under way, then a
//! short cache. Several probes asking for the same potatoes in the same minute cost the
//! potato-api one request.

use super::{ApiError, ApiStats};
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

type Shared = Arc<dyn Any + Send + Sync>;

struct Cell {
    started: Instant,
    value: OnceCell<Shared>,
}

/// The single-flight table.
pub(crate) struct SharedCalls {
    window: Duration,
    cells: Arc<Mutex<HashMap<String, Arc<Cell>>>>,
    stats: Arc<ApiStats>,
}

impl SharedCalls {
    pub(crate) fn new(window: Duration, stats: Arc<ApiStats>) -> Self {
        Self { window, cells: Arc::default(), stats }
    }

    /// The result of `operation` with arguments `args`: shared with an identical call made less
    /// than the window ago (or still under way), else fetched. Errors are shared only with the
    /// calls that waited for them, never cached.
    pub(crate) async fn call<T, Fut>(
        &self,
        operation: &'static str,
        args: String,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<T, ApiError>
    where
        T: Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        if self.window.is_zero() {
            self.stats.call(operation, false);
            return fetch().await;
        }
        let key = format!("{operation}({args})");
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            // Forget expired results (the table stays as small as the set of recent calls).
            cells.retain(|_, c| c.started.elapsed() < self.window);
            cells
                .entry(key.clone())
                .or_insert_with(|| Arc::new(Cell { started: Instant::now(), value: OnceCell::new() }))
                .clone()
        };
        let mut missed = false;
        let value = cell
            .value
            .get_or_init(|| {
                missed = true;
                async move { Arc::new(fetch().await) as Shared }
            })
            .await;
        self.stats.call(operation, !missed);
        if missed {
            // The answer is let go when its window ends, not at the next call (which may be an
            // interval away): a probe paging through 100,000 potatoes every hour would
            // otherwise hold their 18 MB of bodies all hour.
            let (cells, key, cell, left) = (self.cells.clone(), key.clone(), cell.clone(), self.window);
            tokio::spawn(async move {
                tokio::time::sleep(left.saturating_sub(cell.started.elapsed())).await;
                let mut cells = cells.lock().unwrap_or_else(PoisonError::into_inner);
                if cells.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                    cells.remove(&key);
                }
            });
        }
        let result = value.downcast_ref::<Result<T, ApiError>>().cloned().unwrap_or_else(|| {
            Err(ApiError::InvalidResponse(format!("internal: shared result of {operation} has another type")))
        });
        if result.is_err() {
            let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            if cells.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                cells.remove(&key);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_answer_is_let_go_when_its_window_ends_without_another_call() {
        let shared = SharedCalls::new(Duration::from_secs(2), Arc::default());
        let body: Arc<[u8]> = Arc::from(vec![7u8; 1024]);
        let weak = Arc::downgrade(&body);
        let got = shared.call("op", "a".into(), || async move { Ok::<_, ApiError>(body) }).await.unwrap();
        drop(got);
        assert!(weak.upgrade().is_some(), "kept for its window");
        let again: Result<Arc<[u8]>, _> =
            shared.call("op", "a".into(), || async { panic!("shared, not fetched again") }).await;
        drop(again);
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert!(weak.upgrade().is_none(), "let go at the end of its window");
        assert!(shared.cells.lock().unwrap().is_empty());
    }
}
