//! `probe-host new NAME --lang rust|python|js`: a ready-to-build probe for the target's
//! document, with the WIT it needs and its build command in a README.
//!
//! The probe calls one of the document's functions as an example: the first that takes no
//! parameters and answers a list of records with a string and a number field, reported as one
//! gauge sample per item (the number, labelled by the string). For the built-in potato-api
//! that is `list-queues`: each queue's `depth` by its `name`. A document without such a
//! function gets a probe that calls nothing and says where to start.

use super::wit;
use potato_api_client::wit::Generated;
use potato_api_client::wit::model::{Api, Ty, TypeKind};
use std::path::Path;

/// The languages `new` can start a probe in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Lang::Rust => "Rust",
            Lang::Python => "Python",
            Lang::Js => "JavaScript",
        })
    }
}

/// Pinned toolchain versions the skeletons use (the same the repository's examples build with).
pub const WIT_BINDGEN: &str = "0.61";
pub const COMPONENTIZE_PY: &str = "0.25.1";
pub const COMPONENTIZE_JS: &str = "0.23.0";
/// The SDKs a Python or JavaScript skeleton is written on, copied into the project.
const PYTHON_SDK: &str = include_str!("../../../probes/python/sdk/probe_sdk.py");
const JS_SDK: &str = include_str!("../../../probes/js/sdk/probe-sdk.js");

/// componentize-js imports preview2-shim but declares it only as an optional peer: list it.
pub const PREVIEW2_SHIM: &str = "0.25.0";

/// Writes the skeleton for `name` in `lang` into `dir` and returns its build command.
///
/// # Errors
/// When `name` is not a valid probe name, `dir` exists and is not empty, or a file cannot be
/// written.
pub fn create(name: &str, lang: Lang, dir: &Path, target: &Generated) -> anyhow::Result<String> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        anyhow::bail!("probe name {name:?}: use lowercase letters, digits and dashes, starting with a letter");
    }
    if dir.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        anyhow::bail!("{} already exists and is not empty", dir.display());
    }
    let import = wit::write(&dir.join("wit"), target)?;
    let example = Example::of(&target.api, name, &import);
    let (files, build): (Vec<(&str, String)>, String) = match lang {
        Lang::Rust => (
            vec![("Cargo.toml", rust_cargo(name)), ("src/lib.rs", rust_lib(example.as_ref(), name))],
            // Cargo names the file after the library (dashes become underscores): copied to
            // NAME.wasm, the probe has the same file name, and `once` the same probe name, in
            // every language.
            format!(
                "cargo build --release --target wasm32-wasip2 && cp target/wasm32-wasip2/release/{}.wasm {name}.wasm",
                name.replace('-', "_")
            ),
        ),
        Lang::Python => (
            vec![("app.py", python_app(example.as_ref(), name)), ("probe_sdk.py", PYTHON_SDK.to_string())],
            format!(
                "python3 -m venv .venv && .venv/bin/pip install componentize-py=={COMPONENTIZE_PY} && \
                 .venv/bin/componentize-py -d wit -w {} componentize app -o {name}.wasm",
                wit::WORLD
            ),
        ),
        Lang::Js => (
            vec![
                ("probe.js", js_probe(example.as_ref(), name)),
                ("probe-sdk.js", JS_SDK.to_string()),
                ("build.mjs", js_build(name)),
                ("package.json", js_package(name)),
            ],
            format!("npm install && node build.mjs   # -> {name}.wasm"),
        ),
    };
    for (relative, contents) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, contents).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    let what = match &example {
        Some(e) => format!("It reports each item's `{}` by its `{}`, from `{}`.", e.value, e.label, e.function),
        None => format!("It calls nothing yet: the functions it may call are in `wit/` ({import})."),
    };
    let readme = format!(
        "# {name}\n\nA probe-host probe. {what}\n\n\
         Build:\n\n```sh\n{build}\n```\n\nCheck and run it once against the simulator (`probe-host simulator`):\n\n\
         ```sh\nprobe-host check {name}.wasm\nPOTATO_API_TOKEN=potato-demo-token probe-host once {name}.wasm --api-url http://127.0.0.1:8080/api/v0\n```\n"
    );
    std::fs::write(dir.join("README.md"), readme)?;
    Ok(build)
}

/// The function the skeleton calls, and the fields it reports (WIT names).
#[derive(Debug)]
struct Example {
    /// `namespace:package/interface@version`.
    import: String,
    function: String,
    label: String,
    value: String,
    metric: String,
}

impl Example {
    fn of(api: &Api, probe: &str, import: &str) -> Option<Self> {
        let record = |ty: &Ty| match ty {
            Ty::Named(n) => api.types.iter().find(|t| t.name == *n).and_then(|t| match &t.kind {
                TypeKind::Record(fields) => Some(fields),
                _ => None,
            }),
            _ => None,
        };
        // A field every language names the same way after its own casing, not a keyword.
        let plain = |name: &str| !KEYWORDS.contains(&snake(name).as_str());
        api.functions.iter().filter(|f| f.params.is_empty() && f.body.is_none()).find_map(|f| {
            let Some(Ty::List(item)) = &f.result else { return None };
            let fields = record(item)?;
            let label = fields.iter().find(|f| f.ty == Ty::String && plain(&f.name))?;
            let value = fields.iter().find(|f| {
                matches!(f.ty, Ty::S32 | Ty::S64 | Ty::U32 | Ty::U64 | Ty::F64)
                    && plain(&f.name)
                    && f.name != label.name
            })?;
            Some(Self {
                import: import.to_string(),
                function: f.name.clone(),
                label: label.name.clone(),
                value: value.name.clone(),
                metric: format!("{}_{}", snake(probe), snake(&value.name)),
            })
        })
    }

    /// `ns::package::interface`, as wit-bindgen names the Rust module.
    fn rust_module(&self) -> String {
        let (package, rest) = self.import.split_once('/').unwrap_or((&self.import, ""));
        let interface = rest.split('@').next().unwrap_or(rest);
        let (ns, name) = package.split_once(':').unwrap_or(("api", package));
        format!("{}::{}::{}", snake(ns), snake(name), snake(interface))
    }

    /// The interface as componentize-py names its module.
    fn python_module(&self) -> String {
        let interface = self.import.split_once('/').map_or("", |(_, r)| r);
        snake(interface.split('@').next().unwrap_or(interface))
    }
}

/// Names no example field may take (Rust, Python and JavaScript keywords a binding would
/// rename).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "class", "const", "continue", "def", "default", "del", "delete", "do", "else",
    "enum", "except", "false", "finally", "fn", "for", "from", "function", "global", "if", "impl", "import", "in",
    "is", "lambda", "let", "loop", "match", "mod", "move", "mut", "new", "none", "not", "or", "pass", "pub", "raise",
    "ref", "return", "self", "static", "struct", "super", "this", "throw", "trait", "true", "try", "type", "typeof",
    "use", "var", "where", "while", "with", "yield",
];

fn snake(kebab: &str) -> String {
    kebab.replace('-', "_")
}

fn camel(kebab: &str) -> String {
    let mut out = String::new();
    for (i, part) in kebab.split('-').enumerate() {
        let mut chars = part.chars();
        match (i, chars.next()) {
            (0, Some(c)) => out.extend(std::iter::once(c).chain(chars)),
            (_, Some(c)) => out.extend(c.to_uppercase().chain(chars)),
            (_, None) => {}
        }
    }
    out
}

fn rust_cargo(name: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n\
         [dependencies]\nwit-bindgen = {{ version = \"{WIT_BINDGEN}\", default-features = false, features = [\"macros\", \"realloc\"] }}\n\n\
         [profile.release]\nopt-level = \"s\"\nstrip = true\npanic = \"abort\"\n\n# Not part of an enclosing workspace.\n[workspace]\n"
    )
}

fn rust_lib(example: Option<&Example>, probe: &str) -> String {
    let head = r#"wit_bindgen::generate!({ path: "wit", world: "probe-host:probe/probe", generate_all });
"#;
    let Some(e) = example else {
        return format!(
            r#"{head}
use probe_host::probe::metrics::{{MetricType, Sample, SampleValue}};

struct Probe;
export!(Probe);

impl Guest for Probe {{
    fn collect() -> Result<Vec<MetricFamily>, String> {{
        // Call the target's functions here: their Rust names are in the module wit-bindgen
        // generates from wit/deps.
        Ok(vec![MetricFamily {{
            name: "{probe}_up".into(),
            help: "1 while the probe runs.".into(),
            unit: None,
            metric_type: MetricType::Gauge,
            samples: vec![Sample {{ labels: vec![], value: SampleValue::Number(1.0) }}],
        }}])
    }}
}}
"#,
            probe = snake(probe)
        );
    };
    format!(
        r#"{head}
use {module}::{function};
use probe_host::probe::metrics::{{Label, MetricType, Sample, SampleValue}};

struct Probe;
export!(Probe);

impl Guest for Probe {{
    fn collect() -> Result<Vec<MetricFamily>, String> {{
        let items = {function}().map_err(|e| format!("{wit_function}: {{e:?}}"))?;
        let samples = items
            .into_iter()
            .map(|item| Sample {{
                labels: vec![Label {{ name: "{label}".into(), value: item.{label} }}],
                value: SampleValue::Number(item.{value} as f64),
            }})
            .collect();
        Ok(vec![MetricFamily {{
            name: "{metric}".into(),
            help: "{help}".into(),
            unit: None,
            metric_type: MetricType::Gauge,
            samples,
        }}])
    }}
}}
"#,
        module = e.rust_module(),
        function = snake(&e.function),
        wit_function = e.function,
        label = snake(&e.label),
        value = snake(&e.value),
        metric = e.metric,
        help = help(e),
    )
}

fn help(e: &Example) -> String {
    // No quotes or apostrophes: it goes inside a string literal in each language.
    format!("The {} of each item, by {}, from {}.", e.value, e.label, e.function)
}

fn python_app(example: Option<&Example>, probe: &str) -> String {
    let Some(e) = example else {
        return format!(
            r#"import wit_world
from probe_sdk import Gauge, collect


class WitWorld(wit_world.WitWorld):
    @collect
    def collect(self):
        # Call the target's functions here: import their interface from wit_world.imports.
        return [Gauge("{probe}_up", "1 while the probe runs.").set({{}}, 1)]
"#,
            probe = snake(probe)
        );
    };
    format!(
        r#"import wit_world
from probe_sdk import Gauge, api, collect
from wit_world.imports import {module}


class WitWorld(wit_world.WitWorld):
    @collect
    def collect(self):
        family = Gauge("{metric}", "{help}")
        for item in api({module}.{function}):
            family.set({{"{label}": item.{label}}}, item.{value})
        return [family]
"#,
        module = e.python_module(),
        function = snake(&e.function),
        label = snake(&e.label),
        value = snake(&e.value),
        metric = e.metric,
        help = help(e),
    )
}

fn js_probe(example: Option<&Example>, probe: &str) -> String {
    let Some(e) = example else {
        return format!(
            r#"import {{ gauge, run }} from './probe-sdk.js';
// Import the target's functions here, from the interfaces in wit/deps.

export function collect() {{
  return run(() => [gauge('{probe}_up', '1 while the probe runs.').set({{}}, 1)]);
}}
"#,
            probe = snake(probe)
        );
    };
    format!(
        r#"import {{ gauge, run }} from './probe-sdk.js';
import {{ {function} }} from '{import}';

export function collect() {{
  return run(() => {{
    const family = gauge('{metric}', '{help}');
    for (const item of {function}()) family.set({{ {label}: item.{label_js} }}, item.{value_js});
    return [family];
  }});
}}
"#,
        function = camel(&e.function),
        import = e.import,
        label = snake(&e.label),
        label_js = camel(&e.label),
        value_js = camel(&e.value),
        metric = e.metric,
        help = help(e),
    )
}

fn js_build(name: &str) -> String {
    format!(
        r#"import {{ componentize }} from '@bytecodealliance/componentize-js';
import {{ writeFile }} from 'node:fs/promises';

const {{ component }} = await componentize({{
  sourcePath: 'probe.js',
  witPath: 'wit',
  worldName: '{}',
  disableFeatures: ['random', 'clocks', 'http', 'fetch-event'],
}});
await writeFile('{name}.wasm', component);
console.error('wrote {name}.wasm');
"#,
        wit::WORLD
    )
}

fn js_package(name: &str) -> String {
    format!(
        "{{\n  \"name\": \"{name}\",\n  \"private\": true,\n  \"type\": \"module\",\n  \"dependencies\": {{\n    \"@bytecodealliance/componentize-js\": \"{COMPONENTIZE_JS}\",\n    \"@bytecodealliance/preview2-shim\": \"{PREVIEW2_SHIM}\"\n  }}\n}}\n"
    )
}
