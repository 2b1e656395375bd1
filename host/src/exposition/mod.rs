//! Exposition: the latest snapshot of every probe's families plus the host's self-metrics,
//! encoded as OpenMetrics 1.0 (via `prometheus-client`) or Prometheus text 0.0.4.

mod negotiate;
mod openmetrics;
mod self_metrics;
mod text;

pub use negotiate::{Format, negotiate};

use crate::model::MetricFamily;
use crate::status::ProbeTable;
use std::collections::HashSet;
use std::sync::Arc;

/// Encodes the current snapshot in `format`.
///
/// Each probe's families are encoded once per successful run and kept with its slot (a scrape
/// between two runs reuses the bytes); only the self-metrics, which change all the time, and
/// families cut by a name collision are encoded per scrape.
pub fn render(table: &ProbeTable, format: Format) -> String {
    let mut taken: HashSet<String> = HashSet::new();
    let mut out = String::new();
    let mut rows = Vec::new();
    for slot in table.slots() {
        let status = slot.status();
        let mut conflicts = 0;
        if let Some(families) = &status.families {
            if families.iter().all(|f| !taken.contains(&f.name)) {
                out.push_str(&slot.encoded(families, format, |f| encode(f, format)));
            } else {
                let kept: Vec<MetricFamily> = families.iter().filter(|f| !taken.contains(&f.name)).cloned().collect();
                conflicts = families.len() - kept.len();
                out.push_str(&encode(&Arc::new(kept), format));
            }
            taken.extend(families.iter().map(|f| f.name.clone()));
        }
        rows.push((slot.clone(), status, conflicts));
    }
    out.push_str(&encode(&Arc::new(self_metrics::families(&rows, table)), format));
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

/// `families` in `format`, without OpenMetrics' closing `# EOF` (added once, at the end).
fn encode(families: &Arc<Vec<MetricFamily>>, format: Format) -> String {
    match format {
        Format::OpenMetrics => openmetrics::encode(families),
        Format::Text => text::encode(families),
    }
}
