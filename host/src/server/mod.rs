//! The HTTP server (hyper 1): `/metrics`, `/healthz`, `/readyz` and a landing page at `/`.

use crate::exposition;
use crate::reload::ReloadOutcome;
use crate::status::ProbeTable;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{
    ACCEPT, ACCEPT_ENCODING, ALLOW, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue, RETRY_AFTER, VARY,
    WWW_AUTHENTICATE,
};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// A scraper that stalls mid-request must not hold a connection (and a task) forever.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Requests are GETs: their head never needs more than this (hyper answers 431 past it), and
/// bodies are never read.
const MAX_REQUEST_HEAD_BYTES: usize = 16 * 1024;

mod web_config;

pub use web_config::WebConfig;

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Where the metrics are served (`--web.telemetry-path`, default `/metrics`).
    pub telemetry_path: String,
    /// TLS and basic auth (`--web.config.file`).
    pub web_config: Option<Arc<WebConfig>>,
    /// Where `POST /-/reload` sends its request (`None`: the endpoint answers 404).
    pub reload: Option<tokio::sync::mpsc::Sender<crate::reload::ReloadRequest>>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self { telemetry_path: "/metrics".into(), web_config: None, reload: None }
    }
}

/// A client has this long to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves until the task is dropped or aborted.
pub async fn serve(listener: TcpListener, exposition: Arc<exposition::Exposition>, settings: ServerSettings) {
    let settings = Arc::new(settings);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let exposition = exposition.clone();
        let settings = settings.clone();
        tokio::spawn(async move {
            let loaded = settings.web_config.as_ref().map(|w| w.current());
            let tls = loaded.as_ref().and_then(|l| l.tls.clone());
            let service = service_fn(move |req| {
                let exposition = exposition.clone();
                let settings = settings.clone();
                let loaded = loaded.clone();
                async move {
                    if let (Some(web), Some(loaded)) = (settings.web_config.clone(), loaded) {
                        let auth = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes().to_vec());
                        let ok = tokio::task::spawn_blocking(move || web.authorized(&loaded, auth.as_deref()))
                            .await
                            .unwrap_or(false);
                        if !ok {
                            let mut resp = text(StatusCode::UNAUTHORIZED, "unauthorized\n");
                            resp.headers_mut()
                                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"probe-host\""));
                            return Ok::<_, std::convert::Infallible>(resp);
                        }
                    }
                    if req.uri().path() == RELOAD_PATH {
                        return Ok(reload(&settings, req.method()).await);
                    }
                    Ok::<_, std::convert::Infallible>(handle(&exposition, &settings, &req))
                }
            });
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .max_buf_size(MAX_REQUEST_HEAD_BYTES);
            let result = match tls {
                Some(config) => {
                    let accept = tokio_rustls::TlsAcceptor::from(config).accept(stream);
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
                        Ok(Ok(tls_stream)) => builder.serve_connection(TokioIo::new(tls_stream), service).await,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, "TLS handshake failed: {e}");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    }
                }
                None => builder.serve_connection(TokioIo::new(stream), service).await,
            };
            if let Err(e) = result {
                tracing::debug!(%peer, "connection ended: {e}");
            }
        });
    }
}

/// Where a configuration reload is requested, as in Prometheus.
const RELOAD_PATH: &str = "/-/reload";

/// `POST /-/reload` (or `PUT`): reloads the configuration; 200 when it was applied, 500 with
/// the reason when it was rejected (the running configuration stays).
async fn reload(settings: &ServerSettings, method: &Method) -> Response<Full<Bytes>> {
    if method != Method::POST && method != Method::PUT {
        return not_allowed("POST, PUT", "POST to reload the configuration\n");
    }
    let Some(requests) = &settings.reload else {
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    if requests.send(reply).await.is_err() {
        return text(StatusCode::SERVICE_UNAVAILABLE, "the reloader is not running\n");
    }
    match answer.await {
        Ok(ReloadOutcome::Applied { restart_needed }) if restart_needed.is_empty() => {
            text(StatusCode::OK, "configuration reloaded\n")
        }
        Ok(ReloadOutcome::Applied { restart_needed }) => respond(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            format!("configuration reloaded; changes to {} take effect after a restart\n", restart_needed.join(", "))
                .into_bytes(),
        ),
        Ok(ReloadOutcome::Rejected(e)) => respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            format!("failed to reload the configuration: {e}\n").into_bytes(),
        ),
        Ok(ReloadOutcome::Starting) => {
            let mut resp = text(
                StatusCode::SERVICE_UNAVAILABLE,
                "not reloaded: the first load of the probes is under way; try again when it is done\n",
            );
            resp.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("5"));
            resp
        }
        Err(_) => text(StatusCode::SERVICE_UNAVAILABLE, "the reloader stopped\n"),
    }
}

fn handle(
    exposition: &exposition::Exposition,
    settings: &ServerSettings,
    req: &Request<Incoming>,
) -> Response<Full<Bytes>> {
    let table = exposition.table();
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return not_allowed("GET, HEAD", "only GET and HEAD are supported\n");
    }
    match req.uri().path() {
        path if path == settings.telemetry_path => {
            let accept = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok());
            let format = exposition::negotiate(accept);
            let body = exposition.snapshot(format);
            if accepts_gzip(req) {
                let mut resp = respond(StatusCode::OK, format.content_type(), body.gzip());
                resp.headers_mut().insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                resp.headers_mut().insert(VARY, HeaderValue::from_static("Accept-Encoding"));
                return resp;
            }
            let mut resp = respond(StatusCode::OK, format.content_type(), body.text().into_bytes());
            resp.headers_mut().insert(VARY, HeaderValue::from_static("Accept-Encoding"));
            resp
        }
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/readyz" => {
            if table.ready() {
                text(StatusCode::OK, "ready\n")
            } else {
                text(StatusCode::SERVICE_UNAVAILABLE, "not ready: some probes have not run yet\n")
            }
        }
        "/" => respond(
            StatusCode::OK,
            "text/html; charset=utf-8",
            landing_page(table, &settings.telemetry_path).into_bytes(),
        ),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Whether the client lists gzip (with a non-zero quality) in `Accept-Encoding`.
fn accepts_gzip(req: &Request<Incoming>) -> bool {
    req.headers().get_all(ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let q = parts.find_map(|p| p.strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && q > 0.0
        },
    )
}

/// 405 with the `Allow` header RFC 9110 requires on it.
fn not_allowed(allow: &'static str, body: &'static str) -> Response<Full<Bytes>> {
    let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, body);
    resp.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
    resp
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    respond(status, "text/plain; charset=utf-8", body.as_bytes().to_vec())
}

fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn landing_page(table: &ProbeTable, telemetry_path: &str) -> String {
    let mut rows = String::new();
    for slot in table.slots() {
        let s = slot.status();
        let state = if s.load_error.is_some() {
            "load failed"
        } else if s.up() {
            "up"
        } else if s.settled() {
            "down"
        } else {
            "starting"
        };
        let mut error = s.load_error.as_deref().or(s.last_error.as_deref()).unwrap_or("").to_string();
        if let Some(refused) = &s.update_error {
            error = format!("newer version refused (this one keeps running): {refused}\n{error}");
        }
        let source = match &slot.digest {
            Some(d) => format!("{} ({})", slot.source, d.get(..19).unwrap_or(d)),
            None => slot.source.clone(),
        };
        let last = s.last_duration.map(|d| format!("{:.1} ms", d.as_secs_f64() * 1e3)).unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{:?}</td><td>{}</td><td><pre>{}</pre></td></tr>\n",
            html(&slot.name),
            html(&source),
            state.replace(' ', "-"),
            state,
            slot.interval,
            last,
            html(error.trim_end()),
        ));
    }
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>probe-host</title>\
         <style>body{{font-family:sans-serif}}td,th{{padding:4px 8px;text-align:left;vertical-align:top}}\
         .up{{color:green}}.down,.load-failed{{color:#b00}}pre{{margin:0;white-space:pre-wrap}}</style></head>\
         <body><h1>probe-host {}</h1><p><a href=\"{}\">metrics</a> · <a href=\"/readyz\">/readyz</a> · \
         <a href=\"/healthz\">/healthz</a></p>\n<table><tr><th>probe</th><th>source</th><th>state</th>\
         <th>interval</th><th>last run</th><th>last error</th></tr>\n{rows}</table></body></html>\n",
        env!("CARGO_PKG_VERSION"),
        html(telemetry_path),
    )
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
