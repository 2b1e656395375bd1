//! What the generated client does on every call, through progenitor's `ClientHooks`:
//! - `pre` adds the current bearer token;
//! - `exec` sends the request, reads the body up to the size cap, reports the request to the
//!   observer, and on a `401` retries once with a fresh token when the credentials can get one
//!   (an OAuth2 token revoked early);
//! - `post` turns an oversized body into an error.
//!
//! An oversized response is replaced by an empty one marked with a header, which `post` turns
//! into an error: hooks cannot return a `reqwest::Error` of their own.

use crate::Client;
use crate::context::Outcome;
use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use std::time::Instant;

/// Prefix of the error message for an oversized response (an [`Error::Custom`]).
pub const BODY_TOO_LARGE: &str = "response body too large";

/// Prefix of the error message when no token could be had (an [`Error::Custom`]).
pub const NO_CREDENTIALS: &str = "no API token";

/// Why the hooks refused a request or a response. progenitor passes a hook's error on only as
/// text (`Error::Custom`), so it is read back from that text here, where the text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The response body was over the cap ([`BODY_TOO_LARGE`]).
    BodyTooLarge,
    /// No credentials could be had for the request ([`NO_CREDENTIALS`]).
    NoCredentials,
}

impl Refusal {
    /// The refusal a `Custom` error's text reports, if it is one of the hooks'.
    pub fn of(message: &str) -> Option<Self> {
        if message.starts_with(BODY_TOO_LARGE) {
            Some(Refusal::BodyTooLarge)
        } else if message.starts_with(NO_CREDENTIALS) {
            Some(Refusal::NoCredentials)
        } else {
            None
        }
    }
}

const MARKER: &str = "x-probe-host-body-too-large";

/// The most a response's buffer is sized for from its `Content-Length` alone.
const PRESIZE_MAX: usize = 4 << 20;

impl ClientHooks<crate::ClientContext> for Client {
    async fn pre<E>(&self, request: &mut reqwest::Request, _info: &OperationInfo) -> Result<(), Error<E>> {
        if let Some(credentials) = &self.inner().credentials {
            let token = credentials.token().await.map_err(|e| Error::Custom(format!("{NO_CREDENTIALS}: {e}")))?;
            set_bearer(request, &token).map_err(Error::InvalidRequest)?;
        }
        Ok(())
    }

    async fn exec(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        let Some(credentials) = &self.inner().credentials else {
            return self.send(request, info).await;
        };
        // Requests without a body clone cheaply; keep one for a retry after a 401.
        let spare = request.try_clone();
        let sent = request.headers().get(http::header::AUTHORIZATION).cloned();
        let response = self.send(request, info).await?;
        if response.status() != http::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let rejected = sent.as_ref().and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let (Some(mut again), Some(rejected)) = (spare, rejected) else { return Ok(response) };
        if !credentials.rejected(rejected) {
            return Ok(response);
        }
        match credentials.token().await {
            Ok(token) if &*token != rejected && set_bearer(&mut again, &token).is_ok() => self.send(again, info).await,
            // No other token to try: the caller sees the first 401.
            _ => Ok(response),
        }
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

impl Client {
    /// Sends a request built outside the generated methods (an operation of another document,
    /// served from its mapped model) through the same hooks: the current token, one retry
    /// after a `401` with a fresh one, the response-size cap, and the observer, which counts it
    /// under `operation_id`.
    ///
    /// # Errors
    /// As the generated methods: no token, a transport failure, an oversized body.
    pub async fn send_request(
        &self,
        mut request: reqwest::Request,
        operation_id: &'static str,
    ) -> Result<reqwest::Response, Error<()>> {
        let info = OperationInfo { operation_id };
        <Self as ClientHooks<crate::ClientContext>>::pre::<()>(self, &mut request, &info).await?;
        let result = <Self as ClientHooks<crate::ClientContext>>::exec(self, request, &info).await;
        <Self as ClientHooks<crate::ClientContext>>::post::<()>(self, &result, &info).await?;
        result.map_err(Error::CommunicationError)
    }

    /// The HTTP client requests are built with (its base settings: TLS, timeouts).
    pub fn http(&self) -> &reqwest::Client {
        self.client()
    }

    /// Sends one request, reads its body up to the cap and tells the observer how it went.
    async fn send(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        // Reports the request even when this future is dropped half-way (the caller's run
        // timed out): it was sent, and the target saw it.
        let mut report = Report { client: self, operation: info.operation_id, started: Instant::now(), done: false };
        let result = self.send_capped(request).await;
        let outcome = match &result {
            Ok(r) if !r.headers().contains_key(MARKER) => Outcome::Status(r.status().as_u16()),
            _ => Outcome::Failed,
        };
        report.finish(outcome);
        result
    }

    /// Reads the body itself, chunk by chunk, and stops at the cap (early, from
    /// `Content-Length`, when the server sends one).
    async fn send_capped(&self, request: reqwest::Request) -> reqwest::Result<reqwest::Response> {
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
        let declared = response.content_length();
        if let Some(declared) = declared.filter(|n| *n > max as u64) {
            return oversized(declared);
        }
        // Sized once from `Content-Length` (at most the cap): growing by doubling copied a
        // page of 1,000 potatoes (200 KB) about twice over on the way. No more than
        // PRESIZE_MAX before the bytes arrive, so a server declaring a large body it does not
        // send costs little whatever the cap is set to.
        let mut body = Vec::with_capacity(declared.map_or(0, |n| (n as usize).min(PRESIZE_MAX)));
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
}

/// Tells the observer about one request exactly once: its outcome, or `Cancelled` if dropped
/// before it had one.
struct Report<'a> {
    client: &'a Client,
    operation: &'static str,
    started: Instant,
    done: bool,
}

impl Report<'_> {
    fn finish(&mut self, outcome: Outcome) {
        self.done = true;
        if let Some(observer) = &self.client.inner().observer {
            observer.request_done(self.operation, outcome, self.started.elapsed());
        }
    }
}

impl Drop for Report<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.finish(Outcome::Cancelled);
        }
    }
}

fn set_bearer(request: &mut reqwest::Request, token: &str) -> Result<(), String> {
    let mut value = http::HeaderValue::from_str(&format!("Bearer {}", token.trim()))
        .map_err(|_| "the API token is not a valid header value".to_string())?;
    // Sensitive values are left out of `Debug` output and HPACK tables.
    value.set_sensitive(true);
    request.headers_mut().insert(http::header::AUTHORIZATION, value);
    Ok(())
}
