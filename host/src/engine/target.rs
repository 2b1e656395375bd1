//! A target API served from its mapped OpenAPI document, without generated Rust per
//! operation: every function of the generated package is linked with
//! `LinkerInstance::func_new_async`; arguments become JSON by the model, a [`Caller`] makes the
//! request, and the response body is read into the function's result type
//! ([`super::values`]). The engine knows no operation names: they all come from the document.

use super::state::RunState;
use super::tape::{Kept, Tape};
use super::values::{self, Schema};
use crate::api::ApiError;
use potato_api_client::wit::model::{Api, Function, Pager};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use wasmtime::component::{Linker, Val};

/// A boxed future, as [`Caller`] returns.
pub type CallFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<Arc<[u8]>>, ApiError>> + Send + 'a>>;

/// One call of a function, as the engine hands it to a [`Caller`].
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The probe making it.
    pub probe: &'a str,
    pub function: &'a Function,
    /// The parameters' JSON values (path, query and header ones, in the function's order;
    /// `null` for an absent optional one).
    pub args: &'a [Value],
    /// The JSON request body.
    pub body: Option<&'a Value>,
}

/// Makes one HTTP call of a function. Answers the response body (`None` for no content) or the
/// typed error. A caller that answers a call from a cache should hand out the same `Arc` again:
/// the engine then reuses what it read from it instead of parsing it again.
pub trait Caller: Send + Sync + 'static {
    fn call<'a>(&'a self, call: Call<'a>) -> CallFuture<'a>;
}

/// A caller for commands that link probes but never run them against an API (`check`): every
/// call fails as a transport error saying so.
#[derive(Debug, Clone, Copy)]
pub struct NoApi;

impl Caller for NoApi {
    fn call<'a>(&'a self, call: Call<'a>) -> CallFuture<'a> {
        Box::pin(async move { Err(ApiError::Transport(format!("{}: no API in this command", call.function.name))) })
    }
}

/// A mapped document and the caller that reaches it.
#[derive(Clone)]
pub struct Target {
    pub api: Arc<Api>,
    pub caller: Arc<dyn Caller>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("package", &self.api.package).finish_non_exhaustive()
    }
}

/// The page size pagers ask for, when the operation has a page-size parameter.
const PAGE_SIZE: u64 = 1000;

/// The values of bodies read lately are kept as tapes (see `Served::read`) up to this size
/// together over all functions: a bound on what the host keeps beyond the caller's cache,
/// whatever the document and however many functions it has. (A tape takes about the room of
/// its body; the bodies themselves are the caller's, kept for its share window.)
pub(super) const REUSE_MAX_BYTES: usize = 64 << 20;

/// What a function reads, shared by its closure.
struct Served {
    function: Function,
    /// The allow-list name: the operationId, or the function's name when it has none.
    operation: String,
    schema: Arc<Schema>,
    caller: Arc<dyn Caller>,
    /// Bodies read lately by any function, and their values: a cached answer (the same bytes)
    /// is not parsed again. Shared by all the target's functions, so one budget bounds them.
    read_lately: Arc<Kept>,
}

impl Served {
    fn new(function: &Function, schema: &Arc<Schema>, caller: &Arc<dyn Caller>, lately: &Arc<Kept>) -> Self {
        Self {
            function: function.clone(),
            operation: function.operation_id.clone().unwrap_or_else(|| function.name.clone()),
            schema: schema.clone(),
            caller: caller.clone(),
            read_lately: lately.clone(),
        }
    }

    /// `bytes` read as `ty`, or rebuilt from the tape of these very bytes read lately.
    fn read(&self, ty: &potato_api_client::wit::model::Ty, bytes: Arc<[u8]>) -> Result<Val, ApiError> {
        let name = &self.function.name;
        // Rebuilt or read outside the cache's lock: other runs are not held up by it.
        if let Some(value) = self.read_lately.get(name, &bytes).and_then(|tape| tape.value(&self.schema, ty)) {
            return Ok(value);
        }
        let value =
            values::from_json(&self.schema, ty, &bytes).map_err(|e| ApiError::InvalidResponse(e.to_string()))?;
        self.read_lately.read(name, &bytes, || Tape::of(&self.schema, ty, &value));
        Ok(value)
    }
}

/// Links the package's functions interface (and its types interface, which has no functions)
/// into `linker`.
///
/// # Errors
/// When the linker refuses a definition (a name defined twice).
pub(super) fn link(linker: &mut Linker<RunState>, target: &Target, lately: &Arc<Kept>) -> wasmtime::Result<()> {
    let api = &target.api;
    let (name, version) = api.package.split_once('@').unwrap_or((&api.package, ""));
    linker.instance(&format!("{name}/types@{version}"))?;
    let mut instance = linker.instance(&format!("{name}/{}@{version}", api.interface))?;
    let schema = Arc::new(Schema::new(api));
    for function in &api.functions {
        let served = Arc::new(Served::new(function, &schema, &target.caller, lately));
        instance.func_new_async(&function.name, move |mut store, _ty, params, results| {
            let served = served.clone();
            Box::new(async move {
                let outcome = call(&served, store.data_mut(), params).await?;
                results[0] = Val::Result(outcome);
                Ok(())
            })
        })?;
    }
    for pager in &api.pagers {
        let Some(function) = api.functions.iter().find(|f| f.name == pager.of) else { continue };
        let served = Arc::new(Served::new(function, &schema, &target.caller, lately));
        let name = pager.name.clone();
        let pager = Arc::new(pager.clone());
        instance.func_new_async(&name, move |mut store, _ty, params, results| {
            let (served, pager) = (served.clone(), pager.clone());
            Box::new(async move {
                let outcome = pages(&served, &pager, store.data_mut(), params).await?;
                results[0] = Val::Result(outcome);
                Ok(())
            })
        })?;
    }
    Ok(())
}

type Outcome = Result<Option<Box<Val>>, Option<Box<Val>>>;

/// One call: allowed, counted (the call past the run's cap traps), sent, read.
async fn call(served: &Served, state: &mut RunState, params: &[Val]) -> wasmtime::Result<Outcome> {
    let f = &served.function;
    let args: Vec<Value> =
        f.params.iter().zip(params).map(|(p, v)| values::to_json(&served.schema, &p.ty, v)).collect();
    let body =
        f.body.as_ref().and_then(|ty| params.get(f.params.len()).map(|v| values::to_json(&served.schema, ty, v)));
    let result = send(served, state, &args, body.as_ref()).await?;
    Ok(match result {
        Ok(value) => Ok(value.map(Box::new)),
        Err(e) => {
            state.api_failures += 1;
            Err(Some(Box::new(error_val(&e))))
        }
    })
}

/// Sends one request of `served`'s function and reads its result value.
async fn send(
    served: &Served,
    state: &mut RunState,
    args: &[Value],
    body: Option<&Value>,
) -> wasmtime::Result<Result<Option<Val>, ApiError>> {
    if let Some(refused) = state.refused(&served.operation) {
        return Ok(Err(refused));
    }
    state.count_call(&served.operation)?;
    let f = &served.function;
    let bytes = match served.caller.call(Call { probe: &state.probe, function: f, args, body }).await {
        Ok(bytes) => bytes,
        Err(e) => return Ok(Err(e)),
    };
    Ok(match (&f.result, bytes) {
        (None, _) => Ok(None),
        (Some(ty), Some(bytes)) => served.read(ty, bytes).map(Some),
        (Some(_), None) => Err(ApiError::InvalidResponse("no body where the document promises one".into())),
    })
}

/// A pager: the function's pages followed on the host, each page one call (allowed and
/// counted as one), at most `max-pages`.
async fn pages(served: &Served, pager: &Pager, state: &mut RunState, params: &[Val]) -> wasmtime::Result<Outcome> {
    let f = &served.function;
    let max_pages = match params.last() {
        Some(Val::U32(n)) => *n,
        _ => 0,
    };
    // The function's arguments: the pager's, with the token and the page size filled in here.
    let mut args: Vec<Value> = Vec::with_capacity(f.params.len());
    let mut token_at = None;
    for (i, p) in f.params.iter().enumerate() {
        if p.name == pager.token_param {
            token_at = Some(i);
            args.push(Value::Null);
        } else if Some(&p.name) == pager.size_param.as_ref() {
            args.push(Value::from(PAGE_SIZE));
        } else {
            let given = pager.params.iter().position(|q| q.name == p.name).and_then(|j| params.get(j).map(|v| (j, v)));
            args.push(given.map_or(Value::Null, |(j, v)| values::to_json(&served.schema, &pager.params[j].ty, v)));
        }
    }
    let mut items = Vec::new();
    for _ in 0..max_pages {
        let page = match send(served, state, &args, None).await? {
            Ok(Some(Val::Record(fields))) => fields,
            Ok(_) => return Ok(fail(state, ApiError::InvalidResponse("a page that is not a record".into()))),
            Err(e) => return Ok(fail(state, e)),
        };
        let mut next = None;
        for (name, value) in page {
            if name == pager.items_field
                && let Val::List(page_items) = value
            {
                items.extend(page_items);
            } else if name == pager.next_field
                && let Val::Option(Some(token)) = value
                && let Val::String(token) = *token
            {
                next = Some(token);
            }
        }
        match (next, token_at) {
            (Some(token), Some(i)) => args[i] = Value::String(token),
            _ => return Ok(Ok(Some(Box::new(Val::List(items))))),
        }
    }
    Ok(fail(
        state,
        ApiError::Client {
            status: 0,
            code: "too_many_pages".into(),
            message: format!("{} has more than the {max_pages} pages asked for", served.operation),
        },
    ))
}

fn fail(state: &mut RunState, e: ApiError) -> Outcome {
    state.api_failures += 1;
    Err(Some(Box::new(error_val(&e))))
}

/// The `api-error` value for a host error.
fn error_val(e: &ApiError) -> Val {
    let http = |status: u16, code: &str, message: &str| {
        Val::Record(vec![
            ("status".into(), Val::U16(status)),
            ("code".into(), Val::String(code.into())),
            ("message".into(), Val::String(message.into())),
        ])
    };
    let (case, payload) = match e {
        ApiError::Unauthorized(m) => ("unauthorized", Some(Val::String(m.clone()))),
        ApiError::NotFound(m) => ("not-found", Some(Val::String(m.clone()))),
        ApiError::RateLimited(s) => ("rate-limited", Some(Val::U32(*s))),
        ApiError::Client { status, code, message } => ("client-error", Some(http(*status, code, message))),
        ApiError::Server { status, code, message } => ("server-error", Some(http(*status, code, message))),
        ApiError::Timeout => ("timeout", None),
        ApiError::Transport(m) => ("transport", Some(Val::String(m.clone()))),
        ApiError::InvalidResponse(m) => ("invalid-response", Some(Val::String(m.clone()))),
    };
    Val::Variant(case.into(), payload.map(Box::new))
}
