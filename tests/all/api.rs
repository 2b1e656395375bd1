//! The API glue against the simulator: typed results, and every failure mapped to the
//! `api-error` case a probe can act on.

use crate::support;
use crate::support::potatoes::Potatoes;
use probe_host::api::{ApiError, ApiSettings, PotatoApi};
use std::time::Duration;

fn client(base_url: &str, token: Option<&str>) -> Potatoes {
    let mut settings = ApiSettings::new(base_url, token.map(str::to_string));
    settings.timeout = Duration::from_secs(2);
    settings.max_response_bytes = 1 << 20;
    Potatoes::new(PotatoApi::new(&settings).expect("client"))
}

#[tokio::test]
async fn typed_calls_return_the_simulators_data() {
    let sim = support::simulator().await;
    let data = potato_sim::Dataset::generate(potato_sim::DEFAULT_SEED);
    let api = client(&sim.base_url(), Some(sim.token()));

    // Following page tokens returns every potato exactly once, in order.
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = api.list_important_potatoes(Some(1000), token.as_deref()).await.expect("page");
        all.extend(page.items);
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!(all, data.potatoes);
    // The API's default page size is 100.
    assert_eq!(api.list_important_potatoes(None, None).await.expect("page").items.len(), 100);

    assert_eq!(api.get_potato("potato-00007").await.expect("potato"), data.potatoes[6]);
    assert_eq!(api.list_farms().await.expect("farms"), data.farms);
    assert_eq!(api.list_silos("farm-2").await.expect("silos"), data.silos_of("farm-2").expect("farm"));
    assert_eq!(api.list_queues().await.expect("queues"), data.queues);
    let health = api.get_health().await.expect("health");
    assert_eq!(health.components, data.components);

    let delivered = api
        .list_orders(Some(potato_api_client::types::OrderStatus::Delivered), Some(1000), None)
        .await
        .expect("orders");
    let expected: Vec<_> =
        data.orders.iter().filter(|o| o.status == potato_api_client::types::OrderStatus::Delivered).cloned().collect();
    assert_eq!(delivered.items, expected);
    assert_eq!(delivered.next_page_token, None);
}

#[tokio::test]
async fn failures_map_to_api_errors() {
    let sim = support::simulator().await;
    let api = client(&sim.base_url(), Some(sim.token()));

    assert!(
        matches!(api.get_potato("no-such-potato").await, Err(ApiError::NotFound(m)) if m.contains("no-such-potato"))
    );
    assert!(matches!(api.list_silos("no-such-farm").await, Err(ApiError::NotFound(_))));
    assert!(matches!(api.list_important_potatoes(Some(0), None).await, Err(ApiError::Client { .. })));
    let bad_token = api.list_important_potatoes(None, Some("garbage")).await;
    assert!(matches!(&bad_token, Err(ApiError::Client { status: 400, .. })), "{bad_token:?}");

    let wrong_token = client(&sim.base_url(), Some("wrong"));
    assert!(matches!(wrong_token.list_farms().await, Err(ApiError::Unauthorized(_))));
    let no_token = client(&sim.base_url(), None);
    assert!(matches!(no_token.list_farms().await, Err(ApiError::Unauthorized(_))));

    // Nothing listens on the simulator's port once it is gone.
    let url = sim.base_url();
    drop(sim);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let gone = client(&url, Some("t")).list_farms().await;
    assert!(matches!(&gone, Err(ApiError::Transport(m)) if m.contains("onnect")), "{gone:?}");
}

#[tokio::test]
async fn each_simulator_fault_reaches_the_caller_as_the_right_error() {
    use potato_sim::Fault;
    let sim = support::simulator().await;
    let farms = potato_sim::Dataset::generate(potato_sim::DEFAULT_SEED).farms;

    type Check = Box<dyn Fn(&Result<Vec<potato_api_client::types::Farm>, ApiError>) -> bool>;
    let cases: Vec<(Fault, Check)> = vec![
        (Fault::Status(500), Box::new(|r| matches!(r, Err(ApiError::Server { status: 500, .. })))),
        (Fault::Status(503), Box::new(|r| matches!(r, Err(ApiError::Server { status: 503, .. })))),
        (Fault::RateLimited { retry_after_secs: 7 }, Box::new(|r| matches!(r, Err(ApiError::RateLimited(7))))),
        (Fault::Unavailable { retry_after_secs: 9 }, Box::new(|r| matches!(r, Err(ApiError::RateLimited(9))))),
        (Fault::MalformedJson, Box::new(|r| matches!(r, Err(ApiError::InvalidResponse(_))))),
        (Fault::TruncatedBody, Box::new(|r| matches!(r, Err(ApiError::InvalidResponse(_) | ApiError::Transport(_))))),
        (
            Fault::HugeBody { bytes: 4 << 20 },
            Box::new(|r| matches!(r, Err(ApiError::InvalidResponse(m)) if m.contains("too large"))),
        ),
        // The client's timeout is 2 s.
        (Fault::Hang, Box::new(|r| matches!(r, Err(ApiError::Timeout)))),
        (Fault::Latency(Duration::from_millis(300)), Box::new(move |r| r.as_ref().is_ok_and(|f| f.len() == 6))),
    ];
    for (fault, expected) in cases {
        // A fresh client each time: after a Retry-After the old one would hold the operation.
        let api = client(&sim.base_url(), Some(sim.token()));
        sim.set_fault("listFarms", Some(fault.clone()));
        let result = api.list_farms().await;
        assert!(expected(&result), "{fault:?} gave {result:?}");
        // Other operations are unaffected.
        assert!(api.list_queues().await.is_ok(), "{fault:?} leaked to listQueues");
    }
    sim.set_fault("listFarms", None);
    assert_eq!(client(&sim.base_url(), Some(sim.token())).list_farms().await.expect("healed"), farms);
}

#[tokio::test]
async fn identical_calls_from_several_probes_are_sent_once_per_window() {
    use crate::support::{Host, TempDir};
    let sim = support::simulator().await;
    let dir = TempDir::new("shared");
    // Three probes list every important potato (3 pages of 1000) each second; the window is
    // longer than the test. Answers are kept once a second probe calls the operation, so the
    // pages the first probe read before that are read once more; after that, never again.
    let mut config = support::api_section(&sim, dir.path());
    config += "share_window = \"60s\"\n";
    for name in ["inv-a", "inv-b", "inv-c"] {
        config += &support::probe_entry(name, &support::probe("inventory"), "");
    }
    let host = Host::start(&config);
    host.wait_ready().await;
    let runs_each = |n: f64| {
        move |s: &support::exposition::Scrape| {
            ["inv-a", "inv-b", "inv-c"]
                .iter()
                .all(|p| s.value("probe_host_probe_runs_total", &[("probe", p), ("result", "success")]) >= n)
        }
    };
    let scrape = host.wait_for("two runs each", runs_each(2.0)).await;
    let pages = potato_sim::Dataset::generate(potato_sim::DEFAULT_SEED).potatoes.len().div_ceil(1000) as u64;
    let sent = sim.requests("listImportantPotatoes");
    assert!((pages..=2 * pages).contains(&sent), "{sent} requests for {pages} pages");
    let op = [("operation", "listImportantPotatoes")];
    let code = [("operation", "listImportantPotatoes"), ("code", "200")];
    assert_eq!(scrape.value("probe_host_api_requests_total", &code), sent as f64);
    assert_eq!(scrape.value("probe_host_api_cache_misses_total", &op), sent as f64);
    assert_eq!(
        scrape.value("probe_host_api_cache_hits_total", &op),
        scrape.value("probe_host_api_calls_total", &op) - sent as f64
    );
    // Two more runs each, all answered from the kept pages.
    let scrape = host.wait_for("four runs each", runs_each(4.0)).await;
    assert_eq!(sim.requests("listImportantPotatoes"), sent, "no request within the window once shared");
    assert!(
        scrape.value("probe_host_api_calls_total", &op) >= (3 * 4 * pages) as f64,
        "every probe still made its calls"
    );
    // And the shared data is the right data.
    assert_eq!(scrape.value("potato_inventory_weight_grams_count", &[]), (pages * 1000).min(2345) as f64);
}

#[tokio::test]
async fn list_all_functions_follow_every_page_on_the_host_under_a_page_cap() {
    use crate::support::{Host, TempDir};
    let sim = support::simulator().await;
    let dir = TempDir::new("paging");
    let misbehave = support::probe("misbehave");
    let mut config = support::api_section(&sim, dir.path());
    config += "share_window = \"0s\"\n";
    config += &support::probe_entry("all", &misbehave, "config = { mode = \"all-potatoes\" }");
    config += &support::probe_entry(
        "capped",
        &misbehave,
        "config = { mode = \"all-potatoes\", max-pages = \"2\" }\nallow = [\"listImportantPotatoes\"]",
    );
    config += &support::probe_entry(
        "denied",
        &misbehave,
        "config = { mode = \"all-potatoes\", name = \"x\" }\nallow = [\"listFarms\"]",
    );
    let host = Host::start(&config);
    host.wait_ready().await;
    let scrape = host
        .wait_for("a run of each", |s| {
            s.value("probe_host_probe_up", &[("probe", "all")]) == 1.0
                && ["capped", "denied"]
                    .iter()
                    .all(|p| s.value("probe_host_probe_runs_total", &[("probe", p), ("result", "api_error")]) >= 1.0)
        })
        .await;
    let potatoes = potato_sim::Dataset::generate(potato_sim::DEFAULT_SEED).potatoes.len();
    assert_eq!(scrape.value("misbehave_all_potatoes", &[("source", "misbehave")]), potatoes as f64);
    // One call per page of 1000, counted against the probe's API call limit.
    let pages = potatoes.div_ceil(1000) as f64;
    assert_eq!(scrape.value("probe_host_probe_last_run_api_calls", &[("probe", "all")]), pages);
    assert!(sim.requests("listImportantPotatoes") >= pages as u64 + 2, "all's pages and capped's two");
    // A cap lower than the page count is an error, not a short list; the allow list applies.
    let log = host.log();
    assert!(log.contains("too_many_pages"), "{log}");
    assert!(scrape.value("probe_host_probe_api_calls_denied_total", &[("probe", "denied")]) >= 1.0);
}
