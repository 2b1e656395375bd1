//! The host's own metrics, per probe (label `probe`), all prefixed `probe_host_`.

use crate::api::ApiStats;
use crate::model::{MetricFamily, MetricKind};
use crate::status::{ProbeSlot, ProbeStatus};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

/// `probes` holds each slot, its status as read for this scrape, and how many of its families
/// were left out because an earlier probe exports the same name.
pub(super) fn families(probes: &[(Arc<ProbeSlot>, ProbeStatus, usize)], api: Option<&ApiStats>) -> Vec<MetricFamily> {
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
    let mut series =
        MetricFamily::new("probe_host_probe_series", "Series the probe currently exports.", MetricKind::Gauge);
    let mut api_calls = MetricFamily::new(
        "probe_host_probe_last_run_api_calls",
        "potato-api calls made by the probe's last successful run.",
        MetricKind::Gauge,
    );
    let mut failing = MetricFamily::new(
        "probe_host_probe_consecutive_failures",
        "Failed runs since the probe's last success (runs back off while this grows).",
        MetricKind::Gauge,
    );
    let mut denied = MetricFamily::new(
        "probe_host_probe_api_calls_denied",
        "potato-api calls refused because the operation is not in the probe's allow list.",
        MetricKind::Counter,
    );
    let mut rejected = MetricFamily::new(
        "probe_host_probe_rejected_families",
        "Families of this probe not served because a probe loaded earlier exports the same name.",
        MetricKind::Gauge,
    );

    for (slot, status, conflicts) in probes {
        let probe = [("probe", slot.name.as_str())];
        up.push(&probe, if status.up() { 1.0 } else { 0.0 });
        loaded.push(&probe, if status.load_error.is_none() { 1.0 } else { 0.0 });
        for (result, n) in &status.runs {
            runs.push(&[("probe", slot.name.as_str()), ("result", result)], *n as f64);
        }
        if let Some(d) = status.load_duration {
            load.push(&probe, d.as_secs_f64());
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
    }
    let mut build = MetricFamily::new(
        "probe_host_build_info",
        "Always 1: the probe-host version and the probe WIT world it runs.",
        MetricKind::Gauge,
    );
    build.push(&[("version", env!("CARGO_PKG_VERSION")), ("world", crate::engine::WORLD)], 1.0);
    let mut calls = MetricFamily::new(
        "probe_host_api_calls",
        "potato-api calls made by probes, per operation (shared calls included).",
        MetricKind::Counter,
    );
    let mut requests = MetricFamily::new(
        "probe_host_api_requests",
        "Requests actually sent to the potato-api, per operation (calls minus those shared).",
        MetricKind::Counter,
    );
    for (operation, n_calls, n_sent) in api.map(ApiStats::snapshot).unwrap_or_default() {
        calls.push(&[("operation", operation)], n_calls as f64);
        requests.push(&[("operation", operation)], n_sent as f64);
    }
    vec![
        build,
        calls,
        requests,
        up,
        loaded,
        load,
        runs,
        duration,
        last_success,
        series,
        api_calls,
        failing,
        denied,
        rejected,
    ]
}
