//! The host side of the world's imports: `potato:api/potatoes`, `log` and `config`.

use super::RunError;
use super::bindings::potato::api::{potatoes, types as wit};
use super::bindings::probe_host::probe::{config, log, metrics, scratch};
use super::convert::IntoWit;
use super::state::RunState;
use crate::api::PotatoApi;

impl wit::Host for RunState {}
impl metrics::Host for RunState {}

type Call<T> = wasmtime::Result<Result<T, wit::ApiError>>;

/// The page size the `list-all-*` functions ask for: the API's maximum, so fewest requests.
const PAGE_SIZE: u32 = 1000;

impl RunState {
    /// Whether the probe may call `operation`; a refused call is counted and answered with
    /// `client-error` 403 `not_permitted` (WIT 0.1 has no case of its own for it).
    fn permitted(&mut self, operation: &str) -> Option<wit::ApiError> {
        self.refused(operation).map(IntoWit::into_wit)
    }

    /// The error a call of `operation` gets when the probe's `allow` list leaves it out
    /// (counted); `None` when the call may go ahead.
    pub(super) fn refused(&mut self, operation: &str) -> Option<crate::api::ApiError> {
        let allowed = self.allow.as_ref().is_none_or(|ops| ops.iter().any(|op| op == operation));
        if allowed {
            return None;
        }
        self.denied.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.api_failures += 1;
        tracing::debug!(probe = %self.probe, operation, "call not permitted");
        Some(crate::api::ApiError::Client {
            status: 403,
            code: "not_permitted".into(),
            message: format!("this probe may not call {operation} (see `allow` in the configuration)"),
        })
    }

    /// Counts a call; past the run's cap, traps the guest instead of calling the API.
    pub(super) fn count_call(&mut self, operation: &str) -> wasmtime::Result<()> {
        if self.api_calls >= self.max_api_calls {
            self.halted = Some(RunError::ApiLimit(self.max_api_calls));
            wasmtime::bail!("potato-api call limit reached ({operation})");
        }
        self.api_calls += 1;
        tracing::trace!(probe = %self.probe, operation, "api call");
        Ok(())
    }

    /// Follows `next-page-token` for a `list-all-*` function: every page is a call (counted,
    /// capped, permitted by the same operation), and more than `max_pages` pages is an error
    /// rather than a silently short list.
    async fn all_pages<A, W, Fut>(
        &mut self,
        operation: &'static str,
        max_pages: u32,
        page: impl Fn(PotatoApi, Option<String>) -> Fut,
    ) -> Call<Vec<W>>
    where
        A: IntoWit<W>,
        Fut: std::future::Future<Output = Result<(Vec<A>, Option<String>), crate::api::ApiError>>,
    {
        if let Some(denied) = self.permitted(operation) {
            return Ok(Err(denied));
        }
        let mut items = Vec::new();
        let mut token = None;
        for _ in 0..max_pages {
            self.count_call(operation)?;
            match page(self.api.clone(), token.take()).await {
                Ok((page_items, next)) => {
                    items.extend(page_items);
                    match next {
                        Some(next) => token = Some(next),
                        None => return self.finish(Ok(items.into_wit())),
                    }
                }
                Err(e) => return self.finish(Err(e.into_wit())),
            }
        }
        self.finish(Err(wit::ApiError::ClientError(wit::HttpError {
            status: 0,
            code: "too_many_pages".into(),
            message: format!("{operation} has more than the {max_pages} pages asked for"),
        })))
    }

    /// Notes whether the call failed (so a failing `collect` can be told apart as `api_error`).
    fn finish<T>(&mut self, result: Result<T, wit::ApiError>) -> Call<T> {
        if result.is_err() {
            self.api_failures += 1;
        }
        Ok(result)
    }
}

impl potatoes::Host for RunState {
    async fn list_important_potatoes(
        &mut self,
        limit: Option<u32>,
        page_token: Option<String>,
    ) -> Call<wit::PotatoPage> {
        if let Some(denied) = self.permitted("listImportantPotatoes") {
            return Ok(Err(denied));
        }
        self.count_call("listImportantPotatoes")?;
        let result = self.api.list_important_potatoes(limit, page_token.as_deref()).await.into_wit();
        self.finish(result)
    }

    async fn get_potato(&mut self, potato_id: String) -> Call<wit::Potato> {
        if let Some(denied) = self.permitted("getPotato") {
            return Ok(Err(denied));
        }
        self.count_call("getPotato")?;
        let result = self.api.get_potato(&potato_id).await.into_wit();
        self.finish(result)
    }

    async fn list_farms(&mut self) -> Call<Vec<wit::Farm>> {
        if let Some(denied) = self.permitted("listFarms") {
            return Ok(Err(denied));
        }
        self.count_call("listFarms")?;
        let result = self.api.list_farms().await.into_wit();
        self.finish(result)
    }

    async fn list_silos(&mut self, farm_id: String) -> Call<Vec<wit::Silo>> {
        if let Some(denied) = self.permitted("listSilos") {
            return Ok(Err(denied));
        }
        self.count_call("listSilos")?;
        let result = self.api.list_silos(&farm_id).await.into_wit();
        self.finish(result)
    }

    async fn list_orders(
        &mut self,
        status: Option<wit::OrderStatus>,
        limit: Option<u32>,
        page_token: Option<String>,
    ) -> Call<wit::OrderPage> {
        if let Some(denied) = self.permitted("listOrders") {
            return Ok(Err(denied));
        }
        self.count_call("listOrders")?;
        let status = status.map(super::convert::order_status_from_wit);
        let result = self.api.list_orders(status, limit, page_token.as_deref()).await.into_wit();
        self.finish(result)
    }

    async fn get_health(&mut self) -> Call<wit::Health> {
        if let Some(denied) = self.permitted("getHealth") {
            return Ok(Err(denied));
        }
        self.count_call("getHealth")?;
        let result = self.api.get_health().await.into_wit();
        self.finish(result)
    }

    async fn list_all_important_potatoes(&mut self, max_pages: u32) -> Call<Vec<wit::Potato>> {
        self.all_pages("listImportantPotatoes", max_pages, |api, token| async move {
            let page = api.list_important_potatoes(Some(PAGE_SIZE), token.as_deref()).await?;
            Ok((page.items, page.next_page_token))
        })
        .await
    }

    async fn list_all_orders(&mut self, status: Option<wit::OrderStatus>, max_pages: u32) -> Call<Vec<wit::Order>> {
        let status = status.map(super::convert::order_status_from_wit);
        self.all_pages("listOrders", max_pages, |api, token| async move {
            let page = api.list_orders(status, Some(PAGE_SIZE), token.as_deref()).await?;
            Ok((page.items, page.next_page_token))
        })
        .await
    }

    async fn list_queues(&mut self) -> Call<Vec<wit::QueueStats>> {
        if let Some(denied) = self.permitted("listQueues") {
            return Ok(Err(denied));
        }
        self.count_call("listQueues")?;
        let result = self.api.list_queues().await.into_wit();
        self.finish(result)
    }
}

/// A probe's log line is kept to this many bytes, so one line cannot flood the host log.
const MAX_LOG_LINE: usize = 4096;

impl log::Host for RunState {
    async fn log(&mut self, level: log::Level, message: String) {
        let message = truncate(&message, MAX_LOG_LINE);
        if !self.charge_log(message.len()) {
            return;
        }
        let probe = &*self.probe;
        match level {
            log::Level::Trace => tracing::trace!(probe, "{message}"),
            log::Level::Debug => tracing::debug!(probe, "{message}"),
            log::Level::Info => tracing::info!(probe, "{message}"),
            log::Level::Warn => tracing::warn!(probe, "{message}"),
            log::Level::Error => tracing::error!(probe, "{message}"),
        }
    }
}

impl config::Host for RunState {
    async fn get(&mut self, key: String) -> Option<String> {
        self.config.get(&key).cloned()
    }

    async fn get_all(&mut self) -> Vec<(String, String)> {
        self.config.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl scratch::Host for RunState {
    async fn get(&mut self, key: String) -> Option<Vec<u8>> {
        self.scratch.get(&key).map(<[u8]>::to_vec)
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), String> {
        self.scratch.set(key, value)
    }

    async fn remove(&mut self, key: String) {
        self.scratch.remove(&key);
    }

    async fn keys(&mut self) -> Vec<String> {
        self.scratch.keys()
    }
}
