//! The same probe written in Rust, Python and JavaScript computes the same values.

use crate::support::{self, exposition::Scrape};
use potato_sim::{DEFAULT_SEED, Dataset};
use std::path::Path;

async fn run_once(probe: &Path, sim: &potato_sim::Simulator) -> Scrape {
    let mut cmd = support::binary();
    cmd.arg("once").arg(probe).args(["--api-url", &sim.base_url()]).env("POTATO_API_TOKEN", sim.token());
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run once")).await.expect("join");
    assert!(out.status.success(), "{}: {}", probe.display(), String::from_utf8_lossy(&out.stderr));
    Scrape::parse(&String::from_utf8_lossy(&out.stdout))
}

fn orders(scrape: &Scrape) -> Vec<(String, f64)> {
    scrape.samples.iter().filter(|(k, _)| k.starts_with("potato_orders{")).map(|(k, v)| (k.clone(), *v)).collect()
}

#[tokio::test]
async fn rust_python_and_javascript_probes_agree() {
    let sim = support::simulator().await;
    let rust = run_once(&support::probe("orders"), &sim).await;
    let python = run_once(&support::lang_probe("orders-py.wasm"), &sim).await;
    let javascript = run_once(&support::lang_probe("orders-js.wasm"), &sim).await;

    let data = Dataset::generate(DEFAULT_SEED);
    let mut expected: Vec<(String, f64)> = ["cancelled", "delivered", "packed", "pending", "shipped"]
        .iter()
        .map(|status| {
            let n = data
                .orders
                .iter()
                .filter(|o| {
                    serde_json::to_value(o.status).ok().and_then(|v| v.as_str().map(str::to_string)).as_deref()
                        == Some(*status)
                })
                .count();
            (support::exposition::key("potato_orders", &[("status", status)]), n as f64)
        })
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(orders(&rust), expected, "Rust");
    assert_eq!(orders(&python), expected, "Python");
    assert_eq!(orders(&javascript), expected, "JavaScript");
    // Not a degenerate data set: the statuses differ in count.
    assert!(expected.windows(2).any(|w| w[0].1 != w[1].1), "{expected:?}");
}
