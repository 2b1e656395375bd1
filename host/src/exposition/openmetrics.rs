//! OpenMetrics 1.0 through `prometheus-client`: a [`Collector`] over the snapshot.

use crate::model::{MetricFamily, MetricKind, SampleValue};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};
use std::sync::Arc;

#[derive(Debug)]
struct SnapshotCollector(Arc<Vec<MetricFamily>>);

impl Collector for SnapshotCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut deltas: Vec<(f64, u64)> = Vec::new();
        for family in self.0.iter() {
            let unit = family.unit.clone().map(Unit::Other);
            let metric_type = match family.kind {
                MetricKind::Gauge => MetricType::Gauge,
                MetricKind::Counter => MetricType::Counter,
                MetricKind::Histogram => MetricType::Histogram,
            };
            // prometheus-client writes HELP as given; escape it so a newline cannot break the
            // exposition.
            let help = escape_help(&family.help);
            let mut metric = encoder.encode_descriptor(family.base_name(), &help, unit.as_ref(), metric_type)?;
            for sample in &family.samples {
                let series = metric.encode_family(&sample.labels)?;
                match (&sample.value, family.kind) {
                    (SampleValue::Number(v), MetricKind::Counter) => ConstCounter::new(*v).encode(series)?,
                    (SampleValue::Number(v), _) => ConstGauge::new(*v).encode(series)?,
                    (SampleValue::Histogram(h), _) => {
                        // The encoder accumulates per-bucket counts itself.
                        deltas.clear();
                        let mut previous = 0;
                        for &(bound, cumulative) in &h.buckets {
                            deltas.push((bound, cumulative.saturating_sub(previous)));
                            previous = cumulative;
                        }
                        let mut series = series;
                        series.encode_histogram::<NoLabelSet>(h.sum, h.count, &deltas, None)?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n").replace('"', "\\\"")
}

/// The families' OpenMetrics lines, without the closing `# EOF` (the caller adds it once).
pub(super) fn encode(families: &Arc<Vec<MetricFamily>>) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(SnapshotCollector(families.clone())));
    let mut out = String::new();
    // Writing to a String cannot fail, and the collector only fails on a writer error.
    if let Err(e) = prometheus_client::encoding::text::encode_registry(&mut out, &registry) {
        tracing::error!("OpenMetrics encoding failed: {e}");
        out.clear();
    }
    out
}
