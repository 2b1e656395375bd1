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
        // RFC 9110: a 405 names the methods that are allowed.
        assert!(post.to_ascii_lowercase().contains("\r\nallow: get, head\r\n"), "{post}");
        let trace = raw_request(&url, b"TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(
            trace.starts_with("HTTP/1.1 405") && trace.to_ascii_lowercase().contains("allow: get, head"),
            "{trace}"
        );
        let get_reload = raw_request(&url, b"GET /-/reload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert!(get_reload.to_ascii_lowercase().contains("allow: post, put"), "{get_reload}");
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

#[tokio::test]
async fn gzip_custom_path_and_json_logs() {
    use std::io::Read as _;
    let sim = support::simulator().await;
    let dir = TempDir::new("gzip");
    let config = format!(
        "{}{}",
        support::api_section(&sim, dir.path()),
        support::probe_entry("silos", &support::probe("silos"), "")
    );
    let host = Host::start_with(&config, &["--web.telemetry-path", "/custom", "--log.format", "json"]);
    host.wait_ready().await;
    assert_eq!(host.get("/metrics", None).await.0, 404);
    let (status, _, plain) = host.get("/custom", Some("text/plain")).await;
    assert_eq!(status, 200);
    assert!(plain.contains("probe_host_build_info{version=\""), "{plain}");

    let resp = crate::support::http()
        .get(format!("{}/custom", host.url))
        .header("accept", "text/plain")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("GET");
    assert_eq!(resp.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
    let compressed = resp.bytes().await.expect("body");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&compressed[..]).read_to_string(&mut text).expect("valid gzip");
    assert!(compressed.len() * 3 < text.len(), "{} bytes compressed from {}", compressed.len(), text.len());
    // Same content (the probe's series are constant between the two scrapes).
    let series = |t: &str| t.lines().filter(|l| l.starts_with("potato_")).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(series(&text), series(&plain));

    for line in host.log().lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v.get("level").is_some() && v.get("message").is_some(), "{line}");
    }
}

#[tokio::test]
async fn shards_split_the_probes_with_each_in_exactly_one() {
    let sim = support::simulator().await;
    let dir = TempDir::new("shards");
    let misbehave = support::probe("misbehave");
    let names: Vec<String> = (0..8).map(|i| format!("p{i}")).collect();
    let mut config = support::api_section(&sim, dir.path());
    for name in &names {
        config += &support::probe_entry(name, &misbehave, &format!("config = {{ name = \"m_{name}\" }}"));
    }
    let mut seen = Vec::new();
    for index in 0..3 {
        let shard = format!("{index}/3");
        let host = Host::start_with(&config, &["--shard", &shard]);
        host.wait_ready().await;
        let scrape = host.scrape().await;
        let here: Vec<&String> =
            names.iter().filter(|n| scrape.get("probe_host_probe_up", &[("probe", n)]).is_some()).collect();
        for n in &here {
            assert_eq!(scrape.value(&format!("m_{n}"), &[("source", "misbehave")]), 1.0, "{n} runs in shard {shard}");
        }
        seen.extend(here.into_iter().cloned());
    }
    seen.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(seen, expected, "every probe in exactly one shard");
}

/// The host sets mimalloc's settings for itself (docs/performance.md, section 8), and leaves a
/// value the environment sets alone.
#[tokio::test]
async fn the_host_runs_with_its_allocator_settings_unless_the_environment_sets_them() {
    let environ = |pid: u32| std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    let has = |env: &[u8], entry: &str| env.split(|b| *b == 0).any(|e| e == entry.as_bytes());
    let host = Host::start("[api]\nbase_url = \"http://127.0.0.1:9/api/v0\"\n");
    let env = environ(host.pid());
    assert!(has(&env, "MIMALLOC_PURGE_DELAY=0") && has(&env, "MIMALLOC_ARENA_EAGER_COMMIT=0"));

    let mut child = support::binary()
        .args(["simulator", "--listen", "127.0.0.1:0"])
        .env("MIMALLOC_PURGE_DELAY", "250")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut line)
        .expect("banner");
    let env = environ(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert!(has(&env, "MIMALLOC_PURGE_DELAY=250"), "the environment's value stays");
    assert!(has(&env, "MIMALLOC_ARENA_EAGER_COMMIT=0"));
}

/// The background compiler takes only the CPU the rest leaves (README, "Start-up").
#[tokio::test]
async fn the_optimizer_thread_runs_at_the_lowest_priority() {
    let host = Host::start("[api]\nbase_url = \"http://127.0.0.1:9/api/v0\"\n");
    let niceness = || -> Vec<i64> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", host.pid())).expect("tasks");
        tasks
            .filter_map(|t| {
                let dir = t.ok()?.path();
                (std::fs::read_to_string(dir.join("comm")).ok()?.trim() == "optimizer").then_some(())?;
                let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
                // Fields after the command name; niceness is the 19th field of the whole line.
                stat.rsplit_once(')')?.1.split_whitespace().nth(16)?.parse().ok()
            })
            .collect()
    };
    // The thread lowers its own priority as it starts: give it a moment.
    let started = std::time::Instant::now();
    while niceness() != [19] && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(niceness(), [19], "one optimizer thread, at niceness 19");
}
