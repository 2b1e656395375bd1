//! The HTTP side: routing, bearer-token check, pagination and error bodies, as the document says.

use crate::data::Dataset;
use crate::faults::{Fault, Faults};
use crate::oauth::{OAuthClient, TokenIssuer};
use crate::traffic::Traffic;
use bytes::Bytes;
use http_body_util::Full;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use potato_api_client::types::{Error as ApiError, Health, HealthStatus, OrderPage, OrderStatus, PotatoPage};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Every response body: a full buffer, or (for the truncated-body fault) a stream.
type Body = BoxBody<Bytes, std::convert::Infallible>;

/// A body of one chunk whose length is not announced in advance (unlike `Full`).
struct Unsized(Option<Bytes>);

impl hyper::body::Body for Unsized {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.take().map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

const BASE_PATH: &str = "/api/v0";
const TOKEN_PATH: &str = "/oauth/token";
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// A running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Simulator {
    addr: SocketAddr,
    token: String,
    task: JoinHandle<()>,
    state: Arc<State>,
}

#[derive(Debug)]
struct State {
    data: Dataset,
    token: std::sync::RwLock<String>,
    started: Instant,
    faults: Faults,
    traffic: Traffic,
    issuer: TokenIssuer,
    scheme: &'static str,
}

/// The certificate and key the simulator serves HTTPS with, and optionally the CA whose client
/// certificates it requires (mutual TLS).
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub cert_pem: String,
    pub key_pem: String,
    pub client_ca_pem: Option<String>,
}

impl Simulator {
    /// Binds `addr` (port 0 picks a free one) and serves `data`, requiring `Bearer <token>`.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub async fn start(addr: SocketAddr, token: &str, data: Dataset) -> anyhow::Result<Self> {
        Self::start_with(addr, token, data, None).await
    }

    /// Like [`start`](Self::start), serving HTTPS when `tls` is given.
    ///
    /// # Errors
    /// When the address cannot be bound or the certificate, key or client CA cannot be used.
    pub async fn start_with(
        addr: SocketAddr,
        token: &str,
        data: Dataset,
        tls: Option<ServerTls>,
    ) -> anyhow::Result<Self> {
        let acceptor = tls.as_ref().map(crate::tls::acceptor).transpose()?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            data,
            token: std::sync::RwLock::new(token.to_string()),
            started: Instant::now(),
            faults: Faults::default(),
            traffic: Traffic::default(),
            issuer: TokenIssuer::default(),
            scheme: if acceptor.is_some() { "https" } else { "http" },
        });
        let task = tokio::spawn(accept_loop(listener, acceptor, state.clone()));
        Ok(Self { addr, token: token.to_string(), task, state })
    }

    /// The API's base URL, `http://ADDR/api/v0` (`https://` when serving TLS).
    pub fn base_url(&self) -> String {
        format!("{}://{}{BASE_PATH}", self.state.scheme, self.addr)
    }

    /// The OAuth2 token endpoint's URL (see [`enable_oauth2`](Self::enable_oauth2)).
    pub fn token_url(&self) -> String {
        format!("{}://{}{TOKEN_PATH}", self.state.scheme, self.addr)
    }

    /// Serves the client-credentials grant for `client_id`/`client_secret`, issuing tokens
    /// valid for `lifetime`, which the API accepts besides the fixed token.
    pub fn enable_oauth2(&self, client_id: &str, client_secret: &str, lifetime: std::time::Duration) {
        self.state.issuer.enable(OAuthClient { id: client_id.into(), secret: client_secret.into(), lifetime });
    }

    /// Invalidates every token issued so far (they get `401` from then on).
    pub fn revoke_issued_tokens(&self) {
        self.state.issuer.revoke_all();
    }

    /// How many requests the token endpoint received.
    pub fn token_requests(&self) -> u64 {
        self.state.issuer.requests()
    }

    /// The `scope` of the last successful token request.
    pub fn last_token_scope(&self) -> Option<String> {
        self.state.issuer.last_scope()
    }

    /// When each authorized request for `operation` arrived.
    pub fn arrivals(&self, operation: &str) -> Vec<Instant> {
        self.state.traffic.arrivals(operation)
    }

    /// The most authorized requests the server had in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.state.traffic.max_in_flight()
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bearer token the server accepted at start.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Accepts `token` (and no longer the previous one) from the next request on, as a
    /// service does after its credentials are rotated.
    pub fn set_token(&self, token: &str) {
        *self.state.token.write().unwrap_or_else(std::sync::PoisonError::into_inner) = token.to_string();
    }

    /// Makes `operation` (an `operationId` such as `"listFarms"`, or `"*"` for all) misbehave
    /// from the next request on; `None` heals it.
    pub fn set_fault(&self, operation: &str, fault: Option<Fault>) {
        self.state.faults.set(operation, fault);
    }

    /// How many authorized requests `operation` has received.
    pub fn requests(&self, operation: &str) -> u64 {
        self.state.traffic.arrivals(operation).len() as u64
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, acceptor: Option<tokio_rustls::TlsAcceptor>, state: Arc<State>) {
    // Connections live in this set, so stopping the simulator (aborting this task) also drops
    // its open keep-alive connections, as a real server going away would.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!("simulator accept: {e}");
                    continue;
                }
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let state = state.clone();
        let acceptor = acceptor.clone();
        connections.spawn(async move {
            let service = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(&state, req).await) }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            match acceptor {
                None => {
                    let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                }
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(tls) => {
                        let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                    }
                    // A client that does not trust us, or brings no certificate: its problem.
                    Err(e) => tracing::debug!("simulator TLS handshake: {e}"),
                },
            }
        });
    }
}

/// A refusal, rendered as the document's `Error` body.
struct Reject {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn reject(status: StatusCode, code: &'static str, message: impl Into<String>) -> Reject {
    Reject { status, code, message: message.into() }
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Body> {
    if req.uri().path() == TOKEN_PATH {
        return token_endpoint(state, req).await;
    }
    let authorized = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        let Some(presented) = v.strip_prefix("Bearer ") else { return false };
        let token = state.token.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        presented == *token || state.issuer.accepts(presented)
    });
    if !authorized {
        return error(StatusCode::UNAUTHORIZED, "unauthorized", "missing or invalid bearer token");
    }
    let operation = operation_id(req.uri().path());
    let _in_flight = state.traffic.arrive(operation);
    let normal = |state: &State| route(state, &req).unwrap_or_else(|r| error(r.status, r.code, &r.message));
    match state.faults.get(operation) {
        None => normal(state),
        Some(Fault::Latency(delay)) => {
            tokio::time::sleep(delay).await;
            normal(state)
        }
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            error(status, "injected", "injected fault")
        }
        Some(Fault::RateLimited { retry_after_secs }) => {
            let mut resp = error(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "slow down");
            resp.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            resp
        }
        Some(Fault::Unavailable { retry_after_secs }) => {
            let mut resp = error(StatusCode::SERVICE_UNAVAILABLE, "maintenance", "back soon");
            resp.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            resp
        }
        Some(Fault::MalformedJson) => respond(StatusCode::OK, b"{\"items\": [{\"id\": tru".to_vec()),
        Some(Fault::TruncatedBody) => {
            // Promise more bytes than are sent: the connection ends mid-body. The body is a
            // stream (no exact size), so hyper trusts the header and then finds the body short.
            let full = http_body_util::BodyExt::collect(normal(state).into_body()).await;
            let bytes = full.map(|b| b.to_bytes()).unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            let mut resp = Response::new(BoxBody::new(Unsized(Some(half))));
            resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            resp.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            resp
        }
        Some(Fault::HugeBody { bytes }) => {
            let mut body = Vec::with_capacity(bytes + 16);
            body.extend_from_slice(b"{\"pad\":\"");
            body.resize(bytes.saturating_sub(2).max(body.len()), b'x');
            body.extend_from_slice(b"\"}");
            respond(StatusCode::OK, body)
        }
        Some(Fault::Hang) => std::future::pending().await,
    }
}

/// `POST /oauth/token` with a form body: the client-credentials grant.
async fn token_endpoint(state: &State, req: Request<Incoming>) -> Response<Body> {
    if req.method() != Method::POST {
        let refused = error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "POST a form to the token endpoint");
        return with_allow(refused, "POST");
    }
    let authorization = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = match http_body_util::BodyExt::collect(req.into_body()).await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error(StatusCode::BAD_REQUEST, "bad_request", "unreadable body"),
    };
    let form = Query::parse(&String::from_utf8_lossy(&body));
    let (status, json) = state.issuer.answer(authorization.as_deref(), &form.0);
    respond(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), json.into_bytes())
}

/// The document's `operationId` for a request path (`"unknown"` for anything else).
fn operation_id(path: &str) -> &'static str {
    let segments: Vec<&str> = path.strip_prefix(BASE_PATH).unwrap_or("").trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["important-potatoes"] => "listImportantPotatoes",
        ["potatoes", _] => "getPotato",
        ["farms"] => "listFarms",
        ["farms", _, "silos"] => "listSilos",
        ["orders"] => "listOrders",
        ["health"] => "getHealth",
        ["queues"] => "listQueues",
        _ => "unknown",
    }
}

fn route(state: &State, req: &Request<Incoming>) -> Result<Response<Body>, Reject> {
    if req.method() != Method::GET {
        // RFC 9110: a 405 says which methods the resource has.
        return Ok(with_allow(
            error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "only GET is supported"),
            "GET",
        ));
    }
    let Some(path) = req.uri().path().strip_prefix(BASE_PATH) else {
        return Err(reject(StatusCode::NOT_FOUND, "not_found", "unknown path"));
    };
    let query = Query::parse(req.uri().query().unwrap_or(""));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let data = &state.data;
    Ok(match segments.as_slice() {
        ["important-potatoes"] => {
            let (items, next_page_token) = page(&data.potatoes, &query)?;
            json(&PotatoPage { items, next_page_token })
        }
        ["potatoes", id] => match data.potatoes.iter().find(|p| p.id == *id) {
            Some(p) => json(p),
            None => return Err(reject(StatusCode::NOT_FOUND, "not_found", format!("no potato {id}"))),
        },
        ["farms"] => json(&data.farms),
        ["farms", id, "silos"] => match data.silos_of(id) {
            Some(silos) => json(&silos),
            None => return Err(reject(StatusCode::NOT_FOUND, "not_found", format!("no farm {id}"))),
        },
        ["orders"] => {
            let status = query.get("status").map(parse_order_status).transpose()?;
            let orders: Vec<_> = data.orders.iter().filter(|o| status.is_none_or(|s| o.status == s)).cloned().collect();
            let (items, next_page_token) = page(&orders, &query)?;
            json(&OrderPage { items, next_page_token })
        }
        ["health"] => json(&Health {
            status: if data.components.iter().all(|c| c.status == HealthStatus::Ok) {
                HealthStatus::Ok
            } else {
                HealthStatus::Degraded
            },
            version: data.version.clone(),
            uptime_seconds: state.started.elapsed().as_secs() as i64,
            components: data.components.clone(),
        }),
        ["queues"] => json(&data.queues),
        _ => return Err(reject(StatusCode::NOT_FOUND, "not_found", "unknown path")),
    })
}

/// Pagination: `page_token` is an opaque cursor (here, the offset of the next item).
fn page<T: Clone>(items: &[T], query: &Query) -> Result<(Vec<T>, Option<String>), Reject> {
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(reject(StatusCode::BAD_REQUEST, "bad_request", "limit must be 1..=1000"));
            }
        },
    };
    // An empty token is the first page, as no token is (the document allows empty strings).
    let offset = match query.get("page_token") {
        None | Some("") => 0,
        // A token past the end (the list shrank since it was issued) is an empty last page.
        Some(raw) => match raw.strip_prefix("o").filter(|n| n.len() <= 9).and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n.min(items.len()),
            _ => {
                return Err(reject(StatusCode::BAD_REQUEST, "bad_request", "invalid page_token"));
            }
        },
    };
    let end = (offset + limit).min(items.len());
    let next = (end < items.len()).then(|| format!("o{end}"));
    Ok((items[offset..end].to_vec(), next))
}

fn parse_order_status(raw: &str) -> Result<OrderStatus, Reject> {
    raw.parse::<OrderStatus>()
        .map_err(|_| reject(StatusCode::BAD_REQUEST, "bad_request", format!("unknown order status {raw:?}")))
}

/// Decoded query parameters (first value wins).
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: &str) -> Self {
        Self(
            raw.split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| {
                    let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                    (percent_decode(k), percent_decode(v))
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

pub(crate) fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match bytes[i] {
            b'+' => Some(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    i += 2;
                    Some((hi * 16 + lo) as u8)
                }
                _ => None,
            },
            _ => None,
        };
        out.push(decoded.unwrap_or(bytes[i]));
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json<T: Serialize>(body: &T) -> Response<Body> {
    match serde_json::to_vec(body) {
        Ok(bytes) => respond(StatusCode::OK, bytes),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", &e.to_string()),
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = ApiError { code: code.to_string(), message: message.to_string() };
    respond(status, serde_json::to_vec(&body).unwrap_or_default())
}

fn with_allow(mut resp: Response<Body>, methods: &'static str) -> Response<Body> {
    resp.headers_mut().insert(hyper::header::ALLOW, HeaderValue::from_static(methods));
    resp
}

fn respond(status: StatusCode, body: Vec<u8>) -> Response<Body> {
    let mut resp = Response::new(BoxBody::new(Full::new(Bytes::from(body))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
