//! OCI sources against a real registry (Debian's `docker-registry`, the CNCF distribution
//! registry) on loopback: `probe-host push`, the Wasm artifact layout, pulls by tag and by
//! pinned digest, a tag that moves, a tampered registry, and a start from the cache while the
//! registry is down.

use crate::support::{self, Host, TempDir};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A registry serving from a temporary directory until dropped.
struct Registry {
    child: Option<Child>,
    addr: String,
    storage: PathBuf,
    _dir: TempDir,
}

impl Registry {
    async fn start() -> Self {
        let dir = TempDir::new("registry");
        // A free loopback port: bind, read it, release it for the registry.
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let addr = format!("127.0.0.1:{port}");
        let storage = dir.path().join("storage");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: {addr}\n",
                storage.display()
            ),
        )
        .expect("registry config");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("registry.log")).expect("log"))
            .spawn()
            .expect("docker-registry (Debian package docker-registry; scripts/setup.sh --test-tools installs it)");
        let registry = Self { child: Some(child), addr, storage, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let up = support::http().get(format!("http://{}/v2/", registry.addr)).send().await;
            if up.is_ok_and(|r| r.status().is_success()) {
                return registry;
            }
            assert!(Instant::now() < deadline, "the registry did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The registry's own file for a blob (manifests are blobs too).
    fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("sha256");
        self.storage.join(format!("docker/registry/v2/blobs/sha256/{}/{hex}/data", &hex[..2]))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `probe-host push`, returning the manifest digest it prints.
fn push(file: &Path, reference: &str) -> String {
    let out = support::binary().arg("push").arg(file).arg(reference).output().expect("push");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "push failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    let digest = stdout.lines().find_map(|l| l.strip_prefix("digest: ")).expect("digest line").trim().to_string();
    assert!(stdout.contains("pin it: oci://"), "{stdout}");
    digest
}

/// The host with its own cache directory (the suite's shared one would make every start warm).
fn start(config: &str, cache: &Path) -> Host {
    Host::start_with(config, &["--cache-dir", cache.to_str().expect("utf-8")])
}

fn oci_config(sim: &potato_sim::Simulator, dir: &Path, cache: &Path, probes: &[(&str, String)]) -> String {
    let mut config = format!("cache_dir = \"{}\"\n{}", cache.display(), support::api_section(sim, dir));
    // (The command line's --cache-dir, which the suite sets, wins over the file: see `start`.)
    config += "[oci]\npoll_interval = \"1s\"\n";
    for (name, source) in probes {
        config += &format!("[[probes]]\nname = \"{name}\"\nsource = \"{source}\"\ninterval = \"1s\"\n");
    }
    config
}

#[tokio::test]
async fn push_then_pull_by_tag_and_pinned_digest_and_follow_a_moving_tag() {
    let registry = Registry::start().await;
    let reg = &registry.addr;
    let inventory = support::probe("inventory");
    let manifest_digest = push(&inventory, &format!("oci://{reg}/probes/inventory:v1"));
    let silos_digest = push(&support::probe("silos"), &format!("oci://{reg}/probes/silos:v1"));

    // The artifact follows the Wasm OCI layout, with the standard annotations.
    let manifest: serde_json::Value = support::http()
        .get(format!("http://{reg}/v2/probes/inventory/manifests/v1"))
        .header("accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .await
        .expect("manifest")
        .json()
        .await
        .expect("json");
    assert_eq!(manifest["config"]["mediaType"], "application/vnd.wasm.config.v0+json");
    assert_eq!(manifest["layers"].as_array().map(Vec::len), Some(1));
    assert_eq!(manifest["layers"][0]["mediaType"], "application/wasm");
    assert_eq!(manifest["layers"][0]["digest"], support::file_digest(&inventory).as_str());
    assert_eq!(manifest["annotations"]["org.opencontainers.image.title"], "inventory.wasm");
    assert!(manifest["annotations"]["org.opencontainers.image.created"].is_string());
    let config_digest = manifest["config"]["digest"].as_str().expect("config digest");
    let config: serde_json::Value = support::http()
        .get(format!("http://{reg}/v2/probes/inventory/blobs/{config_digest}"))
        .send()
        .await
        .expect("config")
        .json()
        .await
        .expect("json");
    assert_eq!((config["architecture"].as_str(), config["os"].as_str()), (Some("wasm"), Some("wasip2")));
    assert!(config["component"]["imports"].to_string().contains("potato:api/potatoes"), "{config}");

    let sim = support::simulator().await;
    let dir = TempDir::new("oci-pull");
    let cache = dir.path().join("cache");
    let probes = [
        ("tagged", format!("oci://{reg}/probes/inventory:v1")),
        ("pinned", format!("oci://{reg}/probes/silos@{silos_digest}")),
        ("both", format!("oci://{reg}/probes/inventory:v1@{manifest_digest}")),
    ];
    let host = start(&oci_config(&sim, dir.path(), &cache, &probes), &cache);
    host.wait_ready().await;
    let scrape = host.scrape().await;
    for (name, want) in [("tagged", &inventory), ("pinned", &support::probe("silos")), ("both", &inventory)] {
        assert_eq!(scrape.value("probe_host_probe_up", &[("probe", name)]), 1.0, "{name}");
        assert_eq!(support::running_digest(&scrape, name), Some(support::file_digest(want)), "{name}");
    }
    assert!(scrape.count("potato_inventory_potatoes") > 0 && scrape.count("potato_silo_fill_ratio") > 0);

    // The tag moves: the host follows it on its next poll; the pinned reference does not move.
    push(&support::probe("misbehave"), &format!("oci://{reg}/probes/inventory:v1"));
    let want = support::file_digest(&support::probe("misbehave"));
    let scrape = host
        .wait_for("the tag's new component", |s| {
            support::running_digest(s, "tagged").as_deref() == Some(want.as_str())
                && s.get("misbehave_ok", &[("source", "misbehave")]).is_some()
        })
        .await;
    assert_eq!(support::running_digest(&scrape, "both"), Some(support::file_digest(&inventory)));
}

#[tokio::test]
async fn a_tampered_manifest_fails_the_pinned_digest_even_with_a_warm_cache() {
    let registry = Registry::start().await;
    let reg = &registry.addr;
    let digest = push(&support::probe("silos"), &format!("oci://{reg}/probes/silos:v1"));
    let sim = support::simulator().await;
    let dir = TempDir::new("oci-tamper");
    let cache = dir.path().join("cache");
    let config = oci_config(&sim, dir.path(), &cache, &[("pinned", format!("oci://{reg}/probes/silos@{digest}"))]);
    {
        let host = start(&config, &cache);
        host.wait_ready().await;
        assert_eq!(host.scrape().await.value("probe_host_probe_up", &[("probe", "pinned")]), 1.0);
    }
    // Someone rewrites the manifest in the registry's storage: it now serves other bytes under
    // the pinned digest. The host must refuse, not fall back to its cached copy.
    let file = registry.blob_file(&digest);
    let text = std::fs::read_to_string(&file).expect("manifest blob");
    std::fs::write(&file, text.replace("silos.wasm", "evil.wasm")).expect("tamper");
    let host = start(&config, &cache);
    host.wait_ready().await;
    let scrape = host.scrape().await;
    let log = host.log();
    assert_eq!(scrape.value("probe_host_probe_loaded", &[("probe", "pinned")]), 0.0, "{log}");
    assert!(log.contains("digest mismatch") && log.contains(&digest), "{log}");
    assert!(!log.contains("using the cached component"), "{log}");
    drop(host);

    // A tag moves to a component whose layer is then corrupted in the registry: the host must
    // refuse it, not fall back to the component the tag named before (which it has cached).
    let tagged = [("tagged", format!("oci://{reg}/probes/moving:v1"))];
    let tagged_config = oci_config(&sim, dir.path(), &cache, &tagged);
    // (Not silos again: pushed within the same second, its manifest would be byte for byte the
    // one tampered with above, and the registry would serve that blob.)
    push(&support::probe("misbehave"), &format!("oci://{reg}/probes/moving:v1"));
    {
        let host = start(&tagged_config, &cache);
        host.wait_ready().await;
        let up = host.scrape().await.value("probe_host_probe_up", &[("probe", "tagged")]);
        assert_eq!(up, 1.0, "{}", host.log());
    }
    push(&support::probe("inventory"), &format!("oci://{reg}/probes/moving:v1"));
    let layer = support::file_digest(&support::probe("inventory"));
    std::fs::write(registry.blob_file(&layer), b"\0asm corrupted").expect("tamper layer");
    let host = start(&tagged_config, &cache);
    host.wait_ready().await;
    let scrape = host.scrape().await;
    let log = host.log();
    assert_eq!(scrape.value("probe_host_probe_loaded", &[("probe", "tagged")]), 0.0, "{log}");
    assert!(log.contains("digest mismatch") && !log.contains("using the cached component"), "{log}");
}

#[tokio::test]
async fn with_the_registry_down_probes_start_from_the_cache() {
    let mut registry = Registry::start().await;
    let reg = registry.addr.clone();
    let digest = push(&support::probe("silos"), &format!("oci://{reg}/probes/silos:v1"));
    push(&support::probe("inventory"), &format!("oci://{reg}/probes/inventory:v2"));
    let sim = support::simulator().await;
    let dir = TempDir::new("oci-offline");
    let cache = dir.path().join("cache");
    let probes = [
        ("tagged", format!("oci://{reg}/probes/inventory:v2")),
        ("pinned", format!("oci://{reg}/probes/silos@{digest}")),
    ];
    let config = oci_config(&sim, dir.path(), &cache, &probes);
    {
        let host = start(&config, &cache);
        host.wait_ready().await;
    }
    registry.stop();
    let host = start(&config, &cache);
    host.wait_ready().await;
    let scrape = host.scrape().await;
    let log = host.log();
    assert_eq!(
        support::running_digest(&scrape, "tagged"),
        Some(support::file_digest(&support::probe("inventory"))),
        "{log}"
    );
    assert_eq!(support::running_digest(&scrape, "pinned"), Some(support::file_digest(&support::probe("silos"))));
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "tagged")]), 1.0);
    assert!(host.log().contains("using the cached component"));

    // Without a cache there is nothing to start from: the error names the registry.
    let empty = dir.path().join("empty-cache");
    let host = start(&oci_config(&sim, dir.path(), &empty, &probes), &empty);
    host.wait_ready().await;
    assert_eq!(host.scrape().await.value("probe_host_probe_loaded", &[("probe", "pinned")]), 0.0);
    let log = host.log();
    assert!(log.contains(&format!("cannot fetch the manifest from {reg}")), "{log}");
}

/// A registry that refuses every request with 401, as one does once the credentials are
/// revoked, on `addr` (the real registry's address, so references keep naming it).
fn refusing_registry(addr: &str) {
    let listener = std::net::TcpListener::bind(addr).expect("bind the refusing registry");
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut buf = [0u8; 4096];
                let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = conn.read(&mut buf);
                let body = r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
                let reply = format!(
                    "HTTP/1.1 401 Unauthorized\r\nWww-Authenticate: Basic realm=\"registry\"\r\n\
                     Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes());
            });
        }
    });
}

#[tokio::test]
async fn a_registry_refusing_the_credentials_is_an_authorization_failure_and_the_version_stays() {
    let mut registry = Registry::start().await;
    let reg = registry.addr.clone();
    let manifest = push(&support::probe("silos"), &format!("oci://{reg}/probes/silos:v1"));
    let sim = support::simulator().await;
    let dir = TempDir::new("oci-401");
    let cache = dir.path().join("cache");
    let config = oci_config(&sim, dir.path(), &cache, &[("tagged", format!("oci://{reg}/probes/silos:v1"))]);
    let host = start(&config, &cache);
    host.wait_ready().await;
    let scrape = host.scrape().await;
    // Both digests are shown: the component's and the manifest's that `push` printed.
    let info = [
        ("probe", "tagged"),
        ("source", &*format!("oci://{reg}/probes/silos:v1")),
        ("digest", &*support::file_digest(&support::probe("silos"))),
        ("manifest_digest", &*manifest),
    ];
    assert_eq!(scrape.value("probe_host_probe_info", &info), 1.0);

    // The registry now answers 401 to everything: the running version stays, the refusal is
    // counted once and named for what it is.
    registry.stop();
    refusing_registry(&reg);
    let scrape = host
        .wait_for("the 401 counted", |s| {
            s.value("probe_host_probe_update_failures_total", &[("probe", "tagged")]) >= 1.0
        })
        .await;
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "tagged")]), 1.0);
    let (_, _, page) = host.get("/", None).await;
    assert!(page.contains("authorization failure"), "{page}");
    assert!(!host.log().contains("registry unavailable"), "{}", host.log());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let scrape = host.scrape().await;
    assert_eq!(scrape.value("probe_host_probe_update_failures_total", &[("probe", "tagged")]), 1.0, "once");
    drop(host);

    // A restart with the registry still refusing: the cached version runs, and the refusal shows.
    let host = start(&config, &cache);
    host.wait_ready().await;
    let scrape = host.scrape().await;
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "tagged")]), 1.0, "{}", host.log());
    assert_eq!(scrape.value("probe_host_probe_update_failures_total", &[("probe", "tagged")]), 1.0);
    assert!(host.log().contains("authorization failure"), "{}", host.log());
}
