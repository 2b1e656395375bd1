//! Orders probe (Rust): orders by status, over every page. The Python and JavaScript examples
//! compute the same family; a test checks the three agree.

use probe_sdk::types::OrderStatus;
use probe_sdk::{Gauge, MetricFamily, Probe, all_orders};

struct Orders;
probe_sdk::probe!(Orders);

impl Probe for Orders {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let orders = all_orders(None, 1000).map_err(|e| format!("list-orders: {e}"))?;
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
