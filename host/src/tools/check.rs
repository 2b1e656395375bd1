//! `probe-host check`: whether a component fits the host's world, and if not, what is missing,
//! extra or mismatched, in plain words.

use crate::engine::Inspection;
use potato_api_client::wit::model::Api;
use std::fmt::Write;

/// The host's own package and interfaces (their versions: the world's, [`crate::engine::WORLD`]).
const HOST: (&str, &[&str]) = ("probe-host:probe", &["metrics", "log", "config", "scratch"]);

/// The report for one component against a host serving `target`, and whether it fits.
pub fn report(file: &str, inspection: &Inspection, target: &Api) -> (String, bool) {
    let (package, version) = target.package.split_once('@').unwrap_or((&target.package, ""));
    let interfaces = ["types", target.interface.as_str()];
    let provided: [(&str, &[&str], String); 2] =
        [(package, &interfaces, compatible_versions(version)), (HOST.0, HOST.1, compatible_versions(world_version()))];
    let mut out = String::new();
    let _ = writeln!(out, "{file}:");
    let mut built_against: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    let wasi: Vec<&String> = inspection.imports.iter().filter(|i| i.starts_with("wasi:")).collect();
    if !wasi.is_empty() {
        let _ = writeln!(
            out,
            "  imports {} WASI interfaces ({}...): provided, empty (no files, environment or sockets)",
            wasi.len(),
            wasi[0]
        );
    }
    for import in inspection.imports.iter().filter(|i| !i.starts_with("wasi:")) {
        let (package, interface, version) = split(import);
        match provided.iter().find(|(p, _, _)| *p == package) {
            Some((_, interfaces, major)) if interfaces.contains(&interface) && compatible(version, major) => {
                let _ = writeln!(out, "  import {import}: provided");
                let v = format!("{package}@{}", version.unwrap_or("?"));
                if !built_against.contains(&v) {
                    built_against.push(v);
                }
            }
            Some((_, interfaces, major)) if interfaces.contains(&interface) => problems.push(format!(
                "import {import}: this host provides {package} {major}.x, not version {}",
                version.unwrap_or("(none)")
            )),
            Some(_) => problems.push(format!("import {import}: {package} has no interface `{interface}`")),
            None => problems.push(format!(
                "import {import}: not provided by this host (a probe may import only {}, probe-host:probe and WASI)",
                provided[0].0
            )),
        }
    }
    if !inspection.exports.iter().any(|e| e == "collect") {
        problems.push("missing export `collect` (the world's only export: `collect: func() -> result<list<metric-family>, string>`)".into());
    }
    // componentize-py adds an `exports` instance to every component it builds: not the
    // author's doing, and harmless, so not worth a line in every Python probe's report.
    for export in inspection.exports.iter().filter(|e| *e != "collect" && *e != "exports") {
        let _ = writeln!(out, "  export {export}: not part of the world, ignored");
    }
    if inspection.exports.iter().any(|e| e == "collect") {
        let _ = writeln!(out, "  export collect: present");
    }
    if !built_against.is_empty() {
        let _ = writeln!(out, "  built against: {}", built_against.join(", "));
    }
    let fits = problems.is_empty() && inspection.fits.is_ok();
    for p in &problems {
        let _ = writeln!(out, "  problem: {p}");
    }
    match (&inspection.fits, problems.is_empty()) {
        (Ok(()), true) => {
            let _ = writeln!(out, "  result: fits {} (this host)", crate::engine::WORLD);
        }
        (Err(reason), _) => {
            let _ = writeln!(out, "  result: does not fit {}: {reason}", crate::engine::WORLD);
        }
        (Ok(()), false) => {
            let _ = writeln!(out, "  result: does not fit {}", crate::engine::WORLD);
        }
    }
    (out, fits)
}

/// `ns:pkg/iface@1.2.3` → (`ns:pkg`, `iface`, `Some("1.2.3")`).
fn split(name: &str) -> (&str, &str, Option<&str>) {
    let (path, version) = match name.split_once('@') {
        Some((p, v)) => (p, Some(v)),
        None => (name, None),
    };
    match path.split_once('/') {
        Some((package, interface)) => (package, interface, version),
        None => (path, "", version),
    }
}

/// The world's version (`0.1.2` of `probe-host:probe/probe@0.1.2`).
fn world_version() -> &'static str {
    crate::engine::WORLD.rsplit_once('@').map_or("", |(_, v)| v)
}

/// The series of versions a package at `version` links with, as wasmtime matches them:
/// `0.1.1` → `"0.1"` (0.1.x), `2.0.0` → `"2"` (2.x.y).
fn compatible_versions(version: &str) -> String {
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some("0"), Some(minor)) => format!("0.{minor}"),
        (Some(major), _) => major.to_string(),
        (None, _) => String::new(),
    }
}

/// Whether `version` is in the `major` series (`"0.1"` accepts 0.1.x).
fn compatible(version: Option<&str>, major: &str) -> bool {
    version.is_some_and(|v| v.strip_prefix(major).is_some_and(|rest| rest.starts_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_what_is_missing_and_extra() {
        let inspection = Inspection {
            imports: vec![
                "potato:api/potatoes@0.1.0".into(),
                "example:unknown/thing".into(),
                "potato:api/potatoes@0.2.0".into(),
            ],
            exports: vec!["run".into()],
            fits: Err("component imports instance `example:unknown/thing`".into()),
        };
        let potato = potato_api_client::wit::potato().expect("maps");
        let (text, fits) = report("x.wasm", &inspection, &potato.api);
        assert!(!fits);
        assert!(text.contains("import example:unknown/thing: not provided by this host"), "{text}");
        assert!(text.contains("not version 0.2.0"), "{text}");
        assert!(text.contains("missing export `collect`"), "{text}");
        assert!(text.contains("export run: not part of the world"), "{text}");
        assert!(text.contains("built against: potato:api@0.1.0"), "{text}");
    }

    #[test]
    fn the_target_package_is_the_documents() {
        use probe_host_test_support::{SHOP_DOCUMENT, shop_options};
        let shop = potato_api_client::wit::generate(SHOP_DOCUMENT, &shop_options()).expect("maps");
        let inspection = Inspection {
            imports: vec!["shop:api/shop@2.1.0".into(), "potato:api/potatoes@0.1.1".into()],
            exports: vec!["collect".into()],
            fits: Ok(()),
        };
        let (text, fits) = report("x.wasm", &inspection, &shop.api);
        assert!(!fits);
        assert!(text.contains("import shop:api/shop@2.1.0: provided"), "{text}");
        assert!(
            text.contains(
                "import potato:api/potatoes@0.1.1: not provided by this host (a probe may import only shop:api"
            ),
            "{text}"
        );
    }
}
