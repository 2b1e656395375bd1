//! The command line as a probe author uses it.

use crate::support::{self, TempDir};
use std::process::Output;

async fn once(args: &[&str], token: &str) -> Output {
    let mut cmd = support::binary();
    cmd.arg("once").args(args).env("POTATO_API_TOKEN", token);
    tokio::task::spawn_blocking(move || cmd.output().expect("run probe-host once")).await.expect("join")
}

#[tokio::test]
async fn once_prints_the_probes_metrics_in_either_format() {
    let sim = support::simulator().await;
    let silos = support::probe("silos");
    let silos = silos.to_str().expect("utf-8 path");
    let url = sim.base_url();

    let out = once(&[silos, "--api-url", &url], sim.token()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("# TYPE potato_silo_fill_ratio gauge\n"), "{stdout}");
    assert!(stdout.contains("probe_host_probe_up{probe=\"silos\"} 1.0"));
    assert!(!stdout.contains("# EOF"));

    let out = once(&[silos, "--api-url", &url, "--format", "openmetrics"], sim.token()).await;
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("# EOF\n"));

    // Probe settings from the command line reach the probe's `config` interface.
    let misbehave = support::probe("misbehave");
    let misbehave = misbehave.to_str().expect("utf-8 path");
    let out = once(&[misbehave, "--api-url", &url, "--config", "name=from_cli"], sim.token()).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("from_cli{source=\"misbehave\"} 1.0"));
}

#[tokio::test]
async fn once_names_the_file_and_cause_on_failure() {
    let sim = support::simulator().await;
    let dir = TempDir::new("cli");
    let garbage = dir.path().join("notaprobe.wasm");
    std::fs::write(&garbage, b"hello").expect("write");
    let url = sim.base_url();

    let out = once(&[garbage.to_str().expect("utf-8"), "--api-url", &url], sim.token()).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("notaprobe.wasm") && stderr.contains("not a WebAssembly component"), "{stderr}");

    let missing = dir.path().join("missing.wasm");
    let out = once(&[missing.to_str().expect("utf-8"), "--api-url", &url], sim.token()).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read probe"));

    // A wrong token: the probe gets `unauthorized`, returns an error, and `once` says so.
    let inventory = support::probe("inventory");
    let out = once(&[inventory.to_str().expect("utf-8"), "--api-url", &url], "wrong-token").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("probe inventory") && stderr.contains("Unauthorized"), "{stderr}");
}

#[test]
fn version_and_bad_config() {
    let out = support::binary().arg("--version").output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("probe-host "));

    let dir = TempDir::new("badconfig");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[api]\nbase_url = \"http://x\"\n[defaults]\ninterval = \"soon\"\n").expect("write");
    let out = support::binary().args(["run", "--config"]).arg(&path).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("bad.toml") && stderr.contains("soon"), "{stderr}");
}

#[tokio::test]
async fn api_faults_reach_the_probe_as_typed_errors() {
    use potato_sim::Fault;
    let sim = support::simulator().await;
    let misbehave = support::probe("misbehave");
    let misbehave = misbehave.to_str().expect("utf-8");
    let url = sim.base_url();
    // The probe formats the `api-error` it receives from get-potato with {:?}.
    for (fault, expected) in [
        (Fault::Status(503), "ServerError(HttpError { status: 503"),
        (Fault::Status(500), "ServerError(HttpError { status: 500"),
        (Fault::RateLimited { retry_after_secs: 7 }, "RateLimited(7)"),
        (Fault::MalformedJson, "InvalidResponse("),
        (Fault::HugeBody { bytes: 20 << 20 }, "InvalidResponse(\"response body too large"),
        (Fault::Hang, "get-potato: ApiError::Timeout"),
    ] {
        sim.set_fault("getPotato", Some(fault.clone()));
        let args = [misbehave, "--api-url", &url, "--config", "mode=get-potato", "--api-timeout", "1s"];
        let out = once(&args, sim.token()).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{fault:?}");
        assert!(stderr.contains(expected), "{fault:?}: expected {expected:?} in\n{stderr}");
        assert!(stderr.contains("an API call failed"), "counted as api_error: {stderr}");
    }
    sim.set_fault("getPotato", None);
    let out = once(&[misbehave, "--api-url", &url, "--config", "mode=get-potato"], sim.token()).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
