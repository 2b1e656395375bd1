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
    for file in ["probe.wit", "deps/potato-api/api.wit"] {
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

#[test]
fn wit_from_an_openapi_document_writes_the_world_and_the_package() {
    let dir = TempDir::new("wit-openapi");
    let shop = support::repo_root().join("tests/openapi/shop.yaml");
    let out = run(support::binary()
        .args(["wit", "--openapi"])
        .arg(&shop)
        .args(["--package", "shop:api@2.0.0", "--interface", "shop", "--paging", "cursor,next,items,limit"])
        .args(["--allow", "search", "--out"])
        .arg(dir.path()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("imports shop:api/shop@2.0.0"), "{stdout}");
    let world = std::fs::read_to_string(dir.path().join("probe.wit")).expect("world");
    assert!(world.contains("import shop:api/shop@2.0.0;") && !world.contains("potato:api"), "{world}");
    let package = std::fs::read_to_string(dir.path().join("deps/shop-api/api.wit")).expect("package");
    for line in [
        "package shop:api@2.0.0;",
        "search: func(body: query) -> result<list<item>, api-error>;",
        "find-all-items-by-store: func(store-id: s64, x-trace: option<string>, max-pages: u32) -> result<list<item>, api-error>;",
    ] {
        assert!(package.contains(line), "no {line:?} in\n{package}");
    }

    // A document that is not OpenAPI 3: the file and the cause, and nothing written.
    let swagger = dir.path().join("swagger.yaml");
    std::fs::write(&swagger, "swagger: '2.0'\ninfo: { title: t, version: '1' }\npaths: {}\n").expect("write");
    let empty = dir.path().join("empty");
    let out =
        support::binary().args(["wit", "--openapi"]).arg(&swagger).arg("--out").arg(&empty).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("swagger.yaml") && stderr.contains("not an OpenAPI 3.0 or 3.1 document (Swagger 2.0)"),
        "{stderr}"
    );
    assert!(!empty.exists());
}
