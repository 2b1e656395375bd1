//! `probe-host new NAME --lang rust|python|js`: a ready-to-build probe, with the WIT it needs
//! and its build command in a README.

use super::wit;
use std::path::Path;

/// The languages `new` can start a probe in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

/// Pinned toolchain versions the skeletons use (the same the repository's examples build with).
pub const WIT_BINDGEN: &str = "0.61";
pub const COMPONENTIZE_PY: &str = "0.25.1";
pub const COMPONENTIZE_JS: &str = "0.23.0";
/// componentize-js imports preview2-shim but declares it only as an optional peer: list it.
pub const PREVIEW2_SHIM: &str = "0.25.0";

/// Writes the skeleton for `name` in `lang` into `dir` and returns its build command.
///
/// # Errors
/// When `name` is not a valid probe name, `dir` exists and is not empty, or a file cannot be
/// written.
pub fn create(name: &str, lang: Lang, dir: &Path) -> anyhow::Result<String> {
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        anyhow::bail!("probe name {name:?}: use lowercase letters, digits and dashes, starting with a letter");
    }
    if dir.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        anyhow::bail!("{} already exists and is not empty", dir.display());
    }
    wit::write(&dir.join("wit"))?;
    let metric = format!("{}_queue_depth", name.replace('-', "_"));
    let (files, build): (Vec<(&str, String)>, String) = match lang {
        Lang::Rust => (
            vec![("Cargo.toml", rust_cargo(name)), ("src/lib.rs", rust_lib(&metric))],
            format!(
                "cargo build --release --target wasm32-wasip2   # -> target/wasm32-wasip2/release/{}.wasm",
                name.replace('-', "_")
            ),
        ),
        Lang::Python => (
            vec![("app.py", python_app(&metric))],
            format!(
                "python3 -m venv .venv && .venv/bin/pip install componentize-py=={COMPONENTIZE_PY} && \
                 .venv/bin/componentize-py -d wit -w {} componentize app -o {name}.wasm",
                wit::WORLD
            ),
        ),
        Lang::Js => (
            vec![("probe.js", js_probe(&metric)), ("build.mjs", js_build(name)), ("package.json", js_package(name))],
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
    let readme = format!(
        "# {name}\n\nA probe-host probe. It reports the depth of every potato-api queue.\n\n\
         Build:\n\n```sh\n{build}\n```\n\nCheck and run it once against the simulator (`probe-host simulator`):\n\n\
         ```sh\nprobe-host check {name}.wasm\nPOTATO_API_TOKEN=potato-demo-token probe-host once {name}.wasm --api-url http://127.0.0.1:8080/api/v0\n```\n"
    );
    std::fs::write(dir.join("README.md"), readme)?;
    Ok(build)
}

fn rust_cargo(name: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n\
         [dependencies]\nwit-bindgen = {{ version = \"{WIT_BINDGEN}\", default-features = false, features = [\"macros\", \"realloc\"] }}\n\n\
         [profile.release]\nopt-level = \"s\"\nstrip = true\npanic = \"abort\"\n\n# Not part of an enclosing workspace.\n[workspace]\n"
    )
}

fn rust_lib(metric: &str) -> String {
    format!(
        r#"wit_bindgen::generate!({{ path: "wit", world: "probe-host:probe/probe", generate_all }});

use potato::api::potatoes::list_queues;
use probe_host::probe::metrics::{{Label, MetricType, Sample, SampleValue}};

struct Probe;
export!(Probe);

impl Guest for Probe {{
    fn collect() -> Result<Vec<MetricFamily>, String> {{
        let queues = list_queues().map_err(|e| format!("list-queues: {{e:?}}"))?;
        let samples = queues
            .into_iter()
            .map(|q| Sample {{
                labels: vec![Label {{ name: "queue".into(), value: q.name }}],
                value: SampleValue::Number(q.depth as f64),
            }})
            .collect();
        Ok(vec![MetricFamily {{
            name: "{metric}".into(),
            help: "Messages waiting, per queue.".into(),
            unit: None,
            metric_type: MetricType::Gauge,
            samples,
        }}])
    }}
}}
"#
    )
}

fn python_app(metric: &str) -> String {
    format!(
        r#"import wit_world
from componentize_py_types import Err
from wit_world.imports import metrics, potatoes


class WitWorld(wit_world.WitWorld):
    def collect(self):
        try:
            queues = potatoes.list_queues()
        except Err as e:
            raise Err(f"list-queues: {{e.value}}")
        samples = [
            metrics.Sample([metrics.Label("queue", q.name)], metrics.SampleValue_Number(float(q.depth)))
            for q in queues
        ]
        return [metrics.MetricFamily("{metric}", "Messages waiting, per queue.", None, metrics.MetricType.GAUGE, samples)]
"#
    )
}

fn js_probe(metric: &str) -> String {
    format!(
        r#"import {{ listQueues }} from 'potato:api/potatoes@0.1.1';

export function collect() {{
  let queues;
  try {{
    queues = listQueues();
  }} catch (e) {{
    throw `list-queues: ${{JSON.stringify(e.payload ?? String(e))}}`;
  }}
  const samples = queues.map((q) => ({{
    labels: [{{ name: 'queue', value: q.name }}],
    value: {{ tag: 'number', val: Number(q.depth) }},
  }}));
  return [{{ name: '{metric}', help: 'Messages waiting, per queue.', unit: undefined, metricType: 'gauge', samples }}];
}}
"#
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
