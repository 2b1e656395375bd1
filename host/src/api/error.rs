//! Mapping of every way a call can fail to the small set of cases a probe can act on.

use crate::errors::error_chain;
use potato_api_client::types;
use reqwest::StatusCode;

/// Why a call of the target API failed. Mirrors the generated `api-error` variant. (Serialized
/// in recordings, see `super::recording`.)
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiError {
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("rate limited: retry after {0} s")]
    RateLimited(u32),
    #[error("client error {status} {code}: {message}")]
    Client { status: u16, code: String, message: String },
    #[error("server error {status} {code}: {message}")]
    Server { status: u16, code: String, message: String },
    #[error("timed out")]
    Timeout,
    #[error("transport: {0}")]
    Transport(String),
    #[error("invalid response: {0}")]
    InvalidResponse(String),
}

/// When a 429 carries no usable `Retry-After`, ask the probe to wait this long.
const DEFAULT_RETRY_AFTER_SECS: u32 = 1;

impl From<progenitor_client::Error<types::Error>> for ApiError {
    fn from(err: progenitor_client::Error<types::Error>) -> Self {
        use progenitor_client::Error as E;
        match err {
            E::ErrorResponse(resp) => {
                let status = resp.status();
                let retry_after = retry_after(resp.headers());
                let body = resp.into_inner();
                from_status(status, body.code, body.message, retry_after)
            }
            E::UnexpectedResponse(resp) => {
                let status = resp.status();
                let retry_after = retry_after(resp.headers());
                let reason = status.canonical_reason().unwrap_or("unexpected status").to_string();
                if status.is_success() {
                    ApiError::InvalidResponse(format!("undocumented status {status}"))
                } else {
                    from_status(status, String::new(), reason, retry_after)
                }
            }
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => from_reqwest(&e),
            E::InvalidResponsePayload(_, e) => {
                ApiError::InvalidResponse(format!("body does not match the schema: {e}"))
            }
            E::Custom(msg) if msg.starts_with(potato_api_client::BODY_TOO_LARGE) => ApiError::InvalidResponse(msg),
            E::Custom(msg) if msg.starts_with(potato_api_client::NO_CREDENTIALS) => ApiError::Unauthorized(msg),
            E::InvalidRequest(msg) | E::Custom(msg) => {
                ApiError::Client { status: 0, code: "invalid_request".into(), message: msg }
            }
        }
    }
}

pub(crate) fn from_status(status: StatusCode, code: String, message: String, retry_after: Option<u32>) -> ApiError {
    let n = status.as_u16();
    match (n, retry_after) {
        (401, _) => ApiError::Unauthorized(message),
        (404, _) => ApiError::NotFound(message),
        (429, _) => ApiError::RateLimited(retry_after.unwrap_or(DEFAULT_RETRY_AFTER_SECS)),
        // "Unavailable, come back in N seconds" asks for the same as a 429 does.
        (503, Some(secs)) => ApiError::RateLimited(secs),
        (500..=599, _) => ApiError::Server { status: n, code, message },
        _ => ApiError::Client { status: n, code, message },
    }
}

pub(crate) fn from_reqwest(e: &reqwest::Error) -> ApiError {
    if e.is_timeout() {
        ApiError::Timeout
    } else if e.is_decode() || e.is_body() {
        ApiError::InvalidResponse(error_chain(e))
    } else {
        ApiError::Transport(error_chain(e))
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by the potato-api).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u32> {
    headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}
