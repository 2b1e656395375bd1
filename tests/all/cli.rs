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
    // Only the probe's families, unless asked for the host's own; a summary on stderr.
    assert!(!stdout.contains("probe_host_"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("probe silos: run 1: ok, "), "{out:?}");
    assert!(!stdout.contains("# EOF"));
    let out = once(&[silos, "--api-url", &url, "--self-metrics"], sim.token()).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("probe_host_probe_up{probe=\"silos\"} 1.0"));

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

#[tokio::test]
async fn once_records_replays_offline_and_compares_with_what_is_expected() {
    let sim = support::simulator().await;
    let dir = TempDir::new("record");
    let silos = support::probe("silos");
    let silos = silos.to_str().expect("utf-8 path");
    let recording = dir.path().join("rec");
    let recording = recording.to_str().expect("utf-8 path");
    let url = sim.base_url();

    // Recorded against the live API: the output, and every call with its answer.
    let live = once(&[silos, "--api-url", &url, "--record", recording], sim.token()).await;
    assert!(live.status.success(), "{live:?}");
    let recorded = std::fs::read_to_string(dir.path().join("rec/recording.json")).expect("recording");
    assert!(recorded.contains("\"function\": \"list-farms\"") && recorded.contains("\"list-silos\""), "{recorded}");
    let expected = dir.path().join("expected.txt");
    std::fs::write(&expected, &live.stdout).expect("expected");
    let expected = expected.to_str().expect("utf-8 path");

    // Replayed with no API at all (the simulator is gone): the same output, which matches.
    let requests = sim.requests("listFarms");
    drop(sim);
    let replayed = once(&[silos, "--replay", recording, "--expect", expected], "unused").await;
    assert!(replayed.status.success(), "{replayed:?}");
    assert_eq!(replayed.stdout, live.stdout);
    assert!(String::from_utf8_lossy(&replayed.stderr).contains("expected.txt: matches"));
    assert_eq!(requests, 1, "recorded once, replayed from the file");

    // An expectation that does not hold fails, showing the lines that differ.
    let wrong = dir.path().join("wrong.txt");
    let changed = String::from_utf8_lossy(&live.stdout).replacen("} 1.0\n", "} 7.0\n", 1);
    std::fs::write(&wrong, &changed).expect("wrong");
    let out = once(&[silos, "--replay", recording, "--expect", wrong.to_str().expect("utf-8")], "unused").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("wrong.txt: differs") && stderr.contains("} 7.0") && stderr.contains("} 1.0"), "{stderr}");

    // A call the recording does not have fails the run, naming the call.
    let inventory = support::probe("inventory");
    let out = once(&[inventory.to_str().expect("utf-8"), "--replay", recording], "unused").await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the recording: list-important-potatoes"), "{out:?}");
}

#[tokio::test]
async fn once_runs_several_times_keeping_scratch_with_the_limits_and_allow_list_given() {
    let sim = support::simulator().await;
    let url = sim.base_url();
    let misbehave = support::probe("misbehave");
    let misbehave = misbehave.to_str().expect("utf-8 path");

    // The scratch space carries over from run to run, as in the host.
    let out = once(&[misbehave, "--api-url", &url, "--config", "mode=scratch", "--runs", "3"], sim.token()).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    for (run, value) in [(1, "1.0"), (2, "2.0"), (3, "3.0")] {
        assert!(stdout.contains(&format!("# run {run} of 3\n")), "{stdout}");
        assert!(stdout.contains(&format!("misbehave_runs{{source=\"misbehave\"}} {value}")), "{stdout}");
    }

    // The limits and allow list of the configuration, from flags.
    let out = once(&[misbehave, "--api-url", &url, "--config", "mode=alloc", "--memory", "8MiB"], sim.token()).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("ran out of memory"), "{out:?}");
    let args = [misbehave, "--api-url", &url, "--config", "mode=get-potato", "--allow", "listFarms"];
    let out = once(&args, sim.token()).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("may not call getPotato"), "{out:?}");
    let out = once(&[misbehave, "--api-url", &url, "--allow", "nothing-like-it"], sim.token()).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown operation \"nothing-like-it\""), "{out:?}");

    // Starting without a token or without the API's base path is warned about, saying what to set.
    let mut cmd = support::binary();
    let bare = format!("http://{}", sim.addr());
    cmd.arg("once").arg(misbehave).args(["--api-url", &bare]).env_remove("POTATO_API_TOKEN");
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run")).await.expect("join");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no API token") && stderr.contains("POTATO_API_TOKEN"), "{stderr}");
    assert!(stderr.contains("does not end with the document's base path /api/v0"), "{stderr}");
}

#[tokio::test]
async fn a_host_with_little_address_space_runs_probes_with_bounds_checks() {
    // Pooled memories reserve 4 GiB of address space each when they can (the probes' code then
    // checks no bounds). Under `ulimit -v` (or valgrind) that mapping fails: the host must say
    // so and run probes with tight reservations, not fail to start.
    let sim = support::simulator().await;
    let silos = support::probe("silos");
    let binary = env!("CARGO_BIN_EXE_probe-host");
    // The suite's own settings for the binary (its compile cache), through a shell that limits
    // the address space first.
    let settings = support::binary();
    let mut sh = std::process::Command::new("sh");
    sh.envs(settings.get_envs().filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))));
    sh.arg("-c")
        .arg("ulimit -v 16777216 && exec \"$0\" \"$@\"")
        .arg(binary)
        .args(["once", silos.to_str().expect("utf-8 path"), "--api-url", &sim.base_url()])
        .env("POTATO_API_TOKEN", sim.token());
    let out = tokio::task::spawn_blocking(move || sh.output().expect("run probe-host once")).await.expect("join");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("# TYPE potato_silo_fill_ratio gauge\n"));
    assert!(stderr.contains("probe memories reserve only their limit"), "{stderr}");
}
