//! What the generated client does on every call, through progenitor's `ClientHooks`: add the
//! current bearer token (`pre`), and cap the size of the response body (`exec` and `post`).
//!
//! `exec` reads the body itself, chunk by chunk, and stops at the cap (early, from
//! `Content-Length`, when the server sends one). An oversized response is replaced by an empty
//! one marked with a header, which `post` turns into an error: hooks cannot return a
//! `reqwest::Error` of their own.

use crate::Client;
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use std::sync::Arc;

/// Gives the bearer token to send, asked on every call (so a rotated token is used at once).
pub type TokenFn = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// Settings the generated [`Client`] carries into its hooks.
#[derive(Clone)]
pub struct ClientContext {
    /// The largest response body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The bearer token source; `None` sends no `Authorization` header.
    pub token: Option<TokenFn>,
}

impl std::fmt::Debug for ClientContext {
    // Never print the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientContext")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Default for ClientContext {
    fn default() -> Self {
        Self { max_body_bytes: 16 << 20, token: None }
    }
}

/// Prefix of the error message for an oversized response (an [`Error::Custom`]).
pub const BODY_TOO_LARGE: &str = "response body too large";

const MARKER: &str = "x-probe-host-body-too-large";

impl ClientHooks<ClientContext> for Client {
    async fn pre<E>(&self, request: &mut reqwest::Request, _info: &OperationInfo) -> Result<(), Error<E>> {
        if let Some(token) = self.inner().token.as_ref().and_then(|f| f()) {
            let mut value = http::HeaderValue::from_str(&format!("Bearer {}", token.trim()))
                .map_err(|_| Error::InvalidRequest("the API token is not a valid header value".into()))?;
            value.set_sensitive(true);
            request.headers_mut().insert(http::header::AUTHORIZATION, value);
        }
        Ok(())
    }

    async fn exec(&self, request: reqwest::Request, _info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        let max = self.inner().max_body_bytes;
        let mut response = self.client().execute(request).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let oversized = |seen: u64| {
            let mut r = http::Response::new(reqwest::Body::from(Vec::new()));
            *r.status_mut() = status;
            *r.headers_mut() = headers.clone();
            r.headers_mut().remove(http::header::CONTENT_LENGTH);
            r.headers_mut().insert(MARKER, http::HeaderValue::from(seen));
            Ok(reqwest::Response::from(r))
        };
        if let Some(declared) = response.content_length().filter(|n| *n > max as u64) {
            return oversized(declared);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > max {
                return oversized((body.len() + chunk.len()) as u64);
            }
            body.extend_from_slice(&chunk);
        }
        let mut rebuilt = http::Response::new(reqwest::Body::from(body));
        *rebuilt.status_mut() = status;
        *rebuilt.headers_mut() = headers;
        Ok(reqwest::Response::from(rebuilt))
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        match result {
            Ok(response) if response.headers().contains_key(MARKER) => {
                Err(Error::Custom(format!("{BODY_TOO_LARGE}: over the {}-byte cap", self.inner().max_body_bytes)))
            }
            _ => Ok(()),
        }
    }
}
