//! The scheduler's promises: probes run on their interval without being scraped, and a probe
//! whose runs start failing loses its series until it succeeds again.

use crate::support::{self, Host, TempDir};
use std::time::Duration;

#[tokio::test]
async fn failed_runs_remove_series_until_the_probe_recovers() {
    let sim = support::simulator().await;
    let addr = sim.addr();
    let dir = TempDir::new("recovery");
    let config = format!(
        "{}{}",
        support::api_section(&sim, dir.path()),
        support::probe_entry("silos", &support::probe("silos"), "timeout = \"2s\""),
    );
    let host = Host::start(&config);
    host.wait_ready().await;
    let before = host.scrape().await;
    assert_eq!(before.value("probe_host_probe_up", &[("probe", "silos")]), 1.0);
    let series = before.count("potato_silo_fill_ratio");
    assert!(series > 0);

    // The potato-api goes away: the next run fails and the probe's series disappear.
    drop(sim);
    let scrape = host.wait_for("silos down", |s| s.value("probe_host_probe_up", &[("probe", "silos")]) == 0.0).await;
    assert_eq!(scrape.count("potato_silo_fill_ratio"), 0, "stale series must not be served");
    assert!(scrape.value("probe_host_probe_runs_total", &[("probe", "silos"), ("result", "api_error")]) >= 1.0);
    let (_, _, page) = host.get("/", None).await;
    assert!(page.contains("list-farms") && page.contains("Transport"), "the page says why: {page}");

    // It comes back on the same address: the probe recovers by itself.
    let _sim =
        potato_sim::Simulator::start(addr, support::TOKEN, potato_sim::Dataset::generate(potato_sim::DEFAULT_SEED))
            .await
            .expect("restart simulator");
    let scrape =
        host.wait_for("silos up again", |s| s.value("probe_host_probe_up", &[("probe", "silos")]) == 1.0).await;
    assert_eq!(scrape.count("potato_silo_fill_ratio"), series);
}

#[tokio::test]
async fn probes_run_on_their_interval_without_scrapes() {
    let sim = support::simulator().await;
    let dir = TempDir::new("interval");
    let config = format!(
        "{}{}",
        support::api_section(&sim, dir.path()),
        support::probe_entry("fast", &support::probe("misbehave"), ""),
    );
    let host = Host::start(&config);
    host.wait_ready().await;
    let first = host.scrape().await.value("probe_host_probe_runs_total", &[("probe", "fast"), ("result", "success")]);
    // No scrapes for 3.5 s: at a 1 s interval, three or four more runs happen meanwhile.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let later = host.scrape().await.value("probe_host_probe_runs_total", &[("probe", "fast"), ("result", "success")]);
    let runs = later - first;
    assert!((2.0..=5.0).contains(&runs), "{runs} runs in 3.5 s at a 1 s interval");
}

#[tokio::test]
async fn a_rotated_token_file_is_used_without_a_restart() {
    let sim = support::simulator().await;
    let dir = TempDir::new("rotation");
    let config = format!(
        "{}{}",
        support::api_section(&sim, dir.path()),
        support::probe_entry("silos", &support::probe("silos"), "interval = \"300ms\""),
    );
    let host = Host::start(&config);
    host.wait_ready().await;
    assert_eq!(host.scrape().await.value("probe_host_probe_up", &[("probe", "silos")]), 1.0);

    // The service's credentials rotate: the old token is refused...
    sim.set_token("rotated-token");
    host.wait_for("refused with the old token", |s| {
        s.value("probe_host_probe_runs_total", &[("probe", "silos"), ("result", "api_error")]) >= 1.0
    })
    .await;
    // ...and the mounted secret is updated: the next runs use the new token.
    std::fs::write(dir.path().join("token"), "rotated-token\n").expect("rotate");
    host.wait_for("up with the new token", |s| s.value("probe_host_probe_up", &[("probe", "silos")]) == 1.0).await;
    assert!(host.log().contains("API token file changed"), "{}", host.log());
    assert!(!host.log().contains("rotated-token"), "the log never prints a token");
}
