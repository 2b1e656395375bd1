//! A hand-written exporter of what the inventory and silos example probes measure: the
//! stand-in for the exporter a team writes without probe-host (an HTTP client, the API's types,
//! the same counting, prometheus-client), which the benchmark runs side by side with
//! probe-host (docs/performance.md, "Against a hand-written exporter").
//!
//! Every INTERVAL_MS it collects (every page of important potatoes, counted page by page as a
//! careful hand-written exporter would; every farm's silos), encodes the text a scrape gets,
//! and prints one line per collection; it stops after CYCLES collections.
//!
//! ```sh
//! cargo run --release -p probe-host --example native_exporter -- BASE_URL TOKEN INTERVAL_MS CYCLES
//! ```
#![allow(clippy::print_stdout)]

// The allocator the probe-host binary uses, so memory compares like for like.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context as _;
use potato_api_client::types::{Farm, PotatoPage, PotatoStatus, Silo, Variety};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;
use std::time::Duration;

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, token, interval, cycles] = args.as_slice() else {
        anyhow::bail!("usage: native_exporter BASE_URL TOKEN INTERVAL_MS CYCLES");
    };
    let interval = Duration::from_millis(interval.parse()?);
    let cycles: u32 = cycles.parse()?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let api = Api { http: reqwest::Client::new(), base: base.trim_end_matches('/').to_string(), token: token.clone() };
    let mut ticker = tokio::time::interval(interval);
    for cycle in 1..=cycles {
        ticker.tick().await;
        let text = collect(&api).await?;
        println!("cycle {cycle}: {} bytes", text.len());
    }
    Ok(())
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<T> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .query(query)
            .bearer_auth(&self.token)
            .send()
            .await?
            .error_for_status()?;
        response.json().await.with_context(|| format!("GET {path}"))
    }
}

/// One collection: both probes' families, encoded as a scrape would get them.
async fn collect(api: &Api) -> anyhow::Result<String> {
    let mut registry = Registry::default();
    let by_status = Family::<Labels, Gauge>::default();
    let harvested = Family::<Labels, Counter>::default();
    let weight = Histogram::new([100.0, 200.0, 300.0, 400.0, 500.0, 750.0]);
    let mut token = String::new();
    loop {
        let page: PotatoPage =
            api.get("/important-potatoes", &[("limit", "1000"), ("page_token", token.as_str())]).await?;
        for p in &page.items {
            let variety = variety(p.variety);
            by_status.get_or_create(&vec![("status", status(p.status).into()), ("variety", variety.into())]).inc();
            if p.harvested_at.is_some() {
                harvested.get_or_create(&vec![("variety", variety.into())]).inc();
            }
            weight.observe(f64::from(p.weight_grams));
        }
        match page.next_page_token {
            Some(next) if !next.is_empty() => token = next,
            _ => break,
        }
    }
    registry.register("potato_inventory_potatoes", "Important potatoes by status and variety.", by_status);
    registry.register("potato_inventory_harvested", "Important potatoes harvested so far, by variety.", harvested);
    registry.register_with_unit(
        "potato_inventory_weight_grams",
        "Weight of the important potatoes.",
        Unit::Other("grams".into()),
        weight,
    );

    let active = Family::<Labels, Gauge>::default();
    let fill = Family::<Labels, FloatGauge>::default();
    let temperature = Family::<Labels, FloatGauge>::default();
    let humidity = Family::<Labels, FloatGauge>::default();
    let farms: Vec<Farm> = api.get("/farms", &[]).await?;
    for farm in &farms {
        active.get_or_create(&vec![("farm", farm.id.clone()), ("region", farm.region.clone())]).set(farm.active.into());
        let silos: Vec<Silo> = api.get(&format!("/farms/{}/silos", farm.id), &[]).await?;
        for silo in silos {
            let labels = vec![("farm", farm.id.clone()), ("silo", silo.id.clone())];
            if silo.capacity_kg > 0.0 {
                fill.get_or_create(&labels).set(silo.stored_kg / silo.capacity_kg);
            }
            temperature.get_or_create(&labels).set(silo.temperature_celsius);
            humidity.get_or_create(&labels).set(silo.humidity_percent);
        }
    }
    registry.register("potato_farm_active", "1 if the farm is active, else 0.", active);
    registry.register_with_unit("potato_silo_fill_ratio", "Stored weight over capacity.", Unit::Ratios, fill);
    registry.register_with_unit("potato_silo_temperature", "Temperature inside the silo.", Unit::Celsius, temperature);
    registry.register("potato_silo_humidity_percent", "Relative humidity inside the silo.", humidity);

    let mut text = String::new();
    encode(&mut text, &registry)?;
    Ok(text)
}

fn status(s: PotatoStatus) -> &'static str {
    match s {
        PotatoStatus::Growing => "growing",
        PotatoStatus::Harvested => "harvested",
        PotatoStatus::Stored => "stored",
        PotatoStatus::Shipped => "shipped",
        PotatoStatus::Spoiled => "spoiled",
    }
}

fn variety(v: Variety) -> &'static str {
    match v {
        Variety::Russet => "russet",
        Variety::YukonGold => "yukon_gold",
        Variety::Fingerling => "fingerling",
        Variety::PurpleMajesty => "purple_majesty",
        Variety::KingEdward => "king_edward",
        Variety::Other => "other",
    }
}
