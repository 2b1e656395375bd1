//! Shared test support: building probes, starting the simulator and the host, scraping.

pub mod checkers;
pub mod exposition;
pub mod pki;
pub mod potatoes;
pub mod shop;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// Shared with the benchmarks (and openapi-client's tests): building the probes, temporary
// directories, the second target's mapping.
pub use probe_host_test_support::{TempDir, examples_dir as probes_dir, lang_probe, probe, repo_root};

pub const TOKEN: &str = "test-token";

/// An HTTP client for the tests' own requests. reqwest is built without a default crypto
/// provider (the host installs ring at start); the test process installs it here.
pub fn http() -> reqwest::Client {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Starts the simulator with the default data set on a free loopback port.
pub async fn simulator() -> potato_sim::Simulator {
    potato_sim::Simulator::start(
        "127.0.0.1:0".parse().expect("addr"),
        TOKEN,
        potato_sim::Dataset::generate(potato_sim::DEFAULT_SEED),
    )
    .await
    .expect("start simulator")
}

/// The `probe-host` binary under test, with the suite's own compile cache (so a large Python
/// or JS component is compiled once per machine, not once per test).
pub fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_probe-host"));
    cmd.env("PROBE_HOST_CACHE_DIR", repo_root().join("target/test-cache"));
    cmd
}

/// A Python probe (the `app.py` in `dir`, relative to the repository) built with the suite's
/// componentize-py against the WIT in `wit` (relative too), as `target/lang-probes/OUT`.
pub fn python_probe(dir: &str, wit: &str, out: &str) -> PathBuf {
    // Installs componentize-py (pinned in probes/python/requirements.txt) into target/py-venv.
    let wasm = lang_probe("orders-py.wasm").with_file_name(out);
    let root = repo_root();
    let status = Command::new(root.join("target/py-venv/bin/componentize-py"))
        .arg("-d")
        .arg(root.join(wit))
        .args(["-w", "probe-host:probe/probe@0.1.2", "componentize", "app", "-p"])
        .arg(root.join(dir))
        .arg("-o")
        .arg(&wasm)
        .stdout(Stdio::null())
        .status()
        .expect("componentize-py");
    assert!(status.success(), "building {dir} failed");
    wasm
}

/// A JavaScript probe (`source`, relative to the repository) built with the suite's
/// componentize-js against the WIT in `wit` (relative too), as `target/lang-probes/OUT`.
pub fn js_probe(source: &str, wit: &str, out: &str) -> PathBuf {
    // Installs componentize-js (pinned in probes/js/package-lock.json) into probes/js.
    let wasm = lang_probe("orders-js.wasm").with_file_name(out);
    let root = repo_root();
    let status = Command::new("node")
        .arg(root.join("probes/js/build.mjs"))
        .arg(root.join(source))
        .arg(&wasm)
        .arg(root.join(wit))
        .stderr(Stdio::null())
        .status()
        .expect("node");
    assert!(status.success(), "building {source} failed");
    wasm
}

/// A running `probe-host run`; killed when dropped. Its stderr (the log) is kept in a file.
pub struct Host {
    child: Child,
    pub url: String,
    log: PathBuf,
    dir: TempDir,
}

impl Host {
    /// Starts `probe-host run --config` with `config` (TOML; `listen` is set here).
    pub fn start(config: &str) -> Self {
        Self::start_with(config, &[])
    }

    /// Like [`Host::start`], with more command-line arguments.
    pub fn start_with(config: &str, args: &[&str]) -> Self {
        let dir = TempDir::new("host");
        let config_path = dir.path().join("probe-host.toml");
        std::fs::write(&config_path, format!("listen = \"127.0.0.1:0\"\n{config}")).expect("write config");
        let log = dir.path().join("host.log");
        let mut child = binary()
            .args(["run", "--config"])
            .arg(&config_path)
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn probe-host");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read banner");
        let Some(url) = line.trim().strip_prefix("probe-host listening on ").map(str::to_string) else {
            let _ = child.kill();
            panic!("unexpected banner {line:?}; log:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
        };
        Self { child, url, log, dir }
    }

    /// Replaces the configuration file (as an operator would before a reload).
    pub fn rewrite_config(&self, config: &str) {
        let path = self.dir.path().join("probe-host.toml");
        std::fs::write(path, format!("listen = \"127.0.0.1:0\"\n{config}")).expect("rewrite config");
    }

    /// Sends the process a signal (e.g. `HUP`).
    pub fn signal(&self, name: &str) {
        let status =
            Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status().expect("kill");
        assert!(status.success());
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still alive.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The host's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GET `path` with an optional Accept header: (status, content type, body).
    pub async fn get(&self, path: &str, accept: Option<&str>) -> (u16, String, String) {
        let mut req = http().get(format!("{}{path}", self.url));
        if let Some(accept) = accept {
            req = req.header("accept", accept);
        }
        let resp = req.send().await.expect("GET");
        let status = resp.status().as_u16();
        let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        (status, ct, resp.text().await.expect("body"))
    }

    /// Waits until `/readyz` answers 200 (every probe loaded and ran once).
    pub async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.get("/readyz", None).await.0 == 200 {
                return;
            }
            assert!(Instant::now() < deadline, "host not ready after 60 s; log:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Scrapes until `done` holds (at most 30 s), and returns that scrape; `what` names the
    /// condition in the failure message.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&exposition::Scrape) -> bool) -> exposition::Scrape {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let scrape = self.scrape().await;
            if done(&scrape) {
                return scrape;
            }
            assert!(Instant::now() < deadline, "{what}: not reached in 30 s; log:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `POST /-/reload`: (status, body).
    pub async fn reload(&self) -> (u16, String) {
        let reply = http().post(format!("{}/-/reload", self.url)).send().await.expect("POST");
        (reply.status().as_u16(), reply.text().await.expect("body"))
    }

    /// Scrapes `/metrics` in the text format and parses it.
    pub async fn scrape(&self) -> exposition::Scrape {
        let (status, _, body) = self.get("/metrics", Some("text/plain")).await;
        assert_eq!(status, 200);
        exposition::Scrape::parse(&body)
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `[api]` section pointing at `sim`, with the token in a file.
pub fn api_section(sim: &potato_sim::Simulator, dir: &Path) -> String {
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{}\n", sim.token())).expect("write token");
    format!("[api]\nbase_url = \"{}\"\ntoken_file = \"{}\"\n", sim.base_url(), token_file.display())
}

/// A `[[probes]]` entry, on a 1 s interval unless `extra` sets one.
pub fn probe_entry(name: &str, file: &Path, extra: &str) -> String {
    let interval = if extra.contains("interval =") { "" } else { "interval = \"1s\"\n" };
    format!("[[probes]]\nname = \"{name}\"\nsource = \"{}\"\n{interval}{extra}\n", file.display())
}

/// The first ```{lang} block under the heading `## {section}` of the repository file `file`:
/// the documentation's snippets are what the tests run.
pub fn doc_block(file: &str, section: &str, lang: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let start = text.find(&format!("\n## {section}\n")).unwrap_or_else(|| panic!("{file}: no section {section}"));
    let rest = &text[start..];
    let fence = format!("```{lang}\n");
    let open = rest.find(&fence).unwrap_or_else(|| panic!("{file}: no {lang} block in {section}")) + fence.len();
    let close = rest[open..].find("```").expect("closed block");
    rest[open..open + close].to_string()
}

/// The simulator and a host running the `inventory` and `silos` examples (1 s interval), ready.
/// `inventory_config` is the inventory probe's extra entry lines (e.g. its `config`).
pub async fn examples_host(inventory_config: &str) -> (potato_sim::Simulator, Host, TempDir) {
    let sim = simulator().await;
    let dir = TempDir::new("examples");
    let config = format!(
        "{}{}{}",
        api_section(&sim, dir.path()),
        probe_entry("inventory", &probe("inventory"), inventory_config),
        probe_entry("silos", &probe("silos"), ""),
    );
    let host = Host::start(&config);
    host.wait_ready().await;
    (sim, host, dir)
}

/// `sha256:<hex>` of a file, as OCI and `probe_host_probe_info` write digests.
pub fn file_digest(path: &Path) -> String {
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(std::fs::read(path).expect("read"));
    format!("sha256:{}", hash.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// The digest the host says probe `name` runs, from `probe_host_probe_info`.
pub fn running_digest(scrape: &exposition::Scrape, name: &str) -> Option<String> {
    let probe = format!("probe={name:?}");
    scrape.samples.keys().filter(|k| k.starts_with("probe_host_probe_info{") && k.contains(&probe)).find_map(|k| {
        let rest = &k[k.find("digest=\"")? + "digest=\"".len()..];
        Some(rest[..rest.find('"')?].to_string())
    })
}
