//! Host bindings for the newest `probe-host:probe` world, generated from `wit/`.
//!
//! Every import is async: potato-api calls do network I/O, and an async host function lets the
//! run be cancelled by its timeout while it waits. The potato-api functions are also
//! trappable: the call past a run's cap ends the run.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "probe-host:probe/probe",
    imports: {
        "potato:api/potatoes": async | trappable,
        default: async,
    },
    exports: { default: async },
});
