//! Hostile and broken probes, run together with a healthy one: each failure is named in the
//! self-metrics and on the landing page, `/metrics` keeps answering, and the healthy probe's
//! series are exactly what they should be.

use crate::support::{self, Host, TempDir, exposition::Scrape};
use potato_sim::{DEFAULT_SEED, Dataset, Fault};
use std::time::{Duration, Instant};

/// (probe name, extra config, expected result, text the landing page shows for it)
const HOSTILE: &[(&str, &str, &str, &str)] = &[
    ("panics", r#"config = { mode = "panic" }"#, "trap", "misbehave was told to panic"),
    ("recurses", r#"config = { mode = "recurse" }"#, "trap", "call stack exhausted"),
    ("errors", r#"config = { mode = "error" }"#, "probe_error", "misbehave was told to fail"),
    ("loops", "timeout = \"5s\"\ncpu = \"200ms\"\nconfig = { mode = \"loop\" }", "cpu", "CPU time"),
    ("slow", "timeout = \"300ms\"\nconfig = { mode = \"loop\" }", "timeout", "timed out"),
    ("hoards", "memory = \"16MiB\"\nconfig = { mode = \"alloc\" }", "memory", "over the 16777216-byte limit"),
    ("badname", r#"config = { mode = "invalid-name" }"#, "invalid_output", "invalid metric name"),
    ("badlabel", r#"config = { mode = "invalid-label" }"#, "invalid_output", "invalid label name"),
    ("dupes", r#"config = { mode = "duplicate" }"#, "invalid_output", "duplicate series"),
    // With the default 64 MiB a million samples do not fit in the guest (a `memory` failure);
    // with more room the output cap is what stops them: checked after the copy out of the
    // probe, or, when the copy alone would be too big, instead of it (both name the cap).
    ("million", "memory = \"256MiB\"\nconfig = { mode = \"million\" }", "invalid_output", "max_samples"),
    ("cardinal", r#"config = { mode = "cardinality" }"#, "invalid_output", "100000 samples, over the cap"),
    // With a small output cap, the million samples are refused while being copied out of the
    // probe (wasmtime's copy budget, 16 x max_output_size, at least 16 MiB), not after.
    (
        "bigcopy",
        "memory = \"256MiB\"\nmax_output_size = \"1MiB\"\nconfig = { mode = \"million\" }",
        "invalid_output",
        "the probe passed the host more than 16777216 bytes to copy at once",
    ),
    ("hammer", r#"config = { mode = "api-loop" }"#, "api_limit", "more than its 200 API calls"),
    ("stuck", "timeout = \"1s\"\nconfig = { mode = \"get-potato\" }", "timeout", "timed out"),
];

#[tokio::test]
async fn hostile_probes_leave_the_host_and_the_healthy_probe_alone() {
    hostile_probes_against(&[]).await;
}

/// The same limits hold on the baseline compiler's code, which every probe runs first.
#[tokio::test]
async fn hostile_probes_are_contained_on_baseline_code_too() {
    hostile_probes_against(&["--compiler", "baseline"]).await;
}

async fn hostile_probes_against(args: &[&str]) {
    let sim = support::simulator().await;
    // The server never answers getPotato: "stuck" blocks inside a host call.
    sim.set_fault("getPotato", Some(Fault::Hang));
    let dir = TempDir::new("hostile");
    let misbehave = support::probe("misbehave");
    let mut config = support::api_section(&sim, dir.path());
    config += &support::probe_entry("silos", &support::probe("silos"), "");
    for (name, extra, _, _) in HOSTILE {
        config += &support::probe_entry(name, &misbehave, extra);
    }
    let escape = format!("config = {{ mode = \"escape\", target = \"{}\" }}", sim.addr());
    config += &support::probe_entry("escape", &misbehave, &escape);
    let mut host = Host::start_with(&config, args);
    host.wait_ready().await;

    // Scrape repeatedly while the hostile probes keep running (and failing).
    let started = Instant::now();
    let mut scrapes = 0;
    while started.elapsed() < Duration::from_secs(3) {
        let t = Instant::now();
        let scrape = host.scrape().await;
        assert!(t.elapsed() < Duration::from_secs(1), "a scrape took {:?}", t.elapsed());
        assert_healthy_probe_exact(&scrape);
        scrapes += 1;
    }
    assert!(scrapes > 10);

    let scrape = host.scrape().await;
    let (_, _, page) = host.get("/", None).await;
    for (probe, _, result, message) in HOSTILE {
        let runs = |r: &str| scrape.value("probe_host_probe_runs_total", &[("probe", probe), ("result", r)]);
        assert!(runs(result) >= 1.0, "{probe} should fail with {result}; log:\n{}", host.log());
        assert_eq!(runs("success"), 0.0, "{probe}");
        assert_eq!(scrape.value("probe_host_probe_up", &[("probe", probe)]), 0.0, "{probe}");
        assert_eq!(scrape.value("probe_host_probe_series", &[("probe", probe)]), 0.0, "{probe}");
        assert!(page.contains(message), "the page should say {message:?} for {probe}:\n{page}");
    }

    if args.contains(&"baseline") {
        // Not one probe was swapped to optimized code: these were the baseline compiler's runs.
        for (probe, ..) in HOSTILE {
            assert_eq!(scrape.value("probe_host_probe_optimized", &[("probe", probe)]), 0.0, "{probe}");
        }
    }

    // WASI gives nothing: no files, environment, sockets or name lookups.
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "escape")]), 1.0, "{}", host.log());
    for attempt in ["file", "env", "socket", "dns"] {
        assert_eq!(scrape.value("misbehave_escape", &[("attempt", attempt)]), 0.0, "{attempt} escaped the sandbox");
    }
    // The clocks are the host's (as probes/README.md says): a probe can age a timestamp.
    let probe_now = scrape.value("misbehave_escape", &[("attempt", "clock_seconds")]);
    let host_now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("now").as_secs_f64();
    assert!((host_now - probe_now).abs() < 120.0, "the probe's clock {probe_now}, the host's {host_now}");
    assert_eq!(scrape.value("misbehave_escape", &[("attempt", "monotonic_clock")]), 1.0, "a monotonic clock");
    // The probe looping on the API was stopped at its cap, not left to hammer the target.
    let health_calls = sim.requests("getHealth");
    let hammer_runs = scrape.value("probe_host_probe_runs_total", &[("probe", "hammer"), ("result", "api_limit")]);
    // (one more run may be under way when the simulator's counter is read)
    assert!(health_calls as f64 <= 200.0 * (hammer_runs + 1.0), "{health_calls} calls in {hammer_runs} runs");

    // "stuck"'s requests, cut off by its run's timeout, were sent: they are counted.
    let stuck_runs = scrape.value("probe_host_probe_runs_total", &[("probe", "stuck"), ("result", "timeout")]);
    let cancelled = scrape.value("probe_host_api_requests_total", &[("operation", "getPotato"), ("code", "cancelled")]);
    assert!(cancelled >= 1.0 && cancelled <= stuck_runs + 1.0, "{cancelled} cancelled in {stuck_runs} runs");
    let timed = scrape.value("probe_host_api_request_duration_seconds_count", &[("operation", "getPotato")]);
    assert!(timed >= cancelled, "cancelled requests are in the duration histogram too");
    assert!(sim.requests("getPotato") as f64 <= cancelled + 1.0, "every request the simulator saw is counted");

    let log = host.log();
    assert!(log.contains("misbehave was told to panic"), "a probe's stderr reaches the log:\n{log}");
    assert!(!log.contains("panicked at host/"), "the host itself never panics:\n{log}");
    assert!(host.is_running(), "the host is still up");
}

/// The healthy probe's series, exactly as the data set says.
fn assert_healthy_probe_exact(scrape: &Scrape) {
    let data = Dataset::generate(DEFAULT_SEED);
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "silos")]), 1.0);
    assert_eq!(scrape.count("potato_silo_fill_ratio"), data.silos.len());
    for silo in &data.silos {
        let labels = [("farm", silo.farm_id.as_str()), ("silo", silo.id.as_str())];
        assert_eq!(scrape.value("potato_silo_fill_ratio", &labels), silo.stored_kg / silo.capacity_kg);
    }
}

#[tokio::test]
async fn files_that_are_not_probes_are_reported_and_the_rest_load() {
    let sim = support::simulator().await;
    let dir = TempDir::new("badinput");
    let garbage = dir.path().join("garbage.wasm");
    std::fs::write(&garbage, b"this is not wasm at all").expect("write");
    let core = dir.path().join("core.wasm");
    // The smallest valid core module: magic and version 1.
    std::fs::write(&core, b"\0asm\x01\0\0\0").expect("write");
    let missing = dir.path().join("missing.wasm");
    let mut config = support::api_section(&sim, dir.path());
    config += &support::probe_entry("silos", &support::probe("silos"), "");
    config += &support::probe_entry("garbage", &garbage, "");
    config += &support::probe_entry("core", &core, "");
    config += &support::probe_entry("missing", &missing, "");
    config += &support::probe_entry("otherworld", &support::probe("otherworld"), "");
    config += &support::probe_entry("unknownimport", &support::probe("unknownimport"), "");
    let host = Host::start(&config);
    host.wait_ready().await;

    let scrape = host.scrape().await;
    assert_healthy_probe_exact(&scrape);
    let (_, _, page) = host.get("/", None).await;
    for (probe, message) in [
        ("garbage", "not a WebAssembly component"),
        ("core", "a core WebAssembly module, not a component"),
        ("missing", "cannot read probe"),
        ("otherworld", "does not fit the world probe-host:probe/probe@0.1.2"),
        ("unknownimport", "example:unknown/thing"),
    ] {
        assert_eq!(scrape.value("probe_host_probe_loaded", &[("probe", probe)]), 0.0, "{probe}");
        assert!(page.contains(message), "the page should say {message:?} for {probe}:\n{page}");
        assert!(host.log().contains(&format!("{probe}.wasm")), "the log names the file of {probe}");
    }
}

#[tokio::test]
async fn calls_outside_a_probes_allow_list_are_refused_and_counted() {
    let sim = support::simulator().await;
    let dir = TempDir::new("allow");
    let silos = support::probe("silos");
    let mut config = support::api_section(&sim, dir.path());
    config += "[defaults]\nallow = [\"listFarms\"]\n";
    // The defaults allow only listFarms: silos (which also lists silos) is refused...
    config += &support::probe_entry("narrow", &silos, "");
    // ...unless its own entry grants what it needs.
    config += &support::probe_entry("granted", &silos, "allow = [\"listFarms\", \"listSilos\"]");
    let host = Host::start(&config);
    host.wait_ready().await;
    let scrape = host.scrape().await;
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "granted")]), 1.0);
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "narrow")]), 0.0);
    assert!(scrape.value("probe_host_probe_api_calls_denied_total", &[("probe", "narrow")]) >= 1.0);
    assert_eq!(scrape.value("probe_host_probe_api_calls_denied_total", &[("probe", "granted")]), 0.0);
    assert!(scrape.value("probe_host_probe_runs_total", &[("probe", "narrow"), ("result", "api_error")]) >= 1.0);
    let (_, _, page) = host.get("/", None).await;
    assert!(page.contains("not_permitted"), "{page}");
    // The refused calls never reached the potato-api: one listSilos per farm per granted run only.
    let farms = Dataset::generate(DEFAULT_SEED).farms.len() as f64;
    let granted_runs = scrape.value("probe_host_probe_runs_total", &[("probe", "granted"), ("result", "success")]);
    assert!((sim.requests("listSilos") as f64) <= farms * (granted_runs + 1.0));
}

#[test]
fn an_unknown_operation_in_allow_is_a_config_error() {
    let dir = TempDir::new("allowtypo");
    let path = dir.path().join("c.toml");
    std::fs::write(&path, "[api]\nbase_url = \"http://x/api/v0\"\n[defaults]\nallow = [\"listFarm\"]\n")
        .expect("write");
    let out = support::binary().args(["run", "--config"]).arg(&path).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("c.toml") && stderr.contains("\"listFarm\""), "{stderr}");
}
