//! OAuth2 client credentials (RFC 6749 §4.4): the host fetches a token from the token
//! endpoint, caches it, fetches a new one once 80 % of its lifetime has passed (before it
//! expires), and drops it when the API answers `401` so the request is retried once with a
//! fresh one. Probes never see it; logs never print it.

use super::{ApiStats, TokenSource};
use potato_api_client::{BoxFuture, Credentials};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// After a failed fetch, callers get the same error for this long instead of each asking the
/// token endpoint again.
const FAILURE_HOLD: Duration = Duration::from_secs(1);

/// Where and how to get a token, from `[api.oauth2]`.
#[derive(Debug, Clone)]
pub struct OAuth2Settings {
    /// The token endpoint, e.g. `https://auth.example/oauth/token`.
    pub token_url: String,
    pub client_id: String,
    /// Usually a file (a mounted secret), re-read when it changes.
    pub client_secret: TokenSource,
    /// Sent space-separated as `scope`; empty: no `scope` parameter.
    pub scopes: Vec<String>,
}

#[derive(Debug)]
struct Cached {
    token: Arc<str>,
    /// `None` when the endpoint gave no `expires_in`: used until the API refuses it.
    expires: Option<Instant>,
    refresh_at: Option<Instant>,
}

#[derive(Debug, Default)]
struct State {
    cached: Option<Cached>,
    last_failure: Option<(Instant, String)>,
}

/// The token cache and the client that fills it.
#[derive(Debug)]
pub(crate) struct OAuth2 {
    settings: OAuth2Settings,
    http: reqwest::Client,
    state: Mutex<State>,
    /// One fetch at a time: callers that find the token stale wait for the fetch under way.
    fetching: tokio::sync::Mutex<()>,
    stats: Arc<ApiStats>,
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<f64>,
}

#[derive(serde::Deserialize)]
struct ErrorResponse {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl OAuth2 {
    pub(crate) fn new(settings: OAuth2Settings, http: reqwest::Client, stats: Arc<ApiStats>) -> Self {
        Self { settings, http, state: Mutex::default(), fetching: tokio::sync::Mutex::new(()), stats }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached token if it needs no refresh yet.
    fn fresh(&self) -> Option<Arc<str>> {
        let state = self.lock();
        let cached = state.cached.as_ref()?;
        cached.refresh_at.is_none_or(|at| Instant::now() < at).then(|| cached.token.clone())
    }

    /// The cached token if it has not expired (used when a refresh fails).
    fn still_valid(&self) -> Option<Arc<str>> {
        let state = self.lock();
        let cached = state.cached.as_ref()?;
        cached.expires.is_none_or(|at| Instant::now() < at).then(|| cached.token.clone())
    }

    async fn current(&self) -> Result<Arc<str>, String> {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _one_at_a_time = self.fetching.lock().await;
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let recent_failure = self.lock().last_failure.clone().filter(|(at, _)| at.elapsed() < FAILURE_HOLD);
        if let Some((_, error)) = recent_failure {
            return self.still_valid().ok_or(error);
        }
        match self.fetch().await {
            Ok(token) => {
                self.stats.token_refresh(true);
                Ok(token)
            }
            Err(error) => {
                self.stats.token_refresh(false);
                let error = format!("OAuth2 token endpoint {}: {error}", self.settings.token_url);
                tracing::warn!("{error}");
                self.lock().last_failure = Some((Instant::now(), error.clone()));
                // A token that has not expired yet still works: keep using it.
                self.still_valid().ok_or(error)
            }
        }
    }

    async fn fetch(&self) -> Result<Arc<str>, String> {
        let secret = self.settings.client_secret.current();
        let mut form = vec![("grant_type", "client_credentials".to_string())];
        if !self.settings.scopes.is_empty() {
            form.push(("scope", self.settings.scopes.join(" ")));
        }
        let asked = Instant::now();
        let response = self
            .http
            .post(&self.settings.token_url)
            .basic_auth(&self.settings.client_id, Some(&*secret))
            .form(&form)
            .send()
            .await
            .map_err(|e| crate::errors::error_chain(&e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| crate::errors::error_chain(&e))?;
        if !status.is_success() {
            let reason = serde_json::from_slice::<ErrorResponse>(&body)
                .map(|e| match e.error_description {
                    Some(d) => format!("{} ({d})", e.error),
                    None => e.error,
                })
                .unwrap_or_else(|_| status.canonical_reason().unwrap_or("error").to_string());
            return Err(format!("answered {status}: {reason}"));
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| format!("answered with an unreadable token response: {e}"))?;
        if parsed.token_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("bearer")) {
            return Err(format!(
                "token type {:?} is not supported (only bearer)",
                parsed.token_type.unwrap_or_default()
            ));
        }
        if parsed.access_token.trim().is_empty() {
            return Err("answered with an empty access_token".into());
        }
        let lifetime = parsed.expires_in.filter(|s| s.is_finite() && *s > 0.0).map(Duration::from_secs_f64);
        let token: Arc<str> = parsed.access_token.trim().into();
        tracing::info!(
            token_url = %self.settings.token_url,
            expires_in_seconds = lifetime.map(|l| l.as_secs()),
            "fetched an OAuth2 token for the potato-api"
        );
        let mut state = self.lock();
        state.cached = Some(Cached {
            token: token.clone(),
            expires: lifetime.map(|l| asked + l),
            refresh_at: lifetime.map(|l| asked + l.mul_f64(0.8)),
        });
        state.last_failure = None;
        Ok(token)
    }
}

impl Credentials for OAuth2 {
    fn token(&self) -> BoxFuture<'_, Result<Arc<str>, String>> {
        Box::pin(self.current())
    }

    fn rejected(&self, token: &str) -> bool {
        let mut state = self.lock();
        if state.cached.as_ref().is_some_and(|c| &*c.token == token) {
            tracing::info!("the potato-api refused the OAuth2 token: fetching a new one");
            state.cached = None;
            // A refusal is news: the next fetch must not wait out an older failure.
            state.last_failure = None;
        }
        true
    }
}
