//! API glue: the host's side of `potato:api`. Probes call typed operations; this module makes
//! the HTTP calls with the generated [`potato_api_client::Client`], owns the base URL and the
//! credentials, and maps every failure to an [`ApiError`] a probe can act on.

mod error;
mod shared;
mod token;

pub use error::ApiError;
pub use shared::ApiStats;
pub use token::TokenSource;

use potato_api_client::types;
use progenitor_client::ClientInfo;
use std::sync::Arc;
use std::time::Duration;

/// Where the potato-api is and how to authenticate to it.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Base URL including the base path, e.g. `http://potato:8080/api/v0`.
    pub base_url: String,
    /// Bearer token sent on every call; `None` sends no `Authorization` header.
    pub token: Option<TokenSource>,
    /// Per-request timeout (connect + response).
    pub timeout: Duration,
    /// The largest response body accepted; a bigger one is an `invalid-response`.
    pub max_response_bytes: usize,
    /// Identical calls within this window are made once and shared (zero: never shared).
    pub share_window: Duration,
}

impl ApiSettings {
    /// Settings with the default timeout (10 s) and response cap (16 MiB).
    pub fn new(base_url: impl Into<String>, token: Option<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token: token.map(|t| TokenSource::Fixed(t.into())),
            timeout: Duration::from_secs(10),
            max_response_bytes: 16 << 20,
            share_window: Duration::from_secs(2),
        }
    }
}

/// A handle to the potato-api, cheap to clone and shared by every probe run.
#[derive(Clone)]
pub struct PotatoApi {
    client: potato_api_client::Client,
    shared: Arc<shared::SharedCalls>,
}

impl std::fmt::Debug for PotatoApi {
    // The client holds the token in its default headers: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PotatoApi").field("base_url", &self.client.baseurl()).finish_non_exhaustive()
    }
}

type ApiResult<T> = Result<T, ApiError>;

impl PotatoApi {
    /// Builds the HTTP client.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(settings: &ApiSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent(concat!("probe-host/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let base = settings.base_url.trim_end_matches('/');
        // The token is added per call (see `ClientContext`), so a rotated token file takes
        // effect without rebuilding the client.
        let token: Option<potato_api_client::TokenFn> =
            settings.token.clone().map(|source| Arc::new(move || Some(source.current().to_string())) as _);
        let context = potato_api_client::ClientContext { max_body_bytes: settings.max_response_bytes, token };
        Ok(Self {
            client: potato_api_client::Client::new_with_client(base, http, context),
            shared: Arc::new(shared::SharedCalls::new(settings.share_window)),
        })
    }

    /// Probe calls and requests sent, per operation.
    pub fn stats(&self) -> Arc<ApiStats> {
        self.shared.stats.clone()
    }

    /// The API's base URL.
    pub fn base_url(&self) -> &str {
        self.client.baseurl()
    }

    pub async fn list_important_potatoes(
        &self,
        limit: Option<u32>,
        page_token: Option<&str>,
    ) -> ApiResult<types::PotatoPage> {
        let limit = limit.map(limit_arg).transpose()?;
        self.shared
            .call("listImportantPotatoes", format!("{limit:?},{page_token:?}"), || async {
                Ok(self.client.list_important_potatoes(limit, page_token).await?.into_inner())
            })
            .await
    }

    pub async fn get_potato(&self, potato_id: &str) -> ApiResult<types::Potato> {
        self.shared
            .call("getPotato", format!("{potato_id:?}"), || async {
                Ok(self.client.get_potato(potato_id).await?.into_inner())
            })
            .await
    }

    pub async fn list_farms(&self) -> ApiResult<Vec<types::Farm>> {
        self.shared
            .call("listFarms", String::new(), || async { Ok(self.client.list_farms().await?.into_inner()) })
            .await
    }

    pub async fn list_silos(&self, farm_id: &str) -> ApiResult<Vec<types::Silo>> {
        self.shared
            .call("listSilos", format!("{farm_id:?}"), || async {
                Ok(self.client.list_silos(farm_id).await?.into_inner())
            })
            .await
    }

    pub async fn list_orders(
        &self,
        status: Option<types::OrderStatus>,
        limit: Option<u32>,
        page_token: Option<&str>,
    ) -> ApiResult<types::OrderPage> {
        let limit = limit.map(limit_arg).transpose()?;
        self.shared
            .call("listOrders", format!("{status:?},{limit:?},{page_token:?}"), || async {
                Ok(self.client.list_orders(limit, page_token, status).await?.into_inner())
            })
            .await
    }

    pub async fn get_health(&self) -> ApiResult<types::Health> {
        self.shared
            .call("getHealth", String::new(), || async { Ok(self.client.get_health().await?.into_inner()) })
            .await
    }

    pub async fn list_queues(&self) -> ApiResult<Vec<types::QueueStats>> {
        self.shared
            .call("listQueues", String::new(), || async { Ok(self.client.list_queues().await?.into_inner()) })
            .await
    }
}

/// The document bounds `limit` to 1..=1000; refuse out-of-range values before sending them.
fn limit_arg(limit: u32) -> ApiResult<std::num::NonZeroU32> {
    match std::num::NonZeroU32::new(limit) {
        Some(n) if limit <= 1000 => Ok(n),
        _ => Err(ApiError::Client {
            status: 400,
            code: "invalid_argument".into(),
            message: format!("limit {limit} is outside 1..=1000"),
        }),
    }
}
