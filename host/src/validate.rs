//! Validation of probe output: everything a probe returns is checked before it is served, so a
//! probe can never make `/metrics` unparseable for the scraper.

use crate::model::{MetricFamily, MetricKind, SampleValue};
use std::collections::{HashMap, HashSet};

/// Names a probe may not use: the host's own metrics live under this prefix.
pub const RESERVED_PREFIX: &str = "probe_host_";

/// Series Prometheus writes itself for every scrape: an exposed sample of the same name would
/// collide with them in its storage (and a probe could fake the target's `up`).
pub const PROMETHEUS_SCRAPE_SERIES: [&str; 8] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "scrape_timeout_seconds",
    "scrape_sample_limit",
    "scrape_body_size_bytes",
];

/// Caps on one run's output. Over a cap the run fails with the reason: nothing is silently
/// truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimits {
    pub max_families: usize,
    /// Samples over all families.
    pub max_samples: usize,
    pub max_labels_per_sample: usize,
    pub max_label_name_bytes: usize,
    pub max_label_value_bytes: usize,
    /// Help text per family.
    pub max_help_bytes: usize,
    /// Names, help, labels and values together, roughly as exposed.
    pub max_bytes: usize,
}

impl OutputLimits {
    /// Families a run may return unless configured (`max_families`).
    pub const DEFAULT_MAX_FAMILIES: usize = 200;
    /// Samples over all families unless configured (`max_samples`).
    pub const DEFAULT_MAX_SAMPLES: usize = 20_000;
    /// Bytes of exposition output unless configured (`max_output_size`).
    pub const DEFAULT_MAX_BYTES: usize = 8 << 20;
}

impl Default for OutputLimits {
    fn default() -> Self {
        Self {
            max_families: Self::DEFAULT_MAX_FAMILIES,
            max_samples: Self::DEFAULT_MAX_SAMPLES,
            max_labels_per_sample: 32,
            max_label_name_bytes: 128,
            max_label_value_bytes: 1024,
            max_help_bytes: 1024,
            max_bytes: Self::DEFAULT_MAX_BYTES,
        }
    }
}

/// Why a probe's output was rejected. The message names the family (and label) at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("metric family {family:?}: {reason}")]
pub struct InvalidOutput {
    pub family: String,
    pub reason: String,
}

/// Checks every family of one run.
///
/// # Errors
/// The first problem found: an invalid or reserved metric name, a bad unit, an invalid or
/// duplicated label name, a duplicated series, a value of the wrong kind, a non-finite
/// counter, or a malformed histogram.
pub fn validate(families: &[MetricFamily], limits: &OutputLimits) -> Result<(), InvalidOutput> {
    let whole = |reason: String| InvalidOutput { family: "*".into(), reason };
    if families.len() > limits.max_families {
        return Err(whole(format!(
            "{} families, over the cap of {} (max_families)",
            families.len(),
            limits.max_families
        )));
    }
    // Checked before any per-sample work, so a run returning millions of samples costs little.
    let samples: usize = families.iter().map(|f| f.samples.len()).sum();
    if samples > limits.max_samples {
        return Err(whole(format!("{samples} samples, over the cap of {} (max_samples)", limits.max_samples)));
    }
    // Every series name a family claims (`x`, `x_total`, `x_bucket`, ...), with its family: a
    // gauge `x_total` next to a counter `x` would be two metrics under one name for a scraper.
    let mut claimed: HashMap<String, &MetricFamily> = HashMap::new();
    let mut bytes = 0usize;
    for family in families {
        let fail = |reason: String| InvalidOutput { family: family.name.clone(), reason };
        check_family(family, limits).map_err(fail)?;
        for name in family.claimed_names() {
            if let Some(other) = claimed.get(&name) {
                return Err(fail(if other.name == family.name && other.kind == family.kind {
                    "returned twice in one run".into()
                } else {
                    format!(
                        "its series name {name:?} is also a series name of the {} family {:?} in this run",
                        kind_name(other.kind),
                        other.name
                    )
                }));
            }
            claimed.insert(name, family);
        }
        bytes += family_bytes(family);
        if bytes > limits.max_bytes {
            return Err(whole(format!("output over the cap of {} bytes (max_output_size)", limits.max_bytes)));
        }
    }
    Ok(())
}

/// About what the family takes in the exposition: every sample repeats the name and labels.
fn family_bytes(family: &MetricFamily) -> usize {
    let per_value = |labels: &[(String, String)]| {
        family.name.len() + labels.iter().map(|(k, v)| k.len() + v.len() + 4).sum::<usize>() + 24
    };
    family.help.len()
        + family
            .samples
            .iter()
            .map(|s| match &s.value {
                SampleValue::Number(_) => per_value(&s.labels),
                SampleValue::Histogram(h) => per_value(&s.labels) * (h.buckets.len() + 2),
            })
            .sum::<usize>()
}

fn check_family(family: &MetricFamily, limits: &OutputLimits) -> Result<(), String> {
    if !is_metric_name(&family.name) {
        return Err("invalid metric name: must match [a-zA-Z_:][a-zA-Z0-9_:]*".into());
    }
    // A counter `probe_host` would write `probe_host_total`: every name it claims counts.
    if family.claimed_names().any(|n| n.starts_with(RESERVED_PREFIX)) {
        return Err(format!("names starting with {RESERVED_PREFIX:?} are reserved for the host"));
    }
    if let Some(name) = family.sample_names().find(|n| PROMETHEUS_SCRAPE_SERIES.contains(&n.as_str())) {
        return Err(format!("{name:?} is a series Prometheus writes itself for every scrape"));
    }
    if family.kind == MetricKind::Counter && family.name.ends_with("_total") {
        return Err("a counter's name must not end in _total: the host adds it".into());
    }
    if let Some(unit) = &family.unit {
        if unit.is_empty() || !unit.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("invalid unit {unit:?}: must match [a-zA-Z0-9_]+"));
        }
        if !family.name.ends_with(&format!("_{unit}")) {
            return Err(format!("a family with unit {unit:?} must have a name ending in \"_{unit}\""));
        }
    }
    if family.help.len() > limits.max_help_bytes {
        return Err(format!("help text of {} bytes, over the cap of {}", family.help.len(), limits.max_help_bytes));
    }
    let mut series = HashSet::new();
    for sample in &family.samples {
        if sample.labels.len() > limits.max_labels_per_sample {
            return Err(format!(
                "a sample has {} labels, over the cap of {}",
                sample.labels.len(),
                limits.max_labels_per_sample
            ));
        }
        let mut label_names = HashSet::new();
        for (name, value) in &sample.labels {
            if name.len() > limits.max_label_name_bytes || value.len() > limits.max_label_value_bytes {
                return Err(format!(
                    "label {:?}: name or value too long (caps: {} and {} bytes)",
                    crate::bounded::truncate(name, 64),
                    limits.max_label_name_bytes,
                    limits.max_label_value_bytes
                ));
            }
            if !is_label_name(name) {
                return Err(format!("invalid label name {name:?}: must match [a-zA-Z_][a-zA-Z0-9_]*"));
            }
            if name.starts_with("__") {
                return Err(format!("label name {name:?}: names starting with __ are reserved"));
            }
            if family.kind == MetricKind::Histogram && name == "le" {
                return Err("a histogram cannot carry an \"le\" label: it names the buckets".into());
            }
            if !label_names.insert(name.as_str()) {
                return Err(format!("label {name:?} appears twice in one sample"));
            }
        }
        let mut key: Vec<_> = sample.labels.iter().collect();
        key.sort();
        if !series.insert(key) {
            return Err(format!("duplicate series {:?}", sample.labels));
        }
        check_value(family.kind, &sample.value)?;
    }
    Ok(())
}

fn check_value(kind: MetricKind, value: &SampleValue) -> Result<(), String> {
    match (kind, value) {
        (MetricKind::Gauge, SampleValue::Number(v)) => {
            if v.is_infinite() {
                return Err(format!("gauge value {v} is infinite"));
            }
        }
        (MetricKind::Counter, SampleValue::Number(v)) => {
            if !v.is_finite() || *v < 0.0 {
                return Err(format!("counter value {v} must be finite and >= 0"));
            }
        }
        (MetricKind::Histogram, SampleValue::Histogram(h)) => {
            let Some(&(last_bound, last_count)) = h.buckets.last() else {
                return Err("a histogram needs at least the +Inf bucket".into());
            };
            if last_bound != f64::INFINITY {
                return Err("the last histogram bucket must have upper bound +Inf".into());
            }
            if last_count != h.count {
                return Err(format!("+Inf bucket count {last_count} differs from count {}", h.count));
            }
            if !h.sum.is_finite() {
                return Err(format!("histogram sum {} must be finite", h.sum));
            }
            // OpenMetrics 1.0: the sum is a counter unless a bucket bound is negative (then the
            // OpenMetrics encoder leaves the sum out, as the format requires).
            if h.sum < 0.0 && h.buckets.first().is_some_and(|&(bound, _)| bound >= 0.0) {
                return Err(format!(
                    "histogram sum {} is negative with no negative bucket bound: observations below 0 \
                     need a bucket bound below 0",
                    h.sum
                ));
            }
            for pair in h.buckets.windows(2) {
                let ((b0, c0), (b1, c1)) = (pair[0], pair[1]);
                if b0.is_nan() || b0 >= b1 {
                    return Err(format!("bucket bounds must be strictly ascending ({b0} then {b1})"));
                }
                if c0 > c1 {
                    return Err(format!("bucket counts must be cumulative ({c0} at le={b0}, then {c1})"));
                }
            }
        }
        (MetricKind::Histogram, SampleValue::Number(_)) => {
            return Err("a histogram sample must carry a histogram value".into());
        }
        (_, SampleValue::Histogram(_)) => {
            return Err("only a histogram may carry a histogram value".into());
        }
    }
    Ok(())
}

fn kind_name(kind: MetricKind) -> &'static str {
    match kind {
        MetricKind::Gauge => "gauge",
        MetricKind::Counter => "counter",
        MetricKind::Histogram => "histogram",
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
pub fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`
pub fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Histogram, Sample};

    fn validate_default(families: &[MetricFamily]) -> Result<(), InvalidOutput> {
        validate(families, &OutputLimits::default())
    }

    #[test]
    fn caps_are_enforced_with_a_reason() {
        let limits = OutputLimits { max_families: 2, max_samples: 3, ..OutputLimits::default() };
        let err = validate(&[gauge("a"), gauge("b"), gauge("c")], &limits).unwrap_err();
        assert!(err.reason.contains("3 families, over the cap of 2"), "{err}");
        let mut big = gauge("a");
        for i in 0..3 {
            big.push(&[("i", &i.to_string())], 1.0);
        }
        assert!(validate(&[big], &limits).unwrap_err().reason.contains("4 samples, over the cap of 3"));
        let mut long = gauge("a");
        long.samples[0].labels[0].1 = "x".repeat(2000);
        assert!(validate(&[long], &limits).unwrap_err().reason.contains("too long"));
        let tight = OutputLimits { max_bytes: 10, ..OutputLimits::default() };
        assert!(validate(&[gauge("a")], &tight).unwrap_err().reason.contains("bytes"));
    }

    fn gauge(name: &str) -> MetricFamily {
        let mut f = MetricFamily::new(name, "help", MetricKind::Gauge);
        f.push(&[("a", "1")], 1.0);
        f
    }

    #[test]
    fn accepts_valid_output() {
        let mut counter = MetricFamily::new("requests", "help", MetricKind::Counter);
        counter.push(&[], 3.0);
        assert_eq!(validate_default(&[gauge("x"), counter]), Ok(()));
    }

    #[test]
    fn rejects_bad_names_and_labels() {
        let err = validate_default(&[gauge("1x")]).unwrap_err();
        assert!(err.to_string().contains("invalid metric name"), "{err}");
        let err = validate_default(&[gauge("probe_host_up")]).unwrap_err();
        assert!(err.reason.contains("reserved"), "{err}");
        let mut f = gauge("x");
        f.push(&[("bad-label", "v")], 1.0);
        assert!(validate_default(&[f]).unwrap_err().reason.contains("invalid label name"));
        let mut f = gauge("x");
        f.push(&[("a", "1")], 2.0);
        assert!(validate_default(&[f]).unwrap_err().reason.contains("duplicate series"));
        assert!(validate_default(&[gauge("x"), gauge("x")]).unwrap_err().reason.contains("twice"));
    }

    #[test]
    fn rejects_malformed_histograms() {
        let hist = |buckets: Vec<(f64, u64)>, count| MetricFamily {
            samples: vec![Sample {
                labels: vec![],
                value: SampleValue::Histogram(Histogram { buckets, sum: 1.0, count }),
            }],
            ..MetricFamily::new("h", "help", MetricKind::Histogram)
        };
        assert_eq!(validate_default(&[hist(vec![(1.0, 1), (f64::INFINITY, 2)], 2)]), Ok(()));
        assert!(validate_default(&[hist(vec![(1.0, 2)], 2)]).unwrap_err().reason.contains("+Inf"));
        assert!(
            validate_default(&[hist(vec![(1.0, 3), (f64::INFINITY, 2)], 2)]).unwrap_err().reason.contains("cumulative")
        );
        assert!(validate_default(&[hist(vec![(f64::INFINITY, 2)], 3)]).unwrap_err().reason.contains("differs"));
    }

    fn hist(name: &str, buckets: Vec<(f64, u64)>, sum: f64) -> MetricFamily {
        let count = buckets.last().map_or(0, |b| b.1);
        MetricFamily {
            samples: vec![Sample { labels: vec![], value: SampleValue::Histogram(Histogram { buckets, sum, count }) }],
            ..MetricFamily::new(name, "help", MetricKind::Histogram)
        }
    }

    #[test]
    fn series_names_are_unique_across_suffixes_in_one_run() {
        let mut counter = MetricFamily::new("x", "help", MetricKind::Counter);
        counter.push(&[], 1.0);
        let clash = |other: MetricFamily| {
            let err = validate_default(&[counter.clone(), other.clone()]).unwrap_err();
            assert!(err.reason.contains("is also a series name of the counter family \"x\""), "{err}");
            // The other order is caught too.
            let err = validate_default(&[other, counter.clone()]).unwrap_err();
            assert!(err.reason.contains("is also a series name"), "{err}");
        };
        clash(gauge("x_total"));
        clash(gauge("x_created"));
        clash(gauge("x"));
        let histogram = hist("h", vec![(f64::INFINITY, 1)], 1.0);
        for series in ["h_bucket", "h_count", "h_sum", "h_created", "h"] {
            let err = validate_default(&[histogram.clone(), gauge(series)]).unwrap_err();
            assert!(err.reason.contains("histogram family \"h\""), "{series}: {err}");
        }
        // Names that only look alike are fine.
        assert_eq!(validate_default(&[counter.clone(), gauge("x_totals"), gauge("xtotal")]), Ok(()));
    }

    #[test]
    fn a_suffixed_series_may_not_enter_the_reserved_prefix() {
        let mut counter = MetricFamily::new("probe_host", "help", MetricKind::Counter);
        counter.push(&[], 1.0);
        assert!(validate_default(&[counter]).unwrap_err().reason.contains("reserved"));
        assert_eq!(validate_default(&[gauge("probe_host")]), Ok(()));
        assert!(validate_default(&[gauge("up")]).unwrap_err().reason.contains("Prometheus writes itself"));
        let mut counter = MetricFamily::new("scrape_samples_scraped", "help", MetricKind::Counter);
        counter.push(&[], 1.0);
        assert_eq!(validate_default(&[counter]), Ok(()), "its series is scrape_samples_scraped_total");
        assert!(validate_default(&[hist("scrape_duration", vec![(f64::INFINITY, 1)], 1.0)]).is_ok());
        assert!(validate_default(&[gauge("scrape_duration_seconds")]).is_err());
    }

    #[test]
    fn a_negative_histogram_sum_needs_a_negative_bound() {
        let err = validate_default(&[hist("h", vec![(0.0, 1), (f64::INFINITY, 1)], -1.0)]).unwrap_err();
        assert!(err.reason.contains("negative"), "{err}");
        assert_eq!(validate_default(&[hist("h", vec![(-1.0, 1), (f64::INFINITY, 1)], -3.0)]), Ok(()));
        assert_eq!(validate_default(&[hist("h", vec![(-1.0, 1), (f64::INFINITY, 1)], 3.0)]), Ok(()));
    }

    #[test]
    fn unit_must_be_the_name_suffix() {
        let mut f = gauge("weight_grams");
        f.unit = Some("grams".into());
        assert_eq!(validate_default(std::slice::from_ref(&f)), Ok(()));
        assert_eq!(f.base_name(), "weight");
        f.unit = Some("kg".into());
        assert!(validate_default(&[f]).unwrap_err().reason.contains("must have a name ending"));
    }
}
