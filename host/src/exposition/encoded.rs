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

    /// Forgets probes not among the `count` now (removed or renamed by a reload). Only then does it
    /// cost anything: while the cache holds no more probes than there are, a scrape does no
    /// work here. (A failing probe keeps its last encoding, at most its `max_output_size`,
    /// until it succeeds again, as its slot did before the cache moved here.)
    pub(super) fn keep_only<'a, I: Iterator<Item = &'a str>>(&self, count: usize, names: impl FnOnce() -> I) {
        let mut probes = self.probes.lock().unwrap_or_else(PoisonError::into_inner);
        if probes.len() <= count {
            return;
        }
        let names: std::collections::HashSet<&str> = names().collect();
        probes.retain(|name, _| names.contains(name.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MetricKind;

    #[test]
    fn probes_a_reload_removed_are_forgotten() {
        let cache = EncodedCache::default();
        let families = Arc::new(vec![MetricFamily::new("f", "F.", MetricKind::Gauge)]);
        for name in ["a", "b", "c"] {
            cache.get(name, &families, Format::Text, |_| Chunk::new(String::new()));
        }
        cache.keep_only(3, || ["a", "b", "c"].into_iter());
        assert_eq!(cache.probes.lock().unwrap().len(), 3, "all still there");
        // A reload removed `b` and renamed `c` to `d`.
        cache.get("d", &families, Format::Text, |_| Chunk::new(String::new()));
        cache.keep_only(2, || ["a", "d"].into_iter());
        let mut left: Vec<String> = cache.probes.lock().unwrap().keys().cloned().collect();
        left.sort();
        assert_eq!(left, ["a", "d"]);
    }
}
