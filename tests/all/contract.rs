//! The simulator honours its own contract: schemathesis (PyPI, pinned in
//! tests/contract/requirements.txt) generates requests from `openapi-client/potato-api.yaml`
//! — valid and invalid, single calls and chains following the pagination links — with every
//! check it has (status codes, schemas, headers, `Allow` on 405, acceptance of schema-valid
//! input), against a running simulator.

use crate::support;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// schemathesis, installed once into target/st-venv.
fn schemathesis() -> &'static PathBuf {
    static ST: OnceLock<PathBuf> = OnceLock::new();
    ST.get_or_init(|| {
        let venv = support::repo_root().join("target/st-venv");
        let st = venv.join("bin/schemathesis");
        let ready = Command::new(&st)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("4.32.5"));
        if !ready {
            let ok = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().is_ok_and(|s| s.success())
                && Command::new(venv.join("bin/pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
                    .arg(support::repo_root().join("tests/contract/requirements.txt"))
                    .status()
                    .is_ok_and(|s| s.success());
            assert!(ok, "cannot install tests/contract/requirements.txt into {}", venv.display());
        }
        st
    })
}

#[tokio::test]
async fn schemathesis_finds_nothing_wrong_with_the_simulator() {
    let sim = support::simulator().await;
    let st = schemathesis().clone();
    let document = support::repo_root().join("openapi-client/potato-api.yaml");
    let dir = support::TempDir::new("schemathesis");
    let (url, token, cwd) = (sim.base_url().to_string(), sim.token().to_string(), dir.path().to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(st)
            .arg("run")
            .arg(&document)
            .args(["--url", &url, "--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "all", "--seed", "1", "--max-examples", "100", "--generation-database", "none"])
            .current_dir(cwd)
            .output()
            .expect("schemathesis")
    })
    .await
    .expect("join");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "schemathesis found problems:\n{report}{}", String::from_utf8_lossy(&out.stderr));
    let summary = report.lines().find(|l| l.contains(" generated, ")).unwrap_or("").trim();
    println!("schemathesis: {summary}");
    assert!(summary.contains(" passed"), "{report}");
}
