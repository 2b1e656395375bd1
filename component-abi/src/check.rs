//! Whether a guest's type is the one the host's model describes: a tape carries no names, so
//! before one is written the guest's type is compared with the model's, field names, enum
//! cases and variant cases included (what wasmtime's `Val` lowering compares for every value,
//! compared here once per call).

use potato_api_client::wit::model::{Ty, TypeDef, TypeKind};
use wasmtime::component::__internal::{ComponentTypes, InterfaceType};
use wasmtime::error::{Result, bail};

/// Checks that the guest's `ty` is the model's `model`; `lookup` finds the model's named types.
///
/// # Errors
/// The first difference, named.
pub fn check<'m>(
    types: &ComponentTypes,
    ty: InterfaceType,
    model: &'m Ty,
    lookup: &dyn Fn(&str) -> Option<&'m TypeDef>,
) -> Result<()> {
    match (model, ty) {
        (Ty::Bool, InterfaceType::Bool)
        | (Ty::S32, InterfaceType::S32)
        | (Ty::S64, InterfaceType::S64)
        | (Ty::U32, InterfaceType::U32)
        | (Ty::U64, InterfaceType::U64)
        | (Ty::F64, InterfaceType::Float64)
        | (Ty::String | Ty::Json, InterfaceType::String) => Ok(()),
        (Ty::Timestamp, InterfaceType::Record(i)) => match &*types[i].fields {
            [s, ns]
                if s.name == "seconds"
                    && s.ty == InterfaceType::S64
                    && ns.name == "nanoseconds"
                    && ns.ty == InterfaceType::U32 =>
            {
                Ok(())
            }
            _ => bail!("expected the timestamp record"),
        },
        (Ty::List(item), InterfaceType::List(i)) => check(types, types[i].element, item, lookup),
        (Ty::Map(value), InterfaceType::List(i)) => match types[i].element {
            InterfaceType::Tuple(t) => match &*types[t].types {
                [InterfaceType::String, v] => check(types, *v, value, lookup),
                _ => bail!("expected a list of (string, value) pairs"),
            },
            _ => bail!("expected a list of (string, value) pairs"),
        },
        (Ty::Option(inner), InterfaceType::Option(i)) => check(types, types[i].ty, inner, lookup),
        (Ty::Named(name), ty) => {
            let Some(def) = lookup(name) else { bail!("the model has no type {name:?}") };
            match (&def.kind, ty) {
                (TypeKind::Record(fields), InterfaceType::Record(i)) => {
                    let guest = &types[i].fields;
                    if guest.len() != fields.len() {
                        bail!("record {name}: {} fields, the guest's has {}", fields.len(), guest.len());
                    }
                    for (field, g) in fields.iter().zip(guest) {
                        if field.name != g.name {
                            bail!("record {name}: field `{}` where the guest has `{}`", field.name, g.name);
                        }
                        check(types, g.ty, &field.ty, lookup)?;
                    }
                    Ok(())
                }
                (TypeKind::Enum(cases), InterfaceType::Enum(i)) => {
                    let guest = &types[i].names;
                    if guest.len() != cases.len() || cases.iter().zip(guest).any(|((c, _), g)| c != g) {
                        bail!("enum {name}: the guest's cases differ");
                    }
                    Ok(())
                }
                (TypeKind::Variant { cases, .. }, InterfaceType::Variant(i)) => {
                    let guest = &types[i].cases;
                    if guest.len() != cases.len() {
                        bail!("variant {name}: the guest's cases differ");
                    }
                    for (case, (g, payload)) in cases.iter().zip(guest) {
                        match payload {
                            Some(payload) if case.name == *g => check(types, *payload, &case.ty, lookup)?,
                            _ => bail!("variant {name}: case `{}` where the guest has `{g}`", case.name),
                        }
                    }
                    Ok(())
                }
                (_, ty) => bail!("{name}: the guest's type is {ty:?}"),
            }
        }
        (model, ty) => bail!("expected {model:?}, the guest's type is {ty:?}"),
    }
}
