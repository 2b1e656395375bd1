//! Values of a dynamically linked component function, lifted and lowered by the canonical ABI
//! straight from and into the guest's memory.
//!
//! wasmtime 48 serves a function whose types are known only at run time
//! (`LinkerInstance::func_new_async`) with [`wasmtime::component::Val`] trees: every result is
//! built as a tree (a `String` per record field name and per enum case, a box per option) and
//! then lowered by comparing each name against the guest's type. For a page of 1,000 records
//! that was most of the host's time per call (docs/performance.md, sections 2 and 8). This
//! crate lowers a result from a flat [`Tape`] of its scalars and strings instead, walking the
//! guest's own type, and lifts the arguments the same way:
//!
//! - [`Tape`]: a value as a flat list of scalars in the order its type visits them, with its
//!   strings in one buffer;
//! - [`check`]: whether the guest's type takes the values a tape was built for, names and all
//!   (once per call, on types, not values), and the [`Plan`] to write them by (a guest's
//!   record may leave out fields of the document's); [`fits`], the same comparison on
//!   wasmtime's public types, made when a probe is loaded;
//! - [`Args`] and [`Returned`]: the parameter and result types of a host function linked with
//!   `LinkerInstance::func_wrap_async` whose types are known only at run time.
//!
//! Every write into guest memory goes through wasmtime's bounds-checked lowering context.

mod check;
mod fits;
mod host_fn;
mod lift;
mod lower;
mod plan;
mod tape;

pub use check::check;
pub use fits::{Records, fits};
pub use host_fn::{Args, Checker, MAX_FLAT_PARAMS, Returned, flat_count};
pub use plan::Plan;
pub use tape::{Cursor, Node, Tape};
