//! Shared calls: identical calls (same operation and arguments) within a freshness window are
//! made once and their result shared — single-flight while the request is under way, then a
//! short cache. Several probes asking for the same potatoes in the same minute cost the
//! potato-api one request.
//!
//! An answer is kept for the rest of its window only once a second probe has called its
//! operation: an operation one probe alone reads (the common case: each probe reads its own
//! data) would hold its answers for no one. Paging through 100,000 potatoes every 2 s, that
//! was 18 MB of bodies held all the time, half the host's peak memory.

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

/// Who has called an operation.
enum Readers {
    /// One probe so far: its answers are shared only while under way.
    One(Arc<str>),
    /// Two or more (at any time since start): answers are kept for the window.
    Many,
}

#[derive(Default)]
struct Table {
    cells: HashMap<String, Arc<Cell>>,
    readers: HashMap<&'static str, Readers>,
}

impl Table {
    /// Forgets `key`'s cell if it is still `cell` (a later call may have replaced it).
    fn forget(&mut self, key: &str, cell: &Arc<Cell>) {
        if self.cells.get(key).is_some_and(|c| Arc::ptr_eq(c, cell)) {
            self.cells.remove(key);
        }
    }

    /// Notes that `probe` calls `operation`.
    fn note_reader(&mut self, operation: &'static str, probe: &str) {
        match self.readers.get(operation) {
            None => {
                self.readers.insert(operation, Readers::One(Arc::from(probe)));
            }
            Some(Readers::One(first)) if &**first != probe => {
                self.readers.insert(operation, Readers::Many);
            }
            Some(_) => {}
        }
    }

    fn kept(&self, operation: &str) -> bool {
        matches!(self.readers.get(operation), Some(Readers::Many))
    }
}

/// The single-flight table.
pub(crate) struct SharedCalls {
    window: Duration,
    table: Arc<Mutex<Table>>,
    stats: Arc<ApiStats>,
}

impl SharedCalls {
    pub(crate) fn new(window: Duration, stats: Arc<ApiStats>) -> Self {
        Self { window, table: Arc::default(), stats }
    }

    /// The result of `operation` with arguments `args`, called by `probe`: shared with an
    /// identical call still under way, or made less than the window ago once a second probe
    /// has called `operation`; else fetched. Errors are shared only with the calls that waited
    /// for them, never kept.
    pub(crate) async fn call<T, Fut>(
        &self,
        operation: &'static str,
        probe: &str,
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
            let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
            table.note_reader(operation, probe);
            // Forget expired results (the table stays as small as the set of recent calls).
            table.cells.retain(|_, c| c.started.elapsed() < self.window);
            table
                .cells
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
        if missed {
            let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
            if result.is_err() || !table.kept(operation) {
                // Calls that waited for it have their clone of the answer; nothing else will.
                table.forget(&key, &cell);
            } else {
                // Let go when the window ends, not at the next call (which may be an interval
                // away): a probe paging through 100,000 potatoes every hour would otherwise
                // hold their 18 MB of bodies all hour.
                let (table, left) = (self.table.clone(), self.window);
                tokio::spawn(async move {
                    tokio::time::sleep(left.saturating_sub(cell.started.elapsed())).await;
                    table.lock().unwrap_or_else(PoisonError::into_inner).forget(&key, &cell);
                });
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> (Arc<[u8]>, std::sync::Weak<[u8]>) {
        let body: Arc<[u8]> = Arc::from(vec![7u8; 1024]);
        let weak = Arc::downgrade(&body);
        (body, weak)
    }

    #[tokio::test(start_paused = true)]
    async fn an_operation_one_probe_reads_keeps_nothing_after_its_call() {
        let shared = SharedCalls::new(Duration::from_secs(2), Arc::default());
        let (first, weak) = body();
        let got = shared.call("op", "a", "x".into(), || async move { Ok::<_, ApiError>(first) }).await.unwrap();
        drop(got);
        assert!(weak.upgrade().is_none(), "held for no one");
        let (second, _) = body();
        let again = shared.call("op", "a", "x".into(), || async move { Ok::<_, ApiError>(second) }).await;
        assert!(again.is_ok(), "fetched again");
        assert!(shared.table.lock().unwrap().cells.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn calls_under_way_are_shared_even_by_one_probe() {
        let shared = SharedCalls::new(Duration::from_secs(2), Arc::default());
        let (first, _) = body();
        let slow = || async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok::<_, ApiError>(first)
        };
        let (a, b) = tokio::join!(
            shared.call("op", "a", "x".into(), slow),
            shared.call("op", "a", "x".into(), || async { panic!("shared while under way, not fetched again") })
        );
        assert!(Arc::ptr_eq(&a.unwrap(), &b.unwrap()));
    }

    #[tokio::test(start_paused = true)]
    async fn once_a_second_probe_calls_an_operation_its_answers_are_kept_for_the_window() {
        let shared = SharedCalls::new(Duration::from_secs(2), Arc::default());
        let (first, _) = body();
        drop(shared.call("op", "a", "x".into(), || async move { Ok::<_, ApiError>(first) }).await);
        // The second probe's first call is fetched (nothing was kept) and kept from now on.
        let (second, weak) = body();
        drop(shared.call("op", "b", "x".into(), || async move { Ok::<_, ApiError>(second) }).await);
        assert!(weak.upgrade().is_some(), "kept for its window");
        for probe in ["a", "b"] {
            let got: Result<Arc<[u8]>, _> =
                shared.call("op", probe, "x".into(), || async { panic!("shared, not fetched again") }).await;
            drop(got);
        }
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert!(weak.upgrade().is_none(), "let go at the end of its window");
        assert!(shared.table.lock().unwrap().cells.is_empty());
    }
}
