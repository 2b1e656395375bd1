//! The potato-api's operations called the way a probe's calls reach the API: by the function
//! its document maps to, through the host's access layer (`HttpCaller`), the answer read into
//! the simulator's own types for exact comparison.

use potato_api_client::types;
use potato_api_client::wit::model::Function;
use probe_host::api::{ApiError, ApiStats, HttpCaller, PotatoApi};
use probe_host::engine::{Call, Caller};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

/// A potato-api client made of the host's document path.
#[derive(Clone)]
pub struct Potatoes {
    api: PotatoApi,
    caller: Arc<HttpCaller>,
    functions: Arc<Vec<Function>>,
}

impl Potatoes {
    pub fn new(api: PotatoApi) -> Self {
        let document = potato_api_client::wit::potato().expect("the built-in document maps");
        Self {
            caller: Arc::new(HttpCaller::new(api.clone(), &document.api)),
            functions: Arc::new(document.api.functions.clone()),
            api,
        }
    }

    pub fn stats(&self) -> Arc<ApiStats> {
        self.api.stats()
    }

    /// Calls `function` with `args` by parameter name (the others absent).
    pub async fn call<T: DeserializeOwned>(&self, function: &str, args: &[(&str, Value)]) -> Result<T, ApiError> {
        let f = self.functions.iter().find(|f| f.name == function).expect("a function of the document");
        let values: Vec<Value> = f
            .params
            .iter()
            .map(|p| args.iter().find(|(n, _)| *n == p.name).map_or(Value::Null, |(_, v)| v.clone()))
            .collect();
        let body =
            self.caller.call(Call { probe: "test", function: f, args: &values, body: None }).await?.expect("a body");
        // As the engine reads a body that is not JSON of the schema's shape.
        serde_json::from_slice(&body).map_err(|e| ApiError::InvalidResponse(e.to_string()))
    }

    pub async fn list_important_potatoes(
        &self,
        limit: Option<u32>,
        page_token: Option<&str>,
    ) -> Result<types::PotatoPage, ApiError> {
        self.call("list-important-potatoes", &[("limit", json!(limit)), ("page-token", json!(page_token))]).await
    }

    pub async fn get_potato(&self, id: &str) -> Result<types::Potato, ApiError> {
        self.call("get-potato", &[("potato-id", json!(id))]).await
    }

    pub async fn list_farms(&self) -> Result<Vec<types::Farm>, ApiError> {
        self.call("list-farms", &[]).await
    }

    pub async fn list_silos(&self, farm_id: &str) -> Result<Vec<types::Silo>, ApiError> {
        self.call("list-silos", &[("farm-id", json!(farm_id))]).await
    }

    pub async fn list_queues(&self) -> Result<Vec<types::QueueStats>, ApiError> {
        self.call("list-queues", &[]).await
    }

    pub async fn get_health(&self) -> Result<types::Health, ApiError> {
        self.call("get-health", &[]).await
    }

    pub async fn list_orders(
        &self,
        status: Option<types::OrderStatus>,
        limit: Option<u32>,
        page_token: Option<&str>,
    ) -> Result<types::OrderPage, ApiError> {
        let status = status.map(|s| serde_json::to_value(s).expect("a status"));
        self.call(
            "list-orders",
            &[("status", json!(status)), ("limit", json!(limit)), ("page-token", json!(page_token))],
        )
        .await
    }
}
