//! Inventory probe: potatoes by status and variety, a weight histogram, and the number harvested,
//! over every page of `list-important-potatoes`.

wit_bindgen::generate!({ path: "../../wit", world: "probe-host:probe/probe", generate_all });

use potato::api::potatoes::{ApiError, list_important_potatoes};
use potato::api::types::{Potato, PotatoStatus, Variety};
use probe_host::probe::config;
use probe_host::probe::metrics::{Bucket, HistogramValue, Label, MetricType, Sample, SampleValue};
use std::collections::BTreeMap;

struct Inventory;
export!(Inventory);

/// Upper bounds of the weight histogram, in grams (the +Inf bucket is added).
const WEIGHT_BOUNDS: [f64; 6] = [100.0, 200.0, 300.0, 400.0, 500.0, 750.0];

impl Guest for Inventory {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let page_size = config::get("page-size")
            .map(|s| s.parse::<u32>().map_err(|e| format!("config page-size {s:?}: {e}")))
            .transpose()?
            .unwrap_or(1000);
        let potatoes = all_potatoes(page_size).map_err(|e| format!("list-important-potatoes: {e:?}"))?;

        let mut by_status_variety: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        let mut harvested: BTreeMap<&str, u64> = BTreeMap::new();
        let mut counts = [0u64; WEIGHT_BOUNDS.len() + 1];
        let mut sum = 0.0;
        for p in &potatoes {
            *by_status_variety.entry((status(p.status), variety(p.variety))).or_default() += 1;
            if p.harvested_at.is_some() {
                *harvested.entry(variety(p.variety)).or_default() += 1;
            }
            let w = f64::from(p.weight_grams);
            let slot = WEIGHT_BOUNDS.iter().position(|b| w <= *b).unwrap_or(WEIGHT_BOUNDS.len());
            counts[slot] += 1;
            sum += w;
        }

        let mut cumulative = 0;
        let buckets = WEIGHT_BOUNDS
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .zip(counts)
            .map(|(upper_bound, n)| {
                cumulative += n;
                Bucket { upper_bound, cumulative_count: cumulative }
            })
            .collect();

        Ok(vec![
            MetricFamily {
                name: "potato_inventory_potatoes".into(),
                help: "Important potatoes by status and variety.".into(),
                unit: None,
                metric_type: MetricType::Gauge,
                samples: by_status_variety
                    .into_iter()
                    .map(|((s, v), n)| sample(&[("status", s), ("variety", v)], n as f64))
                    .collect(),
            },
            MetricFamily {
                name: "potato_inventory_harvested".into(),
                help: "Important potatoes harvested so far, by variety.".into(),
                unit: None,
                metric_type: MetricType::Counter,
                samples: harvested.into_iter().map(|(v, n)| sample(&[("variety", v)], n as f64)).collect(),
            },
            MetricFamily {
                name: "potato_inventory_weight_grams".into(),
                help: "Weight of the important potatoes.".into(),
                unit: Some("grams".into()),
                metric_type: MetricType::Histogram,
                samples: vec![Sample {
                    labels: vec![],
                    value: SampleValue::Histogram(HistogramValue { buckets, sum, count: potatoes.len() as u64 }),
                }],
            },
        ])
    }
}

/// Follows `next-page-token` until the last page.
fn all_potatoes(page_size: u32) -> Result<Vec<Potato>, ApiError> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = list_important_potatoes(Some(page_size), token.as_deref())?;
        all.extend(page.items);
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return Ok(all),
        }
    }
}

fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
    Sample {
        labels: labels.iter().map(|(name, value)| Label { name: (*name).into(), value: (*value).into() }).collect(),
        value: SampleValue::Number(value),
    }
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
