//! What a store holds during one probe run.

use super::limits::RunLimiter;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Per-run store data. Built fresh for every run, dropped with the store.
pub(crate) struct RunState {
    pub(crate) probe: Arc<str>,
    pub(crate) config: Arc<BTreeMap<String, String>>,
    pub(crate) limits: RunLimiter,
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) max_api_calls: u32,
    pub(crate) api_calls: u32,
    /// Calls that returned an error to the probe.
    pub(crate) api_failures: u32,
    /// Why the host stopped the run, when it trapped the guest on purpose.
    pub(crate) halted: Option<super::RunError>,
    pub(crate) scratch: super::Scratch,
    pub(crate) allow: Option<Arc<[String]>>,
    pub(crate) denied: Arc<std::sync::atomic::AtomicU64>,
    /// What is left of this run's log budget ([`super::LOG_BUDGET_BYTES`]).
    pub(crate) log_budget: usize,
    /// Bytes of log lines dropped once the budget ran out.
    pub(crate) log_dropped: usize,
}

impl RunState {
    /// The state for one run of `probe` with `ctx`, its WASI context already built.
    pub(crate) fn new(probe: Arc<str>, ctx: super::RunContext, wasi: WasiCtx) -> Self {
        Self {
            probe,
            config: ctx.config,
            limits: RunLimiter::new(ctx.limits.memory_bytes),
            wasi,
            table: ResourceTable::new(),
            max_api_calls: ctx.limits.max_api_calls,
            api_calls: 0,
            api_failures: 0,
            halted: None,
            scratch: ctx.scratch,
            allow: ctx.allow,
            denied: ctx.denied,
            log_budget: super::LOG_BUDGET_BYTES,
            log_dropped: 0,
        }
    }

    /// Takes a log line's cost from the budget; `false` when it does not fit (it is dropped).
    pub(crate) fn charge_log(&mut self, bytes: usize) -> bool {
        let cost = bytes.saturating_add(super::LOG_LINE_OVERHEAD);
        if cost <= self.log_budget {
            self.log_budget -= cost;
            true
        } else {
            // Nothing more gets through in this run, even a short line: one gap, said once.
            self.log_budget = 0;
            self.log_dropped = self.log_dropped.saturating_add(bytes);
            false
        }
    }

    /// After the run: one line saying how much of the probe's log was dropped, if any.
    pub(crate) fn report_dropped_log(&mut self) {
        if self.log_dropped > 0 {
            tracing::warn!(
                probe = %self.probe,
                "dropped {} bytes of log lines past the {}-byte budget of one run",
                self.log_dropped,
                super::LOG_BUDGET_BYTES
            );
            self.log_dropped = 0;
        }
    }
}

impl WasiView for RunState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}
