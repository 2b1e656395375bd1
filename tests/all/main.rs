//! probe-host's integration tests: one binary, one module per topic (as wasmtime does).
//!
//! They build the example and fixture probes for wasm32-wasip2, start the potato-api simulator
//! and the real `probe-host` binary on ephemeral loopback ports, and check what it serves.

mod api;
mod cache;
mod cli;
mod conformance;
mod containment;
mod contract;
mod credentials;
mod deploy;
mod end_to_end;
mod failures;
mod guide;
mod languages;
mod oci;
mod politeness;
mod promtool;
mod reload;
mod scheduling;
mod scrape_load;
mod scrapers;
mod server;
mod support;
mod target;
mod tiers;
mod tools;
mod versions;
mod web;
