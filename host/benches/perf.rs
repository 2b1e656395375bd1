//! probe-host's benchmarks, one section per question an operator asks (docs/performance.md).
//!
//! ```sh
//! cargo bench -p probe-host --bench perf                 # release build: the published figures
//! cargo bench -p probe-host --bench perf -- --quick      # seconds: the smoke run in .ci/run
//! cargo bench -p probe-host --bench perf -- --only scrape
//! ```
//!
//! Every figure comes with a baseline measured in the same run, and the ratio between them.
//! Timings are wall-clock medians over many iterations on whatever machine runs this: compare
//! ratios across machines, not absolute numbers.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_debug_implementations)]

/// The allocator the `probe-host` binary uses (see host/src/main.rs): the figures are the
/// binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use probe_host::api::{ApiSettings, HttpCaller, PotatoApi};
use probe_host::app;
use probe_host::config::{Config, ProbeSettings};
use probe_host::engine::{Compiler, Engine, EngineSettings, Probe, RunContext, RunLimits, Target};
use probe_host::exposition::{self, Format};
use probe_host::model::{MetricFamily, MetricKind};
use probe_host::probe::{self as probes, ProbeSpec};
use probe_host::resolve::{CacheFlag, Flags, resolve};
use probe_host::sources::Source;
use probe_host::status::{ProbeSlot, ProbeTable};
use probe_host_test_support::{self as support, TempDir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Opts {
    quick: bool,
    only: Option<String>,
    /// `--runs N`: exactly N timed runs per run-overhead variant (for instruction counts).
    runs: Option<usize>,
    /// `--variant I`: only the I-th run-overhead variant (0-based).
    variant: Option<usize>,
}

impl Opts {
    fn wants(&self, section: &str) -> bool {
        self.only.as_deref().is_none_or(|o| o == section)
    }

    /// `full` iterations, or a handful in quick mode.
    fn n(&self, full: usize) -> usize {
        if self.quick { (full / 100).max(5) } else { full }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opts = Opts {
        quick: args.iter().any(|a| a == "--quick"),
        only: flag(&args, "--only"),
        runs: flag(&args, "--runs").map(|n| n.parse().expect("--runs takes a number")),
        variant: flag(&args, "--variant").map(|n| n.parse().expect("--variant takes a number")),
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        // The fixtures and examples, built as the tests build them.
        support::fixtures_dir();
        support::examples_dir();
        println!("# probe-host benchmarks ({} mode)\n", if opts.quick { "quick" } else { "full" });
        if opts.wants("run") {
            run_overhead(&opts).await;
        }
        if opts.wants("boundary") {
            boundary(&opts).await;
        }
        if opts.wants("scrape") {
            scrape(&opts);
        }
        if opts.wants("throughput") {
            throughput(&opts).await;
        }
        if opts.wants("startup") {
            startup(&opts).await;
        }
        if opts.wants("memory") {
            memory(&opts).await;
        }
        if opts.wants("exporter") {
            exporter(&opts).await;
        }
    });
}

/// The value after `name` on the command line.
fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

/// Median, 99th percentile and mean of `samples`.
struct Stats {
    p50: Duration,
    p99: Duration,
    mean: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    Stats { p50: at(0.5), p99: at(0.99), mean }
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn dummy_api() -> PotatoApi {
    // The trivial probe makes no calls; nothing listens here.
    PotatoApi::new(&ApiSettings::new("http://127.0.0.1:9/api/v0", None)).unwrap()
}

fn context(config: &Arc<BTreeMap<String, String>>) -> RunContext {
    let settings = ProbeSettings {
        timeout: Duration::from_secs(30),
        cpu: Duration::from_secs(10),
        max_api_calls: 1000,
        ..ProbeSettings::default()
    };
    RunContext { config: config.clone(), ..RunContext::with_limits(RunLimits::from(&settings)) }
}

async fn compile(engine: &Arc<Engine>, path: &Path) -> Probe {
    let spec = ProbeSpec {
        name: path.file_stem().unwrap().to_string_lossy().into_owned(),
        source: Source::File(path.to_path_buf()),
        settings: ProbeSettings::default(),
        config: Arc::default(),
    };
    probes::compile(engine, &spec, std::fs::read(path).unwrap().into()).await.unwrap()
}

/// Section 1: Run overhead: a fresh store and instance, `collect`, drop — pooled, with wasmtime's
/// default on-demand allocator as a baseline, and against two floors: wasmtime alone running
/// the same component (same engine and pool, none of the host's per-run work), and a core
/// module without imports (the case wasmtime's published instantiation figure is for).
///
/// The variants take turns in blocks (see [`interleaved`]).
async fn run_overhead(opts: &Opts) {
    println!("## 1. Run overhead (trivial Rust probe: instantiate + collect + drop)\n");
    println!("| variant | p50 | p99 | mean |\n|---|---|---|---|");
    let api = dummy_api();
    let config = Arc::new(BTreeMap::new());
    let engine = |pooling| {
        Arc::new(
            Engine::new(EngineSettings {
                pooling,
                target: Some(document_target(&api)),
                // The code a probe runs once the optimizer is done (section 5).
                compiler: Compiler::Optimizing,
                ..EngineSettings::for_probes(4, 64 << 20)
            })
            .unwrap(),
        )
    };
    let pooled = compile(&engine(true), &support::fixture("trivial")).await;
    let on_demand = compile(&engine(false), &support::fixture("trivial")).await;
    let core = CoreModule::new();
    let ctx = || context(&config);
    let variants: [(&str, Variant<'_>); 4] = [
        (
            "probe-host, pooling (what the host uses)",
            Box::new(|| Box::pin(async { pooled.run(ctx()).await.map(drop).unwrap() })),
        ),
        (
            "probe-host, on-demand allocator (baseline)",
            Box::new(|| Box::pin(async { on_demand.run(ctx()).await.map(drop).unwrap() })),
        ),
        (
            "wasmtime alone, same component and pool (floor)",
            Box::new(|| Box::pin(async { assert!(pooled.run_floor(ctx()).await.unwrap()) })),
        ),
        ("wasmtime alone, core module without imports", Box::new(|| Box::pin(core.run()))),
    ];
    if let Some(i) = opts.variant {
        // One variant alone, for `scripts/instruction-counts.sh`: instructions per run are the
        // difference between two counts of this, at two `--runs`, over the difference in runs.
        let s = interleaved(opts.runs.unwrap_or(1000), 20, &variants[i..=i]).await;
        println!("| {} | {} |", variants[i].0, us(s[0].p50));
        return;
    }
    let n = opts.runs.unwrap_or(opts.n(20_000));
    let s = interleaved(n, (n / 10).clamp(3, 500), &variants).await;
    for ((name, _), s) in variants.iter().zip(&s) {
        println!("| {name} | {} | {} | {} |", us(s.p50), us(s.p99), us(s.mean));
    }
    println!("\npooling / on-demand (p50): {:.2}", s[0].p50.as_secs_f64() / s[1].p50.as_secs_f64());
    println!("probe-host / wasmtime alone (p50): {:.2}\n", s[0].p50.as_secs_f64() / s[2].p50.as_secs_f64());
}

/// The potato-api's functions linked from its OpenAPI document, through `api`'s access layer.
fn document_target(api: &PotatoApi) -> Target {
    let generated = potato_api_client::wit::generate(
        potato_api_client::OPENAPI_DOCUMENT,
        &potato_api_client::wit::Options::potato(),
    )
    .unwrap();
    Target { caller: Arc::new(HttpCaller::new(api.clone(), &generated.api)), api: Arc::new(generated.api) }
}

type Variant<'a> = Box<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'a>> + 'a>;

/// Runs each variant `warm_up` times, then `n` times timing every call: in blocks of up to 500 calls that take
/// turns, so drift on a shared machine hits all variants alike while each block runs warm
/// (one call each in turn would have every variant evict the others' caches).
async fn interleaved(n: usize, warm_up: usize, variants: &[(&str, Variant<'_>)]) -> Vec<Stats> {
    const BLOCK: usize = 500;
    for (_, run) in variants {
        for _ in 0..warm_up {
            run().await;
        }
    }
    let mut samples = vec![Vec::with_capacity(n); variants.len()];
    let mut done = 0;
    while done < n {
        let block = BLOCK.min(n - done);
        for ((_, run), samples) in variants.iter().zip(&mut samples) {
            for _ in 0..block {
                let started = Instant::now();
                run().await;
                samples.push(started.elapsed());
            }
        }
        done += block;
    }
    samples.into_iter().map(stats).collect()
}

/// A core module with one exported function and no imports, on a pooling engine with
/// wasmtime's defaults: instantiate + call + drop, async as the host runs probes.
struct CoreModule {
    engine: wasmtime::Engine,
    pre: wasmtime::InstancePre<()>,
}

impl CoreModule {
    fn new() -> Self {
        // wasmtime's pooling defaults, but a pool of 16 slots reserving 64 MiB each (like the
        // host's), not 1,000 of 4 GiB: small enough to run under valgrind too.
        let mut config = wasmtime::Config::new();
        config.memory_reservation(64 << 20).memory_reservation_for_growth(0);
        let mut pool = wasmtime::PoolingAllocationConfig::default();
        pool.total_component_instances(16).total_core_instances(16).total_memories(16).total_tables(16);
        pool.total_stacks(16).max_memory_size(64 << 20);
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        let engine = wasmtime::Engine::new(&config).unwrap();
        // (module (memory 1) (func (export "run") (result i32)
        //   (i32.store (i32.const 1) (i32.const 7)) (i32.const 1)))
        // — it dirties one page, as any real guest does. (Encoded by hand: no `wat` feature here.)
        #[rustfmt::skip]
        let wasm = [
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
            0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // types: () -> i32
            0x03, 0x02, 0x01, 0x00, // functions: one of type 0
            0x05, 0x03, 0x01, 0x00, 0x01, // memories: min 1 page
            0x07, 0x07, 0x01, 0x03, b'r', b'u', b'n', 0x00, 0x00, // exports: "run" = func 0
            0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x41, 0x01, 0x41, 0x07, 0x36, 0x02, 0x00, 0x41, 0x01, 0x0b, // code
        ];
        let module = wasmtime::Module::new(&engine, wasm).unwrap();
        let pre = wasmtime::Linker::<()>::new(&engine).instantiate_pre(&module).unwrap();
        Self { engine, pre }
    }

    async fn run(&self) {
        let mut store = wasmtime::Store::new(&self.engine, ());
        let instance = self.pre.instantiate_async(&mut store).await.unwrap();
        let run = instance.get_typed_func::<(), i32>(&mut store, "run").unwrap();
        assert_eq!(run.call_async(&mut store, ()).await.unwrap(), 1);
    }
}

/// Section 2: Crossing the boundary: `crunch` receives N potatoes from the host (the pages come from
/// the shared-call cache, so no HTTP is timed) and returns 1,000 series; the baseline is the
/// same logic compiled natively, reading the same cached responses in-process into the
/// generated client's types (as a hand-written exporter parses what it receives). Both are
/// also run receiving only (`all-potatoes`: fetch every potato, return the count), which splits
/// each time into crossing (or fetching) and the logic itself; and the probe pulling one page
/// at a time (`crunch-pages`), the shape that keeps every crossing at page size.
async fn boundary(opts: &Opts) {
    println!("## 2. Crossing the boundary (N potatoes in, 1,000 series out)\n");
    println!(
        "| potatoes | wasm | native (baseline) | wasm / native | wasm, receive only | native, receive only | logic alone: wasm − native | wasm, page by page | page by page / native |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let sizes: &[usize] = if opts.quick { &[1_000] } else { &[1_000, 10_000, 100_000] };
    let mode = |mode: &str| -> Arc<BTreeMap<String, String>> {
        Arc::new([("mode".to_string(), mode.to_string()), ("max-pages".to_string(), "1000".to_string())].into())
    };
    let (crunch, receive, by_page) = (mode("crunch"), mode("all-potatoes"), mode("crunch-pages"));
    for &n in sizes {
        let data = potato_sim::Dataset::generate(potato_sim::DEFAULT_SEED).with_potatoes(n);
        let sim = potato_sim::Simulator::start("127.0.0.1:0".parse().unwrap(), "t", data).await.unwrap();
        let mut settings = ApiSettings::new(sim.base_url(), Some("t".into()));
        settings.share_window = Duration::from_secs(3600);
        settings.politeness.max_requests_per_second = None;
        let api = PotatoApi::new(&settings).unwrap();
        let ctx = |config: &Arc<BTreeMap<String, String>>| {
            let mut c = context(config);
            c.limits.memory_bytes = 256 << 20;
            c
        };
        let native = NativeClient::new(api.clone());
        let engine = Arc::new(
            Engine::new(EngineSettings {
                target: Some(document_target(&api)),
                // The code a probe runs once the optimizer is done (section 5).
                compiler: Compiler::Optimizing,
                ..EngineSettings::for_probes(4, 256 << 20)
            })
            .unwrap(),
        );
        let probe = compile(&engine, &support::fixture("misbehave")).await;
        let wasm_out = probe.run(ctx(&crunch)).await.unwrap().families;
        assert_eq!(wasm_out, crunch_native(&native).await, "the wasm and native crunch must agree");
        assert_eq!(probe.run(ctx(&by_page)).await.unwrap().families, wasm_out, "by page or all at once, the same");
        let received = &probe.run(ctx(&receive)).await.unwrap().families[0].samples[0].value;
        assert_eq!(*received, probe_host::model::SampleValue::Number(n as f64));
        assert_eq!(receive_native(&native).await, n);
        let variants: [(&str, Variant<'_>); 5] = [
            ("wasm", Box::new(|| Box::pin(async { probe.run(ctx(&crunch)).await.map(drop).unwrap() }))),
            ("native", Box::new(|| Box::pin(async { drop(crunch_native(&native).await) }))),
            ("wasm, receive", Box::new(|| Box::pin(async { probe.run(ctx(&receive)).await.map(drop).unwrap() }))),
            (
                "native, receive",
                Box::new(|| {
                    Box::pin(async {
                        std::hint::black_box(receive_native(&native).await);
                    })
                }),
            ),
            ("wasm, by page", Box::new(|| Box::pin(async { probe.run(ctx(&by_page)).await.map(drop).unwrap() }))),
        ];
        let runs = opts.n(if n >= 100_000 { 200 } else { 2_000 });
        let s = interleaved(runs, (runs / 10).clamp(3, 50), &variants).await;
        let p50 = |i: usize| s[i].p50.as_secs_f64();
        // The logic's own time is a difference of two noisy medians: shown as a difference in
        // time (which may be within the noise), never as a ratio of two differences.
        let logic = |total: usize, receive: usize| {
            let d = p50(total) - p50(receive);
            if d > 0.0 { us(Duration::from_secs_f64(d)) } else { "within the noise".into() }
        };
        println!(
            "| {n} | {} | {} | {:.2} | {} | {} | {} − {} | {} | {:.2} |",
            us(s[0].p50),
            us(s[1].p50),
            p50(0) / p50(1),
            us(s[2].p50),
            us(s[3].p50),
            logic(0, 2),
            logic(1, 3),
            us(s[4].p50),
            p50(4) / p50(1),
        );
    }
    println!();
}

/// The generated client's types read from the access layer's cached responses: what a native
/// exporter with a generated client does with the same bytes.
struct NativeClient {
    caller: HttpCaller,
    list: potato_api_client::wit::model::Function,
}

impl NativeClient {
    fn new(api: PotatoApi) -> Self {
        let document = potato_api_client::wit::potato().unwrap();
        let list = document.api.functions.iter().find(|f| f.name == "list-important-potatoes").unwrap().clone();
        Self { caller: HttpCaller::new(api, &document.api), list }
    }

    async fn page(&self, token: Option<&str>) -> potato_api_client::types::PotatoPage {
        use probe_host::engine::{Call, Caller};
        let args = [serde_json::json!(1000), serde_json::json!(token)];
        let body = self
            .caller
            .call(Call { probe: "native", function: &self.list, args: &args, body: None })
            .await
            .unwrap()
            .unwrap();
        serde_json::from_slice(&body).unwrap()
    }
}

/// Every potato, fetched page by page from the shared-call cache, counted.
async fn receive_native(api: &NativeClient) -> usize {
    let mut count = 0;
    let mut token: Option<String> = None;
    loop {
        let page = api.page(token.as_deref()).await;
        count += page.items.len();
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => return count,
        }
    }
}

/// The `crunch` probe's logic (tests/probes/misbehave), natively.
async fn crunch_native(api: &NativeClient) -> Vec<MetricFamily> {
    let mut grams = vec![0.0f64; 1000];
    let mut token: Option<String> = None;
    loop {
        let page = api.page(token.as_deref()).await;
        for p in &page.items {
            let n: usize = p.id.trim_start_matches(|c: char| !c.is_ascii_digit()).parse().unwrap_or(0);
            grams[n % 1000] += f64::from(p.weight_grams);
        }
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    let mut family = MetricFamily::new("misbehave_crunch_grams", "Potato weight per id bucket.", MetricKind::Gauge)
        .with_unit("grams");
    for (bucket, g) in grams.iter().enumerate() {
        family.push(&[("bucket", &bucket.to_string())], *g);
    }
    vec![family]
}

/// A table of `probes` probes exporting `series` series in all, as a scrape sees it.
fn table_with(series: usize, probes: usize) -> ProbeTable {
    let per_probe = series / probes;
    let slots = (0..probes)
        .map(|p| {
            let slot = ProbeSlot::new(&format!("p{p}"), "bench", Duration::from_secs(30));
            let families = (0..10)
                .map(|f| {
                    let mut fam =
                        MetricFamily::new(format!("bench_p{p}_f{f}"), "A benchmark family.", MetricKind::Gauge);
                    for s in 0..per_probe / 10 {
                        fam.push(&[("instance", &format!("i{s}")), ("zone", "z1")], s as f64 * 0.5);
                    }
                    fam
                })
                .collect();
            slot.record_success(families, Duration::from_millis(1), 0);
            Arc::new(slot)
        })
        .collect();
    ProbeTable::new(slots)
}

/// The same series in a prometheus-client registry, encoded by the crate's own text encoder.
fn baseline_registry(series: usize, probes: usize) -> prometheus_client::registry::Registry {
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::gauge::Gauge;
    let mut registry = prometheus_client::registry::Registry::default();
    let per_probe = series / probes;
    for p in 0..probes {
        for f in 0..10 {
            let family = Family::<Vec<(String, String)>, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
            for s in 0..per_probe / 10 {
                family
                    .get_or_create(&vec![("instance".into(), format!("i{s}")), ("zone".into(), "z1".into())])
                    .set(s as f64 * 0.5);
            }
            registry.register(format!("bench_p{p}_f{f}"), "A benchmark family.", family);
        }
    }
    registry
}

fn time<T>(n: usize, mut f: impl FnMut() -> T) -> Stats {
    std::hint::black_box(f());
    stats(
        (0..n)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(f());
                started.elapsed()
            })
            .collect(),
    )
}

/// Section 4: Scrape: encoding every probe's families for `/metrics`, both formats and gzipped, against
/// prometheus-client's own encoder on the same series. Between two runs of a probe (the steady
/// state) a scrape reuses each probe's encoded and compressed part; the "whole body" column is
/// gzip of the entire body on every scrape, as it was done before.
fn scrape(opts: &Opts) {
    println!("## 4. Scrape encoding (100 probes × 10 families)\n");
    println!(
        "| series | text | OpenMetrics | text + gzip | text + gzip, whole body per scrape | prometheus-client (baseline) | text / baseline | bytes | gzipped |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let sizes: &[usize] = if opts.quick { &[10_000] } else { &[10_000, 100_000] };
    for &series in sizes {
        let table = exposition::Exposition::new(Arc::new(table_with(series, 100)), exposition::SelfSources::default());
        let registry = baseline_registry(series, 100);
        let n = opts.n(if series >= 100_000 { 30 } else { 200 });
        let text = time(n, || table.render(Format::Text));
        let om = time(n, || table.render(Format::OpenMetrics));
        let gz = time(n, || table.snapshot(Format::Text).gzip());
        let whole = time(n, || {
            use std::io::Write as _;
            let body = table.render(Format::Text);
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(body.as_bytes()).unwrap();
            enc.finish().unwrap()
        });
        let base = time(n, || {
            let mut out = String::new();
            prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
            out
        });
        let body = table.snapshot(Format::Text);
        println!(
            "| {series} | {} | {} | {} | {} | {} | {:.2} | {:.1} MB | {:.2} MB |",
            ms(text.p50),
            ms(om.p50),
            ms(gz.p50),
            ms(whole.p50),
            ms(base.p50),
            text.p50.as_secs_f64() / base.p50.as_secs_f64(),
            body.len() as f64 / 1e6,
            body.gzip().len() as f64 / 1e6
        );
    }
    println!();
}

/// Starts a host in this process running `count` copies of `component` every `interval`.
async fn host_with(component: &Path, count: usize, interval: &str, dir: &Path) -> app::RunningHost {
    let mut text = format!("[api]\nbase_url = \"http://127.0.0.1:9/api/v0\"\n[defaults]\ninterval = \"{interval}\"\n");
    for i in 0..count {
        text += &format!("[[probes]]\nname = \"p{i}\"\nsource = \"{}\"\n", component.display());
    }
    let path = dir.join(format!("bench-{count}.toml"));
    std::fs::write(&path, &text).unwrap();
    let config = Config::load(&path).unwrap();
    let flags = Flags {
        config_path: Some(path),
        listen: Some("127.0.0.1:0".parse().unwrap()),
        cache: CacheFlag::At(dir.join("cache")),
        ..Flags::default()
    };
    app::start(resolve(flags, Some(config)).unwrap()).await.unwrap()
}

/// CPU time of this process so far (user + system), from /proc.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

fn total_runs(table: &ProbeTable) -> u64 {
    table.slots().iter().map(|s| s.status().runs.values().sum::<u64>()).sum()
}

async fn wait_ready(table: &ProbeTable) {
    while !table.ready() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn scrape_latency(addr: std::net::SocketAddr, n: usize) -> Stats {
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/metrics");
    let mut samples = Vec::new();
    for _ in 0..n {
        let started = Instant::now();
        let body = client.get(&url).header("accept", "text/plain").send().await.unwrap().bytes().await.unwrap();
        samples.push(started.elapsed());
        std::hint::black_box(body);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stats(samples)
}

/// Section 3: Throughput: many small probes on short intervals; runs per second and CPU taken, and
/// scrape latency while they run against an idle host (the baseline).
async fn throughput(opts: &Opts) {
    println!("## 3. Throughput and scrape latency under load\n");
    let dir = TempDir::new("throughput");
    let trivial = support::fixture("trivial");
    println!("| probes | interval | window | runs/s | CPU (cores) | runs per CPU-second | scrape p50 | scrape p99 |");
    println!("|---|---|---|---|---|---|---|---|");
    // The baseline: as many probes loaded, none running during the window (1 h interval; the
    // runs at start are over before measuring).
    let count = if opts.quick { 100 } else { 1_000 };
    let idle = host_with(&trivial, count, "1h", dir.path()).await;
    wait_ready(&idle.table).await;
    let idle_scrape = scrape_latency(idle.addr, opts.n(200)).await;
    drop(idle);
    println!("| {count} (baseline: idle) | 1h | | | | | {} | {} |", ms(idle_scrape.p50), ms(idle_scrape.p99));
    let cases: &[(usize, &str, u64)] =
        if opts.quick { &[(100, "1s", 3)] } else { &[(1_000, "1s", 20), (100, "30s", 60)] };
    for &(count, interval, window) in cases {
        let host = host_with(&trivial, count, interval, dir.path()).await;
        wait_ready(&host.table).await;
        // Let the start-up jitter settle before measuring.
        tokio::time::sleep(Duration::from_secs(2)).await;
        // Runs and CPU over a window with nothing else going on (scrapes cost CPU of their
        // own: 200 of them with 1,000 probes loaded take more CPU than 20 s of runs), then
        // scrape latency while the probes keep running.
        let (runs0, cpu0, t0) = (total_runs(&host.table), cpu_time(), Instant::now());
        tokio::time::sleep(Duration::from_secs(window)).await;
        let (runs, cpu, wall) = (total_runs(&host.table) - runs0, cpu_time() - cpu0, t0.elapsed());
        let scrape = scrape_latency(host.addr, opts.n(200).min(window as usize * 20)).await;
        let per_s = runs as f64 / wall.as_secs_f64();
        let cores = cpu.as_secs_f64() / wall.as_secs_f64();
        println!(
            "| {count} | {interval} | {window} s | {per_s:.0} | {cores:.3} | {:.0} | {} | {} |",
            runs as f64 / cpu.as_secs_f64().max(0.01),
            ms(scrape.p50),
            ms(scrape.p99)
        );
    }
    println!();
}

/// Section 5: Start-up. First each component alone with each compiler (no cache), which is what
/// compiling costs; then all of them at once as the supervisor loads them, into an empty cache
/// and then from it with a new engine (as a restart does), with the optimizing compiler alone
/// (with and without the cache, which isolates storing) and tiered (Winch first, Cranelift
/// swapped in by the background optimizer).
async fn startup(opts: &Opts) {
    println!("## 5. Start-up (example probes)\n");
    let mut components: Vec<PathBuf> = ["inventory", "silos", "orders"].iter().map(|n| support::example(n)).collect();
    if !opts.quick {
        components.extend([support::lang_probe("orders-py.wasm"), support::lang_probe("orders-js.wasm")]);
    }
    let engine_with = |compiler: Compiler, cache: Option<&Path>| {
        let settings = EngineSettings {
            cache_dir: cache.map(Path::to_path_buf),
            target: Some(document_target(&dummy_api())),
            compiler,
            ..EngineSettings::for_probes(8, 64 << 20)
        };
        Arc::new(Engine::new(settings).unwrap())
    };

    println!("Each component alone, no cache:\n");
    println!("| probe | size | Cranelift | Winch | Winch / Cranelift |\n|---|---|---|---|---|");
    for path in &components {
        let mut took = Vec::new();
        for compiler in [Compiler::Optimizing, Compiler::Baseline] {
            let engine = engine_with(compiler, None);
            let t = Instant::now();
            compile(&engine, path).await;
            took.push(t.elapsed());
        }
        let size = std::fs::metadata(path).unwrap().len();
        println!(
            "| {} | {:.1} MB | {} | {} | {:.2} |",
            path.file_stem().unwrap().to_string_lossy(),
            size as f64 / 1e6,
            ms(took[0]),
            ms(took[1]),
            took[1].as_secs_f64() / took[0].as_secs_f64()
        );
    }

    println!("\nAll at once (as the host loads them):\n");
    println!("| start | compiler | all loaded | per probe | all optimized |\n|---|---|---|---|---|");
    let phases = [
        ("cold, no cache", Compiler::Optimizing, false),
        ("cold", Compiler::Optimizing, true),
        ("warm", Compiler::Optimizing, true),
        ("cold", Compiler::Tiered, true),
        ("warm", Compiler::Tiered, true),
    ];
    let mut dir = TempDir::new("startup-0");
    for (i, (phase, compiler, cached)) in phases.into_iter().enumerate() {
        if phase.starts_with("cold") {
            // A directory of its own (a `TempDir` removes its path when dropped).
            dir = TempDir::new(&format!("startup-{i}"));
        }
        let engine = engine_with(compiler, cached.then(|| dir.path()));
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for path in components.clone() {
            let engine = engine.clone();
            tasks.spawn(async move {
                let t = Instant::now();
                let probe = compile(&engine, &path).await;
                (path.file_stem().unwrap().to_string_lossy().into_owned(), t.elapsed(), probe)
            });
        }
        let mut each = Vec::new();
        while let Some(done) = tasks.join_next().await {
            each.push(done.unwrap());
        }
        let loaded = started.elapsed();
        // The optimizer swaps code in on its own thread; poll the probes' flags.
        let flags: Vec<_> = each.iter().map(|(_, _, p)| p.optimized()).collect();
        while !flags.iter().all(|f| f.load(std::sync::atomic::Ordering::Acquire)) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let optimized = started.elapsed();
        each.sort_by(|a, b| a.0.cmp(&b.0));
        let detail: Vec<String> = each.iter().map(|(n, d, _)| format!("{n} {}", ms(*d))).collect();
        println!("| {phase} | {compiler:?} | {} | {} | {} |", ms(loaded), detail.join(", "), ms(optimized));
    }
    println!();
}

/// Section 8: Against a hand-written exporter. probe-host running the inventory and silos
/// examples, and `examples/native_exporter.rs` computing the same metrics natively, one after
/// the other against one simulator serving N important potatoes, collecting every 2 s:
/// peak RSS and CPU per collection cycle of each process.
async fn exporter(opts: &Opts) {
    let potatoes = if opts.quick { 2_000 } else { 100_000 };
    let cycles: u32 = if opts.quick { 2 } else { 10 };
    println!("## 8. Against a hand-written exporter ({potatoes} important potatoes, collecting every 2 s)\n");
    let token = "bench-token";
    // The target in a process of its own, as a deployed API is (and as the figures measured
    // by hand had it).
    let (mut sim, base) = spawn_simulator(potatoes, token);
    let dir = TempDir::new("exporter");

    // The native exporter, built with the bench's own profile.
    let mut build = Command::new(env!("CARGO"));
    build.current_dir(support::repo_root()).args([
        "build",
        "--quiet",
        "-p",
        "probe-host",
        "--example",
        "native_exporter",
    ]);
    if !cfg!(debug_assertions) {
        build.arg("--release");
    }
    assert!(build.status().unwrap().success(), "building the native exporter failed");
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    let native_binary = support::repo_root().join("target").join(profile).join("examples/native_exporter");

    std::fs::write(dir.path().join("token"), token).unwrap();
    // The examples as written (the inventory on the SDK, bound to its own view: a `potato` of
    // the four fields it reads), the same probe bound to whole potatoes (the `whole` fixture),
    // and the view without the SDK (the `lean` fixture). The same families, a test asserts.
    let write_config = |file: &str, inventory: &Path| {
        let mut config = format!(
            "listen = \"127.0.0.1:0\"\ncache_dir = \"{}\"\n[api]\nbase_url = \"{base}\"\ntoken_file = \"{}\"\n\
             [defaults]\ninterval = \"2s\"\ntimeout = \"10s\"\ncpu = \"2s\"\nmemory = \"256MiB\"\n",
            dir.path().join("cache").display(),
            dir.path().join("token").display()
        );
        for (name, source) in [("inventory", inventory.to_path_buf()), ("silos", support::example("silos"))] {
            config += &format!("[[probes]]\nname = \"{name}\"\nsource = \"{}\"\n", source.display());
        }
        let path = dir.path().join(file);
        std::fs::write(&path, config).unwrap();
        path
    };
    let path = write_config("exporter.toml", &support::example("inventory"));
    let whole_path = write_config("whole.toml", &support::fixture("whole"));
    let lean_path = write_config("lean.toml", &support::fixture("lean"));
    // A run waits on 100 pages from the simulator, which shares the two cores: its wall time
    // comes near the 2 s interval. With a 2 s timeout some runs timed out, then backed off,
    // and their CPU was divided among fewer successful runs (190-312 ms per collection where
    // the process used 145-160 ms per 2 s); with 10 s every run completes, and a run that
    // does not is reported below.
    // Once to fill the compile cache: a restart of a deployed host loads from it.
    let _ = measure_host(&path, 1).await;
    let _ = measure_host(&whole_path, 1).await;
    let _ = measure_host(&lean_path, 1).await;
    let host = measure_host(&path, cycles).await;
    let whole = measure_host(&whole_path, cycles).await;
    let lean = measure_host(&lean_path, cycles).await;
    let native = measure_native(&native_binary, &base, token, cycles, &[]);
    // The allocator settings the probe-host binary gives itself (host/src/main.rs), for a like
    // for like comparison: with them the native exporter's heap shrinks most.
    let tuned = measure_native(&native_binary, &base, token, cycles, &probe_host::ALLOCATOR_ENV);
    // The exporter the issue measured against: Go, net/http, encoding/json, client_golang.
    let go = build_go_exporter(dir.path()).map(|binary| measure_native(&binary, &base, token, cycles, &[]));

    println!(
        "| exporter | peak RSS | at the end: anonymous + mapped from files | CPU per collection | collections measured |\n|---|---|---|---|---|"
    );
    let mut rows = vec![
        ("probe-host (inventory + silos probes)", &host),
        ("probe-host (inventory on whole potatoes + silos probes)", &whole),
        ("probe-host (inventory without the SDK + silos probes)", &lean),
        ("hand-written, native, allocator defaults (baseline)", &native),
        ("hand-written, native, the host's allocator settings", &tuned),
    ];
    if let Some(go) = &go {
        rows.push(("hand-written, Go (client_golang)", go));
    }
    for (name, m) in rows {
        println!(
            "| {name} | {:.1} MiB | {:.1} + {:.1} MiB | {:.1} ms | {} |",
            m.peak_rss_mib, m.anon_mib, m.file_mib, m.cpu_per_cycle_ms, m.cycles
        );
    }
    let _ = sim.kill();
    let _ = sim.wait();
    let mut baselines =
        vec![("native, allocator defaults", &native), ("native, the host's allocator settings", &tuned)];
    if let Some(go) = &go {
        baselines.push(("Go", go));
    }
    for (name, base) in baselines {
        for (which, host) in [
            ("probe-host", &host),
            ("probe-host, inventory on whole potatoes", &whole),
            ("probe-host, inventory without the SDK", &lean),
        ] {
            println!(
                "\n{which} / {name}: peak RSS {:.2}, CPU per collection {:.2}",
                host.peak_rss_mib / base.peak_rss_mib,
                host.cpu_per_cycle_ms / base.cpu_per_cycle_ms
            );
        }
    }
    println!();
}

/// Builds the Go exporter (host/benches/go_exporter) into `dir` with Debian's Go and
/// client_golang (`scripts/setup.sh --test-tools` installs both), without modules: answers the
/// binary, or `None` with a note when Go is not installed.
fn build_go_exporter(dir: &Path) -> Option<std::path::PathBuf> {
    let gopath = Path::new("/usr/share/gocode");
    if Command::new("go").arg("version").output().is_err()
        || !gopath.join("src/github.com/prometheus/client_golang").is_dir()
    {
        println!("(the Go exporter is skipped: install golang-go and golang-github-prometheus-client-golang-dev)\n");
        return None;
    }
    let binary = dir.join("go_exporter");
    let source = support::repo_root().join("host/benches/go_exporter/main.go");
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(&source)
        .env("GO111MODULE", "off")
        .env("GOPATH", gopath)
        // Go's build cache beside cargo's, so a second run does not rebuild.
        .env("GOCACHE", support::repo_root().join("target/go-cache"))
        .status()
        .unwrap();
    assert!(status.success(), "building the Go exporter failed");
    Some(binary)
}

struct Measured {
    peak_rss_mib: f64,
    /// Resident at the end: the process's own (heap, stacks, wasm memory) and pages of the
    /// binary and libraries (shared with the page cache).
    anon_mib: f64,
    file_mib: f64,
    cpu_per_cycle_ms: f64,
    cycles: u32,
}

/// A memory figure of a process from `/proc/PID/status` (`VmHWM`: peak resident, `VmRSS`:
/// resident now), in MiB.
fn status_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb / 1024.0
}

/// A process's peak resident memory, and what is resident now: anonymous and mapped from files.
fn memory_of(pid: u32) -> (f64, f64, f64) {
    (status_mib(pid, "VmHWM"), status_mib(pid, "RssAnon"), status_mib(pid, "RssFile"))
}

/// Starts `probe-host run --config CONFIG ARGS...` quietly; answers it and the URL its banner
/// names.
fn spawn_host(config: &Path, args: &[&std::ffi::OsStr]) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_probe-host"))
        .args(["run", "--config"])
        .arg(config)
        .args(args)
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    (child, url)
}

/// Starts `probe-host simulator` serving `potatoes` important potatoes; answers it and its
/// base URL.
fn spawn_simulator(potatoes: usize, token: &str) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_probe-host"))
        .args(["simulator", "--listen", "127.0.0.1:0", "--token", token, "--potatoes", &potatoes.to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_string();
    // It prints more lines: read them, or it dies of a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (child, base)
}

/// CPU time a process has used (user + system), in milliseconds.
fn cpu_ms(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // USER_HZ is 100 on Linux.
    ticks * 10.0
}

/// Runs `probe-host run` on `config` until the inventory probe has succeeded `cycles` more
/// times after its first run (compile and first run are not counted in the CPU, they are in
/// the peak RSS). Between the first and the last measured run it is scraped once per
/// collection (every 2 s), as the native exporter encodes its text once per collection: a
/// scrape every 50 ms throughout added 8 % to the CPU.
async fn measure_host(config: &Path, cycles: u32) -> Measured {
    let (mut child, url) = spawn_host(config, &[]);
    let client = reqwest::Client::new();
    let value = async |prefix: &str| -> f64 {
        let text = client.get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
        text.lines().find_map(|l| l.strip_prefix(prefix)).map_or(0.0, |v| v.trim().parse().unwrap())
    };
    let runs = async || value("probe_host_probe_runs_total{probe=\"inventory\",result=\"success\"} ").await;
    // Measured once both probes run optimized code (the steady state; the optimizer's own
    // work and the baseline code's slower runs are start-up, section 5).
    let optimized = async || {
        value("probe_host_probe_optimized{probe=\"inventory\"} ").await
            + value("probe_host_probe_optimized{probe=\"silos\"} ").await
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while runs().await < 1.0 || optimized().await < 2.0 {
        assert!(Instant::now() < deadline, "inventory never succeeded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // CPU is read right after a run ends, at the start and at the end (polled every 50 ms
    // only then): read at any moment, a run half done made the figure ±10 % over 10 runs.
    let until = async |target: f64, poll: Duration| -> (f64, f64) {
        loop {
            let n = runs().await;
            if n >= target {
                return (n, cpu_ms(child.id()));
            }
            assert!(Instant::now() < deadline, "inventory stopped succeeding");
            tokio::time::sleep(poll).await;
        }
    };
    let failed = async || {
        let text = client.get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
        let runs = text.lines().filter(|l| l.starts_with("probe_host_probe_runs_total{probe=\"inventory\""));
        let failed = runs.filter(|l| !l.contains("result=\"success\""));
        failed.filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum::<f64>()
    };
    let (start_runs, start_cpu) = until(runs().await + 1.0, Duration::from_millis(50)).await;
    let start_failed = failed().await;
    until(start_runs + f64::from(cycles) - 1.0, Duration::from_secs(2)).await;
    let (end_runs, end_cpu) = until(start_runs + f64::from(cycles), Duration::from_millis(50)).await;
    let (peak, anon, file) = memory_of(child.id());
    let failures = failed().await - start_failed;
    if failures > 0.0 {
        println!("({failures} runs of the inventory probe failed in the window: their CPU is counted, they are not)\n");
    }
    let _ = child.kill();
    let _ = child.wait();
    let done = end_runs - start_runs;
    Measured {
        peak_rss_mib: peak,
        anon_mib: anon,
        file_mib: file,
        cpu_per_cycle_ms: (end_cpu - start_cpu) / done,
        cycles: done as u32,
    }
}

/// Runs a hand-written exporter (the native one or the Go one: the same command line and
/// output) for `cycles` collections after its first, with `env` set.
fn measure_native(binary: &Path, base: &str, token: &str, cycles: u32, env: &[(&str, &str)]) -> Measured {
    use std::io::BufRead as _;
    let mut child = Command::new(binary)
        .args([base, token, "2000", &(cycles + 2).to_string()])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = || lines.next().unwrap().unwrap();
    next();
    let start_cpu = cpu_ms(child.id());
    for _ in 0..cycles {
        next();
    }
    let end_cpu = cpu_ms(child.id());
    let (peak, anon, file) = memory_of(child.id());
    let _ = child.kill();
    let _ = child.wait();
    Measured {
        peak_rss_mib: peak,
        anon_mib: anon,
        file_mib: file,
        cpu_per_cycle_ms: (end_cpu - start_cpu) / f64::from(cycles),
        cycles,
    }
}

/// Section 6: Memory: resident memory of the real binary with N probes loaded, idle (1 h interval) and
/// running (1 s), against the host with no probes.
async fn memory(opts: &Opts) {
    println!("## 6. Resident memory of `probe-host run`\n");
    println!("| probes | idle RSS | running RSS |\n|---|---|---|");
    let counts: &[usize] = if opts.quick { &[0, 10] } else { &[0, 1, 100, 1_000] };
    let dir = TempDir::new("memory");
    // Fill the compile cache first: a cold compile leaves the compiler's memory in the RSS.
    rss_of_host(&support::fixture("trivial"), 1, "1h", dir.path()).await;
    for &count in counts {
        let mut row = Vec::new();
        for interval in ["1h", "1s"] {
            row.push(rss_of_host(&support::fixture("trivial"), count, interval, dir.path()).await);
        }
        println!("| {count}{} | {:.1} MiB | {:.1} MiB |", if count == 0 { " (baseline)" } else { "" }, row[0], row[1]);
    }
    println!();
}

async fn rss_of_host(component: &Path, count: usize, interval: &str, dir: &Path) -> f64 {
    let mut text = format!(
        "listen = \"127.0.0.1:0\"\n[api]\nbase_url = \"http://127.0.0.1:9/api/v0\"\n[defaults]\ninterval = \"{interval}\"\n"
    );
    for i in 0..count {
        text += &format!("[[probes]]\nname = \"p{i}\"\nsource = \"{}\"\n", component.display());
    }
    let path = dir.join(format!("rss-{count}-{interval}.toml"));
    std::fs::write(&path, text).unwrap();
    let cache = dir.join("cache");
    let (mut child, url) = spawn_host(&path, &["--cache-dir".as_ref(), cache.as_os_str()]);
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !client.get(format!("{url}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(Instant::now() < deadline, "host with {count} probes not ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss = status_mib(child.id(), "VmRSS");
    let _ = child.kill();
    let _ = child.wait();
    rss
}
