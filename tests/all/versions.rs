//! WIT versioning: a probe built against `probe-host:probe@0.1.0` runs in the current host, and
//! the scratch space added in 0.1.1 carries values between runs (only from successful runs).

use crate::support::{self, Host, TempDir, exposition::Scrape};
use potato_sim::{DEFAULT_SEED, Dataset};

#[tokio::test]
async fn a_probe_built_against_0_1_0_runs_in_the_current_host() {
    let sim = support::simulator().await;
    let legacy = support::probe("legacy");
    let mut cmd = support::binary();
    cmd.arg("once").arg(&legacy).args(["--api-url", &sim.base_url()]).env("POTATO_API_TOKEN", sim.token());
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run")).await.expect("join");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let scrape = Scrape::parse(&String::from_utf8_lossy(&out.stdout));
    for q in Dataset::generate(DEFAULT_SEED).queues {
        assert_eq!(scrape.value("potato_queue_depth", &[("queue", &q.name)]), q.depth as f64);
    }

    // `check` says which version it was built against.
    let out = support::binary().arg("check").arg(&legacy).output().expect("check");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains("probe-host:probe@0.1.0"), "{report}");
}

#[tokio::test]
async fn the_scratch_space_survives_between_successful_runs_only() {
    let sim = support::simulator().await;
    let dir = TempDir::new("scratch");
    let misbehave = support::probe("misbehave");
    let config = format!(
        "{}{}{}",
        support::api_section(&sim, dir.path()),
        support::probe_entry("counting", &misbehave, "interval = \"300ms\"\nconfig = { mode = \"scratch\" }"),
        support::probe_entry(
            "failing",
            &misbehave,
            "interval = \"300ms\"\nconfig = { mode = \"scratch\", name = \"failing_runs\", fail-after = \"2\" }"
        ),
    );
    let host = Host::start(&config);
    host.wait_ready().await;

    // Each run sees the count the previous one stored: the value equals the successful runs
    // so far (one more run may finish between the two reads, never fewer).
    let scrape =
        host.wait_for("three runs", |s| s.get("misbehave_runs", &[("source", "misbehave")]) >= Some(3.0)).await;
    let runs = scrape.value("misbehave_runs", &[("source", "misbehave")]);
    let successes = scrape.value("probe_host_probe_runs_total", &[("probe", "counting"), ("result", "success")]);
    assert!(runs == successes || runs + 1.0 == successes, "value {runs} after {successes} runs");

    // The third run stores 3 and then fails: its write is dropped, so every later run sees 2
    // again and fails again. Had the write survived, the fourth run would succeed.
    let scrape = host
        .wait_for("three failures", |s| {
            s.value("probe_host_probe_runs_total", &[("probe", "failing"), ("result", "probe_error")]) >= 3.0
        })
        .await;
    assert_eq!(scrape.value("probe_host_probe_runs_total", &[("probe", "failing"), ("result", "success")]), 2.0);
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "failing")]), 0.0);
}
