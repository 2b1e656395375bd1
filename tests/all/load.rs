//! Scrapes under load while hostile probes run: `wrk` (Debian package `wrk`, installed by the
//! README's test command) hammers `/metrics` over loopback for a few seconds; no scrape may
//! fail. The p99 it measures is printed (and recorded in docs/load.md by hand, with the command).

use crate::support::{self, Host, TempDir};
use std::process::Command;

#[tokio::test]
async fn concurrent_scrapes_never_fail_while_probes_misbehave() {
    let sim = support::simulator().await;
    let dir = TempDir::new("load");
    let misbehave = support::probe("misbehave");
    let mut config = support::api_section(&sim, dir.path());
    config += &support::probe_entry("inventory", &support::probe("inventory"), "");
    config += &support::probe_entry("silos", &support::probe("silos"), "");
    config += &support::probe_entry("loops", &misbehave, "cpu = \"300ms\"\nconfig = { mode = \"loop\" }");
    config += &support::probe_entry("hoards", &misbehave, "config = { mode = \"alloc\" }");
    config += &support::probe_entry("panics", &misbehave, "config = { mode = \"panic\" }");
    config += &support::probe_entry("hammer", &misbehave, "config = { mode = \"api-loop\" }");
    let host = Host::start(&config);
    host.wait_ready().await;

    let url = format!("{}/metrics", host.url);
    let out = tokio::task::spawn_blocking(move || {
        Command::new("wrk")
            .args(["--threads", "2", "--connections", "64", "--duration", "5s", "--timeout", "2s", "--latency", &url])
            .output()
            .expect("wrk not found: install the `wrk` Debian package, or run the README's test command")
    })
    .await
    .expect("join");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!report.contains("Non-2xx or 3xx responses"), "failed scrapes:\n{report}");
    assert!(!report.contains("Socket errors"), "connection errors:\n{report}");
    let requests: u64 = report
        .lines()
        .find_map(|l| l.trim().split_once(" requests in ").map(|(n, _)| n.trim().parse().unwrap_or(0)))
        .expect("wrk reports its request count");
    assert!(requests > 100, "only {requests} scrapes in 5 s:\n{report}");
    let p99 = report.lines().find(|l| l.trim_start().starts_with("99%")).expect("p99 line");
    println!("scrapes: {requests}, p99: {}", p99.trim());
    // Every probe's latest results are still served correctly afterwards.
    let scrape = host.scrape().await;
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "inventory")]), 1.0);
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "silos")]), 1.0);
}
