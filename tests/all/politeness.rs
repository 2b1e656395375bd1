//! Politeness to the target, seen from the simulator's side: the concurrency cap holds under
//! many probes, the rate limit spaces requests, and `Retry-After` keeps every request for that
//! operation away until its time.

use crate::support::potatoes::Potatoes;
use crate::support::{self, Host, TempDir};
use potato_sim::Fault;
use probe_host::api::{ApiError, ApiSettings, Politeness, PotatoApi};
use std::time::{Duration, Instant};

fn client(sim: &potato_sim::Simulator, politeness: Politeness) -> Potatoes {
    let mut settings = ApiSettings::new(sim.base_url(), Some(sim.token().to_string()));
    settings.share_window = Duration::ZERO;
    settings.politeness = politeness;
    Potatoes::new(PotatoApi::new(&settings).expect("client"))
}

#[tokio::test]
async fn the_concurrency_cap_holds_under_many_probes() {
    let sim = support::simulator().await;
    // Slow silos, so requests pile up behind the cap.
    sim.set_fault("listSilos", Some(Fault::Latency(Duration::from_millis(100))));
    let dir = TempDir::new("concurrency");
    let mut config = support::api_section(&sim, dir.path());
    config += "share_window = \"0s\"\nmax_concurrent_requests = 2\nmax_requests_per_second = 0\n";
    let names: Vec<String> = (0..8).map(|i| format!("silos-{i}")).collect();
    for name in &names {
        config += &support::probe_entry(name, &support::probe("silos"), "");
    }
    let host = Host::start(&config);
    host.wait_ready().await;
    let scrape = host
        .wait_for("two successful runs of every probe", |s| {
            names.iter().all(|p| s.value("probe_host_probe_runs_total", &[("probe", p), ("result", "success")]) >= 2.0)
        })
        .await;
    // Eight probes each keep a request open most of the time; the target never saw more than two.
    assert_eq!(sim.max_in_flight(), 2, "at most the cap, and the cap was reached");
    assert!(scrape.value("probe_host_api_limit_waits_total", &[]) > 0.0);
    assert!(scrape.value("probe_host_api_limit_wait_seconds_total", &[]) > 0.0);
    // The duration histogram saw the injected latency.
    let silos = [("operation", "listSilos")];
    let count = scrape.value("probe_host_api_request_duration_seconds_count", &silos);
    let fast =
        scrape.value("probe_host_api_request_duration_seconds_bucket", &[("operation", "listSilos"), ("le", "0.05")]);
    assert!(count >= 8.0 * 2.0 * 6.0 && fast == 0.0, "count {count}, under 50 ms {fast}");
}

#[tokio::test]
async fn the_rate_limit_spaces_requests_after_a_one_second_burst() {
    let sim = support::simulator().await;
    let api = client(&sim, Politeness { max_concurrent_requests: 64, max_requests_per_second: Some(5.0) });
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..15 {
        let api = api.clone();
        calls.spawn(async move { api.get_health().await });
    }
    while let Some(done) = calls.join_next().await {
        done.expect("task").expect("health");
    }
    let mut arrivals = sim.arrivals("getHealth");
    arrivals.sort();
    assert_eq!(arrivals.len(), 15);
    let first = arrivals[0];
    let at: Vec<f64> = arrivals.iter().map(|t| t.duration_since(first).as_secs_f64()).collect();
    // Five at once (one second's worth), then one every 200 ms: the last at about 2 s.
    assert!(at[4] < 0.15, "burst {at:?}");
    for pair in at[4..].windows(2) {
        assert!(pair[1] - pair[0] >= 0.15, "spacing {at:?}");
    }
    assert!(at[14] >= 1.9, "{at:?}");
    assert!(api.stats().snapshot().limit_waits >= 10);
}

#[tokio::test]
async fn retry_after_holds_the_operation_until_its_time() {
    for fault in [Fault::RateLimited { retry_after_secs: 2 }, Fault::Unavailable { retry_after_secs: 2 }] {
        let sim = support::simulator().await;
        let api = client(&sim, Politeness::default());
        sim.set_fault("listFarms", Some(fault.clone()));
        assert_eq!(api.list_farms().await, Err(ApiError::RateLimited(2)), "{fault:?}");
        sim.set_fault("listFarms", None);
        // The target is fine again, but asked for two seconds: nothing is sent before then.
        let asked = Instant::now();
        while asked.elapsed() < Duration::from_millis(1800) {
            match api.list_farms().await {
                Err(ApiError::RateLimited(left)) => assert!((1..=2).contains(&left), "{left}"),
                other => panic!("{fault:?}: sent early: {other:?}"),
            }
            assert!(api.list_queues().await.is_ok(), "other operations are not held");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(sim.requests("listFarms"), 1, "{fault:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(api.list_farms().await.expect("after the wait").len(), 6);
        let arrivals = sim.arrivals("listFarms");
        assert!(arrivals[1].duration_since(arrivals[0]) >= Duration::from_secs(2), "{fault:?}");
        assert!(api.stats().snapshot().operations["listFarms"].retry_after_refusals >= 10);
    }
}

#[tokio::test]
async fn a_probe_gets_rate_limited_with_the_seconds_left() {
    let sim = support::simulator().await;
    sim.set_fault("getPotato", Some(Fault::RateLimited { retry_after_secs: 4 }));
    let dir = TempDir::new("retry-after");
    let mut config = support::api_section(&sim, dir.path());
    config += &support::probe_entry("asker", &support::probe("misbehave"), "config = { mode = \"get-potato\" }");
    let host = Host::start(&config);
    host.wait_ready().await;
    host.wait_for("the first refusal", |s| {
        s.value("probe_host_probe_runs_total", &[("probe", "asker"), ("result", "api_error")]) >= 1.0
    })
    .await;
    sim.set_fault("getPotato", None);
    let scrape =
        host.wait_for("the probe back up", |s| s.value("probe_host_probe_up", &[("probe", "asker")]) == 1.0).await;
    let arrivals = sim.arrivals("getPotato");
    assert!(arrivals.len() >= 2);
    assert!(arrivals[1].duration_since(arrivals[0]) >= Duration::from_secs(4), "sent before Retry-After");
    // The first run got the API's 429 (4 s); the runs in between were refused by the host
    // itself with the seconds left, rounded up: never more than 4, never 0, never growing.
    // (Which values appear depends on when the backed-off runs fall.)
    let log = host.log();
    let told: Vec<u32> =
        log.split("RateLimited(").skip(1).filter_map(|rest| rest.split(')').next()?.parse().ok()).collect();
    assert!(told.len() >= 2 && told[0] == 4, "{told:?}\n{log}");
    assert!(told.iter().all(|n| (1..=4).contains(n)) && told.windows(2).all(|w| w[1] <= w[0]), "{told:?}");
    let refused = scrape.value("probe_host_api_retry_after_refusals_total", &[("operation", "getPotato")]);
    assert_eq!(refused, (told.len() - 1) as f64, "every run after the first was refused by the host");
    assert_eq!(scrape.value("probe_host_api_requests_total", &[("operation", "getPotato"), ("code", "429")]), 1.0);
}
