//! Conversions across the boundary: generated client types into WIT types (imports), and WIT
//! metric families into the host's [`crate::model`] (exports).

use super::bindings::potato::api::types as wit;
use super::bindings::probe_host::probe::metrics as witm;
use crate::api::ApiError;
use crate::model;
use chrono::{DateTime, Utc};
use potato_api_client::types as api;

/// Conversion of an API result into its WIT counterpart.
pub(crate) trait IntoWit<T> {
    fn into_wit(self) -> T;
}

impl<A: IntoWit<W>, W> IntoWit<Result<W, wit::ApiError>> for Result<A, ApiError> {
    fn into_wit(self) -> Result<W, wit::ApiError> {
        self.map(IntoWit::into_wit).map_err(IntoWit::into_wit)
    }
}

impl<A: IntoWit<W>, W> IntoWit<Vec<W>> for Vec<A> {
    fn into_wit(self) -> Vec<W> {
        self.into_iter().map(IntoWit::into_wit).collect()
    }
}

impl IntoWit<wit::ApiError> for ApiError {
    fn into_wit(self) -> wit::ApiError {
        match self {
            ApiError::Unauthorized(m) => wit::ApiError::Unauthorized(m),
            ApiError::NotFound(m) => wit::ApiError::NotFound(m),
            ApiError::RateLimited(s) => wit::ApiError::RateLimited(s),
            ApiError::Client { status, code, message } => {
                wit::ApiError::ClientError(wit::HttpError { status, code, message })
            }
            ApiError::Server { status, code, message } => {
                wit::ApiError::ServerError(wit::HttpError { status, code, message })
            }
            ApiError::Timeout => wit::ApiError::Timeout,
            ApiError::Transport(m) => wit::ApiError::Transport(m),
            ApiError::InvalidResponse(m) => wit::ApiError::InvalidResponse(m),
        }
    }
}

fn timestamp(t: DateTime<Utc>) -> wit::Timestamp {
    wit::Timestamp { seconds: t.timestamp(), nanoseconds: t.timestamp_subsec_nanos() }
}

impl IntoWit<wit::Potato> for api::Potato {
    fn into_wit(self) -> wit::Potato {
        wit::Potato {
            id: self.id,
            name: self.name,
            variety: match self.variety {
                api::Variety::Russet => wit::Variety::Russet,
                api::Variety::YukonGold => wit::Variety::YukonGold,
                api::Variety::Fingerling => wit::Variety::Fingerling,
                api::Variety::PurpleMajesty => wit::Variety::PurpleMajesty,
                api::Variety::KingEdward => wit::Variety::KingEdward,
                api::Variety::Other => wit::Variety::Other,
            },
            weight_grams: self.weight_grams,
            status: match self.status {
                api::PotatoStatus::Growing => wit::PotatoStatus::Growing,
                api::PotatoStatus::Harvested => wit::PotatoStatus::Harvested,
                api::PotatoStatus::Stored => wit::PotatoStatus::Stored,
                api::PotatoStatus::Shipped => wit::PotatoStatus::Shipped,
                api::PotatoStatus::Spoiled => wit::PotatoStatus::Spoiled,
            },
            farm_id: self.farm_id,
            harvested_at: self.harvested_at.map(timestamp),
            tags: self.tags,
        }
    }
}

impl IntoWit<wit::PotatoPage> for api::PotatoPage {
    fn into_wit(self) -> wit::PotatoPage {
        wit::PotatoPage { items: self.items.into_wit(), next_page_token: self.next_page_token }
    }
}

impl IntoWit<wit::Farm> for api::Farm {
    fn into_wit(self) -> wit::Farm {
        wit::Farm { id: self.id, name: self.name, region: self.region, active: self.active }
    }
}

impl IntoWit<wit::Silo> for api::Silo {
    fn into_wit(self) -> wit::Silo {
        wit::Silo {
            id: self.id,
            farm_id: self.farm_id,
            capacity_kg: self.capacity_kg,
            stored_kg: self.stored_kg,
            temperature_celsius: self.temperature_celsius,
            humidity_percent: self.humidity_percent,
            last_inspected_at: self.last_inspected_at.map(timestamp),
        }
    }
}

fn order_status_to_wit(s: api::OrderStatus) -> wit::OrderStatus {
    match s {
        api::OrderStatus::Pending => wit::OrderStatus::Pending,
        api::OrderStatus::Packed => wit::OrderStatus::Packed,
        api::OrderStatus::Shipped => wit::OrderStatus::Shipped,
        api::OrderStatus::Delivered => wit::OrderStatus::Delivered,
        api::OrderStatus::Cancelled => wit::OrderStatus::Cancelled,
    }
}

pub(crate) fn order_status_from_wit(s: wit::OrderStatus) -> api::OrderStatus {
    match s {
        wit::OrderStatus::Pending => api::OrderStatus::Pending,
        wit::OrderStatus::Packed => api::OrderStatus::Packed,
        wit::OrderStatus::Shipped => api::OrderStatus::Shipped,
        wit::OrderStatus::Delivered => api::OrderStatus::Delivered,
        wit::OrderStatus::Cancelled => api::OrderStatus::Cancelled,
    }
}

impl IntoWit<wit::Order> for api::Order {
    fn into_wit(self) -> wit::Order {
        wit::Order {
            id: self.id,
            customer: self.customer,
            status: order_status_to_wit(self.status),
            weight_kg: self.weight_kg,
            created_at: timestamp(self.created_at),
            shipped_at: self.shipped_at.map(timestamp),
            delivered_at: self.delivered_at.map(timestamp),
        }
    }
}

impl IntoWit<wit::OrderPage> for api::OrderPage {
    fn into_wit(self) -> wit::OrderPage {
        wit::OrderPage { items: self.items.into_wit(), next_page_token: self.next_page_token }
    }
}

fn health_status(s: api::HealthStatus) -> wit::HealthStatus {
    match s {
        api::HealthStatus::Ok => wit::HealthStatus::Ok,
        api::HealthStatus::Degraded => wit::HealthStatus::Degraded,
        api::HealthStatus::Down => wit::HealthStatus::Down,
    }
}

impl IntoWit<wit::ComponentHealth> for api::ComponentHealth {
    fn into_wit(self) -> wit::ComponentHealth {
        wit::ComponentHealth { name: self.name, status: health_status(self.status), latency_ms: self.latency_ms }
    }
}

impl IntoWit<wit::Health> for api::Health {
    fn into_wit(self) -> wit::Health {
        wit::Health {
            status: health_status(self.status),
            version: self.version,
            uptime_seconds: self.uptime_seconds,
            components: self.components.into_wit(),
        }
    }
}

impl IntoWit<wit::QueueStats> for api::QueueStats {
    fn into_wit(self) -> wit::QueueStats {
        wit::QueueStats {
            name: self.name,
            depth: self.depth,
            oldest_message_age_seconds: self.oldest_message_age_seconds,
            consumers: self.consumers,
        }
    }
}

/// A probe's output in the host's model (validated separately by [`crate::validate`]).
pub(crate) fn family_from_wit(f: witm::MetricFamily) -> model::MetricFamily {
    model::MetricFamily {
        name: f.name,
        help: f.help,
        unit: f.unit,
        kind: match f.metric_type {
            witm::MetricType::Gauge => model::MetricKind::Gauge,
            witm::MetricType::Counter => model::MetricKind::Counter,
            witm::MetricType::Histogram => model::MetricKind::Histogram,
        },
        samples: f
            .samples
            .into_iter()
            .map(|s| model::Sample {
                labels: s.labels.into_iter().map(|l| (l.name, l.value)).collect(),
                value: match s.value {
                    witm::SampleValue::Number(v) => model::SampleValue::Number(v),
                    witm::SampleValue::Histogram(h) => model::SampleValue::Histogram(model::Histogram {
                        buckets: h.buckets.into_iter().map(|b| (b.upper_bound, b.cumulative_count)).collect(),
                        sum: h.sum,
                        count: h.count,
                    }),
                },
            })
            .collect(),
    }
}
