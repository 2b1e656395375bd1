//! The mapped document written as a WIT package: `interface types` (the schemas, plus the
//! host's `timestamp`, `http-error` and `api-error`) and the functions' interface.

use super::model::{Api, Param, Ty, TypeKind};
use super::names::ident;
use std::fmt::Write;

/// The host's own types, the same in every package: how a call can fail, and time.
const TIMESTAMP: &str = "    /// A point in time: seconds and nanoseconds since the Unix epoch, UTC.
    record timestamp {
        seconds: s64,
        nanoseconds: u32,
    }
";

const ERRORS: &str = "    /// An error status the API answered with.
    record http-error {
        /// The HTTP status code.
        status: u16,
        /// The API's machine-readable error code (`code` in its error body), if it sent one.
        code: string,
        /// The API's message, or a description of the status when it sent none.
        message: string,
    }

    /// Why a call failed, keeping what a probe can act on.
    variant api-error {
        /// 401: the host's credentials were refused. Nothing a probe can fix; the host logs it.
        unauthorized(string),
        /// 404: the thing asked for does not exist.
        not-found(string),
        /// 429: the API asks us to slow down; try again after this many seconds.
        rate-limited(u32),
        /// Another 4xx status: the request was refused as invalid.
        client-error(http-error),
        /// A 5xx status: the API failed.
        server-error(http-error),
        /// The API did not answer in time.
        timeout,
        /// The API could not be reached (connection refused, reset, DNS, TLS).
        transport(string),
        /// The API answered, but not with what its schema promises.
        invalid-response(string),
    }
";

pub fn package(api: &Api, uses_timestamp: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "package {};\n", api.package);
    out.push_str("/// The API's data, mapped from its OpenAPI schemas (docs/openapi-to-wit.md).\ninterface types {\n");
    if uses_timestamp {
        out.push_str(TIMESTAMP);
        out.push('\n');
    }
    for def in &api.types {
        docs(&mut out, def.docs.as_deref(), "    ");
        let name = ident(&def.name);
        match &def.kind {
            TypeKind::Record(fields) => {
                let _ = writeln!(out, "    record {name} {{");
                for field in fields {
                    docs(&mut out, field.docs.as_deref(), "        ");
                    let _ = writeln!(out, "        {}: {},", ident(&field.name), ty(&field.ty));
                }
                out.push_str("    }\n\n");
            }
            TypeKind::Enum(cases) => {
                let cases: Vec<String> = cases.iter().map(|(c, _)| ident(c)).collect();
                let _ = writeln!(out, "    enum {name} {{ {} }}\n", cases.join(", "));
            }
            TypeKind::Variant { cases, .. } => {
                let _ = writeln!(out, "    variant {name} {{");
                for case in cases {
                    let _ = writeln!(out, "        {}({}),", ident(&case.name), ty(&case.ty));
                }
                out.push_str("    }\n\n");
            }
        }
    }
    out.push_str(ERRORS);
    out.push_str("}\n\n");

    let _ = writeln!(
        out,
        "/// One function per operation. The host owns the HTTP client, the base URL and the\n\
         /// credentials; a probe only ever sees typed results.\ninterface {} {{",
        ident(&api.interface)
    );
    // The types the functions name themselves (not those only inside them), in definition
    // order: `use` makes each an alias in this interface.
    let mut named: Vec<&str> = Vec::new();
    let signatures = api.functions.iter().flat_map(|f| f.params.iter().map(|p| &p.ty).chain(&f.body).chain(&f.result));
    let pager_types = api.pagers.iter().flat_map(|p| p.params.iter().map(|q| &q.ty).chain([&p.item]));
    for t in signatures.chain(pager_types) {
        collect_named(t, &mut named);
    }
    let mut used: Vec<String> = Vec::new();
    if named.contains(&"timestamp") {
        used.push("timestamp".into());
    }
    used.extend(api.types.iter().filter(|d| named.contains(&d.name.as_str())).map(|d| ident(&d.name)));
    used.push("api-error".into());
    let _ = writeln!(out, "    use types.{{{}}};\n", used.join(", "));
    for f in &api.functions {
        let summary = format!("`{} {}`", f.method, f.path);
        let text = match &f.docs {
            Some(d) => format!("{summary}: {d}"),
            None => format!("{summary}."),
        };
        docs(&mut out, Some(&text), "    ");
        let mut params: Vec<String> = f.params.iter().map(param).collect();
        if let Some(body) = &f.body {
            params.push(format!("body: {}", ty(body)));
        }
        let ok = f.result.as_ref().map_or_else(|| "_".to_string(), ty);
        let _ = writeln!(out, "    {}: func({}) -> result<{ok}, api-error>;", ident(&f.name), params.join(", "));
    }
    for p in &api.pagers {
        out.push('\n');
        let text = format!(
            "Every item of `{}`, over all pages: the host follows the page token, each page one call.\n\
             More than `max-pages` pages is a `client-error` with code `too_many_pages`.",
            p.of
        );
        docs(&mut out, Some(&text), "    ");
        let mut params: Vec<String> = p.params.iter().map(param).collect();
        params.push("max-pages: u32".into());
        let _ = writeln!(
            out,
            "    {}: func({}) -> result<list<{}>, api-error>;",
            ident(&p.name),
            params.join(", "),
            ty(&p.item)
        );
    }
    out.push_str("}\n");
    out
}

/// The named types `t` mentions directly (through lists, options and maps, not records).
fn collect_named<'a>(t: &'a Ty, out: &mut Vec<&'a str>) {
    match t {
        Ty::Named(n) => out.push(n),
        Ty::Timestamp => out.push("timestamp"),
        Ty::List(t) | Ty::Option(t) | Ty::Map(t) => collect_named(t, out),
        _ => {}
    }
}

fn param(p: &Param) -> String {
    format!("{}: {}", ident(&p.name), ty(&p.ty))
}

/// A type as written in WIT.
pub fn ty(t: &Ty) -> String {
    match t {
        Ty::Bool => "bool".into(),
        Ty::S32 => "s32".into(),
        Ty::S64 => "s64".into(),
        Ty::U32 => "u32".into(),
        Ty::U64 => "u64".into(),
        Ty::F64 => "f64".into(),
        Ty::String | Ty::Json => "string".into(),
        Ty::Timestamp => "timestamp".into(),
        Ty::Named(n) => ident(n),
        Ty::List(t) => format!("list<{}>", ty(t)),
        Ty::Option(t) => format!("option<{}>", ty(t)),
        Ty::Map(t) => format!("list<tuple<string, {}>>", ty(t)),
    }
}

fn docs(out: &mut String, text: Option<&str>, indent: &str) {
    let Some(text) = text else { return };
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            let _ = writeln!(out, "{indent}///");
        } else {
            let _ = writeln!(out, "{indent}/// {line}");
        }
    }
}
