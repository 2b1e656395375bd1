//! An OAuth2 token endpoint (client-credentials grant, RFC 6749 §4.4) at `/oauth/token`, so the
//! host's token fetching, refresh and 401 handling are tested against a real server.
//!
//! Tokens expire after the configured lifetime; [`crate::Simulator::revoke_issued_tokens`]
//! invalidates them early, as an identity provider does when keys are rotated.

use base64::Engine as _;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The one client the endpoint knows.
#[derive(Debug, Clone)]
pub(crate) struct OAuthClient {
    pub(crate) id: String,
    pub(crate) secret: String,
    pub(crate) lifetime: Duration,
}

#[derive(Debug, Default)]
pub(crate) struct TokenIssuer {
    client: Mutex<Option<OAuthClient>>,
    issued: Mutex<HashMap<String, Instant>>,
    requests: AtomicU64,
    last_scope: Mutex<Option<String>>,
}

/// What the endpoint answers: status and JSON body.
pub(crate) type Answer = (u16, String);

impl TokenIssuer {
    pub(crate) fn enable(&self, client: OAuthClient) {
        *self.client.lock().unwrap_or_else(PoisonError::into_inner) = Some(client);
    }

    pub(crate) fn revoke_all(&self) {
        self.issued.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    pub(crate) fn last_scope(&self) -> Option<String> {
        self.last_scope.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Whether `token` was issued here and has neither expired nor been revoked.
    pub(crate) fn accepts(&self, token: &str) -> bool {
        let issued = self.issued.lock().unwrap_or_else(PoisonError::into_inner);
        issued.get(token).is_some_and(|expires| Instant::now() < *expires)
    }

    /// Answers a token request with its `Authorization` header and form body.
    pub(crate) fn answer(&self, authorization: Option<&str>, form: &[(String, String)]) -> Answer {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let field = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let Some(client) = self.client.lock().unwrap_or_else(PoisonError::into_inner).clone() else {
            return oauth_error(404, "not_found", "no OAuth2 client is configured");
        };
        // Client authentication: HTTP Basic (preferred by RFC 6749) or the form's fields.
        let (id, secret) = match authorization.and_then(basic_credentials) {
            Some(pair) => pair,
            None => (field("client_id").unwrap_or_default(), field("client_secret").unwrap_or_default()),
        };
        if id != client.id || secret != client.secret {
            return oauth_error(401, "invalid_client", "unknown client or wrong secret");
        }
        if field("grant_type").as_deref() != Some("client_credentials") {
            return oauth_error(400, "unsupported_grant_type", "only client_credentials is supported");
        }
        *self.last_scope.lock().unwrap_or_else(PoisonError::into_inner) = field("scope");
        let n = self.requests.load(Ordering::SeqCst);
        let salt = std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), n);
        let token = format!("sim-oauth-{n}-{salt:016x}");
        self.issued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), Instant::now() + client.lifetime);
        let body = serde_json::json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": client.lifetime.as_secs_f64(),
        });
        (200, body.to_string())
    }
}

fn oauth_error(status: u16, error: &str, description: &str) -> Answer {
    (status, serde_json::json!({ "error": error, "error_description": description }).to_string())
}

/// `Basic base64(id:secret)` → `(id, secret)`.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    // RFC 6749 §2.3.1: both parts are form-urlencoded before encoding.
    Some((crate::server::percent_decode(id), crate::server::percent_decode(secret)))
}
