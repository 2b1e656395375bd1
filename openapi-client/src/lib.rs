//! The potato-api client, generated from [`potato-api.yaml`](../potato-api.yaml).
//!
//! The YAML document is the single source of truth: [`progenitor`] reads it at compile time and
//! emits [`Client`] (one async method per `operationId`) and [`types`] (one type per schema).
//! Change the document and the client, and every caller the compiler checks, follow.
//!
//! On top of the generated code, [`ClientContext`] adds the current bearer token to every call
//! (retrying once with a fresh one after a `401` when the [`Credentials`] can get one), caps the
//! size of every response body, so a target that answers with gigabytes cannot exhaust the
//! caller's memory, and tells an [`Observer`] about every request sent.

mod generated {
    // The generated code is not ours to lint.
    #![allow(missing_debug_implementations, clippy::all, unused_qualifications)]
    use crate::ClientContext;

    progenitor::generate_api!(spec = "potato-api.yaml", derives = [PartialEq], inner_type = ClientContext,);
}
mod context;
mod hooks;
pub mod wit;

pub use context::{BoxFuture, ClientContext, Credentials, Observer, Outcome};
pub use generated::*;
pub use hooks::{BODY_TOO_LARGE, NO_CREDENTIALS, Refusal};

/// The OpenAPI document this client was generated from, for tools that serve or inspect it.
pub const OPENAPI_DOCUMENT: &str = include_str!("../potato-api.yaml");
