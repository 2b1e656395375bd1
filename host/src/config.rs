//! The configuration file (TOML) and its defaults.
//!
//! ```toml
//! listen = "0.0.0.0:9898"
//! cache_dir = "/var/cache/probe-host"   # compiled probes, kept between starts
//!
//! [api]
//! base_url = "http://potato-api:8080/api/v0"
//! token_file = "/var/run/secrets/potato/token"   # or token_env = "POTATO_API_TOKEN"
//! timeout = "10s"
//! max_response_size = "16MiB"
//! share_window = "2s"   # identical calls within it are made once, shared by all probes
//! max_concurrent_requests = 8     # requests in flight at once, all probes together
//! max_requests_per_second = 50    # all probes together; 0 turns the limit off
//!
//! # [api.oauth2]        # instead of token_file/token_env: OAuth2 client credentials
//! # token_url = "https://auth.example/oauth/token"
//! # client_id = "probe-host"
//! # client_secret_file = "/var/run/secrets/potato/client-secret"   # or client_secret_env
//! # scopes = ["potatoes:read"]
//!
//! # [api.tls]           # for https:// targets; without ca_file the system's CAs are trusted
//! # ca_file = "/etc/potato/ca.pem"
//! # cert_file = "/etc/potato/client.pem"   # client certificate, with key_file
//! # key_file = "/etc/potato/client-key.pem"
//!
//! [defaults]            # for every probe, unless the probe says otherwise
//! interval = "30s"
//! timeout = "10s"       # wall clock, host calls included
//! cpu = "2s"            # guest CPU time
//! memory = "64MiB"
//! max_api_calls = 200
//! max_families = 200
//! max_samples = 20000
//! max_output_size = "8MiB"
//! # allow = ["listFarms", "listSilos"]   # operations a probe may call (default: all)
//!
//! [[probes]]
//! name = "inventory"
//! source = "/probes/inventory.wasm"
//! interval = "60s"
//! config = { page-size = "500" }
//! ```

use crate::api::{ApiSettings, Auth, OAuth2Settings, Politeness, TlsSettings, TokenSource};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Default address of the metrics server.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:9898";

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Where compiled probes are cached between starts (default: see `--cache-dir`).
    pub cache_dir: Option<PathBuf>,
    pub api: ApiConfig,
    #[serde(default)]
    pub defaults: ProbeSettings,
    #[serde(default)]
    pub oci: OciConfig,
    #[serde(default)]
    pub probes: Vec<ProbeConfig>,
}

/// `[oci]`: registries probes are pulled from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OciConfig {
    /// Registries (`host:port`) spoken to over plain HTTP (loopback ones always are).
    #[serde(default)]
    pub insecure_registries: Vec<String>,
    /// How often a tag (without a pinned digest) is resolved again.
    #[serde(default = "default_oci_poll_interval", with = "duration")]
    pub poll_interval: Duration,
}

impl Default for OciConfig {
    fn default() -> Self {
        Self { insecure_registries: Vec::new(), poll_interval: default_oci_poll_interval() }
    }
}

fn default_oci_poll_interval() -> Duration {
    Duration::from_secs(300)
}

/// How to reach the potato-api. Compared whole by a reload (`PartialEq`): paths and names of
/// secrets, never secrets, and the document as read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    pub base_url: String,
    /// A file holding the bearer token (a mounted Kubernetes secret).
    pub token_file: Option<PathBuf>,
    /// An environment variable holding the bearer token.
    pub token_env: Option<String>,
    #[serde(default = "default_api_timeout", with = "duration")]
    pub timeout: Duration,
    /// The largest response body accepted from the API.
    #[serde(default = "default_max_response", with = "bytesize")]
    pub max_response_size: usize,
    /// Identical calls (same operation and arguments) within this window are made once and
    /// their result shared between probes; "0s" turns sharing off.
    #[serde(default = "default_share_window", with = "duration")]
    pub share_window: Duration,
    /// Requests in flight at once, all probes together.
    #[serde(default = "default_max_concurrent_requests")]
    pub max_concurrent_requests: usize,
    /// Requests per second, all probes together (bursts up to one second's worth); 0: no limit.
    #[serde(default = "default_max_requests_per_second")]
    pub max_requests_per_second: f64,
    /// OAuth2 client credentials, instead of a fixed token.
    pub oauth2: Option<OAuth2Config>,
    #[serde(default)]
    pub tls: TlsConfig,
    /// The target's OpenAPI document (a path relative to the configuration file): its
    /// operations are served to probes from it (docs/openapi-to-wit.md). Without it, the
    /// built-in potato-api.
    pub openapi: Option<PathBuf>,
    /// How `openapi` becomes a WIT package.
    #[serde(default)]
    pub wit: WitConfig,
    /// `openapi` (or the built-in potato-api document), read and mapped when the configuration
    /// is loaded.
    #[serde(skip)]
    pub target: Option<Arc<potato_api_client::wit::Generated>>,
}

/// `[api.wit]`: the package a document maps to, as `probe-host wit --openapi` takes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitConfig {
    /// `namespace:name@version`.
    #[serde(default = "default_wit_package")]
    pub package: String,
    /// The interface holding the functions.
    #[serde(default = "default_wit_interface")]
    pub interface: String,
    /// The pagination convention, for `list-all-*` pagers.
    pub paging: Option<PagingConfig>,
    /// Non-GET operations to expose too, by operationId.
    #[serde(default)]
    pub allow_methods: Vec<String>,
}

impl Default for WitConfig {
    fn default() -> Self {
        Self {
            package: default_wit_package(),
            interface: default_wit_interface(),
            paging: None,
            allow_methods: Vec::new(),
        }
    }
}

fn default_wit_package() -> String {
    "target:api@0.1.0".into()
}

fn default_wit_interface() -> String {
    "operations".into()
}

/// `[api.wit.paging]`: the token query parameter, the result's next-token and items fields,
/// and the page-size parameter.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagingConfig {
    pub token: String,
    pub next: String,
    pub items: String,
    pub size: Option<String>,
}

impl WitConfig {
    /// The generator's options.
    /// Whether any `[api.wit]` key was given.
    fn is_set(&self) -> bool {
        let default = Self::default();
        self.package != default.package
            || self.interface != default.interface
            || self.paging.is_some()
            || !self.allow_methods.is_empty()
    }

    pub fn options(&self) -> potato_api_client::wit::Options {
        potato_api_client::wit::Options {
            package: self.package.clone(),
            interface: self.interface.clone(),
            pagination: self.paging.as_ref().map(|p| potato_api_client::wit::Pagination {
                token_param: p.token.clone(),
                next_token_field: p.next.clone(),
                items_field: p.items.clone(),
                size_param: p.size.clone(),
            }),
            allow_methods: self.allow_methods.clone(),
        }
    }
}

/// `[api.oauth2]`: the client-credentials grant.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2Config {
    pub token_url: String,
    pub client_id: String,
    /// A file holding the client secret (re-read when it changes).
    pub client_secret_file: Option<PathBuf>,
    /// An environment variable holding the client secret.
    pub client_secret_env: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// `[api.tls]`: trusted CAs and client certificate for `https://` targets and token endpoints.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

impl ApiConfig {
    /// The access layer's settings: reads the token or client-secret file now, so a missing
    /// secret is an error at start.
    ///
    /// # Errors
    /// When a secret file cannot be read or is empty, or an environment variable is unset.
    pub fn settings(&self) -> Result<ApiSettings, String> {
        let auth = match &self.oauth2 {
            Some(o) => {
                let Some(secret) =
                    TokenSource::from_file_or_env(o.client_secret_file.as_deref(), o.client_secret_env.as_deref())?
                else {
                    return Err(format!(
                        "api.oauth2: the client secret variable {} is not set",
                        o.client_secret_env.as_deref().unwrap_or("?")
                    ));
                };
                Some(Auth::OAuth2(OAuth2Settings {
                    token_url: o.token_url.clone(),
                    client_id: o.client_id.clone(),
                    client_secret: secret,
                    scopes: o.scopes.clone(),
                }))
            }
            None => {
                TokenSource::from_file_or_env(self.token_file.as_deref(), self.token_env.as_deref())?.map(Auth::Token)
            }
        };
        Ok(ApiSettings {
            base_url: self.base_url.clone(),
            auth,
            tls: TlsSettings {
                ca_file: self.tls.ca_file.clone(),
                cert_file: self.tls.cert_file.clone(),
                key_file: self.tls.key_file.clone(),
                insecure_skip_verify: self.tls.insecure_skip_verify,
            },
            timeout: self.timeout,
            max_response_bytes: self.max_response_size,
            share_window: self.share_window,
            politeness: Politeness {
                max_concurrent_requests: self.max_concurrent_requests,
                max_requests_per_second: (self.max_requests_per_second > 0.0).then_some(self.max_requests_per_second),
            },
        })
    }

    fn check(&self) -> Result<(), String> {
        let url = &self.base_url;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("api.base_url {url:?} must start with http:// or https://"));
        }
        if let Err(e) = reqwest::Url::parse(url) {
            return Err(format!("api.base_url {url:?}: {e}"));
        }
        if self.token_file.is_some() && self.token_env.is_some() {
            return Err("api: set token_file or token_env, not both".into());
        }
        if self.max_concurrent_requests == 0 {
            return Err("api.max_concurrent_requests must be at least 1".into());
        }
        if !(self.max_requests_per_second.is_finite() && self.max_requests_per_second >= 0.0) {
            return Err("api.max_requests_per_second must be a number ≥ 0 (0: no limit)".into());
        }
        if self.tls.cert_file.is_some() != self.tls.key_file.is_some() {
            return Err("api.tls: cert_file and key_file go together".into());
        }
        if let Some(o) = &self.oauth2 {
            if self.token_file.is_some() || self.token_env.is_some() {
                return Err("api: set oauth2 or token_file/token_env, not both".into());
            }
            if !(o.token_url.starts_with("http://") || o.token_url.starts_with("https://")) {
                return Err(format!("api.oauth2.token_url {:?} must start with http:// or https://", o.token_url));
            }
            match (&o.client_secret_file, &o.client_secret_env) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => return Err("api.oauth2: set one of client_secret_file or client_secret_env".into()),
            }
        }
        Ok(())
    }
}

/// How a probe runs and what it may use. `[defaults]` in the file; each `[[probes]]` entry may
/// override any field.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeSettings {
    /// Time between the starts of two runs.
    #[serde(default = "default_interval", with = "duration")]
    pub interval: Duration,
    /// Wall-clock limit of one run, host calls included.
    #[serde(default = "default_timeout", with = "duration")]
    pub timeout: Duration,
    /// CPU time the guest code itself may use in one run.
    #[serde(default = "default_cpu", with = "duration")]
    pub cpu: Duration,
    /// Cap on the probe's linear memory (and tables).
    #[serde(default = "default_memory", with = "bytesize")]
    pub memory: usize,
    /// Target API calls one run may make.
    #[serde(default = "default_max_api_calls")]
    pub max_api_calls: u32,
    /// Metric families one run may return.
    #[serde(default = "default_max_families")]
    pub max_families: usize,
    /// Samples (series) one run may return, over all families.
    #[serde(default = "default_max_samples")]
    pub max_samples: usize,
    /// Size of one run's output (names, labels and values, roughly as exposed).
    #[serde(default = "default_max_output_size", with = "bytesize")]
    pub max_output_size: usize,
    /// The operations (operationIds) the probe may call; absent: all of them.
    #[serde(default)]
    pub allow: Option<Vec<String>>,
    /// The operations `allow` may name: the target document's, set when the configuration
    /// is loaded (`None`: the potato-api's).
    #[serde(skip)]
    pub operations: Option<Arc<[String]>>,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        Self {
            interval: default_interval(),
            timeout: default_timeout(),
            cpu: default_cpu(),
            memory: default_memory(),
            max_api_calls: default_max_api_calls(),
            max_families: default_max_families(),
            max_samples: default_max_samples(),
            max_output_size: default_max_output_size(),
            allow: None,
            operations: None,
        }
    }
}

/// One probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeConfig {
    /// Shown in logs and as the `probe` label; defaults to the file name without `.wasm`.
    pub name: Option<String>,
    /// A path, `file://` URL or `oci://REGISTRY/REPO:TAG[@sha256:…]` reference.
    #[serde(default)]
    pub source: String,
    #[serde(default, with = "opt_duration")]
    pub interval: Option<Duration>,
    #[serde(default, with = "opt_duration")]
    pub timeout: Option<Duration>,
    #[serde(default, with = "opt_duration")]
    pub cpu: Option<Duration>,
    #[serde(default, with = "opt_bytesize")]
    pub memory: Option<usize>,
    pub max_api_calls: Option<u32>,
    pub max_families: Option<usize>,
    pub max_samples: Option<usize>,
    #[serde(default, with = "opt_bytesize")]
    pub max_output_size: Option<usize>,
    /// Overrides `[defaults] allow` for this probe.
    pub allow: Option<Vec<String>>,
    /// The probe's own settings, read through the `config` interface.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

impl ProbeSettings {
    /// These settings with the entry's overrides applied.
    pub fn overridden_by(&self, p: &ProbeConfig) -> Self {
        Self {
            interval: p.interval.unwrap_or(self.interval),
            timeout: p.timeout.unwrap_or(self.timeout),
            cpu: p.cpu.unwrap_or(self.cpu),
            memory: p.memory.unwrap_or(self.memory),
            max_api_calls: p.max_api_calls.unwrap_or(self.max_api_calls),
            max_families: p.max_families.unwrap_or(self.max_families),
            max_samples: p.max_samples.unwrap_or(self.max_samples),
            max_output_size: p.max_output_size.unwrap_or(self.max_output_size),
            allow: p.allow.clone().or_else(|| self.allow.clone()),
            operations: self.operations.clone(),
        }
    }

    /// Checks the values are usable.
    ///
    /// # Errors
    /// A message naming `what` and the setting at fault.
    pub fn check(&self, what: &str) -> Result<(), String> {
        if self.interval < Duration::from_millis(100) {
            return Err(format!("{what}: interval {:?} is below the 100ms minimum", self.interval));
        }
        if self.timeout.is_zero() || self.cpu.is_zero() {
            return Err(format!("{what}: timeout and cpu must be above zero"));
        }
        if self.memory < (1 << 20) {
            return Err(format!("{what}: memory {} bytes is below the 1MiB minimum", self.memory));
        }
        if self.max_families == 0 || self.max_samples == 0 || self.max_output_size == 0 {
            return Err(format!("{what}: max_families, max_samples and max_output_size must be above zero"));
        }
        let builtin;
        let known: Vec<&str> = match &self.operations {
            Some(ops) => ops.iter().map(String::as_str).collect(),
            None => {
                builtin = potato_api_client::wit::potato().map(|g| operations(&g)).unwrap_or_default();
                builtin.iter().map(String::as_str).collect()
            }
        };
        for op in self.allow.iter().flatten() {
            if !known.contains(&op.as_str()) {
                return Err(format!("{what}: allow: unknown operation {op:?} (known: {})", known.join(", ")));
            }
        }
        Ok(())
    }
}

/// What `allow` lists may name: a mapped document's operationIds (a function's name where the
/// operation has none).
fn operations(generated: &potato_api_client::wit::Generated) -> Arc<[String]> {
    generated.api.functions.iter().map(|f| f.operation_id.clone().unwrap_or_else(|| f.name.clone())).collect()
}

/// The address served on unless configured (`listen`, `--web.listen-address`).
pub fn default_listen() -> SocketAddr {
    DEFAULT_LISTEN.parse().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 9898)))
}
// Each default is owned by the module that uses the value; the file's defaults are theirs.
fn default_api_timeout() -> Duration {
    ApiSettings::DEFAULT_TIMEOUT
}
fn default_share_window() -> Duration {
    ApiSettings::DEFAULT_SHARE_WINDOW
}
fn default_max_concurrent_requests() -> usize {
    Politeness::default().max_concurrent_requests
}
fn default_max_requests_per_second() -> f64 {
    Politeness::default().max_requests_per_second.unwrap_or(0.0)
}
fn default_max_response() -> usize {
    ApiSettings::DEFAULT_MAX_RESPONSE_BYTES
}
fn default_interval() -> Duration {
    Duration::from_secs(30)
}
fn default_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_cpu() -> Duration {
    Duration::from_secs(2)
}
fn default_max_api_calls() -> u32 {
    200
}
fn default_max_families() -> usize {
    crate::validate::OutputLimits::DEFAULT_MAX_FAMILIES
}
fn default_max_samples() -> usize {
    crate::validate::OutputLimits::DEFAULT_MAX_SAMPLES
}
fn default_max_output_size() -> usize {
    crate::validate::OutputLimits::DEFAULT_MAX_BYTES
}
fn default_memory() -> usize {
    64 << 20
}

/// A configuration file that could not be used. Names the file and the cause.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// Settings a reload cannot apply, because the running server, API client, caches and OCI
/// clients were built from them at start: `(key, what a change means)`.
pub const RESTART_KEYS: [&str; 4] = ["listen", "cache_dir", "[api]", "[oci] insecure_registries"];

/// Settings a reload applies.
pub const RELOADED_KEYS: [&str; 3] = ["[defaults]", "[oci] poll_interval", "[[probes]]"];

impl Config {
    /// The settings that differ between `self` (running) and `new` but take effect only after
    /// a restart, named as in [`RESTART_KEYS`]; everything else a reload applies.
    ///
    /// Every field is named here (the destructuring has no `..`): a new setting does not
    /// compile until it is sorted into one list or the other.
    pub fn restart_needed(&self, new: &Config) -> Vec<&'static str> {
        let Config { listen, cache_dir, api, defaults: _, oci, probes: _ } = self;
        let OciConfig { insecure_registries, poll_interval: _ } = oci;
        let mut changed = Vec::new();
        if *listen != new.listen {
            changed.push(RESTART_KEYS[0]);
        }
        if *cache_dir != new.cache_dir {
            changed.push(RESTART_KEYS[1]);
        }
        if *api != new.api {
            changed.push(RESTART_KEYS[2]);
        }
        if *insecure_registries != new.oci.insecure_registries {
            changed.push(RESTART_KEYS[3]);
        }
        changed
    }

    /// Reads and checks `path`.
    ///
    /// # Errors
    /// When the file cannot be read, is not valid TOML, has unknown keys or values out of range.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse_in(&text, base).map_err(|message| ConfigError::Invalid { path: path.into(), message })
    }

    /// Parses and checks a configuration document (paths relative to the working directory).
    ///
    /// # Errors
    /// A message naming the key at fault.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::parse_in(text, Path::new("."))
    }

    /// Parses and checks a configuration document whose relative paths start at `base`: reads
    /// and maps `[api] openapi`, so that `allow` lists are checked against its operations.
    ///
    /// # Errors
    /// A message naming the key at fault, or the document and the JSON pointer.
    pub fn parse_in(text: &str, base: &Path) -> Result<Self, String> {
        let mut config: Config = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
        let generated = match &config.api.openapi {
            Some(document) => {
                let path = base.join(document);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("api.openapi: cannot read {}: {e}", path.display()))?;
                let generated = potato_api_client::wit::generate(&text, &config.api.wit.options())
                    .map_err(|e| format!("api.openapi: {}: {e}", path.display()))?;
                Arc::new(generated)
            }
            None if config.api.wit.is_set() => {
                return Err("api.wit: maps the document api.openapi names, and there is none (the built-in \
                            potato-api is mapped as potato:api@0.1.1)"
                    .into());
            }
            None => potato_api_client::wit::potato().map_err(|e| format!("the built-in potato-api document: {e}"))?,
        };
        config.defaults.operations = Some(operations(&generated));
        config.api.target = Some(generated);
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        self.api.check()?;
        if self.oci.poll_interval < Duration::from_secs(1) {
            return Err("oci.poll_interval must be at least 1s".into());
        }
        self.defaults.check("defaults")?;
        for (i, p) in self.probes.iter().enumerate() {
            let what = format!("probes[{i}] ({})", p.name.as_deref().unwrap_or(&p.source));
            if p.source.is_empty() {
                return Err(format!("{what}: source is missing"));
            }
            self.defaults.overridden_by(p).check(&what)?;
        }
        Ok(())
    }
}

/// `"30s"`, `"1m"`, `"500ms"`, `"1h"`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: f64 = number.parse().map_err(|_| format!("invalid duration {text:?}: expected e.g. \"30s\""))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        other => {
            return Err(format!("invalid duration {text:?}: unknown unit {other:?} (ms, s, m, h)"));
        }
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("invalid duration {text:?}: {e}"))
}

/// `"64MiB"`, `"512KiB"`, `"1GiB"`, or a bare number of bytes.
pub fn parse_bytesize(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: usize = number.parse().map_err(|_| format!("invalid size {text:?}: expected e.g. \"64MiB\""))?;
    let shift = match unit.trim() {
        "" | "B" => 0,
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        other => {
            return Err(format!("invalid size {text:?}: unknown unit {other:?} (B, KiB, MiB, GiB)"));
        }
    };
    n.checked_mul(1 << shift).ok_or_else(|| format!("size {text:?} is too large"))
}

mod duration {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<std::time::Duration, D::Error> {
        super::parse_duration(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}
mod opt_duration {
    use serde::Deserializer;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<std::time::Duration>, D::Error> {
        super::duration::deserialize(d).map(Some)
    }
}
mod bytesize {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        super::parse_bytesize(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}
mod opt_bytesize {
    use serde::Deserializer;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
        super::bytesize::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_either_reloaded_or_named_as_needing_a_restart() {
        let base = r#"
            listen = "127.0.0.1:9000"
            cache_dir = "/var/cache/a"
            [api]
            base_url = "http://x/api/v0"
            [defaults]
            interval = "1m"
            [oci]
            poll_interval = "5m"
            insecure_registries = ["r:5000"]
            [[probes]]
            source = "/p/a.wasm"
        "#;
        // (the setting's name in RESTART_KEYS or RELOADED_KEYS, the text before, after)
        let changes = [
            ("listen", "127.0.0.1:9000", "127.0.0.1:9001"),
            ("cache_dir", "/var/cache/a", "/var/cache/b"),
            ("[api]", "http://x/api/v0", "http://y/api/v0"),
            ("[defaults]", "\"1m\"", "\"2m\""),
            ("[oci] poll_interval", "\"5m\"", "\"1m\""),
            ("[oci] insecure_registries", "r:5000", "r:6000"),
            ("[[probes]]", "/p/a.wasm", "/p/b.wasm"),
        ];
        let all: Vec<&str> = RESTART_KEYS.iter().chain(&RELOADED_KEYS).copied().collect();
        assert_eq!(changes.len(), all.len(), "every setting has a change here");
        let old = Config::parse(base).expect("valid");
        for (key, before, after) in changes {
            assert!(all.contains(&key), "{key} is sorted into one list");
            assert!(base.contains(before), "{key}");
            let new = Config::parse(&base.replacen(before, after, 1)).expect("valid");
            let named = old.restart_needed(&new);
            if RESTART_KEYS.contains(&key) {
                assert_eq!(named, [key], "a change to {key} is named as needing a restart");
            } else {
                assert!(named.is_empty(), "{key} is applied by a reload, so not named: {named:?}");
            }
        }
        // The top-level keys of the file are all covered.
        let table: toml::Table = toml::from_str(base).expect("toml");
        for key in table.keys() {
            assert!(all.iter().any(|k| k.split(' ').next().map(|w| w.trim_matches(['[', ']'])) == Some(key)), "{key}");
        }
    }

    #[test]
    fn parses_a_full_config() {
        let c = Config::parse(
            r#"
            listen = "127.0.0.1:9000"
            [api]
            base_url = "http://x/api/v0"
            token_env = "T"
            [defaults]
            interval = "1m"
            [[probes]]
            source = "/p/a.wasm"
            timeout = "500ms"
            memory = "32MiB"
            config = { page-size = "10" }
            "#,
        )
        .expect("valid");
        assert_eq!(c.defaults.interval, Duration::from_secs(60));
        assert_eq!(c.probes[0].timeout, Some(Duration::from_millis(500)));
        assert_eq!(c.probes[0].memory, Some(32 << 20));
        assert_eq!(c.probes[0].config["page-size"], "10");
    }

    /// The first TOML block after `marker` in the README.
    fn readme_toml(marker: &str) -> String {
        let readme = include_str!("../../README.md");
        let start = readme.find(marker).expect("README section");
        let block = &readme[start..];
        let open = block.find("```toml\n").expect("toml block") + "```toml\n".len();
        let close = block[open..].find("```").expect("block end");
        // Snippets inside list items are indented.
        block[open..open + close].lines().map(str::trim_start).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn the_readmes_own_api_config_is_valid_with_the_shop_document() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/openapi");
        let config = Config::parse_in(&readme_toml("3. **The configuration:**"), &base).expect("parses");
        let target = config.api.target.as_ref().expect("the document is mapped");
        assert_eq!(target.import(), "shop:api/shop@2.0.0");
        assert!(target.api.pagers.iter().any(|p| p.name == "find-all-items-by-store"));
        assert_eq!(
            config.probes[0].allow.as_deref(),
            Some(&["getStore".to_string(), "find items by store".to_string()][..])
        );
    }

    #[test]
    fn the_readmes_example_config_is_valid() {
        let config = Config::parse(&readme_toml("The configuration file:")).expect("the README's config parses");
        assert_eq!(config.probes.len(), 2);
        let source = crate::sources::Source::parse(&config.probes[1].source, Path::new("/"));
        assert!(matches!(source, Ok(crate::sources::Source::Oci(_))), "{source:?}");
        assert_eq!(config.probes[0].config["page-size"], "500");
        assert_eq!(config.api.max_concurrent_requests, 8);
    }

    #[test]
    fn the_readmes_commented_oauth2_and_tls_sections_are_valid() {
        // Uncomment the optional sections; OAuth2 replaces the token file.
        let text: String = readme_toml("The configuration file:")
            .lines()
            .map(|l| l.strip_prefix("# ").filter(|rest| rest.starts_with('[') || rest.contains(" = ")).unwrap_or(l))
            .filter(|l| !l.starts_with("token_file"))
            .collect::<Vec<_>>()
            .join("\n");
        let config = Config::parse(&text).expect("the README's optional sections parse");
        let oauth = config.api.oauth2.expect("oauth2");
        assert_eq!((oauth.client_id.as_str(), oauth.scopes), ("probe-host", vec!["potatoes:read".to_string()]));
        assert!(config.api.tls.ca_file.is_some() && config.api.tls.key_file.is_some());
        assert_eq!(config.defaults.allow, Some(vec!["listFarms".to_string(), "listSilos".to_string()]));
    }

    #[test]
    fn the_readmes_least_privilege_example_is_valid() {
        let text = format!("[api]\nbase_url = \"http://x\"\n{}", readme_toml("Give each probe the operations"));
        let config = Config::parse(&text).expect("parses");
        let silos = config.defaults.overridden_by(&config.probes[0]);
        assert_eq!(config.defaults.allow, Some(vec!["getHealth".to_string()]));
        assert_eq!(silos.allow, Some(vec!["listFarms".to_string(), "listSilos".to_string()]));
    }

    #[test]
    fn access_settings_are_checked() {
        let base = "[api]\nbase_url = \"https://potato:8443/api/v0\"\n";
        let oauth = "[api.oauth2]\ntoken_url = \"https://auth/token\"\nclient_id = \"c\"\n";
        assert!(Config::parse(base).is_ok(), "https targets are accepted");
        let err = Config::parse(&format!("{base}token_env = \"T\"\n{oauth}client_secret_env = \"S\"\n")).unwrap_err();
        assert!(err.contains("not both"), "{err}");
        let err = Config::parse(&format!("{base}{oauth}")).unwrap_err();
        assert!(err.contains("client_secret_file or client_secret_env"), "{err}");
        let err = Config::parse(&format!("{base}[api.tls]\ncert_file = \"c.pem\"\n")).unwrap_err();
        assert!(err.contains("go together"), "{err}");
        let err = Config::parse(&format!("{base}max_concurrent_requests = 0\n")).unwrap_err();
        assert!(err.contains("max_concurrent_requests"), "{err}");
        let err = Config::parse("[api]\nbase_url = \"ftp://x\"").unwrap_err();
        assert!(err.contains("http://"), "{err}");
    }

    #[test]
    fn names_the_bad_key() {
        let err = Config::parse("[api]\nbase_url = \"http://x\"\ntimeout = \"5 parsecs\"").unwrap_err();
        assert!(err.contains("parsecs"), "{err}");
        let err = Config::parse("[api]\nbase_url = \"http://x\"\nintervl = \"5s\"").unwrap_err();
        assert!(err.contains("intervl"), "{err}");
        let err = Config::parse("[api]\nbase_url = \"x\"").unwrap_err();
        assert!(err.contains("http://"), "{err}");
    }
}
