//! The example probes against the simulator, through the real binary: exact values computed
//! from the simulator's data set, in both exposition formats.

use crate::support::{self, Host, TempDir, exposition::Scrape};
use potato_api_client::types::{PotatoStatus, Variety};
use potato_sim::{DEFAULT_SEED, Dataset};

fn variety(v: Variety) -> String {
    serde_json::to_value(v).expect("enum").as_str().expect("string").to_string()
}

fn status(s: PotatoStatus) -> String {
    serde_json::to_value(s).expect("enum").as_str().expect("string").to_string()
}

async fn start_examples() -> (potato_sim::Simulator, Host, TempDir) {
    // A small page size makes the probe follow many pages (2,345 potatoes / 100).
    support::examples_host("config = { page-size = \"100\" }").await
}

#[tokio::test]
async fn inventory_and_silos_report_exact_values_from_the_data_set() {
    let (_sim, host, _dir) = start_examples().await;
    let data = Dataset::generate(DEFAULT_SEED);
    let scrape = host.scrape().await;

    // Potatoes by status and variety: every combination present in the data, and no other.
    let mut expected = std::collections::BTreeMap::new();
    for p in &data.potatoes {
        *expected.entry((status(p.status), variety(p.variety))).or_insert(0u32) += 1;
    }
    for ((s, v), n) in &expected {
        assert_eq!(scrape.value("potato_inventory_potatoes", &[("status", s), ("variety", v)]), f64::from(*n));
    }
    assert_eq!(scrape.count("potato_inventory_potatoes"), expected.len());

    // Harvested counter, exposed as _total.
    for v in potato_sim::VARIETIES {
        let n = data.potatoes.iter().filter(|p| p.variety == v && p.harvested_at.is_some()).count();
        assert_eq!(scrape.value("potato_inventory_harvested_total", &[("variety", &variety(v))]), n as f64);
    }

    // Weight histogram over every page: cumulative buckets, sum and count.
    for (le, bound) in [("100.0", 100), ("200.0", 200), ("500.0", 500), ("750.0", 750)] {
        let n = data.potatoes.iter().filter(|p| p.weight_grams <= bound).count();
        assert_eq!(scrape.value("potato_inventory_weight_grams_bucket", &[("le", le)]), n as f64, "le={le}");
    }
    assert_eq!(scrape.value("potato_inventory_weight_grams_bucket", &[("le", "+Inf")]), data.potatoes.len() as f64);
    assert_eq!(scrape.value("potato_inventory_weight_grams_count", &[]), data.potatoes.len() as f64);
    let sum: i64 = data.potatoes.iter().map(|p| i64::from(p.weight_grams)).sum();
    assert_eq!(scrape.value("potato_inventory_weight_grams_sum", &[]), sum as f64);

    // Silos: fill ratio, temperature, humidity per farm and silo; farms active or not.
    for silo in &data.silos {
        let labels = [("farm", silo.farm_id.as_str()), ("silo", silo.id.as_str())];
        assert_eq!(scrape.value("potato_silo_fill_ratio", &labels), silo.stored_kg / silo.capacity_kg);
        assert_eq!(scrape.value("potato_silo_temperature_celsius", &labels), silo.temperature_celsius);
        assert_eq!(scrape.value("potato_silo_humidity_percent", &labels), silo.humidity_percent);
    }
    assert_eq!(scrape.count("potato_silo_fill_ratio"), data.silos.len());
    for farm in &data.farms {
        let v = scrape.value("potato_farm_active", &[("farm", &farm.id), ("region", &farm.region)]);
        assert_eq!(v, if farm.active { 1.0 } else { 0.0 });
    }

    // Self-metrics: both probes up, and the inventory probe followed every page.
    for probe in ["inventory", "silos"] {
        assert_eq!(scrape.value("probe_host_probe_up", &[("probe", probe)]), 1.0);
        assert!(scrape.value("probe_host_probe_runs_total", &[("probe", probe), ("result", "success")]) >= 1.0);
    }
    let pages = data.potatoes.len().div_ceil(100);
    assert_eq!(scrape.value("probe_host_probe_last_run_api_calls", &[("probe", "inventory")]), pages as f64);
    assert_eq!(
        scrape.value("probe_host_probe_last_run_api_calls", &[("probe", "silos")]),
        (1 + data.farms.len()) as f64
    );
}

#[tokio::test]
async fn both_formats_carry_the_same_samples_and_follow_their_rules() {
    let (_sim, host, _dir) = start_examples().await;
    let (_, text_type, text) = host.get("/metrics", Some("text/plain")).await;
    let prometheus_accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (_, om_type, om) = host.get("/metrics", Some(prometheus_accept)).await;
    assert!(text_type.starts_with("text/plain; version=0.0.4"), "{text_type}");
    assert!(om_type.starts_with("application/openmetrics-text; version=1.0.0"), "{om_type}");

    // 0.0.4: a counter's TYPE names the _total series; no EOF, no UNIT, no _created.
    assert!(text.contains("# TYPE potato_inventory_harvested_total counter\n"), "{text}");
    assert!(!text.contains("# EOF") && !text.contains("# UNIT") && !text.contains("_created"));
    // OpenMetrics: the family name without _total, units declared, EOF last, no _created.
    assert!(om.contains("# TYPE potato_inventory_harvested counter\n"));
    assert!(om.contains("# UNIT potato_inventory_weight_grams grams\n"));
    assert!(om.ends_with("# EOF\n"));
    assert!(!om.contains("_created"));

    // The same series and values in both (runs may complete between the two scrapes, so
    // compare the probes' own families, which are constant for a fixed data set).
    let text = Scrape::parse(&text);
    let om = Scrape::parse(om.trim_end_matches("# EOF\n"));
    let potato = |s: &Scrape| -> Vec<(String, f64)> {
        s.samples.iter().filter(|(k, _)| k.starts_with("potato_")).map(|(k, v)| (k.clone(), *v)).collect()
    };
    assert!(potato(&text).len() > 50);
    assert_eq!(potato(&text), potato(&om));
}

#[tokio::test]
async fn landing_page_health_and_readiness() {
    let (_sim, host, _dir) = start_examples().await;
    let (status, ct, page) = host.get("/", None).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/html"));
    assert!(page.contains("<td>inventory</td>") && page.contains("<td>silos</td>"), "{page}");
    assert!(page.contains("class=\"up\""));
    assert_eq!(host.get("/healthz", None).await.0, 200);
    assert_eq!(host.get("/readyz", None).await.0, 200);
    assert_eq!(host.get("/nope", None).await.0, 404);
}
