//! `parasol generate event-patterns` and `parasol setup orchestration`:
//! planning the event layer of a context (or one workflow of it) on its own,
//! and the orchestration of one workflow, from the same templates
//! `bc generate` uses. Nothing here writes.

use std::path::{Path, PathBuf};

use minijinja::Value;
use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Diagnostics};
use crate::generate::{Lang, Renderer};
use crate::model::{Context, Workflow};
use crate::pipeline::relative_to;
use crate::plan::{FileSpec, Header, Plan, Recipe};
use crate::policy::{self, Ask};
use crate::targets::{self, Requested, Settings, item};

pub const EVENT_PATTERNS: &str = "generate event-patterns";
pub const ORCHESTRATION: &str = "setup orchestration";

/// What `generate event-patterns` was asked for (recorded in the manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPatterns {
    pub lang: Lang,
    /// `v5-lightweight` | `domain-events` | `event-sourced`.
    pub style: String,
    /// `frontend` | `backend`.
    pub coordination: String,
    /// The workflow NAME resolved to, if it named one.
    #[serde(default)]
    pub workflow: Option<String>,
    #[serde(default)]
    pub no_event_sourcing: bool,
    #[serde(default)]
    pub no_saga: bool,
    #[serde(default)]
    pub allow_backend_saga: bool,
}

impl EventPatterns {
    /// The flags that reproduce this request, for headers.
    fn command(&self, ctx: &Context) -> String {
        let mut command = format!(
            "parasol generate event-patterns {} --style {} --coordination {} --lang {}",
            self.workflow.as_deref().unwrap_or(&ctx.name.raw),
            self.style,
            self.coordination,
            self.lang.as_str()
        );
        for (flag, on) in [
            ("--no-event-sourcing", self.no_event_sourcing),
            ("--no-saga", self.no_saga),
            ("--allow-backend-saga", self.allow_backend_saga),
        ] {
            if on {
                command.push(' ');
                command.push_str(flag);
            }
        }
        command
    }

    /// Whether choreography handlers are generated.
    pub fn saga(&self) -> bool {
        self.coordination == "backend" && !self.no_saga
    }

    /// The output folder name, under the language root.
    pub fn folder(&self, ctx: &Context) -> String {
        match self.workflow.as_deref().and_then(|w| ctx.workflow(w)) {
            Some(w) => format!("{}-{}-events", ctx.name.kebab, w.name.kebab),
            None => format!("{}-events", ctx.name.kebab),
        }
    }
}

/// Refusals of the bundle policy and of the flags themselves.
pub fn check_event_patterns(ctx: &Context, request: &EventPatterns, diags: &mut Diagnostics) {
    if request.style == "event-sourced" {
        let ask = Ask::EventSourcing {
            what: "event style `event-sourced` is refused".into(),
            refused_by_flag: request.no_event_sourcing,
        };
        let help = "use `--style v5-lightweight` or `--style domain-events`";
        if let Some(refusal) = policy::decide(ctx, &ask, None, Some(help)) {
            diags.push(refusal);
        }
    }
    if request.coordination == "backend" {
        let ask = Ask::BackendSaga {
            what: "backend coordination (choreography handlers) is a backend saga".into(),
            allowed_by_flag: request.allow_backend_saga,
        };
        let help =
            "use `--coordination frontend`, or pass `--allow-backend-saga` to override the bundle";
        if let Some(refusal) = policy::decide(ctx, &ask, None, Some(help)) {
            diags.push(refusal);
        }
    }
}

/// The context a workflow-scoped request sees: only the events its steps
/// and compensations emit and the one it announces, and only that workflow.
fn scoped(ctx: &Context, workflow: Option<&Workflow>) -> Context {
    let Some(workflow) = workflow else {
        return ctx.clone();
    };
    let mut events: Vec<String> = Vec::new();
    for step in &workflow.steps {
        for call in std::iter::once(&step.call).chain(step.compensate.as_ref().map(|c| &c.call)) {
            if let Some(op) = ctx
                .module(&call.module.snake)
                .and_then(|m| m.ops.iter().find(|o| o.name.raw == call.op.raw))
            {
                events.extend(op.emits.iter().map(|e| e.raw.clone()));
            }
        }
    }
    events.extend(workflow.on_success.iter().map(|e| e.raw.clone()));
    let mut scoped = ctx.clone();
    scoped.events.retain(|e| events.contains(&e.name.raw));
    scoped.workflows.retain(|w| w.name.raw == workflow.name.raw);
    scoped.event_shared_types = {
        let mut names = Vec::new();
        for e in &scoped.events {
            for f in &e.metadata {
                f.ty.named_types(&mut names);
            }
        }
        names.sort();
        names.dedup();
        names
    };
    scoped.events_use_types = !scoped.event_shared_types.is_empty();
    scoped
}

fn event_files(lang: Lang, request: &EventPatterns, ctx: &Context) -> Vec<FileSpec> {
    let mut files = Vec::new();
    // Tests need an event to exercise; with none in scope they are left out
    // rather than written empty.
    let events = !ctx.events.is_empty();
    let aggregate_events = ctx.events.iter().any(|e| {
        ctx.modules
            .iter()
            .flat_map(|m| &m.aggregates)
            .any(|a| a.name.raw == e.entity.raw)
    });
    let test = |path: &str, template: &'static str, wanted: bool| {
        wanted.then(|| FileSpec::generated(path, template))
    };
    match lang {
        Lang::Rust => {
            files.extend([
                FileSpec::generated("Cargo.toml", "rust/events/Cargo.toml.j2"),
                FileSpec::generated("README.md", "rust/events/README.md.j2"),
                FileSpec::generated(".gitignore", "rust/gitignore.j2"),
                FileSpec::generated("src/lib.rs", "rust/events/src/lib.rs.j2"),
                FileSpec::generated("src/events.rs", "rust/src/events.rs.j2"),
                FileSpec::generated("src/event_bus.rs", "rust/src/event_bus.rs.j2"),
                FileSpec::generated("src/sse.rs", "rust/src/sse.rs.j2"),
                FileSpec::generated("src/request.rs", "rust/src/request.rs.j2"),
                FileSpec::generated("src/error.rs", "rust/src/error.rs.j2"),
                FileSpec::generated("src/types.rs", "rust/src/types.rs.j2"),
            ]);
            files.extend(test(
                "tests/notifications.rs",
                "rust/events/tests/notifications.rs.j2",
                events,
            ));
            match request.style.as_str() {
                "domain-events" => {
                    files.push(FileSpec::generated(
                        "src/domain_events.rs",
                        "rust/events/src/domain_events.rs.j2",
                    ));
                    files.extend(test(
                        "tests/domain_events.rs",
                        "rust/events/tests/domain_events.rs.j2",
                        events,
                    ));
                }
                "event-sourced" => {
                    files.push(FileSpec::generated(
                        "src/event_store.rs",
                        "rust/events/src/event_store.rs.j2",
                    ));
                    files.push(FileSpec::generated(
                        "src/aggregates.rs",
                        "rust/events/src/aggregates.rs.j2",
                    ));
                    files.push(FileSpec::user(
                        "src/apply.rs",
                        "rust/events/src/apply.rs.j2",
                    ));
                    files.extend(test(
                        "tests/event_store.rs",
                        "rust/events/tests/event_store.rs.j2",
                        aggregate_events,
                    ));
                }
                _ => {}
            }
            if request.saga() && !ctx.workflows.is_empty() {
                files.push(FileSpec::generated(
                    "src/choreography.rs",
                    "rust/events/src/choreography.rs.j2",
                ));
                files.push(FileSpec::generated(
                    "tests/choreography.rs",
                    "rust/events/tests/choreography.rs.j2",
                ));
            }
        }
        Lang::Ts => {
            files.extend([
                FileSpec::generated("package.json", "ts/package.json.j2"),
                FileSpec::generated("tsconfig.json", "ts/tsconfig.json.j2"),
                FileSpec::generated("tsconfig.test.json", "ts/tsconfig.test.json.j2"),
                FileSpec::generated("README.md", "rust/events/README.md.j2"),
                FileSpec::generated(".gitignore", "ts/gitignore.j2"),
                FileSpec::generated("src/index.ts", "ts/events/src/index.ts.j2"),
                FileSpec::generated("src/types.ts", "ts/src/types.ts.j2"),
                FileSpec::generated("src/events.ts", "ts/src/events.ts.j2"),
                FileSpec::generated("src/sync.ts", "ts/src/sync.ts.j2"),
                FileSpec::generated("test/fakes.ts", "ts/test/fakes.ts.j2"),
                FileSpec::generated("test/sync.test.ts", "ts/test/sync.test.ts.j2"),
            ]);
            match request.style.as_str() {
                "domain-events" => {
                    files.push(FileSpec::generated(
                        "src/domain-events.ts",
                        "ts/events/src/domain-events.ts.j2",
                    ));
                    files.extend(test(
                        "test/domain-events.test.ts",
                        "ts/events/test/domain-events.test.ts.j2",
                        events,
                    ));
                }
                "event-sourced" => {
                    files.push(FileSpec::generated(
                        "src/event-store.ts",
                        "ts/events/src/event-store.ts.j2",
                    ));
                    files.extend(test(
                        "test/event-store.test.ts",
                        "ts/events/test/event-store.test.ts.j2",
                        events,
                    ));
                }
                _ => {}
            }
        }
    }
    files
}

/// Plans `generate event-patterns` for one language.
pub fn plan_event_patterns(
    renderer: &Renderer<'_>,
    ctx: &Context,
    request: &EventPatterns,
    language_root: &Path,
    spec_path: &Path,
) -> Result<Plan, Diagnostics> {
    let mut diags = Diagnostics::new();
    check_event_patterns(ctx, request, &mut diags);
    let settings = targets::resolve(ctx, &Requested::default(), &mut Diagnostics::new());
    if diags.has_errors() {
        return Err(diags);
    }
    let workflow = request.workflow.as_deref().and_then(|w| ctx.workflow(w));
    let view = scoped(ctx, workflow);
    let view_value = crate::render::value(&view);
    let root = language_root.join(request.folder(ctx));
    let files = event_files(request.lang, request, &view);
    let header = Header {
        spec_file: ctx.spec_file.clone(),
        command: request.command(ctx),
    };
    let package = request.folder(ctx);
    let extra = [
        ("lang", Value::from(request.lang.as_str())),
        ("pattern", crate::render::value(request)),
        ("package", Value::from(package.as_str())),
        ("crate_name", Value::from(package.replace('-', "_"))),
    ];
    let files = renderer.render(&view, &view_value, &settings, &header, files, &extra)?;
    Ok(plan(EVENT_PATTERNS, ctx, request, root, spec_path, files))
}

/// The plan of one of these generators, with the request as its recipe.
fn plan(
    command: &str,
    ctx: &Context,
    request: &impl Serialize,
    root: PathBuf,
    spec_path: &Path,
    files: Vec<crate::plan::PlannedFile>,
) -> Plan {
    Plan {
        spec_path: relative_to(spec_path, &root),
        root,
        recipe: Recipe {
            command: command.into(),
            context: ctx.name.raw.clone(),
            settings: serde_json::to_value(request).expect("recipe serialises"),
        },
        files,
        inputs: None,
    }
}

/// What `setup orchestration` was asked for (recorded in the manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orchestration {
    pub lang: Lang,
    pub workflow: String,
    /// `frontend` | `backend`.
    pub location: String,
    /// `best-effort` | `strict`.
    pub compensation: String,
    /// `realtime-sse` | `polling` | `none`.
    pub state_sync: String,
    #[serde(default)]
    pub allow_backend_saga: bool,
}

impl Orchestration {
    fn command(&self) -> String {
        let mut command = format!(
            "parasol setup orchestration {} --location {} --compensation-strategy {} --state-sync {}",
            self.workflow, self.location, self.compensation, self.state_sync
        );
        if self.allow_backend_saga {
            command.push_str(" --allow-backend-saga");
        }
        command
    }

    pub fn folder(&self, ctx: &Context, workflow: &Workflow) -> String {
        let suffix = if self.location == "backend" {
            "saga"
        } else {
            "orchestration"
        };
        format!("{}-{}-{suffix}", ctx.name.kebab, workflow.name.kebab)
    }
}

/// Plans `setup orchestration`: the TypeScript orchestrator package, or the
/// Rust saga service, of one workflow with the given settings.
pub fn plan_orchestration(
    renderer: &Renderer<'_>,
    ctx: &Context,
    request: &Orchestration,
    language_root: &Path,
    spec_path: &Path,
) -> Result<Plan, Diagnostics> {
    let mut diags = Diagnostics::new();
    let wanted = ctx.workflow(&request.workflow).map(|w| w.name.raw.clone());
    let Some(index) = ctx
        .workflows
        .iter()
        .position(|w| Some(&w.name.raw) == wanted.as_ref())
    else {
        let help = crate::diag::did_you_mean(
            &request.workflow,
            ctx.workflows.iter().map(|w| w.name.raw.as_str()),
        );
        diags.push(
            Diagnostic::error(
                "unknown-workflow",
                format!(
                    "context `{}` has no workflow `{}`",
                    ctx.name.raw, request.workflow
                ),
            )
            .with_help_opt(help),
        );
        return Err(diags);
    };
    if request.location == "backend" {
        let ask = Ask::BackendSaga {
            what: format!(
                "a backend saga for workflow `{}` is refused",
                request.workflow
            ),
            allowed_by_flag: request.allow_backend_saga,
        };
        let help =
            "use `--location frontend`, or pass `--allow-backend-saga` to override the bundle";
        if let Some(refusal) = policy::decide(ctx, &ask, None, Some(help)) {
            diags.push(refusal);
            return Err(diags);
        }
    }
    // The spec's settings for this workflow, overridden by the request.
    let mut view = ctx.clone();
    let workflow = {
        let w = &mut view.workflows[index];
        w.compensation = request.compensation.clone();
        w.state_sync = request.state_sync.clone();
        w.coordination = if request.location == "backend" {
            "orchestration".into()
        } else {
            "frontend".into()
        };
        w.clone()
    };
    let requested = Requested {
        allow_backend_saga: request.allow_backend_saga,
        ..Requested::default()
    };
    let settings: Settings = targets::resolve(&view, &requested, &mut Diagnostics::new());
    let value = crate::render::value(&view);
    let root = language_root.join(request.folder(ctx, &workflow));
    let workflow_value = item(&value, "workflows", index);
    let mut files = match request.lang {
        Lang::Ts => targets::ts::files(&view),
        Lang::Rust => Vec::new(),
    };
    match request.lang {
        Lang::Ts => files.push(
            FileSpec::generated("src/orchestration.ts", "ts/src/orchestration.ts.j2")
                .with("workflow", workflow_value.clone()),
        ),
        Lang::Rust => files.extend(saga_files(&workflow_value)),
    }
    let header = Header {
        spec_file: ctx.spec_file.clone(),
        command: request.command(),
    };
    let package = request.folder(ctx, &workflow);
    let extra = [
        ("lang", Value::from(request.lang.as_str())),
        ("orchestration", crate::render::value(request)),
        ("workflow", workflow_value),
        ("package", Value::from(package.as_str())),
        ("crate_name", Value::from(package.replace('-', "_"))),
    ];
    let files = renderer.render(&view, &value, &settings, &header, files, &extra)?;
    Ok(plan(ORCHESTRATION, ctx, request, root, spec_path, files))
}

fn saga_files(workflow: &Value) -> Vec<FileSpec> {
    [
        ("Cargo.toml", "rust/saga/Cargo.toml.j2"),
        ("README.md", "rust/saga/README.md.j2"),
        (".gitignore", "rust/gitignore.j2"),
        ("src/lib.rs", "rust/saga/src/lib.rs.j2"),
        ("src/main.rs", "rust/saga/src/main.rs.j2"),
        ("src/http.rs", "rust/saga/src/http.rs.j2"),
        ("src/journal.rs", "rust/saga/src/journal.rs.j2"),
        ("src/modules.rs", "rust/saga/src/modules.rs.j2"),
        ("src/saga.rs", "rust/saga/src/saga.rs.j2"),
        ("src/steps.rs", "rust/saga/src/steps.rs.j2"),
        ("tests/saga.rs", "rust/saga/tests/saga.rs.j2"),
    ]
    .into_iter()
    .map(|(path, template)| FileSpec::generated(path, template).with("workflow", workflow.clone()))
    .collect()
}
