//! Credentials owned by the host: OAuth2 client credentials against the simulator's token
//! endpoint (fetch, refresh before expiry, 401 retry, failures), TLS to the target (private CA,
//! client certificate), and no credential in the logs or in what a probe receives.

use crate::support::pki::Pki;
use crate::support::potatoes::Potatoes;
use crate::support::{self, Host, TempDir};
use probe_host::api::{ApiError, ApiSettings, Auth, OAuth2Settings, PotatoApi, TlsSettings, TokenSource};
use std::time::Duration;

const CLIENT_ID: &str = "probe-host";
const SECRET: &str = "s3cret-never-logged";

fn oauth_client(sim: &potato_sim::Simulator, secret: &str) -> Potatoes {
    let mut settings = ApiSettings::new(sim.base_url(), None);
    settings.auth = Some(Auth::OAuth2(OAuth2Settings {
        token_url: sim.token_url(),
        client_id: CLIENT_ID.into(),
        client_secret: TokenSource::Fixed(secret.into()),
        scopes: vec!["potatoes:read".into(), "orders:read".into()],
    }));
    // Every call a request of its own, so each one exercises the token.
    settings.share_window = Duration::ZERO;
    Potatoes::new(PotatoApi::new(&settings).expect("client"))
}

#[tokio::test]
async fn oauth2_tokens_are_fetched_cached_refreshed_before_expiry_and_renewed_after_a_401() {
    let sim = support::simulator().await;
    sim.enable_oauth2(CLIENT_ID, SECRET, Duration::from_secs(3));
    let api = oauth_client(&sim, SECRET);

    // First call: one token request, with the scopes; later calls reuse the token.
    for _ in 0..5 {
        assert_eq!(api.list_farms().await.expect("farms").len(), 6);
    }
    assert_eq!(sim.token_requests(), 1);
    assert_eq!(sim.last_token_scope().as_deref(), Some("potatoes:read orders:read"));

    // Past 80 % of the 3 s lifetime but before expiry: a new token is fetched first, so no
    // request ever carries an expired one (the simulator would answer 401).
    tokio::time::sleep(Duration::from_millis(2600)).await;
    assert_eq!(api.list_farms().await.expect("farms").len(), 6);
    assert_eq!(sim.token_requests(), 2, "refreshed before expiry");

    // The identity provider revokes its tokens early: the API answers 401, the host fetches a
    // new token and retries once; the caller sees only success.
    sim.revoke_issued_tokens();
    assert_eq!(api.list_farms().await.expect("retried with a fresh token").len(), 6);
    assert_eq!(sim.token_requests(), 3);

    let stats = api.stats().snapshot();
    let farms = &stats.operations["listFarms"];
    assert_eq!(farms.responses.get("401"), Some(&1), "{:?}", farms.responses);
    assert_eq!(farms.responses.get("200"), Some(&7), "{:?}", farms.responses);
    assert_eq!(farms.calls, 7, "the retry is a request, not a call");
    assert_eq!((stats.token_refreshes, stats.token_refresh_failures), (3, 0));
}

#[tokio::test]
async fn a_refused_client_secret_is_an_unauthorized_error_that_names_the_endpoint_not_the_secret() {
    let sim = support::simulator().await;
    sim.enable_oauth2(CLIENT_ID, SECRET, Duration::from_secs(60));
    let wrong = "wrong-secret-also-secret";
    let api = oauth_client(&sim, wrong);
    let err = api.list_farms().await.expect_err("refused");
    let ApiError::Unauthorized(message) = &err else { panic!("{err:?}") };
    assert!(message.contains(&sim.token_url()) && message.contains("invalid_client"), "{message}");
    assert!(!message.contains(wrong) && !message.contains(SECRET), "{message}");
    assert_eq!(sim.requests("listFarms"), 0, "no API request without a token");
    // Failures are held for a moment instead of hammering the token endpoint.
    let _ = api.list_farms().await;
    assert_eq!(sim.token_requests(), 1);
    assert_eq!(api.stats().snapshot().token_refresh_failures, 1);
}

#[tokio::test]
async fn no_credential_reaches_the_log_or_a_probe() {
    let sim = support::simulator().await;
    sim.enable_oauth2(CLIENT_ID, SECRET, Duration::from_secs(2));
    let dir = TempDir::new("oauth-host");
    let secret_file = dir.path().join("client-secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).expect("secret");
    let mut config = format!(
        "[api]\nbase_url = \"{}\"\n[api.oauth2]\ntoken_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n\
         client_secret_file = \"{}\"\nscopes = [\"potatoes:read\"]\n",
        sim.base_url(),
        sim.token_url(),
        secret_file.display()
    );
    config += &support::probe_entry("silos", &support::probe("silos"), "");
    // This probe formats any api-error it receives into its own error, which the host logs.
    config += &support::probe_entry("misbehave", &support::probe("misbehave"), "config = { mode = \"get-potato\" }");
    let host = Host::start_with(&config, &["--log.level", "debug"]);
    host.wait_ready().await;
    let runs = |s: &support::exposition::Scrape| s.value("probe_host_api_token_refreshes_total", &[]);
    host.wait_for("a token refresh", |s| runs(s) >= 2.0).await;
    // Revoke: the next calls get 401 and are retried with a new token.
    sim.revoke_issued_tokens();
    let before = sim.token_requests();
    host.wait_for("a renewal after the revocation", |s| runs(s) >= before as f64 + 1.0).await;
    // A wrong secret: probes receive `unauthorized` errors.
    std::fs::write(&secret_file, "rotated-but-wrong-secret\n").expect("secret");
    sim.revoke_issued_tokens();
    let scrape = host
        .wait_for("failing refreshes", |s| s.value("probe_host_api_token_refresh_failures_total", &[]) >= 1.0)
        .await;
    assert!(scrape.value("probe_host_api_requests_total", &[("operation", "getPotato"), ("code", "200")]) >= 1.0);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let log = host.log();
    assert!(log.contains("unauthorized") || log.contains("Unauthorized"), "the probe saw the failure:\n{log}");
    for secret in [SECRET, "rotated-but-wrong-secret", "sim-oauth-", "Bearer "] {
        assert!(!log.contains(secret), "{secret:?} appears in the log:\n{log}");
    }
}

fn tls_client(sim: &potato_sim::Simulator, tls: TlsSettings) -> Result<Potatoes, String> {
    let mut settings = ApiSettings::new(sim.base_url(), Some(sim.token().to_string()));
    settings.tls = tls;
    settings.timeout = Duration::from_secs(5);
    PotatoApi::new(&settings).map(Potatoes::new).map_err(|e| format!("{e:#}"))
}

#[tokio::test]
async fn https_targets_with_a_private_ca_and_a_client_certificate() {
    let dir = TempDir::new("target-tls");
    let d = dir.path();
    let pki = Pki::new(d);
    pki.issue(d, "server", "potato-api", false);
    pki.issue(d, "client", "probe-host", true);
    let read = |name: &str| std::fs::read_to_string(d.join(name)).expect("pem");
    let tls = potato_sim::ServerTls {
        cert_pem: read("server.crt"),
        key_pem: read("server.key"),
        client_ca_pem: Some(read("ca.crt")),
    };
    let sim = potato_sim::Simulator::start_with(
        "127.0.0.1:0".parse().expect("addr"),
        support::TOKEN,
        potato_sim::Dataset::generate(potato_sim::DEFAULT_SEED),
        Some(tls),
    )
    .await
    .expect("https simulator");
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));

    let full = TlsSettings {
        ca_file: Some(d.join("ca.crt")),
        cert_file: Some(d.join("client.crt")),
        key_file: Some(d.join("client.key")),
        insecure_skip_verify: false,
    };
    let api = tls_client(&sim, full.clone()).expect("client");
    assert_eq!(api.list_farms().await.expect("farms over mutual TLS").len(), 6);

    // Checks are on by default: the system CAs do not know the private CA.
    let system = tls_client(&sim, TlsSettings::default()).expect("client");
    let err = system.list_farms().await.expect_err("untrusted");
    assert!(matches!(&err, ApiError::Transport(m) if m.contains("certificate")), "{err:?}");
    // The server requires a client certificate.
    let anonymous = tls_client(&sim, TlsSettings { cert_file: None, key_file: None, ..full.clone() }).expect("client");
    assert!(matches!(anonymous.list_farms().await, Err(ApiError::Transport(_))));
    // Bad files are named.
    let missing = tls_client(&sim, TlsSettings { ca_file: Some(d.join("nope.pem")), ..full.clone() });
    assert!(missing.as_ref().is_err_and(|e| e.contains("nope.pem")), "{:?}", missing.err());
    let not_pem = tls_client(&sim, TlsSettings { ca_file: Some(d.join("server.key")), ..full });
    assert!(not_pem.as_ref().is_err_and(|e| e.contains("server.key")), "{:?}", not_pem.err());
}
