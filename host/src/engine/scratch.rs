//! The scratch space behind `probe-host:probe/scratch@0.1.1`: a few bytes a probe keeps from
//! one run to the next, for deltas and rates.

use std::collections::BTreeMap;

/// Keys a probe may keep.
pub const MAX_KEYS: usize = 64;
/// Bytes of one key.
pub const MAX_KEY_BYTES: usize = 256;
/// Bytes of all values together.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// One probe's scratch space. The scheduler keeps it between runs; a run works on a copy
/// that replaces it only when the run succeeds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scratch {
    entries: BTreeMap<String, Vec<u8>>,
}

impl Scratch {
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.entries.get(key).map(Vec::as_slice)
    }

    /// Stores `value` under `key`, within the bounds.
    ///
    /// # Errors
    /// When the key is too long, or the store would exceed its key or byte bounds.
    pub fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), String> {
        if key.len() > MAX_KEY_BYTES {
            return Err(format!("scratch key of {} bytes, over the {MAX_KEY_BYTES}-byte bound", key.len()));
        }
        if !self.entries.contains_key(&key) && self.entries.len() >= MAX_KEYS {
            return Err(format!("scratch space full: {MAX_KEYS} keys"));
        }
        let others: usize = self.entries.iter().filter(|(k, _)| **k != key).map(|(_, v)| v.len()).sum();
        if others + value.len() > MAX_VALUE_BYTES {
            return Err(format!("scratch space full: values over {MAX_VALUE_BYTES} bytes"));
        }
        self.entries.insert(key, value);
        Ok(())
    }

    pub fn remove(&mut self, key: &str) {
        self.entries.remove(key);
    }

    pub fn keys(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_in_keys_and_bytes() {
        let mut s = Scratch::default();
        for i in 0..MAX_KEYS {
            s.set(format!("k{i}"), vec![0; 8]).unwrap();
        }
        assert!(s.set("one-more".into(), vec![]).unwrap_err().contains("64 keys"));
        s.set("k0".into(), vec![1; 16]).unwrap();
        assert_eq!(s.get("k0"), Some(&[1u8; 16][..]));
        assert!(s.set("k1".into(), vec![0; MAX_VALUE_BYTES]).unwrap_err().contains("bytes"));
        assert!(s.set("x".repeat(300), vec![]).unwrap_err().contains("key"));
        s.remove("k0");
        assert_eq!(s.keys().len(), MAX_KEYS - 1);
    }
}
