//! A probe's view of the target, checked when it is loaded: each function of the target it
//! imports must take the document's values ([`component_abi::fits`]). Linking checks only
//! shapes (a function whose types are known at run time cannot ask for more); without this, a
//! probe whose copy of the WIT renamed a field, or left one out of a record served with `Val`s,
//! loaded and `probe-host check` said it fits, and then every run failed at its first call.

use super::Lowering;
use super::target;
use super::values::Schema;
use component_abi::Records;
use potato_api_client::wit::model::{Api, Ty};
use std::sync::Arc;
use wasmtime::component::Component;
use wasmtime::component::types::{ComponentItem, Type};

/// What a load checks a probe's import of the target against.
pub(crate) struct Views {
    api: Arc<Api>,
    schema: Arc<Schema>,
    lowering: Lowering,
    /// The functions' interface as components import it, e.g. `potato:api/potatoes@0.1.1`.
    interface: String,
}

impl Views {
    /// `schema` is the one the target's functions are linked with.
    pub(crate) fn new(api: &Arc<Api>, schema: &Arc<Schema>, lowering: Lowering) -> Self {
        let interface = target::interface_name(api, &api.interface);
        Self { api: api.clone(), schema: schema.clone(), lowering, interface }
    }

    /// Checks the result of each target function `component` imports against the document.
    ///
    /// # Errors
    /// The first function whose result type cannot take the document's values: its name and
    /// the difference.
    pub(crate) fn check(&self, engine: &wasmtime::Engine, component: &Component) -> Result<(), String> {
        // By name, any version: the linker gives a probe built against an older version of the
        // package (same major) this one's functions.
        let unversioned = self.interface.split('@').next().unwrap_or_default();
        let ty = component.component_type();
        let import = ty.imports(engine).find(|(name, _)| name.split('@').next() == Some(unversioned));
        let Some(ComponentItem::ComponentInstance(instance)) = import.map(|(_, e)| e.ty) else {
            return Ok(());
        };
        for (name, item) in instance.exports(engine) {
            let ComponentItem::ComponentFunc(func) = item.ty else { continue };
            let (model, typed) = if let Some(f) = self.api.functions.iter().find(|f| f.name == name) {
                (f.result.clone(), target::typed_function(&self.schema, f, self.lowering).is_some())
            } else if let Some(p) = self.api.pagers.iter().find(|p| p.name == name) {
                (
                    Some(Ty::List(Box::new(p.item.clone()))),
                    target::typed_pager(&self.schema, p, self.lowering).is_some(),
                )
            } else {
                continue; // not the document's: linking refuses it
            };
            // Shapes (one `result<T, E>`, or none where the model has none) are linking's to check.
            let (Some(model), Some(Type::Result(result))) = (model, func.results().next()) else { continue };
            let Some(ok) = result.ok() else { continue };
            let records = if typed { Records::Views } else { Records::Whole };
            component_abi::fits(&ok, &model, &|n| self.schema.get(n), records)
                .map_err(|e| format!("{} {name}: {e:#}", self.interface))?;
        }
        Ok(())
    }
}
