//! The epoch ticker: a thread that advances the engines' epochs at a fixed rate while a probe
//! runs, so running guests reach their epoch deadlines, and sleeps while none does.
//!
//! Ticking 100 times a second with nothing to interrupt was all of an idle host's CPU, and
//! 3 to 8 ms of every 2 s collection of the examples: a wake-up costs the kernel more than the
//! increment it is for. So the thread waits on a condition variable until a run starts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// Stops its thread when dropped.
pub(crate) struct EpochTicker {
    shared: Arc<Shared>,
}

/// What the thread and the runs share: how many runs are under way, and whether the thread
/// waits for one (only then does a run starting wake it: a wake-up is a system call, and most
/// runs start while the thread is between two ticks anyway).
#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    running: Mutex<Running>,
    wake: Condvar,
}

#[derive(Default)]
struct Running {
    runs: usize,
    parked: bool,
}

impl Shared {
    fn running(&self) -> MutexGuard<'_, Running> {
        // A count kept whole under the lock (no code that can panic runs while it is held).
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A handle runs use to keep the epochs advancing while they last.
#[derive(Clone)]
pub(crate) struct Ticking(Arc<Shared>);

/// Keeps the epochs advancing until dropped.
pub(crate) struct Run(Arc<Shared>);

impl EpochTicker {
    pub(crate) fn start(engines: Vec<wasmtime::Engine>, every: Duration) -> Self {
        let shared = Arc::new(Shared::default());
        let thread = shared.clone();
        let spawned = std::thread::Builder::new().name("epoch-ticker".into()).spawn(move || {
            loop {
                {
                    let mut running = thread.running();
                    while running.runs == 0 && !thread.stop.load(Ordering::Relaxed) {
                        running.parked = true;
                        running = thread.wake.wait(running).unwrap_or_else(|e| e.into_inner());
                    }
                    running.parked = false;
                }
                if thread.stop.load(Ordering::Relaxed) {
                    return;
                }
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
        Self { shared }
    }

    /// The handle runs keep the ticker going with.
    pub(crate) fn ticking(&self) -> Ticking {
        Ticking(self.shared.clone())
    }
}

impl Ticking {
    /// Keeps the epochs advancing until the answer is dropped (for a run's length).
    pub(crate) fn run(&self) -> Run {
        let mut running = self.0.running();
        running.runs += 1;
        if running.parked {
            self.0.wake.notify_one();
        }
        Run(self.0.clone())
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let mut running = self.0.running();
        running.runs = running.runs.saturating_sub(1);
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        let _held = self.shared.running();
        self.shared.wake.notify_one();
    }
}
