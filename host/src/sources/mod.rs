//! Sources: where a probe's component comes from — a file (a mounted volume or ConfigMap) or an
//! OCI registry — and how the host learns that it changed (a file watcher, a re-resolved tag).
//!
//! Every fetch returns the component's bytes with their sha256 digest: the supervisor compares
//! digests to decide whether a probe changed, and the compile cache is keyed by them.

mod dir;
pub mod oci;
mod watch;

pub use dir::scan_dir;
pub use oci::{OciRef, OciSettings};
pub use watch::Watcher;

use sha2::{Digest as _, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where one probe's component comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file, re-read on every reload (and watched).
    File(PathBuf),
    /// An OCI artifact, by tag and/or digest.
    Oci(OciRef),
}

/// Why a probe's source could not be used: which source, and why.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    /// The source text is not a path, `file://` or `oci://` reference.
    #[error("probe source {text:?}: {reason}")]
    Reference { text: String, reason: String },
    /// No name can be derived from the source (give the probe one).
    #[error("cannot derive a probe name from {0}")]
    NoName(String),
    /// A file could not be read.
    #[error("cannot read probe {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    /// A registry could not be reached, refused, or answered with something unusable.
    #[error("probe oci://{reference}: {error}")]
    Registry { reference: String, error: oci::PullError },
}

impl Source {
    /// `oci://REGISTRY/REPO:TAG`, `oci://REGISTRY/REPO@sha256:…`, `file:///path`, or a path
    /// (relative ones are taken from `base_dir`, the config file's directory).
    ///
    /// # Errors
    /// [`SourceError::Reference`] when the scheme is unknown or the reference malformed.
    pub fn parse(text: &str, base_dir: &Path) -> Result<Self, SourceError> {
        let bad = |reason: String| SourceError::Reference { text: text.into(), reason };
        if let Some(rest) = text.strip_prefix("oci://") {
            return OciRef::parse(rest).map(Source::Oci).map_err(bad);
        }
        let path = match text.strip_prefix("file://") {
            Some(rest) => PathBuf::from(rest),
            None if text.contains("://") => {
                return Err(bad("use a path, file://PATH or oci://REGISTRY/REPO:TAG".into()));
            }
            None => PathBuf::from(text),
        };
        Ok(Source::File(if path.is_relative() { base_dir.join(path) } else { path }))
    }

    /// The name a probe gets when the config gives none: the file name without `.wasm`, or
    /// the repository's last path segment.
    ///
    /// # Errors
    /// [`SourceError::NoName`] when no usable name can be derived.
    pub fn default_name(&self) -> Result<String, SourceError> {
        let name = match self {
            Source::File(path) => path.file_stem().and_then(|s| s.to_str()).map(str::to_string),
            Source::Oci(r) => r.repository.rsplit('/').next().map(str::to_string),
        };
        name.filter(|n| !n.is_empty()).ok_or_else(|| SourceError::NoName(self.to_string()))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Oci(r) => write!(f, "oci://{r}"),
        }
    }
}

/// A component's bytes and their digest.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Arc<[u8]>,
    /// `sha256:<hex>`.
    pub digest: String,
    /// For an OCI source, the digest of the manifest it resolved to (what `push` prints and
    /// what a reference pins).
    pub manifest_digest: Option<String>,
    /// Set when these bytes are a fallback the operator must hear about (the registry refused
    /// the credentials and the cached copy was used): counted as a refused update.
    pub warning: Option<String>,
}

impl Fetched {
    pub fn new(bytes: Vec<u8>) -> Self {
        let digest = sha256_digest(&bytes);
        Self { bytes: bytes.into(), digest, manifest_digest: None, warning: None }
    }
}

/// `sha256:<hex>` of `bytes`, as OCI writes digests.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Fetches components: files directly, OCI artifacts through the registry client and its
/// content-addressed cache.
#[derive(Debug)]
pub struct Sources {
    oci: oci::Puller,
}

impl Sources {
    pub fn new(oci: OciSettings) -> Self {
        Self { oci: oci::Puller::new(oci) }
    }

    /// The component's bytes now.
    ///
    /// # Errors
    /// [`SourceError::Read`] or [`SourceError::Registry`], naming the source and the cause.
    pub async fn fetch(&self, source: &Source) -> Result<Fetched, SourceError> {
        match source {
            Source::File(path) => {
                let bytes = tokio::fs::read(path)
                    .await
                    .map_err(|e| SourceError::Read { path: path.clone(), reason: e.to_string() })?;
                Ok(Fetched::new(bytes))
            }
            Source::Oci(r) => {
                self.oci.pull(r).await.map_err(|error| SourceError::Registry { reference: r.to_string(), error })
            }
        }
    }
}
