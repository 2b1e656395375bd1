//! A probe for the second test target (tests/openapi/shop.yaml), built against the WIT that
//! `probe-host wit --openapi` generates for it (`wit/`, checked to be current by a test): it
//! calls every operation, the pager included, and reports what it got as gauges, so a test can
//! check every value that crossed the boundary.

wit_bindgen::generate!({ path: "wit", world: "probe-host:probe/probe", generate_all });

use probe_host::probe::metrics::{Label, MetricType, Sample, SampleValue};
use shop::api::shop::{find_all_items_by_store, find_items_by_store, get_ping, get_store, search};
use shop::api::types::{ApiError, Item, Kind, Price, Query};

struct Shop;
export!(Shop);

fn gauge(name: &str, labels: &[(&str, String)], value: f64) -> MetricFamily {
    MetricFamily {
        name: name.into(),
        help: "Set by the shop test probe.".into(),
        unit: None,
        metric_type: MetricType::Gauge,
        samples: vec![Sample {
            labels: labels.iter().map(|(k, v)| Label { name: (*k).into(), value: v.clone() }).collect(),
            value: SampleValue::Number(value),
        }],
    }
}

fn cents(item: &Item) -> f64 {
    match &item.price {
        Price::Fixed(f) => f64::from(f.cents),
        Price::PerKilo(p) => p.cents_per_kilo,
    }
}

fn failed(what: &str, e: ApiError) -> String {
    format!("{what}: {e:?}")
}

impl Guest for Shop {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        get_ping().map_err(|e| failed("get-ping", e))?;
        let store = get_store(7).map_err(|e| failed("get-store", e))?;
        let geo = store.address.geo.as_ref();
        let opening: Vec<String> =
            store.opening.unwrap_or_default().into_iter().map(|(d, h)| format!("{d}={h}")).collect();
        let page =
            find_items_by_store(7, Some(2), None, Some("trace-1")).map_err(|e| failed("find-items-by-store", e))?;
        let all = find_all_items_by_store(7, None, 10).map_err(|e| failed("find-all-items-by-store", e))?;
        let query = Query { text: Some("apple".into()), kinds: Some(vec![Kind::Fruit]) };
        let found = search(&query).map_err(|e| failed("search", e))?;
        let stock: u64 = all.iter().flat_map(|i| &i.stock).flat_map(|s| &s.counts).map(|(_, n)| u64::from(*n)).sum();
        let seen: i64 = all.iter().filter_map(|i| i.seen.as_ref()).map(|t| t.seconds).sum();
        let used = all.iter().filter(|i| i.state.is_some()).count();
        Ok(vec![
            gauge(
                "shop_store_info",
                &[("name", store.name), ("city", store.address.city), ("opening", opening.join(","))],
                store.id as f64,
            ),
            gauge("shop_store_latitude", &[], geo.and_then(|g| g.lat).unwrap_or(f64::NAN)),
            gauge("shop_page_items", &[("next", page.next.unwrap_or_default())], page.items.len() as f64),
            gauge("shop_items", &[], all.len() as f64),
            gauge("shop_items_max_id", &[], all.iter().map(|i| i.id).max().unwrap_or(0) as f64),
            gauge("shop_items_cents", &[], all.iter().map(cents).sum()),
            gauge("shop_items_stock", &[], stock as f64),
            gauge("shop_items_seen_seconds", &[], seen as f64),
            gauge("shop_items_with_state", &[], used as f64),
            gauge("shop_search_results", &[], found.len() as f64),
        ])
    }
}
