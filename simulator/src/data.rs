//! The simulator's data set: farms, silos, potatoes, orders and queues, all derived from a seed.

use crate::rng::Rng;
use chrono::{DateTime, TimeZone, Utc};
use potato_api_client::types::{
    ComponentHealth, Farm, HealthStatus, Order, OrderStatus, Potato, PotatoStatus, QueueStats, Silo, Variety,
};

/// The seed `probe-host demo` and the tests use.
pub const DEFAULT_SEED: u64 = 42;

/// Everything the simulated potato-api knows. Fields are public so tests can compute the
/// metrics a probe should report from exactly what the server serves.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub farms: Vec<Farm>,
    pub silos: Vec<Silo>,
    pub potatoes: Vec<Potato>,
    pub orders: Vec<Order>,
    pub queues: Vec<QueueStats>,
    pub components: Vec<ComponentHealth>,
    pub version: String,
}

const FARMS: usize = 6;
const POTATOES: usize = 2_345;
const ORDERS: usize = 420;
const REGIONS: [&str; 3] = ["north", "south", "coast"];
/// Every variety, in the document's order.
pub const VARIETIES: [Variety; 6] = [
    Variety::Russet,
    Variety::YukonGold,
    Variety::Fingerling,
    Variety::PurpleMajesty,
    Variety::KingEdward,
    Variety::Other,
];
const POTATO_STATUSES: [PotatoStatus; 5] = [
    PotatoStatus::Growing,
    PotatoStatus::Harvested,
    PotatoStatus::Stored,
    PotatoStatus::Shipped,
    PotatoStatus::Spoiled,
];
const ORDER_STATUSES: [OrderStatus; 5] =
    [OrderStatus::Pending, OrderStatus::Packed, OrderStatus::Shipped, OrderStatus::Delivered, OrderStatus::Cancelled];
const TAGS: [&str; 5] = ["organic", "premium", "export", "seed", "bulk"];

impl Dataset {
    /// Builds the data set for `seed`. The same seed always gives the same data.
    pub fn generate(seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        // A fixed epoch, not "now": values must not depend on when the test runs.
        let epoch = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
        let at =
            |rng: &mut Rng| -> DateTime<Utc> { epoch + chrono::Duration::seconds(rng.range(0, 300 * 86_400) as i64) };

        let farms: Vec<Farm> = (1..=FARMS)
            .map(|i| Farm {
                id: format!("farm-{i}"),
                name: format!("Farm {i}"),
                region: rng.pick(&REGIONS).to_string(),
                // The last farm is inactive, so an "active" gauge has both values.
                active: i != FARMS,
            })
            .collect();

        let mut silos = Vec::new();
        for farm in &farms {
            for s in 1..=rng.range(2, 5) {
                let capacity_kg = rng.float(10_000.0, 50_000.0);
                silos.push(Silo {
                    id: format!("{}-silo-{s}", farm.id),
                    farm_id: farm.id.clone(),
                    capacity_kg,
                    stored_kg: rng.float(0.0, capacity_kg),
                    temperature_celsius: rng.float(2.0, 12.0),
                    humidity_percent: rng.float(60.0, 98.0),
                    last_inspected_at: (rng.range(0, 4) != 0).then(|| at(&mut rng)),
                });
            }
        }

        let potatoes = (1..=POTATOES)
            .map(|i| {
                let status = *rng.pick(&POTATO_STATUSES);
                let tags = TAGS.iter().filter(|_| rng.range(0, 3) == 0).map(|t| t.to_string()).collect();
                Potato {
                    id: format!("potato-{i:05}"),
                    name: format!("Potato {i}"),
                    variety: *rng.pick(&VARIETIES),
                    weight_grams: rng.range(40, 900) as i32,
                    farm_id: rng.pick(&farms).id.clone(),
                    harvested_at: (status != PotatoStatus::Growing).then(|| at(&mut rng)),
                    status,
                    tags,
                }
            })
            .collect();

        let orders = (1..=ORDERS)
            .map(|i| {
                let status = *rng.pick(&ORDER_STATUSES);
                let created_at = at(&mut rng);
                let shipped = matches!(status, OrderStatus::Shipped | OrderStatus::Delivered);
                let shipped_at = shipped.then(|| created_at + chrono::Duration::hours(rng.range(1, 72) as i64));
                let delivered_at = (status == OrderStatus::Delivered)
                    .then(|| shipped_at.unwrap_or(created_at) + chrono::Duration::hours(rng.range(1, 96) as i64));
                Order {
                    id: format!("order-{i:04}"),
                    customer: format!("customer-{}", rng.range(1, 40)),
                    status,
                    weight_kg: rng.float(1.0, 2_000.0),
                    created_at,
                    shipped_at,
                    delivered_at,
                }
            })
            .collect();

        let queues = ["washing", "sorting", "packing"]
            .iter()
            .map(|name| QueueStats {
                name: name.to_string(),
                depth: rng.range(0, 5_000) as i64,
                oldest_message_age_seconds: rng.float(0.0, 900.0),
                consumers: rng.range(1, 9) as i32,
            })
            .collect();

        let components = ["database", "scheduler", "cache"]
            .iter()
            .map(|name| ComponentHealth {
                name: name.to_string(),
                status: HealthStatus::Ok,
                latency_ms: rng.float(0.5, 40.0),
            })
            .collect();

        Self { farms, silos, potatoes, orders, queues, components, version: "0.1.0-sim".into() }
    }

    /// The same data set with `n` important potatoes (for benchmarks): the generated ones,
    /// repeated under new ids as far as needed (or cut to `n`).
    pub fn with_potatoes(mut self, n: usize) -> Self {
        let base = std::mem::take(&mut self.potatoes);
        self.potatoes = (0..n)
            .map(|i| {
                let mut p = base[i % base.len()].clone();
                p.id = format!("potato-{:05}", i + 1);
                p
            })
            .collect();
        self
    }

    /// The silos of the farm `farm_id`, or `None` if there is no such farm.
    pub fn silos_of(&self, farm_id: &str) -> Option<Vec<Silo>> {
        self.farms
            .iter()
            .any(|f| f.id == farm_id)
            .then(|| self.silos.iter().filter(|s| s.farm_id == farm_id).cloned().collect())
    }
}
