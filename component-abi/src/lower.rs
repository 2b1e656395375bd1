//! Writing a value into the guest's memory by the canonical ABI: from a [`Tape`](crate::Tape)
//! by a [`Plan`] of the guest's type, or from a small [`Val`] (the host's `api-error`) walking
//! the guest's type.
//!
//! A value's own bytes (scalars, discriminants, the pointer and length of a string or list)
//! are put together in a buffer on the host and copied into the guest's memory once: a
//! result once, a list's items once per list. What they point to (a string's bytes, a list's
//! items) is allocated by the guest's `realloc` and copied in as it comes. Only safe code:
//! memory is reached through wasmtime's `LowerContext`, every copy into it is bounds-checked
//! (`get_mut`), and `realloc`'s answer is checked by wasmtime against the memory's size.

use crate::plan::{Plan, Scalar};
use crate::tape::{Cursor, Node};
use wasmtime::component::__internal::wasmtime_environ::component::StringEncoding;
use wasmtime::component::__internal::{ComponentTypes, InterfaceType, LowerContext};
use wasmtime::component::Val;
use wasmtime::error::{Context as _, Result, bail};

/// The longest string the canonical ABI passes (its length's top bit tags UTF-16).
const MAX_STRING_BYTES: usize = (1 << 31) - 1;
const UTF16_TAG: u32 = 1 << 31;

/// Writes the next value of `cursor` by `plan` (the guest's type, worked out by
/// [`check`](crate::check)) into `buf[at..]` (the buffer stands for guest memory at some
/// address, to be copied there by the caller).
///
/// # Errors
/// When the tape does not have the plan's shape (a guest whose type is not the tape's), or
/// the guest's `realloc` fails.
pub(crate) fn store<'t, T: 'static>(
    cx: &mut LowerContext<'_, T>,
    plan: &Plan,
    cursor: &mut Cursor<'t>,
    buf: &mut [u8],
    at: usize,
    pending: &mut Pending<'t>,
) -> Result<()> {
    match plan {
        Plan::Scalar(scalar) => match (scalar, cursor.next_node().context("the value ends early")?) {
            (Scalar::Bool, Node::Bool(b)) => put(buf, at, [u8::from(b)]),
            (Scalar::S32, Node::S32(n)) => put(buf, at, n.to_le_bytes()),
            (Scalar::S64, Node::S64(n)) => put(buf, at, n.to_le_bytes()),
            (Scalar::U32, Node::U32(n)) => put(buf, at, n.to_le_bytes()),
            (Scalar::U64, Node::U64(n)) => put(buf, at, n.to_le_bytes()),
            (Scalar::F64, Node::F64(f)) => put(buf, at, f.to_le_bytes()),
            (scalar, node) => mismatch(scalar, node),
        },
        Plan::String => {
            let s = cursor.next_str().context("expected a string")?;
            let (ptr, len) = match cx.options().string_encoding {
                // Allocated now, copied in with the others (one look-up of the memory for all).
                StringEncoding::Utf8 if s.len() <= MAX_STRING_BYTES => {
                    let ptr = cx.realloc(0, 0, 1, s.len())?;
                    pending.push((ptr, s.as_bytes()));
                    (u32::try_from(ptr)?, u32::try_from(s.len())?)
                }
                _ => string(cx, s)?,
            };
            put(buf, at, ptr.to_le_bytes())?;
            put(buf, at + 4, len.to_le_bytes())
        }
        Plan::List { item, size, align } => {
            let Some(Node::Len(n)) = cursor.next_node() else { bail!("expected a list") };
            let bytes = size.checked_mul(n as usize).filter(|b| *b <= MAX_STRING_BYTES);
            let bytes = bytes.with_context(|| format!("a list of {n} items is too large for the guest"))?;
            let ptr = cx.realloc(0, 0, *align, bytes)?;
            let mut items = vec![0u8; bytes];
            for k in 0..n as usize {
                store(cx, item, cursor, &mut items, k * size, pending)?;
            }
            flush(cx, pending)?;
            copy_in(cx, ptr, &items)?;
            put(buf, at, u32::try_from(ptr)?.to_le_bytes())?;
            put(buf, at + 4, n.to_le_bytes())
        }
        Plan::Record(fields) => {
            for (offset, field) in fields {
                match offset {
                    Some(offset) => store(cx, field, cursor, buf, at + offset, pending)?,
                    None => field.skip(cursor).context("the value does not have its type's shape")?,
                }
            }
            Ok(())
        }
        Plan::Enum { size, cases } => {
            let Some(Node::Case(case)) = cursor.next_node() else { bail!("expected an enum case") };
            if case >= *cases {
                bail!("enum case {case} out of range");
            }
            discriminant(buf, at, *size, case)
        }
        Plan::Option { size, payload, inner } => match cursor.next_node() {
            Some(Node::None) => discriminant(buf, at, *size, 0),
            Some(Node::Some) => {
                discriminant(buf, at, *size, 1)?;
                store(cx, inner, cursor, buf, at + payload, pending)
            }
            node => bail!("expected an option, the value has {node:?}"),
        },
        Plan::Variant { size, payload, cases } => {
            let Some(Node::Case(case)) = cursor.next_node() else { bail!("expected a variant case") };
            let case_plan = cases.get(case as usize).context("variant case out of range")?;
            discriminant(buf, at, *size, case)?;
            match case_plan {
                Some(plan) => store(cx, plan, cursor, buf, at + payload, pending),
                None => Ok(()),
            }
        }
    }
}

/// Writes `val` (a record, variant, option, string, or number: what the host's own
/// `api-error` is made of) as a `ty` into `buf[at..]`.
///
/// # Errors
/// When `val` does not have the guest's type, or the guest's `realloc` fails.
pub(crate) fn store_val<T: 'static>(
    cx: &mut LowerContext<'_, T>,
    types: &ComponentTypes,
    ty: InterfaceType,
    val: &Val,
    buf: &mut [u8],
    at: usize,
) -> Result<()> {
    match (ty, val) {
        (InterfaceType::U16, Val::U16(n)) => put(buf, at, n.to_le_bytes()),
        (InterfaceType::U32, Val::U32(n)) => put(buf, at, n.to_le_bytes()),
        (InterfaceType::S32, Val::S32(n)) => put(buf, at, n.to_le_bytes()),
        (InterfaceType::String, Val::String(s)) => {
            let (ptr, len) = string(cx, s)?;
            put(buf, at, ptr.to_le_bytes())?;
            put(buf, at + 4, len.to_le_bytes())
        }
        (InterfaceType::Record(i), Val::Record(fields)) => {
            let ty = &types[i];
            if ty.fields.len() != fields.len() {
                bail!("expected {} fields, got {}", ty.fields.len(), fields.len());
            }
            let mut offset = at;
            for (field, (name, value)) in ty.fields.iter().zip(fields) {
                if field.name != *name {
                    bail!("expected field `{}`, got `{name}`", field.name);
                }
                let field_at = types.canonical_abi(&field.ty).next_field32_size(&mut offset);
                store_val(cx, types, field.ty, value, buf, field_at)?;
            }
            Ok(())
        }
        (InterfaceType::Variant(i), Val::Variant(case, payload)) => {
            let ty = &types[i];
            let (index, _, case_ty) = ty.cases.get_full(case.as_str()).with_context(|| format!("no case `{case}`"))?;
            discriminant(buf, at, u32::from(ty.info.size), u32::try_from(index)?)?;
            match (case_ty, payload) {
                (Some(case_ty), Some(payload)) => {
                    store_val(cx, types, *case_ty, payload, buf, at + ty.info.payload_offset32 as usize)
                }
                (None, None) => Ok(()),
                _ => bail!("case `{case}`: payload does not match"),
            }
        }
        (InterfaceType::Option(i), Val::Option(v)) => {
            let ty = &types[i];
            discriminant(buf, at, u32::from(ty.info.size), u32::from(v.is_some()))?;
            match v {
                Some(v) => store_val(cx, types, ty.ty, v, buf, at + ty.info.payload_offset32 as usize),
                None => Ok(()),
            }
        }
        (ty, val) => bail!("cannot write {val:?} as {ty:?}"),
    }
}

/// Copies `s` into memory the guest allocates, in the guest's string encoding: its pointer
/// and length as the canonical ABI passes them.
fn string<T: 'static>(cx: &mut LowerContext<'_, T>, s: &str) -> Result<(u32, u32)> {
    if s.len() > MAX_STRING_BYTES {
        bail!("a string of {} bytes is too long for the guest", s.len());
    }
    match cx.options().string_encoding {
        StringEncoding::Utf8 => {
            let ptr = cx.realloc(0, 0, 1, s.len())?;
            copy_in(cx, ptr, s.as_bytes())?;
            Ok((u32::try_from(ptr)?, u32::try_from(s.len())?))
        }
        // UTF-16 for both: latin1+utf16 takes UTF-16 when its length carries the tag.
        encoding => {
            let units: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
            if units.len() > MAX_STRING_BYTES {
                bail!("a string of {} bytes is too long for the guest", s.len());
            }
            let ptr = cx.realloc(0, 0, 2, units.len())?;
            copy_in(cx, ptr, &units)?;
            let len = u32::try_from(units.len() / 2)?;
            let tag = if encoding == StringEncoding::CompactUtf16 { UTF16_TAG } else { 0 };
            Ok((u32::try_from(ptr)?, len | tag))
        }
    }
}

/// Strings the guest has allocated room for and that are not copied in yet: where, and what.
/// `realloc` may grow the guest's memory, so its slice is looked up after the allocations,
/// once for all of them (a look-up per string was 2.5 % of a run reading 100,000 potatoes).
pub(crate) type Pending<'t> = Vec<(usize, &'t [u8])>;

/// Copies the `pending` strings in.
pub(crate) fn flush<T: 'static>(cx: &mut LowerContext<'_, T>, pending: &mut Pending<'_>) -> Result<()> {
    let memory = cx.as_slice_mut();
    for (ptr, bytes) in pending.drain(..) {
        let end = ptr.checked_add(bytes.len()).context("a copy past the end of memory")?;
        memory.get_mut(ptr..end).context("a copy past the end of memory")?.copy_from_slice(bytes);
    }
    Ok(())
}

/// Copies `bytes` into guest memory at `ptr`.
pub(crate) fn copy_in<T: 'static>(cx: &mut LowerContext<'_, T>, ptr: usize, bytes: &[u8]) -> Result<()> {
    let memory = cx.as_slice_mut();
    let end = ptr.checked_add(bytes.len()).context("a copy past the end of memory")?;
    memory.get_mut(ptr..end).context("a copy past the end of memory")?.copy_from_slice(bytes);
    Ok(())
}

/// Writes a case index in `size` bytes (1, 2 or 4, as the type's case count asks).
fn discriminant(buf: &mut [u8], at: usize, size: impl Into<u32>, case: u32) -> Result<()> {
    let size: u32 = size.into();
    match size {
        1 => put(buf, at, [u8::try_from(case)?]),
        2 => put(buf, at, u16::try_from(case)?.to_le_bytes()),
        _ => put(buf, at, case.to_le_bytes()),
    }
}

/// Puts `bytes` at `buf[at..]`.
fn put<const N: usize>(buf: &mut [u8], at: usize, bytes: [u8; N]) -> Result<()> {
    let end = at.checked_add(N).context("a write past the value")?;
    buf.get_mut(at..end).context("a write past the value")?.copy_from_slice(&bytes);
    Ok(())
}

#[cold]
fn mismatch(scalar: &Scalar, node: Node) -> Result<()> {
    bail!("expected a {scalar:?}, the value has {node:?}")
}
