//! Tiered compilation: a probe runs on the baseline compiler's code as soon as it is loaded,
//! and on the optimizing compiler's once the background optimizer swaps it in, with the same
//! results on both.

use crate::support;
use probe_host::config::ProbeSettings;
use probe_host::engine::{Compiler, Engine, EngineSettings, Probe, RunContext, RunLimits};
use probe_host::model::MetricFamily;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn engine(compiler: Compiler) -> Engine {
    Engine::new(EngineSettings { compiler, ..EngineSettings::for_probes(2, 64 << 20) }).expect("engine")
}

fn load(engine: &Engine, name: &str) -> Probe {
    let bytes = std::fs::read(support::probe(name)).expect("the fixture");
    engine.load(name, &bytes).unwrap_or_else(|e| panic!("{e}"))
}

async fn families(probe: &Probe) -> Vec<MetricFamily> {
    let limits = RunLimits::from(&ProbeSettings::default());
    probe.run(RunContext::with_limits(limits)).await.unwrap_or_else(|e| panic!("{e}")).families
}

#[tokio::test]
async fn each_compiler_says_which_code_a_probe_runs() {
    let baseline = load(&engine(Compiler::Baseline), "trivial");
    assert!(!baseline.optimized().load(Ordering::Acquire), "baseline code is never swapped");
    assert!(!families(&baseline).await.is_empty());
    let optimizing = load(&engine(Compiler::Optimizing), "trivial");
    assert!(optimizing.optimized().load(Ordering::Acquire), "the optimizing compiler's code from the start");
    assert_eq!(families(&baseline).await, families(&optimizing).await);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!baseline.optimized().load(Ordering::Acquire), "still baseline code");
}

#[tokio::test]
async fn a_tiered_probe_is_swapped_to_optimized_code_with_the_same_results() {
    let engine = engine(Compiler::Tiered);
    let probe = load(&engine, "trivial");
    // A second probe running the same component shares its code, and so the swap.
    let twin = probe.with_name("twin");
    let before = families(&probe).await;
    let started = Instant::now();
    while !probe.optimized().load(Ordering::Acquire) {
        assert!(started.elapsed() < Duration::from_secs(60), "not optimized after 60 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(twin.optimized().load(Ordering::Acquire), "the twin runs the optimized code too");
    assert_eq!(families(&probe).await, before);
    assert_eq!(families(&twin).await, before);
}

#[tokio::test]
async fn once_optimized_a_probe_starts_on_optimized_code_from_the_cache() {
    let dir = support::TempDir::new("tiers-cache");
    let cached = || {
        let settings =
            EngineSettings { cache_dir: Some(dir.path().to_path_buf()), ..EngineSettings::for_probes(2, 64 << 20) };
        Engine::new(settings).expect("engine")
    };
    let first = cached();
    let probe = load(&first, "trivial");
    let started = Instant::now();
    while !probe.optimized().load(Ordering::Acquire) {
        assert!(started.elapsed() < Duration::from_secs(60), "not optimized after 60 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (hits, misses) = first.compile_cache().expect("a cache").counts();
    assert_eq!((hits, misses), (0, 1), "the optimized code stored (the baseline code is not)");

    // A restart: the optimized code straight from the cache, no compiler run at all.
    let second = cached();
    let probe = load(&second, "trivial");
    assert!(probe.optimized().load(Ordering::Acquire), "starts on optimized code");
    assert_eq!(second.compile_cache().expect("a cache").counts(), (1, 0));
    assert!(!families(&probe).await.is_empty());

    // A changed component is not taken for the optimized one.
    let mut bytes = std::fs::read(support::probe("trivial")).expect("the fixture");
    bytes.extend_from_slice(&[0, 5, 4, b'n', b'o', b't', b'e']); // an empty custom section "note"
    let changed = second.load("changed", &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(!changed.optimized().load(Ordering::Acquire), "a new component starts on baseline code");
}
