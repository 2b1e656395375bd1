//! OCI registries: probes published as Wasm OCI artifacts (config
//! `application/vnd.wasm.config.v0+json`, one `application/wasm` layer), pulled with every
//! digest verified and kept in a content-addressed cache, so a restart works while the
//! registry is away; and `probe-host push`, so teams need no other tool.
//!
//! Cache layout (under `<cache_dir>/oci/`):
//! - `blobs/sha256/<hex>`: component bytes, named by their digest (checked again when read);
//! - `manifests/sha256/<hex>`: the layer digest a manifest points to;
//! - `tags/<registry>/<repository>/<tag>`: the manifest digest the tag last resolved to.

use super::{Fetched, sha256_digest};
use crate::errors::error_chain;
use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciImageManifest};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The Wasm OCI artifact's config media type (CNCF TAG Runtime "Wasm OCI Artifact" layout).
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The component layer's media type.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";

/// `REGISTRY/REPOSITORY[:TAG][@sha256:HEX]`, as written after `oci://`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRef {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    /// A pinned manifest digest: the pull fails unless the registry serves exactly this.
    pub digest: Option<String>,
}

impl OciRef {
    /// Parses a reference without its `oci://` prefix.
    ///
    /// # Errors
    /// When the registry, repository, tag or digest is missing or malformed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest.to_string())),
            None => (text, None),
        };
        if let Some(d) = &digest {
            let hex = d.strip_prefix("sha256:").ok_or("the digest must be sha256:<64 hex digits>")?;
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
                return Err("the digest must be sha256:<64 lowercase hex digits>".into());
            }
        }
        let (registry, path) = rest.split_once('/').ok_or("expected REGISTRY/REPOSITORY[:TAG][@DIGEST]")?;
        // A tag follows the last ':' after the last '/' (the registry may carry a port).
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) => (repo, Some(tag.to_string())),
            None => (path, None),
        };
        if registry.is_empty() || repository.is_empty() {
            return Err("expected REGISTRY/REPOSITORY[:TAG][@DIGEST]".into());
        }
        let valid_repo = repository.split('/').all(|part| {
            !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        });
        if !valid_repo {
            return Err(format!("repository {repository:?}: lowercase letters, digits, '.', '_', '-' and '/' only"));
        }
        if let Some(t) = &tag {
            let ok =
                !t.is_empty() && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !ok {
                return Err(format!("tag {t:?}: letters, digits, '.', '_' and '-' only"));
            }
        }
        if tag.is_none() && digest.is_none() {
            return Err("give a tag (:TAG) or a digest (@sha256:…)".into());
        }
        Ok(Self { registry: registry.into(), repository: repository.into(), tag, digest })
    }

    fn reference(&self) -> Reference {
        match (&self.tag, &self.digest) {
            (_, Some(d)) => Reference::with_digest(self.registry.clone(), self.repository.clone(), d.clone()),
            (Some(t), None) => Reference::with_tag(self.registry.clone(), self.repository.clone(), t.clone()),
            (None, None) => Reference::with_tag(self.registry.clone(), self.repository.clone(), "latest".into()),
        }
    }

    /// Whether the registry is this machine: spoken to over plain HTTP, as Docker does.
    fn is_loopback(&self) -> bool {
        let host = self.registry.rsplit_once(':').map_or(self.registry.as_str(), |(h, _)| h);
        matches!(host, "localhost" | "127.0.0.1" | "[::1]")
    }
}

impl fmt::Display for OciRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Registry access settings.
#[derive(Debug, Clone, Default)]
pub struct OciSettings {
    /// Pulled components are kept under `<cache_dir>/oci`; `None`: no offline start.
    pub cache_dir: Option<PathBuf>,
    /// Registries (`host:port`) spoken to over plain HTTP besides loopback ones.
    pub insecure_registries: Vec<String>,
}

/// Pulls (and pushes) Wasm OCI artifacts.
pub struct Puller {
    settings: OciSettings,
    /// One client per registry: each keeps that registry's bearer tokens.
    clients: Mutex<HashMap<String, Client>>,
}

impl fmt::Debug for Puller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Puller").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// Why a pull failed. A digest mismatch is never answered from the cache; the other two are,
/// when it has the reference's component.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PullError {
    /// A digest on the way (pinned, manifest or layer) does not match what was served.
    #[error("{0}")]
    Mismatch(String),
    /// The registry refused the credentials (401/403, or no token for them): revoked or
    /// wrong, not a registry that is away.
    #[error("authorization failure: {0} (check the registry credentials)")]
    Unauthorized(String),
    /// The registry could not be reached or answered with something unusable.
    #[error("{0}")]
    Other(String),
}

impl Puller {
    pub fn new(settings: OciSettings) -> Self {
        // oci-client's reqwest is built without a default crypto provider: use ring.
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
        Self { settings, clients: Mutex::new(HashMap::new()) }
    }

    fn client(&self, r: &OciRef) -> Client {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        clients
            .entry(r.registry.clone())
            .or_insert_with(|| {
                let plain = r.is_loopback() || self.settings.insecure_registries.contains(&r.registry);
                Client::new(ClientConfig {
                    protocol: if plain { ClientProtocol::Http } else { ClientProtocol::Https },
                    connect_timeout: Some(std::time::Duration::from_secs(10)),
                    read_timeout: Some(std::time::Duration::from_secs(60)),
                    ..ClientConfig::default()
                })
            })
            .clone()
    }

    fn cache(&self) -> Option<PathBuf> {
        self.settings.cache_dir.as_ref().map(|d| d.join("oci"))
    }

    /// The component `r` names, verified against every digest on the way.
    ///
    /// # Errors
    /// A pinned digest that does not match, an artifact that is not a Wasm component, or an
    /// unreachable registry with nothing usable in the cache.
    pub async fn pull(&self, r: &OciRef) -> Result<Fetched, PullError> {
        match self.pull_from_registry(r).await {
            Ok(fetched) => Ok(fetched),
            Err(e @ PullError::Mismatch(_)) => Err(e),
            Err(e @ PullError::Unauthorized(_)) => match self.cached(r) {
                Some(mut fetched) => {
                    tracing::error!(reference = %r, digest = %fetched.digest, "{e}; using the cached component");
                    fetched.warning = Some(e.to_string());
                    Ok(fetched)
                }
                None => Err(e),
            },
            Err(e @ PullError::Other(_)) => match self.cached(r) {
                Some(fetched) => {
                    tracing::warn!(reference = %r, digest = %fetched.digest, "registry unavailable ({e}); using the cached component");
                    Ok(fetched)
                }
                None => Err(e),
            },
        }
    }

    async fn pull_from_registry(&self, r: &OciRef) -> Result<Fetched, PullError> {
        let client = self.client(r);
        let reference = r.reference();
        let auth = registry_auth(&r.registry);
        let other = |what: &str, e: &dyn std::fmt::Display| PullError::Other(format!("{what}: {e}"));
        let (raw, _) = client
            .pull_manifest_raw(&reference, &auth, &[OCI_IMAGE_MEDIA_TYPE])
            .await
            .map_err(|e| classify(&format!("cannot fetch the manifest from {}", r.registry), &e))?;
        let manifest_digest = sha256_digest(&raw);
        if let Some(pinned) = &r.digest
            && *pinned != manifest_digest
        {
            return Err(PullError::Mismatch(format!(
                "digest mismatch: pinned {pinned}, the registry served a manifest with digest {manifest_digest}"
            )));
        }
        let manifest: OciImageManifest =
            serde_json::from_slice(&raw).map_err(|e| other("the manifest is not an OCI image manifest", &e))?;
        let layer = wasm_layer(&manifest).map_err(PullError::Other)?;
        let fetched = match self.cached_blob(&layer.digest) {
            Some(f) => f,
            None => {
                let mut bytes = Vec::with_capacity(usize::try_from(layer.size).unwrap_or(0));
                client
                    .pull_blob(&reference, layer, &mut bytes)
                    .await
                    .map_err(|e| classify("cannot fetch the component", &e))?;
                let fetched = Fetched::new(bytes);
                if fetched.digest != layer.digest {
                    return Err(PullError::Mismatch(format!(
                        "digest mismatch: the manifest names layer {}, the registry sent {}",
                        layer.digest, fetched.digest
                    )));
                }
                fetched
            }
        };
        self.remember(r, &manifest_digest, &fetched);
        Ok(Fetched { manifest_digest: Some(manifest_digest), ..fetched })
    }

    /// Keeps the component and how `r` resolved, for a start without the registry.
    fn remember(&self, r: &OciRef, manifest_digest: &str, fetched: &Fetched) {
        let Some(cache) = self.cache() else { return };
        let write = |path: PathBuf, bytes: &[u8]| -> std::io::Result<()> {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            // Write aside and rename, so a crash never leaves a half-written entry.
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &path)
        };
        let blob = blob_path(&cache, &fetched.digest);
        let mut result = if blob.exists() { Ok(()) } else { write(blob, &fetched.bytes) };
        if let Some(path) = digest_path(&cache.join("manifests"), manifest_digest) {
            result = result.and_then(|()| write(path, fetched.digest.as_bytes()));
        }
        if let Some(tag) = &r.tag {
            let path = cache.join("tags").join(sanitize(&r.registry)).join(&r.repository).join(tag);
            result = result.and_then(|()| write(path, manifest_digest.as_bytes()));
        }
        if let Err(e) = result {
            tracing::warn!(reference = %r, "cannot write the OCI cache under {}: {e}", cache.display());
        }
    }

    fn cached(&self, r: &OciRef) -> Option<Fetched> {
        let cache = self.cache()?;
        let manifest_digest = match (&r.digest, &r.tag) {
            (Some(d), _) => d.clone(),
            (None, Some(tag)) => {
                let path = cache.join("tags").join(sanitize(&r.registry)).join(&r.repository).join(tag);
                std::fs::read_to_string(path).ok()?.trim().to_string()
            }
            (None, None) => return None,
        };
        let layer = std::fs::read_to_string(digest_path(&cache.join("manifests"), &manifest_digest)?).ok()?;
        let fetched = self.cached_blob(layer.trim())?;
        Some(Fetched { manifest_digest: Some(manifest_digest), ..fetched })
    }

    /// A cached blob, if present and still matching its name.
    fn cached_blob(&self, digest: &str) -> Option<Fetched> {
        let path = blob_path(&self.cache()?, digest);
        let fetched = Fetched::new(std::fs::read(&path).ok()?);
        if fetched.digest == digest {
            Some(fetched)
        } else {
            tracing::warn!("cached blob {} does not match its digest: ignoring it", path.display());
            None
        }
    }

    /// Publishes `component` as `r` with the standard annotations; returns the manifest digest.
    ///
    /// # Errors
    /// When the registry refuses the upload or cannot be reached.
    pub async fn push(&self, r: &OciRef, component: Vec<u8>, info: &PushInfo) -> Result<String, String> {
        let layer_digest = sha256_digest(&component);
        let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let config = serde_json::json!({
            "created": created,
            "architecture": "wasm",
            "os": "wasip2",
            "layerDigests": [layer_digest],
            "component": { "imports": info.imports, "exports": info.exports, "target": info.world },
        });
        let config = Config {
            data: serde_json::to_vec(&config).map_err(|e| e.to_string())?.into(),
            media_type: WASM_CONFIG_MEDIA_TYPE.into(),
            annotations: None,
        };
        let layer = ImageLayer::new(component, WASM_LAYER_MEDIA_TYPE.into(), None);
        let mut annotations = BTreeMap::new();
        annotations.insert("org.opencontainers.image.created".to_string(), created);
        annotations.insert("org.opencontainers.image.title".to_string(), info.title.clone());
        annotations.insert("org.opencontainers.image.version".to_string(), env!("CARGO_PKG_VERSION").to_string());
        annotations
            .insert("org.opencontainers.image.description".to_string(), format!("probe-host probe ({})", info.world));
        let mut manifest = OciImageManifest::build(std::slice::from_ref(&layer), &config, Some(annotations));
        manifest.media_type = Some(OCI_IMAGE_MEDIA_TYPE.into());
        manifest.artifact_type = Some(WASM_CONFIG_MEDIA_TYPE.into());
        let client = self.client(r);
        let reference = r.reference();
        let auth = registry_auth(&r.registry);
        client
            .push(&reference, &[layer], config, &auth, Some(manifest))
            .await
            .map_err(|e| format!("push to {}: {}", r.registry, error_chain(&e)))?;
        client
            .fetch_manifest_digest(&reference, &auth)
            .await
            .map_err(|e| format!("pushed, but cannot read back the digest: {}", error_chain(&e)))
    }
}

/// Content that does not match its digest is a mismatch (never answered from the cache);
/// anything else may be the registry being away.
fn classify(what: &str, e: &oci_client::errors::OciDistributionError) -> PullError {
    use oci_client::errors::{DigestError, OciDistributionError, OciErrorCode};
    match e {
        OciDistributionError::DigestError(DigestError::VerificationError { expected, actual }) => {
            PullError::Mismatch(format!("digest mismatch: expected {expected}, the registry served {actual}"))
        }
        OciDistributionError::AuthenticationFailure(_) | OciDistributionError::UnauthorizedError { .. } => {
            PullError::Unauthorized(format!("{what}: {}", error_chain(e)))
        }
        OciDistributionError::ServerError { code: 401 | 403, .. } => {
            PullError::Unauthorized(format!("{what}: {}", error_chain(e)))
        }
        OciDistributionError::RegistryError { envelope, .. }
            if envelope.errors.iter().any(|x| matches!(x.code, OciErrorCode::Unauthorized | OciErrorCode::Denied)) =>
        {
            PullError::Unauthorized(format!("{what}: {}", error_chain(e)))
        }
        _ => PullError::Other(format!("{what}: {}", error_chain(e))),
    }
}

/// What `push` writes into the artifact's config and annotations.
#[derive(Debug, Clone)]
pub struct PushInfo {
    pub title: String,
    pub world: String,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
}

/// The one `application/wasm` layer of a Wasm OCI artifact.
fn wasm_layer(manifest: &OciImageManifest) -> Result<&oci_client::manifest::OciDescriptor, String> {
    if manifest.config.media_type != WASM_CONFIG_MEDIA_TYPE {
        tracing::debug!(media_type = %manifest.config.media_type, "the artifact's config is not the Wasm OCI config");
    }
    match manifest.layers.as_slice() {
        [layer] if layer.media_type == WASM_LAYER_MEDIA_TYPE => Ok(layer),
        layers => Err(format!(
            "not a Wasm component artifact: expected one {WASM_LAYER_MEDIA_TYPE} layer, found [{}]",
            layers.iter().map(|l| l.media_type.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

fn blob_path(cache: &Path, digest: &str) -> PathBuf {
    digest_path(&cache.join("blobs"), digest).unwrap_or_else(|| cache.join("blobs").join("invalid"))
}

/// `<dir>/sha256/<hex>` for a well-formed digest.
fn digest_path(dir: &Path, digest: &str) -> Option<PathBuf> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| dir.join("sha256").join(hex))
}

/// A registry name as one path segment (`host:port` → `host_port`).
fn sanitize(registry: &str) -> String {
    registry.replace([':', '/'], "_")
}

/// Credentials for `registry`: `PROBE_HOST_REGISTRY_USERNAME`/`PROBE_HOST_REGISTRY_PASSWORD`,
/// else the Docker `config.json` (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`),
/// else anonymous.
fn registry_auth(registry: &str) -> RegistryAuth {
    if let (Ok(user), Ok(password)) =
        (std::env::var("PROBE_HOST_REGISTRY_USERNAME"), std::env::var("PROBE_HOST_REGISTRY_PASSWORD"))
    {
        return RegistryAuth::Basic(user, password);
    }
    let path = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
        .map(|d| d.join("config.json"));
    path.and_then(|p| std::fs::read(p).ok())
        .and_then(|bytes| docker_config_auth(&bytes, registry))
        .unwrap_or(RegistryAuth::Anonymous)
}

/// `auths.<registry>` of a Docker `config.json`: `auth` (base64 `user:password`) or
/// `username`/`password`.
fn docker_config_auth(config: &[u8], registry: &str) -> Option<RegistryAuth> {
    use base64::Engine as _;
    let json: serde_json::Value = serde_json::from_slice(config).ok()?;
    let entry = json.get("auths")?.as_object()?.iter().find_map(|(key, value)| {
        let host = key.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
        (host == registry).then_some(value)
    })?;
    if let Some(encoded) = entry.get("auth").and_then(|v| v.as_str()) {
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
        let (user, password) =
            String::from_utf8(decoded).ok()?.split_once(':').map(|(u, p)| (u.to_string(), p.to_string()))?;
        return Some(RegistryAuth::Basic(user, password));
    }
    let user = entry.get("username")?.as_str()?.to_string();
    let password = entry.get("password")?.as_str()?.to_string();
    Some(RegistryAuth::Basic(user, password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_digests_and_ports() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = OciRef::parse("127.0.0.1:5000/probes/inventory:v1").expect("tag");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "probes/inventory", Some("v1"))
        );
        let r = OciRef::parse(&format!("ghcr.io/acme/inventory@{d}")).expect("digest");
        assert_eq!((r.tag, r.digest.as_deref()), (None, Some(d.as_str())));
        let r = OciRef::parse(&format!("ghcr.io/acme/inventory:v2@{d}")).expect("both");
        assert_eq!(r.to_string(), format!("ghcr.io/acme/inventory:v2@{d}"));
        assert!(r.reference().digest().is_some());
        for bad in ["inventory:v1", "ghcr.io/acme/inventory", "ghcr.io/Acme/x:v1", "ghcr.io/a/b@sha256:12", "r/a:b c"] {
            assert!(OciRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_docker_config_credentials() {
        let config = br#"{"auths":{"https://registry.example:5000":{"auth":"dXNlcjpwYXNz"},"other":{"username":"u","password":"p"}}}"#;
        assert!(
            matches!(docker_config_auth(config, "registry.example:5000"), Some(RegistryAuth::Basic(u, p)) if u == "user" && p == "pass")
        );
        assert!(matches!(docker_config_auth(config, "other"), Some(RegistryAuth::Basic(u, p)) if u == "u" && p == "p"));
        assert!(docker_config_auth(config, "unknown").is_none());
    }
}
