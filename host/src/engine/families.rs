//! A run's result, from the world's `metrics` types into the host's model.

use super::bindings::probe_host::probe::metrics as witm;
use crate::model;

/// A probe's output in the host's model (validated separately by [`crate::validate`]).
pub(crate) fn family_from_wit(f: witm::MetricFamily) -> model::MetricFamily {
    model::MetricFamily {
        name: f.name,
        help: f.help,
        unit: f.unit,
        kind: match f.metric_type {
            witm::MetricType::Gauge => model::MetricKind::Gauge,
            witm::MetricType::Counter => model::MetricKind::Counter,
            witm::MetricType::Histogram => model::MetricKind::Histogram,
        },
        samples: f
            .samples
            .into_iter()
            .map(|s| model::Sample {
                labels: s.labels.into_iter().map(|l| (l.name, l.value)).collect(),
                value: match s.value {
                    witm::SampleValue::Number(v) => model::SampleValue::Number(v),
                    witm::SampleValue::Histogram(h) => model::SampleValue::Histogram(model::Histogram {
                        buckets: h.buckets.into_iter().map(|b| (b.upper_bound, b.cumulative_count)).collect(),
                        sum: h.sum,
                        count: h.count,
                    }),
                },
            })
            .collect(),
    }
}
