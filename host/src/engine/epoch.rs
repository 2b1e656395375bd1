//! The epoch ticker: a thread that advances the engines' epochs at a fixed rate, so running
//! guests reach their epoch deadlines.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Stops its thread when dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    pub(crate) fn start(engines: Vec<wasmtime::Engine>, every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let spawned = std::thread::Builder::new().name("epoch-ticker".into()).spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                for engine in &engines {
                    engine.increment_epoch();
                }
            }
        });
        if let Err(e) = spawned {
            // Without the ticker, run timeouts still fire between host calls; log and go on.
            tracing::error!("cannot start the epoch ticker thread: {e}");
        }
        Self { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
