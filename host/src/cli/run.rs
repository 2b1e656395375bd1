//! `probe-host run`: the exporter, from flags and the configuration file.

use super::{ApiArgs, CompileArgs, token_auth};
use crate::app;
use crate::config::Config;
use crate::resolve::{Flags, resolve};
use crate::server::ServerSettings;
use std::net::SocketAddr;
use std::path::PathBuf;
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

pub(super) async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let file = args.config.as_deref().map(Config::load).transpose()?;
    let web_config = match &args.web_config {
        Some(path) => Some(Arc::new(crate::server::WebConfig::load(path).map_err(anyhow::Error::msg)?)),
        None => None,
    };
    let flags = Flags {
        config_path: args.config.clone(),
        probes_dir: args.probes_dir.clone(),
        listen: args.listen,
        api_auth: if args.api.api_url.is_some() { token_auth(&args.api)? } else { None },
        api_url: args.api.api_url.clone(),
        shard: args.shard,
        cache: args.cache.flag(),
        compiler: args.cache.compiler.into(),
        server: ServerSettings { telemetry_path: args.telemetry_path.clone(), web_config, reload: None },
    };
    let host = app::start(resolve(flags, file)?).await?;
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
