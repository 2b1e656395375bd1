//! `--web.config.file`: HTTPS, basic auth, client certificates, and certificate rotation
//! without a restart, checked with curl (Debian's, already on the machine) as the client.

use crate::support::pki::Pki;
use crate::support::{self, Host, TempDir};
use std::path::Path;
use std::process::Command;

/// curl's HTTP status for `url` (000 when the connection or handshake failed).
fn curl(dir: &Path, url: &str, extra: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert"])
        .arg(dir.join("ca.crt"))
        .args(extra)
        .arg(url)
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn start(dir: &Path, web_config: &str, sim: &potato_sim::Simulator) -> Host {
    let path = dir.join("web.yml");
    std::fs::write(&path, web_config).expect("web config");
    let config =
        format!("{}{}", support::api_section(sim, dir), support::probe_entry("silos", &support::probe("silos"), ""));
    Host::start_with(&config, &["--web.config.file", path.to_str().expect("utf-8")])
}

#[tokio::test]
async fn https_with_basic_auth_and_certificate_rotation() {
    let sim = support::simulator().await;
    let dir = TempDir::new("web");
    let pki = Pki::new(dir.path());
    pki.issue(dir.path(), "server", "first", false);
    let hash = bcrypt::hash("s3cret", 4).expect("bcrypt");
    let host = start(
        dir.path(),
        &format!(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: {hash}\n"
        ),
        &sim,
    );
    assert!(host.url.starts_with("https://"), "{}", host.url);
    let url = format!("{}/metrics", host.url.replace("127.0.0.1", "localhost"));
    let d = dir.path();
    let (u, h) = (url.clone(), d.to_path_buf());
    let codes = tokio::task::spawn_blocking(move || {
        [
            curl(&h, &u, &["-u", "prometheus:s3cret"]),
            curl(&h, &u, &["-u", "prometheus:wrong"]),
            curl(&h, &u, &[]),
            curl(&h, &u.replace("https://", "http://"), &["-u", "prometheus:s3cret"]),
        ]
    })
    .await
    .expect("join");
    assert_eq!(codes, ["200", "401", "401", "000"], "right password, wrong one, none, plain HTTP");

    // Rotate the certificate: the next connection gets the new one, with no restart.
    let subject = |dir: &Path, url: &str| {
        let out = Command::new("curl")
            .args(["-s", "-o", "/dev/null", "-u", "prometheus:s3cret", "-w", "%{certs}", "--cacert"])
            .arg(dir.join("ca.crt"))
            .arg(url)
            .output()
            .expect("curl");
        String::from_utf8_lossy(&out.stdout).lines().find(|l| l.starts_with("Subject:")).unwrap_or("").to_string()
    };
    assert!(subject(d, &url).contains("first"), "{}", subject(d, &url));
    std::thread::sleep(std::time::Duration::from_millis(1100)); // a new mtime, even on coarse clocks
    pki.issue(d, "server", "second", false);
    assert!(subject(d, &url).contains("second"), "the rotated certificate is served: {}", subject(d, &url));
    assert_eq!(curl(d, &url, &["-u", "prometheus:s3cret"]), "200");
}

#[tokio::test]
async fn client_certificates_are_required_and_verified() {
    let sim = support::simulator().await;
    let dir = TempDir::new("mtls");
    let pki = Pki::new(dir.path());
    pki.issue(dir.path(), "server", "server", false);
    pki.issue(dir.path(), "client", "prometheus", true);
    // A client certificate from another CA is refused.
    let other_dir = dir.path().join("other-ca");
    std::fs::create_dir_all(&other_dir).expect("dir");
    let other = Pki::new(&other_dir);
    other.issue(dir.path(), "stranger", "stranger", true);
    // The README's web config, with a real bcrypt hash for its user.
    let readme = std::fs::read_to_string(support::repo_root().join("README.md")).expect("README");
    let start_at = readme.find("# --web.config.file\n").expect("the README's web config");
    let snippet = &readme[start_at..start_at + readme[start_at..].find("```").expect("block end")];
    let hash = bcrypt::hash("pw", 4).expect("bcrypt");
    let host = start(dir.path(), &snippet.replace("$2y$10$...", &hash), &sim);
    let url = format!("{}/metrics", host.url);
    let d = dir.path().to_path_buf();
    let codes = tokio::task::spawn_blocking(move || {
        let with = |name: &str| {
            let cert = d.join(format!("{name}.crt"));
            let key = d.join(format!("{name}.key"));
            curl(
                &d,
                &url,
                &[
                    "-u",
                    "prometheus:pw",
                    "--cert",
                    cert.to_str().expect("utf-8"),
                    "--key",
                    key.to_str().expect("utf-8"),
                ],
            )
        };
        [with("client"), curl(&d, &url, &["-u", "prometheus:pw"]), with("stranger")]
    })
    .await
    .expect("join");
    assert_eq!(codes, ["200", "000", "000"], "trusted client cert, none, untrusted");
}

#[test]
fn an_invalid_web_config_stops_the_start_with_the_reason() {
    let dir = TempDir::new("badweb");
    let web = dir.path().join("web.yml");
    std::fs::write(&web, "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n").expect("write");
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[api]\nbase_url = \"http://127.0.0.1:1/api/v0\"\n").expect("write");
    let out = support::binary()
        .args(["run", "--config"])
        .arg(&config)
        .arg("--web.config.file")
        .arg(&web)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("missing.crt"), "{stderr}");
}
