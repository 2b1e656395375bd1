//! Prometheus text format 0.0.4.
//!
//! Written by hand because `prometheus-client` only speaks OpenMetrics, and the two differ in
//! ways scrapers notice: in 0.0.4 a counter's HELP and TYPE lines name the `_total` series (the
//! Datadog agent drops `x_total` under `# TYPE x counter`), there is no `# UNIT` and no `# EOF`.
//! No `_created` series is written in either format.

use crate::model::{MetricFamily, MetricKind, SampleValue};
use std::fmt::Write;

pub(super) fn encode(families: &[MetricFamily]) -> String {
    let mut out = String::new();
    for family in families {
        let (name, kind) = match family.kind {
            MetricKind::Counter => (format!("{}_total", family.name), "counter"),
            MetricKind::Gauge => (family.name.clone(), "gauge"),
            MetricKind::Histogram => (family.name.clone(), "histogram"),
        };
        let _ = writeln!(out, "# HELP {name} {}", escape_help(&family.help));
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for sample in &family.samples {
            match &sample.value {
                SampleValue::Number(v) => {
                    out.push_str(&name);
                    write_labels(&mut out, &sample.labels, None);
                    out.push(' ');
                    write_float(&mut out, *v);
                    out.push('\n');
                }
                SampleValue::Histogram(h) => {
                    for &(bound, cumulative) in &h.buckets {
                        let _ = write!(out, "{name}_bucket");
                        write_labels(&mut out, &sample.labels, Some(&float(bound)));
                        let _ = writeln!(out, " {cumulative}");
                    }
                    let _ = write!(out, "{name}_sum");
                    write_labels(&mut out, &sample.labels, None);
                    out.push(' ');
                    write_float(&mut out, h.sum);
                    out.push('\n');
                    let _ = write!(out, "{name}_count");
                    write_labels(&mut out, &sample.labels, None);
                    let _ = writeln!(out, " {}", h.count);
                }
            }
        }
    }
    out
}

pub(super) fn write_labels(out: &mut String, labels: &[(String, String)], le: Option<&str>) {
    if labels.is_empty() && le.is_none() {
        return;
    }
    out.push('{');
    let mut first = true;
    for (name, value) in labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).chain(le.map(|le| ("le", le))) {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(name);
        out.push_str("=\"");
        // Most values need no escaping: copy them whole (this runs for every series of every
        // scrape's self-metrics).
        if value.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n')) {
            for c in value.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '"' => out.push_str("\\\""),
                    '\n' => out.push_str("\\n"),
                    c => out.push(c),
                }
            }
        } else {
            out.push_str(value);
        }
        out.push('"');
    }
    out.push('}');
}

/// In 0.0.4, HELP escapes only backslash and newline.
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Go-parsable floats: `+Inf`, `-Inf`, `NaN`, otherwise Rust's shortest round-trip form.
pub(super) fn float(v: f64) -> String {
    let mut out = String::new();
    write_float(&mut out, v);
    out
}

/// [`float`] written straight into `out` (no allocation per sample).
fn write_float(out: &mut String, v: f64) {
    if v == f64::INFINITY {
        out.push_str("+Inf");
    } else if v == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        let _ = write!(out, "{v:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Histogram, MetricFamily, Sample};

    #[test]
    fn counters_name_the_total_series_and_histograms_have_inf() {
        let mut counter = MetricFamily::new("orders", "Orders \"seen\"\nso far.", MetricKind::Counter);
        counter.push(&[("status", "a\"b")], 3.0);
        let hist = MetricFamily {
            samples: vec![Sample {
                labels: vec![],
                value: SampleValue::Histogram(Histogram {
                    buckets: vec![(1.0, 1), (f64::INFINITY, 2)],
                    sum: 3.5,
                    count: 2,
                }),
            }],
            ..MetricFamily::new("w", "W.", MetricKind::Histogram)
        };
        let text = encode(&[counter, hist]);
        assert_eq!(
            text,
            "# HELP orders_total Orders \"seen\"\\nso far.\n# TYPE orders_total counter\norders_total{status=\"a\\\"b\"} 3.0\n\
             # HELP w W.\n# TYPE w histogram\nw_bucket{le=\"1.0\"} 1\nw_bucket{le=\"+Inf\"} 2\nw_sum 3.5\nw_count 2\n"
        );
    }
}
