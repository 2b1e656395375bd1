//! A target API served from its mapped OpenAPI document, without generated Rust per
//! operation: every function of the generated package is linked at run time; arguments become
//! JSON by the model, a [`Caller`] makes the request, and the response body is read onto a
//! tape of the function's result type ([`super::values`]) and lowered into the probe by typed
//! lifting and lowering ([`component_abi`]), or as `Val`s where that does not apply. The
//! engine knows no operation names: they all come from the document.

use super::Lowering;
use super::state::RunState;
use super::tape::{self, Kept};
use super::values::{self, Schema};
use crate::api::ApiError;
use component_abi::{Args, Checker, Node, Returned, Tape};
use potato_api_client::wit::model::{Api, Function, Pager, Ty, TypeKind};
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

    /// `bytes` read as `ty`, or the tape of these very bytes read lately.
    fn read(&self, ty: &Ty, bytes: Arc<[u8]>) -> Result<Arc<Tape>, ApiError> {
        let name = &self.function.name;
        // Read outside the cache's lock: other runs are not held up by it.
        if let Some(tape) = self.read_lately.get(name, &bytes) {
            return Ok(tape);
        }
        let tape = values::read_json(&self.schema, ty, &bytes).map_err(|e| ApiError::InvalidResponse(e.to_string()))?;
        let tape = Arc::new(tape);
        self.read_lately.read(name, &bytes, || Some(tape.clone()));
        Ok(tape)
    }

    /// Compares a guest's type with the model's `ty` and plans how a tape of `ty` is written
    /// into it.
    fn checker(&self, ty: Ty) -> Checker {
        let schema = self.schema.clone();
        Arc::new(move |types, guest| component_abi::check(types, guest, &ty, &|name| schema.get(name)))
    }
}

/// How many flat values a function's parameters take, when [`component_abi::Args`] can read
/// them (no variants; at most [`component_abi::MAX_FLAT_PARAMS`]).
fn flat_params<'a>(schema: &Schema, tys: impl IntoIterator<Item = &'a Ty>) -> Option<usize> {
    let n = tys.into_iter().map(|ty| component_abi::flat_count(ty, &|name| schema.get(name))).sum::<Option<usize>>()?;
    (n <= component_abi::MAX_FLAT_PARAMS).then_some(n)
}

/// An interface of the target's package as components import it, e.g.
/// `potato:api/potatoes@0.1.1` for `interface` `potatoes`.
pub(super) fn interface_name(api: &Api, interface: &str) -> String {
    let (name, version) = api.package.split_once('@').unwrap_or((&api.package, ""));
    format!("{name}/{interface}@{version}")
}

/// The flat parameter count `function` is linked with by typed lifting and lowering, or `None`
/// when it is served with `Val`s.
pub(super) fn typed_function(schema: &Schema, function: &Function, lowering: Lowering) -> Option<usize> {
    let tys = function.params.iter().map(|p| &p.ty).chain(&function.body);
    flat_params(schema, tys).filter(|_| lowering == Lowering::Typed)
}

/// As [`typed_function`], for a pager (its parameters and `max-pages`).
pub(super) fn typed_pager(schema: &Schema, pager: &Pager, lowering: Lowering) -> Option<usize> {
    let tys = pager.params.iter().map(|p| &p.ty).chain([&Ty::U32]);
    flat_params(schema, tys).filter(|_| lowering == Lowering::Typed)
}

/// Links the package's functions interface (and its types interface, which has no functions)
/// into `linker`.
///
/// A function whose parameters [`component_abi::Args`] reads is linked with typed lifting and
/// lowering: its result goes from the tape read from the body straight into the guest's
/// memory, with no `Val` tree (docs/performance.md, section 2). Others (a parameter that is a
/// variant, or more than 16 flat values) are linked with `func_new_async` and `Val`s.
///
/// # Errors
/// When the linker refuses a definition (a name defined twice).
pub(super) fn link(
    linker: &mut Linker<RunState>,
    target: &Target,
    schema: &Arc<Schema>,
    lately: &Arc<Kept>,
    lowering: Lowering,
) -> wasmtime::Result<()> {
    let api = &target.api;
    linker.instance(&interface_name(api, "types"))?;
    let mut instance = linker.instance(&interface_name(api, &api.interface))?;
    for function in &api.functions {
        let served = Arc::new(Served::new(function, schema, &target.caller, lately));
        match typed_function(schema, function, lowering) {
            Some(n) => link_typed(&mut instance, n, served, Kind::Function)?,
            None => instance.func_new_async(&function.name, move |mut store, _ty, params, results| {
                let served = served.clone();
                Box::new(async move {
                    let outcome = call(&served, store.data_mut(), params).await?;
                    results[0] = Val::Result(into_val(outcome, &served.schema, served.function.result.as_ref())?);
                    Ok(())
                })
            })?,
        }
    }
    for pager in &api.pagers {
        let Some(function) = api.functions.iter().find(|f| f.name == pager.of) else { continue };
        let served = Arc::new(Served::new(function, schema, &target.caller, lately));
        let pager = Arc::new(pager.clone());
        match typed_pager(schema, &pager, lowering) {
            Some(n) => link_typed(&mut instance, n, served, Kind::Pager(pager))?,
            None => {
                let name = pager.name.clone();
                instance.func_new_async(&name, move |mut store, _ty, params, results| {
                    let (served, pager) = (served.clone(), pager.clone());
                    Box::new(async move {
                        let outcome = pages(&served, &pager, store.data_mut(), params).await?;
                        let items = Ty::List(Box::new(pager.item.clone()));
                        results[0] = Val::Result(into_val(outcome, &served.schema, Some(&items))?);
                        Ok(())
                    })
                })?
            }
        }
    }
    Ok(())
}

/// What a typed function serves.
#[derive(Clone)]
enum Kind {
    Function,
    Pager(Arc<Pager>),
}

/// Links `served` (a function or a pager) with typed lifting of its `n` flat parameters.
fn link_typed(
    instance: &mut wasmtime::component::LinkerInstance<'_, RunState>,
    n: usize,
    served: Arc<Served>,
    kind: Kind,
) -> wasmtime::Result<()> {
    macro_rules! by_count {
        ($($n:literal)*) => {
            match n {
                $($n => typed::<$n>(instance, served, kind),)*
                _ => wasmtime::bail!("{n} flat parameters"),
            }
        };
    }
    by_count!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

fn typed<const N: usize>(
    instance: &mut wasmtime::component::LinkerInstance<'_, RunState>,
    served: Arc<Served>,
    kind: Kind,
) -> wasmtime::Result<()> {
    let (name, result) = match &kind {
        Kind::Function => (served.function.name.clone(), served.function.result.clone()),
        Kind::Pager(pager) => (pager.name.clone(), Some(Ty::List(Box::new(pager.item.clone())))),
    };
    // A function with no value to write never asks for a plan.
    let check = result.map_or_else(
        || -> Checker { Arc::new(|_, _| wasmtime::bail!("the function returns no value")) },
        |ty| served.checker(ty),
    );
    instance.func_wrap_async(&name, move |mut store, Args::<N>(params)| {
        let (served, kind, check) = (served.clone(), kind.clone(), check.clone());
        Box::new(async move {
            let outcome = match &kind {
                Kind::Function => call(&served, store.data_mut(), &params).await?,
                Kind::Pager(pager) => pages(&served, pager, store.data_mut(), &params).await?,
            };
            Ok(Returned { value: outcome.map_err(|e| error_val(&e)), check })
        })
    })
}

/// A `result` as wasmtime's `Val::Result` holds it.
type ResultVal = Result<Option<Box<Val>>, Option<Box<Val>>>;

/// A call's outcome: the value read (a tape of the result type), or the API error.
type Outcome = Result<Option<Arc<Tape>>, ApiError>;

/// `outcome` as `Val`s of the result type `ty`, for a function linked with `func_new_async`.
fn into_val(outcome: Outcome, schema: &Schema, ty: Option<&Ty>) -> wasmtime::Result<ResultVal> {
    Ok(match outcome {
        Ok(None) => Ok(None),
        Ok(Some(tape)) => {
            let val = ty.and_then(|ty| tape::to_val(&tape, schema, ty));
            Ok(Some(Box::new(val.ok_or_else(|| wasmtime::format_err!("a value without its type's shape"))?)))
        }
        Err(e) => Err(Some(Box::new(error_val(&e)))),
    })
}

/// One call: allowed, counted (the call past the run's cap traps), sent, read.
async fn call(served: &Served, state: &mut RunState, params: &[Val]) -> wasmtime::Result<Outcome> {
    let f = &served.function;
    let args: Vec<Value> =
        f.params.iter().zip(params).map(|(p, v)| values::to_json(&served.schema, &p.ty, v)).collect();
    let body =
        f.body.as_ref().and_then(|ty| params.get(f.params.len()).map(|v| values::to_json(&served.schema, ty, v)));
    let outcome = send(served, state, &args, body.as_ref()).await?;
    if outcome.is_err() {
        state.api_failures += 1;
    }
    Ok(outcome)
}

/// Sends one request of `served`'s function and reads its result value.
async fn send(
    served: &Served,
    state: &mut RunState,
    args: &[Value],
    body: Option<&Value>,
) -> wasmtime::Result<Result<Option<Arc<Tape>>, ApiError>> {
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
/// counted as one), at most `max-pages`; the pages' items put together on one tape.
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
    let mut items = Tape::default();
    items.push(Node::Len(0));
    let mut count: u32 = 0;
    for _ in 0..max_pages {
        let page = match send(served, state, &args, None).await? {
            Ok(Some(page)) => page,
            Ok(None) => return Ok(fail(state, ApiError::InvalidResponse("a page without a body".into()))),
            Err(e) => return Ok(fail(state, e)),
        };
        let Some((range, n, next)) = served.page_parts(pager, &page) else {
            return Ok(fail(state, ApiError::InvalidResponse("a page that is not a record".into())));
        };
        count = count.saturating_add(n);
        if items.append_from(&page, range).is_none() {
            return Ok(fail(state, ApiError::InvalidResponse("more than 4 GiB of items".into())));
        }
        match (next, token_at) {
            (Some(token), Some(i)) => args[i] = Value::String(token),
            _ => {
                items.set(0, Node::Len(count));
                return Ok(Ok(Some(Arc::new(items))));
            }
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

impl Served {
    /// Where a page's items are on its tape (their nodes, after the list's length), how many,
    /// and the next page's token.
    fn page_parts(&self, pager: &Pager, page: &Tape) -> Option<(std::ops::Range<usize>, u32, Option<String>)> {
        let Some(Ty::Named(name)) = &self.function.result else { return None };
        let TypeKind::Record(fields) = &self.schema.get(name)?.kind else { return None };
        let nodes = page.nodes();
        let (mut at, mut items, mut next) = (0, None, None);
        for field in fields {
            let from = at;
            tape::skip(&self.schema, &field.ty, nodes, &mut at)?;
            if field.name == pager.items_field {
                let Node::Len(n) = *nodes.get(from)? else { return None };
                items = Some((from + 1..at, n));
            } else if field.name == pager.next_field
                && let [Node::Some, token, ..] = nodes.get(from..at)?
            {
                next = Some(page.str(*token)?.to_owned());
            }
        }
        let (range, n) = items?;
        Some((range, n, next))
    }
}

fn fail(state: &mut RunState, e: ApiError) -> Outcome {
    state.api_failures += 1;
    Err(e)
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
