//! Calls of any document's operations over HTTP, through the host's access layer:
//! host-owned credentials (and the retry after a `401`), the response cap, shared identical calls, politeness and `Retry-After`, and the request
//! metrics, all by operationId.

use super::error::{from_reqwest, from_status, retry_after};
use super::{ApiError, PotatoApi};
use crate::engine::{Call, CallFuture, Caller};
use potato_api_client::wit::model::{Api, Function, Location};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Makes the HTTP requests of a mapped document's functions.
#[derive(Debug)]
pub struct HttpCaller {
    api: PotatoApi,
    /// operationIds (or function names) by function name, as `'static` labels for the access
    /// layer's counters: made once per document, a bounded set.
    operations: HashMap<String, &'static str>,
}

impl HttpCaller {
    /// Calls to `document`'s functions through `api`'s client and access layer.
    pub fn new(api: PotatoApi, document: &Api) -> Self {
        let operations = document
            .functions
            .iter()
            .map(|f| {
                let id = f.operation_id.clone().unwrap_or_else(|| f.name.clone());
                (f.name.clone(), &*Box::leak(id.into_boxed_str()))
            })
            .collect();
        Self { api, operations }
    }

    /// `document`'s functions, reached through `api`'s access layer, as the engine's target.
    pub fn target(api: PotatoApi, document: &potato_api_client::wit::Generated) -> crate::engine::Target {
        crate::engine::Target { caller: Arc::new(Self::new(api, &document.api)), api: Arc::new(document.api.clone()) }
    }

    async fn send(
        &self,
        probe: &str,
        function: &Function,
        args: &[Value],
        body: Option<&Value>,
    ) -> Result<Option<Arc<[u8]>>, ApiError> {
        let operation = self.operations.get(&function.name).copied().unwrap_or("unknown");
        let request = self.request(function, args, body)?;
        // Identical calls within the share window are sent once (GETs only: a POST that reads
        // is still not assumed to be repeatable).
        let key = format!("{args:?}{body:?}");
        let client = self.api.client.clone();
        let gate = self.api.gate.clone();
        let fetch = || async move {
            gate.send(operation, async move {
                let response = client.send_request(request, operation).await.map_err(from_send_error)?;
                read(response).await
            })
            .await
        };
        if function.method == "GET" { self.api.shared.call(operation, probe, key, fetch).await } else { fetch().await }
    }

    /// The request for one call: the path with its parameters, the query, the headers, the
    /// JSON body.
    fn request(&self, function: &Function, args: &[Value], body: Option<&Value>) -> Result<reqwest::Request, ApiError> {
        let mut path = function.path.clone();
        let mut query: Vec<(String, String)> = Vec::new();
        let mut headers: Vec<(String, String)> = Vec::new();
        for (param, value) in function.params.iter().zip(args) {
            let texts = texts(value);
            match param.location {
                Location::Path => {
                    let text = texts.into_iter().next().unwrap_or_default();
                    path = path.replace(&format!("{{{}}}", param.json), &encode_segment(&text));
                }
                Location::Query => query.extend(texts.into_iter().map(|t| (param.json.clone(), t))),
                Location::Header => headers.extend(texts.into_iter().map(|t| (param.json.clone(), t))),
            }
        }
        let url = format!("{}{path}", self.api.base_url());
        let method = reqwest::Method::from_bytes(function.method.as_bytes())
            .map_err(|_| invalid_request(format!("method {}", function.method)))?;
        let mut builder = self.api.client.http().request(method, url).query(&query);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = body.filter(|b| !b.is_null()) {
            builder = builder.json(body);
        }
        builder.build().map_err(|e| invalid_request(e.to_string()))
    }
}

impl Caller for HttpCaller {
    fn call<'a>(&'a self, call: Call<'a>) -> CallFuture<'a> {
        Box::pin(self.send(call.probe, call.function, call.args, call.body))
    }
}

/// A parameter's value as query, path or header text: absent for `null`, one text per item of
/// an array (repeated `name=value`, OpenAPI's default `form` style with `explode`).
fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(texts).collect(),
        other => vec![other.to_string()],
    }
}

/// A path segment, percent-encoded (everything but unreserved characters).
fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The body of a 2xx response (`None` when empty), or the typed error for any other status.
async fn read(response: reqwest::Response) -> Result<Option<Arc<[u8]>>, ApiError> {
    let status = response.status();
    let retry = retry_after(response.headers());
    let bytes = response.bytes().await.map_err(|e| from_reqwest(&e))?;
    if status.is_success() {
        return Ok((!bytes.is_empty()).then(|| Arc::from(&bytes[..])));
    }
    // Error bodies differ between APIs: take a code and a message where the usual fields are.
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let field = |names: &[&str]| names.iter().find_map(|n| body.get(*n).and_then(Value::as_str)).map(str::to_string);
    let code = field(&["code", "error", "type"]).unwrap_or_default();
    let message = field(&["message", "detail", "title", "error_description"])
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    Err(from_status(status, code, message, retry))
}

fn from_send_error(e: progenitor_client::Error<()>) -> ApiError {
    use progenitor_client::Error as E;
    match e {
        E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => from_reqwest(&e),
        E::Custom(msg) => match potato_api_client::Refusal::of(&msg) {
            Some(potato_api_client::Refusal::BodyTooLarge) => ApiError::InvalidResponse(msg),
            Some(potato_api_client::Refusal::NoCredentials) => ApiError::Unauthorized(msg),
            None => invalid_request(msg),
        },
        other => invalid_request(other.to_string()),
    }
}

fn invalid_request(message: String) -> ApiError {
    ApiError::Client { status: 0, code: "invalid_request".into(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_become_text_and_path_segments_are_encoded() {
        assert_eq!(texts(&serde_json::json!(["a", 2, true])), ["a", "2", "true"]);
        assert!(texts(&Value::Null).is_empty());
        assert_eq!(encode_segment("a b/c?é"), "a%20b%2Fc%3F%C3%A9");
    }
}
