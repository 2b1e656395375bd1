//! A builder's series by label set, found without allocating.
//!
//! A probe adds to the same few series once per item it reads (the inventory example: three
//! times per potato, 100,000 potatoes a run). Building an owned key for every lookup (a `Vec`
//! and two `String`s per label) cost more than the counting, and so did a sorted map's string
//! comparisons: a series is found by a hash of the borrowed pairs the caller passed, and an
//! owned label set is made only for a new series.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A series' labels, owned.
pub(crate) type LabelSet = Vec<(String, String)>;

/// Series values by label set, in the order they were first seen until [`Series::sorted`].
#[derive(Debug, Clone)]
pub(crate) struct Series<V> {
    /// Indexes into `entries` by the hash of their label set (more than one on a collision).
    index: HashMap<u64, Vec<usize>, BuildHasherDefault<Prehashed>>,
    entries: Vec<(LabelSet, V)>,
}

impl<V> Default for Series<V> {
    fn default() -> Self {
        Self { index: HashMap::default(), entries: Vec::new() }
    }
}

impl<V> Series<V> {
    /// The value of the series with `labels`, made by `new` the first time.
    pub(crate) fn get_or_insert_with(&mut self, labels: &[(&str, &str)], new: impl FnOnce() -> V) -> &mut V {
        let ids = self.index.entry(hash(labels)).or_default();
        let at = match ids.iter().copied().find(|&i| same(&self.entries[i].0, labels)) {
            Some(i) => i,
            None => {
                let owned = labels.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
                self.entries.push((owned, new()));
                ids.push(self.entries.len() - 1);
                self.entries.len() - 1
            }
        };
        &mut self.entries[at].1
    }

    /// Every series, ordered by label set (name, then value, label by label).
    pub(crate) fn sorted(self) -> Vec<(LabelSet, V)> {
        let mut entries = self.entries;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }
}

fn same(owned: &LabelSet, labels: &[(&str, &str)]) -> bool {
    owned.len() == labels.len()
        && owned
            .iter()
            .zip(labels)
            .all(|((k, v), (l, w))| eq(k.as_bytes(), l.as_bytes()) && eq(v.as_bytes(), w.as_bytes()))
}

/// `a == b`, eight bytes at a time: in wasm, `==` on slices calls the C library's `memcmp`,
/// a loop over bytes (3 % of the host's CPU in the inventory example, for label values of a
/// dozen bytes).
fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut a, mut b) = (a, b);
    while let (Some((x, a_rest)), Some((y, b_rest))) = (a.split_first_chunk::<8>(), b.split_first_chunk::<8>()) {
        if u64::from_ne_bytes(*x) != u64::from_ne_bytes(*y) {
            return false;
        }
        (a, b) = (a_rest, b_rest);
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// A hash of the pairs, eight bytes at a time (FxHash's step: rotate, xor, multiply), each
/// string's length mixed in before it (so `("ab", "c")` and `("a", "bc")` differ), with a
/// final fold so the index's low bits see the high ones. Byte-at-a-time FNV-1a was 5.6 % of
/// the host's CPU in the inventory example (three lookups per potato); the standard SipHash
/// costs several times more again in wasm.
fn hash(labels: &[(&str, &str)]) -> u64 {
    let mut h: u64 = 0;
    for (k, v) in labels {
        h = mix(h, k.as_bytes());
        h = mix(h, v.as_bytes());
    }
    h ^ (h >> 29)
}

/// One string into the hash: its length, then its bytes as little-endian words (the last one
/// padded with zeros).
fn mix(mut h: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let step = |h: u64, word: u64| (h.rotate_left(26) ^ word).wrapping_mul(K);
    h = step(h, bytes.len() as u64);
    let mut rest = bytes;
    while let Some((word, tail)) = rest.split_first_chunk::<8>() {
        h = step(h, u64::from_le_bytes(*word));
        rest = tail;
    }
    if !rest.is_empty() {
        let mut word = 0u64;
        for (i, b) in rest.iter().enumerate() {
            word |= u64::from(*b) << (8 * i);
        }
        h = step(h, word);
    }
    h
}

/// The hasher of an index whose keys are hashes already.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_label_set_is_one_series_and_they_come_out_sorted() {
        let mut series = Series::<u32>::default();
        let sets: [&[(&str, &str)]; 6] =
            [&[("b", "")], &[("a", "1"), ("b", "2")], &[], &[("a", "2")], &[("ab", "c")], &[("a", "bc")]];
        for (i, set) in sets.iter().enumerate() {
            for _ in 0..=i {
                *series.get_or_insert_with(set, || 0) += 1;
            }
        }
        let got: Vec<(LabelSet, u32)> = series.sorted();
        let mut want: Vec<(LabelSet, u32)> = sets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect(), i as u32 + 1))
            .collect();
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn strings_are_equal_byte_for_byte_at_every_length() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for len in 0..text.len() {
            let a = &text.as_bytes()[..len];
            assert!(eq(a, a), "{len}");
            assert!(!eq(a, &text.as_bytes()[..len + 1]), "{len}: lengths differ");
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 1;
                assert!(!eq(a, &b), "{len}: byte {at} differs");
            }
        }
    }

    #[test]
    fn colliding_hashes_keep_their_series_apart() {
        let mut series = Series::<u32>::default();
        // Force every label set into one bucket: lookups must still compare the labels.
        let (a, b): (&[(&str, &str)], &[(&str, &str)]) = (&[("x", "1")], &[("x", "2")]);
        series.index.insert(hash(b), vec![]);
        *series.get_or_insert_with(a, || 0) += 1;
        let ids = series.index.remove(&hash(a)).unwrap();
        series.index.insert(hash(b), ids);
        *series.get_or_insert_with(b, || 0) += 5;
        *series.get_or_insert_with(b, || 0) += 5;
        assert_eq!(series.entries.len(), 2);
        assert_eq!(series.entries[1].1, 10);
    }
}
