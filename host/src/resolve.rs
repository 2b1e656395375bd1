//! One resolved configuration for a host: the command line's flags over the configuration file
//! over the defaults, applied here and nowhere else (as Vector turns a raw configuration into a
//! checked one). `run` parses flags and calls [`resolve`]; the benchmarks do the same instead
//! of rebuilding the precedence by hand.
//!
//! Each default belongs to the module that uses the value (`api` its timeouts, `validate` the
//! output caps, `config` the probe settings); this module only decides who wins.

use crate::api::{ApiSettings, Auth};
use crate::app::HostSettings;
use crate::config::{self, Config, OciConfig};
use crate::engine::Compiler;
use crate::probe::Shard;
use crate::reload::ProbeSources;
use crate::server::ServerSettings;
use crate::sources::OciSettings;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// What the command line says, before the file is consulted.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// The configuration file, if any (re-read on reload).
    pub config_path: Option<PathBuf>,
    /// A directory of `*.wasm` probes.
    pub probes_dir: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    /// The target's base URL; with it, `api_auth` replaces the file's credentials.
    pub api_url: Option<String>,
    pub api_auth: Option<Auth>,
    pub shard: Option<Shard>,
    pub cache: CacheFlag,
    pub compiler: Compiler,
    pub server: ServerSettings,
}

/// Where compiled probes are kept, as the command line says.
#[derive(Debug, Clone, Default)]
pub enum CacheFlag {
    /// No flag: the file's `cache_dir`, else the user's cache directory.
    #[default]
    Unset,
    /// `--cache-dir` (or `$PROBE_HOST_CACHE_DIR`).
    At(PathBuf),
    /// `--no-cache`.
    Off,
}

impl CacheFlag {
    /// The directory: the flag, else the file's, else `$XDG_CACHE_HOME/probe-host` or
    /// `~/.cache/probe-host`; `None` with `--no-cache` (or without a home).
    pub fn resolve(&self, from_file: Option<&Path>) -> Option<PathBuf> {
        match self {
            CacheFlag::Off => None,
            CacheFlag::At(dir) => Some(dir.clone()),
            CacheFlag::Unset => from_file.map(Path::to_path_buf).or_else(|| {
                let base = std::env::var_os("XDG_CACHE_HOME")
                    .map(PathBuf::from)
                    .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
                Some(base.join("probe-host"))
            }),
        }
    }
}

/// Why the flags and the file do not make a host.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("no probes: give --config with [[probes]] entries and/or --probes-dir with *.wasm files")]
    NoProbes,
    #[error("no potato-api URL: give --api-url or a --config with [api] base_url")]
    NoApi,
    #[error("--web.telemetry-path {0:?} must start with / and not be / itself")]
    TelemetryPath(String),
    #[error("the built-in potato-api document: {0}")]
    BuiltIn(String),
    /// A setting in the file, named with the file.
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

/// The host's settings from `flags` and the configuration `file` (read from
/// `flags.config_path`).
///
/// # Errors
/// [`ResolveError`], naming the flag or the file and the cause.
pub fn resolve(flags: Flags, file: Option<Config>) -> Result<HostSettings, ResolveError> {
    if flags.config_path.is_none() && flags.probes_dir.is_none() {
        return Err(ResolveError::NoProbes);
    }
    // The file's restart-only settings the command line decides instead.
    // (`--api-url` replaces `[api]`'s URL and token, not the rest of it: not listed.)
    let [listen_key, cache_key, ..] = config::RESTART_KEYS;
    let fixed_by_flags: Vec<&'static str> =
        [(flags.listen.is_some(), listen_key), (!matches!(flags.cache, CacheFlag::Unset), cache_key)]
            .into_iter()
            .filter_map(|(fixed, key)| fixed.then_some(key))
            .collect();
    let path = flags.config_path.clone().unwrap_or_else(|| PathBuf::from("config"));
    let in_file = |message: String| ResolveError::File { path: path.clone(), message };
    let telemetry = &flags.server.telemetry_path;
    if !telemetry.starts_with('/') || telemetry == "/" {
        return Err(ResolveError::TelemetryPath(telemetry.clone()));
    }
    let api = match (&file, flags.api_url) {
        // The command line's URL and token win over the file's; the rest comes from it.
        (_, Some(url)) => {
            let mut settings = match &file {
                Some(c) => c.api.settings().map_err(in_file)?,
                None => ApiSettings::new(url.clone(), None),
            };
            settings.base_url = url;
            settings.auth = flags.api_auth;
            settings
        }
        (Some(c), None) => c.api.settings().map_err(in_file)?,
        (None, None) => return Err(ResolveError::NoApi),
    };
    let listen = match (flags.listen, &file) {
        (Some(addr), _) => addr,
        (None, Some(c)) => c.listen,
        (None, None) => config::default_listen(),
    };
    let probes = ProbeSources {
        config_path: flags.config_path,
        probes_dir: flags.probes_dir,
        shard: flags.shard,
        defaults: file.as_ref().map(|c| c.defaults.clone()).unwrap_or_default(),
        oci_poll_interval: file.as_ref().map_or_else(|| OciConfig::default().poll_interval, |c| c.oci.poll_interval),
    };
    let cache_dir = flags.cache.resolve(file.as_ref().and_then(|c| c.cache_dir.as_deref()));
    // The target: the file's document, else the built-in potato-api.
    let document = match file.as_ref().and_then(|c| c.api.target.clone()) {
        Some(document) => document,
        None => potato_api_client::wit::potato().map_err(|e| ResolveError::BuiltIn(e.to_string()))?,
    };
    let oci = OciSettings {
        cache_dir: None,
        insecure_registries: file.as_ref().map(|c| c.oci.insecure_registries.clone()).unwrap_or_default(),
    };
    Ok(HostSettings {
        listen,
        api,
        probes,
        document,
        config: file,
        fixed_by_flags,
        cache_dir,
        compiler: flags.compiler,
        oci,
        server: flags.server,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Config {
        Config::parse_in(text, Path::new(".")).expect("a valid file")
    }

    fn with_file() -> Flags {
        Flags { config_path: Some("probe-host.toml".into()), ..Flags::default() }
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_the_defaults() {
        let text = "listen = \"127.0.0.1:7000\"\ncache_dir = \"/from/file\"\n[api]\nbase_url = \"http://file/api\"\n";
        let from_file = resolve(with_file(), Some(file(text))).expect("resolves");
        assert_eq!(from_file.listen, "127.0.0.1:7000".parse().expect("addr"));
        assert_eq!(from_file.api.base_url, "http://file/api");
        assert_eq!(from_file.cache_dir.as_deref(), Some(Path::new("/from/file")));

        let flags = Flags {
            listen: Some("127.0.0.1:7001".parse().expect("addr")),
            api_url: Some("http://flag/api".into()),
            cache: CacheFlag::At("/from/flag".into()),
            ..with_file()
        };
        let from_flags = resolve(flags, Some(file(text))).expect("resolves");
        assert_eq!(from_flags.listen, "127.0.0.1:7001".parse().expect("addr"));
        assert_eq!(from_flags.api.base_url, "http://flag/api");
        assert_eq!(from_flags.cache_dir.as_deref(), Some(Path::new("/from/flag")));
        assert_eq!(from_flags.fixed_by_flags, ["listen", "cache_dir"], "what a reload of the file cannot change");
        assert!(from_file.fixed_by_flags.is_empty());
        let off = resolve(Flags { cache: CacheFlag::Off, ..with_file() }, Some(file(text))).expect("resolves");
        assert_eq!(off.cache_dir, None);

        let bare =
            Flags { probes_dir: Some("/probes".into()), api_url: Some("http://a/api".into()), ..Flags::default() };
        let defaults = resolve(bare, None).expect("resolves");
        assert_eq!(defaults.listen, config::default_listen());
        assert_eq!(defaults.api.timeout, ApiSettings::DEFAULT_TIMEOUT);
    }

    #[test]
    fn what_cannot_make_a_host_is_named() {
        assert!(matches!(resolve(Flags::default(), None), Err(ResolveError::NoProbes)));
        let dir = Flags { probes_dir: Some("/probes".into()), ..Flags::default() };
        assert!(matches!(resolve(dir.clone(), None), Err(ResolveError::NoApi)));
        let server = ServerSettings { telemetry_path: "/".into(), ..ServerSettings::default() };
        let flags = Flags { api_url: Some("http://a/api".into()), server, ..dir };
        assert!(matches!(resolve(flags, None), Err(ResolveError::TelemetryPath(_))));
    }
}
