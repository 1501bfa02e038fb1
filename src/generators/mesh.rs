//! `bc implement-communication --pattern service-mesh`: Kubernetes and
//! Istio manifests for a context's processes, in a folder beside its crate
//! (`<ctx>-mesh`). Each process the crate builds (the service, and the
//! API gateway and the backends for frontends where the spec declares
//! them), and the saga of each workflow the spec has the backend
//! orchestrate (`setup orchestration`'s crate beside it), gets a workload
//! with its own service account; the mesh carries the spec's
//! `communication.sync` settings (connect timeout, per-call timeout and
//! retries, circuit breaking) between them, with strict mutual TLS, and
//! only the gateway may call what sits behind it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Renderer, Request, duration, plan_beside, saga_folder};
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::Context;
use crate::plan::{FileSpec, Plan};
use crate::policy::Ask;
use crate::render::tpl;

pub const SERVICE_MESH: &str = "bc implement-communication --pattern service-mesh";

/// Calls the generated TypeScript client's circuit breaker looks back on
/// (`windowSize` in its `src/http.ts`; a test compares the two). The mesh
/// ejects an instance after as many failures in a row as open that
/// breaker from a window of successes.
pub const BREAKER_WINDOW: u32 = 10;

/// The ports the processes listen on in the cluster: their defaults.
const SERVICE_PORT: u16 = 8080;
const GATEWAY_PORT: u16 = 8000;
const BFF_PORT: u16 = 8010;
const SAGA_PORT: u16 = 8081;

/// Where a saga's journal lives in its pod: on a volume of its own, so a
/// restarted pod resumes or compensates the runs the last one left.
const JOURNAL_FOLDER: &str = "/var/lib/parasol";

/// The header the gateway and the BFF tell the service the caller in
/// (their `--actor-header` default).
const ACTOR_HEADER: &str = "x-user-id";

/// What `--pattern service-mesh` was asked for (recorded in the manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mesh {
    /// The Kubernetes namespace everything goes in.
    pub namespace: String,
    /// The container image every process runs from.
    pub image: String,
    /// Instances of each process.
    pub replicas: u32,
    /// The host name the ingress answers for (`*`: any).
    pub host: String,
}

impl Mesh {
    /// The request with its defaults: the context's name as namespace, and
    /// the crate's name and version as image.
    pub fn new(
        ctx: &Context,
        namespace: Option<String>,
        image: Option<String>,
        replicas: Option<u32>,
        host: Option<String>,
    ) -> Mesh {
        Mesh {
            namespace: namespace.unwrap_or_else(|| dns_label(&ctx.name.kebab)),
            image: image.unwrap_or_else(|| format!("{}:{CRATE_VERSION}", ctx.name.kebab)),
            replicas: replicas.unwrap_or(1),
            host: host.unwrap_or_else(|| "*".into()),
        }
    }

    fn command(&self, ctx: &Context) -> String {
        format!(
            "parasol bc implement-communication {} --pattern service-mesh --namespace {} --image {} --replicas {} --host '{}'",
            ctx.name.raw, self.namespace, self.image, self.replicas, self.host
        )
    }

    pub fn folder(ctx: &Context) -> String {
        format!("{}-mesh", ctx.name.kebab)
    }
}

/// The generated crate's version (`templates/rust/Cargo.toml.j2`).
const CRATE_VERSION: &str = "0.1.0";

/// A Kubernetes name of at most 63 characters: `name`, or its start and a
/// hash of the whole when it is longer, so two long names stay apart.
fn dns_label(name: &str) -> String {
    crate::hash::shortened(name, 63, '-')
}

/// One environment variable of a container: a value, or a key of a secret.
#[derive(Debug, Serialize)]
struct Env {
    name: String,
    value: Option<String>,
    secret: Option<String>,
    key: Option<&'static str>,
}

impl Env {
    fn value(name: impl Into<String>, value: impl Into<String>) -> Env {
        Env {
            name: name.into(),
            value: Some(value.into()),
            secret: None,
            key: None,
        }
    }

    fn secret(name: &'static str, secret: &str, key: &'static str) -> Env {
        Env {
            name: name.to_string(),
            value: None,
            secret: Some(secret.to_string()),
            key: Some(key),
        }
    }
}

/// One process of the crate, as the mesh runs it (`workload` in
/// `workload.yaml.j2`).
#[derive(Debug, Serialize)]
struct Workload {
    /// Its Deployment, Service, service account and mesh rules' name.
    name: String,
    /// The manifest it is in, without `.yaml`.
    file: String,
    /// The binary it runs.
    binary: String,
    /// `service`, `gateway`, `bff` or `saga`: what the README and comments
    /// call it.
    role: &'static str,
    /// The workflow a saga runs (as the spec writes it), and where.
    workflow: Option<String>,
    route: Option<String>,
    port: u16,
    /// Instances: the request's, but one for a saga, whose journal one
    /// process writes.
    replicas: u32,
    /// The volume a saga keeps its journal on.
    journal: Option<Journal>,
    env: Vec<Env>,
    /// Kubernetes restarts it when this stops answering.
    liveness: &'static str,
    /// It gets traffic while this answers.
    readiness: &'static str,
    /// Whether it serves `GET /metrics` (Prometheus scrapes it).
    metrics: bool,
    /// The paths it streams server-sent events on, without an end
    /// (`/api/events`, a saga's `…/events`): no timeout.
    stream_paths: Vec<String>,
    /// The service accounts (in the namespace) that may call it; empty:
    /// anyone (it is an entry).
    callers: Vec<String>,
}

/// A saga's journal: a claim of its own, mounted where the saga writes it.
#[derive(Debug, Serialize)]
struct Journal {
    /// The PersistentVolumeClaim's name.
    claim: String,
    /// The folder it is mounted at.
    folder: &'static str,
}

/// A crate the image builds, from the Rust output folder, and its
/// binaries that run.
#[derive(Debug, Serialize)]
struct Crate {
    folder: String,
    binaries: Vec<String>,
}

/// What the mesh templates see (`mesh` in every template).
#[derive(Debug, Serialize)]
struct View<'r> {
    namespace: &'r str,
    image: &'r str,
    replicas: u32,
    host: &'r str,
    workloads: Vec<Workload>,
    /// The workload the ingress sends callers to: the gateway if there is
    /// one, else the service.
    entry: String,
    /// The BFF, when the ingress routes `/bff/` to it (no gateway).
    bff_entry: Option<String>,
    /// The crates the image builds.
    crates: Vec<Crate>,
    /// The secrets the containers read, and the keys in each.
    secrets: Vec<(String, Vec<&'static str>)>,
    /// `communication.sync`, in the mesh's terms.
    connect_timeout: String,
    per_try_timeout: String,
    /// The whole call with its retries.
    route_timeout: String,
    retries: u32,
    consecutive_errors: u32,
    ejection_time: String,
    failure_threshold_percent: u32,
    breaker_window: u32,
    /// The broker `EVENT_BUS_URL` names (`in-memory`: none is read).
    broker: &'r str,
    actor_header: &'static str,
    /// The crate's folder beside this one, for the Dockerfile's build.
    crate_folder: &'r str,
}

/// A DNS-1123 label: lowercase letters, digits and `-`, at most 63, not
/// starting or ending with `-`.
fn is_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// Checks the request against Kubernetes' rules and the spec's broker.
fn check(ctx: &Context, request: &Mesh) -> Result<(), Diagnostics> {
    let mut diags = Diagnostics::new();
    if !is_label(&request.namespace) {
        diags.push(
            Diagnostic::error(
                "mesh-setting",
                format!(
                    "namespace `{}` is not a Kubernetes name (lowercase letters, digits and `-`, at most 63)",
                    request.namespace
                ),
            )
            .with_help(format!("pass `--namespace {}`", dns_label(&ctx.name.kebab))),
        );
    }
    if request.image.is_empty()
        || request
            .image
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\' | '#'))
    {
        diags.push(
            Diagnostic::error(
                "mesh-setting",
                format!("image `{}` is not an image reference", request.image),
            )
            .with_help("pass `--image registry.example.com/order-management:0.1.0`"),
        );
    }
    let host_ok = request.host == "*"
        || request
            .host
            .strip_prefix("*.")
            .unwrap_or(&request.host)
            .split('.')
            .all(is_label);
    if !host_ok {
        diags.push(
            Diagnostic::error(
                "mesh-setting",
                format!("host `{}` is not a host name or `*`", request.host),
            )
            .with_help("pass `--host shop.example.com`, `--host '*.example.com'` or leave it out"),
        );
    }
    if request.replicas == 0 {
        diags.push(
            Diagnostic::error("mesh-setting", "0 replicas would run nothing")
                .with_help("pass `--replicas 1` or more"),
        );
    }
    if request.replicas > 1 && ctx.communication.streaming_broker == "in-memory" {
        diags.push(
            Diagnostic::error(
                "mesh-replicas",
                format!(
                    "{} instances of the service would each see only their own events: the spec's event broker is in-memory, so a client streaming `GET /api/events` from one instance misses what the others commit",
                    request.replicas
                ),
            )
            .with_help("set `communication.streaming.broker` to redis, nats or kafka in the spec, or pass `--replicas 1`"),
        );
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(())
    }
}

/// The processes of the crate and of its sagas, as the mesh runs them.
fn workloads(ctx: &Context, replicas: u32) -> (Vec<Workload>, Vec<(String, Vec<&'static str>)>) {
    let kebab = &ctx.name.kebab;
    let service = dns_label(kebab);
    let gateway = ctx
        .communication
        .gateway
        .as_ref()
        .map(|g| (dns_label(&format!("{kebab}-gateway")), g.jwt));
    let bff = (!ctx.communication.bff_views.is_empty()).then(|| dns_label(&format!("{kebab}-bff")));
    // (workflow, workload name, crate folder), in spec order.
    let sagas: Vec<(&crate::model::Workflow, String, String)> = ctx
        .workflows
        .iter()
        .filter(|w| w.runs_in_a_backend_saga())
        .map(|w| {
            let folder = saga_folder(ctx, w);
            (w, dns_label(&folder), folder)
        })
        .collect();
    let url = |name: &str, port: u16| format!("http://{name}:{port}");
    let events = "/api/events".to_string();

    let backing = dns_label(&format!("{kebab}-backing-services"));
    let mut backing_keys = vec!["database-url"];
    let mut service_env = vec![
        Env::value("PARASOL_ADDR", format!("0.0.0.0:{SERVICE_PORT}")),
        Env::value("PARASOL_LOG_FORMAT", "json"),
        Env::secret("DATABASE_URL", &backing, "database-url"),
    ];
    if ctx.communication.streaming_broker != "in-memory" {
        service_env.push(Env::secret("EVENT_BUS_URL", &backing, "event-bus-url"));
        backing_keys.push("event-bus-url");
    }
    if gateway.is_some() {
        service_env.push(Env::value("PARASOL_ACTOR_HEADER", ACTOR_HEADER));
    }
    let mut secrets = vec![(backing, backing_keys)];

    // Behind a gateway, only it (and the BFF and the sagas, which call
    // the service's API) may call what it fronts: the service believes
    // the actor header they set.
    let mut service_callers = Vec::new();
    let mut behind_gateway = Vec::new();
    if let Some((gateway, _)) = &gateway {
        service_callers.push(gateway.clone());
        behind_gateway.push(gateway.clone());
        service_callers.extend(bff.iter().cloned());
        service_callers.extend(sagas.iter().map(|(_, name, _)| name.clone()));
    }

    let mut list = vec![Workload {
        name: service.clone(),
        file: "service".into(),
        binary: kebab.clone(),
        role: "service",
        workflow: None,
        route: None,
        port: SERVICE_PORT,
        replicas,
        journal: None,
        env: service_env,
        liveness: "/health",
        readiness: "/ready",
        metrics: true,
        stream_paths: vec![events.clone()],
        callers: service_callers,
    }];
    if let Some((name, jwt)) = &gateway {
        let mut env = vec![
            Env::value("GATEWAY_ADDR", format!("0.0.0.0:{GATEWAY_PORT}")),
            Env::value("GATEWAY_UPSTREAM", url(&service, SERVICE_PORT)),
        ];
        if let Some(bff) = &bff {
            env.push(Env::value("GATEWAY_BFF", url(bff, BFF_PORT)));
        }
        for (workflow, saga, _) in &sagas {
            env.push(Env::value(
                format!("GATEWAY_SAGA_{}", workflow.name.screaming),
                url(saga, SAGA_PORT),
            ));
        }
        env.push(Env::value("PARASOL_ACTOR_HEADER", ACTOR_HEADER));
        if *jwt {
            let secret = dns_label(&format!("{kebab}-gateway-jwt"));
            env.push(Env::secret("GATEWAY_JWT_SECRET", &secret, "secret"));
            secrets.push((secret, vec!["secret"]));
        }
        let mut stream_paths = vec![events];
        stream_paths.extend(sagas.iter().map(|(w, _, _)| saga_events(w)));
        list.push(Workload {
            name: name.clone(),
            file: "gateway".into(),
            binary: format!("{kebab}-gateway"),
            role: "gateway",
            workflow: None,
            route: None,
            port: GATEWAY_PORT,
            replicas,
            journal: None,
            env,
            liveness: "/health",
            readiness: "/health",
            metrics: false,
            stream_paths,
            callers: Vec::new(),
        });
    }
    if let Some(name) = &bff {
        list.push(Workload {
            name: name.clone(),
            file: "bff".into(),
            binary: format!("{kebab}-bff"),
            role: "bff",
            workflow: None,
            route: None,
            port: BFF_PORT,
            replicas,
            journal: None,
            env: vec![
                Env::value("BFF_ADDR", format!("0.0.0.0:{BFF_PORT}")),
                Env::value("BFF_UPSTREAM", url(&service, SERVICE_PORT)),
                Env::value("PARASOL_ACTOR_HEADER", ACTOR_HEADER),
            ],
            liveness: "/health",
            readiness: "/health",
            metrics: false,
            stream_paths: Vec::new(),
            callers: behind_gateway.clone(),
        });
    }
    for (workflow, name, folder) in &sagas {
        let mut env = vec![
            Env::value("PARASOL_SAGA_ADDR", format!("0.0.0.0:{SAGA_PORT}")),
            Env::value(
                "PARASOL_SAGA_JOURNAL",
                format!("{JOURNAL_FOLDER}/{}-saga.journal", workflow.name.kebab),
            ),
            Env::value("PARASOL_SERVICE_URL", url(&service, SERVICE_PORT)),
        ];
        // Behind the gateway a run acts for the caller it names; at the
        // ingress nobody vouches for a caller, so runs act as the saga.
        if gateway.is_some() {
            env.push(Env::value("PARASOL_ACTOR_HEADER", ACTOR_HEADER));
        }
        list.push(Workload {
            name: name.clone(),
            file: format!("saga-{}", workflow.name.kebab),
            binary: folder.clone(),
            role: "saga",
            workflow: Some(workflow.name.raw.clone()),
            route: Some(workflow.saga_route.clone()),
            port: SAGA_PORT,
            replicas: 1,
            journal: Some(Journal {
                claim: dns_label(&format!("{folder}-journal")),
                folder: JOURNAL_FOLDER,
            }),
            env,
            liveness: "/health",
            readiness: "/health",
            metrics: false,
            stream_paths: vec![saga_events(workflow)],
            callers: behind_gateway.clone(),
        });
    }
    (list, secrets)
}

/// The path a saga streams the transitions of its runs on.
fn saga_events(workflow: &crate::model::Workflow) -> String {
    format!("{}/events", workflow.saga_route)
}

/// Plans `--pattern service-mesh` into `<language_root>/<ctx>-mesh`.
pub fn plan_mesh(
    renderer: &Renderer<'_>,
    ctx: &Context,
    request: &Mesh,
    language_root: &Path,
    spec_path: &Path,
) -> Result<Plan, Diagnostics> {
    let ask = Ask::Infrastructure {
        what: "a service mesh",
        style: "synchronous",
    };
    if let Some(refusal) = ctx.refusal(&ask, None, None) {
        return Err(refusal.into());
    }
    check(ctx, request)?;
    let sync = &ctx.communication.sync;
    let (workloads, secrets) = workloads(ctx, request.replicas);
    let entry = workloads
        .iter()
        .find(|w| w.role == "gateway")
        .unwrap_or(&workloads[0])
        .name
        .clone();
    let bff_entry = if workloads.iter().any(|w| w.role == "gateway") {
        None
    } else {
        workloads
            .iter()
            .find(|w| w.role == "bff")
            .map(|w| w.name.clone())
    };
    let mut crates = vec![Crate {
        folder: ctx.name.kebab.clone(),
        binaries: Vec::new(),
    }];
    for workload in &workloads {
        if workload.role == "saga" {
            crates.push(Crate {
                folder: workload.binary.clone(),
                binaries: vec![workload.binary.clone()],
            });
        } else {
            crates[0].binaries.push(workload.binary.clone());
        }
    }
    let view = View {
        namespace: &request.namespace,
        image: &request.image,
        replicas: request.replicas,
        host: &request.host,
        entry,
        bff_entry,
        crates,
        secrets,
        connect_timeout: duration(sync.connect_timeout_ms),
        per_try_timeout: duration(sync.read_timeout_ms),
        route_timeout: duration(sync.read_timeout_ms * (u64::from(sync.retries) + 1)),
        retries: sync.retries,
        consecutive_errors: (BREAKER_WINDOW * sync.failure_threshold_percent)
            .div_ceil(100)
            .max(1),
        ejection_time: duration(sync.open_for_ms),
        failure_threshold_percent: sync.failure_threshold_percent,
        breaker_window: BREAKER_WINDOW,
        broker: &ctx.communication.streaming_broker,
        actor_header: ACTOR_HEADER,
        crate_folder: &ctx.name.kebab,
        workloads,
    };
    let root = language_root.join(Mesh::folder(ctx));
    let mut files = vec![
        FileSpec::generated("README.md", tpl::MESH_README_MD),
        FileSpec::generated("kustomization.yaml", tpl::MESH_KUSTOMIZATION_YAML),
        FileSpec::generated("namespace.yaml", tpl::MESH_NAMESPACE_YAML),
        FileSpec::generated("ingress.yaml", tpl::MESH_INGRESS_YAML),
        FileSpec::generated("Dockerfile", tpl::MESH_DOCKERFILE),
        FileSpec::generated("Dockerfile.dockerignore", tpl::MESH_DOCKERFILE_DOCKERIGNORE),
    ];
    for (index, workload) in view.workloads.iter().enumerate() {
        files.push(
            FileSpec::generated(format!("{}.yaml", workload.file), tpl::MESH_WORKLOAD_YAML)
                .with("workload", minijinja::Value::from(index)),
        );
    }
    let extra = [("mesh", crate::render::value(&view))];
    plan_beside(
        renderer,
        ctx,
        request,
        request.command(ctx),
        root,
        spec_path,
        files,
        &extra,
    )
}

impl Request for Mesh {
    const COMMAND: &'static str = SERVICE_MESH;

    fn replan(
        &self,
        renderer: &Renderer<'_>,
        ctx: Context,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics> {
        let language_root = root.parent().unwrap_or(root);
        plan_mesh(renderer, &ctx, self, language_root, spec_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_window_is_the_typescript_client_s() {
        let template = include_str!("../../templates/ts/src/http.ts.j2");
        assert!(
            template.contains(&format!("windowSize: {BREAKER_WINDOW},")),
            "templates/ts/src/http.ts.j2 no longer says windowSize: {BREAKER_WINDOW}"
        );
    }

    #[test]
    fn the_crate_version_and_ports_are_the_generated_crate_s() {
        let cargo = include_str!("../../templates/rust/Cargo.toml.j2");
        assert!(cargo.contains(&format!("version = \"{CRATE_VERSION}\"")));
        let main = include_str!("../../templates/rust/src/main.rs.j2");
        assert!(main.contains(&format!("default_value = \"127.0.0.1:{SERVICE_PORT}\"")));
        let gateway = include_str!("../../templates/rust/src/bin/gateway.rs.j2");
        assert!(gateway.contains(&format!("default_value = \"127.0.0.1:{GATEWAY_PORT}\"")));
        assert!(gateway.contains(&format!("default_value = \"{ACTOR_HEADER}\"")));
        let saga = include_str!("../../templates/rust/saga/src/main.rs.j2");
        assert!(saga.contains(&format!("\"127.0.0.1:{SAGA_PORT}\"")));
        let bff = include_str!("../../templates/rust/src/bin/bff.rs.j2");
        assert!(bff.contains(&format!("default_value = \"127.0.0.1:{BFF_PORT}\"")));
        assert!(bff.contains(&format!("default_value = \"{ACTOR_HEADER}\"")));
    }

    #[test]
    fn long_names_become_distinct_labels() {
        let long = "a".repeat(70);
        let other = format!("{}b", "a".repeat(69));
        assert_eq!(dns_label("short"), "short");
        assert_eq!(dns_label(&long).len(), 63);
        assert_ne!(dns_label(&long), dns_label(&other));
        assert!(is_label(&dns_label(&format!(
            "{}-{}",
            "a".repeat(53),
            "b".repeat(20)
        ))));
    }

    #[test]
    fn labels_follow_kubernetes() {
        for ok in ["a", "order-management", "x1"] {
            assert!(is_label(ok), "{ok}");
        }
        for bad in ["", "Order", "-a", "a-", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_label(bad), "{bad}");
        }
    }
}
