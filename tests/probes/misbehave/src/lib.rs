//! A probe that misbehaves on command, for testing the host's sandbox and failure handling
//! (the way Spin tests its limits with a guest that allocates or sleeps when told to).
//!
//! The `mode` config key picks the behaviour; `name` renames the healthy gauge.

wit_bindgen::generate!({ path: "../../../wit", world: "probe-host:probe/probe", generate_all });

use probe_host::probe::config;
use probe_host::probe::metrics::{Label, MetricType, Sample, SampleValue};

struct Misbehave;
export!(Misbehave);

impl Guest for Misbehave {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let mode = config::get("mode").unwrap_or_else(|| "ok".into());
        match mode.as_str() {
            "ok" => {}
            "panic" => panic!("misbehave was told to panic"),
            "error" => return Err("misbehave was told to fail".into()),
            "loop" => {
                let mut i: u64 = 0;
                loop {
                    i = std::hint::black_box(i.wrapping_add(1));
                }
            }
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "invalid-name" => return Ok(vec![gauge("not a metric name", 1.0)]),
            "print" => println!("misbehave says hello on stdout"),
            other => return Err(format!("unknown mode {other:?}")),
        }
        let name = config::get("name").unwrap_or_else(|| "misbehave_ok".into());
        Ok(vec![gauge(&name, 1.0)])
    }
}

fn gauge(name: &str, value: f64) -> MetricFamily {
    MetricFamily {
        name: name.into(),
        help: "Set by the misbehave test probe.".into(),
        unit: None,
        metric_type: MetricType::Gauge,
        samples: vec![Sample {
            labels: vec![Label { name: "source".into(), value: "misbehave".into() }],
            value: SampleValue::Number(value),
        }],
    }
}
