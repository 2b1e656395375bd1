//! What a store holds during one probe run.

use super::limits::RunLimiter;
use crate::api::PotatoApi;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Per-run store data. Built fresh for every run, dropped with the store.
pub(crate) struct RunState {
    pub(crate) probe: Arc<str>,
    pub(crate) api: PotatoApi,
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
}

impl WasiView for RunState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}
