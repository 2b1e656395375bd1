//! Write [probe-host](../../README.md) probes in Rust.
//!
//! A probe is a type implementing [`Probe`], exported with [`probe!`]. It reads its settings
//! with [`config`] and returns metric families built with [`Gauge`], [`Counter`] and
//! [`Histogram`]; [`Pages`] follows a paged operation to its last page.
//!
//! The SDK knows no target API: its bindings are of the host's own interfaces (metrics, log,
//! config, scratch) and the `collect` export. A probe binds the API it calls itself, from the
//! WIT `probe-host wit` writes for the API's document, with a world that only imports it. That
//! WIT may be a *view*: a record may leave out the fields the probe does not read, and the
//! host then never hands them over (docs/openapi-to-wit.md, "A probe's view of a record"):
//!
//! ```ignore
//! wit_bindgen::generate!({
//!     inline: "package example:queues; world api { import potato:api/potatoes@0.1.1; }",
//!     path: "wit", // potato:api@0.1.1, as `probe-host wit` wrote it (or a view of it)
//!     generate_all,
//! });
//! use potato::api::potatoes::list_queues;
//! use probe_sdk::{Gauge, MetricFamily, Probe};
//!
//! struct Queues;
//! probe_sdk::probe!(Queues);
//!
//! impl Probe for Queues {
//!     fn collect() -> Result<Vec<MetricFamily>, String> {
//!         let mut depth = Gauge::new("potato_queue_depth", "Messages waiting.");
//!         for q in list_queues().map_err(|e| format!("list-queues: {e}"))? {
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
pub use paging::{PageResult, Pages, all_pages};

#[doc(hidden)]
pub mod bindings {
    // The host's world without the target API (`probe-host:probe/probe` less its API import):
    // each probe binds the API itself, so that its records can be views of the document's.
    wit_bindgen::generate!({
        inline: "
            package probe-host:sdk;
            world guest {
                import probe-host:probe/log@0.1.2;
                import probe-host:probe/config@0.1.2;
                import probe-host:probe/scratch@0.1.2;
                use probe-host:probe/metrics@0.1.2.{metric-family};
                export collect: func() -> result<list<metric-family>, string>;
            }
        ",
        path: "../../wit",
        world: "guest",
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
