//! probes/README.md's per-language guides, run as written: each `sh` block under "## Rust",
//! "## Python" and "## JavaScript" runs in a fresh directory, with `probe-host` on the PATH and
//! the simulator's URL and token in the environment the guide's set-up exports.

use crate::support::{self, TempDir, exposition::Scrape};
use potato_sim::{DEFAULT_SEED, Dataset};
use std::process::Command;

async fn run_guide(section: &str) {
    // The language's guide, then (in the probe's directory it ends in) the record/replay loop.
    let script = support::doc_block("probes/README.md", section, "sh")
        + &support::doc_block("probes/README.md", "Test it without the API", "sh");
    let sim = support::simulator().await;
    let dir = TempDir::new("guide");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_probe-host")).parent().expect("bin dir").to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("bash");
    cmd.args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env("PATH", path)
        .env("POTATO_API_URL", sim.base_url())
        .env("POTATO_API_TOKEN", sim.token())
        .env("PROBE_HOST_CACHE_DIR", support::repo_root().join("target/test-cache"));
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("bash")).await.expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{section} guide failed:\n{script}\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("result: fits probe-host:probe/probe@0.1.2"), "{stdout}");
    // `new` names the language as the guide does; `check` reports nothing the author did not
    // write (componentize-py's own `exports` instance included).
    assert!(stdout.contains(&format!("created queue-depth ({section} probe)")), "{stdout}");
    assert!(!stdout.contains("not part of the world"), "{stdout}");
    // The last command is `probe-host once`: its exposition ends the output.
    // (The replayed run prints the same exposition again: the last one is parsed.)
    let first_help = stdout.lines().find(|l| l.starts_with("# HELP")).unwrap_or_else(|| panic!("{stdout}"));
    let exposition = &stdout[stdout.rfind(first_help).unwrap_or(0)..];
    let scrape = Scrape::parse(exposition);
    // The file is queue-depth.wasm in every language, so the probe is called queue-depth.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("probe queue-depth: run 1: ok"), "{section}: {stderr}");
    assert!(stderr.contains("expected.txt: matches"), "{section}: the replayed run differs: {stderr}");
    // The skeleton's example for the potato-api: `list-queues`, each queue's `depth` by its
    // `name` (the first function without parameters that answers records with a string and a
    // number).
    for q in Dataset::generate(DEFAULT_SEED).queues {
        assert_eq!(scrape.value("queue_depth_depth", &[("name", &q.name)]), q.depth as f64, "{section}");
    }
}

#[tokio::test]
async fn the_rust_guide_works_as_written() {
    run_guide("Rust").await;
}

#[tokio::test]
async fn the_python_guide_works_as_written() {
    run_guide("Python").await;
}

#[tokio::test]
async fn the_javascript_guide_works_as_written() {
    run_guide("JavaScript").await;
}
