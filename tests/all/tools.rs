//! The probe author's tool belt: `wit`, `check` and `new` (for each language), as written in
//! probes/README.md.

use crate::support::{self, TempDir, exposition::Scrape};
use potato_sim::{DEFAULT_SEED, Dataset};
use std::path::Path;
use std::process::{Command, Output};

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn check(probe: &Path) -> (bool, String) {
    let out = support::binary().arg("check").arg(probe).output().expect("check");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn wit_writes_the_contract() {
    let dir = TempDir::new("wit");
    run(support::binary().args(["wit", "--out"]).arg(dir.path()));
    for file in ["probe.wit", "deps/potato-api/types.wit"] {
        let written = std::fs::read_to_string(dir.path().join(file)).expect("written");
        let source = std::fs::read_to_string(support::repo_root().join("wit").join(file)).expect("source");
        assert_eq!(written, source, "{file}");
    }
}

#[test]
fn check_accepts_probes_and_names_what_does_not_fit() {
    for probe in ["inventory", "silos", "orders", "misbehave"] {
        let (fits, report) = check(&support::probe(probe));
        assert!(fits && report.contains("result: fits probe-host:probe/probe@0.1.1"), "{probe}:\n{report}");
    }
    let (fits, report) = check(&support::probe("otherworld"));
    assert!(!fits);
    assert!(
        report.contains("missing export `collect`") && report.contains("export run: not part of the world"),
        "{report}"
    );
    let (fits, report) = check(&support::probe("unknownimport"));
    assert!(!fits);
    assert!(report.contains("import example:unknown/thing: not provided by this host"), "{report}");
}

async fn once_queue_depths(probe: &Path) {
    let (fits, report) = check(probe);
    assert!(fits, "{report}");
    let sim = support::simulator().await;
    let mut cmd = support::binary();
    cmd.arg("once").arg(probe).args(["--api-url", &sim.base_url()]).env("POTATO_API_TOKEN", sim.token());
    let out = tokio::task::spawn_blocking(move || run(&mut cmd)).await.expect("join");
    let scrape = Scrape::parse(&String::from_utf8_lossy(&out.stdout));
    for q in Dataset::generate(DEFAULT_SEED).queues {
        assert_eq!(scrape.value("my_probe_queue_depth", &[("queue", &q.name)]), q.depth as f64);
    }
}

#[tokio::test]
async fn new_rust_probe_builds_checks_and_runs() {
    let dir = TempDir::new("new-rust");
    let probe_dir = dir.path().join("my-probe");
    run(support::binary().args(["new", "my-probe", "--lang", "rust", "--dir"]).arg(&probe_dir));
    // The build command the skeleton's README gives (sharing a target dir across test runs).
    run(Command::new(env!("CARGO"))
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .current_dir(&probe_dir)
        .env("CARGO_TARGET_DIR", support::repo_root().join("target/skeletons")));
    once_queue_depths(&support::repo_root().join("target/skeletons/wasm32-wasip2/release/my_probe.wasm")).await;
}

#[tokio::test]
async fn new_python_and_js_probes_build_check_and_run() {
    // The language toolchains, as the repository's own examples install them.
    let _ = support::lang_probe("orders-py.wasm");
    let dir = TempDir::new("new-lang");

    let py = dir.path().join("py");
    run(support::binary().args(["new", "my-probe", "--lang", "python", "--dir"]).arg(&py));
    run(Command::new(support::repo_root().join("target/py-venv/bin/componentize-py"))
        .args(["-d", "wit", "-w", "probe-host:probe/probe@0.1.1", "componentize", "app", "-o", "my-probe.wasm"])
        .current_dir(&py));
    once_queue_depths(&py.join("my-probe.wasm")).await;

    let js = dir.path().join("js");
    run(support::binary().args(["new", "my-probe", "--lang", "js", "--dir"]).arg(&js));
    // `npm install` would fetch the same pinned packages the examples already have.
    std::os::unix::fs::symlink(support::repo_root().join("probes/js/node_modules"), js.join("node_modules"))
        .expect("link node_modules");
    run(Command::new("node").arg("build.mjs").current_dir(&js));
    once_queue_depths(&js.join("my-probe.wasm")).await;
}
