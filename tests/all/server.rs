//! The HTTP server's own defences, and the host's start-up with broken inputs around it.

use crate::support::{self, Host, TempDir};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn raw_request(url: &str, request: &[u8]) -> String {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(15))).expect("timeout");
    stream.write_all(request).expect("write");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn only_get_and_head_and_bounded_requests() {
    let sim = support::simulator().await;
    let dir = TempDir::new("server");
    let config = format!(
        "{}{}",
        support::api_section(&sim, dir.path()),
        support::probe_entry("silos", &support::probe("silos"), "")
    );
    let host = Host::start(&config);
    host.wait_ready().await;
    let url = host.url.clone();
    tokio::task::spawn_blocking(move || {
        let post =
            raw_request(&url, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        let head = raw_request(&url, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(head.starts_with("HTTP/1.1 200") && !head.contains("# TYPE"), "{head}");
        let huge = format!("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(64 * 1024));
        let reply = raw_request(&url, huge.as_bytes());
        assert!(reply.starts_with("HTTP/1.1 431") || reply.is_empty(), "{reply}");
    })
    .await
    .expect("join");
    // Still serving afterwards.
    assert_eq!(host.scrape().await.value("probe_host_probe_up", &[("probe", "silos")]), 1.0);
}

#[tokio::test]
async fn a_missing_probes_directory_is_reported_not_fatal() {
    let sim = support::simulator().await;
    let dir = TempDir::new("nodir");
    let config_path = dir.path().join("c.toml");
    std::fs::write(
        &config_path,
        format!(
            "listen = \"127.0.0.1:0\"\n{}{}",
            support::api_section(&sim, dir.path()),
            support::probe_entry("silos", &support::probe("silos"), "")
        ),
    )
    .expect("write");
    let missing = dir.path().join("no-such-dir");
    let mut child = support::binary()
        .args(["run", "--config"])
        .arg(&config_path)
        .arg("--probes-dir")
        .arg(&missing)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut banner = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut banner)
        .expect("banner");
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(banner.starts_with("probe-host listening on"), "it runs the configured probes: {banner}{log}");
    assert!(log.contains("cannot read probes directory") && log.contains("no-such-dir"), "{log}");
}

#[test]
fn a_config_with_a_wrong_type_is_rejected_with_file_and_key() {
    let dir = TempDir::new("wrongtype");
    let path = dir.path().join("typed.toml");
    std::fs::write(&path, "[api]\nbase_url = \"http://x\"\n[defaults]\nmax_samples = \"lots\"\n").expect("write");
    let out = support::binary().args(["run", "--config"]).arg(&path).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("typed.toml") && stderr.contains("max_samples"), "{stderr}");
}

#[tokio::test]
async fn a_family_two_probes_export_is_kept_by_the_first() {
    let sim = support::simulator().await;
    let dir = TempDir::new("collide");
    let misbehave = support::probe("misbehave");
    let config = format!(
        "{}{}{}",
        support::api_section(&sim, dir.path()),
        support::probe_entry("first", &misbehave, r#"config = { name = "shared_name" }"#),
        support::probe_entry("second", &misbehave, r#"config = { name = "shared_name" }"#),
    );
    let host = Host::start(&config);
    host.wait_ready().await;
    let scrape = host.scrape().await;
    assert_eq!(scrape.count("shared_name"), 1);
    assert_eq!(scrape.value("probe_host_probe_rejected_families", &[("probe", "first")]), 0.0);
    assert_eq!(scrape.value("probe_host_probe_rejected_families", &[("probe", "second")]), 1.0);
}
