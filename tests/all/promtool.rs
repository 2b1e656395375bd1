//! The text exposition passes the real `promtool check metrics` (Debian package `prometheus`;
//! the README's test command installs it).

use crate::support::{self, Host, TempDir};
use std::io::Write;
use std::process::{Command, Stdio};

#[tokio::test]
async fn promtool_finds_nothing_to_report() {
    let sim = support::simulator().await;
    let dir = TempDir::new("promtool");
    let config = format!(
        "{}{}{}",
        support::api_section(&sim, dir.path()),
        support::probe_entry("inventory", &support::probe("inventory"), ""),
        support::probe_entry("silos", &support::probe("silos"), ""),
    );
    let host = Host::start(&config);
    host.wait_ready().await;
    let (_, _, text) = host.get("/metrics", Some("text/plain")).await;

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
