//! Builders for metric families: set values by label set, get a [`MetricFamily`].

use crate::series::{LabelSet, Series};
use crate::{Bucket, HistogramValue, Label, MetricFamily, MetricType, Sample, SampleValue};

fn family(name: &str, help: &str, unit: Option<String>, metric_type: MetricType, samples: Vec<Sample>) -> MetricFamily {
    MetricFamily { name: name.into(), help: help.into(), unit, metric_type, samples }
}

fn sample(labels: LabelSet, value: SampleValue) -> Sample {
    Sample { labels: labels.into_iter().map(|(name, value)| Label { name, value }).collect(), value }
}

macro_rules! number_family {
    ($(#[$doc:meta])* $ty:ident, $metric_type:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $ty {
            name: String,
            help: String,
            unit: Option<String>,
            values: Series<f64>,
        }

        impl $ty {
            pub fn new(name: &str, help: &str) -> Self {
                Self { name: name.into(), help: help.into(), unit: None, values: Series::default() }
            }

            /// Declares the unit; the name must end in `_<unit>`.
            pub fn unit(mut self, unit: &str) -> Self {
                self.unit = Some(unit.into());
                self
            }

            /// Sets the value of the series with these labels (replacing an earlier one).
            pub fn set(&mut self, labels: &[(&str, &str)], value: f64) -> &mut Self {
                *self.values.get_or_insert_with(labels, || 0.0) = value;
                self
            }

            /// Adds `delta` to the series with these labels (starting from 0).
            pub fn add(&mut self, labels: &[(&str, &str)], delta: f64) -> &mut Self {
                *self.values.get_or_insert_with(labels, || 0.0) += delta;
                self
            }
        }

        impl From<$ty> for MetricFamily {
            fn from(b: $ty) -> MetricFamily {
                let samples = b.values.sorted().into_iter().map(|(l, v)| sample(l, SampleValue::Number(v))).collect();
                family(&b.name, &b.help, b.unit, $metric_type, samples)
            }
        }
    };
}

number_family!(
    /// A gauge: a value that goes up and down.
    Gauge,
    MetricType::Gauge
);
number_family!(
    /// A counter: a total that only grows. Name it without `_total`; the host adds it.
    Counter,
    MetricType::Counter
);

/// A histogram: observations counted into buckets, per label set.
#[derive(Debug, Clone)]
pub struct Histogram {
    name: String,
    help: String,
    unit: Option<String>,
    bounds: Vec<f64>,
    series: Series<(Vec<u64>, f64)>,
}

impl Histogram {
    /// `bounds` are the finite upper bounds, ascending; the `+Inf` bucket is added.
    pub fn new(name: &str, help: &str, bounds: &[f64]) -> Self {
        Self { name: name.into(), help: help.into(), unit: None, bounds: bounds.to_vec(), series: Series::default() }
    }

    /// Declares the unit; the name must end in `_<unit>`.
    pub fn unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Counts `value` in the series with these labels.
    pub fn observe(&mut self, labels: &[(&str, &str)], value: f64) -> &mut Self {
        let slots = self.bounds.len() + 1;
        let (counts, sum) = self.series.get_or_insert_with(labels, || (vec![0; slots], 0.0));
        let slot = self.bounds.iter().position(|b| value <= *b).unwrap_or(self.bounds.len());
        counts[slot] += 1;
        *sum += value;
        self
    }
}

impl From<Histogram> for MetricFamily {
    fn from(h: Histogram) -> MetricFamily {
        let bounds: Vec<f64> = h.bounds.iter().copied().chain([f64::INFINITY]).collect();
        let samples = h
            .series
            .sorted()
            .into_iter()
            .map(|(labels, (counts, sum))| {
                let mut cumulative = 0;
                let buckets = bounds
                    .iter()
                    .zip(&counts)
                    .map(|(&upper_bound, n)| {
                        cumulative += n;
                        Bucket { upper_bound, cumulative_count: cumulative }
                    })
                    .collect();
                sample(labels, SampleValue::Histogram(HistogramValue { buckets, sum, count: cumulative }))
            })
            .collect();
        family(&h.name, &h.help, h.unit, MetricType::Histogram, samples)
    }
}
