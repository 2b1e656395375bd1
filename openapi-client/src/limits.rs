//! A response-size cap for the generated client, through progenitor's `ClientHooks`.
//!
//! `exec` reads the body itself, chunk by chunk, and stops at the cap (early, from
//! `Content-Length`, when the server sends one). An oversized response is replaced by an empty
//! one marked with a header, which `post` turns into an error: hooks cannot return a
//! `reqwest::Error` of their own.

use crate::Client;
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};

/// Settings the generated [`Client`] carries into its hooks.
#[derive(Debug, Clone, Copy)]
pub struct ClientLimits {
    /// The largest response body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self { max_body_bytes: 16 << 20 }
    }
}

/// Prefix of the error message for an oversized response (an [`Error::Custom`]).
pub const BODY_TOO_LARGE: &str = "response body too large";

const MARKER: &str = "x-probe-host-body-too-large";

impl ClientHooks<ClientLimits> for Client {
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
