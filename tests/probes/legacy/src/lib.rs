//! A probe built against the frozen `probe-host:probe@0.1.0` WIT (tests/wit-0.1.0): the
//! current host must still run it.

wit_bindgen::generate!({ path: "../../wit-0.1.0", world: "probe-host:probe/probe@0.1.0", generate_all });

use potato::api::potatoes::list_queues;
use probe_host::probe::metrics::{Label, MetricType, Sample, SampleValue};

struct Legacy;
export!(Legacy);

impl Guest for Legacy {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let queues = list_queues().map_err(|e| format!("list-queues: {e:?}"))?;
        let samples = queues
            .into_iter()
            .map(|q| Sample {
                labels: vec![Label { name: "queue".into(), value: q.name }],
                value: SampleValue::Number(q.depth as f64),
            })
            .collect();
        Ok(vec![MetricFamily {
            name: "potato_queue_depth".into(),
            help: "Messages waiting, per queue (from a 0.1.0 probe).".into(),
            unit: None,
            metric_type: MetricType::Gauge,
            samples,
        }])
    }
}
