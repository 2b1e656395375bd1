//! Whatever probes return, every scrape parses: a property test that generates metric families
//! (names chosen to collide through type suffixes, hostile help and label text, every kind of
//! float, malformed histograms), keeps what `validate` accepts, serves it from several probes
//! at once as the host does, and hands both formats to the real checkers — `promtool check
//! metrics` for the text format (it must parse; its style advice, such as "no help text" for
//! a probe that gives none, is not an error) and prometheus_client's strict OpenMetrics parser.
//!
//! Cases are generated with proptest from a fixed seed (the same cases on every run; set
//! `PROPTEST_CASES` for more) and checked in one batch per checker, so the parsers start once.

use crate::support::checkers;
use probe_host::exposition::{Exposition, Format, SelfSources};
use probe_host::model::{Histogram, MetricFamily, MetricKind, Sample, SampleValue};
use probe_host::status::{ProbeSlot, ProbeTable};
use probe_host::validate::{OutputLimits, validate};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::sync::Arc;
use std::time::Duration;

/// Names that meet through suffixes: `a` as a counter exposes `a_total`, as a histogram
/// `a_bucket`, `a_count`, `a_sum`; OpenMetrics reserves `a_created` for both.
const NAMES: &[&str] = &[
    "a",
    "a_total",
    "a_bucket",
    "a_count",
    "a_sum",
    "a_created",
    "a_info",
    "b",
    "b_seconds",
    "ns:c",
    "_d",
    "a_total_total",
    "up",
];
/// Mostly fine label names, so that many runs pass validation; the rest are the ones a host
/// must refuse or handle.
const LABEL_NAMES: &[&str] =
    &["l", "instance", "_x", "l", "instance", "_x", "le", "quantile", "__reserved", "bad-name", "Ünï"];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z ]{0,12}",
        // Everything that needs escaping, and more.
        prop::collection::vec(
            prop::sample::select(vec![
                "\\", "\"", "\n", "\r", "\t", "#", "{", "}", "=", ",", " ", "é", "💥", "\u{0}", "EOF"
            ]),
            0..6
        )
        .prop_map(|parts| parts.concat()),
    ]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => 0.0..1e3f64,
        1 => prop::sample::select(vec![0.0, -0.0, 1.0, -1.0, 0.5, 1e300, -1e300, 5e-324, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 123456789.0]),
        1 => -1e6..1e6f64,
    ]
}

fn histogram() -> impl Strategy<Value = Histogram> {
    (prop::collection::vec((float(), 0u64..5), 0..5), float(), any::<bool>(), any::<bool>()).prop_map(
        |(raw, sum, sorted, with_inf)| {
            let mut bounds: Vec<f64> = raw.iter().map(|(b, _)| *b).filter(|b| b.is_finite()).collect();
            if sorted {
                bounds.sort_by(f64::total_cmp);
                bounds.dedup();
            }
            let mut cumulative = 0;
            let mut buckets: Vec<(f64, u64)> = bounds
                .iter()
                .zip(raw.iter().map(|(_, n)| *n))
                .map(|(b, n)| {
                    cumulative += n;
                    (*b, cumulative)
                })
                .collect();
            if with_inf {
                buckets.push((f64::INFINITY, cumulative + 1));
            }
            let count = buckets.last().map_or(0, |b| b.1);
            Histogram { buckets, sum, count }
        },
    )
}

fn family() -> impl Strategy<Value = MetricFamily> {
    let kind = prop::sample::select(vec![MetricKind::Gauge, MetricKind::Counter, MetricKind::Histogram]);
    let labels = prop::collection::vec((prop::sample::select(LABEL_NAMES.to_vec()), text()), 0..3);
    // (up to four samples; duplicates among them fail validation, as they should)
    let sample = (labels, float(), histogram());
    (prop::sample::select(NAMES.to_vec()), text(), any::<bool>(), kind, prop::collection::vec(sample, 0..4)).prop_map(
        |(name, help, unit, kind, samples)| MetricFamily {
            name: name.into(),
            help,
            unit: (unit && name.ends_with("_seconds")).then(|| "seconds".into()),
            kind,
            samples: samples
                .into_iter()
                .map(|(labels, number, histogram)| Sample {
                    labels: labels.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                    value: if kind == MetricKind::Histogram {
                        SampleValue::Histogram(histogram)
                    } else {
                        SampleValue::Number(number)
                    },
                })
                .collect(),
        },
    )
}

/// What each probe returned in one scrape's worth of runs.
fn probes() -> impl Strategy<Value = Vec<Vec<MetricFamily>>> {
    prop::collection::vec(prop::collection::vec(family(), 0..5), 1..4)
}

#[test]
fn everything_validate_accepts_encodes_to_output_the_real_parsers_accept() {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(400);
    let mut runner = TestRunner::new_with_rng(
        Config { cases, failure_persistence: None, ..Config::default() },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let limits = OutputLimits::default();
    let mut scrapes: Vec<(String, String, String)> = Vec::new();
    let (mut accepted, mut rejected) = (0, 0);
    let strategy = probes();
    for _ in 0..cases {
        let runs = strategy.new_tree(&mut runner).expect("generate").current();
        let mut slots = Vec::new();
        for (i, families) in runs.iter().enumerate() {
            // Each probe's run goes through validation as the scheduler does: a rejected run
            // serves nothing.
            if validate(families, &limits).is_err() {
                rejected += 1;
                continue;
            }
            accepted += 1;
            let slot = ProbeSlot::new(&format!("p{i}"), "generated", Duration::from_secs(1));
            slot.record_success(families.clone(), Duration::from_millis(1), 0);
            slots.push(Arc::new(slot));
        }
        let exposed = Exposition::new(Arc::new(ProbeTable::new(slots)), SelfSources::default());
        scrapes.push((format!("{runs:#?}"), exposed.render(Format::Text), exposed.render(Format::OpenMetrics)));
    }
    // Both outcomes must be common, or the generator tests little.
    assert!(
        accepted > cases as usize / 4 && rejected > cases as usize / 4,
        "{accepted} runs accepted, {rejected} rejected"
    );

    let mut failures = Vec::new();
    for (families, text, _) in &scrapes {
        if let Err(report) = checkers::promtool_parses(text) {
            failures.push(format!("promtool: {report}\nfamilies: {families}\ntext:\n{text}"));
        }
    }
    let openmetrics: Vec<String> = scrapes.iter().map(|(_, _, om)| om.clone()).collect();
    for ((families, _, om), verdict) in scrapes.iter().zip(checkers::openmetrics_batch(&openmetrics)) {
        if let Some(error) = verdict {
            failures.push(format!("OpenMetrics parser: {error}\nfamilies: {families}\nOpenMetrics:\n{om}"));
        }
    }
    let mut kinds: Vec<&str> = failures.iter().filter_map(|f| f.lines().next()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert!(
        failures.is_empty(),
        "{} of {cases} scrapes rejected ({kinds:#?}); the first:\n{}",
        failures.len(),
        failures[0]
    );
    println!("{cases} scrapes, {accepted} runs served, {rejected} rejected by validate: all parse");
}
