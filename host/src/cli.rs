//! The `probe-host` command line: `run`, `demo`, `once` and `simulator`.

use crate::api::{ApiSettings, Auth, PotatoApi, TokenSource};
use crate::app::{self, HostSettings};
use crate::config::{self, Config, OciConfig, ProbeSettings};
use crate::engine::{Engine, EngineSettings};
use crate::exposition::Format;
use crate::reload::ProbeSources;
use crate::server::ServerSettings;
use crate::sources::{OciSettings, Source};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
    Run(RunArgs),
    /// Start the potato-api simulator and the example probes on loopback, and print the URL.
    Demo(DemoArgs),
    /// Run one probe once against the API and print its metrics (the probe author's loop).
    Once(OnceArgs),
    /// Run the potato-api simulator alone, for developing probes against it.
    Simulator(SimulatorArgs),
    /// Write the WIT packages a probe is built against; with --openapi, those for any API that
    /// publishes an OpenAPI document (docs/openapi-to-wit.md).
    Wit {
        /// Directory to write into.
        #[arg(long, default_value = "wit")]
        out: PathBuf,
        #[command(flatten)]
        openapi: WitFromOpenApi,
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
        cache: CacheArgs,
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
        cache: CacheArgs,
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
struct TargetArgs {
    /// The host's configuration file: the API its `[api] openapi` document describes (mapped
    /// by its `[api.wit]`) is the target [default: the built-in potato-api].
    #[arg(long = "host-config", value_name = "FILE")]
    host_config: Option<PathBuf>,
}

impl TargetArgs {
    fn document(&self) -> anyhow::Result<Arc<potato_api_client::wit::Generated>> {
        let Some(path) = &self.host_config else { return Ok(potato_api_client::wit::potato()?) };
        let config = Config::load(path)?;
        match config.api.target {
            Some(target) => Ok(target),
            None => Ok(potato_api_client::wit::potato()?),
        }
    }
}

#[derive(Debug, clap::Args)]
struct ApiArgs {
    /// potato-api base URL, including the base path (e.g. http://127.0.0.1:8080/api/v0).
    #[arg(long, env = "POTATO_API_URL")]
    api_url: Option<String>,
    /// File holding the API bearer token.
    #[arg(long, conflicts_with = "api_token_env")]
    api_token_file: Option<PathBuf>,
    /// Environment variable holding the API bearer token.
    #[arg(long, default_value = "POTATO_API_TOKEN")]
    api_token_env: String,
}

#[derive(Debug, clap::Args)]
struct CacheArgs {
    /// Where compiled probes are kept between starts [default: the config's `cache_dir`,
    /// $PROBE_HOST_CACHE_DIR, $XDG_CACHE_HOME/probe-host or ~/.cache/probe-host].
    #[arg(long, env = "PROBE_HOST_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile every probe at every start.
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
}

impl CacheArgs {
    fn resolve(&self, from_config: Option<&Path>) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache_dir.clone().or_else(|| from_config.map(Path::to_path_buf)).or_else(|| {
            let base = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
            Some(base.join("probe-host"))
        })
    }
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Configuration file (TOML).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Load every *.wasm in this directory (with the default interval, timeout and limits).
    #[arg(long)]
    probes_dir: Option<PathBuf>,
    /// Address to serve on [default: the config's `listen`, else 0.0.0.0:9898].
    #[arg(long = "web.listen-address", alias = "listen")]
    listen: Option<SocketAddr>,
    /// Path under which the metrics are served.
    #[arg(long = "web.telemetry-path", default_value = "/metrics")]
    telemetry_path: String,
    /// TLS and basic auth, in the exporter-toolkit web config format.
    #[arg(long = "web.config.file")]
    web_config: Option<PathBuf>,
    /// Run only this shard's probes: INDEX/COUNT (e.g. a StatefulSet pod's ordinal/replicas).
    #[arg(long)]
    shard: Option<crate::probe::Shard>,
    #[command(flatten)]
    api: ApiArgs,
    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// Address to serve on.
    #[arg(long = "web.listen-address", alias = "listen", default_value = "127.0.0.1:9898")]
    listen: SocketAddr,
    /// Directory of example probes [default: $PROBE_HOST_PROBES_DIR, target/probes/wasm32-wasip2/release, or /probes].
    #[arg(long)]
    probes_dir: Option<PathBuf>,
    /// How often each probe runs.
    #[arg(long, default_value = "5s", value_parser = config::parse_duration)]
    interval: Duration,
    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Text,
    Openmetrics,
}

#[derive(Debug, clap::Args)]
struct OnceArgs {
    /// The probe component.
    probe: PathBuf,
    #[command(flatten)]
    api: ApiArgs,
    #[command(flatten)]
    target: TargetArgs,
    /// A probe setting, KEY=VALUE (repeatable).
    #[arg(long = "config", value_parser = parse_key_value)]
    settings: Vec<(String, String)>,
    /// Exposition format to print.
    #[arg(long, value_enum, default_value = "text")]
    format: FormatArg,
    /// Runs in a row, the scratch space kept between them as the host keeps it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Print the host's own `probe_host_*` families too (by default only the probe's).
    #[arg(long)]
    self_metrics: bool,
    /// Keep every call the runs make and what the API answered in DIR/recording.json.
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    record: Option<PathBuf>,
    /// Answer the probe's calls from DIR/recording.json instead of the API (no --api-url).
    #[arg(long, value_name = "DIR")]
    replay: Option<PathBuf>,
    /// Compare the last run's output with FILE; show the lines that differ and fail if any do.
    #[arg(long, value_name = "FILE")]
    expect: Option<PathBuf>,
    /// Operations (operationIds) the probe may call, as `allow` in the configuration
    /// (repeatable; default: all).
    #[arg(long = "allow", value_name = "OPERATION_ID")]
    allow: Vec<String>,
    /// Run timeout (wall clock, host calls included).
    #[arg(long, default_value = "30s", value_parser = config::parse_duration)]
    timeout: Duration,
    /// CPU time a run may use.
    #[arg(long, value_parser = config::parse_duration)]
    cpu: Option<Duration>,
    /// Linear memory a run may use (e.g. 64MiB).
    #[arg(long, value_parser = config::parse_bytesize)]
    memory: Option<usize>,
    /// API calls a run may make.
    #[arg(long)]
    max_api_calls: Option<u32>,
    /// Samples a run may return, over all families.
    #[arg(long)]
    max_samples: Option<usize>,
    /// Bytes of output a run may return (e.g. 4MiB).
    #[arg(long, value_parser = config::parse_bytesize)]
    max_output_size: Option<usize>,
    /// Timeout of each API request.
    #[arg(long, default_value = "10s", value_parser = config::parse_duration)]
    api_timeout: Duration,
    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(Debug, clap::Args)]
struct SimulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Bearer token to require.
    #[arg(long, default_value = "potato-demo-token")]
    token: String,
    /// Seed of the data set.
    #[arg(long, default_value_t = potato_sim::DEFAULT_SEED)]
    seed: u64,
}

/// `probe-host wit --openapi`: the target's package generated from its document.
#[derive(Debug, clap::Args)]
struct WitFromOpenApi {
    /// The target's OpenAPI document (3.0 or 3.1, YAML or JSON).
    #[arg(long)]
    openapi: Option<PathBuf>,
    /// The generated package's name: `namespace:name@version`.
    #[arg(long, requires = "openapi", default_value = "target:api@0.1.0")]
    package: String,
    /// The interface holding one function per operation.
    #[arg(long, requires = "openapi", default_value = "operations")]
    interface: String,
    /// The pagination convention, for `list-all-*` functions: the token query parameter, the
    /// result's next-token and items fields, and optionally the page-size parameter.
    #[arg(long, requires = "openapi", value_name = "TOKEN,NEXT,ITEMS[,SIZE]")]
    paging: Option<String>,
    /// A non-GET operation to expose too, by operationId (repeatable).
    #[arg(long = "allow", requires = "openapi", value_name = "OPERATION_ID")]
    allow: Vec<String>,
}

impl WitFromOpenApi {
    fn options(&self) -> anyhow::Result<potato_api_client::wit::Options> {
        let pagination = match &self.paging {
            None => None,
            Some(spec) => {
                let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
                let (&[token, next, items] | &[token, next, items, _]) = parts.as_slice() else {
                    bail!("--paging takes TOKEN,NEXT,ITEMS[,SIZE], got {spec:?}");
                };
                Some(potato_api_client::wit::Pagination {
                    token_param: token.into(),
                    next_token_field: next.into(),
                    items_field: items.into(),
                    size_param: parts.get(3).map(|s| (*s).to_string()),
                })
            }
        };
        Ok(potato_api_client::wit::Options {
            package: self.package.clone(),
            interface: self.interface.clone(),
            pagination,
            allow_methods: self.allow.clone(),
        })
    }
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
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
            Command::Run(args) => run(args).await,
            Command::Demo(args) => demo(args).await,
            Command::Once(args) => once(args).await,
            Command::Simulator(args) => simulator(args).await,
            Command::Wit { out, openapi, target } => {
                let document = match &openapi.openapi {
                    None => target.document()?,
                    Some(path) => Arc::new(crate::tools::wit::map_document(path, &openapi.options()?)?),
                };
                let import = crate::tools::wit::write(&out, &document)?;
                println!("{} imports {import}", crate::tools::wit::WORLD);
                println!("wrote the WIT for {} to {}", crate::tools::wit::WORLD, out.display());
                Ok(ExitCode::SUCCESS)
            }
            Command::Check { probe, target, cache } => check(&probe, &*target.document()?, &cache).await,
            Command::Push { probe, reference, insecure_registries, target, cache } => {
                push(&probe, &reference, insecure_registries, &*target.document()?, &cache).await
            }
            Command::Healthcheck { url } => {
                let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?;
                match client.get(&url).send().await {
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
            Command::New { name, lang, dir, target } => {
                let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
                let build = crate::tools::skeleton::create(&name, lang, &dir, &*target.document()?)?;
                println!(
                    "created {} ({lang} probe)
build it in that directory with:
  {build}",
                    dir.display()
                );
                Ok(ExitCode::SUCCESS)
            }
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
fn token_auth(args: &ApiArgs) -> anyhow::Result<Option<Auth>> {
    let source = TokenSource::from_file_or_env(args.api_token_file.as_deref(), Some(&args.api_token_env));
    Ok(source.map_err(anyhow::Error::msg)?.map(Auth::Token))
}

/// An error in the configuration file, naming it.
fn config_error(args: &RunArgs, message: String) -> anyhow::Error {
    anyhow::anyhow!("{}: {message}", args.config.as_deref().unwrap_or(Path::new("config")).display())
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let config = args.config.as_deref().map(Config::load).transpose()?;
    if args.config.is_none() && args.probes_dir.is_none() {
        bail!("no probes: give --config with [[probes]] entries and/or --probes-dir with *.wasm files");
    }
    let probes = ProbeSources {
        config_path: args.config.clone(),
        probes_dir: args.probes_dir.clone(),
        shard: args.shard,
        defaults: config.as_ref().map(|c| c.defaults.clone()).unwrap_or_default(),
        oci_poll_interval: config.as_ref().map_or_else(|| OciConfig::default().poll_interval, |c| c.oci.poll_interval),
    };
    // Checked here too, so an unusable set of probes is an error at start (exit 1).
    let desired = crate::reload::desired(&probes, config.as_ref()).map_err(anyhow::Error::msg)?;
    if let Some(shard) = args.shard {
        tracing::info!("shard {}/{}: running {} probes", shard.index, shard.count, desired.len());
    }
    if desired.is_empty() {
        tracing::warn!("no probes to run: serving only the host's own metrics");
    }
    if !args.telemetry_path.starts_with('/') || args.telemetry_path == "/" {
        bail!("--web.telemetry-path {:?} must start with / and not be / itself", args.telemetry_path);
    }

    let api = match (&config, &args.api.api_url) {
        (_, Some(url)) => {
            // The command line's URL and token win over the config's; the rest comes from it.
            let mut settings = match &config {
                Some(c) => c.api.settings().map_err(|e| config_error(&args, e))?,
                None => ApiSettings::new(url, None),
            };
            settings.base_url = url.clone();
            settings.auth = token_auth(&args.api)?;
            settings
        }
        (Some(c), None) => c.api.settings().map_err(|e| config_error(&args, e))?,
        (None, None) => {
            bail!("no potato-api URL: give --api-url or a --config with [api] base_url")
        }
    };
    let listen = match (args.listen, &config) {
        (Some(addr), _) => addr,
        (None, Some(c)) => c.listen,
        (None, None) => config::DEFAULT_LISTEN.parse()?,
    };

    let cache_dir = args.cache.resolve(config.as_ref().and_then(|c| c.cache_dir.as_deref()));
    let web_config = match &args.web_config {
        Some(path) => Some(Arc::new(crate::server::WebConfig::load(path).map_err(anyhow::Error::msg)?)),
        None => None,
    };
    let server = ServerSettings { telemetry_path: args.telemetry_path.clone(), web_config, reload: None };
    let oci = OciSettings {
        cache_dir: None,
        insecure_registries: config.as_ref().map(|c| c.oci.insecure_registries.clone()).unwrap_or_default(),
    };
    let host = app::start(HostSettings { listen, api, probes, config, cache_dir, oci, server }).await?;
    tracing::info!("serving metrics on http://{}/metrics", host.addr);
    let scheme = if args.web_config.is_some() { "https" } else { "http" };
    println!("probe-host listening on {scheme}://{}", host.addr);
    shutdown_signal().await;
    tracing::info!("shutting down");
    Ok(ExitCode::SUCCESS)
}

async fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = match args.probes_dir {
        Some(dir) => dir,
        None => default_probes_dir().context(
            "no example probes found: build them (`cargo build --release --target wasm32-wasip2 \
             --manifest-path probes/Cargo.toml --target-dir target/probes`) or pass --probes-dir",
        )?,
    };
    let token = format!("demo-{:016x}", std::hash::BuildHasher::hash_one(&std::hash::RandomState::new(), 0u8));
    let sim = potato_sim::Simulator::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        &token,
        potato_sim::Dataset::generate(potato_sim::DEFAULT_SEED),
    )
    .await
    .context("cannot start the simulator")?;
    let defaults = ProbeSettings { interval: args.interval, ..ProbeSettings::default() };
    let found = crate::sources::scan_dir(&dir, &defaults).map_err(anyhow::Error::msg)?;
    if found.is_empty() {
        bail!("no *.wasm probes in {}", dir.display());
    }
    let names: Vec<_> = found.iter().map(|p| p.name().to_string()).collect();
    let probes = ProbeSources {
        config_path: None,
        probes_dir: Some(dir.clone()),
        shard: None,
        defaults,
        oci_poll_interval: OciConfig::default().poll_interval,
    };
    let host = app::start(HostSettings {
        listen: args.listen,
        api: ApiSettings::new(sim.base_url(), Some(token)),
        probes,
        config: None,
        cache_dir: args.cache.resolve(None),
        oci: OciSettings::default(),
        server: ServerSettings::default(),
    })
    .await?;
    println!("potato-api simulator: {}", sim.base_url());
    println!("probes ({}): {}", dir.display(), names.join(", "));
    println!("probe-host demo: open http://{}/ (metrics at http://{}/metrics)", host.addr, host.addr);
    shutdown_signal().await;
    Ok(ExitCode::SUCCESS)
}

fn default_probes_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("PROBE_HOST_PROBES_DIR").map(PathBuf::from),
        Some(PathBuf::from("target/probes/wasm32-wasip2/release")),
        Some(PathBuf::from("/probes")),
    ];
    candidates.into_iter().flatten().find(|d| {
        std::fs::read_dir(d)
            .is_ok_and(|mut it| it.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "wasm"))))
    })
}

async fn once(args: OnceArgs) -> anyhow::Result<ExitCode> {
    let document = args.target.document()?;
    let live = || -> anyhow::Result<Arc<dyn crate::engine::Caller>> {
        let Some(url) = args.api.api_url.clone() else {
            bail!("give --api-url (e.g. the URL `probe-host simulator` prints), or --replay DIR")
        };
        let mut settings = ApiSettings::new(url, None);
        settings.auth = token_auth(&args.api)?;
        settings.timeout = args.api_timeout;
        for warning in crate::api::advice::warnings(&settings, &document.api) {
            tracing::warn!("{warning}");
        }
        Ok(Arc::new(crate::api::HttpCaller::new(PotatoApi::new(&settings)?, &document.api)))
    };
    let api = match (&args.record, &args.replay) {
        (_, Some(dir)) => crate::tools::once::Api::Replay(dir.clone()),
        (Some(dir), None) => crate::tools::once::Api::Record(live()?, dir.clone()),
        (None, None) => crate::tools::once::Api::Live(live()?),
    };
    let defaults = ProbeSettings::default();
    let settings = ProbeSettings {
        timeout: args.timeout,
        cpu: args.cpu.unwrap_or(defaults.cpu),
        memory: args.memory.unwrap_or(defaults.memory),
        max_api_calls: args.max_api_calls.unwrap_or(defaults.max_api_calls),
        max_samples: args.max_samples.unwrap_or(defaults.max_samples),
        max_output_size: args.max_output_size.unwrap_or(defaults.max_output_size),
        allow: (!args.allow.is_empty()).then(|| args.allow.clone()),
        ..defaults
    };
    let outcome = crate::tools::once::Once {
        probe: args.probe.clone(),
        document: document.clone(),
        api,
        settings,
        config: args.settings.iter().cloned().collect::<BTreeMap<_, _>>(),
        runs: args.runs,
        format: match args.format {
            FormatArg::Text => Format::Text,
            FormatArg::Openmetrics => Format::OpenMetrics,
        },
        self_metrics: args.self_metrics,
        expect: args.expect.clone(),
        cache_dir: args.cache.resolve(None),
    }
    .run()
    .await?;
    Ok(if outcome.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// A component's bytes and what it imports and exports, for the author's tools.
fn inspect(
    path: &Path,
    document: &potato_api_client::wit::Generated,
    cache: &CacheArgs,
) -> anyhow::Result<(Vec<u8>, crate::engine::Inspection)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    // Linked against the target's functions as a running host links them, never called.
    let engine = Engine::new(EngineSettings {
        cache_dir: cache.resolve(None),
        target: Some(crate::engine::Target {
            api: Arc::new(document.api.clone()),
            caller: Arc::new(crate::engine::NoApi),
        }),
        ..EngineSettings::for_probes(1, ProbeSettings::default().memory)
    })?;
    let inspection = tokio::task::block_in_place(|| engine.inspect(&bytes))
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok((bytes, inspection))
}

async fn check(
    path: &Path,
    document: &potato_api_client::wit::Generated,
    cache: &CacheArgs,
) -> anyhow::Result<ExitCode> {
    let (_, inspection) = inspect(path, document, cache)?;
    let (report, fits) = crate::tools::check::report(&path.display().to_string(), &inspection, &document.api);
    print!("{report}");
    Ok(if fits { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn push(
    path: &Path,
    reference: &str,
    insecure: Vec<String>,
    document: &potato_api_client::wit::Generated,
    cache: &CacheArgs,
) -> anyhow::Result<ExitCode> {
    let Some(Source::Oci(target)) = Source::parse(reference, Path::new(".")).ok() else {
        bail!("{reference:?}: give the target as oci://REGISTRY/REPOSITORY:TAG");
    };
    if target.tag.is_none() || target.digest.is_some() {
        bail!("{reference:?}: push to a tag (oci://REGISTRY/REPOSITORY:TAG); the digest is printed after");
    }
    let (bytes, inspection) = inspect(path, document, cache)?;
    // Publishing what no host can run helps nobody: say why, as `check` does.
    if let Err(why) = &inspection.fits {
        bail!("{}: does not fit {}: {why}", path.display(), crate::engine::WORLD);
    }
    let info = crate::sources::oci::PushInfo {
        title: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        world: crate::engine::WORLD.into(),
        imports: inspection.imports,
        exports: inspection.exports,
    };
    let puller = crate::sources::oci::Puller::new(OciSettings { cache_dir: None, insecure_registries: insecure });
    let digest = puller.push(&target, bytes, &info).await.map_err(anyhow::Error::msg)?;
    println!("pushed {} as oci://{target}", path.display());
    println!("digest: {digest}");
    println!("pin it: oci://{}/{}@{digest}", target.registry, target.repository);
    Ok(ExitCode::SUCCESS)
}

async fn simulator(args: SimulatorArgs) -> anyhow::Result<ExitCode> {
    let sim = potato_sim::Simulator::start(args.listen, &args.token, potato_sim::Dataset::generate(args.seed)).await?;
    println!("potato-api simulator: {}", sim.base_url());
    println!("token: {}", sim.token());
    println!("try: export POTATO_API_URL={} POTATO_API_TOKEN={}", sim.base_url(), sim.token());
    println!("     probe-host once PROBE.wasm");
    shutdown_signal().await;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM (what Kubernetes sends).
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
