//! What the generated [`Client`](crate::Client) carries into its hooks: the response-size cap,
//! where bearer tokens come from, and who is told about every request sent.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A boxed future, as the object-safe [`Credentials`] trait returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where the bearer token comes from. Asked before every request, so a rotated or refreshed
/// token is used at once.
pub trait Credentials: Send + Sync {
    /// The token to send now.
    ///
    /// # Errors
    /// A message saying why no token can be had (never containing a secret).
    fn token(&self) -> BoxFuture<'_, Result<Arc<str>, String>>;

    /// The API answered `401` to `token`. Forget it if it is the one cached; `true` when asking
    /// [`token`](Self::token) again may give a different one (so the request is retried once).
    fn rejected(&self, token: &str) -> bool;
}

/// How one request ended, for [`Observer::request_done`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The API answered with this HTTP status.
    Status(u16),
    /// No complete answer: connection failure, timeout, or a body that did not arrive whole.
    Failed,
    /// The caller gave up before the answer was complete (a probe run hit its timeout): the
    /// request was sent, so it is counted too.
    Cancelled,
}

/// Told about every request actually sent (retries included), for request metrics.
pub trait Observer: Send + Sync {
    /// `operation` (an `operationId`) ended with `outcome` after `elapsed` (body read included).
    fn request_done(&self, operation: &'static str, outcome: Outcome, elapsed: Duration);
}

/// Settings the generated [`Client`](crate::Client) carries into its hooks.
#[derive(Clone)]
pub struct ClientContext {
    /// The largest response body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The bearer token source; `None` sends no `Authorization` header.
    pub credentials: Option<Arc<dyn Credentials>>,
    /// Told about every request sent.
    pub observer: Option<Arc<dyn Observer>>,
}

impl std::fmt::Debug for ClientContext {
    // Never print a credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientContext")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("credentials", &self.credentials.as_ref().map(|_| "<set>"))
            .field("observer", &self.observer.as_ref().map(|_| "<set>"))
            .finish()
    }
}

impl Default for ClientContext {
    fn default() -> Self {
        Self { max_body_bytes: 16 << 20, credentials: None, observer: None }
    }
}
