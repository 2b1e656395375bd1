//! API glue: the host's side of `potato:api`. Probes call typed operations; this module makes
//! the HTTP calls with the generated [`potato_api_client::Client`], owns the base URL and the
//! credentials, and maps every failure to an [`ApiError`] a probe can act on.

pub mod advice;
mod dynamic;
mod error;
mod oauth2;
mod polite;
pub mod recording;
mod shared;
mod stats;
mod tls;
mod token;

pub use dynamic::HttpCaller;
pub use error::ApiError;
pub use oauth2::OAuth2Settings;
pub use polite::Politeness;
pub use stats::{ApiSnapshot, ApiStats, DURATION_BUCKETS, OperationStats};
pub use tls::TlsSettings;
pub use token::TokenSource;

use progenitor_client::ClientInfo;
use std::sync::Arc;
use std::time::Duration;

/// How the host authenticates to the potato-api.
#[derive(Debug, Clone)]
pub enum Auth {
    /// A bearer token from a file, an environment variable or the command line.
    Token(TokenSource),
    /// OAuth2 client credentials: the host fetches and refreshes the token.
    OAuth2(OAuth2Settings),
}

/// Where the potato-api is, how to authenticate to it and how gently to treat it.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Base URL including the base path, e.g. `http://potato:8080/api/v0`.
    pub base_url: String,
    /// `None` sends no `Authorization` header.
    pub auth: Option<Auth>,
    /// Trusted CAs and client certificate for `https://` targets (and the token endpoint).
    pub tls: TlsSettings,
    /// Per-request timeout (connect + response).
    pub timeout: Duration,
    /// The largest response body accepted; a bigger one is an `invalid-response`.
    pub max_response_bytes: usize,
    /// Identical calls within this window are made once and shared (zero: never shared).
    pub share_window: Duration,
    /// Concurrency and rate limits shared by all probes.
    pub politeness: Politeness,
}

impl ApiSettings {
    /// Settings with a fixed bearer token (or none) and the defaults: timeout 10 s, response
    /// cap 16 MiB, share window 2 s, system CAs, the default [`Politeness`].
    pub fn new(base_url: impl Into<String>, token: Option<String>) -> Self {
        Self {
            base_url: base_url.into(),
            auth: token.map(|t| Auth::Token(TokenSource::Fixed(t.into()))),
            tls: TlsSettings::default(),
            timeout: Self::DEFAULT_TIMEOUT,
            max_response_bytes: Self::DEFAULT_MAX_RESPONSE_BYTES,
            share_window: Self::DEFAULT_SHARE_WINDOW,
            politeness: Politeness::default(),
        }
    }

    /// A request's timeout unless configured (`[api] timeout`).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    /// The largest response body accepted unless configured (`[api] max_response_size`).
    pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 << 20;
    /// The shared-call window unless configured (`[api] share_window`).
    pub const DEFAULT_SHARE_WINDOW: Duration = Duration::from_secs(2);
}

/// A handle to the potato-api, cheap to clone and shared by every probe run.
#[derive(Clone)]
pub struct PotatoApi {
    client: potato_api_client::Client,
    shared: Arc<shared::SharedCalls>,
    gate: Arc<polite::Gate>,
    stats: Arc<ApiStats>,
}

impl std::fmt::Debug for PotatoApi {
    // The client holds the credentials: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PotatoApi").field("base_url", &self.client.baseurl()).finish_non_exhaustive()
    }
}

impl PotatoApi {
    /// Builds the HTTP client (and the token endpoint's, for OAuth2).
    ///
    /// # Errors
    /// When a TLS file cannot be used (naming it) or the HTTP client cannot be built.
    pub fn new(settings: &ApiSettings) -> anyhow::Result<Self> {
        let builder = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent(concat!("probe-host/", env!("CARGO_PKG_VERSION")));
        let http = settings.tls.apply(builder).map_err(anyhow::Error::msg)?.build()?;
        let base = settings.base_url.trim_end_matches('/');
        let stats = Arc::new(ApiStats::default());
        // The token is asked for on every request (see `ClientContext`), so a rotated token
        // file or a refreshed OAuth2 token takes effect without rebuilding the client.
        let credentials: Option<Arc<dyn potato_api_client::Credentials>> = match &settings.auth {
            None => None,
            Some(Auth::Token(source)) => Some(Arc::new(source.clone())),
            Some(Auth::OAuth2(oauth)) => {
                Some(Arc::new(oauth2::OAuth2::new(oauth.clone(), http.clone(), stats.clone())))
            }
        };
        let context = potato_api_client::ClientContext {
            max_body_bytes: settings.max_response_bytes,
            credentials,
            observer: Some(stats.clone()),
        };
        Ok(Self {
            client: potato_api_client::Client::new_with_client(base, http, context),
            shared: Arc::new(shared::SharedCalls::new(settings.share_window, stats.clone())),
            gate: Arc::new(polite::Gate::new(settings.politeness, stats.clone())),
            stats,
        })
    }

    /// The access layer's counters (calls, requests, durations, waits, token refreshes).
    pub fn stats(&self) -> Arc<ApiStats> {
        self.stats.clone()
    }

    /// The API's base URL.
    pub fn base_url(&self) -> &str {
        self.client.baseurl()
    }
}
