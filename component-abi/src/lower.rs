//! Writing a value into the guest's memory by the canonical ABI, walking the guest's own type:
//! from a [`Tape`], or from a small [`Val`] (the host's `api-error`). Only safe code: memory is
//! reached through wasmtime's `LowerContext`, whose accessors check bounds, and every offset
//! written lies in a region the guest handed over or its `realloc` returned (checked by
//! wasmtime against the memory's size).

use crate::tape::{Cursor, Node};
use wasmtime::component::__internal::{ComponentTypes, InterfaceType, LowerContext};
use wasmtime::component::Lower as _;
use wasmtime::component::Val;
use wasmtime::error::{Context as _, Result, bail};

/// Writes the next value of `cursor` as a `ty` at `offset`.
///
/// # Errors
/// When the tape does not have the type's shape (a guest whose type is not the tape's), or
/// the guest's `realloc` fails.
pub(crate) fn store<T: 'static>(
    cx: &mut LowerContext<'_, T>,
    types: &ComponentTypes,
    ty: InterfaceType,
    cursor: &mut Cursor<'_>,
    offset: usize,
) -> Result<()> {
    let node = |cursor: &mut Cursor<'_>| cursor.next_node().context("the value ends early");
    match ty {
        InterfaceType::Bool => match node(cursor)? {
            Node::Bool(b) => write(cx, offset, [u8::from(b)]),
            n => mismatch(ty, n),
        },
        InterfaceType::U16 => match node(cursor)? {
            Node::U16(n) => write(cx, offset, n.to_le_bytes()),
            n => mismatch(ty, n),
        },
        InterfaceType::S32 => match node(cursor)? {
            Node::S32(n) => write(cx, offset, n.to_le_bytes()),
            n => mismatch(ty, n),
        },
        InterfaceType::U32 => match node(cursor)? {
            Node::U32(n) => write(cx, offset, n.to_le_bytes()),
            n => mismatch(ty, n),
        },
        InterfaceType::S64 => match node(cursor)? {
            Node::S64(n) => write(cx, offset, n.to_le_bytes()),
            n => mismatch(ty, n),
        },
        InterfaceType::U64 => match node(cursor)? {
            Node::U64(n) => write(cx, offset, n.to_le_bytes()),
            n => mismatch(ty, n),
        },
        InterfaceType::Float64 => match node(cursor)? {
            Node::F64(f) => write(cx, offset, f.to_le_bytes()),
            n => mismatch(ty, n),
        },
        InterfaceType::String => {
            let s = cursor.next_str().context("expected a string")?;
            // wasmtime's own lowering of a string: the guest's encoding, its `realloc`.
            s.linear_lower_to_memory(cx, ty, offset)
        }
        InterfaceType::List(i) => {
            let Node::Len(n) = node(cursor)? else { bail!("expected a list") };
            let element = types[i].element;
            let abi = types.canonical_abi(&element);
            let (size, align) = (abi.size32 as usize, abi.align32);
            let bytes = size.checked_mul(n as usize).filter(|b| u32::try_from(*b).is_ok());
            let bytes = bytes.with_context(|| format!("a list of {n} items is too large for the guest"))?;
            let ptr = cx.realloc(0, 0, align, bytes)?;
            for k in 0..n as usize {
                store(cx, types, element, cursor, ptr + k * size)?;
            }
            write(cx, offset, u32::try_from(ptr)?.to_le_bytes())?;
            write(cx, offset + 4, n.to_le_bytes())
        }
        InterfaceType::Record(i) => {
            let mut at = offset;
            for field in &types[i].fields {
                let field_offset = types.canonical_abi(&field.ty).next_field32_size(&mut at);
                store(cx, types, field.ty, cursor, field_offset)?;
            }
            Ok(())
        }
        InterfaceType::Tuple(i) => {
            let mut at = offset;
            for item in &types[i].types {
                let item_offset = types.canonical_abi(item).next_field32_size(&mut at);
                store(cx, types, *item, cursor, item_offset)?;
            }
            Ok(())
        }
        InterfaceType::Enum(i) => {
            let Node::Case(case) = node(cursor)? else { bail!("expected an enum case") };
            let ty = &types[i];
            if case as usize >= ty.names.len() {
                bail!("enum case {case} out of range");
            }
            discriminant(cx, offset, u32::from(ty.info.size), case)
        }
        InterfaceType::Option(i) => {
            let ty = &types[i];
            match node(cursor)? {
                Node::None => discriminant(cx, offset, u32::from(ty.info.size), 0),
                Node::Some => {
                    discriminant(cx, offset, u32::from(ty.info.size), 1)?;
                    store(cx, types, ty.ty, cursor, offset + ty.info.payload_offset32 as usize)
                }
                n => mismatch(InterfaceType::Option(i), n),
            }
        }
        InterfaceType::Variant(i) => {
            let Node::Case(case) = node(cursor)? else { bail!("expected a variant case") };
            let ty = &types[i];
            let (_, payload) = ty.cases.get_index(case as usize).context("variant case out of range")?;
            discriminant(cx, offset, u32::from(ty.info.size), case)?;
            match payload {
                Some(payload) => store(cx, types, *payload, cursor, offset + ty.info.payload_offset32 as usize),
                None => Ok(()),
            }
        }
        other => bail!("a tape cannot hold a value of type {other:?}"),
    }
}

/// Writes `val` (a record, variant, option, string, or number: what the host's own
/// `api-error` is made of) as a `ty` at `offset`.
///
/// # Errors
/// When `val` does not have the guest's type, or the guest's `realloc` fails.
pub(crate) fn store_val<T: 'static>(
    cx: &mut LowerContext<'_, T>,
    types: &ComponentTypes,
    ty: InterfaceType,
    val: &Val,
    offset: usize,
) -> Result<()> {
    match (ty, val) {
        (InterfaceType::U16, Val::U16(n)) => write(cx, offset, n.to_le_bytes()),
        (InterfaceType::U32, Val::U32(n)) => write(cx, offset, n.to_le_bytes()),
        (InterfaceType::S32, Val::S32(n)) => write(cx, offset, n.to_le_bytes()),
        (InterfaceType::String, Val::String(s)) => s.as_str().linear_lower_to_memory(cx, ty, offset),
        (InterfaceType::Record(i), Val::Record(fields)) => {
            let ty = &types[i];
            if ty.fields.len() != fields.len() {
                bail!("expected {} fields, got {}", ty.fields.len(), fields.len());
            }
            let mut at = offset;
            for (field, (name, value)) in ty.fields.iter().zip(fields) {
                if field.name != *name {
                    bail!("expected field `{}`, got `{name}`", field.name);
                }
                let field_offset = types.canonical_abi(&field.ty).next_field32_size(&mut at);
                store_val(cx, types, field.ty, value, field_offset)?;
            }
            Ok(())
        }
        (InterfaceType::Variant(i), Val::Variant(case, payload)) => {
            let ty = &types[i];
            let (index, _, case_ty) = ty.cases.get_full(case.as_str()).with_context(|| format!("no case `{case}`"))?;
            discriminant(cx, offset, u32::from(ty.info.size), u32::try_from(index)?)?;
            match (case_ty, payload) {
                (Some(case_ty), Some(payload)) => {
                    store_val(cx, types, *case_ty, payload, offset + ty.info.payload_offset32 as usize)
                }
                (None, None) => Ok(()),
                _ => bail!("case `{case}`: payload does not match"),
            }
        }
        (InterfaceType::Option(i), Val::Option(v)) => {
            let ty = &types[i];
            discriminant(cx, offset, u32::from(ty.info.size), u32::from(v.is_some()))?;
            match v {
                Some(v) => store_val(cx, types, ty.ty, v, offset + ty.info.payload_offset32 as usize),
                None => Ok(()),
            }
        }
        (ty, val) => bail!("cannot write {val:?} as {ty:?}"),
    }
}

/// Writes a case index in `size` bytes (1, 2 or 4, as the type's case count asks).
fn discriminant<T: 'static>(cx: &mut LowerContext<'_, T>, offset: usize, size: u32, case: u32) -> Result<()> {
    match size {
        1 => write(cx, offset, [u8::try_from(case)?]),
        2 => write(cx, offset, u16::try_from(case)?.to_le_bytes()),
        _ => write(cx, offset, case.to_le_bytes()),
    }
}

/// Writes `bytes` at `offset`, checked against the memory's end.
fn write<T: 'static, const N: usize>(cx: &mut LowerContext<'_, T>, offset: usize, bytes: [u8; N]) -> Result<()> {
    let memory = cx.as_slice_mut();
    let slot = offset.checked_add(N).and_then(|end| memory.get_mut(offset..end)).context("write out of bounds")?;
    slot.copy_from_slice(&bytes);
    Ok(())
}

#[cold]
fn mismatch(ty: InterfaceType, node: Node) -> Result<()> {
    bail!("expected a value of type {ty:?}, the value has {node:?}")
}
