//! `probe-host demo` serves the example probes, and its text exposition passes the real
//! `promtool check metrics` (Debian package `prometheus`; the README's test command installs it).

use crate::support;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn the_demo_serves_metrics_promtool_finds_nothing_to_report() {
    let mut demo = support::binary()
        .args(["demo", "--listen", "127.0.0.1:0", "--interval", "1s", "--probes-dir"])
        .arg(support::probes_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start demo");
    let mut url = None;
    for line in BufReader::new(demo.stdout.take().expect("stdout")).lines() {
        let line = line.expect("line");
        if let Some(rest) = line.strip_prefix("probe-host demo: open ") {
            url = rest.split_whitespace().next().map(|u| u.trim_end_matches('/').to_string());
            break;
        }
    }
    let url = url.expect("the demo prints its URL");
    let client = crate::support::http();
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.get(format!("{url}/readyz")).send().await.map(|r| r.status().as_u16()).ok() != Some(200) {
        assert!(Instant::now() < deadline, "demo not ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = client.get(format!("{url}/metrics")).send().await.expect("scrape").text().await.expect("body");
    let _ = demo.kill();
    let _ = demo.wait();
    assert!(text.contains("potato_inventory_potatoes{") && text.contains("potato_silo_fill_ratio{"), "{text}");

    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child =
        child.expect("promtool not found: install the `prometheus` Debian package, or run the README's test command");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("promtool");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && report.trim().is_empty(), "promtool reported:\n{report}\non:\n{text}");
}
