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
    if !families.iter().any(has_negative_bucket) {
        return encode_with_client(families.clone());
    }
    // prometheus-client always writes a histogram's `_sum`; OpenMetrics 1.0 forbids it when a
    // bucket bound is negative (the sum is then no counter), and strict parsers reject the
    // whole scrape (and `_count` goes with `_sum`). Those families are written here instead,
    // in order with the rest.
    let mut out = String::new();
    let mut run: Vec<MetricFamily> = Vec::new();
    for family in families.iter() {
        if has_negative_bucket(family) {
            out.push_str(&encode_with_client(Arc::new(std::mem::take(&mut run))));
            encode_histogram_without_sum(&mut out, family);
        } else {
            run.push(family.clone());
        }
    }
    out.push_str(&encode_with_client(Arc::new(run)));
    out
}

fn encode_with_client(families: Arc<Vec<MetricFamily>>) -> String {
    let mut out = String::new();
    if families.is_empty() {
        return out;
    }
    let mut registry = Registry::default();
    registry.register_collector(Box::new(SnapshotCollector(families)));
    // Writing to a String cannot fail, and the collector only fails on a writer error.
    if let Err(e) = prometheus_client::encoding::text::encode_registry(&mut out, &registry) {
        tracing::error!("OpenMetrics encoding failed: {e}");
        out.clear();
    }
    out
}

/// A histogram with a sample whose lowest bucket bound is below zero.
fn has_negative_bucket(family: &MetricFamily) -> bool {
    family.kind == MetricKind::Histogram
        && family.samples.iter().any(|s| match &s.value {
            SampleValue::Histogram(h) => negative(h),
            SampleValue::Number(_) => false,
        })
}

fn negative(h: &crate::model::Histogram) -> bool {
    h.buckets.first().is_some_and(|&(bound, _)| bound < 0.0)
}

/// A histogram family as OpenMetrics 1.0 allows it with negative buckets: the buckets, and
/// `_sum` and `_count` only for the samples whose bounds are all non-negative.
fn encode_histogram_without_sum(out: &mut String, family: &MetricFamily) {
    use std::fmt::Write;
    let name = &family.name;
    let _ = writeln!(out, "# HELP {name} {}", escape_help(&family.help));
    let _ = writeln!(out, "# TYPE {name} histogram");
    if let Some(unit) = &family.unit {
        let _ = writeln!(out, "# UNIT {name} {unit}");
    }
    for sample in &family.samples {
        let SampleValue::Histogram(h) = &sample.value else { continue };
        for &(bound, cumulative) in &h.buckets {
            let _ = write!(out, "{name}_bucket");
            super::text::write_labels(out, &sample.labels, Some(&super::text::float(bound)));
            let _ = writeln!(out, " {cumulative}");
        }
        // OpenMetrics 1.0 ties `_count` to `_sum` (both or neither): with negative buckets
        // the count is still there, as the `+Inf` bucket.
        if !negative(h) {
            let _ = write!(out, "{name}_sum");
            super::text::write_labels(out, &sample.labels, None);
            let _ = writeln!(out, " {}", super::text::float(h.sum));
            let _ = write!(out, "{name}_count");
            super::text::write_labels(out, &sample.labels, None);
            let _ = writeln!(out, " {}", h.count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Histogram, Sample};

    fn histogram(lowest: f64) -> MetricFamily {
        MetricFamily {
            samples: vec![Sample {
                labels: vec![("a".into(), "1".into())],
                value: SampleValue::Histogram(Histogram {
                    buckets: vec![(lowest, 1), (f64::INFINITY, 2)],
                    sum: -4.5,
                    count: 2,
                }),
            }],
            ..MetricFamily::new("skew_seconds", "Clock skew.", MetricKind::Histogram).with_unit("seconds")
        }
    }

    #[test]
    fn a_histogram_with_negative_buckets_has_no_sum() {
        let mut gauge = MetricFamily::new("g", "G.", MetricKind::Gauge);
        gauge.push(&[], 1.0);
        let text = encode(&Arc::new(vec![gauge.clone(), histogram(-1.0), gauge.clone()]));
        assert!(!text.contains("skew_seconds_sum"), "{text}");
        assert!(text.contains("skew_seconds_bucket{a=\"1\",le=\"-1.0\"} 1\n"), "{text}");
        assert!(!text.contains("skew_seconds_count"), "{text}");
        assert!(text.contains("skew_seconds_bucket{a=\"1\",le=\"+Inf\"} 2\n"), "{text}");
        assert!(text.contains("# UNIT skew_seconds seconds\n"), "{text}");
        assert_eq!(text.matches("# TYPE g gauge").count(), 2, "{text}");
        // The text format has no such rule: the sum stays there.
        assert!(super::super::text::encode(&[histogram(-1.0)]).contains("skew_seconds_sum{a=\"1\"} -4.5"));
    }
}
