//! The counting: what the probe does with the potatoes its binding (the crate root's) hands it.

use crate::labels::{status, variety};
use crate::potato::api::potatoes::list_important_potatoes;
use probe_sdk::{Counter, Gauge, Histogram, MetricFamily, Pages, Probe, config};

struct Inventory;
probe_sdk::probe!(Inventory);

impl Probe for Inventory {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let page_size = config::parse_or("page-size", 1000u32)?;
        let mut by_status = Gauge::new("potato_inventory_potatoes", "Important potatoes by status and variety.");
        let mut harvested =
            Counter::new("potato_inventory_harvested", "Important potatoes harvested so far, by variety.");
        let mut weight = Histogram::new(
            "potato_inventory_weight_grams",
            "Weight of the important potatoes.",
            &[100.0, 200.0, 300.0, 400.0, 500.0, 750.0],
        )
        .unit("grams");
        let potatoes =
            Pages::new(|token| list_important_potatoes(Some(page_size), token).map(|p| (p.items, p.next_page_token)));
        for p in potatoes {
            let p = p.map_err(|e| format!("list-important-potatoes: {e}"))?;
            by_status.add(&[("status", status(p.status)), ("variety", variety(p.variety))], 1.0);
            if p.harvested_at.is_some() {
                harvested.add(&[("variety", variety(p.variety))], 1.0);
            }
            weight.observe(&[], f64::from(p.weight_grams));
        }
        Ok(vec![by_status.into(), harvested.into(), weight.into()])
    }
}
