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
    cells: Mutex<HashMap<String, Arc<Cell>>>,
    stats: Arc<ApiStats>,
}

impl SharedCalls {
    pub(crate) fn new(window: Duration, stats: Arc<ApiStats>) -> Self {
        Self { window, cells: Mutex::new(HashMap::new()), stats }
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
