//! probe-host: a Prometheus/OpenMetrics exporter whose metric logic runs in sandboxed
//! WebAssembly components ("probes") that call the potato-api through typed WIT imports.
//!
//! The modules follow the flow of data:
//! - [`config`]: the TOML configuration file;
//! - [`sources`]: where probes come from (files, OCI registries) and noticing that they changed;
//! - [`probe`]: probes as configured, and compiling them;
//! - [`supervisor`] and [`reload`]: keeping the running probes in line with their sources;
//! - [`engine`]: wasmtime, hidden behind a small async API (the only module that touches it);
//! - [`api`]: the potato-api glue behind the `potato:api` imports;
//! - [`scheduler`]: running each probe on its interval;
//! - [`validate`] and [`model`]: what a probe may return;
//! - [`status`]: each probe's latest results;
//! - [`exposition`]: encoding for scrapers; [`server`]: HTTP;
//! - [`app`]: wiring it together; [`cli`]: the `probe-host` command; [`tools`]: `wit`, `check`
//!   and `new` for probe authors.
#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod bounded;
pub mod cli;
pub mod config;
pub mod engine;
pub mod errors;
pub mod exposition;
pub mod logging;
pub mod model;
pub mod outcome;
pub mod probe;
pub mod reload;
pub mod resolve;
pub mod scheduler;
pub mod server;
pub mod sources;
pub mod status;
pub mod supervisor;
pub mod tools;
pub mod validate;

/// mimalloc's settings for a long-running host whose memory comes and goes with each run: give
/// freed memory back at once, and commit arena memory as it is used rather than ahead. With its
/// defaults, a host paging through 100,000 potatoes every 2 s peaked at 82–90 MiB; with these,
/// 48–50 MiB, for the same CPU (docs/performance.md, section 8). The binary sets them for
/// itself unless the environment already does; the benchmark gives them to the native exporter
/// it compares with, too.
pub const ALLOCATOR_ENV: [(&str, &str); 2] = [("MIMALLOC_PURGE_DELAY", "0"), ("MIMALLOC_ARENA_EAGER_COMMIT", "0")];
