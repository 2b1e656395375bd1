//! TLS to the target: which certificate authorities to trust and which client certificate to
//! present. Certificate checks are on unless the operator turns them off by name.

use std::path::{Path, PathBuf};

/// From `[api.tls]`. Without `ca_file` the system's trusted roots are used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM file with the CA certificates to trust — instead of the system's, as Prometheus
    /// does, so a private CA cannot be widened by accident.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate (chain) to present, with `key_file`.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// Accept any server certificate. Only for tests against self-signed targets.
    pub insecure_skip_verify: bool,
}

impl TlsSettings {
    /// Applies these settings to an HTTP client under construction.
    ///
    /// # Errors
    /// When a file cannot be read or holds no usable certificate or key, naming the file.
    pub(crate) fn apply(&self, mut builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
        // reqwest is built without a default crypto provider: use ring, as the server does.
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
        builder = builder.tls_backend_rustls();
        if let Some(path) = &self.ca_file {
            let certs = reqwest::Certificate::from_pem_bundle(&read(path)?)
                .map_err(|e| format!("CA file {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("CA file {} holds no PEM certificate", path.display()));
            }
            builder = builder.tls_certs_only(certs);
        }
        match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => {
                let mut pem = read(cert)?;
                pem.push(b'\n');
                pem.extend(read(key)?);
                let identity = reqwest::Identity::from_pem(&pem)
                    .map_err(|e| format!("client certificate {} with key {}: {e}", cert.display(), key.display()))?;
                builder = builder.identity(identity);
            }
            (None, None) => {}
            _ => return Err("api.tls: cert_file and key_file go together".into()),
        }
        if self.insecure_skip_verify {
            tracing::warn!("api.tls.insecure_skip_verify: the potato-api's certificate is not checked");
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        Ok(builder)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
