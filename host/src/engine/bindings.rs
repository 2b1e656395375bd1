//! Host bindings for the newest `probe-host:probe` world, generated from `wit/`.
//!
//! Only the world's own interfaces (`metrics`, `log`, `config`, `scratch`) and its export are
//! used from these: the target API's functions are linked from its OpenAPI document
//! (`super::target`), whatever package the world imports them from. Every import is async, so
//! a run can be cancelled by its timeout while it waits.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "probe-host:probe/probe",
    imports: { default: async },
    exports: { default: async },
});
