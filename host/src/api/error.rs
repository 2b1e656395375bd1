//! Mapping of every way a call can fail to the small set of cases a probe can act on.

use crate::errors::error_chain;
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
