//! A probe that misbehaves on command, for testing the host's sandbox and failure handling
//! (the way Spin tests its limits with a guest that allocates or sleeps when told to).
//!
//! The `mode` config key picks the behaviour; `name` renames the healthy gauge.

wit_bindgen::generate!({ path: "../../../wit", world: "probe-host:probe/probe", generate_all });

use potato::api::potatoes::{get_health, get_potato, list_all_important_potatoes, list_important_potatoes};
use probe_host::probe::metrics::{Bucket, HistogramValue, Label, MetricType, Sample, SampleValue};
use probe_host::probe::{config, log, scratch};

struct Misbehave;
export!(Misbehave);

impl Guest for Misbehave {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let mode = config::get("mode").unwrap_or_else(|| "ok".into());
        match mode.as_str() {
            "ok" => {}
            "panic" => panic!("misbehave was told to panic"),
            "error" => return Err("misbehave was told to fail".into()),
            "loop" => {
                let mut i: u64 = 0;
                loop {
                    i = std::hint::black_box(i.wrapping_add(1));
                }
            }
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "recurse" => {
                std::hint::black_box(recurse(1));
            }
            "invalid-name" => return Ok(vec![gauge("not a metric name", 1.0)]),
            "invalid-label" => {
                let mut g = gauge("misbehave_bad_label", 1.0);
                g.samples[0].labels[0].name = "bad-label".into();
                return Ok(vec![g]);
            }
            "duplicate" => {
                let mut g = gauge("misbehave_duplicate", 1.0);
                g.samples.push(g.samples[0].clone());
                return Ok(vec![g]);
            }
            "million" => return Ok(vec![many("misbehave_million", 1_000_000, |_| "same".into())]),
            "cardinality" => return Ok(vec![many("misbehave_cardinality", 100_000, |i| format!("user-{i}"))]),
            "api-loop" => loop {
                let _ = get_health();
            },
            "get-potato" => {
                get_potato("potato-00001").map_err(|e| format!("get-potato: {e:?}"))?;
            }
            "all-potatoes" => {
                // The host follows the pages; `max-pages` (default 10) caps them.
                let max_pages = config::get("max-pages").and_then(|n| n.parse().ok()).unwrap_or(10);
                let all = list_all_important_potatoes(max_pages).map_err(|e| format!("all-potatoes: {e:?}"))?;
                return Ok(vec![gauge("misbehave_all_potatoes", all.len() as f64)]);
            }
            "crunch" => return crunch(),
            "crunch-pages" => return crunch_pages(),
            "escape" => return Ok(vec![escape_attempts()]),
            "scratch" => {
                // Counts its own successful runs in the scratch space.
                let previous =
                    scratch::get("runs").and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).unwrap_or(0);
                scratch::set("runs", &(previous + 1).to_le_bytes())?;
                if config::get("fail-after").and_then(|n| n.parse::<u64>().ok()) == Some(previous) {
                    return Err("failing after writing the scratch space".into());
                }
                let name = config::get("name").unwrap_or_else(|| "misbehave_runs".into());
                return Ok(vec![gauge(&name, (previous + 1) as f64)]);
            }
            "print" => println!("misbehave says hello on stdout"),
            "big-error" => {
                // An error message of `bytes` bytes (default 56 MiB), ending in a marker.
                let bytes = config::get("bytes").and_then(|n| n.parse().ok()).unwrap_or(56 << 20);
                let mut message = String::with_capacity(bytes + 16);
                message.extend(std::iter::repeat_n('E', bytes));
                message.push_str("END-OF-ERROR");
                return Err(message);
            }
            "log-flood" => {
                // `lines` log lines of `bytes` bytes each, then success.
                let lines: usize = config::get("lines").and_then(|n| n.parse().ok()).unwrap_or(1000);
                let bytes: usize = config::get("bytes").and_then(|n| n.parse().ok()).unwrap_or(4000);
                let line = "L".repeat(bytes);
                for i in 0..lines {
                    log::log(log::Level::Warn, &format!("flood {i} {line}"));
                }
            }
            "counter" => {
                let name = config::get("name").unwrap_or_else(|| "misbehave_counter".into());
                let mut family = gauge(&name, 6.0);
                family.metric_type = MetricType::Counter;
                return Ok(vec![family]);
            }
            "histogram" => {
                let name = config::get("name").unwrap_or_else(|| "misbehave_histogram".into());
                let lowest: f64 = config::get("lowest").and_then(|n| n.parse().ok()).unwrap_or(1.0);
                let mut family = gauge(&name, 0.0);
                family.metric_type = MetricType::Histogram;
                family.samples[0].value = SampleValue::Histogram(HistogramValue {
                    buckets: vec![
                        Bucket { upper_bound: lowest, cumulative_count: 2 },
                        Bucket { upper_bound: f64::INFINITY, cumulative_count: 6 },
                    ],
                    sum: lowest * 6.0,
                    count: 6,
                });
                return Ok(vec![family]);
            }
            "suffix-clash" => {
                // A counter `x` (exposed as `x_total`) and a gauge named `x_total`.
                let mut counter = gauge("misbehave_clash", 1.0);
                counter.metric_type = MetricType::Counter;
                return Ok(vec![counter, gauge("misbehave_clash_total", 2.0)]);
            }
            other => return Err(format!("unknown mode {other:?}")),
        }
        let name = config::get("name").unwrap_or_else(|| "misbehave_ok".into());
        Ok(vec![gauge(&name, 1.0)])
    }
}

#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    // Not a tail call: every frame stays on the stack until it overflows.
    std::hint::black_box(recurse(depth + 1)).wrapping_add(depth)
}

/// One family with `n` samples, the `id` label of sample `i` given by `value(i)`.
fn many(name: &str, n: usize, value: impl Fn(usize) -> String) -> MetricFamily {
    let mut family = gauge(name, 1.0);
    family.samples = (0..n)
        .map(|i| Sample {
            labels: vec![Label { name: "id".into(), value: value(i) }],
            value: SampleValue::Number(i as f64),
        })
        .collect();
    family
}

/// Tries to reach the world through WASI; each sample is 1 if the attempt got anything.
fn escape_attempts() -> MetricFamily {
    let file = std::fs::read("/etc/passwd").is_ok() || std::fs::read_dir("/").is_ok() || std::fs::read_dir(".").is_ok();
    let env = std::env::vars().next().is_some() || std::env::args().next().is_some();
    let target = config::get("target").unwrap_or_else(|| "127.0.0.1:80".into());
    let socket = std::net::TcpStream::connect(target.as_str()).is_ok();
    let dns = std::net::ToSocketAddrs::to_socket_addrs(&("localhost", 80)).is_ok();
    let mut family = gauge("misbehave_escape", 0.0);
    family.samples = [("file", file), ("env", env), ("socket", socket), ("dns", dns)]
        .into_iter()
        .map(|(attempt, ok)| Sample {
            labels: vec![Label { name: "attempt".into(), value: attempt.into() }],
            value: SampleValue::Number(if ok { 1.0 } else { 0.0 }),
        })
        .collect();
    // What the probe's wall clock says (the host's, so a probe can tell how old a timestamp
    // the API hands it is): the test compares it with its own.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
    family.samples.push(Sample {
        labels: vec![Label { name: "attempt".into(), value: "clock_seconds".into() }],
        value: SampleValue::Number(now),
    });
    // And the monotonic clock, for timing within a run: it reads, and does not go back.
    let start = std::time::Instant::now();
    let monotonic = std::time::Instant::now() >= start;
    family.samples.push(Sample {
        labels: vec![Label { name: "attempt".into(), value: "monotonic_clock".into() }],
        value: SampleValue::Number(if monotonic { 1.0 } else { 0.0 }),
    });
    family
}

fn gauge(name: &str, value: f64) -> MetricFamily {
    MetricFamily {
        name: name.into(),
        help: "Set by the misbehave test probe.".into(),
        unit: None,
        metric_type: MetricType::Gauge,
        samples: vec![Sample {
            labels: vec![Label { name: "source".into(), value: "misbehave".into() }],
            value: SampleValue::Number(value),
        }],
    }
}

/// The boundary benchmark's probe: every important potato from the host, summed into 1,000
/// buckets by the number in its id (`host/benches/perf.rs` runs the same logic natively).
fn crunch() -> Result<Vec<MetricFamily>, String> {
    let potatoes = list_all_important_potatoes(1000).map_err(|e| format!("crunch: {e:?}"))?;
    let mut grams = vec![0.0f64; 1000];
    add_grams(&mut grams, &potatoes);
    crunched(&grams)
}

/// `crunch`, pulling one page at a time: every crossing is one page, and no more than one page
/// is held at once.
fn crunch_pages() -> Result<Vec<MetricFamily>, String> {
    let mut grams = vec![0.0f64; 1000];
    let mut token: Option<String> = None;
    loop {
        let page = list_important_potatoes(Some(1000), token.as_deref()).map_err(|e| format!("crunch: {e:?}"))?;
        add_grams(&mut grams, &page.items);
        match page.next_page_token {
            Some(next) => token = Some(next),
            None => return crunched(&grams),
        }
    }
}

fn add_grams(grams: &mut [f64], potatoes: &[potato::api::types::Potato]) {
    for p in potatoes {
        let n: usize = p.id.trim_start_matches(|c: char| !c.is_ascii_digit()).parse().unwrap_or(0);
        grams[n % 1000] += f64::from(p.weight_grams);
    }
}

fn crunched(grams: &[f64]) -> Result<Vec<MetricFamily>, String> {
    let samples = grams
        .iter()
        .enumerate()
        .map(|(bucket, g)| Sample {
            labels: vec![Label { name: "bucket".into(), value: bucket.to_string() }],
            value: SampleValue::Number(*g),
        })
        .collect();
    Ok(vec![MetricFamily {
        name: "misbehave_crunch_grams".into(),
        help: "Potato weight per id bucket.".into(),
        unit: Some("grams".into()),
        metric_type: MetricType::Gauge,
        samples,
    }])
}
