//! Queues probe (Rust, on the SDK): each queue's depth, a histogram of how old their oldest
//! messages are (bucket bounds from the probe's `config`), every order counted over all pages,
//! and a counter of this probe's runs kept in `scratch`. The Python and JavaScript examples
//! (probes/python/queues, probes/js/queues) compute the same families; a test checks all three.

wit_bindgen::generate!({
    inline: "package example:queues; world api { import potato:api/potatoes@0.1.1; }",
    path: "../../wit/deps/potato-api",
    world: "api",
    generate_all,
});

use potato::api::potatoes::{list_orders, list_queues};
use probe_sdk::{Counter, Gauge, Histogram, MetricFamily, Probe, all_pages, config, scratch};

struct Queues;
probe_sdk::probe!(Queues);

impl Probe for Queues {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        // config: `bounds = "1,10,60,600"` in the probe's entry.
        let bounds = config::get("bounds").unwrap_or_else(|| "1,10,60,600".into());
        let bounds: Vec<f64> = bounds
            .split(',')
            .map(|b| b.trim().parse().map_err(|e| format!("config bounds {b:?}: {e}")))
            .collect::<Result<_, _>>()?;
        let mut depth = Gauge::new("potato_queue_depth", "Messages waiting, per queue.");
        let mut age = Histogram::new("potato_queue_oldest_age_seconds", "Age of each queue's oldest message.", &bounds)
            .unit("seconds");
        for q in list_queues().map_err(|e| format!("list-queues: {e}"))? {
            depth.set(&[("queue", &q.name)], q.depth as f64);
            age.observe(&[], q.oldest_message_age_seconds);
        }
        let orders = all_pages(|token| list_orders(None, Some(1000), token).map(|p| (p.items, p.next_page_token)))
            .map_err(|e| format!("list-orders: {e}"))?;
        let mut seen = Gauge::new("potato_queue_orders", "Orders, over every page.");
        seen.set(&[], orders.len() as f64);
        // scratch: the runs so far, kept by the host between runs (lost on restart).
        let runs = scratch::get("runs").and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).unwrap_or(0) + 1;
        scratch::set("runs", &runs.to_le_bytes())?;
        let mut counted = Counter::new("potato_queue_probe_runs", "Runs of this probe.");
        counted.set(&[], runs as f64);
        Ok(vec![depth.into(), age.into(), seen.into(), counted.into()])
    }
}
