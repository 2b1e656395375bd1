//! The comparison [`crate::check`] makes at a call, made when a probe is loaded, on wasmtime's
//! public types: a probe whose types cannot take the document's values (a field renamed in its
//! copy of the WIT, an enum case missing) is refused at load, and by `probe-host check`, with
//! the same words, instead of failing every run at its first call.
//!
//! The rules are `check`'s (it also plans the writing, on wasmtime's internal types, which a
//! loaded component does not expose): names compared, and a guest's record may leave out fields
//! of the model's, unless the function is served with wasmtime's own `Val`s, which need every
//! field in the model's order.

use potato_api_client::wit::model::{Ty, TypeKind};
use wasmtime::component::types::Type;
use wasmtime::error::{Context as _, Result, bail};

/// Whether the records a function is served with may be views of the model's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    /// Typed lowering: any subset of the model's fields, in any order.
    Views,
    /// `Val` lowering: the model's fields, all of them, in its order.
    Whole,
}

/// Checks that the guest's type `guest` takes values of the model's `model` (`lookup` finds
/// the model's named types).
///
/// # Errors
/// The first difference, named as a call would name it.
pub fn fits<'m>(
    guest: &Type,
    model: &'m Ty,
    lookup: &dyn Fn(&str) -> Option<&'m potato_api_client::wit::model::TypeDef>,
    records: Records,
) -> Result<()> {
    match (model, guest) {
        (Ty::Bool, Type::Bool)
        | (Ty::S32, Type::S32)
        | (Ty::S64, Type::S64)
        | (Ty::U32, Type::U32)
        | (Ty::U64, Type::U64)
        | (Ty::F64, Type::Float64)
        | (Ty::String | Ty::Json, Type::String) => Ok(()),
        (Ty::Timestamp, Type::Record(r)) => {
            let fields: Vec<_> = r.fields().map(|f| (f.name, f.ty)).collect();
            match fields.as_slice() {
                [("seconds", Type::S64), ("nanoseconds", Type::U32)] => Ok(()),
                _ => bail!("expected the timestamp record"),
            }
        }
        (Ty::List(item), Type::List(l)) => fits(&l.ty(), item, lookup, records),
        (Ty::Map(value), Type::List(l)) => {
            let Type::Tuple(pair) = l.ty() else { bail!("expected a list of (string, value) pairs") };
            let tys: Vec<Type> = pair.types().collect();
            let [Type::String, v] = tys.as_slice() else { bail!("expected a list of (string, value) pairs") };
            fits(v, value, lookup, records)
        }
        (Ty::Option(inner), Type::Option(o)) => fits(&o.ty(), inner, lookup, records),
        (Ty::Named(name), guest) => {
            let Some(def) = lookup(name) else { bail!("the model has no type {name:?}") };
            match (&def.kind, guest) {
                (TypeKind::Record(fields), Type::Record(r)) => {
                    let theirs: Vec<_> = r.fields().collect();
                    if let Some(g) = theirs.iter().find(|g| !fields.iter().any(|f| f.name == g.name)) {
                        bail!("record {name}: the guest's field `{}` is not in the document", g.name);
                    }
                    if records == Records::Whole
                        && (theirs.len() != fields.len() || theirs.iter().zip(fields).any(|(g, f)| g.name != f.name))
                    {
                        bail!(
                            "record {name}: expected {} fields, got {} (a function served with wasmtime's values takes the document's records whole)",
                            fields.len(),
                            theirs.len()
                        );
                    }
                    for g in &theirs {
                        let Some(field) = fields.iter().find(|f| f.name == g.name) else { continue };
                        fits(&g.ty, &field.ty, lookup, records)
                            .with_context(|| format!("record {name}, field `{}`", field.name))?;
                    }
                    Ok(())
                }
                (TypeKind::Enum(cases), Type::Enum(e)) => {
                    let theirs: Vec<&str> = e.names().collect();
                    if theirs.len() != cases.len() || cases.iter().zip(&theirs).any(|((c, _), g)| c != g) {
                        bail!("enum {name}: the guest's cases differ");
                    }
                    Ok(())
                }
                (TypeKind::Variant { cases, .. }, Type::Variant(v)) => {
                    let theirs: Vec<_> = v.cases().collect();
                    if theirs.len() != cases.len() {
                        bail!("variant {name}: the guest's cases differ");
                    }
                    for (case, g) in cases.iter().zip(&theirs) {
                        match &g.ty {
                            Some(payload) if case.name == g.name => fits(payload, &case.ty, lookup, records)?,
                            _ => bail!("variant {name}: case `{}` where the guest has `{}`", case.name, g.name),
                        }
                    }
                    Ok(())
                }
                (_, guest) => bail!("{name}: the guest's type is {}", kind(guest)),
            }
        }
        (model, guest) => bail!("expected {model:?}, the guest's type is {}", kind(guest)),
    }
}

/// A guest type's kind, for errors (the public types print their internals with `{:?}`).
fn kind(ty: &Type) -> &'static str {
    match ty {
        Type::Bool => "bool",
        Type::S8 | Type::S16 | Type::S32 | Type::S64 => "a signed integer",
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => "an unsigned integer",
        Type::Float32 | Type::Float64 => "a float",
        Type::Char => "char",
        Type::String => "string",
        Type::List(_) | Type::FixedLengthList(_) => "a list",
        Type::Map(_) => "a map",
        Type::Record(_) => "a record",
        Type::Tuple(_) => "a tuple",
        Type::Variant(_) => "a variant",
        Type::Enum(_) => "an enum",
        Type::Option(_) => "an option",
        Type::Result(_) => "a result",
        Type::Flags(_) => "flags",
        Type::Own(_) | Type::Borrow(_) => "a resource",
        Type::Future(_) | Type::Stream(_) | Type::ErrorContext => "an async type",
    }
}
