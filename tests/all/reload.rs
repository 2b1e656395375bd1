//! Hot reload: probe files added, changed and removed under a watched directory (also the
//! Kubernetes ConfigMap way, by swapping a `..data` symlink), a bad new version keeping the old
//! one, and the configuration reloaded by SIGHUP and `POST /-/reload`, good and bad.

use crate::support::exposition::Scrape;
use crate::support::{self, Host, TempDir};
use std::path::Path;
use std::time::{Duration, Instant};

fn has_probe(scrape: &Scrape, name: &str) -> bool {
    scrape.get("probe_host_probe_up", &[("probe", name)]).is_some()
}

/// Copies `from` to `to` through a temporary name, as deployment tools do (the watcher never
/// sees a half-written file as the final one).
fn install(from: &Path, to: &Path) {
    let tmp = to.with_extension("partial");
    std::fs::copy(from, &tmp).expect("copy");
    std::fs::rename(&tmp, to).expect("rename");
}

#[tokio::test]
async fn probes_dir_changes_are_picked_up_and_a_bad_version_keeps_the_old_one() {
    let sim = support::simulator().await;
    let dir = TempDir::new("watched");
    let probes = dir.path().join("probes");
    std::fs::create_dir(&probes).expect("dir");
    install(&support::probe("silos"), &probes.join("a.wasm"));
    let mut config = support::api_section(&sim, dir.path());
    config += "[defaults]\ninterval = \"1s\"\n";
    let host = Host::start_with(&config, &["--probes-dir", probes.to_str().expect("utf-8")]);
    host.wait_ready().await;
    let silos_digest = support::file_digest(&support::probe("silos"));
    let scrape = host.scrape().await;
    assert_eq!(support::running_digest(&scrape, "a"), Some(silos_digest.clone()));

    // Added, with a sidecar for its interval and settings.
    let added = Instant::now();
    install(&support::probe("misbehave"), &probes.join("b.wasm"));
    std::fs::write(probes.join("b.toml"), "interval = \"2s\"\nconfig = { name = \"b_was_configured\" }\n")
        .expect("toml");
    host.wait_for("b added", |s| s.get("b_was_configured", &[("source", "misbehave")]) == Some(1.0)).await;
    assert!(added.elapsed() < Duration::from_secs(10), "picked up in {:?}", added.elapsed());

    // A broken new version of a: refused, the running one stays and keeps serving.
    std::fs::write(probes.join("a.wasm"), b"not a component").expect("write");
    let scrape = host
        .wait_for("a's new version refused", |s| {
            s.value("probe_host_probe_update_failures_total", &[("probe", "a")]) >= 1.0
        })
        .await;
    assert_eq!(support::running_digest(&scrape, "a"), Some(silos_digest));
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "a")]), 1.0);
    let (_, _, page) = host.get("/", None).await;
    assert!(page.contains("newer version refused"), "{page}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let scrape = host.scrape().await;
    assert!(scrape.value("probe_host_probe_runs_total", &[("probe", "a"), ("result", "success")]) >= 2.0);
    assert!(scrape.count("potato_silo_fill_ratio") > 0, "a still serves its series");

    // A broken sidecar is refused the same way, naming the file.
    std::fs::write(probes.join("a.toml"), "interval = \"soon\"\n").expect("toml");
    let scrape = host
        .wait_for("a's broken sidecar refused", |s| {
            s.value("probe_host_probe_update_failures_total", &[("probe", "a")]) >= 2.0
        })
        .await;
    assert_eq!(scrape.value("probe_host_probe_up", &[("probe", "a")]), 1.0);
    assert!(host.log().contains("a.toml"), "{}", host.log());
    std::fs::remove_file(probes.join("a.toml")).expect("rm");

    // A good new version replaces it; the probe's counters carry on (they live as long as its
    // name): the refusals stay counted and the runs keep adding up.
    let before = host.scrape().await;
    let runs_before = before.value("probe_host_probe_runs_total", &[("probe", "a"), ("result", "success")]);
    install(&support::probe("inventory"), &probes.join("a.wasm"));
    let inventory_digest = support::file_digest(&support::probe("inventory"));
    let scrape = host
        .wait_for("a replaced", |s| {
            support::running_digest(s, "a").as_deref() == Some(inventory_digest.as_str())
                && s.count("potato_inventory_potatoes") > 0
        })
        .await;
    assert_eq!(scrape.value("probe_host_probe_update_failures_total", &[("probe", "a")]), 2.0);
    let runs_after = scrape.value("probe_host_probe_runs_total", &[("probe", "a"), ("result", "success")]);
    assert!(runs_after > runs_before, "runs went from {runs_before} to {runs_after} across the new version");

    // Removed: its series and self-metrics go.
    std::fs::remove_file(probes.join("b.wasm")).expect("rm");
    let scrape = host.wait_for("b removed", |s| !has_probe(s, "b")).await;
    assert!(scrape.get("b_was_configured", &[("source", "misbehave")]).is_none());
    assert!(host.log().contains("probe removed"));
}

#[tokio::test]
async fn a_configmap_update_by_symlink_swap_is_picked_up() {
    // How the kubelet lays out a ConfigMap volume: NAME -> ..data/NAME, ..data -> ..<timestamp>/,
    // and an update swaps ..data in one rename.
    let sim = support::simulator().await;
    let dir = TempDir::new("configmap");
    let volume = dir.path().join("volume");
    std::fs::create_dir_all(volume.join("..2026_11_29_first")).expect("dir");
    std::fs::copy(support::probe("silos"), volume.join("..2026_11_29_first/pick.wasm")).expect("copy");
    std::os::unix::fs::symlink("..2026_11_29_first", volume.join("..data")).expect("link");
    std::os::unix::fs::symlink("..data/pick.wasm", volume.join("pick.wasm")).expect("link");
    let mut config = support::api_section(&sim, dir.path());
    config += "[defaults]\ninterval = \"1s\"\n";
    let host = Host::start_with(&config, &["--probes-dir", volume.to_str().expect("utf-8")]);
    host.wait_ready().await;
    let scrape = host.scrape().await;
    assert_eq!(support::running_digest(&scrape, "pick"), Some(support::file_digest(&support::probe("silos"))));
    assert!(!has_probe(&scrape, "..data"), "the kubelet's own entries are not probes");

    std::fs::create_dir_all(volume.join("..2026_11_29_second")).expect("dir");
    std::fs::copy(support::probe("inventory"), volume.join("..2026_11_29_second/pick.wasm")).expect("copy");
    std::os::unix::fs::symlink("..2026_11_29_second", volume.join("..data_tmp")).expect("link");
    std::fs::rename(volume.join("..data_tmp"), volume.join("..data")).expect("swap");
    std::fs::remove_dir_all(volume.join("..2026_11_29_first")).expect("rm old");
    let want = support::file_digest(&support::probe("inventory"));
    host.wait_for("the swapped version", |s| support::running_digest(s, "pick").as_deref() == Some(want.as_str()))
        .await;
}

#[tokio::test]
async fn config_reload_by_sighup_and_http_good_and_bad() {
    let sim = support::simulator().await;
    let dir = TempDir::new("config-reload");
    let api = support::api_section(&sim, dir.path());
    let one = support::probe_entry("one", &support::probe("silos"), "");
    let two = support::probe_entry("two", &support::probe("misbehave"), "config = { name = \"two_gauge\" }");
    let mut host = Host::start(&format!("{api}{one}"));
    host.wait_ready().await;
    let ok = |s: &Scrape| s.value("probe_host_config_last_reload_successful", &[]);
    assert_eq!(ok(&host.scrape().await), 1.0);

    // SIGHUP: a probe added.
    host.rewrite_config(&format!("{api}{one}{two}"));
    host.signal("HUP");
    host.wait_for("two added by SIGHUP", |s| s.get("two_gauge", &[("source", "misbehave")]) == Some(1.0)).await;
    let before = host.scrape().await.value("probe_host_config_last_reload_success_timestamp_seconds", &[]);

    // A broken config: rejected with the file and the cause named, everything keeps running.
    host.rewrite_config(&format!("{api}{one}{two}[defaults]\ninterval = \"soon\"\n"));
    let (status, body) = host.reload().await;
    assert_eq!(status, 500);
    assert!(body.contains("probe-host.toml") && body.contains("soon"), "{body}");
    let scrape = host.scrape().await;
    assert_eq!(ok(&scrape), 0.0);
    assert_eq!(scrape.value("probe_host_config_last_reload_success_timestamp_seconds", &[]), before);
    assert!(has_probe(&scrape, "one") && has_probe(&scrape, "two"));
    // SIGHUP with the same broken file: still rejected, still running.
    host.signal("HUP");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(host.is_running());
    assert!(has_probe(&host.scrape().await, "two"));

    // Fixed: one removed; the flag goes back to 1.
    host.rewrite_config(&format!("{api}{two}"));
    assert_eq!(host.reload().await.0, 200);
    let scrape = host.scrape().await;
    assert_eq!(ok(&scrape), 1.0);
    assert!(!has_probe(&scrape, "one") && has_probe(&scrape, "two"));
    // Only POST (or PUT) reloads.
    let (status, _, _) = host.get("/-/reload", None).await;
    assert_eq!(status, 405);
}

/// A registry that takes connections and never answers, for `hold` each: the first load waits
/// on it (a slow registry, or a cold compile of a big component, looks the same).
fn stalling_registry(hold: Duration) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                std::thread::sleep(hold);
                drop(conn);
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_reload_asked_for_during_the_first_load_never_kills_the_host() {
    let sim = support::simulator().await;
    let dir = TempDir::new("reload-starting");
    let registry = stalling_registry(Duration::from_secs(4));
    let api = support::api_section(&sim, dir.path());
    let one = support::probe_entry("one", &support::probe("silos"), "");
    let slow = format!("[[probes]]\nname = \"slow\"\nsource = \"oci://{registry}/probes/slow:v1\"\n");
    let mut host = Host::start(&format!("{api}{one}{slow}"));
    // The server answers from the start; the probes are still loading.
    assert_eq!(host.get("/readyz", None).await.0, 503);
    host.signal("HUP");
    let reply = crate::support::http().post(format!("{}/-/reload", host.url)).send().await.expect("POST");
    assert_eq!(reply.status().as_u16(), 503, "answered at once while loading");
    assert!(reply.headers().contains_key("retry-after"));
    assert!(reply.text().await.expect("body").contains("first load"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(host.is_running(), "a SIGHUP during the first load must not end the process");
    // The SIGHUP is applied once the first load is over.
    host.wait_ready().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !host.log().contains("SIGHUP: reloading the configuration") {
        assert!(Instant::now() < deadline, "the SIGHUP was never applied; log:\n{}", host.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(host.is_running());
    assert_eq!(host.scrape().await.value("probe_host_config_last_reload_successful", &[]), 1.0);
}

#[tokio::test]
async fn a_reload_applies_the_oci_poll_interval_and_names_what_needs_a_restart() {
    let sim = support::simulator().await;
    let dir = TempDir::new("reload-keys");
    let api = support::api_section(&sim, dir.path());
    let one = support::probe_entry("one", &support::probe("silos"), "");
    let host = Host::start(&format!("{api}{one}"));
    host.wait_ready().await;
    // Applied: the poll interval (tags are then resolved at the new pace).
    host.rewrite_config(&format!("{api}[oci]\npoll_interval = \"7s\"\n{one}"));
    let (status, body) = host.reload().await;
    assert_eq!((status, body.as_str()), (200, "configuration reloaded\n"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !host.log().contains("resolving OCI tags every 7s") {
        assert!(Instant::now() < deadline, "the new poll interval was not applied; log:\n{}", host.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Not applied, and said so: [api] and [oci] insecure_registries are built into running clients.
    let api_changed = api.replace("[api]\n", "[api]\ntimeout = \"3s\"\n");
    host.rewrite_config(&format!(
        "{api_changed}[oci]\npoll_interval = \"7s\"\ninsecure_registries = [\"r:5000\"]\n{one}"
    ));
    let (status, body) = host.reload().await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("[api], [oci] insecure_registries take effect after a restart"), "{body}");
    assert!(host.log().contains("[api], [oci] insecure_registries take effect after a restart"));
    // Until a restart, every reload says so (the running clients still follow the old values).
    let (status, body) = host.reload().await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("[api], [oci] insecure_registries take effect after a restart"), "{body}");
}

/// A setting the command line fixed (here `--cache-dir`) is not the file's to change: a reload
/// that changes it in the file does not ask for a restart that would change nothing.
#[tokio::test]
async fn a_reload_does_not_ask_for_a_restart_for_what_the_command_line_fixed() {
    let sim = support::simulator().await;
    let dir = TempDir::new("reload-fixed");
    let api = support::api_section(&sim, dir.path());
    let one = support::probe_entry("one", &support::probe("silos"), "");
    let cache = dir.path().join("cache");
    let host = Host::start_with(&format!("{api}{one}"), &["--cache-dir", cache.to_str().expect("utf-8")]);
    host.wait_ready().await;
    host.rewrite_config(&format!("cache_dir = \"{}\"\n{api}{one}", dir.path().join("elsewhere").display()));
    assert_eq!(host.reload().await, (200, "configuration reloaded\n".to_string()));
    // What the file does decide still asks for one.
    host.rewrite_config(&format!("cache_dir = \"/x\"\n{}{one}", api.replace("[api]\n", "[api]\ntimeout = \"3s\"\n")));
    let (status, body) = host.reload().await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("[api] take effect after a restart"), "{body}");
}
