//! A builder's series by label set, found without allocating.
//!
//! A probe adds to the same few series once per item it reads (the inventory example: three
//! times per potato, 100,000 potatoes a run). Building an owned key for every lookup (a `Vec`
//! and two `String`s per label) cost more than the counting, and so did a sorted map's string
//! comparisons: a series is found by a hash of the borrowed pairs the caller passed, in a
//! small open-addressing table of its own (a probe's series are few, and never removed), and
//! an owned label set is made only for a new series. A `HashMap` from hashes to lists of
//! entries cost a third more per lookup in the inventory example (its generic probing, and a
//! list to walk behind every hash).

/// A series' labels, owned.
pub(crate) type LabelSet = Vec<(String, String)>;

/// Series values by label set, in the order they were first seen until [`Series::sorted`].
#[derive(Debug, Clone)]
pub(crate) struct Series<V> {
    /// Open addressing, linear probing: `entries` index + 1 of each slot (0: empty). A power
    /// of two long, at most half full.
    slots: Vec<u32>,
    /// Each series' labels, the hash of them, and its value.
    entries: Vec<(LabelSet, u64, V)>,
}

impl<V> Default for Series<V> {
    fn default() -> Self {
        Self { slots: vec![0; 16], entries: Vec::new() }
    }
}

impl<V> Series<V> {
    /// The value of the series with `labels`, made by `new` the first time.
    pub(crate) fn get_or_insert_with(&mut self, labels: &[(&str, &str)], new: impl FnOnce() -> V) -> &mut V {
        let h = hash(labels);
        let mask = self.slots.len() - 1;
        let mut at = h as usize & mask;
        loop {
            match self.slots[at] {
                0 => break,
                id => {
                    let i = id as usize - 1;
                    if self.entries[i].1 == h && same(&self.entries[i].0, labels) {
                        return &mut self.entries[i].2;
                    }
                }
            }
            at = (at + 1) & mask;
        }
        let owned = labels.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        self.entries.push((owned, h, new()));
        let i = self.entries.len() - 1;
        self.slots[at] = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if self.entries.len() * 2 > self.slots.len() {
            self.grow();
        }
        &mut self.entries[i].2
    }

    /// Twice the slots, every entry placed again by its kept hash.
    fn grow(&mut self) {
        self.slots = vec![0; self.slots.len() * 2];
        let mask = self.slots.len() - 1;
        for (i, (_, h, _)) in self.entries.iter().enumerate() {
            let mut at = *h as usize & mask;
            while self.slots[at] != 0 {
                at = (at + 1) & mask;
            }
            self.slots[at] = u32::try_from(i + 1).unwrap_or(u32::MAX);
        }
    }

    /// Every series, ordered by label set (name, then value, label by label).
    pub(crate) fn sorted(self) -> Vec<(LabelSet, V)> {
        let mut entries: Vec<(LabelSet, V)> = self.entries.into_iter().map(|(labels, _, v)| (labels, v)).collect();
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
        let (a, b): (&[(&str, &str)], &[(&str, &str)]) = (&[("x", "1")], &[("x", "2")]);
        *series.get_or_insert_with(a, || 0) += 1;
        // Give `a` the hash `b` has: a lookup of `b` meets it first and must compare labels.
        let hb = hash(b);
        let ia = series.entries.iter().position(|e| e.0[0].1 == "1").unwrap();
        series.entries[ia].1 = hb;
        series.slots.iter_mut().for_each(|s| *s = 0);
        let mask = series.slots.len() - 1;
        series.slots[hb as usize & mask] = ia as u32 + 1;
        *series.get_or_insert_with(b, || 0) += 5;
        *series.get_or_insert_with(b, || 0) += 5;
        assert_eq!(series.entries.len(), 2);
        assert_eq!(series.entries[1].2, 10);
        assert_eq!(series.entries[0].2, 1);
    }

    #[test]
    fn thousands_of_series_survive_the_table_growing() {
        let mut series = Series::<u32>::default();
        let names: Vec<String> = (0..5000).map(|i| format!("v{i}")).collect();
        for round in 1..=3 {
            for name in &names {
                *series.get_or_insert_with(&[("k", name)], || 0) += 1;
            }
            assert_eq!(series.entries.len(), names.len(), "round {round}");
        }
        assert!(series.slots.len() >= 2 * names.len());
        assert!(series.entries.iter().all(|e| e.2 == 3));
    }
}
