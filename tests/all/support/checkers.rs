//! The real checkers of an exposition, on text the tests hold: `promtool check metrics`
//! (Debian package `prometheus`) for the text format, prometheus_client's strict OpenMetrics
//! parser (PyPI, tests/scrapers/requirements.txt) for OpenMetrics.

use super::repo_root;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// A Python with the Datadog check and prometheus_client, installed once into target/dd-venv.
pub fn python() -> &'static PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let venv = repo_root().join("target/dd-venv");
        let python = venv.join("bin/python");
        let ready = Command::new(&python)
            .args(["-c", "import datadog_checks.base, prometheus_client"])
            .status()
            .is_ok_and(|s| s.success());
        if !ready {
            let ok = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().is_ok_and(|s| s.success())
                && Command::new(venv.join("bin/pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
                    .arg(repo_root().join("tests/scrapers/requirements.txt"))
                    .status()
                    .is_ok_and(|s| s.success());
            assert!(ok, "cannot install tests/scrapers/requirements.txt into {}", venv.display());
        }
        python
    })
}

/// Runs `command` with `input` on stdin: its exit code and everything it printed.
fn run_on(mut command: Command, input: &str) -> Result<(Option<i32>, String), String> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {command:?}: {e} (the README's test command installs it)"))?;
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_string();
    // Written from a thread: a large input would otherwise fill the pipe while the child
    // fills its own output pipe.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = writer.join();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Ok((out.status.code(), report))
}

fn promtool_check(text: &str) -> Result<(Option<i32>, String), String> {
    let mut command = Command::new("promtool");
    command.args(["check", "metrics"]);
    run_on(command, text)
}

/// `promtool check metrics` on a text-format exposition: no parse error and no lint finding.
pub fn promtool(text: &str) -> Result<(), String> {
    match promtool_check(text)? {
        (Some(0), report) if report.trim().is_empty() => Ok(()),
        (_, report) => Err(report),
    }
}

/// `promtool check metrics` parses the text: lint findings (style advice such as "no help
/// text", exit code 3) are allowed, parse errors (exit code 1) are not.
pub fn promtool_parses(text: &str) -> Result<(), String> {
    match promtool_check(text)? {
        (Some(0 | 3), _) => Ok(()),
        (_, report) => Err(report),
    }
}

/// prometheus_client's strict OpenMetrics parser on an OpenMetrics exposition.
pub fn openmetrics(text: &str) -> Result<(), String> {
    let mut command = Command::new(python());
    command.arg(repo_root().join("tests/scrapers/openmetrics_parse.py")).arg("-");
    match run_on(command, text)? {
        (Some(0), _) => Ok(()),
        (_, report) => Err(report),
    }
}

/// [`openmetrics`] on many expositions in one run of the parser: `None` or the error for each.
pub fn openmetrics_batch(texts: &[String]) -> Vec<Option<String>> {
    let mut command = Command::new(python());
    command.arg(repo_root().join("tests/scrapers/openmetrics_parse.py")).arg("--batch");
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("python");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = serde_json::to_vec(texts).expect("json");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("python");
    let _ = writer.join();
    assert!(out.status.success(), "the parser's batch run failed");
    serde_json::from_slice(&out.stdout).expect("the batch run answers a JSON list")
}
