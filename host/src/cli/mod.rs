//! The `probe-host` command line: parsing and dispatch, and the arguments several commands
//! share. The commands themselves: [`run`] (the exporter), [`author`] (a probe author's tools:
//! `once`, `check`, `push`, `new`, `wit`) and [`dev`] (the demo and the simulator).

mod author;
#[cfg(feature = "dev")]
mod dev;
mod run;

use crate::api::{Auth, TokenSource};
use crate::config::Config;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "probe-host",
    version,
    about = "Runs WebAssembly probes against the potato-api and serves their metrics."
)]
struct Cli {
    /// Log level (error, warn, info, debug, trace) or a tracing filter; RUST_LOG overrides it.
    #[arg(long = "log.level", alias = "log-level", global = true, default_value = "info")]
    log_level: String,
    /// Log line format.
    #[arg(long = "log.format", global = true, value_enum, default_value = "logfmt")]
    log_format: crate::logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the exporter: load probes, run them on their intervals, serve /metrics.
    Run(run::RunArgs),
    /// Start the potato-api simulator and the example probes on loopback, and print the URL.
    #[cfg(feature = "dev")]
    Demo(dev::DemoArgs),
    /// Run one probe once against the API and print its metrics (the probe author's loop).
    Once(author::OnceArgs),
    /// Run the potato-api simulator alone, for developing probes against it.
    #[cfg(feature = "dev")]
    Simulator(dev::SimulatorArgs),
    /// Write the WIT packages a probe is built against; with --openapi, those for any API that
    /// publishes an OpenAPI document (docs/openapi-to-wit.md).
    Wit {
        /// Directory to write into.
        #[arg(long, default_value = "wit")]
        out: PathBuf,
        #[command(flatten)]
        openapi: author::WitFromOpenApi,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Say whether a component fits this host's world, and what does not if it does not.
    Check {
        /// The component.
        probe: PathBuf,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        cache: CompileArgs,
    },
    /// Publish a probe to an OCI registry as a Wasm artifact (one application/wasm layer, the
    /// Wasm OCI config, standard annotations); prints the manifest digest to pin.
    Push {
        /// The component.
        probe: PathBuf,
        /// oci://REGISTRY/REPOSITORY:TAG (credentials: PROBE_HOST_REGISTRY_USERNAME and
        /// PROBE_HOST_REGISTRY_PASSWORD, or the Docker config.json).
        reference: String,
        /// A registry (host:port) to reach over plain HTTP (loopback ones always are).
        #[arg(long = "insecure-registry")]
        insecure_registries: Vec<String>,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        cache: CompileArgs,
    },
    /// Exit 0 if the host at URL answers its health check (for container HEALTHCHECKs, where
    /// no curl is installed).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:9898/healthz")]
        url: String,
    },
    /// Start a new probe: a ready-to-build skeleton with its WIT and build command.
    New {
        /// The probe's name (lowercase letters, digits and dashes).
        name: String,
        #[arg(long, value_enum)]
        lang: crate::tools::skeleton::Lang,
        /// Directory to create [default: ./NAME].
        #[arg(long)]
        dir: Option<PathBuf>,
        #[command(flatten)]
        target: TargetArgs,
    },
}

/// Which API a command's probes call: the one the host's configuration names.
#[derive(Debug, clap::Args)]
pub(super) struct TargetArgs {
    /// The host's configuration file: the API its `[api] openapi` document describes (mapped
    /// by its `[api.wit]`) is the target [default: the built-in potato-api].
    #[arg(long = "host-config", value_name = "FILE")]
    pub(super) host_config: Option<PathBuf>,
}

impl TargetArgs {
    pub(super) fn document(&self) -> anyhow::Result<Arc<potato_api_client::wit::Generated>> {
        let Some(path) = &self.host_config else { return Ok(potato_api_client::wit::potato()?) };
        let config = Config::load(path)?;
        match config.api.target {
            Some(target) => Ok(target),
            None => Ok(potato_api_client::wit::potato()?),
        }
    }
}

#[derive(Debug, clap::Args)]
pub(super) struct ApiArgs {
    /// potato-api base URL, including the base path (e.g. http://127.0.0.1:8080/api/v0).
    #[arg(long, env = "POTATO_API_URL")]
    pub(super) api_url: Option<String>,
    /// File holding the API bearer token.
    #[arg(long, conflicts_with = "api_token_env")]
    pub(super) api_token_file: Option<PathBuf>,
    /// Environment variable holding the API bearer token.
    #[arg(long, default_value = "POTATO_API_TOKEN")]
    pub(super) api_token_env: String,
}

/// How probes are compiled and where the compiled code is kept.
#[derive(Debug, clap::Args)]
pub(super) struct CompileArgs {
    /// Where compiled probes are kept between starts [default: the config's `cache_dir`,
    /// $PROBE_HOST_CACHE_DIR, $XDG_CACHE_HOME/probe-host or ~/.cache/probe-host].
    #[arg(long, env = "PROBE_HOST_CACHE_DIR")]
    pub(super) cache_dir: Option<PathBuf>,
    /// Compile every probe at every start.
    #[arg(long, conflicts_with = "cache_dir")]
    pub(super) no_cache: bool,
    /// tiered: start each probe on quickly compiled code and swap in optimized code when the
    /// background compile is done; optimizing: wait for the optimized code; baseline: never
    /// optimize.
    #[arg(long, value_enum, default_value = "tiered")]
    pub(super) compiler: CompilerArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum CompilerArg {
    Tiered,
    Optimizing,
    Baseline,
}

impl From<CompilerArg> for crate::engine::Compiler {
    fn from(arg: CompilerArg) -> Self {
        match arg {
            CompilerArg::Tiered => Self::Tiered,
            CompilerArg::Optimizing => Self::Optimizing,
            CompilerArg::Baseline => Self::Baseline,
        }
    }
}

impl CompileArgs {
    /// What the flags say about the cache directory.
    pub(super) fn flag(&self) -> crate::resolve::CacheFlag {
        match (&self.cache_dir, self.no_cache) {
            (_, true) => crate::resolve::CacheFlag::Off,
            (Some(dir), false) => crate::resolve::CacheFlag::At(dir.clone()),
            (None, false) => crate::resolve::CacheFlag::Unset,
        }
    }

    /// The cache directory for a command without a configuration file.
    pub(super) fn resolve(&self) -> Option<PathBuf> {
        self.flag().resolve(None)
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum FormatArg {
    Text,
    Openmetrics,
}

pub(super) fn parse_key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())).ok_or_else(|| format!("{s:?} is not KEY=VALUE"))
}

/// Parses the command line, runs the command, and maps errors to exit code 1 (2 for usage).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Every HTTP client (API, token endpoint, registries, healthcheck) uses rustls with ring;
    // reqwest is built without a default provider and would panic without one.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    crate::logging::init(&cli.log_level, cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(args).await,
            #[cfg(feature = "dev")]
            Command::Demo(args) => dev::demo(args).await,
            Command::Once(args) => author::once(args).await,
            #[cfg(feature = "dev")]
            Command::Simulator(args) => dev::simulator(args).await,
            Command::Wit { out, openapi, target } => author::wit(&out, &openapi, &target),
            Command::Check { probe, target, cache } => author::check(&probe, &*target.document()?, &cache).await,
            Command::Push { probe, reference, insecure_registries, target, cache } => {
                author::push(&probe, &reference, insecure_registries, &*target.document()?, &cache).await
            }
            Command::Healthcheck { url } => healthcheck(&url).await,
            Command::New { name, lang, dir, target } => author::new(&name, lang, dir, &target),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The bearer token from the command line's file or environment variable (a missing variable
/// means no token: the API then answers `unauthorized`, which the probes report).
pub(super) fn token_auth(args: &ApiArgs) -> anyhow::Result<Option<Auth>> {
    let source = TokenSource::from_file_or_env(args.api_token_file.as_deref(), Some(&args.api_token_env));
    Ok(source.map_err(anyhow::Error::msg)?.map(Auth::Token))
}

/// `healthcheck`: exit 0 if the host at `url` answers its health check (for container
/// HEALTHCHECKs, where no curl is installed).
async fn healthcheck(url: &str) -> anyhow::Result<ExitCode> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
    match client.get(url).send().await {
        Ok(resp) if resp.status().is_success() => Ok(ExitCode::SUCCESS),
        Ok(resp) => {
            eprintln!("unhealthy: {url} answered {}", resp.status());
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            eprintln!("unhealthy: {url}: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
