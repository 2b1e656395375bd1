//! A probe built against a copy of the shop's WIT in which one record field is renamed
//! (`store-address.city` is `town` here): its import of `get-store` has the same shape as the
//! document's but not the same type. The host must refuse to hand it a value (the run fails,
//! naming the field), not write the document's record into a type it does not have.

wit_bindgen::generate!({ path: "wit", world: "probe-host:probe/probe", generate_all });

use probe_host::probe::metrics::{Label, MetricType, Sample, SampleValue};
use shop::api::shop::get_store;

struct Impostor;
export!(Impostor);

impl Guest for Impostor {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let store = get_store(7).map_err(|e| format!("{e:?}"))?;
        Ok(vec![MetricFamily {
            name: "impostor_store_town".into(),
            help: "The town, as this probe's type calls it.".into(),
            unit: None,
            metric_type: MetricType::Gauge,
            samples: vec![Sample {
                labels: vec![Label { name: "town".into(), value: store.address.town }],
                value: SampleValue::Number(1.0),
            }],
        }])
    }
}
