//! A probe that passes the shop's `search` a body with ten million `kinds`: ten megabytes in
//! its own memory, far more on the host once each became a value and JSON. The host must
//! refuse the argument (the run fails, naming the limit), not build it.

wit_bindgen::generate!({ path: "../shop/wit", world: "probe-host:probe/probe", generate_all });

use shop::api::shop::search;
use shop::api::types::{Kind, Query};

struct BigArgs;
export!(BigArgs);

impl Guest for BigArgs {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let query = Query { text: None, kinds: Some(vec![Kind::Fruit; 10_000_000]) };
        let found = search(&query).map_err(|e| format!("{e:?}"))?;
        Err(format!("the host took a list of ten million kinds and answered {} items", found.len()))
    }
}
