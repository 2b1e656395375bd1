//! Per-run resource limits on linear memory and tables.
//!
//! Our own limiter (rather than `StoreLimits`) so the run can tell "the probe hit its memory
//! cap" from any other trap without matching on error text.

/// Table elements a probe may have: far above what compilers emit, far below harm.
pub(crate) const MAX_TABLE_ELEMENTS: usize = 100_000;

#[derive(Debug)]
pub(crate) struct RunLimiter {
    max_memory_bytes: usize,
    /// Set when a growth was refused; the trap that follows is then a memory failure.
    pub(crate) hit: Option<String>,
}

impl RunLimiter {
    pub(crate) fn new(max_memory_bytes: usize) -> Self {
        Self { max_memory_bytes, hit: None }
    }
}

impl wasmtime::ResourceLimiter for RunLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_memory_bytes {
            let message = format!(
                "linear memory would grow from {current} to {desired} bytes, over the {}-byte limit",
                self.max_memory_bytes
            );
            self.hit = Some(message.clone());
            // An error here traps the guest: most languages abort on allocation failure
            // anyway, and a trap ends the run at once instead of letting it limp on.
            wasmtime::bail!("{message}");
        }
        Ok(true)
    }

    fn table_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            let message =
                format!("table would grow from {current} to {desired} elements, over the {MAX_TABLE_ELEMENTS} limit");
            self.hit = Some(message.clone());
            wasmtime::bail!("{message}");
        }
        Ok(true)
    }
}
