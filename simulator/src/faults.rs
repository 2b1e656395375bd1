//! Switchable faults, per operation: how the simulator imitates a potato-api having a bad day.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// One way to misbehave. Set with [`crate::Simulator::set_fault`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer normally, after this delay.
    Latency(Duration),
    /// Answer with this status and an error body (500 and 503 are the documented ones).
    Status(u16),
    /// Answer 429 with `Retry-After: <secs>`.
    RateLimited { retry_after_secs: u32 },
    /// Answer 503 with `Retry-After: <secs>` (down for maintenance, back then).
    Unavailable { retry_after_secs: u32 },
    /// Answer 200 with a body that is not JSON.
    MalformedJson,
    /// Answer 200 with a body that stops before its `Content-Length`.
    TruncatedBody,
    /// Answer 200 with a valid JSON body of this many bytes.
    HugeBody { bytes: usize },
    /// Read the request and never answer.
    Hang,
}

/// `latency:<ms>`, `status:<code>`, `429:<secs>`, `503:<secs>`, `malformed`, `truncated`, `huge:<bytes>`, `hang`.
impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, arg) = s.split_once(':').unwrap_or((s, ""));
        let number = |what: &str| arg.parse::<u64>().map_err(|_| format!("fault {s:?}: {what} must be a number"));
        Ok(match kind {
            "latency" => Fault::Latency(Duration::from_millis(number("latency in ms")?)),
            "status" => Fault::Status(u16::try_from(number("status")?).map_err(|e| e.to_string())?),
            "429" => {
                Fault::RateLimited { retry_after_secs: u32::try_from(number("seconds")?).map_err(|e| e.to_string())? }
            }
            "503" => {
                Fault::Unavailable { retry_after_secs: u32::try_from(number("seconds")?).map_err(|e| e.to_string())? }
            }
            "malformed" => Fault::MalformedJson,
            "truncated" => Fault::TruncatedBody,
            "huge" => Fault::HugeBody { bytes: usize::try_from(number("bytes")?).map_err(|e| e.to_string())? },
            "hang" => Fault::Hang,
            _ => {
                return Err(format!(
                    "unknown fault {s:?} (latency:MS, status:CODE, 429:SECS, 503:SECS, malformed, truncated, huge:BYTES, hang)"
                ));
            }
        })
    }
}

/// Faults by operation id (`"*"` for every operation).
#[derive(Debug, Default)]
pub(crate) struct Faults {
    faults: Mutex<HashMap<String, Fault>>,
}

impl Faults {
    pub(crate) fn set(&self, operation: &str, fault: Option<Fault>) {
        let mut faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        match fault {
            Some(f) => faults.insert(operation.to_string(), f),
            None => faults.remove(operation),
        };
    }

    pub(crate) fn get(&self, operation: &str) -> Option<Fault> {
        let faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        faults.get(operation).or_else(|| faults.get("*")).cloned()
    }
}
