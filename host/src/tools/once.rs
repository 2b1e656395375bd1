//! `probe-host once`: a probe author's test loop. Runs a probe one or more times (the scratch
//! space kept between runs, as the host keeps it), against the live API, against it while
//! recording what it answered, or against a recording with no API at all; prints what
//! `/metrics` would serve of the probe's families, and compares it with an expected file.

use crate::api::recording::{Recorder, Replayer};
use crate::config::ProbeSettings;
use crate::engine::{Caller, Engine, EngineSettings, Scratch, Target};
use crate::exposition::{self, Format};
use crate::probe::{self, ProbeSpec};
use crate::sources::Source;
use crate::status::{ProbeSlot, ProbeTable};
use anyhow::Context;
use potato_api_client::wit::Generated;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the probe's calls go.
pub enum Api {
    /// The live API (through the host's access layer).
    Live(Arc<dyn Caller>),
    /// The live API, every call and answer kept in the directory.
    Record(Arc<dyn Caller>, PathBuf),
    /// Answered from the recording in the directory.
    Replay(PathBuf),
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Api::Live(_) => f.write_str("Live"),
            Api::Record(_, dir) => f.debug_tuple("Record").field(dir).finish(),
            Api::Replay(dir) => f.debug_tuple("Replay").field(dir).finish(),
        }
    }
}

/// What to run and how.
#[derive(Debug)]
pub struct Once {
    pub probe: PathBuf,
    pub document: Arc<Generated>,
    pub api: Api,
    pub settings: ProbeSettings,
    pub config: BTreeMap<String, String>,
    pub runs: u32,
    pub format: Format,
    /// Print the host's `probe_host_*` families too.
    pub self_metrics: bool,
    /// Compare the last run's output with this file.
    pub expect: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    /// Which compiler makes the probe's code.
    pub compiler: crate::engine::Compiler,
}

/// How it went: whether every run succeeded (and the last matched what was expected).
#[derive(Debug)]
pub struct Outcome {
    pub ok: bool,
}

impl Once {
    /// Runs the probe `runs` times, printing each run's output (or its error) as it goes.
    ///
    /// # Errors
    /// When the probe cannot be read or compiled, a setting is invalid, or a recording
    /// cannot be read or written: each naming the file and the cause. A failed run is not an
    /// error: it is printed, and the outcome is not ok.
    pub async fn run(self) -> anyhow::Result<Outcome> {
        let source = Source::File(self.probe.clone());
        let name = source.default_name().map_err(anyhow::Error::msg)?;
        let operations: Arc<[String]> = self
            .document
            .api
            .functions
            .iter()
            .map(|f| f.operation_id.clone().unwrap_or_else(|| f.name.clone()))
            .collect();
        let settings = ProbeSettings { operations: Some(operations), ..self.settings };
        settings.check("once").map_err(anyhow::Error::msg)?;
        // The caller, and the recorder to save (with its directory) when recording.
        type Recording = Option<(Arc<Recorder>, PathBuf)>;
        let (caller, recorder): (Arc<dyn Caller>, Recording) = match self.api {
            Api::Live(caller) => (caller, None),
            Api::Record(caller, dir) => {
                let recorder = Arc::new(Recorder::new(caller));
                (recorder.clone(), Some((recorder, dir)))
            }
            Api::Replay(dir) => (Arc::new(Replayer::load(&dir)?), None),
        };
        let target = Target { api: Arc::new(self.document.api.clone()), caller };
        let engine = Arc::new(Engine::new(EngineSettings {
            cache_dir: self.cache_dir,
            compiler: self.compiler,
            target: Some(target),
            ..EngineSettings::for_probes(1, settings.memory)
        })?);
        let spec = ProbeSpec { name, source, settings, config: Arc::new(self.config) };
        let bytes =
            std::fs::read(&self.probe).with_context(|| format!("cannot read probe {}", self.probe.display()))?;
        let probe = probe::compile(&engine, &spec, bytes.into()).await?;
        let slot = Arc::new(ProbeSlot::new(&spec.name, &spec.source.to_string(), spec.settings.interval));
        let table = ProbeTable::new(vec![slot.clone()]);
        let exposed = exposition::Exposition::new(Arc::new(table), exposition::SelfSources::default());
        let mut scratch = Scratch::default();
        let mut ok = true;
        let mut last = None;
        for run in 1..=self.runs {
            if self.runs > 1 {
                println!("# run {run} of {}", self.runs);
            }
            let succeeded = crate::scheduler::run_once(&probe, &spec, &slot, &mut scratch).await;
            let status = slot.status();
            if !succeeded {
                ok = false;
                let error = status.last_error.as_deref().unwrap_or("failed");
                eprintln!("error: probe {}: {error}", spec.name);
                last = None;
                continue;
            }
            let families = status.families.as_deref().map_or(&[][..], Vec::as_slice);
            let samples: usize = families.iter().map(|f| f.samples.len()).sum();
            eprintln!(
                "probe {}: run {run}: ok, {} families, {samples} samples, {} API calls",
                spec.name,
                families.len(),
                status.last_api_calls
            );
            let text = if self.self_metrics {
                exposed.render(self.format)
            } else {
                exposition::render_families(families, self.format)
            };
            print!("{text}");
            last = Some(text);
        }
        if let Some((recorder, dir)) = recorder {
            let calls = recorder.save(&dir)?;
            eprintln!("recorded {calls} calls in {}", dir.join(crate::api::recording::RECORDING_FILE).display());
        }
        if let Some(expected) = &self.expect {
            ok &= compare(expected, last.as_deref())?;
        }
        Ok(Outcome { ok })
    }
}

/// Whether `actual` (the last run's output; `None` when it failed) is the text in `expected`;
/// if not, the lines that differ, on stderr.
fn compare(expected: &Path, actual: Option<&str>) -> anyhow::Result<bool> {
    let want = std::fs::read_to_string(expected).with_context(|| format!("cannot read {}", expected.display()))?;
    let Some(got) = actual else {
        eprintln!("{}: the last run failed, nothing to compare", expected.display());
        return Ok(false);
    };
    if want == got {
        eprintln!("{}: matches", expected.display());
        return Ok(true);
    }
    eprintln!("{}: differs (- expected, + this run):", expected.display());
    for line in diff(&want, got) {
        eprintln!("{line}");
    }
    Ok(false)
}

/// A line diff: the longest common subsequence kept as context-free `-`/`+` lines.
fn diff(want: &str, got: &str) -> Vec<String> {
    let (a, b): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    // Exposition outputs are small (a probe's families), so the quadratic table is fine; past
    // a bound, the whole of both sides is shown.
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        return a.iter().map(|l| format!("-{l}")).chain(b.iter().map(|l| format!("+{l}"))).collect();
    }
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("-{}", a[i]));
            i += 1;
        } else {
            out.push(format!("+{}", b[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_diff_shows_only_the_lines_that_changed() {
        let want = "# TYPE a gauge\na 1\nb 2\nc 3\n";
        let got = "# TYPE a gauge\na 1\nb 5\nc 3\nd 4\n";
        assert_eq!(super::diff(want, got), ["-b 2", "+b 5", "+d 4"]);
        assert!(super::diff(want, want).is_empty());
    }
}
