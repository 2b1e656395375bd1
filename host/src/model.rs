//! The host's own metric data model: what a probe run produced, after validation.
//!
//! Kept apart from the WIT bindings so exposition, self-metrics and tests never depend on
//! generated code, and so a future WIT version converts into the same model.

/// Gauge, counter or histogram, as in the Prometheus data model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Gauge,
    Counter,
    Histogram,
}

/// One metric family. For a counter, `name` is without `_total` (encoders add it). With a
/// `unit`, `name` ends in `_<unit>`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFamily {
    pub name: String,
    pub help: String,
    pub unit: Option<String>,
    pub kind: MetricKind,
    pub samples: Vec<Sample>,
}

/// One series of a family.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Vec<(String, String)>,
    pub value: SampleValue,
}

/// A gauge or counter value, or a histogram.
#[derive(Debug, Clone, PartialEq)]
pub enum SampleValue {
    Number(f64),
    Histogram(Histogram),
}

/// A histogram sample. `buckets` are `(upper bound, cumulative count)`, ascending, ending with
/// `+Inf` whose count equals `count`.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub buckets: Vec<(f64, u64)>,
    pub sum: f64,
    pub count: u64,
}

impl MetricFamily {
    /// A family with no samples yet.
    pub fn new(name: impl Into<String>, help: impl Into<String>, kind: MetricKind) -> Self {
        Self { name: name.into(), help: help.into(), unit: None, kind, samples: Vec::new() }
    }

    /// Declares the unit (the name must already end in `_<unit>`).
    pub fn with_unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Adds a gauge or counter sample.
    pub fn push(&mut self, labels: &[(&str, &str)], value: f64) {
        self.samples.push(Sample {
            labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            value: SampleValue::Number(value),
        });
    }

    /// The name without the unit suffix (encoders add `_<unit>` back).
    pub fn base_name(&self) -> &str {
        match &self.unit {
            Some(unit) => self.name.strip_suffix(unit.as_str()).and_then(|n| n.strip_suffix('_')).unwrap_or(&self.name),
            None => &self.name,
        }
    }

    /// The suffixes a family of this kind owns next to its name: the series names it writes
    /// (`_total`, `_bucket`, `_count`, `_sum`) and those OpenMetrics reserves for it
    /// (`_created`), whether or not the host writes them. Two families whose names with these
    /// suffixes meet would make one series name mean two things to a scraper.
    pub fn suffixes(&self) -> &'static [&'static str] {
        match self.kind {
            MetricKind::Gauge => &[""],
            MetricKind::Counter => &["", "_total", "_created"],
            MetricKind::Histogram => &["", "_bucket", "_count", "_sum", "_created"],
        }
    }

    /// Every series name the family claims in an exposition: its name with each of
    /// [`MetricFamily::suffixes`].
    pub fn claimed_names(&self) -> impl Iterator<Item = String> + '_ {
        self.suffixes().iter().map(|suffix| format!("{}{suffix}", self.name))
    }

    /// The names of the samples the family writes (what a scraper stores): `x` for a gauge,
    /// `x_total` for a counter, `x_bucket`, `x_count`, `x_sum` for a histogram.
    pub fn sample_names(&self) -> impl Iterator<Item = String> + '_ {
        let suffixes: &'static [&'static str] = match self.kind {
            MetricKind::Gauge => &[""],
            MetricKind::Counter => &["_total"],
            MetricKind::Histogram => &["_bucket", "_count", "_sum"],
        };
        suffixes.iter().map(|suffix| format!("{}{suffix}", self.name))
    }

    /// How many series the family exposes (a histogram counts once).
    pub fn series_count(&self) -> usize {
        self.samples.len()
    }
}
