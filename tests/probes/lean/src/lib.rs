//! The inventory example's metrics, from a probe built against a copy of the potato-api's WIT
//! whose `potato` record has only the four fields it reads, in another order: the host must
//! hand it those fields (and only those) of every potato, and its families must equal the
//! example's. Counted page by page, as the example does, without the SDK (the same view,
//! bound the way a probe from `probe-host new` binds its API).

wit_bindgen::generate!({ path: "wit", world: "probe-host:probe/probe", generate_all });

use potato::api::potatoes::list_important_potatoes;
use probe_host::probe::metrics::{Bucket, HistogramValue, Label, MetricType, Sample, SampleValue};
use std::collections::BTreeMap;

// The example's label values (its enums' names in the series), not a copy of them.
#[path = "../../../../probes/inventory/src/labels.rs"]
mod labels;
use labels::{status, variety};

struct Lean;
export!(Lean);

const BOUNDS: [f64; 7] = [100.0, 200.0, 300.0, 400.0, 500.0, 750.0, f64::INFINITY];

impl Guest for Lean {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let mut by_status: BTreeMap<(&str, &str), f64> = BTreeMap::new();
        let mut harvested: BTreeMap<&str, f64> = BTreeMap::new();
        let mut counts = [0u64; BOUNDS.len()];
        let mut sum = 0.0;
        let mut token = None;
        loop {
            let page = list_important_potatoes(Some(1000), token.as_deref())
                .map_err(|e| format!("list-important-potatoes: {e:?}"))?;
            for p in page.items {
                *by_status.entry((status(p.status), variety(p.variety))).or_default() += 1.0;
                if p.harvested_at.is_some() {
                    *harvested.entry(variety(p.variety)).or_default() += 1.0;
                }
                let w = f64::from(p.weight_grams);
                counts[BOUNDS.iter().position(|b| w <= *b).unwrap_or(BOUNDS.len() - 1)] += 1;
                sum += w;
            }
            token = page.next_page_token;
            if token.is_none() {
                break;
            }
        }
        let label = |name: &str, value: &str| Label { name: name.into(), value: value.into() };
        let number = |labels, v| Sample { labels, value: SampleValue::Number(v) };
        let mut cumulative = 0;
        let buckets = BOUNDS
            .iter()
            .zip(counts)
            .map(|(&upper_bound, n)| {
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
                samples: by_status
                    .into_iter()
                    .map(|((s, v), n)| number(vec![label("status", s), label("variety", v)], n))
                    .collect(),
            },
            MetricFamily {
                name: "potato_inventory_harvested".into(),
                help: "Important potatoes harvested so far, by variety.".into(),
                unit: None,
                metric_type: MetricType::Counter,
                samples: harvested.into_iter().map(|(v, n)| number(vec![label("variety", v)], n)).collect(),
            },
            MetricFamily {
                name: "potato_inventory_weight_grams".into(),
                help: "Weight of the important potatoes.".into(),
                unit: Some("grams".into()),
                metric_type: MetricType::Histogram,
                samples: vec![Sample {
                    labels: vec![],
                    value: SampleValue::Histogram(HistogramValue { buckets, sum, count: cumulative }),
                }],
            },
        ])
    }
}
