//! `probe-host run`: the exporter, from flags and the configuration file.

use super::{ApiArgs, CompileArgs, token_auth};
use crate::api::ApiSettings;
use crate::app::{self, HostSettings};
use crate::config::{self, Config, OciConfig};
use crate::reload::ProbeSources;
use crate::server::ServerSettings;
use crate::sources::OciSettings;
use anyhow::bail;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub(super) struct RunArgs {
    /// Configuration file (TOML).
    #[arg(long)]
    pub(super) config: Option<PathBuf>,
    /// Load every *.wasm in this directory (with the default interval, timeout and limits).
    #[arg(long)]
    pub(super) probes_dir: Option<PathBuf>,
    /// Address to serve on [default: the config's `listen`, else 0.0.0.0:9898].
    #[arg(long = "web.listen-address", alias = "listen")]
    pub(super) listen: Option<SocketAddr>,
    /// Path under which the metrics are served.
    #[arg(long = "web.telemetry-path", default_value = "/metrics")]
    pub(super) telemetry_path: String,
    /// TLS and basic auth, in the exporter-toolkit web config format.
    #[arg(long = "web.config.file")]
    pub(super) web_config: Option<PathBuf>,
    /// Run only this shard's probes: INDEX/COUNT (e.g. a StatefulSet pod's ordinal/replicas).
    #[arg(long)]
    pub(super) shard: Option<crate::probe::Shard>,
    #[command(flatten)]
    pub(super) api: ApiArgs,
    #[command(flatten)]
    pub(super) cache: CompileArgs,
}

/// An error in the configuration file, naming it.
pub(super) fn config_error(args: &RunArgs, message: String) -> anyhow::Error {
    anyhow::anyhow!("{}: {message}", args.config.as_deref().unwrap_or(Path::new("config")).display())
}

pub(super) async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
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
    let desired = crate::reload::desired(&probes, config.as_ref())?;
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
    let host = app::start(HostSettings {
        listen,
        api,
        probes,
        config,
        cache_dir,
        compiler: args.cache.compiler.into(),
        oci,
        server,
    })
    .await?;
    tracing::info!("serving metrics on http://{}/metrics", host.addr);
    let scheme = if args.web_config.is_some() { "https" } else { "http" };
    println!("probe-host listening on {scheme}://{}", host.addr);
    shutdown_signal().await;
    tracing::info!("shutting down");
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM (what Kubernetes sends).
pub(super) async fn shutdown_signal() {
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
