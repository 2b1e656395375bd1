//! The probe author's tool belt: `wit` (the contract), `check` (does a component fit?) and
//! `new` (a skeleton per language).

pub mod check;
pub mod once;
pub mod skeleton;
pub mod wit;
