//! What probe-host's tests and benchmarks share (as wasmtime's `test-programs` crate is shared by
//! its tests): the example and fixture probes built for `wasm32-wasip2` once per process,
//! temporary directories, and the second test target (`tests/openapi/shop.yaml`) with the
//! mapping options every test of it uses. Development only; never published.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("test-support/ has a parent").to_path_buf()
}

/// The cargo running the tests (or the one that built this crate).
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_string())
}

/// Builds a probe workspace for wasm32-wasip2 into `target/<target_dir>` and returns the
/// directory holding its components.
fn build_wasm(manifest: &str, target_dir: &str) -> PathBuf {
    let target_dir = repo_root().join("target").join(target_dir);
    let status = Command::new(cargo())
        .args(["build", "--quiet", "--release", "--target", "wasm32-wasip2", "--manifest-path"])
        .arg(repo_root().join(manifest))
        .arg("--target-dir")
        .arg(&target_dir)
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "building {manifest} for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`)"
    );
    target_dir.join("wasm32-wasip2/release")
}

/// The example probes (`inventory.wasm`, `silos.wasm`, ...), built once per process, in the
/// directory `probe-host demo` uses.
pub fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| build_wasm("probes/Cargo.toml", "probes"))
}

/// The test fixtures (`misbehave.wasm`, `trivial.wasm`, ...), kept apart from the examples.
pub fn fixtures_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| build_wasm("tests/probes/Cargo.toml", "fixtures"))
}

/// An example probe's component file.
pub fn example(name: &str) -> PathBuf {
    examples_dir().join(format!("{name}.wasm"))
}

/// A fixture's component file.
pub fn fixture(name: &str) -> PathBuf {
    fixtures_dir().join(format!("{name}.wasm"))
}

/// A probe's component file: an example probe or, if there is none by that name, a fixture.
pub fn probe(name: &str) -> PathBuf {
    let example = example(name);
    if example.exists() { example } else { fixture(name) }
}

/// The example probes in other languages (`orders-py.wasm`, `orders-js.wasm`, ...), built once
/// per process by their build scripts (which install componentize-py from PyPI and
/// componentize-js from npm at pinned versions, and skip the build when nothing changed).
pub fn lang_probe(file: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let out = repo_root().join("target/lang-probes");
        for script in ["probes/python/build.sh", "probes/js/build.sh"] {
            let status = Command::new(repo_root().join(script))
                .arg(&out)
                .stdout(Stdio::null())
                .status()
                .expect("run build script");
            assert!(status.success(), "{script} failed (needs python3 with venv, and node with npm)");
        }
        out
    });
    dir.join(file)
}

/// A fresh temporary directory, removed when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("probe-host-test-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The second test target's OpenAPI document (`tests/openapi/shop.yaml`).
pub const SHOP_DOCUMENT: &str = include_str!("../../tests/openapi/shop.yaml");

/// How the tests map the shop document: its own package and interface, its cursor paging, and
/// its one non-GET operation allowed.
pub fn shop_options() -> potato_api_client::wit::Options {
    potato_api_client::wit::Options {
        package: "shop:api@2.0.0".into(),
        interface: "shop".into(),
        pagination: Some(potato_api_client::wit::Pagination {
            token_param: "cursor".into(),
            next_token_field: "next".into(),
            items_field: "items".into(),
            size_param: Some("limit".into()),
        }),
        allow_methods: vec!["search".into()],
    }
}
