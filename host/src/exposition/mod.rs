//! Exposition: the latest snapshot of every probe's families plus the host's self-metrics,
//! encoded as OpenMetrics 1.0 (via `prometheus-client`) or Prometheus text 0.0.4.

mod encoded;
mod gzip;
mod negotiate;
mod openmetrics;
mod self_metrics;
mod text;

pub use negotiate::{Format, negotiate};

use crate::model::MetricFamily;
use crate::status::{ProbeStatus, ProbeTable};
use encoded::EncodedCache;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

/// What the host reports about itself beyond its probes, handed over by whoever assembles the
/// host (the access layer's call statistics, the compile cache's counters).
#[derive(Debug, Clone, Default)]
pub struct SelfSources {
    pub api: Option<Arc<crate::api::ApiStats>>,
    pub compile_cache: Option<crate::engine::CompileCacheStats>,
}

/// The scrape side of the host: the probe table as scrapers see it, each probe's families
/// encoded once per run and format, and the host's own metrics.
#[derive(Debug)]
pub struct Exposition {
    table: Arc<ProbeTable>,
    sources: SelfSources,
    encoded: EncodedCache,
}

impl Exposition {
    pub fn new(table: Arc<ProbeTable>, sources: SelfSources) -> Self {
        Self { table, sources, encoded: EncodedCache::default() }
    }

    /// The probe table it exposes.
    pub fn table(&self) -> &Arc<ProbeTable> {
        &self.table
    }

    /// Encodes the current snapshot in `format`.
    pub fn render(&self, format: Format) -> String {
        self.snapshot(format).text()
    }

    /// The current snapshot in `format`, in parts.
    ///
    /// Each probe's families are encoded once per successful run and kept (a scrape between
    /// two runs reuses the bytes, and their gzip form); only the self-metrics, which change all
    /// the time, and families cut by a name collision are encoded per scrape.
    pub fn snapshot(&self, format: Format) -> Body {
        snapshot(&self.table, &self.sources, &self.encoded, format)
    }
}

/// One part of a scrape body: a probe's families as encoded after its last run (kept with its
/// slot and shared by every scrape until the next run), or bytes made for one scrape. Its gzip
/// form is made the first time a scrape asks for one, and then kept with it too.
#[derive(Debug)]
pub struct Chunk {
    text: String,
    deflated: OnceLock<gzip::Deflated>,
}

impl Chunk {
    pub fn new(text: String) -> Self {
        Self { text, deflated: OnceLock::new() }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    fn deflated(&self) -> &gzip::Deflated {
        self.deflated.get_or_init(|| gzip::Deflated::new(self.text.as_bytes()))
    }
}

/// A scrape body in parts, ready to be sent as it is or gzipped.
#[derive(Debug)]
pub struct Body {
    parts: Vec<Arc<Chunk>>,
}

impl Body {
    /// The body as text.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.len());
        for part in &self.parts {
            out.push_str(part.text());
        }
        out
    }

    /// The body as one gzip member: probes' parts are compressed once per run and reused,
    /// only the parts made for this scrape (the self-metrics) are compressed now.
    pub fn gzip(&self) -> Vec<u8> {
        gzip::member(self.parts.iter().map(|p| p.deflated()))
    }

    /// The length of the text in bytes.
    pub fn len(&self) -> usize {
        self.parts.iter().map(|p| p.text.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `families` alone in `format` (OpenMetrics closed with `# EOF`): what a probe's own part of
/// a scrape looks like, without the host's self-metrics.
pub fn render_families(families: &[MetricFamily], format: Format) -> String {
    let mut text = encode(&Arc::new(families.to_vec()), format);
    if format == Format::OpenMetrics {
        text.push_str("# EOF\n");
    }
    text
}

fn snapshot(table: &ProbeTable, sources: &SelfSources, cache: &EncodedCache, format: Format) -> Body {
    let slots = table.slots();
    let statuses: Vec<ProbeStatus> = slots.iter().map(|slot| slot.status()).collect();
    // Encodings of probes a reload removed are not kept.
    cache.keep_only(slots.len(), || slots.iter().map(|slot| slot.name.as_str()));
    // Series names served so far. A family is served only if none of the names it claims
    // (`x`, `x_total`, `x_bucket`, ... see `MetricFamily::claimed_names`) is taken: otherwise
    // one probe's gauge `b_total` would overwrite another's counter `b` in the scraper.
    let mut taken: HashSet<&str> = HashSet::new();
    let mut conflicts = vec![0; slots.len()];
    let mut parts = Vec::new();
    for ((slot, status), conflicts) in slots.iter().zip(&statuses).zip(&mut conflicts) {
        let (Some(families), Some(claimed)) = (&status.families, &status.claimed) else { continue };
        if claimed.iter().flatten().all(|name| !taken.contains(name.as_str())) {
            parts.push(cache.get(&slot.name, families, format, |f| Chunk::new(encode(f, format))));
            taken.extend(claimed.iter().flatten().map(String::as_str));
            continue;
        }
        // (A probe's own families never claim the same name: `validate` refuses that.)
        let mut kept = Vec::new();
        for (family, names) in families.iter().zip(claimed.iter()) {
            if names.iter().all(|name| !taken.contains(name.as_str())) {
                taken.extend(names.iter().map(String::as_str));
                kept.push(family.clone());
            }
        }
        *conflicts = families.len() - kept.len();
        parts.push(Arc::new(Chunk::new(encode(&Arc::new(kept), format))));
    }
    drop(taken);
    let rows: Vec<_> = slots.into_iter().zip(statuses).zip(conflicts).map(|((slot, s), c)| (slot, s, c)).collect();
    // Self-metrics cannot clash: probes' claimed names never start with `probe_host_`.
    let mut own = encode(&Arc::new(self_metrics::families(&rows, table, sources)), format);
    if format == Format::OpenMetrics {
        own.push_str("# EOF\n");
    }
    parts.push(Arc::new(Chunk::new(own)));
    Body { parts }
}

/// `families` in `format`, without OpenMetrics' closing `# EOF` (added once, at the end).
fn encode(families: &Arc<Vec<MetricFamily>>, format: Format) -> String {
    match format {
        Format::OpenMetrics => openmetrics::encode(families),
        Format::Text => text::encode(families),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MetricKind;
    use crate::status::ProbeSlot;
    use std::io::Read;
    use std::time::Duration;

    fn exposed(table: ProbeTable) -> Exposition {
        Exposition::new(Arc::new(table), SelfSources::default())
    }

    fn table() -> Exposition {
        let slots = (0..3)
            .map(|p| {
                let slot = ProbeSlot::new(&format!("p{p}"), "test", Duration::from_secs(30));
                let mut family = MetricFamily::new(format!("f{p}"), "A family.", MetricKind::Gauge);
                for s in 0..100 {
                    family.push(&[("instance", &format!("i{s}"))], f64::from(s));
                }
                slot.record_success(vec![family], Duration::from_millis(1), 0);
                Arc::new(slot)
            })
            .collect();
        exposed(ProbeTable::new(slots))
    }

    fn probe(name: &str, families: Vec<MetricFamily>) -> Arc<ProbeSlot> {
        let slot = ProbeSlot::new(name, "test", Duration::from_secs(30));
        slot.record_success(families, Duration::from_millis(1), 0);
        Arc::new(slot)
    }

    fn family(name: &str, kind: MetricKind, value: f64) -> MetricFamily {
        let mut f = MetricFamily::new(name, "A family.", kind);
        match kind {
            MetricKind::Histogram => f.samples.push(crate::model::Sample {
                labels: vec![],
                value: crate::model::SampleValue::Histogram(crate::model::Histogram {
                    buckets: vec![(f64::INFINITY, 6)],
                    sum: value,
                    count: 6,
                }),
            }),
            _ => f.push(&[], value),
        }
        f
    }

    #[test]
    fn a_series_name_is_served_once_across_probes_whoever_claims_it() {
        let counter = || family("b", MetricKind::Counter, 6.0);
        let histogram = || family("b", MetricKind::Histogram, 6.0);
        for (first, series) in [(counter(), "b_total"), (histogram(), "b_bucket"), (histogram(), "b_count")] {
            for first_listed in [true, false] {
                let owner = probe("owner", vec![first.clone()]);
                let squatter = probe(
                    "squatter",
                    vec![family(series, MetricKind::Gauge, 666.0), family("ok", MetricKind::Gauge, 1.0)],
                );
                let slots = if first_listed { vec![owner, squatter] } else { vec![squatter, owner] };
                let table = exposed(ProbeTable::new(slots));
                for format in [Format::Text, Format::OpenMetrics] {
                    let text = table.render(format);
                    let typed = text.lines().filter(|l| l.starts_with("# TYPE b")).count();
                    assert_eq!(typed, 1, "{series}, {format:?}: one family of the two\n{text}");
                    assert!(text.contains("\nok "), "the squatter's other family stays:\n{text}");
                    let loser = if first_listed { "squatter" } else { "owner" };
                    let winner = if first_listed { "owner" } else { "squatter" };
                    let rejected = |p: &str| format!("probe_host_probe_rejected_families{{probe=\"{p}\"}} ");
                    assert!(text.contains(&format!("{}1", rejected(loser))), "{text}");
                    assert!(text.contains(&format!("{}0", rejected(winner))), "{text}");
                    if first_listed {
                        assert!(!text.contains("666"), "the squatter's value is not served:\n{text}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_gzipped_body_is_the_text_body() {
        let table = table();
        for format in [Format::Text, Format::OpenMetrics] {
            let body = table.snapshot(format);
            let mut unzipped = String::new();
            // One member: `GzDecoder` stops after the first.
            flate2::read::GzDecoder::new(&body.gzip()[..]).read_to_string(&mut unzipped).unwrap();
            assert_eq!(unzipped, body.text());
            assert!(unzipped.contains("f2{instance=\"i99\"} 99"), "{unzipped}");
        }
    }

    #[test]
    fn a_probes_part_is_encoded_and_compressed_once_per_run() {
        let table = table();
        let first = table.snapshot(Format::Text);
        first.gzip();
        let second = table.snapshot(Format::Text);
        // Probe parts are the same objects (with their gzip form made by the first scrape);
        // the self-metrics part is new.
        for (a, b) in first.parts.iter().zip(&second.parts).take(3) {
            assert!(Arc::ptr_eq(a, b));
            assert!(b.deflated.get().is_some());
        }
        assert!(!Arc::ptr_eq(first.parts.last().unwrap(), second.parts.last().unwrap()));
        // A new run replaces the probe's part.
        let slot = table.table().slots()[0].clone();
        slot.record_success(vec![MetricFamily::new("g", "G.", MetricKind::Gauge)], Duration::from_millis(1), 0);
        let third = table.snapshot(Format::Text);
        assert!(!Arc::ptr_eq(&first.parts[0], &third.parts[0]));
        assert!(third.text().contains("# TYPE g gauge"));
    }
}
