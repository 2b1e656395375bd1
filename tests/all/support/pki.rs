//! Certificates for the TLS tests.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use std::path::Path;

/// A test certificate authority (rcgen) issuing server and client certificates.
pub struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    /// A new CA, its certificate written to `dir/ca.crt`.
    pub fn new(dir: &Path) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, "probe-host test CA");
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA");
        std::fs::write(dir.join("ca.crt"), ca.pem()).expect("write CA");
        Self { ca }
    }

    /// Writes `NAME.crt` and `NAME.key`, signed by the CA, for `names` (or a client cert).
    pub fn issue(&self, dir: &Path, name: &str, common_name: &str, client: bool) {
        let mut params =
            CertificateParams::new(if client { vec![] } else { vec!["127.0.0.1".into(), "localhost".into()] })
                .expect("params");
        params.distinguished_name.push(DnType::CommonName, common_name);
        if client {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.ca).expect("sign");
        std::fs::write(dir.join(format!("{name}.crt")), cert.pem()).expect("write");
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).expect("write");
    }
}
