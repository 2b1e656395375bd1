//! Scrapes under load while hostile probes run: `wrk` (Debian package `wrk`, installed by the
//! README's test command) hammers `/metrics` over loopback for a few seconds; no scrape may
//! fail. The p99 it measures is printed (and recorded in docs/load.md by hand, with the command).
//! A probe returning a huge error is compared with the healthy probe alone, by ratio.

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

/// What one host did under `wrk`: its p99 scrape latency and its resident memory.
struct UnderLoad {
    scrapes: u64,
    p99: std::time::Duration,
    /// Resident set size sampled every 50 ms while wrk ran: (median, largest), in bytes.
    rss: (u64, u64),
}

/// 32 concurrent scrapers for 5 s against `host`, sampling its RSS meanwhile.
async fn under_load(host: &Host) -> UnderLoad {
    let url = format!("{}/metrics", host.url);
    let wrk = tokio::task::spawn_blocking(move || {
        Command::new("wrk")
            .args(["--threads", "2", "--connections", "32", "--duration", "5s", "--timeout", "2s", "--latency", &url])
            .output()
            .expect("wrk not found: install the `wrk` Debian package, or run the README's test command")
    });
    let mut samples = Vec::new();
    while !wrk.is_finished() {
        samples.push(rss_bytes(host.pid()));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let out = wrk.await.expect("join");
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && !report.contains("Non-2xx") && !report.contains("Socket errors"), "{report}");
    samples.sort_unstable();
    let scrapes = report
        .lines()
        .find_map(|l| l.trim().split_once(" requests in ").map(|(n, _)| n.trim().parse().unwrap_or(0)))
        .expect("wrk reports its request count");
    let p99 = report.lines().find_map(|l| l.trim_start().strip_prefix("99%")).expect("p99 line").trim().to_string();
    UnderLoad { scrapes, p99: wrk_duration(&p99), rss: (samples[samples.len() / 2], samples[samples.len() - 1]) }
}

/// `12.34ms`, `850.00us`, `1.02s` as wrk prints them.
fn wrk_duration(text: &str) -> std::time::Duration {
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else {
        panic!("unexpected wrk duration {text:?}")
    };
    std::time::Duration::from_secs_f64(number.parse::<f64>().expect("number") * scale)
}

fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().strip_suffix(" kB"));
    kb.and_then(|k| k.trim().parse::<u64>().ok()).unwrap_or(0) * 1024
}

/// A probe returning a 56 MiB error at every run, next to a healthy probe, against the healthy
/// probe alone: the error is cut to 4 KiB as soon as the run ends, so scrapes do not carry it.
#[tokio::test]
async fn a_huge_error_next_to_a_healthy_probe_leaves_scrapes_and_memory_alone() {
    let sim = support::simulator().await;
    let dir = TempDir::new("hugeload");
    let mut alone = support::api_section(&sim, dir.path());
    alone += &support::probe_entry("silos", &support::probe("silos"), "");
    let huge = support::probe_entry("huge", &support::probe("misbehave"), "config = { mode = \"big-error\" }");
    let mut measured = Vec::new();
    for config in [alone.clone(), alone + &huge] {
        let host = Host::start(&config);
        host.wait_ready().await;
        // A few runs of each probe first.
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        measured.push(under_load(&host).await);
    }
    let (base, hostile) = (&measured[0], &measured[1]);
    let mib = |b: u64| b as f64 / f64::from(1 << 20);
    println!(
        "healthy alone: {} scrapes, p99 {:?}, RSS median {:.1} MiB, max {:.1} MiB\n\
         with the 56 MiB error: {} scrapes, p99 {:?}, RSS median {:.1} MiB, max {:.1} MiB",
        base.scrapes,
        base.p99,
        mib(base.rss.0),
        mib(base.rss.1),
        hostile.scrapes,
        hostile.p99,
        mib(hostile.rss.0),
        mib(hostile.rss.1)
    );
    // The bar: p99 within 2x, memory within 1.5x. Memory is the median resident size
    // while scraped: during each of its runs the probe's own 56 MiB (inside its 64 MiB limit)
    // and one copy of its result are resident for a moment, which the largest sample shows.
    assert!(hostile.p99 <= base.p99 * 2, "p99 {:?} against {:?} for the healthy probe alone", hostile.p99, base.p99);
    assert!(
        hostile.rss.0 as f64 <= base.rss.0 as f64 * 1.5,
        "median RSS {:.1} MiB against {:.1} MiB for the healthy probe alone",
        mib(hostile.rss.0),
        mib(base.rss.0)
    );
    assert!(hostile.scrapes > 100 && base.scrapes > 100);
}
