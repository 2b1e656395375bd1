//! The second test target: a small real HTTP server for `tests/openapi/shop.yaml`, on loopback,
//! that checks the bearer token and keeps every request it was sent.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// A request as the server saw it: method, path and query, the `X-Trace` header, the body.
pub type Seen = (String, String, Option<String>, String);

/// A running shop server; it stops with the test's runtime.
pub struct Shop {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

pub const TOKEN: &str = "shop-token";

fn item(id: i64, price: Value, state: Value, counts: Value) -> Value {
    json!({"id": id, "kind": "fruit", "price": price, "state": state, "seen": "2026-11-30T05:00:00Z",
           "stock": [{"warehouse": "north", "counts": counts}]})
}

fn answer(method: &str, path: &str, query: &str) -> (StatusCode, Option<Value>) {
    let has = |pair: &str| query.split('&').any(|p| p == pair);
    match (method, path) {
        ("GET", "/api/ping") => (StatusCode::NO_CONTENT, None),
        ("GET", "/api/stores/7") => (
            StatusCode::OK,
            Some(json!({"id": 7, "name": "Corner \"Shop\"", "address": {"city": "Gent", "geo": {"lat": 51.05}},
                        "opening": {"mon": "9-17", "sat": "10-12"}})),
        ),
        ("GET", "/api/stores/7/items") if has("cursor=c2") => (
            StatusCode::OK,
            Some(
                json!({"items": [item(3, json!({"mode": "per_kilo", "cents_per_kilo": 0.5}), json!("used"), json!({"a": 5}))],
                        "next": null}),
            ),
        ),
        ("GET", "/api/stores/7/items") => (
            StatusCode::OK,
            Some(json!({"items": [
                item(1, json!({"mode": "fixed", "cents": 250}), Value::Null, json!({"a": 1, "b": 2})),
                item(9_007_199_254_740_993_i64, json!({"mode": "fixed", "cents": 100}), json!("new"), json!({}))
            ], "next": "c2"})),
        ),
        ("POST", "/api/search") => {
            (StatusCode::OK, Some(json!([item(1, json!({"mode": "fixed", "cents": 1}), Value::Null, json!({}))])))
        }
        _ => (StatusCode::NOT_FOUND, Some(json!({"detail": format!("no {method} {path}")}))),
    }
}

impl Shop {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let log = log.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                        let log = log.clone();
                        async move {
                            let method = req.method().to_string();
                            let path = req.uri().path().to_string();
                            let query = req.uri().query().unwrap_or("").to_string();
                            let trace = req.headers().get("x-trace").and_then(|v| v.to_str().ok()).map(str::to_string);
                            let authorized = req.headers().get("authorization").and_then(|v| v.to_str().ok())
                                == Some(&format!("Bearer {TOKEN}"));
                            let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                            let target = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
                            log.lock().expect("lock").push((
                                method.clone(),
                                target,
                                trace,
                                String::from_utf8_lossy(&body).into(),
                            ));
                            let (status, body) = if authorized {
                                answer(&method, &path, &query)
                            } else {
                                (StatusCode::UNAUTHORIZED, Some(json!({"detail": "who are you"})))
                            };
                            let bytes = body.map(|b| serde_json::to_vec(&b).expect("json")).unwrap_or_default();
                            let mut response = Response::new(Full::new(Bytes::from(bytes)));
                            *response.status_mut() = status;
                            response.headers_mut().insert("content-type", "application/json".parse().expect("header"));
                            Ok::<_, std::convert::Infallible>(response)
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, seen }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.addr)
    }
}
