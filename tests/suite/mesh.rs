//! `bc implement-communication --pattern service-mesh`: what it writes for
//! specs with and without a gateway and BFFs, that the manifests hold
//! together with each other and with the crate they run (binaries, the
//! variables those read, ports, hosts, service accounts), what it
//! refuses, and that `check` replays it. The Kubernetes and Istio schemas
//! are checked in `tests/patterns.rs` (they need Node).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::Value;

use crate::support::*;

fn mesh(spec: &Path, out: &Path, flags: &[&str]) -> Run {
    bc(
        &["implement-communication"],
        spec,
        out,
        &[&["--pattern", "service-mesh"][..], flags].concat(),
    )
}

/// The folder `mesh` wrote: the only `*-mesh` folder under `out/rust`.
fn mesh_dir(out: &Path) -> PathBuf {
    std::fs::read_dir(out.join("rust"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-mesh"))
        .expect("a mesh folder")
}

/// Every object of every `*.yaml` manifest in `dir`, with its file.
fn objects(dir: &Path) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .filter(|p| !p.ends_with("kustomization.yaml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{name} does not parse: {e}"));
            if !value.is_null() {
                found.push((name.clone(), value));
            }
        }
    }
    found
}

fn text<'v>(value: &'v Value, path: &str) -> &'v str {
    at(value, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path} is not text in {value:?}"))
}

fn at<'v>(value: &'v Value, path: &str) -> &'v Value {
    path.split('.')
        .fold(value, |v, key| match key.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[key],
        })
}

fn of_kind<'o>(objects: &'o [(String, Value)], kind: &str) -> Vec<&'o Value> {
    objects
        .iter()
        .filter(|(_, o)| text(o, "kind") == kind)
        .map(|(_, o)| o)
        .collect()
}

/// The variables a binary's source reads: clap's `env = "NAME"` and
/// `env::var("NAME")`.
fn variables_read(source: &str) -> BTreeSet<String> {
    ["env = \"", "env::var(\""]
        .iter()
        .flat_map(|marker| source.split(marker).skip(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// The service accounts the `AuthorizationPolicy` of `app` lets call it.
fn principals_of(objects: &[(String, Value)], app: &str) -> Vec<String> {
    let policy = of_kind(objects, "AuthorizationPolicy")
        .into_iter()
        .find(|p| text(p, "spec.selector.matchLabels.app") == app)
        .unwrap_or_else(|| panic!("no policy for {app}"));
    at(policy, "spec.rules.0.from.0.source.principals")
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect()
}

/// Checks that the manifests in `mesh` hold together and run the crate
/// `krate` as it is built: returns the names of the Deployments.
fn assert_coherent(mesh: &Path, krate: &Path) -> Vec<String> {
    let objects = objects(mesh);
    let namespace = text(of_kind(&objects, "Namespace")[0], "metadata.name").to_string();
    for (file, object) in &objects {
        if text(object, "kind") != "Namespace" {
            assert_eq!(text(object, "metadata.namespace"), namespace, "{file}");
        }
    }
    let accounts: BTreeSet<&str> = of_kind(&objects, "ServiceAccount")
        .iter()
        .map(|a| text(a, "metadata.name"))
        .collect();
    // Service name -> (port, selected app label).
    let services: BTreeMap<&str, (u64, &str)> = of_kind(&objects, "Service")
        .iter()
        .map(|s| {
            (
                text(s, "metadata.name"),
                (
                    at(s, "spec.ports.0.port").as_u64().unwrap(),
                    text(s, "spec.selector.app"),
                ),
            )
        })
        .collect();
    let fqdn = |name: &str| format!("{name}.{namespace}.svc.cluster.local");

    // The binaries the crate builds, and the variables each reads.
    let cargo = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
    let package = cargo
        .lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    let mut binaries = BTreeMap::from([(package.clone(), vec![krate.join("src/main.rs")])]);
    for (bin, file) in [("gateway", "src/bin/gateway.rs"), ("bff", "src/bin/bff.rs")] {
        if cargo.contains(&format!("name = \"{package}-{bin}\"")) {
            binaries.insert(format!("{package}-{bin}"), vec![krate.join(file)]);
        }
    }
    // The sagas beside the crate (`setup orchestration --location backend`):
    // each crate is named like its folder, with one binary of that name,
    // whose settings are read in `main.rs` and `SagaConfig::from_env`.
    let rust_root = krate.parent().unwrap();
    for entry in std::fs::read_dir(rust_root).unwrap() {
        let folder = entry.unwrap().file_name().to_string_lossy().into_owned();
        if folder.starts_with(&format!("{package}-")) && folder.ends_with("-saga") {
            let src = rust_root.join(&folder).join("src");
            binaries.insert(
                folder.clone(),
                vec![src.join("main.rs"), src.join("saga.rs")],
            );
        }
    }
    let claims: BTreeSet<&str> = of_kind(&objects, "PersistentVolumeClaim")
        .iter()
        .map(|c| text(c, "metadata.name"))
        .collect();

    let mut deployments = Vec::new();
    let mut run = BTreeSet::new();
    for deployment in of_kind(&objects, "Deployment") {
        let name = text(deployment, "metadata.name");
        deployments.push(name.to_string());
        let app = text(deployment, "spec.template.metadata.labels.app");
        assert_eq!(text(deployment, "spec.selector.matchLabels.app"), app);
        let account = text(deployment, "spec.template.spec.serviceAccountName");
        assert!(accounts.contains(account), "{name}: no account {account}");
        let container = at(deployment, "spec.template.spec.containers.0");
        let binary = text(container, "command.0");
        let sources = binaries
            .get(binary)
            .unwrap_or_else(|| panic!("{name} runs `{binary}`, which the crate does not build"));
        run.insert(binary.to_string());
        let read: BTreeSet<String> = sources
            .iter()
            .flat_map(|source| variables_read(&std::fs::read_to_string(source).unwrap()))
            .collect();
        let port = at(container, "ports.0.containerPort").as_u64().unwrap();
        for variable in at(container, "env").as_sequence().unwrap() {
            let variable_name = text(variable, "name");
            assert!(
                read.contains(variable_name),
                "{name} sets {variable_name}, which `{binary}` does not read ({read:?})"
            );
            let Some(value) = variable["value"].as_str() else {
                continue;
            };
            if variable_name.ends_with("_ADDR") {
                assert_eq!(value, format!("0.0.0.0:{port}"), "{name}");
            }
            // Every URL of a process names a Service and its port.
            if let Some(rest) = value.strip_prefix("http://") {
                let (host, target) = rest.split_once(':').unwrap();
                let (service_port, _) = services
                    .get(host)
                    .unwrap_or_else(|| panic!("{name}: {variable_name} names no Service: {value}"));
                assert_eq!(target.parse::<u64>().unwrap(), *service_port, "{value}");
            }
        }
        // A volume it mounts is a claim in the folder.
        if let Some(volumes) = at(deployment, "spec.template.spec.volumes").as_sequence() {
            for volume in volumes {
                let claim = text(volume, "persistentVolumeClaim.claimName");
                assert!(claims.contains(claim), "{name}: no claim {claim}");
                let mounted = at(container, "volumeMounts")
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .any(|m| text(m, "name") == text(volume, "name"));
                assert!(mounted, "{name}: {claim} is not mounted");
            }
        }
        // Its Service selects it and sends to its port by name.
        let (_, selected) = services[name];
        assert_eq!(selected, app, "{name}");
        assert_eq!(text(container, "ports.0.name"), "http");
        for probe in ["livenessProbe", "readinessProbe"] {
            assert_eq!(text(container, &format!("{probe}.httpGet.port")), "http");
        }
    }
    assert_eq!(
        run,
        binaries.keys().cloned().collect(),
        "every binary the crate builds runs, and nothing else"
    );

    // Mesh rules name Services that exist, on their ports.
    for rule in of_kind(&objects, "DestinationRule") {
        let host = text(rule, "spec.host");
        assert!(
            services.keys().any(|s| fqdn(s) == host),
            "DestinationRule for {host}"
        );
    }
    for route in of_kind(&objects, "VirtualService") {
        for http in at(route, "spec.http").as_sequence().unwrap() {
            let destination = at(http, "route.0.destination");
            let host = text(destination, "host");
            let (service, (port, _)) = services
                .iter()
                .find(|(s, _)| fqdn(s) == host)
                .unwrap_or_else(|| panic!("route to {host}"));
            assert_eq!(
                at(destination, "port.number").as_u64().unwrap(),
                *port,
                "{service}"
            );
        }
    }
    for policy in of_kind(&objects, "AuthorizationPolicy") {
        let app = text(policy, "spec.selector.matchLabels.app");
        assert!(services.values().any(|(_, a)| *a == app), "{app}");
        for principal in at(policy, "spec.rules.0.from.0.source.principals")
            .as_sequence()
            .unwrap()
        {
            let account = principal
                .as_str()
                .unwrap()
                .strip_prefix(&format!("cluster.local/ns/{namespace}/sa/"))
                .unwrap_or_else(|| panic!("principal {principal:?}"));
            assert!(accounts.contains(account), "principal {account}");
        }
    }

    // kustomization.yaml lists every manifest; the Dockerfile builds and
    // copies exactly the binaries that run.
    let kustomization = std::fs::read_to_string(mesh.join("kustomization.yaml")).unwrap();
    let files: BTreeSet<&str> = objects.iter().map(|(f, _)| f.as_str()).collect();
    let listed: BTreeSet<&str> = kustomization
        .lines()
        .filter_map(|l| l.strip_prefix("  - "))
        .collect();
    assert_eq!(listed, files);
    let dockerfile = std::fs::read_to_string(mesh.join("Dockerfile")).unwrap();
    let copied: BTreeSet<String> = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("COPY --from=build /src/target/release/"))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(copied, run);
    for binary in &run {
        assert!(dockerfile.contains(&format!("--bin {binary}")), "{binary}");
    }
    // It copies crate folders that are there, from the Rust output folder.
    for line in dockerfile
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let folder = line.split(' ').nth(1).unwrap();
        assert!(
            rust_root.join(folder).join("Cargo.toml").is_file(),
            "{line}"
        );
    }
    deployments
}

/// The canonical spec: the service, its JWT gateway and its BFF, each with
/// the spec's `communication.sync` settings; only the gateway and the BFF
/// may call the service, only the gateway the BFF; the ingress goes to
/// the gateway; `check` replays it and reports a hand edit.
#[test]
fn the_mesh_runs_every_process_with_the_spec_s_sync_settings() {
    let out = tempfile::tempdir().unwrap();
    generate(&canonical_spec(), out.path(), "rust");
    let run = mesh(&canonical_spec(), out.path(), &[]).ok();
    assert!(run.stdout.contains("9 created"), "{}", run.stdout);
    let dir = out.path().join("rust/order-management-mesh");
    let command = "# Regenerate with: parasol bc implement-communication OrderManagement --pattern service-mesh --namespace order-management --image order-management:0.1.0 --replicas 1 --host '*'";
    for file in [
        "service.yaml",
        "ingress.yaml",
        "Dockerfile",
        "kustomization.yaml",
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(text.lines().nth(1), Some(command), "{file}");
    }
    let deployments = assert_coherent(&dir, &out.path().join("rust/order-management"));
    assert_eq!(
        deployments,
        [
            "order-management-bff",
            "order-management-gateway",
            "order-management"
        ],
        "one per process, in file order"
    );

    let objects = objects(&dir);
    // communication.sync: 1s, 5s, 3 retries, 50% of 10 calls, 30s.
    for rule in of_kind(&objects, "DestinationRule") {
        let policy = at(rule, "spec.trafficPolicy");
        assert_eq!(text(policy, "connectionPool.tcp.connectTimeout"), "1s");
        assert_eq!(
            at(policy, "outlierDetection.consecutive5xxErrors").as_u64(),
            Some(5)
        );
        assert_eq!(text(policy, "outlierDetection.baseEjectionTime"), "30s");
    }
    let routes = of_kind(&objects, "VirtualService");
    let service_route = routes
        .iter()
        .find(|r| text(r, "metadata.name") == "order-management")
        .unwrap();
    assert_eq!(
        text(service_route, "spec.http.0.match.0.uri.exact"),
        "/api/events"
    );
    assert_eq!(text(service_route, "spec.http.0.timeout"), "0s");
    let calls = at(service_route, "spec.http.1");
    assert_eq!(text(calls, "timeout"), "20s");
    assert_eq!(at(calls, "retries.attempts").as_u64(), Some(3));
    assert_eq!(text(calls, "retries.perTryTimeout"), "5s");
    assert_eq!(
        text(calls, "retries.retryOn"),
        "connect-failure,refused-stream"
    );

    let principals = |app: &str| principals_of(&objects, app);
    assert_eq!(
        principals("order-management"),
        ["order-management-gateway", "order-management-bff"]
    );
    assert_eq!(
        principals("order-management-bff"),
        ["order-management-gateway"]
    );
    assert!(
        of_kind(&objects, "AuthorizationPolicy")
            .iter()
            .all(|p| text(p, "spec.selector.matchLabels.app") != "order-management-gateway"),
        "the gateway is the entry"
    );
    let ingress = routes
        .iter()
        .find(|r| text(r, "metadata.name") == "order-management-ingress")
        .unwrap();
    assert_eq!(
        text(ingress, "spec.http.1.route.0.destination.host"),
        "order-management-gateway.order-management.svc.cluster.local"
    );
    let peer = of_kind(&objects, "PeerAuthentication");
    assert_eq!(text(peer[0], "spec.mtls.mode"), "STRICT");
    // The service believes the gateway's actor header, and reads its
    // database and broker (redis) from the secret.
    let service = std::fs::read_to_string(dir.join("service.yaml")).unwrap();
    assert!(service.contains("name: PARASOL_ACTOR_HEADER\n              value: \"x-user-id\""));
    assert!(service.contains("key: \"event-bus-url\""));

    let check = parasol(&["check", "--out", out.path().to_str().unwrap()]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    let again = mesh(&canonical_spec(), out.path(), &[]).ok();
    assert!(again.stdout.contains("9 unchanged"), "{}", again.stdout);
    std::fs::write(
        dir.join("service.yaml"),
        service.replace("attempts: 3", "attempts: 9"),
    )
    .unwrap();
    let check = parasol(&["check", "--out", out.path().to_str().unwrap()]);
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    assert!(format!("{}{}", check.stdout, check.stderr).contains("service.yaml"));
}

/// Every example holds together, whatever it declares: without a gateway
/// the service is the entry and nobody's calls are restricted; with BFFs
/// but no gateway the ingress sends `/bff/` to them; long names stay
/// Kubernetes names.
#[test]
fn every_example_s_mesh_holds_together_with_its_crate() {
    for name in example_names() {
        let out = tempfile::tempdir().unwrap();
        let spec = example_spec(&name);
        generate(&spec, out.path(), "rust");
        let sagas = backend_orchestrated(&spec);
        for workflow in &sagas {
            setup_orchestration(&spec, out.path(), workflow, &["--location", "backend"]).ok();
        }
        let run = mesh(&spec, out.path(), &[]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let dir = mesh_dir(out.path());
        let krate = PathBuf::from(dir.to_string_lossy().trim_end_matches("-mesh"));
        let deployments = assert_coherent(&dir, &krate);
        let objects = objects(&dir);
        for object in &objects {
            let object_name = text(&object.1, "metadata.name");
            assert!(object_name.len() <= 63, "{name}: {object_name}");
        }
        let has = |role: &str| dir.join(format!("{role}.yaml")).exists();
        let spec_text = std::fs::read_to_string(&spec).unwrap();
        assert_eq!(has("gateway"), spec_text.contains("gateway:"), "{name}");
        assert_eq!(
            deployments.len(),
            1 + usize::from(has("gateway")) + usize::from(has("bff")) + sagas.len()
        );
        assert!(
            !run.stderr.contains("runs in a backend saga"),
            "{name}: {}",
            run.stderr
        );
        let policies = of_kind(&objects, "AuthorizationPolicy");
        if !has("gateway") {
            assert!(policies.is_empty(), "{name}: no gateway, no restriction");
            let service = std::fs::read_to_string(dir.join("service.yaml")).unwrap();
            assert!(!service.contains("PARASOL_ACTOR_HEADER"), "{name}");
        }
        let ingress = std::fs::read_to_string(dir.join("ingress.yaml")).unwrap();
        assert_eq!(
            ingress.contains("prefix: /bff/"),
            has("bff") && !has("gateway"),
            "{name}: {ingress}"
        );
    }
}

/// A workflow the backend orchestrates runs in its saga's own workload:
/// one instance, whatever `--replicas` says, its journal on a volume that
/// outlives the pod; behind the gateway only the gateway may start runs
/// and the gateway is told where the saga is; without one the ingress
/// sends the saga's routes to it. Until `setup orchestration` has written
/// the saga, the mesh says so.
#[test]
fn a_backend_saga_runs_in_the_mesh_with_its_journal() {
    let out = tempfile::tempdir().unwrap();
    let spec = example_spec("ledger");
    generate(&spec, out.path(), "rust");
    let early = mesh(&spec, out.path(), &[]).ok();
    assert!(
        early
            .stderr
            .contains("`ledger-transfer-funds-saga` is not in")
            && early
                .stderr
                .contains("parasol setup orchestration TransferFunds --location backend")
            && early.stderr.contains("the mesh runs it"),
        "{}",
        early.stderr
    );
    setup_orchestration(
        &spec,
        out.path(),
        "TransferFunds",
        &["--location", "backend"],
    )
    .ok();
    let run = mesh(&spec, out.path(), &[]).ok();
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let dir = out.path().join("rust/ledger-mesh");
    let deployments = assert_coherent(&dir, &out.path().join("rust/ledger"));
    assert!(deployments.contains(&"ledger-transfer-funds-saga".to_string()));
    let objects = objects(&dir);
    let saga = of_kind(&objects, "Deployment")
        .into_iter()
        .find(|d| text(d, "metadata.name") == "ledger-transfer-funds-saga")
        .unwrap();
    assert_eq!(at(saga, "spec.replicas").as_u64(), Some(1));
    assert_eq!(text(saga, "spec.strategy.type"), "Recreate");
    let container = at(saga, "spec.template.spec.containers.0");
    let env: BTreeMap<&str, &str> = at(container, "env")
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| (text(v, "name"), text(v, "value")))
        .collect();
    assert_eq!(env["PARASOL_SERVICE_URL"], "http://ledger:8080");
    // Runs act for the caller the gateway names, as the service's calls do.
    assert_eq!(env["PARASOL_ACTOR_HEADER"], "x-user-id");
    let mount = text(container, "volumeMounts.0.mountPath");
    assert!(env["PARASOL_SAGA_JOURNAL"].starts_with(&format!("{mount}/")));
    let gateway = std::fs::read_to_string(dir.join("gateway.yaml")).unwrap();
    assert!(
        gateway.contains("name: GATEWAY_SAGA_TRANSFER_FUNDS\n              value: \"http://ledger-transfer-funds-saga:8081\""),
        "{gateway}"
    );
    let principals = |app: &str| principals_of(&objects, app);
    assert_eq!(principals("ledger-transfer-funds-saga"), ["ledger-gateway"]);
    assert!(principals("ledger").contains(&"ledger-transfer-funds-saga".to_string()));
    // The saga's event stream stays open, at the gateway and the ingress.
    let ingress = std::fs::read_to_string(dir.join("ingress.yaml")).unwrap();
    assert!(
        ingress.contains("exact: /api/sagas/transfer-funds/events"),
        "{ingress}"
    );
    assert!(
        gateway.contains("exact: /api/sagas/transfer-funds/events"),
        "{gateway}"
    );
    let check = parasol(&["check", "--out", out.path().to_str().unwrap()]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);

    // No gateway: the ingress sends the saga's routes to it, and anyone may
    // call it; several instances of the service, one of the saga.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("relay.bc.yaml");
    std::fs::write(
        &spec,
        "parasol: 1\nbounded_context:\n  name: Relay\n  modules:\n    relay:\n      aggregates:\n        Message: { fields: { body: string } }\n      api:\n        send:\n          input: { body: string }\n          output: { sent: bool }\n  workflows:\n    Forward:\n      coordination: orchestration\n      input: { body: string }\n      steps:\n        - name: send\n          call: relay.send\n  communication:\n    streaming: { broker: nats }\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    generate(&spec, &out, "rust");
    setup_orchestration(&spec, &out, "Forward", &["--location", "backend"]).ok();
    mesh(&spec, &out, &["--replicas", "2"]).ok();
    let mesh_dir = out.join("rust/relay-mesh");
    assert_coherent(&mesh_dir, &out.join("rust/relay"));
    let relay = self::objects(&mesh_dir);
    let replicas: BTreeMap<&str, u64> = of_kind(&relay, "Deployment")
        .iter()
        .map(|d| {
            (
                text(d, "metadata.name"),
                at(d, "spec.replicas").as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        replicas,
        BTreeMap::from([("relay", 2), ("relay-forward-saga", 1)])
    );
    assert!(of_kind(&relay, "AuthorizationPolicy").is_empty());
    // Nobody at the ingress vouches for a caller: runs act as the saga.
    let saga_env = at(
        of_kind(&relay, "Deployment")
            .into_iter()
            .find(|d| text(d, "metadata.name") == "relay-forward-saga")
            .unwrap(),
        "spec.template.spec.containers.0.env",
    );
    let names: Vec<&str> = saga_env
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| text(v, "name"))
        .collect();
    assert!(!names.contains(&"PARASOL_ACTOR_HEADER"), "{names:?}");
    let ingress = of_kind(&relay, "VirtualService")
        .into_iter()
        .find(|r| text(r, "metadata.name") == "relay-ingress")
        .unwrap();
    let routes: Vec<(String, String)> = at(ingress, "spec.http")
        .as_sequence()
        .unwrap()
        .iter()
        .map(|http| {
            let matched = http["match"]
                .as_sequence()
                .map(|m| {
                    m.iter()
                        .map(|m| {
                            let uri = &m["uri"];
                            uri["exact"]
                                .as_str()
                                .or(uri["prefix"].as_str())
                                .unwrap()
                                .to_string()
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            (matched, text(http, "route.0.destination.host").to_string())
        })
        .collect();
    let saga_host = "relay-forward-saga.relay.svc.cluster.local".to_string();
    let service_host = "relay.relay.svc.cluster.local".to_string();
    assert_eq!(
        routes,
        [
            ("/api/events".to_string(), service_host.clone()),
            ("/api/sagas/forward/events".to_string(), saga_host.clone()),
            (
                "/api/sagas/forward /api/sagas/forward/".to_string(),
                saga_host
            ),
            (String::new(), service_host),
        ]
    );
}

/// The workflows of `spec` its backend orchestrates.
fn backend_orchestrated(spec: &Path) -> Vec<String> {
    let spec: Value = serde_yaml::from_str(&std::fs::read_to_string(spec).unwrap()).unwrap();
    spec["bounded_context"]["workflows"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter(|(_, w)| w["coordination"].as_str() == Some("orchestration"))
        .map(|(name, _)| name.as_str().unwrap().to_string())
        .collect()
}

/// Flags reach every manifest they concern.
#[test]
fn flags_set_the_namespace_image_replicas_and_host() {
    let out = tempfile::tempdir().unwrap();
    generate(&canonical_spec(), out.path(), "rust");
    let flags = [
        "--namespace",
        "shop",
        "--image",
        "registry.example.com/shop/order-management:1.2.3",
        "--replicas",
        "3",
        "--host",
        "shop.example.com",
    ];
    mesh(&canonical_spec(), out.path(), &flags).ok();
    let dir = out.path().join("rust/order-management-mesh");
    assert_coherent(&dir, &out.path().join("rust/order-management"));
    let objects = objects(&dir);
    for deployment in of_kind(&objects, "Deployment") {
        assert_eq!(at(deployment, "spec.replicas").as_u64(), Some(3));
        assert_eq!(
            text(deployment, "spec.template.spec.containers.0.image"),
            "registry.example.com/shop/order-management:1.2.3"
        );
        assert_eq!(text(deployment, "metadata.namespace"), "shop");
    }
    let gateway = of_kind(&objects, "Gateway");
    assert_eq!(
        text(gateway[0], "spec.servers.0.hosts.0"),
        "shop.example.com"
    );
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(
        readme.contains("so a caller may make 3 times the limit"),
        "{readme}"
    );
    let header = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
    assert!(header.contains("--namespace shop --image registry.example.com/shop/order-management:1.2.3 --replicas 3 --host 'shop.example.com'"));
    let check = parasol(&["check", "--out", out.path().to_str().unwrap()]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

/// Refused before anything is written: names Kubernetes would refuse, no
/// instances, several instances of a service whose events stay in its
/// own memory, flags the pattern does not use (both ways), and a bundle
/// whose catalogue leaves out synchronous communication (which refuses a
/// workflow's orchestration too).
#[test]
fn what_kubernetes_or_the_spec_would_break_is_refused_before_writing() {
    let in_memory = example_spec("ledger");
    for (spec, flags, code, message) in [
        (
            canonical_spec(),
            &["--namespace", "Order_Management"][..],
            "mesh-setting",
            "is not a Kubernetes name",
        ),
        (
            canonical_spec(),
            &["--image", "order management"][..],
            "mesh-setting",
            "is not an image reference",
        ),
        (
            canonical_spec(),
            &["--host", "shop example"][..],
            "mesh-setting",
            "is not a host name",
        ),
        (
            canonical_spec(),
            &["--replicas", "0"][..],
            "mesh-setting",
            "0 replicas would run nothing",
        ),
        (
            in_memory.clone(),
            &["--replicas", "2"][..],
            "mesh-replicas",
            "the spec's event broker is in-memory",
        ),
        (
            canonical_spec(),
            &["--modules", "order,inventory"][..],
            "flag-without-effect",
            "`--modules` does nothing with `--pattern service-mesh`",
        ),
        (
            canonical_spec(),
            &["--workflow", "PlaceOrder"][..],
            "flag-without-effect",
            "`--workflow` does nothing",
        ),
    ] {
        let out = tempfile::tempdir().unwrap();
        let run = mesh(&spec, out.path(), flags);
        assert_eq!(run.code, 1, "{flags:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{flags:?}: {}", run.stderr);
        assert!(
            !out.path().join("rust").exists(),
            "{flags:?}: nothing written"
        );
        let json = mesh(
            &spec,
            out.path(),
            &[flags, &["--format", "json"][..]].concat(),
        );
        assert!(
            json.stdout.contains(&format!("\"code\": \"{code}\"")),
            "{flags:?}: {}",
            json.stdout
        );
    }
    // The mesh's flags do nothing for a workflow's coordination.
    let out = tempfile::tempdir().unwrap();
    let run = bc(
        &["implement-communication"],
        &canonical_spec(),
        out.path(),
        &[
            "--pattern",
            "frontend-orchestration",
            "--workflow",
            "PlaceOrder",
            "--replicas",
            "2",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("`--replicas` does nothing with `--pattern frontend-orchestration`"),
        "{}",
        run.stderr
    );
    assert!(!out.path().join("ts").exists());

    // A bundle catalogue without `synchronous` refuses the mesh.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("async-only.md"),
        "---\nbundle: { name: async-only, version: 1.0.0 }\nconfig:\n  communication_styles: [asynchronous, event-driven]\n---\n# Async only\n",
    )
    .unwrap();
    let spec = dir.path().join("relay.bc.yaml");
    std::fs::write(
        &spec,
        "parasol: 1\nbundle: ./async-only.md\nbounded_context:\n  name: Relay\n  modules:\n    relay:\n      aggregates:\n        Message: { fields: { body: string } }\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = mesh(&spec, &out, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("a service mesh carries `synchronous` communication, which is in no bundle's `communication_styles`"), "{}", run.stderr);
    assert!(run.stderr.contains("async-only.md:4:3"), "{}", run.stderr);
    assert!(!out.exists());
    // The same catalogue refuses a workflow's backend coordination, at its line.
    std::fs::write(
        &spec,
        "parasol: 1\nbundle: ./async-only.md\nbounded_context:\n  name: Relay\n  modules:\n    relay:\n      aggregates:\n        Message: { fields: { body: string } }\n      api:\n        send:\n          input: { body: string }\n          output: { sent: bool }\n  workflows:\n    Forward:\n      coordination: orchestration\n      input: { body: string }\n      steps:\n        - name: send\n          call: relay.send\n",
    )
    .unwrap();
    let run = parasol(&["bc", "validate", "--spec", spec.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("communication style `orchestration` of workflow `Forward` is in no bundle's `communication_styles`"), "{}", run.stderr);
    assert!(run.stderr.contains("relay.bc.yaml:15:21"), "{}", run.stderr);
    // A catalogue naming the saga pattern allows its coordination.
    std::fs::write(
        dir.path().join("async-only.md"),
        "---\nbundle: { name: async-only, version: 1.0.0 }\nconfig:\n  communication_styles: [asynchronous, saga-orchestration]\n---\n# Async only\n",
    )
    .unwrap();
    let run = parasol(&["bc", "validate", "--spec", spec.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // In-memory events with one instance are fine.
    let out = tempfile::tempdir().unwrap();
    mesh(&in_memory, out.path(), &["--replicas", "1"]).ok();
}
