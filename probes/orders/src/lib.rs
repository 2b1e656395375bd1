//! Orders probe (Rust): orders by status, over every page. The Python and JavaScript examples
//! compute the same family; a test checks the three agree.

wit_bindgen::generate!({
    inline: "package example:orders; world api { import potato:api/potatoes@0.1.1; }",
    path: "../../wit/deps/potato-api",
    world: "api",
    generate_all,
});

use potato::api::potatoes::list_orders;
use potato::api::types::OrderStatus;
use probe_sdk::{Gauge, MetricFamily, Probe, all_pages};

struct Orders;
probe_sdk::probe!(Orders);

impl Probe for Orders {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let orders = all_pages(|token| list_orders(None, Some(1000), token).map(|p| (p.items, p.next_page_token)))
            .map_err(|e| format!("list-orders: {e}"))?;
        let mut by_status = Gauge::new("potato_orders", "Orders by status.");
        for order in &orders {
            by_status.add(&[("status", status(order.status))], 1.0);
        }
        Ok(vec![by_status.into()])
    }
}

fn status(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Pending => "pending",
        OrderStatus::Packed => "packed",
        OrderStatus::Shipped => "shipped",
        OrderStatus::Delivered => "delivered",
        OrderStatus::Cancelled => "cancelled",
    }
}
