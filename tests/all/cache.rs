//! The compile cache: a restart with unchanged probes loads them from disk instead of
//! compiling them, counted in `probe_host_compile_cache_{hits,misses}_total`. Each probe is
//! compiled twice at a cold start, by the baseline compiler it starts on (not cached) and by the
//! optimizing one swapped in after (`probe_host_probe_optimized`); a warm start loads the
//! optimized code.

use crate::support::{self, Host, TempDir};

#[tokio::test]
async fn a_warm_start_loads_from_the_cache_and_is_faster_than_a_cold_one() {
    let sim = support::simulator().await;
    let dir = TempDir::new("compile-cache");
    let cache = dir.path().join("cache");
    let names = ["inventory", "silos", "orders"];
    let mut config = support::api_section(&sim, dir.path());
    for name in names {
        config += &support::probe_entry(name, &support::probe(name), "");
    }
    let start = || Host::start_with(&config, &["--cache-dir", cache.to_str().expect("utf-8")]);
    let load_seconds = |s: &support::exposition::Scrape| -> f64 {
        names.iter().map(|p| s.value("probe_host_probe_load_duration_seconds", &[("probe", p)])).sum()
    };

    // Both compilers' code, once the optimizer has swapped every probe's.
    let optimized = async |host: &Host| loop {
        let scrape = host.scrape().await;
        if names.iter().all(|p| scrape.value("probe_host_probe_optimized", &[("probe", p)]) == 1.0) {
            return scrape;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let cold = {
        let host = start();
        host.wait_ready().await;
        tokio::time::timeout(std::time::Duration::from_secs(120), optimized(&host)).await.expect("optimized in time")
    };
    assert_eq!(cold.value("probe_host_compile_cache_misses_total", &[]), names.len() as f64);
    assert_eq!(cold.value("probe_host_compile_cache_hits_total", &[]), 0.0);

    let host = start();
    host.wait_ready().await;
    let warm = host.scrape().await;
    for name in names {
        assert_eq!(warm.value("probe_host_probe_optimized", &[("probe", name)]), 1.0, "{name} starts optimized");
    }
    assert_eq!(warm.value("probe_host_compile_cache_hits_total", &[]), names.len() as f64);
    assert_eq!(warm.value("probe_host_compile_cache_misses_total", &[]), 0.0);
    let (cold_s, warm_s) = (load_seconds(&cold), load_seconds(&warm));
    assert!(warm_s < cold_s, "warm {warm_s:.3} s, cold {cold_s:.3} s");
}
