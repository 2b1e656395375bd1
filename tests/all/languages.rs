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

/// Runs `probe` once with `mode` in its config; answers its stderr (it must fail).
async fn failing(probe: &Path, mode: &str, sim: &potato_sim::Simulator) -> String {
    let mut cmd = support::binary();
    cmd.arg("once").arg(probe).args(["--api-url", &sim.base_url(), "--config", &format!("mode={mode}")]);
    cmd.env("POTATO_API_TOKEN", sim.token());
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run once")).await.expect("join");
    assert_eq!(out.status.code(), Some(1), "{mode} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The error line `once` prints (the run's error as the host keeps, logs and shows it).
fn error_of(stderr: &str) -> &str {
    stderr.find("error: probe ").map_or(stderr, |i| &stderr[i..])
}

#[tokio::test]
async fn a_python_probes_failure_is_reported_in_pythons_words() {
    let sim = support::simulator().await;
    let probe = support::python_probe("tests/probes/errors-py", "wit", "errors-py.wasm");
    // A plain exception: its type and message first, then where it was raised.
    let stderr = failing(&probe, "exception", &sim).await;
    let error = error_of(&stderr);
    assert!(error.starts_with("error: probe errors-py: trapped: ValueError: bad value 42\n"), "{error}");
    assert!(error.contains("line 9, in fail_deeper"), "{error}");
    // A type error, the same way.
    let error = failing(&probe, "type", &sim).await;
    assert!(error_of(&error).contains("trapped: TypeError: object of type 'int' has no len()"), "{error}");
    // An API error left uncaught: counted as the API's failure, and said so.
    let error = failing(&probe, "api", &sim).await;
    assert!(
        error_of(&error)
            .contains("after an API call failed: an API error reached the end of collect uncaught (ApiError_NotFound)"),
        "{error}"
    );
}

#[tokio::test]
async fn a_javascript_probes_failure_is_reported_in_words_that_say_what_to_do() {
    let sim = support::simulator().await;
    let probe = support::js_probe("tests/probes/errors-js/errors.js", "wit", "errors-js.wasm");
    // componentize-js loses a thrown Error's message: the host says so and how to keep it.
    for mode in ["exception", "type"] {
        let error = failing(&probe, mode, &sim).await;
        assert!(error_of(&error).contains("trapped: collect threw something that is not a string"), "{mode}: {error}");
    }
    let error = failing(&probe, "api", &sim).await;
    assert!(
        error_of(&error).contains("after an API call failed: collect threw something that is not a string"),
        "{error}"
    );
    // A string thrown is the run's error, as it is.
    let error = failing(&probe, "string", &sim).await;
    assert!(error_of(&error).contains("collect returned an error: a plain string"), "{error}");
}

#[tokio::test]
async fn the_sdk_examples_give_the_datas_values_in_rust_python_and_javascript() {
    let sim = support::simulator().await;
    let data = Dataset::generate(DEFAULT_SEED);
    let mut outputs = Vec::new();
    for probe in ["queues-py.wasm", "queues-js.wasm"] {
        // Two runs: the second sees what the first kept in scratch.
        let mut cmd = support::binary();
        cmd.arg("once").arg(support::lang_probe(probe)).args(["--api-url", &sim.base_url()]);
        cmd.args(["--runs", "2", "--config", "bounds=100,1000"]).env("POTATO_API_TOKEN", sim.token());
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("run once")).await.expect("join");
        assert!(out.status.success(), "{probe}: {}", String::from_utf8_lossy(&out.stderr));
        outputs.push(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    assert_eq!(outputs[0], outputs[1], "Python and JavaScript differ");
    let second = |output: &str| Scrape::parse(&output[output.find("# run 2 of 2\n").expect("two runs")..]);
    let scrape = second(&outputs[0]);
    // Rust's SDK orders series by their labels, so compare what the samples say.
    let mut cmd = support::binary();
    cmd.arg("once").arg(support::probe("queues")).args(["--api-url", &sim.base_url()]);
    cmd.args(["--runs", "2", "--config", "bounds=100,1000"]).env("POTATO_API_TOKEN", sim.token());
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run once")).await.expect("join");
    assert!(out.status.success(), "queues (Rust): {}", String::from_utf8_lossy(&out.stderr));
    let rust = second(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(rust.samples, scrape.samples, "Rust and Python differ");
    for q in &data.queues {
        assert_eq!(scrape.value("potato_queue_depth", &[("queue", &q.name)]), q.depth as f64);
    }
    let ages: Vec<f64> = data.queues.iter().map(|q| q.oldest_message_age_seconds).collect();
    for (le, bound) in [("100.0", 100.0), ("1000.0", 1000.0), ("+Inf", f64::INFINITY)] {
        let expected = ages.iter().filter(|a| **a <= bound).count() as f64;
        assert_eq!(scrape.value("potato_queue_oldest_age_seconds_bucket", &[("le", le)]), expected, "le {le}");
    }
    assert_eq!(scrape.value("potato_queue_orders", &[]), data.orders.len() as f64);
    assert_eq!(scrape.value("potato_queue_probe_runs_total", &[]), 2.0, "the run count kept in scratch");
}
