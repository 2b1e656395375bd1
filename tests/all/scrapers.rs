//! The real scrapers against the host: a throwaway Prometheus server (Debian package
//! `prometheus`), the Datadog agent's OpenMetrics V2 check and prometheus_client's strict
//! OpenMetrics parser (both from PyPI, tests/scrapers/requirements.txt). Values are checked
//! against the simulator's data set.

use crate::support::{self, checkers::python};
use potato_sim::{DEFAULT_SEED, Dataset};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn prometheus_scrapes_the_host_with_no_error_and_the_right_values() {
    let (_sim, host, dir) = support::examples_host("").await;
    let target = host.url.trim_start_matches("http://").to_string();
    let config = dir.path().join("prometheus.yml");
    // The README's scrape job, pointed at this host, on a 1 s interval to keep the test short.
    let job = support::doc_block("README.md", "Scrape with Prometheus", "yaml")
        .replace("probe-host:9898", &target)
        .replace("scrape_interval: 15s", "scrape_interval: 1s\n    scrape_timeout: 1s");
    std::fs::write(&config, job).expect("config");
    let port = free_port();
    let prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus not found: install the `prometheus` Debian package, or run the README's test command");
    let _guard = KillOnDrop(prometheus);
    let api = format!("http://127.0.0.1:{port}/api/v1");
    let client = crate::support::http();
    let get = |path: String| {
        let client = client.clone();
        async move { client.get(path).send().await.ok()?.json::<Value>().await.ok() }
    };

    // Wait for a scrape that is up, then for the probes' series.
    let deadline = Instant::now() + Duration::from_secs(60);
    let query = |q: &str| get(format!("{api}/query?query={}", urlencode(q)));
    loop {
        let targets = get(format!("{api}/targets")).await;
        let active = targets.as_ref().and_then(|t| t["data"]["activeTargets"].get(0).cloned());
        if let Some(t) = active.filter(|t| t["health"] == "up") {
            assert_eq!(t["lastError"], "", "{t}");
            let q = query("count(potato_silo_fill_ratio)").await;
            if q.as_ref().and_then(|q| q["data"]["result"].get(0).cloned()).is_some() {
                break;
            }
        }
        assert!(Instant::now() < deadline, "Prometheus never scraped the host successfully: {targets:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let value = |q: Value| -> f64 {
        let v = &q["data"]["result"][0]["value"][1];
        v.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no value in {q}"))
    };
    let data = Dataset::generate(DEFAULT_SEED);
    let silo = &data.silos[0];
    let q = query(&format!("potato_silo_fill_ratio{{silo=\"{}\"}}", silo.id)).await.expect("query");
    assert_eq!(value(q), silo.stored_kg / silo.capacity_kg);
    let q = query("count(potato_silo_fill_ratio)").await.expect("query");
    assert_eq!(value(q), data.silos.len() as f64);
    let russets = data
        .potatoes
        .iter()
        .filter(|p| p.harvested_at.is_some() && p.variety == potato_api_client::types::Variety::Russet)
        .count();
    let q = query("potato_inventory_harvested_total{variety=\"russet\"}").await.expect("query");
    assert_eq!(value(q), russets as f64);
    let q = query("potato_inventory_weight_grams_bucket{le=\"+Inf\"}").await.expect("query");
    assert_eq!(value(q), data.potatoes.len() as f64);
    let q = query("probe_host_probe_up{probe=\"inventory\"}").await.expect("query");
    assert_eq!(value(q), 1.0);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs a Python helper from tests/scrapers and returns its stdout.
async fn helper(script: &str, args: Vec<String>) -> String {
    let python = python().clone();
    let script = support::repo_root().join("tests/scrapers").join(script);
    let out =
        tokio::task::spawn_blocking(move || Command::new(python).arg(script).args(args).output().expect("python"))
            .await
            .expect("join");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn the_datadog_openmetrics_check_submits_the_right_metrics_in_both_formats() {
    let (_sim, host, _dir) = support::examples_host("").await;
    let data = Dataset::generate(DEFAULT_SEED);
    // The README's instance, pointed at this host.
    let instances: Value = serde_yaml::from_str(
        &support::doc_block("README.md", "Scrape with Datadog", "yaml").replace("http://probe-host:9898", &host.url),
    )
    .expect("the README's instance is YAML");
    let instance = instances["instances"][0].clone();
    assert_eq!(instance["namespace"], "potato");
    for mode in ["text", "latest"] {
        let mut instance = instance.clone();
        if mode == "latest" {
            instance["use_latest_spec"] = Value::Bool(true);
        }
        let report: Value =
            serde_json::from_str(&helper("datadog_check.py", vec![instance.to_string()]).await).expect("json");
        assert_eq!(report["error"], "", "{mode}: the check failed: {}", report["error"]);
        let metrics = report["metrics"].as_array().expect("metrics");
        let find = |name: &str, tags: &[&str]| -> (String, f64) {
            let m = metrics
                .iter()
                .find(|m| {
                    m["name"] == name
                        && tags.iter().all(|t| m["tags"].as_array().is_some_and(|a| a.iter().any(|x| x == t)))
                })
                .unwrap_or_else(|| panic!("{mode}: no {name} {tags:?}"));
            (m["type"].as_str().unwrap_or("").to_string(), m["value"].as_f64().unwrap_or(f64::NAN))
        };

        let silo = &data.silos[0];
        let (ty, v) =
            find("potato.potato_silo_fill_ratio", &[&format!("silo:{}", silo.id), &format!("farm:{}", silo.farm_id)]);
        assert_eq!((ty.as_str(), v), ("gauge", silo.stored_kg / silo.capacity_kg), "{mode}");

        // A counter arrives as a monotonic count named without _total: had the text format's
        // TYPE line named the family without _total, Datadog would have dropped it.
        let russets = data
            .potatoes
            .iter()
            .filter(|p| p.harvested_at.is_some() && p.variety == potato_api_client::types::Variety::Russet)
            .count();
        let (ty, v) = find("potato.potato_inventory_harvested.count", &["variety:russet"]);
        assert_eq!((ty.as_str(), v), ("monotonic_count", russets as f64), "{mode}");

        // Histogram: buckets with upper_bound tags, sum and count.
        let under_200 = data.potatoes.iter().filter(|p| p.weight_grams <= 200).count();
        let (ty, v) = find("potato.potato_inventory_weight_grams.bucket", &["upper_bound:200.0"]);
        assert_eq!((ty.as_str(), v), ("monotonic_count", under_200 as f64), "{mode}");
        let (_, v) = find("potato.potato_inventory_weight_grams.count", &[]);
        assert_eq!(v, data.potatoes.len() as f64, "{mode}");

        // Self-metrics come through too, and nothing is submitted from a `_created` series.
        let (_, v) = find("potato.probe_host_probe_up", &["probe:inventory"]);
        assert_eq!(v, 1.0);
        assert!(metrics.iter().all(|m| !m["name"].as_str().unwrap_or("").contains("created")), "{mode}");
        let health = report["service_checks"].as_array().expect("service checks");
        assert!(
            health.iter().any(|c| c["name"] == "potato.openmetrics.health" && c["status"] == report["ok"]),
            "{mode}: {health:?}"
        );
    }
}

#[tokio::test]
async fn prometheus_clients_strict_openmetrics_parser_accepts_the_output() {
    let (_sim, host, _dir) = support::examples_host("").await;
    let out = helper("openmetrics_parse.py", vec![format!("{}/metrics", host.url)]).await;
    assert!(out.contains(" families, "), "{out}");
}
