//! Probes that fail in every way the host must survive: each failure is named in the
//! self-metrics and on the landing page, and the healthy probe's series are untouched.

use crate::support::{self, Host, TempDir};

#[tokio::test]
async fn failing_probes_leave_the_others_serving() {
    let sim = support::simulator().await;
    let dir = TempDir::new("failures");
    let not_a_component = dir.path().join("garbage.wasm");
    std::fs::write(&not_a_component, b"\0asm this is not a component").expect("write");
    let misbehave = support::probe("misbehave");
    let mut config = support::api_section(&sim, dir.path());
    config += &support::probe_entry("silos", &support::probe("silos"), "");
    config += &support::probe_entry("garbage", &not_a_component, "");
    for (name, extra) in [
        ("panics", "config = { mode = \"panic\" }"),
        ("errors", "config = { mode = \"error\" }"),
        ("loops", "timeout = \"300ms\"\nconfig = { mode = \"loop\" }"),
        ("hoards", "memory = \"16MiB\"\nconfig = { mode = \"alloc\" }"),
        ("badname", "config = { mode = \"invalid-name\" }"),
        ("chatty", "config = { mode = \"print\", name = \"chatty_ok\" }"),
    ] {
        config += &support::probe_entry(name, &misbehave, extra);
    }
    let host = Host::start(&config);
    host.wait_ready().await;
    let scrape = host.scrape().await;

    // The healthy probe is up and serving.
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "silos")]), 1.0);
    assert!(scrape.count("potato_silo_fill_ratio") > 0);
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "chatty")]), 1.0);
    assert_eq!(scrape.value("chatty_ok", &[("source", "misbehave")]), 1.0);

    // Each failure is counted under its own result, and the failing probe is down.
    for (probe, result) in [
        ("panics", "trap"),
        ("errors", "probe_error"),
        ("loops", "timeout"),
        ("hoards", "memory"),
        ("badname", "invalid_output"),
    ] {
        assert_eq!(scrape.value("probe_host_probe_up", &[("probe", probe)]), 0.0, "{probe}");
        assert!(
            scrape.value("probe_host_probe_runs_total", &[("probe", probe), ("result", result)]) >= 1.0,
            "{probe} should have failed with {result}; log:\n{}",
            host.log()
        );
        assert_eq!(scrape.value("probe_host_probe_runs_total", &[("probe", probe), ("result", "success")]), 0.0);
        assert_eq!(scrape.value("probe_host_probe_series", &[("probe", probe)]), 0.0);
    }
    // The file that is not a component never loaded, and says why.
    assert_eq!(scrape.value("probe_host_probe_loaded", &[("probe", "garbage")]), 0.0);
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "garbage")]), 0.0);

    let (_, _, page) = host.get("/", None).await;
    assert!(page.contains("not a WebAssembly component") && page.contains("garbage.wasm"), "{page}");
    assert!(page.contains("misbehave was told to panic"), "the trap message reaches the page: {page}");
    assert!(page.contains("misbehave was told to fail"));
    assert!(page.contains("over the 16777216-byte limit"), "{page}");
    assert!(page.contains("invalid metric name"), "{page}");

    let log = host.log();
    assert!(
        log.contains("misbehave says hello on stdout") && log.contains("chatty"),
        "probe stdout reaches the log tagged with the probe:\n{log}"
    );
    assert!(!log.contains("panicked at 'internal error"), "the host never panics:\n{log}");
}
