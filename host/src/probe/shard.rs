//! Scale-out: `--shard INDEX/COUNT` runs only the probes whose name hashes to this shard, so N
//! replicas split the probes between them, each serving its own `/metrics`.

use std::str::FromStr;

/// One shard of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether this shard runs the probe `name`. The hash (FNV-1a) is fixed, so every replica
    /// agrees, across restarts and releases.
    pub fn owns(&self, name: &str) -> bool {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in name.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hash % u64::from(self.count) == u64::from(self.index)
    }
}

/// `INDEX/COUNT`, with `0 <= INDEX < COUNT` (a StatefulSet's pod ordinal is the index).
impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (index, count) = s.split_once('/').ok_or_else(|| format!("shard {s:?}: expected INDEX/COUNT, e.g. 0/3"))?;
        let index: u32 = index.trim().parse().map_err(|_| format!("shard {s:?}: INDEX is not a number"))?;
        let count: u32 = count.trim().parse().map_err(|_| format!("shard {s:?}: COUNT is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {s:?}: need 0 <= INDEX < COUNT"));
        }
        Ok(Self { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::Shard;

    #[test]
    fn every_probe_runs_in_exactly_one_shard() {
        let names: Vec<String> = (0..1000).map(|i| format!("probe-{i}")).collect();
        for count in 1..=7 {
            let shards: Vec<Shard> = (0..count).map(|index| Shard { index, count }).collect();
            for name in &names {
                assert_eq!(shards.iter().filter(|s| s.owns(name)).count(), 1, "{name} in {count} shards");
            }
            // And the split is not lopsided.
            for s in &shards {
                let owned = names.iter().filter(|n| s.owns(n)).count();
                assert!(owned > 1000 / count as usize / 2, "shard {s:?} owns only {owned}");
            }
        }
    }

    #[test]
    fn parses_index_over_count() {
        assert_eq!("2/5".parse::<Shard>(), Ok(Shard { index: 2, count: 5 }));
        assert!("5/5".parse::<Shard>().is_err());
        assert!("1".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
    }
}
