//! A probe author's tools: `once` (the test loop), `check`, `push`, `new` and `wit`.

use super::{ApiArgs, CompileArgs, FormatArg, TargetArgs, parse_key_value, token_auth};
use crate::api::{ApiSettings, PotatoApi};
use crate::config::{self, ProbeSettings};
use crate::engine::{Engine, EngineSettings};
use crate::exposition::Format;
use crate::sources::{OciSettings, Source};
use anyhow::{Context, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub(super) struct OnceArgs {
    /// The probe component.
    pub(super) probe: PathBuf,
    #[command(flatten)]
    pub(super) api: ApiArgs,
    #[command(flatten)]
    pub(super) target: TargetArgs,
    /// A probe setting, KEY=VALUE (repeatable).
    #[arg(long = "config", value_parser = parse_key_value)]
    pub(super) settings: Vec<(String, String)>,
    /// Exposition format to print.
    #[arg(long, value_enum, default_value = "text")]
    pub(super) format: FormatArg,
    /// Runs in a row, the scratch space kept between them as the host keeps it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(super) runs: u32,
    /// Print the host's own `probe_host_*` families too (by default only the probe's).
    #[arg(long)]
    pub(super) self_metrics: bool,
    /// Keep every call the runs make and what the API answered in DIR/recording.json.
    #[arg(long, value_name = "DIR", conflicts_with = "replay")]
    pub(super) record: Option<PathBuf>,
    /// Answer the probe's calls from DIR/recording.json instead of the API (no --api-url).
    #[arg(long, value_name = "DIR")]
    pub(super) replay: Option<PathBuf>,
    /// Compare the last run's output with FILE; show the lines that differ and fail if any do.
    #[arg(long, value_name = "FILE")]
    pub(super) expect: Option<PathBuf>,
    /// Operations (operationIds) the probe may call, as `allow` in the configuration
    /// (repeatable; default: all).
    #[arg(long = "allow", value_name = "OPERATION_ID")]
    pub(super) allow: Vec<String>,
    /// Run timeout (wall clock, host calls included).
    #[arg(long, default_value = "30s", value_parser = config::parse_duration)]
    pub(super) timeout: Duration,
    /// CPU time a run may use.
    #[arg(long, value_parser = config::parse_duration)]
    pub(super) cpu: Option<Duration>,
    /// Linear memory a run may use (e.g. 64MiB).
    #[arg(long, value_parser = config::parse_bytesize)]
    pub(super) memory: Option<usize>,
    /// API calls a run may make.
    #[arg(long)]
    pub(super) max_api_calls: Option<u32>,
    /// Samples a run may return, over all families.
    #[arg(long)]
    pub(super) max_samples: Option<usize>,
    /// Bytes of output a run may return (e.g. 4MiB).
    #[arg(long, value_parser = config::parse_bytesize)]
    pub(super) max_output_size: Option<usize>,
    /// Timeout of each API request.
    #[arg(long, default_value = "10s", value_parser = config::parse_duration)]
    pub(super) api_timeout: Duration,
    #[command(flatten)]
    pub(super) cache: CompileArgs,
}

/// `probe-host wit --openapi`: the target's package generated from its document.
#[derive(Debug, clap::Args)]
pub(super) struct WitFromOpenApi {
    /// The target's OpenAPI document (3.0 or 3.1, YAML or JSON).
    #[arg(long)]
    pub(super) openapi: Option<PathBuf>,
    /// The generated package's name: `namespace:name@version`.
    #[arg(long, requires = "openapi", default_value = "target:api@0.1.0")]
    pub(super) package: String,
    /// The interface holding one function per operation.
    #[arg(long, requires = "openapi", default_value = "operations")]
    pub(super) interface: String,
    /// The pagination convention, for `list-all-*` functions: the token query parameter, the
    /// result's next-token and items fields, and optionally the page-size parameter.
    #[arg(long, requires = "openapi", value_name = "TOKEN,NEXT,ITEMS[,SIZE]")]
    pub(super) paging: Option<String>,
    /// A non-GET operation to expose too, by operationId (repeatable).
    #[arg(long = "allow", requires = "openapi", value_name = "OPERATION_ID")]
    pub(super) allow: Vec<String>,
}

impl WitFromOpenApi {
    pub(super) fn options(&self) -> anyhow::Result<potato_api_client::wit::Options> {
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

pub(super) async fn once(args: OnceArgs) -> anyhow::Result<ExitCode> {
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
        cache_dir: args.cache.resolve(),
        compiler: args.cache.compiler.into(),
    }
    .run()
    .await?;
    Ok(if outcome.ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// A component's bytes and what it imports and exports, for the author's tools.
pub(super) fn inspect(
    path: &Path,
    document: &potato_api_client::wit::Generated,
    cache: &CompileArgs,
) -> anyhow::Result<(Vec<u8>, crate::engine::Inspection)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    // Linked against the target's functions as a running host links them, never called.
    let engine = Engine::new(EngineSettings {
        cache_dir: cache.resolve(),
        compiler: cache.compiler.into(),
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

pub(super) async fn check(
    path: &Path,
    document: &potato_api_client::wit::Generated,
    cache: &CompileArgs,
) -> anyhow::Result<ExitCode> {
    let (_, inspection) = inspect(path, document, cache)?;
    let (report, fits) = crate::tools::check::report(&path.display().to_string(), &inspection, &document.api);
    print!("{report}");
    Ok(if fits { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub(super) async fn push(
    path: &Path,
    reference: &str,
    insecure: Vec<String>,
    document: &potato_api_client::wit::Generated,
    cache: &CompileArgs,
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

/// `wit`: the WIT for the document given (`--openapi`), or the configured or built-in one.
pub(super) fn wit(out: &Path, openapi: &WitFromOpenApi, target: &TargetArgs) -> anyhow::Result<ExitCode> {
    let document = match &openapi.openapi {
        None => target.document()?,
        Some(path) => Arc::new(crate::tools::wit::map_document(path, &openapi.options()?)?),
    };
    let import = crate::tools::wit::write(out, &document)?;
    println!("{} imports {import}", crate::tools::wit::WORLD);
    println!("wrote the WIT for {} to {}", crate::tools::wit::WORLD, out.display());
    Ok(ExitCode::SUCCESS)
}

/// `new`: a skeleton for the target's document.
pub(super) fn new(
    name: &str,
    lang: crate::tools::skeleton::Lang,
    dir: Option<PathBuf>,
    target: &TargetArgs,
) -> anyhow::Result<ExitCode> {
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    let build = crate::tools::skeleton::create(name, lang, &dir, &*target.document()?)?;
    println!("created {} ({lang} probe)\nbuild it in that directory with:\n  {build}", dir.display());
    Ok(ExitCode::SUCCESS)
}
