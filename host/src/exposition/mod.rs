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

/// Families as served: shared with the probe table, never copied per scrape.
pub(crate) type Families = Vec<Arc<Vec<MetricFamily>>>;

/// Encodes the current snapshot in `format`.
pub fn render(table: &ProbeTable, format: Format) -> String {
    let families = gather(table);
    match format {
        Format::OpenMetrics => openmetrics::encode(&families),
        Format::Text => text::encode(&families),
    }
}

/// The probes' latest families (first probe loaded keeps a contested family name; the
/// others' are left out and counted) followed by the self-metrics.
fn gather(table: &ProbeTable) -> Families {
    let mut taken: HashSet<String> = HashSet::new();
    let mut out: Families = Vec::new();
    let mut rejected = Vec::new();
    for slot in table.slots() {
        let status = slot.status();
        let mut conflicts = 0;
        if let Some(families) = &status.families {
            if families.iter().all(|f| !taken.contains(&f.name)) {
                out.push(families.clone());
            } else {
                let kept: Vec<MetricFamily> = families.iter().filter(|f| !taken.contains(&f.name)).cloned().collect();
                conflicts = families.len() - kept.len();
                out.push(Arc::new(kept));
            }
            taken.extend(families.iter().map(|f| f.name.clone()));
        }
        rejected.push((slot.clone(), status, conflicts));
    }
    out.push(Arc::new(self_metrics::families(&rejected, table)));
    out
}
