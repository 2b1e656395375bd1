//! The probe author's tool belt: `wit` and `check` (`new` is exercised by the guide's test).

use crate::support::{self, TempDir};
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
        assert!(fits && report.contains("result: fits probe-host:probe/probe@0.1.2"), "{probe}:\n{report}");
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
