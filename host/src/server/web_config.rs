//! `--web.config.file`: TLS and basic auth for the metrics server, in the format of the
//! Prometheus exporter-toolkit, so operators reuse the files they already have:
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.crt          # relative paths are relative to this file
//!   key_file: server.key
//!   client_auth_type: RequireAndVerifyClientCert   # or NoClientCert, VerifyClientCertIfGiven
//!   client_ca_file: ca.crt
//! basic_auth_users:
//!   prometheus: $2y$10$...         # bcrypt hashes
//! ```
//!
//! The file and the certificates it names are re-read when they change (checked on each new
//! connection), so rotated certificates need no restart; a change that does not load is
//! logged and the previous settings stay in force.

use base64::Engine as _;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebConfigFile {
    tls_server_config: Option<TlsFile>,
    #[serde(default)]
    basic_auth_users: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert_file: PathBuf,
    key_file: PathBuf,
    #[serde(default)]
    client_auth_type: Option<String>,
    #[serde(default)]
    client_ca_file: Option<PathBuf>,
}

/// What one version of the web config says.
#[derive(Debug)]
pub struct Loaded {
    pub tls: Option<Arc<ServerConfig>>,
    users: BTreeMap<String, String>,
}

/// The web config file, reloaded when it or its certificates change.
#[derive(Debug)]
pub struct WebConfig {
    path: PathBuf,
    state: Mutex<(Files, Arc<Loaded>)>,
    /// Credentials that verified, as keyed hashes: bcrypt is slow on purpose, and a scraper
    /// sends the same credentials every few seconds.
    verified: Mutex<HashSet<u64>>,
    hasher: RandomState,
}

impl WebConfig {
    /// Loads `path`.
    ///
    /// # Errors
    /// When the file or a certificate or key it names cannot be read or used, naming it.
    pub fn load(path: &Path) -> Result<Self, String> {
        let (files, loaded) = load(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            state: Mutex::new((files, Arc::new(loaded))),
            verified: Mutex::new(HashSet::new()),
            hasher: RandomState::new(),
        })
    }

    /// The settings in force, reloading first if a file changed since the last look.
    pub fn current(&self) -> Arc<Loaded> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = state.0.iter().any(|(file, seen)| modified(file) != *seen);
        if changed {
            match load(&self.path) {
                Ok((files, loaded)) => {
                    tracing::info!("reloaded web config {}", self.path.display());
                    *state = (files, Arc::new(loaded));
                    self.verified.lock().unwrap_or_else(PoisonError::into_inner).clear();
                }
                Err(e) => {
                    // Keep serving with what worked; try again on the next connection.
                    tracing::error!("web config not reloaded, keeping the previous one: {e}");
                    for entry in state.0.iter_mut() {
                        entry.1 = modified(&entry.0);
                    }
                }
            }
        }
        state.1.clone()
    }

    /// Whether the request's `Authorization` header is acceptable (always, without users).
    /// Runs bcrypt: call it off the async runtime's threads.
    pub fn authorized(&self, loaded: &Loaded, authorization: Option<&[u8]>) -> bool {
        if loaded.users.is_empty() {
            return true;
        }
        let Some((user, password)) = authorization.and_then(parse_basic) else { return false };
        let Some(hash) = loaded.users.get(&user) else { return false };
        let key = self.hasher.hash_one((&user, &password, hash));
        if self.verified.lock().unwrap_or_else(PoisonError::into_inner).contains(&key) {
            return true;
        }
        let ok = bcrypt::verify(&password, hash).unwrap_or(false);
        if ok {
            self.verified.lock().unwrap_or_else(PoisonError::into_inner).insert(key);
        }
        ok
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn parse_basic(header: &[u8]) -> Option<(String, String)> {
    let encoded = std::str::from_utf8(header).ok()?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

type Files = Vec<(PathBuf, Option<SystemTime>)>;

fn load(path: &Path) -> Result<(Files, Loaded), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read web config {}: {e}", path.display()))?;
    let file: WebConfigFile =
        serde_yaml::from_str(&text).map_err(|e| format!("invalid web config {}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut files = vec![(path.to_path_buf(), modified(path))];
    for (user, hash) in &file.basic_auth_users {
        if !hash.starts_with("$2") {
            return Err(format!("web config {}: the password of {user:?} is not a bcrypt hash", path.display()));
        }
    }
    let tls = match file.tls_server_config {
        None => None,
        Some(tls) => {
            let cert_file = base.join(&tls.cert_file);
            let key_file = base.join(&tls.key_file);
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_file)
                .and_then(|it| it.collect::<Result<_, _>>())
                .map_err(|e| format!("web config: cannot read certificates from {}: {e}", cert_file.display()))?;
            let key = PrivateKeyDer::from_pem_file(&key_file)
                .map_err(|e| format!("web config: cannot read the private key from {}: {e}", key_file.display()))?;
            files.push((cert_file.clone(), modified(&cert_file)));
            files.push((key_file.clone(), modified(&key_file)));
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let builder = ServerConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("web config: {e}"))?;
            let mode = tls.client_auth_type.as_deref().unwrap_or("NoClientCert");
            let builder = match (mode, &tls.client_ca_file) {
                ("NoClientCert", _) => builder.with_no_client_auth(),
                ("RequireAndVerifyClientCert" | "VerifyClientCertIfGiven", Some(ca)) => {
                    let ca_file = base.join(ca);
                    let mut roots = RootCertStore::empty();
                    for cert in CertificateDer::pem_file_iter(&ca_file)
                        .map_err(|e| format!("web config: cannot read {}: {e}", ca_file.display()))?
                    {
                        let cert = cert.map_err(|e| format!("web config: {}: {e}", ca_file.display()))?;
                        roots.add(cert).map_err(|e| format!("web config: {}: {e}", ca_file.display()))?;
                    }
                    files.push((ca_file.clone(), modified(&ca_file)));
                    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                    let verifier =
                        if mode == "VerifyClientCertIfGiven" { verifier.allow_unauthenticated() } else { verifier };
                    builder.with_client_cert_verifier(verifier.build().map_err(|e| format!("web config: {e}"))?)
                }
                (mode @ ("RequireAndVerifyClientCert" | "VerifyClientCertIfGiven"), None) => {
                    return Err(format!("web config {}: client_auth_type {mode} needs client_ca_file", path.display()));
                }
                (other, _) => {
                    return Err(format!(
                        "web config {}: client_auth_type {other:?} is not supported (NoClientCert, \
                         RequireAndVerifyClientCert, VerifyClientCertIfGiven)",
                        path.display()
                    ));
                }
            };
            let mut config = builder.with_single_cert(certs, key).map_err(|e| {
                format!("web config: certificate {} and key {}: {e}", cert_file.display(), key_file.display())
            })?;
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Some(Arc::new(config))
        }
    };
    Ok((files, Loaded { tls, users: file.basic_auth_users }))
}
