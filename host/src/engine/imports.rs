//! The host side of the world's own imports (`log`, `config`, `scratch`), and what every call
//! of the target's functions goes through first (the `allow` list, the per-run cap). The
//! target's functions themselves are linked from its document (`super::target`).

use super::RunError;
use super::bindings::probe_host::probe::{config, log, metrics, scratch};
use super::state::RunState;

impl metrics::Host for RunState {}

impl RunState {
    /// The error a call of `operation` gets when the probe's `allow` list leaves it out
    /// (counted); `None` when the call may go ahead.
    pub(super) fn refused(&mut self, operation: &str) -> Option<crate::api::ApiError> {
        let allowed = self.allow.as_ref().is_none_or(|ops| ops.iter().any(|op| op == operation));
        if allowed {
            return None;
        }
        self.denied.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.api_failures += 1;
        tracing::debug!(probe = %self.probe, operation, "call not permitted");
        Some(crate::api::ApiError::Client {
            status: 403,
            code: "not_permitted".into(),
            message: format!("this probe may not call {operation} (see `allow` in the configuration)"),
        })
    }

    /// Counts a call; past the run's cap, traps the guest instead of calling the API.
    pub(super) fn count_call(&mut self, operation: &str) -> wasmtime::Result<()> {
        if self.api_calls >= self.max_api_calls {
            self.halted = Some(RunError::ApiLimit(self.max_api_calls));
            wasmtime::bail!("API call limit reached ({operation})");
        }
        self.api_calls += 1;
        tracing::trace!(probe = %self.probe, operation, "api call");
        Ok(())
    }
}

/// A probe's log line is kept to this many bytes, so one line cannot flood the host log.
const MAX_LOG_LINE: usize = 4096;

impl log::Host for RunState {
    async fn log(&mut self, level: log::Level, message: String) {
        let message = crate::bounded::truncate(&message, MAX_LOG_LINE);
        if !self.charge_log(message.len()) {
            return;
        }
        let probe = &*self.probe;
        match level {
            log::Level::Trace => tracing::trace!(probe, "{message}"),
            log::Level::Debug => tracing::debug!(probe, "{message}"),
            log::Level::Info => tracing::info!(probe, "{message}"),
            log::Level::Warn => tracing::warn!(probe, "{message}"),
            log::Level::Error => tracing::error!(probe, "{message}"),
        }
    }
}

impl config::Host for RunState {
    async fn get(&mut self, key: String) -> Option<String> {
        self.config.get(&key).cloned()
    }

    async fn get_all(&mut self) -> Vec<(String, String)> {
        self.config.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

impl scratch::Host for RunState {
    async fn get(&mut self, key: String) -> Option<Vec<u8>> {
        self.scratch.get(&key).map(<[u8]>::to_vec)
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), String> {
        self.scratch.set(key, value)
    }

    async fn remove(&mut self, key: String) {
        self.scratch.remove(&key);
    }

    async fn keys(&mut self) -> Vec<String> {
        self.scratch.keys()
    }
}
