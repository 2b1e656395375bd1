//! The host's own metrics, per probe (label `probe`), all prefixed `probe_host_`.

use crate::api::{ApiSnapshot, DURATION_BUCKETS};
use crate::model::{Histogram, MetricFamily, MetricKind, Sample, SampleValue};
use crate::status::{ProbeSlot, ProbeStatus, ProbeTable, ReloadStatus};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

/// `probes` holds each slot, its status as read for this scrape, and how many of its families
/// were left out because an earlier probe claims one of their series names.
pub(super) fn families(
    probes: &[(Arc<ProbeSlot>, ProbeStatus, usize)],
    table: &ProbeTable,
    sources: &super::SelfSources,
) -> Vec<MetricFamily> {
    let api = sources.api.as_deref();
    let mut up =
        MetricFamily::new("probe_host_probe_up", "1 if the probe's last run succeeded, else 0.", MetricKind::Gauge);
    let mut loaded =
        MetricFamily::new("probe_host_probe_loaded", "1 if the probe's component loaded, else 0.", MetricKind::Gauge);
    let mut runs = MetricFamily::new("probe_host_probe_runs", "Probe runs by result.", MetricKind::Counter);
    let mut duration = MetricFamily::new(
        "probe_host_probe_last_run_duration_seconds",
        "Duration of the probe's last run.",
        MetricKind::Gauge,
    )
    .with_unit("seconds");
    let mut last_success = MetricFamily::new(
        "probe_host_probe_last_success_timestamp_seconds",
        "Unix time of the probe's last successful run.",
        MetricKind::Gauge,
    )
    .with_unit("seconds");
    let mut load = MetricFamily::new(
        "probe_host_probe_load_duration_seconds",
        "Time to read and compile the probe (short when the compile cache had it).",
        MetricKind::Gauge,
    )
    .with_unit("seconds");
    let mut optimized = MetricFamily::new(
        "probe_host_probe_optimized",
        "1 when the probe runs optimized code; 0 while it runs the baseline compiler's, from loading until the optimizer swaps it.",
        MetricKind::Gauge,
    );
    let mut series =
        MetricFamily::new("probe_host_probe_series", "Series the probe currently exports.", MetricKind::Gauge);
    let mut api_calls = MetricFamily::new(
        "probe_host_probe_last_run_api_calls",
        "Target API calls made by the probe's last successful run.",
        MetricKind::Gauge,
    );
    let mut failing = MetricFamily::new(
        "probe_host_probe_consecutive_failures",
        "Failed runs since the probe's last success (runs back off while this grows).",
        MetricKind::Gauge,
    );
    let mut denied = MetricFamily::new(
        "probe_host_probe_api_calls_denied",
        "Target API calls refused because the operation is not in the probe's allow list.",
        MetricKind::Counter,
    );
    let mut updates_refused = MetricFamily::new(
        "probe_host_probe_update_failures",
        "Newer versions of the probe refused (fetch, sidecar, compile or world mismatch; each counted once); the running version stayed.",
        MetricKind::Counter,
    );
    let mut info = MetricFamily::new(
        "probe_host_probe_info",
        "Always 1: the probe's source, the digest of the component running and, from a registry, of the manifest it was pulled by.",
        MetricKind::Gauge,
    );
    let mut rejected = MetricFamily::new(
        "probe_host_probe_rejected_families",
        "Families of this probe not served because a probe listed earlier claims one of their series names.",
        MetricKind::Gauge,
    );

    for (slot, status, conflicts) in probes {
        let probe = [("probe", slot.name.as_str())];
        up.push(&probe, if status.up() { 1.0 } else { 0.0 });
        loaded.push(&probe, if status.load_error.is_none() { 1.0 } else { 0.0 });
        for (result, n) in &status.runs {
            runs.push(&[("probe", slot.name.as_str()), ("result", result.label())], *n as f64);
        }
        if let Some(d) = status.load_duration {
            load.push(&probe, d.as_secs_f64());
        }
        if let Some(flag) = &status.optimized {
            optimized.push(&probe, f64::from(u8::from(flag.load(std::sync::atomic::Ordering::Acquire))));
        }
        if let Some(d) = status.last_duration {
            duration.push(&probe, d.as_secs_f64());
        }
        if let Some(t) = status.last_success {
            last_success.push(&probe, t.duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0));
        }
        if let Some(families) = &status.families {
            series.push(&probe, families.iter().map(MetricFamily::series_count).sum::<usize>() as f64);
            api_calls.push(&probe, f64::from(status.last_api_calls));
        } else {
            series.push(&probe, 0.0);
        }
        failing.push(&probe, f64::from(status.consecutive_failures));
        denied.push(&probe, slot.denied.load(std::sync::atomic::Ordering::Relaxed) as f64);
        rejected.push(&probe, *conflicts as f64);
        updates_refused.push(&probe, status.update_failures as f64);
        match (&slot.digest, &slot.manifest_digest) {
            (Some(digest), Some(manifest)) => info.push(
                &[
                    ("probe", slot.name.as_str()),
                    ("source", slot.source.as_str()),
                    ("digest", digest),
                    ("manifest_digest", manifest),
                ],
                1.0,
            ),
            (Some(digest), None) => {
                info.push(&[("probe", slot.name.as_str()), ("source", slot.source.as_str()), ("digest", digest)], 1.0);
            }
            (None, _) => {}
        }
    }
    let mut build = MetricFamily::new(
        "probe_host_build_info",
        "Always 1: the probe-host version and the probe WIT world it runs.",
        MetricKind::Gauge,
    );
    build.push(&[("version", env!("CARGO_PKG_VERSION")), ("world", crate::engine::WORLD)], 1.0);
    let api_families = api.map(|a| api_families(&a.snapshot())).unwrap_or_default();
    let mut all = vec![build];
    all.extend(api_families);
    all.extend([
        up,
        loaded,
        load,
        optimized,
        runs,
        duration,
        last_success,
        series,
        api_calls,
        failing,
        denied,
        rejected,
        updates_refused,
        info,
    ]);
    all.extend(reload_families(table.reload_status()));
    if let Some(cache) = &sources.compile_cache {
        let (hits, misses) = cache.counts();
        let mut h = MetricFamily::new(
            "probe_host_compile_cache_hits",
            "Components found already compiled in the compile cache.",
            MetricKind::Counter,
        );
        h.push(&[], hits as f64);
        let mut m =
            MetricFamily::new("probe_host_compile_cache_misses", "Components compiled afresh.", MetricKind::Counter);
        m.push(&[], misses as f64);
        all.extend([h, m]);
    }
    all
}

/// `probe_host_config_last_reload_*`, named as Prometheus names its own.
fn reload_families(reload: ReloadStatus) -> [MetricFamily; 2] {
    let mut ok = MetricFamily::new(
        "probe_host_config_last_reload_successful",
        "1 if the last configuration reload succeeded (or none was asked for), 0 if it was rejected.",
        MetricKind::Gauge,
    );
    ok.push(&[], if reload.last_successful { 1.0 } else { 0.0 });
    let mut at = MetricFamily::new(
        "probe_host_config_last_reload_success_timestamp_seconds",
        "Unix time of the last successful configuration load.",
        MetricKind::Gauge,
    )
    .with_unit("seconds");
    at.push(&[], reload.last_success.duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0));
    [ok, at]
}

/// `probe_host_api_*`: what the access layer did, per operation and overall.
fn api_families(api: &ApiSnapshot) -> Vec<MetricFamily> {
    let counter = |name: &str, help: &str| MetricFamily::new(name, help, MetricKind::Counter);
    let mut calls = counter("probe_host_api_calls", "Target API calls made by probes, per operation.");
    let mut requests = counter(
        "probe_host_api_requests",
        "Requests sent to the potato-api, by operation and HTTP status (\"error\": no complete response).",
    );
    let mut hits = counter(
        "probe_host_api_cache_hits",
        "Calls answered by an identical call in flight or within the share window.",
    );
    let mut misses = counter("probe_host_api_cache_misses", "Calls that needed a request of their own.");
    let mut refusals = counter(
        "probe_host_api_retry_after_refusals",
        "Calls refused without a request because the potato-api asked to wait (Retry-After).",
    );
    let mut duration = MetricFamily::new(
        "probe_host_api_request_duration_seconds",
        "Time from sending a request to the end of its response body.",
        MetricKind::Histogram,
    )
    .with_unit("seconds");
    for (operation, op) in &api.operations {
        let labels = [("operation", *operation)];
        calls.push(&labels, op.calls as f64);
        hits.push(&labels, op.cache_hits as f64);
        misses.push(&labels, op.cache_misses as f64);
        refusals.push(&labels, op.retry_after_refusals as f64);
        for (code, n) in &op.responses {
            requests.push(&[("operation", operation), ("code", code)], *n as f64);
        }
        if op.duration_count > 0 {
            let mut buckets: Vec<(f64, u64)> = DURATION_BUCKETS.iter().copied().zip(op.duration_buckets).collect();
            buckets.push((f64::INFINITY, op.duration_count));
            duration.samples.push(Sample {
                labels: vec![("operation".into(), operation.to_string())],
                value: SampleValue::Histogram(Histogram { buckets, sum: op.duration_sum, count: op.duration_count }),
            });
        }
    }
    let mut waits = counter(
        "probe_host_api_limit_waits",
        "Requests that waited for max_concurrent_requests or max_requests_per_second.",
    );
    waits.push(&[], api.limit_waits as f64);
    let mut wait_seconds =
        counter("probe_host_api_limit_wait_seconds", "Time requests spent in those waits.").with_unit("seconds");
    wait_seconds.push(&[], api.limit_wait_seconds);
    let mut refreshes = counter("probe_host_api_token_refreshes", "OAuth2 tokens fetched from the token endpoint.");
    refreshes.push(&[], api.token_refreshes as f64);
    let mut refresh_failures =
        counter("probe_host_api_token_refresh_failures", "Failed attempts to fetch an OAuth2 token.");
    refresh_failures.push(&[], api.token_refresh_failures as f64);
    vec![calls, requests, duration, hits, misses, refusals, waits, wait_seconds, refreshes, refresh_failures]
}
