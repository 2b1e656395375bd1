//! potato-sim: a real HTTP server implementing the potato-api document
//! (`openapi-client/potato-api.yaml`) over a deterministic data set.
//!
//! The data set is generated from a seed, so a test can build the same [`Dataset`] the server
//! holds and compute the values a probe must report. The server answers with the generated
//! client's own types, so it cannot drift from the document without failing to compile.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let sim = potato_sim::Simulator::start("127.0.0.1:0".parse()?, "secret", potato_sim::Dataset::generate(42)).await?;
//! println!("{} (token {})", sim.base_url(), sim.token());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod data;
mod faults;
mod oauth;
mod rng;
mod server;
mod tls;
mod traffic;

pub use data::{DEFAULT_SEED, Dataset, VARIETIES};
pub use faults::Fault;
pub use server::{ServerTls, Simulator};
