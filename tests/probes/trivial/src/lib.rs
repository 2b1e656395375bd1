//! The smallest useful probe: one gauge, no API calls. The benchmarks time the host's cost per
//! run (store, instance, `collect`, teardown) with it.

wit_bindgen::generate!({ path: "../../../wit", world: "probe-host:probe/probe", generate_all });

use probe_host::probe::metrics::{Label, MetricType, Sample, SampleValue};

struct Trivial;
export!(Trivial);

impl Guest for Trivial {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        Ok(vec![MetricFamily {
            name: "trivial_up".into(),
            help: "Always 1.".into(),
            unit: None,
            metric_type: MetricType::Gauge,
            samples: vec![Sample {
                labels: vec![Label { name: "probe".into(), value: "trivial".into() }],
                value: SampleValue::Number(1.0),
            }],
        }])
    }
}
