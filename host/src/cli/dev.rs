//! The development commands: `demo` (the simulator and the example probes on loopback) and
//! `simulator` (the potato-api simulator alone, to develop probes against).

use super::CompileArgs;
use super::run::shutdown_signal;
use crate::api::ApiSettings;
use crate::app::{self, HostSettings};
use crate::config::{self, OciConfig, ProbeSettings};
use crate::reload::ProbeSources;
use crate::server::ServerSettings;
use crate::sources::OciSettings;
use anyhow::{Context, bail};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub(super) struct DemoArgs {
    /// Address to serve on.
    #[arg(long = "web.listen-address", alias = "listen", default_value = "127.0.0.1:9898")]
    pub(super) listen: SocketAddr,
    /// Directory of example probes [default: $PROBE_HOST_PROBES_DIR, target/probes/wasm32-wasip2/release, or /probes].
    #[arg(long)]
    pub(super) probes_dir: Option<PathBuf>,
    /// How often each probe runs.
    #[arg(long, default_value = "5s", value_parser = config::parse_duration)]
    pub(super) interval: Duration,
    #[command(flatten)]
    pub(super) cache: CompileArgs,
}

#[derive(Debug, clap::Args)]
pub(super) struct SimulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(super) listen: SocketAddr,
    /// Bearer token to require.
    #[arg(long, default_value = "potato-demo-token")]
    pub(super) token: String,
    /// Seed of the data set.
    #[arg(long, default_value_t = potato_sim::DEFAULT_SEED)]
    pub(super) seed: u64,
    /// Serve this many important potatoes instead of the data set's own (to try probes at
    /// scale).
    #[arg(long)]
    pub(super) potatoes: Option<usize>,
}

pub(super) async fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
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
        document: potato_api_client::wit::potato().context("the built-in potato-api document")?,
        config: None,
        fixed_by_flags: Vec::new(),
        cache_dir: args.cache.resolve(),
        compiler: args.cache.compiler.into(),
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

pub(super) fn default_probes_dir() -> Option<PathBuf> {
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

pub(super) async fn simulator(args: SimulatorArgs) -> anyhow::Result<ExitCode> {
    let mut data = potato_sim::Dataset::generate(args.seed);
    if let Some(n) = args.potatoes {
        data = data.with_potatoes(n);
    }
    let sim = potato_sim::Simulator::start(args.listen, &args.token, data).await?;
    println!("potato-api simulator: {}", sim.base_url());
    println!("token: {}", sim.token());
    println!("try: export POTATO_API_URL={} POTATO_API_TOKEN={}", sim.base_url(), sim.token());
    println!("     probe-host once PROBE.wasm");
    shutdown_signal().await;
    Ok(ExitCode::SUCCESS)
}
