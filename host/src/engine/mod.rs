//! The engine: the only module that touches wasmtime.
//!
//! Everything else sees three things: [`Engine`] (one per process), [`Engine::load`] which turns
//! component bytes into a [`Probe`], and [`Probe::run`] which runs one `collect` in a fresh,
//! sandboxed instance. This mirrors Spin's `spin-core`: a small async-only API, so the
//! scheduler, CLI and tests never depend on engine details.

mod bindings;
mod epoch;
mod families;
mod guest_errors;
mod imports;
mod limits;
mod output;
mod scan;
mod scratch;
mod state;
mod tape;
mod target;
mod tiers;
mod views;
pub use tiers::Compiler;
use tiers::{Code, Compiled, Marks, Optimizer, Tier};
pub mod values;
pub use target::{Call, CallFuture, Caller, NoApi, Target};

use crate::model::MetricFamily;
use crate::outcome::RunOutcome;
use bindings::ProbePre;
use epoch::{EpochTicker, Ticking};
use output::CapturedOutput;
pub use scratch::Scratch;
use state::RunState;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{
    Cache, CacheConfig, Config, InstanceAllocationStrategy, PoolingAllocationConfig, Strategy, UpdateDeadline,
};
use wasmtime_wasi::WasiCtxBuilder;

/// The WIT world every probe is built against.
pub const WORLD: &str = "probe-host:probe/probe@0.1.2";

/// Bytes of a probe's stdout/stderr kept per run; the rest is dropped (and said so in the log).
const OUTPUT_CAPTURE_BYTES: usize = 16 * 1024;

/// Bytes of a probe's `log` lines forwarded per run (each line counting [`LOG_LINE_OVERHEAD`]
/// more); past it, lines are dropped and one line in the log says how much.
pub const LOG_BUDGET_BYTES: usize = 16 * 1024;

/// What one log line costs the budget beyond its text: an empty line is not free.
pub const LOG_LINE_OVERHEAD: usize = 64;

/// Bytes of an error message a probe returns that the host keeps (and logs and shows); the
/// rest is dropped as soon as the run ends, and the kept text says how much.
pub const MAX_ERROR_BYTES: usize = 4096;

/// How many bytes of host memory copying a run's result out of the probe may take, per byte
/// of its `max_output_size`: well above what any output under the cap needs (host records are
/// larger than the text they expose), far below what a run could otherwise make the host
/// allocate. Past it the run fails as `invalid_output`.
const LIFT_BYTES_PER_OUTPUT_BYTE: usize = 16;

/// Why a component could not become a probe. Names the cause in plain words.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    #[error(
        "a core WebAssembly module, not a component: build the probe for wasm32-wasip2 (or wrap \
         the module with `wasm-tools component new`)"
    )]
    CoreModule,
    #[error("does not fit the world {WORLD}: {0}")]
    WorldMismatch(String),
}

/// Why one run failed. The kinds are a bounded set, usable as a label value.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("timed out after {0:?} (wall clock)")]
    Timeout(Duration),
    #[error("used more than its {0:?} of CPU time")]
    Cpu(Duration),
    #[error("ran out of memory: {0}")]
    Memory(String),
    #[error("trapped: {0}")]
    Trap(String),
    #[error("made more than its {0} API calls in one run")]
    ApiLimit(u32),
    #[error("collect returned an error after an API call failed: {0}")]
    ApiError(String),
    #[error("collect returned an error: {0}")]
    ProbeError(String),
    #[error("invalid output: {0}")]
    InvalidOutput(String),
}

impl RunError {
    /// The run's outcome (the `result` label).
    pub fn kind(&self) -> RunOutcome {
        match self {
            RunError::Timeout(_) => RunOutcome::Timeout,
            RunError::Cpu(_) => RunOutcome::Cpu,
            RunError::Memory(_) => RunOutcome::Memory,
            RunError::Trap(_) => RunOutcome::Trap,
            RunError::ApiLimit(_) => RunOutcome::ApiLimit,
            RunError::ApiError(_) => RunOutcome::ApiError,
            RunError::ProbeError(_) => RunOutcome::ProbeError,
            RunError::InvalidOutput(_) => RunOutcome::InvalidOutput,
        }
    }
}

/// Per-run inputs.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub config: Arc<BTreeMap<String, String>>,
    pub limits: RunLimits,
    /// The scratch space as the last successful run left it.
    pub scratch: Scratch,
    /// The operations (operationIds) the probe may call; `None`: all.
    pub allow: Option<Arc<[String]>>,
    /// Counts calls refused because they were not in `allow` (shared with the self-metrics).
    pub denied: Arc<std::sync::atomic::AtomicU64>,
}

impl RunContext {
    /// A run under `limits` with no settings, an empty scratch space and every operation
    /// allowed (what `once` and the tests start from).
    pub fn with_limits(limits: RunLimits) -> Self {
        Self { config: Arc::default(), limits, scratch: Scratch::default(), allow: None, denied: Arc::default() }
    }
}

/// What one run may use.
#[derive(Debug, Clone, Copy)]
pub struct RunLimits {
    /// Wall-clock limit for the whole run, host calls included.
    pub timeout: Duration,
    /// CPU time in guest code (measured in epoch ticks while the guest runs).
    pub cpu: Duration,
    /// Cap on the instance's linear memories.
    pub memory_bytes: usize,
    /// Target API calls allowed; the call past it traps.
    pub max_api_calls: u32,
    /// Metric families a run may return (named in the error when a result is too big to copy).
    pub max_families: usize,
    /// Samples over all families (named in the error when a result is too big to copy).
    pub max_samples: usize,
    /// The run's output cap in bytes (`max_output_size`): bounds the host memory that copying
    /// the result out of the probe may take.
    pub max_output_bytes: usize,
}

/// The outcome of a successful run.
#[derive(Debug)]
pub struct RunOutput {
    pub families: Vec<MetricFamily>,
    /// How many target API calls the probe made.
    pub api_calls: u32,
    /// The scratch space as this run left it, for the next run.
    pub scratch: Scratch,
}

/// wasmtime engines configured for probes (one per compiler, see [`Compiler`]), with the
/// linkers holding the host's imports.
pub struct Engine {
    /// Cranelift: the code probes end up running.
    optimizing: Tier,
    /// Winch, what a load compiles with first (`None` with [`Compiler::Optimizing`]).
    baseline: Option<Tier>,
    /// Compiles baseline-loaded probes again with Cranelift ([`Compiler::Tiered`] only).
    optimizer: Option<Optimizer>,
    /// The components whose optimized code the compile cache holds ([`Compiler::Tiered`] with
    /// a cache only).
    marks: Option<Marks>,
    compile_cache: Option<Cache>,
    ticker: EpochTicker,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

/// Pool sizing per component: generous for what `wasm32-wasip2` toolchains emit (Rust: one or
/// two core instances and one memory; Python and JS components link a few more).
const CORE_INSTANCES_PER_COMPONENT: u32 = 32;
const MEMORIES_PER_COMPONENT: u32 = 4;
/// The most pooled memories that each reserve 4 GiB of address space (so that probes' code
/// needs no bounds checks): 2 TiB of the 128 TiB a process can address, 128 concurrent runs.
/// A larger pool (or one whose mapping fails) reserves only each probe's `memory` and the
/// code checks bounds.
const MAX_UNCHECKED_MEMORIES: u32 = 512;
const TABLES_PER_COMPONENT: u32 = 16;

/// How much of a pooled slot's memory is reset in place rather than unmapped after a run.
const KEEP_RESIDENT_BYTES: usize = 1 << 20;

/// How often the epoch advances; a running guest yields to the async runtime at each tick, so a
/// busy loop cannot hold a worker thread past its run's timeout.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// A live view of the compile cache's counters.
#[derive(Debug, Clone)]
pub struct CompileCacheStats(Cache);

impl CompileCacheStats {
    /// `(hits, misses)`: components found compiled on disk, and compiled afresh.
    pub fn counts(&self) -> (u64, u64) {
        (self.0.cache_hits() as u64, self.0.cache_misses() as u64)
    }
}

/// What the engine is sized for.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// How many probes may run at the same time (each runs one instance at a time).
    pub max_concurrent_runs: u32,
    /// The largest memory limit of any probe.
    pub max_memory_bytes: usize,
    /// Where compiled components are kept between starts (`None`: compile every time).
    pub cache_dir: Option<PathBuf>,
    /// Instances from a pre-sized pool (slots reused, memories reset copy-on-write) rather
    /// than allocated per run. On by default; off only to measure what the pool saves.
    pub pooling: bool,
    /// The target API whose functions probes import, served from its OpenAPI document
    /// (`None`: none; a probe that imports an API then fails to load, naming the import).
    pub target: Option<Target>,
    /// Which compiler makes the probes' code.
    pub compiler: Compiler,
    /// How the target's functions pass values to probes.
    pub lowering: Lowering,
}

/// How the target's functions pass values to probes: by typed lifting and lowering straight
/// between bodies' tapes and the guest's memory (the default), or through wasmtime's dynamic
/// `Val` trees, as before it (for comparing the two: `PROBE_HOST_VAL_LOWERING=1` sets it for
/// the binary; and a way back should a guest meet a difference).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lowering {
    #[default]
    Typed,
    Val,
}

impl Lowering {
    /// `Val` when `PROBE_HOST_VAL_LOWERING` is set to anything but `0` or nothing.
    pub fn from_env() -> Self {
        match std::env::var_os("PROBE_HOST_VAL_LOWERING") {
            Some(v) if !v.is_empty() && v != "0" => Lowering::Val,
            _ => Lowering::Typed,
        }
    }
}

impl EngineSettings {
    /// Room for `probes` probes (and some headroom for probes added later), each with at most
    /// `max_memory_bytes` of linear memory.
    pub fn for_probes(probes: usize, max_memory_bytes: usize) -> Self {
        let runs = u32::try_from(probes).unwrap_or(u32::MAX).saturating_mul(2).max(16);
        Self {
            max_concurrent_runs: runs,
            max_memory_bytes,
            cache_dir: None,
            pooling: true,
            target: None,
            compiler: Compiler::default(),
            lowering: Lowering::from_env(),
        }
    }
}

impl Engine {
    /// Creates the engine and links WASI (empty context) and the probe world's imports.
    ///
    /// Instances come from wasmtime's pooling allocator, sized from `settings`: a fresh instance
    /// per run then costs microseconds (slots are reused, memories reset copy-on-write).
    ///
    /// # Errors
    /// If wasmtime rejects the configuration (for example on an unsupported CPU, or when the
    /// pool cannot reserve its virtual memory).
    pub fn new(settings: EngineSettings) -> anyhow::Result<Self> {
        let mut compile_cache = None;
        if let Some(dir) = &settings.cache_dir {
            // wasmtime's cache keys each artifact by the component's bytes, the compiler and
            // its settings: an unchanged probe is not compiled again after a restart, by
            // either compiler.
            let mut cache = CacheConfig::new();
            // A directory of its own: wasmtime's cache cleans up files it does not know, and
            // the OCI cache lives beside it (`<cache_dir>/oci`).
            cache.with_directory(dir.join("compiled"));
            match Cache::new(cache) {
                Ok(cache) => compile_cache = Some(cache),
                Err(e) => tracing::warn!("compile cache disabled: cannot use {}: {e:#}", dir.display()),
            }
        }
        let tiered = settings.compiler == Compiler::Tiered;
        // In the background the optimizing compiler takes one core, not all of them: the
        // probes (on their baseline code) and the scrapes keep the rest.
        // Both tiers read the target's answers into one set of kept values, under one budget.
        let lately = Arc::new(tape::Kept::new(target::REUSE_MAX_BYTES));
        let optimizing = tier(&settings, Strategy::Cranelift, !tiered, compile_cache.as_ref(), &lately)?;
        let baseline = match settings.compiler {
            Compiler::Optimizing => None,
            // Tiered, the baseline code is needed only until the optimized code is in (and a
            // restart loads the optimized code): not cached, since storing it (wasmtime
            // compresses what it stores) took 1.5 s of a 4 s cold start of the examples.
            Compiler::Tiered => Some(tier(&settings, Strategy::Winch, true, None, &lately)?),
            Compiler::Baseline => Some(tier(&settings, Strategy::Winch, true, compile_cache.as_ref(), &lately)?),
        };
        let marks = match (tiered, &settings.cache_dir, &compile_cache) {
            (true, Some(dir), Some(_)) => Some(Marks::new(dir.join("optimized"), &optimizing.engine)),
            _ => None,
        };
        let optimizer = tiered.then(|| Optimizer::start(optimizing.clone(), marks.clone()));
        let mut engines = vec![optimizing.engine.clone()];
        engines.extend(baseline.as_ref().map(|b| b.engine.clone()));
        let ticker = EpochTicker::start(engines, EPOCH_TICK);
        Ok(Self { optimizing, baseline, optimizer, marks, compile_cache, ticker })
    }

    /// Compile-cache hits and misses so far (`None` without a cache directory).
    pub fn compile_cache(&self) -> Option<CompileCacheStats> {
        self.compile_cache.clone().map(CompileCacheStats)
    }

    /// Compiles `bytes` and links it against the host's world, once; every run reuses the
    /// result. CPU-heavy for large components: call it off the async runtime's threads.
    ///
    /// # Errors
    /// [`LoadError::NotAComponent`] if the bytes are not a valid component,
    /// [`LoadError::WorldMismatch`] if it imports something the host does not provide or does
    /// not export `collect` with the right type.
    pub fn load(&self, name: &str, bytes: &[u8]) -> Result<Probe, LoadError> {
        let _hold = self.optimizer.as_ref().map(Optimizer::hold);
        let (component, tier) = if self.marks.as_ref().is_some_and(|m| m.has(bytes)) {
            // Optimized before: the cache has the code.
            (self.compile_optimized(bytes)?, &self.optimizing)
        } else {
            self.compile(bytes)?
        };
        let compiled = link(tier, &component)?;
        let optimized = std::ptr::eq(tier, &self.optimizing);
        let code = Code::new(compiled, optimized);
        if let (false, Some(optimizer)) = (optimized, &self.optimizer) {
            optimizer.enqueue(name, bytes, &code);
        }
        Ok(Probe { name: name.into(), code, ticking: self.ticker.ticking() })
    }
}

/// What a component imports and exports, and whether it fits the host's world.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// Import names, e.g. `potato:api/potatoes@0.1.0`.
    pub imports: Vec<String>,
    /// Export names, e.g. `collect`.
    pub exports: Vec<String>,
    /// `Err` with wasmtime's reason when linking against the host's world fails.
    pub fits: Result<(), String>,
}

impl Engine {
    /// Compiles `bytes` (through the compile cache) and reports its imports and exports, and
    /// whether it links against the host's world, without running it.
    ///
    /// # Errors
    /// When the bytes are not a component at all.
    pub fn inspect(&self, bytes: &[u8]) -> Result<Inspection, LoadError> {
        let (component, tier) = self.compile(bytes)?;
        let ty = component.component_type();
        let imports = ty.imports(&tier.engine).map(|(name, _)| name.to_string()).collect();
        let exports = ty.exports(&tier.engine).map(|(name, _)| name.to_string()).collect();
        let fits = link(tier, &component).map(|_| ()).map_err(|e| match e {
            LoadError::WorldMismatch(why) => why,
            other => other.to_string(),
        });
        Ok(Inspection { imports, exports, fits })
    }

    /// Compiles with the first tier that can: Winch unless the engine only optimizes, and
    /// Cranelift for what Winch does not support.
    fn compile(&self, bytes: &[u8]) -> Result<(Component, &Tier), LoadError> {
        check_header(bytes)?;
        if let Some(baseline) = &self.baseline {
            match Component::new(&baseline.engine, bytes) {
                Ok(component) => return Ok((component, baseline)),
                // Either not valid at all (Cranelift says so too, below) or using something
                // Winch does not compile (tail calls, some SIMD): the optimizing compiler then.
                Err(e) => tracing::debug!("baseline compiler refused the component: {}", root_cause(&e)),
            }
        }
        Ok((self.compile_optimized(bytes)?, &self.optimizing))
    }

    fn compile_optimized(&self, bytes: &[u8]) -> Result<Component, LoadError> {
        check_header(bytes)?;
        Component::new(&self.optimizing.engine, bytes).map_err(|e| LoadError::NotAComponent(root_cause(&e)))
    }
}

/// The header says which kind of binary this is; names the common mistake plainly.
fn check_header(bytes: &[u8]) -> Result<(), LoadError> {
    match bytes.get(..8) {
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => Err(LoadError::CoreModule),
        Some([0, b'a', b's', b'm', ..]) => Ok(()),
        _ => Err(LoadError::NotAComponent("the file does not start with the WebAssembly magic bytes".into())),
    }
}

/// The configuration both tiers share (limits, pool, cache), with `strategy`'s code generator.
fn tier(
    settings: &EngineSettings,
    strategy: Strategy,
    parallel: bool,
    cache: Option<&Cache>,
    lately: &Arc<tape::Kept>,
) -> anyhow::Result<Tier> {
    let mut config = Config::new();
    config.strategy(strategy);
    config.parallel_compilation(parallel);
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    if std::env::var_os("PROBE_HOST_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    let slots = settings.max_concurrent_runs;
    let memory = settings.max_memory_bytes.next_multiple_of(64 << 10);
    // Only what a probe may use is reserved, and the compiled code checks every access...
    config.memory_reservation(memory as u64);
    config.memory_reservation_for_growth(0);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(CORE_INSTANCES_PER_COMPONENT))
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .total_memories(slots.saturating_mul(MEMORIES_PER_COMPONENT))
        .max_memories_per_component(MEMORIES_PER_COMPONENT)
        .total_tables(slots.saturating_mul(TABLES_PER_COMPONENT))
        .max_tables_per_component(TABLES_PER_COMPONENT)
        .table_elements(limits::MAX_TABLE_ELEMENTS)
        .max_memory_size(memory)
        .total_stacks(slots)
        // Reset a returned slot by rewriting its first pages instead of unmapping them, so
        // the next run on it does not fault them back in: most probes touch well under
        // 1 MiB of memory per run. (Only the first pages; the rest is still unmapped.)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_BYTES / 16)
        .async_stack_keep_resident(KEEP_RESIDENT_BYTES / 8)
        // Linux ≥ 6.7: reset only the pages a run dirtied.
        .pagemap_scan(wasmtime::Enabled::Auto);
    if settings.pooling {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    config.cache(cache.cloned());
    // ...unless the pool can reserve, for each memory, all a 32-bit memory can address
    // (address space, not memory: the pool's `max_memory_size` and the limiter bound what is
    // used). Every access is then in range or faults, and the code checks no bounds: 11 % less
    // CPU per run of the inventory example (docs/performance.md, section 8). Not for a pool so
    // large it would reserve terabytes, and not where the address space is limited (`ulimit
    // -v`, valgrind): the pool's mapping fails at once, and the tight reservation is used.
    let unchecked = settings.pooling && slots.saturating_mul(MEMORIES_PER_COMPONENT) <= MAX_UNCHECKED_MEMORIES;
    let whole = unchecked.then(|| {
        let mut whole = config.clone();
        whole.memory_reservation(1 << 32);
        wasmtime::Engine::new(&whole)
    });
    let engine = match whole {
        Some(Ok(engine)) => engine,
        Some(Err(e)) => {
            tracing::info!(
                "probe memories reserve only their limit, and probes' {strategy:?} code checks bounds: {e:#}"
            );
            wasmtime::Engine::new(&config)?
        }
        None => wasmtime::Engine::new(&config)?,
    };
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    // The host's own interfaces as generated from the world, the target's from its document.
    use bindings::probe_host::probe::{config, log, metrics, scratch};
    metrics::add_to_linker::<_, HasSelf<RunState>>(&mut linker, |s| s)?;
    log::add_to_linker::<_, HasSelf<RunState>>(&mut linker, |s| s)?;
    config::add_to_linker::<_, HasSelf<RunState>>(&mut linker, |s| s)?;
    scratch::add_to_linker::<_, HasSelf<RunState>>(&mut linker, |s| s)?;
    let views = match &settings.target {
        Some(target) => {
            let schema = Arc::new(values::Schema::new(&target.api));
            target::link(&mut linker, target, &schema, lately, settings.lowering)?;
            Some(Arc::new(views::Views::new(&target.api, &schema, settings.lowering)))
        }
        None => None,
    };
    Ok(Tier { engine, linker, views })
}

/// Links a compiled component against the host's world.
fn link(tier: &Tier, component: &Component) -> Result<Compiled, LoadError> {
    let pre = tier.linker.instantiate_pre(component).map_err(|e| LoadError::WorldMismatch(root_cause(&e)))?;
    let pre = ProbePre::new(pre).map_err(|e| LoadError::WorldMismatch(root_cause(&e)))?;
    if let Some(views) = &tier.views {
        views.check(&tier.engine, component).map_err(LoadError::WorldMismatch)?;
    }
    Ok(Compiled { pre, engine: tier.engine.clone() })
}

/// Compiles and links `bytes` with one tier (the optimizer's way in).
fn compile_with(tier: &Tier, bytes: &[u8]) -> Result<Compiled, LoadError> {
    let component = Component::new(&tier.engine, bytes).map_err(|e| LoadError::NotAComponent(root_cause(&e)))?;
    link(tier, &component)
}

/// A compiled, linked probe. Cheap to share; each [`Probe::run`] gets a fresh instance.
#[derive(Clone)]
pub struct Probe {
    name: Arc<str>,
    code: Arc<Code>,
    /// Keeps the epochs advancing while a run of it lasts.
    ticking: Ticking,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe").field("name", &self.name).finish_non_exhaustive()
    }
}

impl Probe {
    /// The probe's name (from its file name or config).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same compiled component under another probe's name: probes that run one component
    /// (with different settings) share its code instead of each loading a copy.
    pub fn with_name(&self, name: &str) -> Probe {
        Probe { name: name.into(), code: self.code.clone(), ticking: self.ticking.clone() }
    }

    /// Whether the probe runs optimized code yet: a flag that turns true once, when the
    /// optimizer swaps its code (see [`Compiler`]).
    pub fn optimized(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.code.optimized()
    }

    /// Runs `collect` once in a fresh store and instance.
    ///
    /// # Errors
    /// A [`RunError`] saying why: timeout, memory, trap, or the probe's own error. Output
    /// validation is the caller's job.
    pub async fn run(&self, ctx: RunContext) -> Result<RunOutput, RunError> {
        let limits = ctx.limits;
        let _ticking = self.ticking.run();
        let output = CapturedOutput::new(OUTPUT_CAPTURE_BYTES);
        // No preopened directories, environment, arguments or sockets: a probe reaches the
        // world only through the imports in its WIT world.
        let wasi = WasiCtxBuilder::new().stdout(output.clone()).stderr(output.clone()).build();
        let Compiled { pre, engine } = self.code.current();
        let mut store = wasmtime::Store::new(&engine, RunState::new(self.name.clone(), ctx, wasi));
        store.limiter(|s| &mut s.limits);
        // Each epoch tick that finds the guest running costs it one tick of its CPU budget, and
        // yields to the runtime so the wall-clock timeout (and everything else) gets to run.
        // Time spent inside host calls does not tick: it is bounded by the timeout instead.
        let budget = (limits.cpu.as_nanos() / EPOCH_TICK.as_nanos()).max(1) as u64;
        let mut ticks = 0u64;
        store.epoch_deadline_callback(move |mut store| {
            ticks += 1;
            if ticks > budget {
                store.data_mut().halted = Some(RunError::Cpu(limits.cpu));
                wasmtime::bail!("CPU time limit reached");
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store.set_epoch_deadline(1);

        // Guest-to-host copies (results, arguments of host calls) may allocate this much; a
        // run returning a million samples fails here rather than making the host hold them.
        let lift_budget = limits.max_output_bytes.saturating_mul(LIFT_BYTES_PER_OUTPUT_BYTE).max(16 << 20);
        store.set_hostcall_fuel(lift_budget);

        let run = async {
            let instance = pre.instantiate_async(&mut store).await?;
            instance.call_collect(&mut store).await
        };
        let result = tokio::time::timeout(limits.timeout, run).await;
        let (tail, printed) = self.forward_output(&output);
        let state = store.data_mut();
        state.report_dropped_log();
        let api_calls = state.api_calls;
        match result {
            Err(_) => Err(RunError::Timeout(limits.timeout)),
            Ok(Err(_)) if state.limits.hit.is_some() => {
                Err(RunError::Memory(state.limits.hit.take().unwrap_or_default()))
            }
            // wasmtime copies the whole result before the host sees any of it; a result too
            // big to copy is over the output caps by far (as is a host call's argument that
            // big: a 100 MiB log line).
            Ok(Err(trap)) if is_lift_budget(&trap) => Err(RunError::InvalidOutput(format!(
                "metric family \"*\": the probe passed the host more than {lift_budget} bytes to copy at \
                 once (its result, or an argument of a host call), far over its caps (max_families {}, \
                 max_samples {}, max_output_size {} bytes)",
                limits.max_families, limits.max_samples, limits.max_output_bytes
            ))),
            Ok(Err(trap)) => Err(state.halted.take().unwrap_or_else(|| {
                // The language's own words first when its runtime printed them (a Python
                // exception, an error JavaScript could not pass out), then wasmtime's.
                let message = match (guest_errors::explain(&printed), tail.is_empty()) {
                    (Some(why), _) => format!("{why}\n(then {})", first_lines(&root_cause(&trap), 1)),
                    (None, true) => root_cause(&trap),
                    (None, false) => format!("{}\nprobe output before the trap:\n{tail}", root_cause(&trap)),
                };
                let message = crate::bounded::bounded(&message, MAX_ERROR_BYTES);
                // However the language surfaced it, a run that fails after a failed API call
                // is counted as the API's failure.
                if state.api_failures > 0 { RunError::ApiError(message) } else { RunError::Trap(message) }
            })),
            // An error message is cut at once: the copy the host had to make of it is freed
            // here, and only `MAX_ERROR_BYTES` of it are kept, logged and shown.
            Ok(Ok(Err(message))) if state.api_failures > 0 => {
                Err(RunError::ApiError(crate::bounded::bounded(&message, MAX_ERROR_BYTES)))
            }
            Ok(Ok(Err(message))) => Err(RunError::ProbeError(crate::bounded::bounded(&message, MAX_ERROR_BYTES))),
            Ok(Ok(Ok(families))) => Ok(RunOutput {
                families: families.into_iter().map(families::family_from_wit).collect(),
                api_calls,
                scratch: std::mem::take(&mut state.scratch),
            }),
        }
    }

    /// What wasmtime alone costs for this component, the floor [`Probe::run`] is measured
    /// against in the benchmarks: a fresh store and instance, `collect`, drop — without the
    /// host's own per-run work (memory limiter, CPU budget, output capture, wall-clock timeout,
    /// output conversion). Returns whether `collect` returned `Ok`.
    ///
    /// # Errors
    /// When instantiation or the call traps.
    #[doc(hidden)]
    pub async fn run_floor(&self, ctx: RunContext) -> anyhow::Result<bool> {
        let wasi = WasiCtxBuilder::new().build();
        let Compiled { pre, engine } = self.code.current();
        let mut store = wasmtime::Store::new(&engine, RunState::new(self.name.clone(), ctx, wasi));
        // The engine checks epochs; a deadline that never comes (the ticker adds one per 10 ms)
        // is the cheapest way to ignore them. (`u64::MAX` would wrap around the current epoch.)
        store.set_epoch_deadline(1 << 62);
        let instance = pre.instantiate_async(&mut store).await?;
        Ok(instance.call_collect(&mut store).await?.is_ok())
    }

    /// Sends the run's stdout/stderr to the host log and returns its last lines, which say
    /// why a guest trapped (a Rust panic message, a Python traceback) better than the trap.
    /// Logs the run's captured output; answers its last lines, and all of it (read only when
    /// the run trapped, for what its language's runtime said went wrong: `guest_errors`).
    fn forward_output(&self, output: &CapturedOutput) -> (String, String) {
        let (text, dropped) = output.take();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        for line in &lines {
            tracing::info!(probe = %self.name, "output: {line}");
        }
        if dropped > 0 {
            tracing::warn!(probe = %self.name, "dropped {dropped} bytes of output past the {OUTPUT_CAPTURE_BYTES}-byte cap");
        }
        (lines[lines.len().saturating_sub(TRAP_CONTEXT_LINES)..].join("\n"), text)
    }
}

/// Whether wasmtime refused to copy more from the guest than the store's hostcall fuel allows
/// (its error type is private; its message is the contract).
fn is_lift_budget(err: &wasmtime::Error) -> bool {
    err.chain().any(|e| e.to_string().starts_with("too much data is being copied between the host and the guest"))
}

/// Lines of a probe's output quoted in a trap's error.
const TRAP_CONTEXT_LINES: usize = 3;

/// The cause first (`wasm trap: call stack exhausted`), then the first frames of the wasm
/// backtrace when there is one.
fn root_cause(err: &wasmtime::Error) -> String {
    let cause = err.root_cause().to_string();
    let outer = err.to_string();
    if outer == cause { cause } else { format!("{cause}\n{}", first_lines(&outer, 5)) }
}

/// Wasm backtraces can be long; keep the message and the first frames.
fn first_lines(text: &str, n: usize) -> String {
    text.lines().take(n).collect::<Vec<_>>().join("\n")
}
