//! Whether a guest's type can take values of the host's model, and how: a tape carries no
//! names, so before one is written the guest's type is compared with the model's (field
//! names, enum cases and variant cases included: what wasmtime's `Val` lowering compares for
//! every value, compared here once per call) and the result is a [`Plan`] to write by.
//!
//! One difference is allowed: a guest's record may have fewer fields than the model's, in
//! any order, as long as each one it has is the model's field of that name and type. A
//! service's document gains fields as it evolves; a probe built against the older document
//! keeps working, and a probe that declares only the fields it reads is handed only those
//! (each string and list handed over is an allocation in the probe and a copy).

use crate::plan::{Plan, Scalar};
use potato_api_client::wit::model::{Ty, TypeDef, TypeKind};
use wasmtime::component::__internal::{ComponentTypes, InterfaceType};
use wasmtime::error::{Context as _, Result, bail};

/// How the model's named types are found.
type Lookup<'a, 'm> = &'a dyn Fn(&str) -> Option<&'m TypeDef>;

/// Checks that the guest's `ty` takes values of the model's `model` (`lookup` finds the
/// model's named types), and returns the plan to write them by.
///
/// # Errors
/// The first difference, named.
pub fn check<'m>(
    types: &ComponentTypes,
    ty: InterfaceType,
    model: &'m Ty,
    lookup: &dyn Fn(&str) -> Option<&'m TypeDef>,
) -> Result<Plan> {
    Ok(match (model, ty) {
        (Ty::Bool, InterfaceType::Bool) => Plan::Scalar(Scalar::Bool),
        (Ty::S32, InterfaceType::S32) => Plan::Scalar(Scalar::S32),
        (Ty::S64, InterfaceType::S64) => Plan::Scalar(Scalar::S64),
        (Ty::U32, InterfaceType::U32) => Plan::Scalar(Scalar::U32),
        (Ty::U64, InterfaceType::U64) => Plan::Scalar(Scalar::U64),
        (Ty::F64, InterfaceType::Float64) => Plan::Scalar(Scalar::F64),
        (Ty::String | Ty::Json, InterfaceType::String) => Plan::String,
        (Ty::Timestamp, InterfaceType::Record(i)) => match &*types[i].fields {
            [s, ns]
                if s.name == "seconds"
                    && s.ty == InterfaceType::S64
                    && ns.name == "nanoseconds"
                    && ns.ty == InterfaceType::U32 =>
            {
                let at = offsets(types, [s.ty, ns.ty]);
                Plan::Record(vec![(Some(at[0]), Plan::Scalar(Scalar::S64)), (Some(at[1]), Plan::Scalar(Scalar::U32))])
            }
            _ => bail!("expected the timestamp record"),
        },
        (Ty::List(item), InterfaceType::List(i)) => {
            list(types, types[i].element, check(types, types[i].element, item, lookup)?)
        }
        (Ty::Map(value), InterfaceType::List(i)) => {
            let element = types[i].element;
            let InterfaceType::Tuple(t) = element else { bail!("expected a list of (string, value) pairs") };
            let [InterfaceType::String, v] = *types[t].types else { bail!("expected a list of (string, value) pairs") };
            let at = offsets(types, [InterfaceType::String, v]);
            let pair = Plan::Record(vec![(Some(at[0]), Plan::String), (Some(at[1]), check(types, v, value, lookup)?)]);
            list(types, element, pair)
        }
        (Ty::Option(inner), InterfaceType::Option(i)) => {
            let ty = &types[i];
            Plan::Option {
                size: discriminant(ty.info.size),
                payload: ty.info.payload_offset32 as usize,
                inner: Box::new(check(types, ty.ty, inner, lookup)?),
            }
        }
        (Ty::Named(name), ty) => {
            let Some(def) = lookup(name) else { bail!("the model has no type {name:?}") };
            match (&def.kind, ty) {
                (TypeKind::Record(fields), InterfaceType::Record(i)) => {
                    let guest = &types[i].fields;
                    // First, so that a guest record of any size costs at most the model's
                    // field count in look-ups before it is refused (its names are unique).
                    if let Some(g) = guest.iter().find(|g| !fields.iter().any(|f| f.name == g.name)) {
                        bail!("record {name}: the guest's field `{}` is not in the document", g.name);
                    }
                    let at = offsets(types, guest.iter().map(|g| g.ty));
                    let mut plan = Vec::with_capacity(fields.len());
                    for field in fields {
                        plan.push(match guest.iter().position(|g| g.name == field.name) {
                            Some(g) => {
                                let written = check(types, guest[g].ty, &field.ty, lookup)
                                    .with_context(|| format!("record {name}, field `{}`", field.name))?;
                                (Some(at[g]), written)
                            }
                            None => (None, shape(&field.ty, lookup)?),
                        });
                    }
                    Plan::Record(plan)
                }
                (TypeKind::Enum(cases), InterfaceType::Enum(i)) => {
                    let guest = &types[i];
                    if guest.names.len() != cases.len() || cases.iter().zip(&guest.names).any(|((c, _), g)| c != g) {
                        bail!("enum {name}: the guest's cases differ");
                    }
                    Plan::Enum { size: discriminant(guest.info.size), cases: u32::try_from(cases.len())? }
                }
                (TypeKind::Variant { cases, .. }, InterfaceType::Variant(i)) => {
                    let guest = &types[i];
                    if guest.cases.len() != cases.len() {
                        bail!("variant {name}: the guest's cases differ");
                    }
                    let mut plans = Vec::with_capacity(cases.len());
                    for (case, (g, payload)) in cases.iter().zip(&guest.cases) {
                        match payload {
                            Some(payload) if case.name == *g => {
                                plans.push(Some(check(types, *payload, &case.ty, lookup)?))
                            }
                            _ => bail!("variant {name}: case `{}` where the guest has `{g}`", case.name),
                        }
                    }
                    Plan::Variant {
                        size: discriminant(guest.info.size),
                        payload: guest.info.payload_offset32 as usize,
                        cases: plans,
                    }
                }
                (_, ty) => bail!("{name}: the guest's type is {ty:?}"),
            }
        }
        (model, ty) => bail!("expected {model:?}, the guest's type is {ty:?}"),
    })
}

/// The shape of a value of the model's `ty` on a tape, to skip it (a field the guest's record
/// leaves out): a plan with no layout.
fn shape<'m>(ty: &'m Ty, lookup: Lookup<'_, 'm>) -> Result<Plan> {
    let any = || Plan::Scalar(Scalar::U64);
    Ok(match ty {
        Ty::Bool | Ty::S32 | Ty::S64 | Ty::U32 | Ty::U64 | Ty::F64 | Ty::String | Ty::Json => any(),
        Ty::Timestamp => Plan::Record(vec![(None, any()), (None, any())]),
        Ty::List(item) => Plan::List { item: Box::new(shape(item, lookup)?), size: 0, align: 1 },
        Ty::Map(value) => {
            let pair = Plan::Record(vec![(None, any()), (None, shape(value, lookup)?)]);
            Plan::List { item: Box::new(pair), size: 0, align: 1 }
        }
        Ty::Option(inner) => Plan::Option { size: 1, payload: 0, inner: Box::new(shape(inner, lookup)?) },
        Ty::Named(name) => {
            let def = lookup(name).with_context(|| format!("the model has no type {name:?}"))?;
            match &def.kind {
                TypeKind::Record(fields) => {
                    Plan::Record(fields.iter().map(|f| Ok((None, shape(&f.ty, lookup)?))).collect::<Result<_>>()?)
                }
                TypeKind::Enum(_) => any(),
                TypeKind::Variant { cases, .. } => Plan::Variant {
                    size: 1,
                    payload: 0,
                    cases: cases.iter().map(|c| Ok(Some(shape(&c.ty, lookup)?))).collect::<Result<_>>()?,
                },
            }
        }
    })
}

/// A list of `element`s, each written by `item`.
fn list(types: &ComponentTypes, element: InterfaceType, item: Plan) -> Plan {
    let abi = types.canonical_abi(&element);
    Plan::List { item: Box::new(item), size: abi.size32 as usize, align: abi.align32 }
}

/// The offsets of a record's (or tuple's) fields of types `tys`, from its start.
fn offsets(types: &ComponentTypes, tys: impl IntoIterator<Item = InterfaceType>) -> Vec<usize> {
    let mut offset = 0;
    tys.into_iter().map(|ty| types.canonical_abi(&ty).next_field32_size(&mut offset)).collect()
}

/// A discriminant's width in bytes (1, 2 or 4).
fn discriminant(size: impl Into<u32>) -> u8 {
    match size.into() {
        1 => 1,
        2 => 2,
        _ => 4,
    }
}
