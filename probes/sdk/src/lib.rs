//! Write [probe-host](../../README.md) probes in Rust.
//!
//! A probe is a type implementing [`Probe`], exported with [`probe!`]. It calls the potato-api
//! through [`api`], reads its settings with [`config`], and returns metric families built
//! with [`Gauge`], [`Counter`] and [`Histogram`]:
//!
//! ```ignore
//! use probe_sdk::{api, Gauge, MetricFamily, Probe};
//!
//! struct Queues;
//! probe_sdk::probe!(Queues);
//!
//! impl Probe for Queues {
//!     fn collect() -> Result<Vec<MetricFamily>, String> {
//!         let mut depth = Gauge::new("potato_queue_depth", "Messages waiting.");
//!         for q in api::list_queues().map_err(|e| e.to_string())? {
//!             depth.set(&[("queue", &q.name)], q.depth as f64);
//!         }
//!         Ok(vec![depth.into()])
//!     }
//! }
//! ```
//!
//! Build with `cargo build --release --target wasm32-wasip2`.

mod builders;
mod paging;
mod series;

pub use builders::{Counter, Gauge, Histogram};
pub use paging::{PageResult, Pages, all_important_potatoes, all_orders, important_potatoes, orders};

#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "probe-host:probe/probe",
        generate_all,
        pub_export_macro: true,
        export_macro_name: "export_probe",
        default_bindings_module: "probe_sdk::bindings",
    });
}

/// What a probe implements: `collect` is called once per run, in a fresh instance.
pub use bindings::Guest as Probe;
/// The metric data model a probe returns.
pub use bindings::probe_host::probe::metrics::{
    Bucket, HistogramValue, Label, MetricFamily, MetricType, Sample, SampleValue,
};

/// The potato-api operations (one function per operation) and its error type.
pub mod api {
    pub use crate::bindings::potato::api::potatoes::*;
    pub use crate::bindings::potato::api::types::ApiError;
}

/// The potato-api's data types.
pub use bindings::potato::api::types;

/// The probe's own settings, from the host configuration.
pub mod config {
    pub use crate::bindings::probe_host::probe::config::{get, get_all};

    /// The setting `key` parsed as `T`, or `default` when it is not set.
    ///
    /// # Errors
    /// When the setting is present but does not parse, naming the key and the value.
    pub fn parse_or<T: std::str::FromStr>(key: &str, default: T) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        match get(key) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|e| format!("config {key} = {raw:?}: {e}")),
        }
    }
}

/// A few bytes kept by the host between runs of this probe (`get`, `set`, `remove`, `keys`):
/// empty after a restart or reload.
pub mod scratch {
    pub use crate::bindings::probe_host::probe::scratch::{get, keys, remove, set};
}

/// Logging into the host's log, tagged with the probe's name.
pub mod log {
    use crate::bindings::probe_host::probe::log::{Level, log};

    pub fn debug(message: &str) {
        log(Level::Debug, message);
    }
    pub fn info(message: &str) {
        log(Level::Info, message);
    }
    pub fn warn(message: &str) {
        log(Level::Warn, message);
    }
    pub fn error(message: &str) {
        log(Level::Error, message);
    }
}

/// Exports `$probe` (a type implementing [`Probe`]) as the component's `collect`.
#[macro_export]
macro_rules! probe {
    ($probe:ident) => {
        $crate::bindings::export_probe!($probe with_types_in $crate::bindings);
    };
}
