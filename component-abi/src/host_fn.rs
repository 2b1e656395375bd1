//! The parameter and result types of a host function whose types are known only at run time,
//! linked with `LinkerInstance::func_wrap_async` instead of `func_new_async`, so that wasmtime
//! hands its lifting and lowering to this crate ([`crate::lift`], [`crate::lower`]) instead of
//! building `Val` trees.
//!
//! # Safety
//!
//! wasmtime asks for `unsafe impl` of `ComponentType`, `Lift`, `Lower` and
//! `ComponentNamedList` because it trusts two things about an implementation, and both hold
//! here:
//!
//! 1. **`Lower`, the flat form, has the size of the values wasmtime reinterprets as it.**
//!    wasmtime casts the call's flat values to `&Self::Lower` after asserting that there are
//!    at least `size_of::<Self::Lower>()` bytes of them. [`Args<N>`]'s is `[ValRaw; N]`, and
//!    its `typecheck` accepts only a parameter list whose flat form is exactly `N` values (so
//!    instantiating a component whose import differs fails, before any call). [`Returned`]'s
//!    is `[ValRaw; 0]`: its `typecheck` accepts only results that the canonical ABI passes in
//!    memory (more than one flat value), which wasmtime decides from the guest's own type, so
//!    the flat path is never taken (and would answer an error, not write).
//! 2. **`typecheck` agrees with what lifting and lowering do.** Both follow the guest's own
//!    type (the `InterfaceType` wasmtime passes in) rather than a type assumed at compile
//!    time, and fail on a value that does not fit it: lifting walks it at every step; a result
//!    is written by a [`crate::Plan`] that [`crate::check`] builds from it at that call (each
//!    offset and size is wasmtime's canonical ABI for the guest's type, after the host's model
//!    is compared with it). Every read and write of guest memory goes through wasmtime's
//!    bounds-checked contexts.
//!
//! `ABI` (size and alignment as a field of another type) is never used for these types: they
//! are only ever a whole parameter list or a whole result list.
#![allow(unsafe_code)]

use crate::lift::lift_flat;
use crate::lower::{copy_in, flush, store, store_val};
use crate::plan::Plan;
use crate::tape::Tape;
use potato_api_client::wit::model::{Ty, TypeDef, TypeKind};
use std::mem::MaybeUninit;
use std::sync::Arc;
use wasmtime::ValRaw;
use wasmtime::component::__internal::{
    CanonicalAbiInfo, ComponentTypes, InstanceType, InterfaceType, LiftContext, LowerContext,
};
use wasmtime::component::{ComponentNamedList, ComponentType, Lift, Lower, Val};
use wasmtime::error::{Context as _, Result, bail, ensure};

/// The most flat values a parameter list is passed in (more go through memory, which
/// [`Args`] does not read: such a function keeps `Val`s).
pub const MAX_FLAT_PARAMS: usize = 16;

/// How many flat values a value of the model's `ty` takes, if [`Args`] can read it (no
/// variants, whose flat form joins their cases' types; lists of scalars, strings and enums).
pub fn flat_count<'m>(ty: &'m Ty, lookup: &dyn Fn(&str) -> Option<&'m TypeDef>) -> Option<usize> {
    Some(match ty {
        Ty::Bool | Ty::S32 | Ty::S64 | Ty::U32 | Ty::U64 | Ty::F64 => 1,
        Ty::String | Ty::Json | Ty::Timestamp => 2,
        Ty::Option(inner) => 1 + flat_count(inner, lookup)?,
        Ty::List(item) => match &**item {
            Ty::Bool | Ty::S32 | Ty::S64 | Ty::U32 | Ty::U64 | Ty::F64 | Ty::String | Ty::Json => 2,
            Ty::Named(name) if matches!(lookup(name)?.kind, TypeKind::Enum(_)) => 2,
            _ => return None,
        },
        Ty::Map(_) => return None,
        Ty::Named(name) => match &lookup(name)?.kind {
            TypeKind::Enum(_) => 1,
            TypeKind::Record(fields) => fields.iter().map(|f| flat_count(&f.ty, lookup)).sum::<Option<usize>>()?,
            TypeKind::Variant { .. } => return None,
        },
    })
}

/// A call's arguments, read from `N` flat values into `Val`s (a call has a handful).
#[derive(Debug)]
pub struct Args<const N: usize>(pub Vec<Val>);

// SAFETY: see the module's comment: `Lower` is exactly the `N` flat values `typecheck`
// requires of the guest's parameter list.
unsafe impl<const N: usize> ComponentType for Args<N> {
    type Lower = [ValRaw; N];
    const ABI: CanonicalAbiInfo = CanonicalAbiInfo::ZERO;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> Result<()> {
        let InterfaceType::Tuple(t) = *ty else { bail!("expected a parameter list") };
        let params = &types.types[t];
        ensure!(
            params.abi.flat_count(MAX_FLAT_PARAMS) == Some(N),
            "expected parameters passed in {N} flat values, the guest's take {:?}",
            params.abi.flat_count
        );
        Ok(())
    }
}

// SAFETY: as for `ComponentType`: a parameter list is not a field of anything.
unsafe impl<const N: usize> ComponentNamedList for Args<N> {}

// SAFETY: reads only through `LiftContext` (bounds-checked) the values `typecheck` promised.
unsafe impl<const N: usize> Lift for Args<N> {
    fn linear_lift_from_flat(cx: &mut LiftContext<'_>, ty: InterfaceType, src: &Self::Lower) -> Result<Self> {
        let InterfaceType::Tuple(t) = ty else { bail!("expected a parameter list") };
        let types = cx.types.clone();
        let mut at = 0;
        let mut args = Vec::with_capacity(types[t].types.len());
        for param in &types[t].types {
            args.push(lift_flat(cx, *param, src, &mut at)?);
        }
        ensure!(at == N, "read {at} of {N} flat values");
        Ok(Args(args))
    }

    fn linear_lift_from_memory(_: &mut LiftContext<'_>, _: InterfaceType, _: &[u8]) -> Result<Self> {
        bail!("parameters passed in memory are not read here (more than {MAX_FLAT_PARAMS} flat values)")
    }
}

/// Checks a guest's type against the host's model for a function's result value, and plans
/// how to write it.
pub type Checker = Arc<dyn Fn(&ComponentTypes, InterfaceType) -> Result<Plan> + Send + Sync>;

/// A function's result, `result<T, E>` or `result<_, E>`: the ok value as a tape (of `T`, as
/// the host's model has it), or the error as a small `Val` (the host's `api-error`).
pub struct Returned {
    pub value: Result<Option<Arc<Tape>>, Val>,
    /// Compares the guest's `T` with the model's before the tape is written.
    pub check: Checker,
}

impl std::fmt::Debug for Returned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Returned").field("value", &self.value).finish_non_exhaustive()
    }
}

// SAFETY: see the module's comment: results always go through memory (`typecheck`), so the
// empty flat form is never reinterpreted.
unsafe impl ComponentType for Returned {
    type Lower = [ValRaw; 0];
    const ABI: CanonicalAbiInfo = CanonicalAbiInfo::ZERO;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> Result<()> {
        let InterfaceType::Tuple(t) = *ty else { bail!("expected a result list") };
        let results = &types.types[t];
        let [InterfaceType::Result(r)] = *results.types else { bail!("expected one result<_, _>") };
        ensure!(types.types[r].err.is_some(), "expected a result with an error type");
        // More than one flat value: the guest passes a pointer to write the result at.
        ensure!(results.abi.flat_count(1).is_none(), "expected a result passed in memory");
        Ok(())
    }
}

// SAFETY: as for `ComponentType`: a result list is not a field of anything.
unsafe impl ComponentNamedList for Returned {}

// SAFETY: writes only through `LowerContext` (bounds-checked), by the guest's own type.
unsafe impl Lower for Returned {
    fn linear_lower_to_flat<T>(
        &self,
        _: &mut LowerContext<'_, T>,
        _: InterfaceType,
        _: &mut MaybeUninit<Self::Lower>,
    ) -> Result<()> {
        bail!("a result passed flat is not written here")
    }

    fn linear_lower_to_memory<T>(&self, cx: &mut LowerContext<'_, T>, ty: InterfaceType, offset: usize) -> Result<()> {
        let types: &ComponentTypes = cx.types;
        let InterfaceType::Tuple(t) = ty else { bail!("expected a result list") };
        let [InterfaceType::Result(r)] = *types[t].types else { bail!("expected one result<_, _>") };
        let result = &types[r];
        // The result's own bytes, put together here and copied in once.
        let mut buf = vec![0u8; result.abi.size32 as usize];
        let payload = result.info.payload_offset32 as usize;
        match &self.value {
            Ok(value) => match (result.ok, value) {
                (Some(ok), Some(tape)) => {
                    let plan = (self.check)(types, ok).context("the guest's type is not the document's")?;
                    let mut cursor = tape.cursor();
                    let mut pending = Vec::new();
                    store(cx, &plan, &mut cursor, &mut buf, payload, &mut pending)?;
                    flush(cx, &mut pending)?;
                    ensure!(cursor.at_end(), "the value has more than its type");
                }
                (None, None) => {}
                (Some(_), None) => bail!("no value where the guest's type has one"),
                (None, Some(_)) => bail!("a value where the guest's type has none"),
            },
            Err(error) => {
                // The `err` case.
                *buf.first_mut().context("an empty result")? = 1;
                let err = result.err.context("the guest's result has no error type")?;
                store_val(cx, types, err, error, &mut buf, payload)?;
            }
        }
        copy_in(cx, offset, &buf)
    }
}
