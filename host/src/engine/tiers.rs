//! Two compilers and the swap between them.
//!
//! Cranelift makes fast code slowly: an 18 MB Python component takes seconds of both cores, and
//! every probe waited for it before its first run. Winch, wasmtime's baseline compiler, makes
//! slower code about four times faster. In [`Compiler::Tiered`] (the default) a probe is loaded
//! with Winch and runs at once, while one background thread compiles it again with Cranelift and
//! swaps the optimized code in; runs already going finish on the code they started with.
//!
//! After a restart a probe whose optimized code is in the compile cache is loaded with it
//! directly: the optimizer leaves a mark ([`Marks`]) beside the cache for every component it
//! has compiled, since wasmtime's cache cannot be asked what it holds without compiling on a
//! miss.
//!
//! Both tiers are full engines with the same limits (memory reservation, pool, epoch deadlines,
//! hostcall fuel): only the code generator differs, so every containment promise holds on
//! either. A component Winch cannot compile (a feature it does not support, such as tail
//! calls) is compiled with Cranelift straight away.

use super::bindings::ProbePre;
use super::state::RunState;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock, Weak};
use std::time::Instant;
use wasmtime::component::Linker;

/// Which compiler makes a probe's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compiler {
    /// Winch first, so the probe runs within a second or two of loading; Cranelift in the
    /// background, swapped in when it is done.
    #[default]
    Tiered,
    /// Cranelift only: a load waits for the optimized code.
    Optimizing,
    /// Winch only: fastest to load, slower to run. For one-off runs (`once`, `check`).
    Baseline,
}

/// One compiler's engine and the linker holding the host's imports for it.
#[derive(Clone)]
pub(crate) struct Tier {
    pub engine: wasmtime::Engine,
    pub linker: Linker<RunState>,
    /// The target's functions as a load checks a probe's import of them (none without a target).
    pub views: Option<Arc<super::views::Views>>,
}

/// A component compiled and linked by one tier, ready to instantiate.
#[derive(Clone)]
pub(crate) struct Compiled {
    pub pre: ProbePre<RunState>,
    pub engine: wasmtime::Engine,
}

/// The code a probe runs, shared by every probe that runs the same component; the optimizer
/// replaces it once.
pub(crate) struct Code {
    current: RwLock<Compiled>,
    optimized: Arc<AtomicBool>,
}

impl Code {
    pub fn new(compiled: Compiled, optimized: bool) -> Arc<Self> {
        Arc::new(Self { current: RwLock::new(compiled), optimized: Arc::new(AtomicBool::new(optimized)) })
    }

    /// The code to start the next run with.
    pub fn current(&self) -> Compiled {
        // A poisoned lock can only come from a panic while swapping two clones: the value
        // inside is whole either way.
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether the optimized code is in use (a flag the status can hold on to).
    pub fn optimized(&self) -> Arc<AtomicBool> {
        self.optimized.clone()
    }

    fn swap(&self, compiled: Compiled) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = compiled;
        self.optimized.store(true, Ordering::Release);
    }
}

/// Which components' optimized code the compile cache holds: one empty file per component,
/// named by the SHA-256 of its bytes and of the optimizing engine's settings and version (a
/// new host version or setting finds no marks, and starts on baseline code again).
///
/// A mark is only a hint about what to load with: if the cache lost the code since (its
/// cleanup removed it, or someone deleted files), the load compiles with the optimizing
/// compiler, as a host without tiering would. The code itself is only ever read through
/// wasmtime's cache, which checks it belongs to this engine.
#[derive(Debug, Clone)]
pub(crate) struct Marks {
    dir: PathBuf,
    engine: [u8; 32],
}

impl Marks {
    pub fn new(dir: PathBuf, engine: &wasmtime::Engine) -> Self {
        use sha2::Digest as _;
        use std::hash::{Hash as _, Hasher as _};
        // The engine's compatibility hash is only exposed as `Hash`: feed it through a
        // hasher that writes every byte it is given into SHA-256.
        struct Feed(sha2::Sha256);
        impl std::hash::Hasher for Feed {
            fn finish(&self) -> u64 {
                0
            }
            fn write(&mut self, bytes: &[u8]) {
                self.0.update(bytes);
            }
        }
        let mut feed = Feed(sha2::Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut feed);
        feed.write(env!("CARGO_PKG_VERSION").as_bytes());
        Self { dir, engine: feed.0.finalize().into() }
    }

    fn path(&self, bytes: &[u8]) -> PathBuf {
        use sha2::Digest as _;
        let mut digest = sha2::Sha256::new();
        digest.update(self.engine);
        digest.update(bytes);
        let hex: String = digest.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(hex)
    }

    /// Whether the optimizer compiled these bytes (so the cache should hold their code).
    pub fn has(&self, bytes: &[u8]) -> bool {
        self.path(bytes).exists()
    }

    fn mark(&self, bytes: &[u8]) {
        let written = std::fs::create_dir_all(&self.dir).and_then(|()| std::fs::write(self.path(bytes), b""));
        if let Err(e) = written {
            // Only the next start pays: it begins on baseline code again.
            tracing::warn!("cannot record optimized code in {}: {e}", self.dir.display());
        }
    }
}

/// A component waiting for its optimized code. Smaller components go first: they are done in
/// milliseconds and then run at full speed while the large ones compile.
struct Job {
    name: Arc<str>,
    bytes: Arc<[u8]>,
    code: Weak<Code>,
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.bytes.len() == other.bytes.len()
    }
}
impl Eq for Job {}
impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Job {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bytes.len().cmp(&other.bytes.len())
    }
}

#[derive(Default)]
struct Queue {
    jobs: BinaryHeap<Reverse<Job>>,
    /// Loads under way: the optimizer waits for them, so that every probe gets its first
    /// code before any probe gets its second.
    loading: usize,
    stopped: bool,
}

/// One background thread compiling queued components with Cranelift, one at a time, at the
/// lowest priority: it takes at most one core (the optimizing engine compiles without a thread
/// pool), and only what the probes and the scrapes leave. Stops when dropped.
pub(crate) struct Optimizer {
    queue: Arc<(Mutex<Queue>, Condvar)>,
}

impl Optimizer {
    pub fn start(tier: Tier, marks: Option<Marks>) -> Self {
        let queue: Arc<(Mutex<Queue>, Condvar)> = Arc::default();
        let shared = queue.clone();
        let spawned = std::thread::Builder::new().name("optimizer".into()).spawn(move || {
            // The lowest priority (niceness 19 on Linux): the optimizer gets the CPU that loads,
            // runs and scrapes leave over. Without it, a cold start of the examples was ready
            // a second later, the optimizer compiling while the last probes still loaded.
            if let Err(e) = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min) {
                tracing::debug!("optimizer thread keeps its priority: {e:?}");
            }
            while let Some(job) = next(&shared) {
                optimize(&tier, marks.as_ref(), job);
            }
        });
        if let Err(e) = spawned {
            // Probes then keep running their baseline code: slower, but correct.
            tracing::error!("cannot start the optimizer thread, probes keep their baseline code: {e}");
        }
        Self { queue }
    }

    /// Queues `bytes` for optimized code, to be swapped into `code` (skipped if no probe runs
    /// that code any more by then).
    pub fn enqueue(&self, name: &str, bytes: &[u8], code: &Arc<Code>) {
        let (lock, wake) = &*self.queue;
        let job = Job { name: name.into(), bytes: bytes.into(), code: Arc::downgrade(code) };
        lock.lock().unwrap_or_else(|e| e.into_inner()).push(job);
        wake.notify_one();
    }
}

impl Optimizer {
    /// Holds the optimizer back until the returned guard is dropped (a load is under way).
    pub fn hold(&self) -> Hold {
        self.queue.0.lock().unwrap_or_else(|e| e.into_inner()).loading += 1;
        Hold { queue: self.queue.clone() }
    }
}

/// A load under way (see [`Optimizer::hold`]).
pub(crate) struct Hold {
    queue: Arc<(Mutex<Queue>, Condvar)>,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let (lock, wake) = &*self.queue;
        let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
        q.loading = q.loading.saturating_sub(1);
        wake.notify_one();
    }
}

impl Drop for Optimizer {
    fn drop(&mut self) {
        let (lock, wake) = &*self.queue;
        lock.lock().unwrap_or_else(|e| e.into_inner()).stopped = true;
        wake.notify_one();
    }
}

impl Queue {
    /// Queues `job`. Jobs whose code no probe runs any more (replaced while a long compile ran)
    /// would only hold a copy of their component until their turn: they are dropped now.
    fn push(&mut self, job: Job) {
        self.jobs.retain(|Reverse(waiting)| waiting.code.strong_count() > 0);
        self.jobs.push(Reverse(job));
    }
}

fn next(queue: &(Mutex<Queue>, Condvar)) -> Option<Job> {
    let (lock, wake) = queue;
    let mut q = lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if q.stopped {
            return None;
        }
        if q.loading == 0
            && let Some(Reverse(job)) = q.jobs.pop()
        {
            return Some(job);
        }
        q = wake.wait(q).unwrap_or_else(|e| e.into_inner());
    }
}

fn optimize(tier: &Tier, marks: Option<&Marks>, job: Job) {
    // Nobody runs this code any more (the probe was removed or replaced): nothing to do.
    if job.code.strong_count() == 0 {
        return;
    }
    let started = Instant::now();
    match super::compile_with(tier, &job.bytes) {
        Ok(compiled) => {
            if let Some(marks) = marks {
                marks.mark(&job.bytes);
            }
            if let Some(code) = job.code.upgrade() {
                code.swap(compiled);
                tracing::info!(probe = %job.name, took = ?started.elapsed(), "optimized code in use");
            }
        }
        // The baseline code linked, so this is a compiler limit, not the probe's fault: it
        // keeps running what it has.
        Err(e) => tracing::warn!(probe = %job.name, "optimized compile failed, keeping the baseline code: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queued_job_whose_code_is_gone_is_dropped_with_its_bytes() {
        let mut queue = Queue::default();
        let job = |name: &str| Job { name: name.into(), bytes: vec![0u8; 1 << 20].into(), code: Weak::new() };
        // Both replaced: nothing runs their code.
        queue.push(job("old"));
        queue.push(job("newer"));
        let names: Vec<String> = queue.jobs.iter().map(|Reverse(j)| j.name.to_string()).collect();
        assert_eq!(names, ["newer"], "the replaced version's copy is not kept");
    }
}
