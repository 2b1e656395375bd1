//! Operations to functions: names, parameters, request bodies, results, and the pagers.

use super::document::{Document, join};
use super::model::{Function, Location, Pager, Param, Ty, TypeKind};
use super::names::kebab;
use super::schema::Types;
use super::{Pagination, WitError};
use serde_json::Value;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Every exposed operation of the document as a function, in document order: GETs, and the
/// operations `allow` names by operationId (probes observe; they do not change the service).
///
/// # Errors
/// Unresolvable references, names that collide, parameters the mapping cannot place.
pub fn functions(doc: &Document, types: &mut Types<'_>, allow: &[String]) -> Result<Vec<Function>, WitError> {
    let mut functions: Vec<Function> = Vec::new();
    let Some(paths) = doc.root.get("paths").and_then(Value::as_object) else { return Ok(functions) };
    for (path, item) in paths {
        let item_at = join("#/paths", path);
        let (item, item_at) = doc.resolve(item, &item_at)?;
        for method in METHODS {
            let Some(operation) = item.get(method) else { continue };
            let at = join(&item_at, method);
            let operation_id = operation.get("operationId").and_then(Value::as_str);
            if method != "get" && !operation_id.is_some_and(|id| allow.iter().any(|a| a == id)) {
                continue;
            }
            let label = operation_id.map_or_else(|| format!("{method} {path}"), str::to_string);
            let name = kebab(&label).ok_or_else(|| WitError::BadName { pointer: at.clone(), name: label.clone() })?;
            if let Some(other) = functions.iter().find(|f| f.name == name) {
                return Err(WitError::Collision { name, first: other.pointer.clone(), second: at });
            }
            let params = parameters(doc, types, item, operation, &item_at, &at, &name)?;
            let body = request_body(doc, types, operation, &at, &name)?;
            let result = response(doc, types, operation, &at, &name)?;
            let docs = ["summary", "description"]
                .iter()
                .find_map(|k| operation.get(*k).and_then(Value::as_str))
                .map(|d| d.trim().to_string());
            functions.push(Function {
                name,
                operation_id: operation_id.map(str::to_string),
                method: method.to_uppercase(),
                path: path.clone(),
                params,
                body,
                result,
                docs,
                pointer: at,
            });
        }
    }
    Ok(functions)
}

/// Path-item parameters, overridden by the operation's own (same name and place); path first,
/// then query, then header, each in document order. Optional ones are `option`s.
fn parameters(
    doc: &Document,
    types: &mut Types<'_>,
    item: &Value,
    operation: &Value,
    item_at: &str,
    at: &str,
    function: &str,
) -> Result<Vec<Param>, WitError> {
    let mut found: Vec<(Location, String, Value, String)> = Vec::new();
    for (owner, owner_at) in [(item, item_at), (operation, at)] {
        let Some(list) = owner.get("parameters").and_then(Value::as_array) else { continue };
        let list_at = join(owner_at, "parameters");
        for (i, p) in list.iter().enumerate() {
            let (p, p_at) = doc.resolve(p, &join(&list_at, &i.to_string()))?;
            let json = p.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            let location = match p.get("in").and_then(Value::as_str) {
                Some("path") => Location::Path,
                Some("query") => Location::Query,
                Some("header") => Location::Header,
                other => {
                    let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
                    if !required {
                        // An optional cookie parameter: a probe can do without it.
                        continue;
                    }
                    return Err(WitError::Unsupported {
                        pointer: p_at,
                        what: format!("a required parameter in {}", other.unwrap_or("an unknown place")),
                    });
                }
            };
            found.retain(|(l, n, _, _)| !(*l == location && *n == json));
            found.push((location, json, p.clone(), p_at));
        }
    }
    found.sort_by_key(|(location, ..)| *location);
    let mut params: Vec<Param> = Vec::new();
    for (location, json, p, p_at) in found {
        let name = kebab(&json).ok_or_else(|| WitError::BadName { pointer: p_at.clone(), name: json.clone() })?;
        if params.iter().any(|q| q.name == name) || name == "body" && request_has_body(operation) {
            return Err(WitError::Collision { name, first: at.into(), second: p_at });
        }
        let schema = p.get("schema").cloned().unwrap_or(Value::Object(Default::default()));
        let ty = types.ty(&schema, &join(&p_at, "schema"), &format!("{function}-{name}"))?;
        let required = location == Location::Path || p.get("required").and_then(Value::as_bool).unwrap_or(false);
        let ty = if required { ty } else { ty.optional() };
        params.push(Param { name, json, location, ty });
    }
    Ok(params)
}

fn request_has_body(operation: &Value) -> bool {
    operation.get("requestBody").is_some()
}

/// A JSON request body is the last parameter, `body`.
fn request_body(
    doc: &Document,
    types: &mut Types<'_>,
    operation: &Value,
    at: &str,
    function: &str,
) -> Result<Option<Ty>, WitError> {
    let Some(body) = operation.get("requestBody") else { return Ok(None) };
    let (body, body_at) = doc.resolve(body, &join(at, "requestBody"))?;
    let Some((schema, schema_at)) = json_schema(body, &body_at) else {
        return Err(WitError::Unsupported { pointer: body_at, what: "a request body that is not JSON".into() });
    };
    let ty = types.ty(schema, &schema_at, &format!("{function}-request"))?;
    let required = body.get("required").and_then(Value::as_bool).unwrap_or(false);
    Ok(Some(if required { ty } else { ty.optional() }))
}

/// The first 2xx response (by code; `2XX` after the numbered ones): its JSON schema's type,
/// `string` for another media type, `None` for no content.
fn response(
    doc: &Document,
    types: &mut Types<'_>,
    operation: &Value,
    at: &str,
    function: &str,
) -> Result<Option<Ty>, WitError> {
    let Some(responses) = operation.get("responses").and_then(Value::as_object) else { return Ok(None) };
    let mut codes: Vec<&String> = responses.keys().filter(|c| c.starts_with('2')).collect();
    codes.sort_by_key(|c| (c.eq_ignore_ascii_case("2XX"), c.to_string()));
    let Some(code) = codes.first() else { return Ok(None) };
    let responses_at = join(at, "responses");
    let (response, response_at) = doc.resolve(&responses[code.as_str()], &join(&responses_at, code))?;
    match json_schema(response, &response_at) {
        Some((schema, schema_at)) => Ok(Some(types.ty(schema, &schema_at, &format!("{function}-response"))?)),
        None if response.get("content").and_then(Value::as_object).is_some_and(|c| !c.is_empty()) => {
            Ok(Some(Ty::String))
        }
        None => Ok(None),
    }
}

/// The schema of the JSON media type (`application/json` or any `+json`) of a body.
fn json_schema<'a>(body: &'a Value, at: &str) -> Option<(&'a Value, String)> {
    let content = body.get("content")?.as_object()?;
    let (media, entry) = content.iter().find(|(media, _)| {
        let essence = media.split(';').next().unwrap_or("").trim();
        essence == "application/json" || essence.ends_with("+json")
    })?;
    let empty = &Value::Null;
    let schema = entry.get("schema").unwrap_or(empty);
    Some((schema, join(&join(&join(at, "content"), media), "schema")))
}

/// `list-all-*` functions for the operations that follow `pagination`: a query parameter
/// named like its token, and a result record with the next token (`option<string>`) and the
/// items (`list<T>`). The name puts `all` after the first word (`list-orders` →
/// `list-all-orders`).
pub fn pagers(functions: &[Function], types: &Types<'_>, pagination: &Pagination) -> Vec<Pager> {
    let mut pagers = Vec::new();
    for f in functions {
        let has_token = f.params.iter().any(|p| p.location == Location::Query && p.json == pagination.token_param);
        let Some(Ty::Named(result)) = &f.result else { continue };
        let Some(fields) = types.defs.iter().find(|d| d.name == *result).and_then(|d| match &d.kind {
            TypeKind::Record(fields) => Some(fields),
            _ => None,
        }) else {
            continue;
        };
        let next = fields.iter().find(|x| x.json == pagination.next_token_field);
        let items = fields.iter().find(|x| x.json == pagination.items_field);
        let (Some(next), Some(items)) = (next, items) else { continue };
        let (Ty::Option(token), Ty::List(item)) = (&next.ty, &items.ty) else { continue };
        if !has_token || **token != Ty::String {
            continue;
        }
        let name = match f.name.split_once('-') {
            Some((first, rest)) => format!("{first}-all-{rest}"),
            None => format!("{}-all", f.name),
        };
        let params: Vec<Param> = f
            .params
            .iter()
            .filter(|p| p.json != pagination.token_param && Some(p.json.as_str()) != pagination.size_param.as_deref())
            .cloned()
            .collect();
        let param_name = |json: &str| f.params.iter().find(|p| p.json == json).map(|p| p.name.clone());
        pagers.push(Pager {
            name,
            of: f.name.clone(),
            params,
            item: (**item).clone(),
            token_param: param_name(&pagination.token_param).unwrap_or_default(),
            size_param: pagination.size_param.as_deref().and_then(param_name),
            next_field: next.name.clone(),
            items_field: items.name.clone(),
        });
    }
    pagers
}
