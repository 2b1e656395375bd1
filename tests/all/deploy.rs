//! The Dockerfile and the Kubernetes manifests agree with the binary: the flags they pass run,
//! the ports and paths they name are the ones served, and the security settings are there.
//! (No container engine runs here: the image itself is not built.)

use crate::support::{self, TempDir};
use serde_yaml::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A started binary, killed on drop, with the URL from its banner.
struct Running(Child, String);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `probe-host ARGS` (the container's command line, with its paths swapped for local
/// ones) and waits until `/readyz` says every probe ran.
async fn run_like_the_container(args: &[String], sim: &potato_sim::Simulator) -> Running {
    let mut child = support::binary()
        .args(args)
        .env("POTATO_API_TOKEN", sim.token())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut banner = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut banner).expect("banner");
    let url = banner
        .trim()
        .strip_prefix("probe-host listening on ")
        .unwrap_or_else(|| panic!("{args:?}: no banner: {banner:?}"));
    let running = Running(child, url.to_string());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = support::http().get(format!("{}/readyz", running.1)).send().await.map(|r| r.status().as_u16()).ok();
        if ready == Some(200) {
            return running;
        }
        assert!(Instant::now() < deadline, "{args:?} never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The JSON array after `keyword` on a Dockerfile line (`CMD [...]`, `HEALTHCHECK ... CMD [...]`).
fn json_array(dockerfile: &str, line_start: &str) -> Vec<String> {
    let line = dockerfile.lines().find(|l| l.starts_with(line_start)).unwrap_or_else(|| panic!("no {line_start} line"));
    let json = &line[line.find('[').expect("exec form")..];
    serde_json::from_str(json).expect("JSON array")
}

#[tokio::test]
async fn the_dockerfile_command_runs_and_its_healthcheck_passes() {
    let dockerfile = std::fs::read_to_string(support::repo_root().join("Dockerfile")).expect("Dockerfile");
    assert!(dockerfile.lines().any(|l| l.starts_with("USER 10001")), "non-root user");
    assert!(dockerfile.contains("EXPOSE 9898"));
    // The release image leaves out the development commands (`demo`, `simulator`); CI lints
    // that build (scripts/test.sh).
    assert!(dockerfile.contains("cargo build --release --locked -p probe-host --no-default-features"));
    let entrypoint = json_array(&dockerfile, "ENTRYPOINT");
    assert_eq!(entrypoint, ["/usr/local/bin/probe-host"]);
    // Every example the image copies is built by the probes workspace.
    for wasm in dockerfile.split_whitespace().filter(|w| w.ends_with(".wasm")) {
        let file = Path::new(wasm).file_name().expect("file name");
        assert!(support::probes_dir().join(file).exists(), "the Dockerfile copies {wasm}, which is not built");
    }

    let sim = support::simulator().await;
    let args: Vec<String> = json_array(&dockerfile, "CMD")
        .into_iter()
        .map(|a| match a.as_str() {
            "/probes" => support::probes_dir().display().to_string(),
            "http://potato-api:8080/api/v0" => sim.base_url(),
            "0.0.0.0:9898" => "127.0.0.1:0".into(),
            _ => a,
        })
        .collect();
    let host = run_like_the_container(&args, &sim).await;

    let mut health = json_array(&dockerfile, "HEALTHCHECK");
    assert_eq!(health[0], entrypoint[0]);
    let url = health.iter_mut().find(|a| a.ends_with("/healthz")).expect("a /healthz URL");
    assert_eq!(url.as_str(), "http://127.0.0.1:9898/healthz", "the port EXPOSEd and listened on");
    *url = format!("{}/healthz", host.1);
    let out = support::binary().args(&health[1..]).output().expect("healthcheck");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn manifests() -> Vec<(PathBuf, Value)> {
    let mut files = Vec::new();
    let mut dirs = vec![support::repo_root().join("deploy/kubernetes")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("deploy dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).expect("read");
                for doc in serde_yaml::Deserializer::from_str(&text) {
                    let value = Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    files.push((path.clone(), value));
                }
            }
        }
    }
    files
}

use serde::Deserialize as _;

fn str_of<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter().fold(v, |v, k| &v[*k]).as_str().unwrap_or_else(|| panic!("no {path:?}"))
}

#[tokio::test]
async fn the_kubernetes_manifests_match_the_binary() {
    let all = manifests();
    let kind = |k: &'static str| all.iter().filter(move |(_, v)| v["kind"] == k);
    let config_map = kind("ConfigMap").next().expect("a ConfigMap").1.clone();
    let config_text = str_of(&config_map, &["data", "probe-host.toml"]).to_string();
    let config: toml::Value = toml::from_str(&config_text).expect("the ConfigMap's config is TOML");
    let listen_port = config["listen"].as_str().and_then(|l| l.rsplit(':').next()).expect("listen").to_string();
    let token_file = PathBuf::from(config["api"]["token_file"].as_str().expect("token_file"));
    let secret = kind("Secret").next().expect("a Secret").1.clone();
    let secret_name = str_of(&secret, &["metadata", "name"]).to_string();
    let token_key = token_file.file_name().and_then(|f| f.to_str()).expect("file name");
    assert!(secret["stringData"][token_key].is_string(), "the Secret holds the key {token_key}");

    let sim = support::simulator().await;
    let workloads: Vec<_> = kind("Deployment").chain(kind("StatefulSet")).collect();
    assert_eq!(workloads.len(), 2);
    for (path, workload) in workloads {
        let what = path.display();
        let pod = &workload["spec"]["template"];
        let annotations = &pod["metadata"]["annotations"];
        assert_eq!(str_of(annotations, &["prometheus.io/port"]), listen_port, "{what}");
        assert_eq!(str_of(annotations, &["prometheus.io/path"]), "/metrics", "{what}");
        let dd: serde_json::Value =
            serde_json::from_str(str_of(annotations, &["ad.datadoghq.com/probe-host.checks"])).expect("Datadog JSON");
        let instance = &dd["openmetrics"]["instances"][0];
        assert_eq!(instance["openmetrics_endpoint"], format!("http://%%host%%:{listen_port}/metrics"), "{what}");
        assert!(instance["namespace"].is_string() && instance["metrics"].is_array(), "{what}");

        let spec = &pod["spec"];
        assert_eq!(spec["securityContext"]["runAsNonRoot"], Value::Bool(true), "{what}");
        let container = &spec["containers"][0];
        let sc = &container["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], Value::Bool(true), "{what}");
        assert_eq!(sc["allowPrivilegeEscalation"], Value::Bool(false), "{what}");
        assert_eq!(sc["capabilities"]["drop"][0], "ALL", "{what}");
        assert_eq!(container["ports"][0]["containerPort"].as_u64().map(|p| p.to_string()), Some(listen_port.clone()));
        assert_eq!(str_of(container, &["livenessProbe", "httpGet", "path"]), "/healthz", "{what}");
        assert_eq!(str_of(container, &["readinessProbe", "httpGet", "path"]), "/readyz", "{what}");

        // Volumes: the config file, the token file and the cache directory are where the
        // config says, from the objects defined here.
        let mounts = container["volumeMounts"].as_sequence().expect("mounts");
        let volumes = spec["volumes"].as_sequence().expect("volumes");
        let volume_at = |dir: &Path| -> &Value {
            let mount = mounts
                .iter()
                .find(|m| Path::new(str_of(m, &["mountPath"])) == dir)
                .unwrap_or_else(|| panic!("{what}: nothing mounted at {}", dir.display()));
            volumes.iter().find(|v| v["name"] == mount["name"]).expect("volume for mount")
        };
        assert_eq!(str_of(volume_at(token_file.parent().expect("dir")), &["secret", "secretName"]), secret_name);
        let cache_dir = PathBuf::from(config["cache_dir"].as_str().expect("cache_dir"));
        assert!(volume_at(&cache_dir)["emptyDir"].is_mapping(), "{what}: the cache is writable with a read-only root");
        let args: Vec<String> = container["args"]
            .as_sequence()
            .expect("args")
            .iter()
            .map(|a| a.as_str().expect("string").to_string())
            .collect();
        let config_path = PathBuf::from(&args[args.iter().position(|a| a == "--config").expect("--config") + 1]);
        assert_eq!(
            str_of(volume_at(config_path.parent().expect("dir")), &["configMap", "name"]),
            str_of(&config_map, &["metadata", "name"])
        );

        // The container's command line runs, with the ConfigMap's config pointed at the simulator.
        let dir = TempDir::new("k8s");
        let token = dir.path().join("token");
        std::fs::write(&token, sim.token()).expect("token");
        let local_config = config_text
            .replace("0.0.0.0:9898", "127.0.0.1:0")
            .replace("http://potato-api:8080/api/v0", &sim.base_url())
            .replace(token_file.to_str().expect("utf-8"), token.to_str().expect("utf-8"))
            .replace(cache_dir.to_str().expect("utf-8"), dir.path().join("cache").to_str().expect("utf-8"));
        let local_config_path = dir.path().join("probe-host.toml");
        std::fs::write(&local_config_path, local_config).expect("config");
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if Path::new(a) == config_path {
                    local_config_path.display().to_string()
                } else if a == "/probes" {
                    support::probes_dir().display().to_string()
                } else {
                    a.replace("$(POD_INDEX)", "0")
                }
            })
            .collect();
        let host = run_like_the_container(&args, &sim).await;
        for probe_path in ["/healthz", "/readyz", "/metrics"] {
            let status = support::http().get(format!("{}{probe_path}", host.1)).send().await.expect("GET").status();
            assert_eq!(status.as_u16(), 200, "{what}: {probe_path}");
        }
    }
}
