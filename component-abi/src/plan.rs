//! How a tape's value is written as one guest's type: worked out once per call by
//! [`check`](crate::check) from the guest's type and the host's model, then followed for every
//! value of the call.
//!
//! A plan has the model's shape (the tape's order) and the guest's layout: each record field's
//! offset in the guest's record, each list's item size, each discriminant's width. A guest's
//! record may leave out fields of the model's (a probe built against an older document, or one
//! that declares only what it reads): those fields are skipped on the tape, not written.

use crate::tape::{Cursor, Node};

/// A scalar the tape holds as one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Bool,
    S32,
    S64,
    U32,
    U64,
    F64,
}

/// The way to write (or skip) one value of the tape.
#[derive(Debug, Clone)]
pub enum Plan {
    /// A scalar (or, skipped, any one-node value: a string or an enum case too).
    Scalar(Scalar),
    String,
    /// A list: its items' plan, and their size and alignment in the guest's memory.
    List {
        item: Box<Plan>,
        size: usize,
        align: u32,
    },
    /// A record (or tuple) in the model's field order: each field's offset in the guest's
    /// record, or none for a field the guest's record does not have (skipped).
    Record(Vec<(Option<usize>, Plan)>),
    /// An enum: its discriminant's width in bytes and its number of cases.
    Enum {
        size: u8,
        cases: u32,
    },
    Option {
        size: u8,
        payload: usize,
        inner: Box<Plan>,
    },
    /// A variant: its discriminant's width, its payload's offset, each case's payload.
    Variant {
        size: u8,
        payload: usize,
        cases: Vec<Option<Plan>>,
    },
}

impl Plan {
    /// Moves `cursor` past one value of this plan's shape without writing it; `None` when the
    /// tape does not have the shape.
    pub(crate) fn skip(&self, cursor: &mut Cursor<'_>) -> Option<()> {
        match self {
            Plan::Scalar(_) | Plan::String | Plan::Enum { .. } => {
                cursor.next_node()?;
            }
            Plan::List { item, .. } => {
                let Node::Len(n) = cursor.next_node()? else { return None };
                for _ in 0..n {
                    item.skip(cursor)?;
                }
            }
            Plan::Record(fields) => {
                for (_, field) in fields {
                    field.skip(cursor)?;
                }
            }
            Plan::Option { inner, .. } => match cursor.next_node()? {
                Node::None => {}
                Node::Some => inner.skip(cursor)?,
                _ => return None,
            },
            Plan::Variant { cases, .. } => {
                let Node::Case(i) = cursor.next_node()? else { return None };
                if let Some(payload) = cases.get(i as usize)? {
                    payload.skip(cursor)?;
                }
            }
        }
        Some(())
    }
}
