//! Each probe's families as encoded for scrapes: encoded once per run and format, then shared
//! by every scrape until the probe's next run replaces its families.

use super::{Chunk, Format};
use crate::model::MetricFamily;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// One probe's encodings, valid while its families are the same `Arc`.
#[derive(Debug, Default)]
struct Encoded {
    of: Option<Arc<Vec<MetricFamily>>>,
    by_format: Vec<(Format, Arc<Chunk>)>,
}

/// The encodings of every probe, by probe name.
#[derive(Debug, Default)]
pub(super) struct EncodedCache {
    probes: Mutex<HashMap<String, Arc<Mutex<Encoded>>>>,
}

impl EncodedCache {
    /// `families` (probe `name`'s current ones) in `format`: encoded by `encode` the first time
    /// they are asked for in that format.
    pub(super) fn get(
        &self,
        name: &str,
        families: &Arc<Vec<MetricFamily>>,
        format: Format,
        encode: impl FnOnce(&Arc<Vec<MetricFamily>>) -> Chunk,
    ) -> Arc<Chunk> {
        // The table's lock only to find the probe's entry: probes encode side by side.
        let entry = {
            let mut probes = self.probes.lock().unwrap_or_else(PoisonError::into_inner);
            probes.entry(name.to_string()).or_default().clone()
        };
        let mut cache = entry.lock().unwrap_or_else(PoisonError::into_inner);
        if !cache.of.as_ref().is_some_and(|of| Arc::ptr_eq(of, families)) {
            *cache = Encoded { of: Some(families.clone()), by_format: Vec::new() };
        }
        if let Some((_, chunk)) = cache.by_format.iter().find(|(f, _)| *f == format) {
            return chunk.clone();
        }
        let chunk = Arc::new(encode(families));
        cache.by_format.push((format, chunk.clone()));
        chunk
    }

    /// Forgets the probes not in `names` (removed by a reload, or failing: a failed run
    /// clears its families).
    pub(super) fn keep_only<'a>(&self, names: impl IntoIterator<Item = &'a str>) {
        let names: std::collections::HashSet<&str> = names.into_iter().collect();
        let mut probes = self.probes.lock().unwrap_or_else(PoisonError::into_inner);
        probes.retain(|name, _| names.contains(name.as_str()));
    }
}
