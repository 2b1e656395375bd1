//! One probe must never corrupt another's series, nor grow the host, the scrape, the log or
//! the landing page with what it returns: series names are unique across type suffixes, and
//! everything a probe controls (its error text, its log) is bounded.

use crate::support::{self, Host, TempDir, checkers};
use std::time::Duration;

/// Accept headers of the two formats.
const TEXT: &str = "text/plain";
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0";

#[tokio::test]
async fn series_names_are_unique_across_type_suffixes_within_and_across_probes() {
    let sim = support::simulator().await;
    let dir = TempDir::new("clash");
    let misbehave = support::probe("misbehave");
    let mut config = support::api_section(&sim, dir.path());
    // Listed first, so they keep their names: a counter `owned` (series `owned_total`) and
    // a histogram `spread` (series `spread_bucket`, `spread_count`, `spread_sum`).
    config += &support::probe_entry("owner", &misbehave, r#"config = { mode = "counter", name = "owned" }"#);
    config += &support::probe_entry("histo", &misbehave, r#"config = { mode = "histogram", name = "spread" }"#);
    // Listed later, each exporting a gauge named like one of those series.
    config += &support::probe_entry("squatter", &misbehave, r#"config = { name = "owned_total" }"#);
    config += &support::probe_entry("hsquat", &misbehave, r#"config = { name = "spread_count" }"#);
    config += &support::probe_entry("created", &misbehave, r#"config = { name = "owned_created" }"#);
    // One probe returning a counter `misbehave_clash` and a gauge `misbehave_clash_total`.
    config += &support::probe_entry("selfclash", &misbehave, r#"config = { mode = "suffix-clash" }"#);
    // A histogram with negative bucket bounds (and so no sum in OpenMetrics).
    config += &support::probe_entry(
        "negative",
        &misbehave,
        r#"config = { mode = "histogram", name = "skew", lowest = "-2.5" }"#,
    );
    let host = Host::start(&config);
    host.wait_ready().await;
    let scrape = host
        .wait_for("every probe has run", |s| {
            ["owner", "histo", "squatter", "hsquat", "created", "negative"]
                .iter()
                .all(|p| s.get("probe_host_probe_up", &[("probe", p)]) == Some(1.0))
        })
        .await;

    // The owners' values, not the squatters' (a misbehave gauge is 1, the counter 6).
    assert_eq!(scrape.value("owned_total", &[("source", "misbehave")]), 6.0);
    assert_eq!(scrape.value("spread_count", &[("source", "misbehave")]), 6.0);
    for squatter in ["squatter", "hsquat", "created"] {
        assert_eq!(scrape.value("probe_host_probe_rejected_families", &[("probe", squatter)]), 1.0, "{squatter}");
    }
    assert_eq!(scrape.value("probe_host_probe_rejected_families", &[("probe", "owner")]), 0.0);
    assert_eq!(scrape.get("owned_created", &[("source", "misbehave")]), None);
    // Within one probe, the clash fails the run.
    let invalid = scrape.value("probe_host_probe_runs_total", &[("probe", "selfclash"), ("result", "invalid_output")]);
    assert!(invalid >= 1.0, "{}", host.log());
    let (_, _, page) = host.get("/", None).await;
    assert!(page.contains("is also a series name of the counter family"), "{page}");

    // Both formats pass the real checkers as a whole.
    let (_, _, text) = host.get("/metrics", Some(TEXT)).await;
    checkers::promtool(&text).unwrap_or_else(|e| panic!("promtool: {e}\n{text}"));
    let (_, _, openmetrics) = host.get("/metrics", Some(OPENMETRICS)).await;
    checkers::openmetrics(&openmetrics).unwrap_or_else(|e| panic!("OpenMetrics parser: {e}\n{openmetrics}"));
    assert!(!openmetrics.contains("skew_sum"), "no sum with negative buckets in OpenMetrics:\n{openmetrics}");
    assert!(openmetrics.contains("skew_bucket{source=\"misbehave\",le=\"-2.5\"} 2"), "{openmetrics}");
    assert!(text.contains("skew_sum{source=\"misbehave\"} -15"), "the text format keeps the sum:\n{text}");
}

#[tokio::test]
async fn a_huge_error_is_cut_before_it_reaches_the_log_the_page_or_the_scrape() {
    let sim = support::simulator().await;
    let dir = TempDir::new("hugeerror");
    let mut config = support::api_section(&sim, dir.path());
    config += &support::probe_entry("silos", &support::probe("silos"), "");
    // 56 MiB of error text, at the default limits.
    config += &support::probe_entry("huge", &support::probe("misbehave"), r#"config = { mode = "big-error" }"#);
    let host = Host::start(&config);
    host.wait_ready().await;
    let scrape = host
        .wait_for("three failed runs", |s| {
            s.get("probe_host_probe_runs_total", &[("probe", "huge"), ("result", "probe_error")]).unwrap_or(0.0) >= 3.0
        })
        .await;
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "silos")]), 1.0);
    let (_, _, page) = host.get("/", None).await;
    assert!(page.len() < 32 << 10, "the landing page is {} bytes", page.len());
    let dropped = (56 << 20) + "END-OF-ERROR".len() - 4096;
    assert!(page.contains(&format!("({dropped} bytes dropped)")), "{}", &page[..page.len().min(2000)]);
    assert!(!page.contains("END-OF-ERROR"));
    let log = host.log();
    assert!(log.len() < 64 << 10, "the log is {} bytes after three runs", log.len());
    assert!(log.contains(&format!("({dropped} bytes dropped)")), "{}", &log[..log.len().min(2000)]);
}

#[tokio::test]
async fn a_probe_flooding_its_log_is_cut_at_the_per_run_budget() {
    let sim = support::simulator().await;
    let dir = TempDir::new("logflood");
    let mut config = support::api_section(&sim, dir.path());
    // 1,000 lines of 4 KB per run: 4 MB of log a run without a budget.
    config += &support::probe_entry("chatty", &support::probe("misbehave"), r#"config = { mode = "log-flood" }"#);
    let host = Host::start(&config);
    host.wait_ready().await;
    let scrape = host
        .wait_for("three runs", |s| {
            s.get("probe_host_probe_runs_total", &[("probe", "chatty"), ("result", "success")]).unwrap_or(0.0) >= 3.0
        })
        .await;
    let runs = scrape.value("probe_host_probe_runs_total", &[("probe", "chatty"), ("result", "success")]);
    // (a run may have started since that scrape)
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = host.log();
    let flood: usize = log.lines().filter(|l| l.contains("msg=\"flood ")).map(str::len).sum();
    assert!(flood as f64 <= 17_000.0 * (runs + 1.0), "{flood} bytes of log lines in {runs} runs");
    assert!(flood > 0, "the first lines of each run still get through");
    assert!(
        log.contains("bytes of log lines past the 16384-byte budget of one run"),
        "one line says what was dropped:\n{}",
        &log[..log.len().min(3000)]
    );
    assert!(log.len() < 40_000 * (runs as usize + 2), "the log is {} bytes after {runs} runs", log.len());
}
