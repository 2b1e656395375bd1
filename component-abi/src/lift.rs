//! Reading a function's arguments as the guest passed them (flat values, and memory for what
//! they point to) into `Val`s: a call has a few, so the host keeps its `Val`-based code for
//! them. Only safe code: memory is read through wasmtime's lifting context and its own
//! lifting of strings, which check bounds and the string encoding.

use wasmtime::ValRaw;
use wasmtime::component::__internal::{InterfaceType, LiftContext};
use wasmtime::component::Lift as _;
use wasmtime::component::Val;
use wasmtime::error::{Context as _, Result, bail};

/// The most items a list argument may have. Each item becomes a value and then JSON on the
/// host, several times its size in the probe's memory (a byte per enum item there, about
/// 60 bytes here): without a bound, a probe could make the host allocate gigabytes with one
/// call. A request's list (query values, a body's ids) is far shorter in practice.
pub const MAX_LIST_ARGUMENT: usize = 100_000;

/// Reads a value of `ty` from the flat values `src[*at..]`, moving `at` past it.
///
/// # Errors
/// A type this reader does not take (a variant, whose flat form joins its cases' types), or
/// an invalid value (an out-of-range case, a string outside memory or not in its encoding).
pub(crate) fn lift_flat(cx: &mut LiftContext<'_>, ty: InterfaceType, src: &[ValRaw], at: &mut usize) -> Result<Val> {
    let mut next = || -> Result<ValRaw> {
        let v = *src.get(*at).context("too few flat values")?;
        *at += 1;
        Ok(v)
    };
    Ok(match ty {
        InterfaceType::Bool => Val::Bool(next()?.get_i32() != 0),
        InterfaceType::S32 => Val::S32(next()?.get_i32()),
        InterfaceType::U32 => Val::U32(next()?.get_u32()),
        InterfaceType::S64 => Val::S64(next()?.get_i64()),
        InterfaceType::U64 => Val::U64(next()?.get_u64()),
        InterfaceType::Float64 => Val::Float64(f64::from_bits(next()?.get_f64())),
        InterfaceType::String => {
            let pair = [next()?, next()?];
            Val::String(String::linear_lift_from_flat(cx, ty, &pair)?)
        }
        InterfaceType::Enum(i) => {
            let case = next()?.get_u32();
            let names = &cx.types[i].names;
            Val::Enum(names.iter().nth(case as usize).context("enum case out of range")?.clone())
        }
        InterfaceType::Option(i) => {
            let inner = cx.types[i].ty;
            let width = flat_width(cx, inner)?;
            match next()?.get_u32() {
                0 => {
                    *at += width;
                    Val::Option(None)
                }
                1 => Val::Option(Some(Box::new(lift_flat(cx, inner, src, at)?))),
                n => bail!("option discriminant {n}"),
            }
        }
        InterfaceType::Record(i) => {
            let fields: Vec<(String, InterfaceType)> =
                cx.types[i].fields.iter().map(|f| (f.name.clone(), f.ty)).collect();
            let mut values = Vec::with_capacity(fields.len());
            for (name, ty) in fields {
                values.push((name, lift_flat(cx, ty, src, at)?));
            }
            Val::Record(values)
        }
        InterfaceType::List(i) => {
            let element = cx.types[i].element;
            let (ptr, len) = (next()?.get_u32() as usize, next()?.get_u32() as usize);
            if len > MAX_LIST_ARGUMENT {
                bail!("a list argument of {len} items (the most a call takes is {MAX_LIST_ARGUMENT})");
            }
            let abi = cx.types.canonical_abi(&element);
            let (size, align) = (abi.size32 as usize, abi.align32 as usize);
            if ptr % align != 0 {
                bail!("list pointer not aligned");
            }
            let end = size.checked_mul(len).and_then(|b| b.checked_add(ptr));
            if end.is_none_or(|end| end > cx.memory().len()) {
                bail!("list out of bounds");
            }
            let mut items = Vec::with_capacity(len);
            for k in 0..len {
                items.push(load(cx, element, ptr + k * size)?);
            }
            Val::List(items)
        }
        other => bail!("a parameter of type {other:?} is not read here"),
    })
}

/// Reads a value of `ty` stored at `offset` (in bounds: the caller checked the whole item).
fn load(cx: &mut LiftContext<'_>, ty: InterfaceType, offset: usize) -> Result<Val> {
    let memory = cx.memory();
    let bytes = |n: usize| -> Result<&[u8]> { memory.get(offset..offset + n).context("out of bounds") };
    Ok(match ty {
        InterfaceType::Bool => Val::Bool(bytes(1)?[0] != 0),
        InterfaceType::S32 => Val::S32(i32::from_le_bytes(bytes(4)?.try_into()?)),
        InterfaceType::U32 => Val::U32(u32::from_le_bytes(bytes(4)?.try_into()?)),
        InterfaceType::S64 => Val::S64(i64::from_le_bytes(bytes(8)?.try_into()?)),
        InterfaceType::U64 => Val::U64(u64::from_le_bytes(bytes(8)?.try_into()?)),
        InterfaceType::Float64 => Val::Float64(f64::from_le_bytes(bytes(8)?.try_into()?)),
        InterfaceType::String => {
            let pair = bytes(8)?;
            Val::String(String::linear_lift_from_memory(cx, ty, pair)?)
        }
        InterfaceType::Enum(i) => {
            let size = u32::from(cx.types[i].info.size) as usize;
            let raw = bytes(size)?;
            let case = match size {
                1 => u32::from(raw[0]),
                2 => u32::from(u16::from_le_bytes(raw.try_into()?)),
                _ => u32::from_le_bytes(raw.try_into()?),
            };
            Val::Enum(cx.types[i].names.iter().nth(case as usize).context("enum case out of range")?.clone())
        }
        other => bail!("a list of {other:?} is not read here"),
    })
}

/// How many flat values a `ty` takes.
fn flat_width(cx: &LiftContext<'_>, ty: InterfaceType) -> Result<usize> {
    cx.types.canonical_abi(&ty).flat_count(usize::MAX).context("a type too large to pass flat")
}
