//! A target served from its OpenAPI document: the second test target (tests/openapi/shop.yaml)
//! mapped to WIT, its functions linked dynamically, and a Rust probe built against the
//! generated WIT (tests/probes/shop) calling every one of them, the pager included. The calls
//! are answered here, by function, so the test sees exactly what crossed the boundary both
//! ways: arguments as JSON with the document's names, responses read into the probe's types.

use crate::support;
use potato_api_client::wit::generate;
use probe_host::api::{ApiError, ApiSettings, HttpCaller, PotatoApi};
use probe_host::config::ProbeSettings;
use probe_host::engine::{
    Call, CallFuture, Caller, Engine, EngineSettings, Lowering, NoApi, RunContext, RunLimits, Target,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use probe_host_test_support::shop_options;

fn shop_document() -> String {
    probe_host_test_support::SHOP_DOCUMENT.to_string()
}

/// One call as the caller saw it: the function, its arguments, its body.
type Asked = (String, Vec<Value>, Option<Value>);

/// Answers every shop function from fixed data, and keeps what it was asked.
#[derive(Default)]
struct ShopAnswers {
    asked: Mutex<Vec<Asked>>,
}

fn item(id: i64, price: Value, state: Value, counts: Value) -> Value {
    json!({"id": id, "kind": "fruit", "price": price, "state": state, "seen": "2026-11-30T05:00:00Z",
           "stock": [{"warehouse": "north", "counts": counts}]})
}

impl Caller for ShopAnswers {
    fn call<'a>(&'a self, call: Call<'a>) -> CallFuture<'a> {
        let (function, args, body) = (call.function, call.args, call.body);
        self.asked.lock().expect("lock").push((function.name.clone(), args.to_vec(), body.cloned()));
        let answer = match function.name.as_str() {
            "get-ping" => Ok(None),
            "get-store" => {
                Ok(Some(json!({"id": 7, "name": "Corner \"Shop\"", "address": {"city": "Gent", "geo": {"lat": 51.05}},
                                          "opening": {"mon": "9-17", "sat": "10-12"}})))
            }
            "find-items-by-store" => match args.get(2) {
                Some(Value::String(c)) if c == "c2" => Ok(Some(json!({"items": [
                    item(3, json!({"mode": "per_kilo", "cents_per_kilo": 0.5}), json!("used"), json!({"a": 5}))
                ], "next": null}))),
                _ => Ok(Some(json!({"items": [
                    item(1, json!({"mode": "fixed", "cents": 250}), Value::Null, json!({"a": 1, "b": 2})),
                    item(9_007_199_254_740_993, json!({"mode": "fixed", "cents": 100}), json!("new"), json!({}))
                ], "next": "c2"}))),
            },
            "search" => Ok(Some(json!([item(1, json!({"mode": "fixed", "cents": 1}), Value::Null, json!({}))]))),
            other => Err(ApiError::NotFound(other.into())),
        };
        Box::pin(async move { answer.map(|v| v.map(|v| Arc::from(serde_json::to_vec(&v).expect("json")))) })
    }
}

/// Runs the Rust shop probe once against `caller`.
async fn run_shop(caller: Arc<dyn Caller>) -> Result<probe_host::engine::RunOutput, probe_host::engine::RunError> {
    run_shop_probe(&support::probe("shop"), caller).await
}

/// The shop probe in Python (tests/probes/shop-py) and JavaScript (tests/probes/shop-js),
/// built against the shop probe's generated WIT.
fn python_shop_probe() -> std::path::PathBuf {
    support::python_probe("tests/probes/shop-py", "tests/probes/shop/wit", "shop-py.wasm")
}

fn js_shop_probe() -> std::path::PathBuf {
    support::js_probe("tests/probes/shop-js/shop.js", "tests/probes/shop/wit", "shop-js.wasm")
}

/// Runs the shop probe at `path` once against `caller`.
async fn run_shop_probe(
    path: &std::path::Path,
    caller: Arc<dyn Caller>,
) -> Result<probe_host::engine::RunOutput, probe_host::engine::RunError> {
    run_shop_probe_with(path, caller, Lowering::Typed).await
}

/// Runs the shop probe at `path` once against `caller`, passing values by `lowering`.
async fn run_shop_probe_with(
    path: &std::path::Path,
    caller: Arc<dyn Caller>,
    lowering: Lowering,
) -> Result<probe_host::engine::RunOutput, probe_host::engine::RunError> {
    let probe = load_shop_probe(path, caller, lowering).unwrap_or_else(|e| panic!("{e}"));
    let settings = ProbeSettings {
        timeout: Duration::from_secs(10),
        cpu: Duration::from_secs(5),
        max_api_calls: 20,
        ..ProbeSettings::default()
    };
    let ctx = RunContext::with_limits(RunLimits::from(&settings));
    probe.run(ctx).await
}

/// A probe of the shop document, loaded (compiled and linked) for `lowering`.
fn load_shop_probe(
    path: &std::path::Path,
    caller: Arc<dyn Caller>,
    lowering: Lowering,
) -> Result<probe_host::engine::Probe, probe_host::engine::LoadError> {
    let api = generate(&shop_document(), &shop_options()).expect("maps").api;
    let target = Target { api: Arc::new(api), caller };
    // The suite's compile cache: a Python component compiles once per machine.
    let settings = EngineSettings {
        target: Some(target),
        cache_dir: Some(support::repo_root().join("target/test-cache")),
        lowering,
        ..EngineSettings::for_probes(1, 64 << 20)
    };
    let engine = Engine::new(settings).expect("engine");
    let bytes = std::fs::read(path).expect("the shop probe");
    engine.load("shop", &bytes)
}

/// Every value the shop probe reports, as the shop's data says.
fn check_shop_values(out: &probe_host::engine::RunOutput) {
    let value = |name: &str| {
        let family = out.families.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no {name}"));
        match &family.samples[0].value {
            probe_host::model::SampleValue::Number(v) => (*v, family.samples[0].labels.clone()),
            other => panic!("{other:?}"),
        }
    };
    let (id, labels) = value("shop_store_info");
    assert_eq!(id, 7.0);
    let label = |k: &str| labels.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(label("name").as_deref(), Some("Corner \"Shop\""));
    assert_eq!(label("city").as_deref(), Some("Gent"));
    assert_eq!(label("opening").as_deref(), Some("mon=9-17,sat=10-12"), "a map keeps the document's key order");
    assert_eq!(value("shop_store_latitude").0, 51.05);
    let (page_items, page_labels) = value("shop_page_items");
    assert_eq!((page_items, page_labels[0].1.as_str()), (2.0, "c2"));
    // The pager followed both pages: three items.
    assert_eq!(value("shop_items").0, 3.0);
    assert_eq!(value("shop_items_max_id").0, 9_007_199_254_740_993_i64 as f64);
    assert_eq!(value("shop_items_cents").0, 250.0 + 100.0 + 0.5);
    assert_eq!(value("shop_items_stock").0, 1.0 + 2.0 + 5.0);
    let five = chrono::DateTime::parse_from_rfc3339("2026-11-30T05:00:00Z").expect("date").timestamp() as f64;
    assert_eq!(value("shop_items_seen_seconds").0, 3.0 * five);
    assert_eq!(value("shop_items_with_state").0, 2.0, "null is none, \"used\" and \"new\" are some");
    assert_eq!(value("shop_search_results").0, 1.0);
    // get-ping, get-store, one page, two pages for the pager, search.
    assert_eq!(out.api_calls, 6);
}

#[tokio::test]
async fn a_probe_built_from_a_generated_package_calls_every_function_of_the_document() {
    let answers = Arc::new(ShopAnswers::default());
    let out = run_shop(answers.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    check_shop_values(&out);
    let asked = answers.asked.lock().expect("lock").clone();
    let names: Vec<&str> = asked.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["get-ping", "get-store", "find-items-by-store", "find-items-by-store", "find-items-by-store", "search"]
    );
    // Arguments in the function's order (path, query, header), as the document's JSON.
    assert_eq!(asked[1].1, [json!(7)]);
    assert_eq!(asked[2].1, [json!(7), json!(2), Value::Null, json!("trace-1")]);
    // The pager asks for full pages and passes the token along.
    assert_eq!(asked[3].1, [json!(7), json!(1000), Value::Null, Value::Null]);
    assert_eq!(asked[4].1, [json!(7), json!(1000), json!("c2"), Value::Null]);
    // The body, with the document's names and enum values.
    assert_eq!(asked[5].2, Some(json!({"text": "apple", "kinds": ["fruit"]})));
}

#[tokio::test]
async fn typed_lowering_and_vals_give_a_probe_the_same_values() {
    // Every function of the shop document, in Rust and in Python, both ways: typed lifting
    // and lowering (the default) and wasmtime's `Val`s (what came before it).
    for probe in [support::probe("shop"), python_shop_probe()] {
        let mut outputs = Vec::new();
        for lowering in [Lowering::Typed, Lowering::Val] {
            let answers = Arc::new(ShopAnswers::default());
            let out = run_shop_probe_with(&probe, answers.clone(), lowering)
                .await
                .unwrap_or_else(|e| panic!("{} with {lowering:?}: {e}", probe.display()));
            check_shop_values(&out);
            outputs.push((out.families, answers.asked.lock().expect("lock").clone()));
        }
        assert_eq!(outputs[0], outputs[1], "{}: the same families and the same requests", probe.display());
    }
}

#[tokio::test]
async fn a_probe_whose_types_differ_from_the_documents_gets_no_value() {
    // Built against a copy of the shop's WIT with `store-address.city` renamed `town`: the
    // same shape, not the same type. Neither way writes the document's record into it: the
    // probe is refused when it loads, naming the function and the field.
    for lowering in [Lowering::Typed, Lowering::Val] {
        let result = load_shop_probe(&support::probe("impostor"), Arc::new(ShopAnswers::default()), lowering);
        let Err(e) = result else { panic!("{lowering:?}: the impostor loaded") };
        let message = e.to_string();
        assert!(
            message.contains("get-store")
                && message.contains("record store-address: the guest's field `town` is not in the document"),
            "{lowering:?}: {message}"
        );
    }
}

#[tokio::test]
async fn a_probe_that_declares_fewer_fields_is_handed_those_of_every_value() {
    // The inventory example's `potato` (its own view, probes/inventory/wit) has four of the
    // document's eight fields; the `lean` fixture's the same four in another order. Both count
    // what the `whole` fixture counts from whole potatoes. Every potato must reach them with
    // those four right, whichever fields the host skipped on the way.
    let sim = support::simulator().await;
    let api = potato_api_client::wit::potato().expect("maps").api.clone();
    let run = |lowering: Lowering, probe: &'static str| {
        let api = api.clone();
        let client = PotatoApi::new(&ApiSettings::new(sim.base_url(), Some(support::TOKEN.into()))).expect("client");
        async move {
            let target = Target { caller: Arc::new(HttpCaller::new(client, &api)), api: Arc::new(api) };
            let settings = EngineSettings { target: Some(target), lowering, ..EngineSettings::for_probes(1, 64 << 20) };
            let engine = Engine::new(settings).expect("engine");
            let loaded = engine.load(probe, &std::fs::read(support::probe(probe)).expect("probe")).expect("loads");
            let settings =
                ProbeSettings { timeout: Duration::from_secs(30), max_api_calls: 1000, ..ProbeSettings::default() };
            loaded.run(RunContext::with_limits(RunLimits::from(&settings))).await
        }
    };
    let whole = run(Lowering::Typed, "whole").await.unwrap_or_else(|e| panic!("whole potatoes: {e}")).families;
    let example = run(Lowering::Typed, "inventory").await.unwrap_or_else(|e| panic!("the example: {e}")).families;
    assert_eq!(example, whole);
    let number = |s: &probe_host::model::Sample| match s.value {
        probe_host::model::SampleValue::Number(n) => n,
        _ => 0.0,
    };
    let counted: f64 = example[0].samples.iter().map(number).sum();
    assert!(counted > 1000.0, "the example counted {counted} potatoes");
    let lean = run(Lowering::Typed, "lean").await.unwrap_or_else(|e| panic!("the lean probe: {e}")).families;
    assert_eq!(lean, example);
    // Values lowered as `Val`s are wasmtime's to write, and it takes a record whole: a view
    // is refused when the probe loads.
    let engine = Engine::new(EngineSettings {
        target: Some(Target { caller: Arc::new(NoApi), api: Arc::new(api.clone()) }),
        lowering: Lowering::Val,
        ..EngineSettings::for_probes(1, 64 << 20)
    })
    .expect("engine");
    let refused = engine.load("lean", &std::fs::read(support::probe("lean")).expect("probe"));
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("list-important-potatoes") && message.contains("record potato: expected 8 fields, got 4"),
        "{message}"
    );
}

#[tokio::test]
async fn a_list_argument_past_the_limit_is_refused_before_it_is_built() {
    // Ten million enum items: 10 MB in the probe, gigabytes on the host as values and JSON.
    let answers = Arc::new(ShopAnswers::default());
    let result = run_shop_probe_with(&support::probe("bigargs"), answers.clone(), Lowering::Typed).await;
    let Err(e) = result else { panic!("the host took the list: {result:?}") };
    let message = format!("{e:#}");
    assert!(message.contains("a list argument of 10000000 items (the most a call takes is 100000)"), "{message}");
    assert!(answers.asked.lock().expect("lock").is_empty(), "no request was made");
}

#[tokio::test]
async fn over_http_every_function_reaches_a_real_server_through_the_access_layer() {
    let shop = support::shop::Shop::start().await;
    let api = generate(&shop_document(), &shop_options()).expect("maps").api;
    let client = PotatoApi::new(&ApiSettings::new(shop.base_url(), Some(support::shop::TOKEN.into()))).expect("client");
    let stats = client.stats();
    let out = run_shop(Arc::new(HttpCaller::new(client, &api))).await.unwrap_or_else(|e| panic!("{e}"));
    check_shop_values(&out);
    let seen = shop.seen.lock().expect("lock").clone();
    let requests: Vec<(&str, &str)> = seen.iter().map(|(m, t, _, _)| (m.as_str(), t.as_str())).collect();
    assert_eq!(
        requests,
        [
            ("GET", "/api/ping"),
            ("GET", "/api/stores/7"),
            ("GET", "/api/stores/7/items?limit=2"),
            ("GET", "/api/stores/7/items?limit=1000"),
            ("GET", "/api/stores/7/items?limit=1000&cursor=c2"),
            ("POST", "/api/search"),
        ]
    );
    assert_eq!(seen[2].2.as_deref(), Some("trace-1"), "the header parameter");
    assert_eq!(serde_json::from_str::<Value>(&seen[5].3).expect("json"), json!({"text": "apple", "kinds": ["fruit"]}));
    // The access layer counted every request under its operationId (or function name).
    let snapshot = stats.snapshot();
    assert_eq!(snapshot.operations["find items by store"].responses["200"], 3);
    assert_eq!(snapshot.operations["get-ping"].responses["204"], 1);
    assert_eq!(snapshot.operations["search"].responses["200"], 1);

    // The same from the Python probe: the same values, the same requests.
    let before = seen.len();
    let client = PotatoApi::new(&ApiSettings::new(shop.base_url(), Some(support::shop::TOKEN.into()))).expect("client");
    let out = run_shop_probe(&python_shop_probe(), Arc::new(HttpCaller::new(client, &api))).await;
    check_shop_values(&out.unwrap_or_else(|e| panic!("the Python probe: {e}")));
    let python: Vec<(String, String)> =
        shop.seen.lock().expect("lock")[before..].iter().map(|(m, t, _, _)| (m.clone(), t.clone())).collect();
    let rust: Vec<(String, String)> = requests.iter().map(|(m, t)| ((*m).to_string(), (*t).to_string())).collect();
    assert_eq!(python, rust);

    // And from the JavaScript probe.
    let before = shop.seen.lock().expect("lock").len();
    let client = PotatoApi::new(&ApiSettings::new(shop.base_url(), Some(support::shop::TOKEN.into()))).expect("client");
    let out = run_shop_probe(&js_shop_probe(), Arc::new(HttpCaller::new(client, &api))).await;
    check_shop_values(&out.unwrap_or_else(|e| panic!("the JavaScript probe: {e}")));
    let js: Vec<(String, String)> =
        shop.seen.lock().expect("lock")[before..].iter().map(|(m, t, _, _)| (m.clone(), t.clone())).collect();
    assert_eq!(js, rust);

    // Refused credentials reach the probe as `unauthorized`.
    let wrong = PotatoApi::new(&ApiSettings::new(shop.base_url(), Some("wrong".into()))).expect("client");
    let err = run_shop(Arc::new(HttpCaller::new(wrong, &api))).await.expect_err("refused");
    assert_eq!(err.kind().label(), "api_error");
    assert!(err.to_string().contains("get-ping: ApiError::Unauthorized(\"who are you\")"), "{err}");
}

#[test]
fn the_shop_probes_wit_is_what_the_generator_writes() {
    let generated = generate(&shop_document(), &shop_options()).expect("maps");
    let committed = std::fs::read_to_string(support::repo_root().join("tests/probes/shop/wit/deps/shop-api/api.wit"))
        .expect("the shop probe's WIT");
    assert_eq!(committed, generated.text, "regenerate with `probe-host wit --openapi tests/openapi/shop.yaml ...`");
}

/// The `[api]` section for the shop server, with its document and WIT settings.
fn shop_api_section(shop: &support::shop::Shop, dir: &std::path::Path) -> String {
    let token = dir.join("token");
    std::fs::write(&token, support::shop::TOKEN).expect("token");
    format!(
        "[api]\nbase_url = \"{}\"\ntoken_file = \"{}\"\nopenapi = \"{}\"\n\
         [api.wit]\npackage = \"shop:api@2.0.0\"\ninterface = \"shop\"\nallow_methods = [\"search\"]\n\
         [api.wit.paging]\ntoken = \"cursor\"\nnext = \"next\"\nitems = \"items\"\nsize = \"limit\"\n",
        shop.base_url(),
        token.display(),
        support::repo_root().join("tests/openapi/shop.yaml").display()
    )
}

#[tokio::test]
async fn probe_host_run_serves_the_configured_document() {
    let shop = support::shop::Shop::start().await;
    let dir = support::TempDir::new("shop-run");
    let mut config = shop_api_section(&shop, dir.path());
    config += &support::probe_entry("shop", &support::probe("shop"), "");
    // Least privilege by the document's operationIds: this one may not search.
    config += &support::probe_entry("narrow", &support::probe("shop"), "allow = [\"get-ping\", \"getStore\"]");
    let host = support::Host::start(&config);
    host.wait_ready().await;
    let scrape = host.scrape().await;
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "shop")]), 1.0, "{}", host.log());
    assert_eq!(scrape.value("shop_items", &[]), 3.0);
    assert_eq!(scrape.value("shop_items_cents", &[]), 350.5);
    let requests =
        scrape.value("probe_host_api_requests_total", &[("operation", "find items by store"), ("code", "200")]);
    assert!(requests >= 3.0, "{requests}");
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "narrow")]), 0.0);
    assert!(scrape.value("probe_host_probe_api_calls_denied_total", &[("probe", "narrow")]) >= 1.0);
    assert!(host.log().contains("serving the target's operations from its OpenAPI document"));
}

#[test]
fn a_configured_document_is_checked_at_load() {
    let dir = support::TempDir::new("shop-config");
    let path = dir.path().join("c.toml");
    let run = |config: &str| {
        std::fs::write(&path, config).expect("write");
        let out = support::binary().args(["run", "--config"]).arg(&path).output().expect("run");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let shop_yaml = support::repo_root().join("tests/openapi/shop.yaml");
    let base = format!("[api]\nbase_url = \"http://127.0.0.1:9/api\"\nopenapi = \"{}\"\n", shop_yaml.display());
    // `allow` names the document's operations, not the potato-api's.
    let (code, stderr) = run(&format!("{base}[defaults]\nallow = [\"listFarms\"]\n"));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("\"listFarms\"") && stderr.contains("find items by store, getStore, get-ping"), "{stderr}");
    // A document that does not map: the file and the JSON pointer.
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "openapi: 3.0.3\ninfo: { title: t, version: '1' }\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: x\n          content:\n            application/json:\n              schema: { $ref: '#/components/schemas/Gone' }\n",
    )
    .expect("write");
    let (code, stderr) = run("[api]\nbase_url = \"http://127.0.0.1:9/api\"\nopenapi = \"broken.yaml\"\n");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("broken.yaml") && stderr.contains("#/components/schemas/Gone"), "{stderr}");
}

/// The probes' own series of a scrape (the self-metrics left out), as `series value` lines.
fn probe_series(scrape: &support::exposition::Scrape) -> Vec<String> {
    scrape.samples.iter().filter(|(k, _)| !k.starts_with("probe_host_")).map(|(k, v)| format!("{k} {v}")).collect()
}

#[tokio::test]
async fn the_potato_document_named_in_the_configuration_serves_as_the_built_in_one() {
    let sim = support::simulator().await;
    let dir = support::TempDir::new("potato-document");
    let probes = [
        support::probe_entry("inventory", &support::probe("inventory"), "config = { page-size = \"100\" }"),
        support::probe_entry("silos", &support::probe("silos"), ""),
        support::probe_entry("orders", &support::probe("orders"), ""),
        support::probe_entry("orders-py", &support::lang_probe("orders-py.wasm"), "timeout = \"60s\""),
        support::probe_entry("orders-js", &support::lang_probe("orders-js.wasm"), "timeout = \"60s\""),
        // Built against WIT 0.1.0: the document's package (0.1.1) serves it too.
        support::probe_entry("legacy", &support::probe("legacy"), ""),
    ]
    .concat();
    let builtin = support::api_section(&sim, dir.path());
    let document = format!(
        "{builtin}openapi = \"{}\"\n[api.wit]\npackage = \"potato:api@0.1.1\"\ninterface = \"potatoes\"\n\
         [api.wit.paging]\ntoken = \"page_token\"\nnext = \"next_page_token\"\nitems = \"items\"\nsize = \"limit\"\n",
        support::repo_root().join("openapi-client/potato-api.yaml").display()
    );
    let mut series = Vec::new();
    for api in [builtin, document] {
        let host = support::Host::start(&format!("{api}{probes}"));
        host.wait_ready().await;
        let scrape = host.scrape().await;
        for probe in ["inventory", "silos", "orders", "orders-py", "orders-js", "legacy"] {
            assert_eq!(scrape.value("probe_host_probe_up", &[("probe", probe)]), 1.0, "{probe}: {}", host.log());
        }
        series.push(probe_series(&scrape));
    }
    // (The simulator's data does not change between the two: the same seed, no faults.)
    assert!(series[0].len() > 100, "{}", series[0].len());
    let differ: Vec<_> = series[0].iter().zip(&series[1]).filter(|(a, b)| a != b).take(5).collect();
    assert!(differ.is_empty() && series[0].len() == series[1].len(), "the two differ: {differ:#?}");
}

/// Runs `cmd`, answering its output and whether it succeeded.
fn output(cmd: &mut std::process::Command) -> (bool, String) {
    let out = cmd.output().expect("run");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test]
async fn the_authors_tools_speak_the_configured_documents_world() {
    let shop = support::shop::Shop::start().await;
    let dir = support::TempDir::new("shop-tools");
    let config = dir.path().join("host.toml");
    std::fs::write(&config, shop_api_section(&shop, dir.path())).expect("config");
    let host_config = |cmd: &mut std::process::Command| {
        cmd.arg("--host-config").arg(&config);
    };

    // `wit` writes the world and package the shop probes are built against.
    let wit = dir.path().join("wit");
    let mut cmd = support::binary();
    cmd.args(["wit", "--out"]).arg(&wit);
    host_config(&mut cmd);
    let (ok, text) = output(&mut cmd);
    assert!(ok && text.contains("imports shop:api/shop@2.0.0"), "{text}");
    for file in ["probe.wit", "deps/shop-api/api.wit"] {
        let written = std::fs::read_to_string(wit.join(file)).expect("written");
        let committed =
            std::fs::read_to_string(support::repo_root().join("tests/probes/shop/wit").join(file)).expect("committed");
        assert_eq!(written, committed, "{file}");
    }

    // `check` judges a probe by the configured document's world, not the potato-api's.
    let shop_probe = support::probe("shop");
    let mut cmd = support::binary();
    cmd.arg("check").arg(&shop_probe);
    host_config(&mut cmd);
    let (ok, text) = output(&mut cmd);
    assert!(ok && text.contains("import shop:api/shop@2.0.0: provided"), "{text}");
    let (ok, text) = output(support::binary().arg("check").arg(&shop_probe));
    assert!(!ok && text.contains("not provided by this host (a probe may import only potato:api"), "{text}");
    let mut cmd = support::binary();
    cmd.arg("check").arg(support::probe("inventory"));
    host_config(&mut cmd);
    let (ok, text) = output(&mut cmd);
    assert!(!ok && text.contains("a probe may import only shop:api"), "{text}");
    // A probe whose copy of the WIT renamed a field has the right shapes but not the types:
    // `check` names the function and the field.
    let mut cmd = support::binary();
    cmd.arg("check").arg(support::probe("impostor"));
    host_config(&mut cmd);
    let (ok, text) = output(&mut cmd);
    assert!(
        !ok && text.contains("get-store: record store, field `address`: record store-address: the guest's field `town` is not in the document"),
        "{text}"
    );

    // `new` starts a probe against it (the shop has no function without parameters that answers a
    // list of records, so the skeleton calls nothing), which builds, fits and runs once.
    let project = dir.path().join("shopper");
    let mut cmd = support::binary();
    cmd.args(["new", "shopper", "--lang", "rust", "--dir"]).arg(&project);
    host_config(&mut cmd);
    let (ok, text) = output(&mut cmd);
    assert!(ok, "{text}");
    assert!(
        std::fs::read_to_string(project.join("wit/probe.wit")).expect("world").contains("import shop:api/shop@2.0.0;")
    );
    let builds = support::repo_root().join("target/skeletons");
    let (ok, text) = output(
        std::process::Command::new("cargo")
            .args(["build", "--quiet", "--release", "--target", "wasm32-wasip2"])
            .current_dir(&project)
            .env("CARGO_TARGET_DIR", &builds),
    );
    assert!(ok, "{text}");
    let wasm = builds.join("wasm32-wasip2/release/shopper.wasm");
    let mut cmd = support::binary();
    cmd.arg("check").arg(&wasm);
    host_config(&mut cmd);
    let (ok, text) = output(&mut cmd);
    assert!(ok, "{text}");
    let mut cmd = support::binary();
    cmd.arg("once").arg(&wasm).args(["--api-url", &shop.base_url()]).env("POTATO_API_TOKEN", support::shop::TOKEN);
    host_config(&mut cmd);
    // Off the runtime's thread: the shop server runs on it.
    let (ok, text) = tokio::task::spawn_blocking(move || output(&mut cmd)).await.expect("join");
    assert!(ok && text.contains("shopper_up 1"), "{text}");

    // And `once` runs the shop probe itself against the shop server, through the document.
    let mut cmd = support::binary();
    cmd.arg("once")
        .arg(&shop_probe)
        .args(["--api-url", &shop.base_url()])
        .env("POTATO_API_TOKEN", support::shop::TOKEN);
    host_config(&mut cmd);
    let (ok, text) = tokio::task::spawn_blocking(move || output(&mut cmd)).await.expect("join");
    assert!(ok && text.contains("shop_store_info{") && text.contains("shop_items "), "{text}");
}
