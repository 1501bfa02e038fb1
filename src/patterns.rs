//! `parasol generate event-patterns` and `parasol setup orchestration`:
//! planning the event layer of a context (or one workflow of it) on its own,
//! and the orchestration of one workflow, from the same templates
//! `bc generate` uses. Nothing here writes.

use std::path::{Path, PathBuf};

use minijinja::Value;
use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Diagnostics};
use crate::generate::{Lang, Renderer};
use crate::load::relative_to;
use crate::model::{Context, Workflow};
use crate::plan::item;
use crate::plan::{FileSpec, Header, Plan, Recipe};
use crate::policy::Ask;
use crate::render::tpl;
use crate::settings::{Compensation, Coordination, Location, PatternStyle, StateSync};
use crate::targets::{self, Requested, Settings};

pub const EVENT_PATTERNS: &str = "generate event-patterns";
pub const ORCHESTRATION: &str = "setup orchestration";

/// What `generate event-patterns` was asked for (recorded in the manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventPatterns {
    pub lang: Lang,
    pub style: PatternStyle,
    pub coordination: Coordination,
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
        self.coordination == Coordination::Backend && !self.no_saga
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
    if request.style == PatternStyle::EventSourced {
        let ask = Ask::EventSourcing {
            what: "event style `event-sourced` is refused".into(),
            refused_by_flag: request.no_event_sourcing,
        };
        let help = "use `--style v5-lightweight` or `--style domain-events`";
        if let Some(refusal) = ctx.refusal(&ask, None, Some(help)) {
            diags.push(refusal);
        }
    }
    if request.coordination == Coordination::Backend {
        let ask = Ask::BackendSaga {
            what: "backend coordination (choreography handlers) is a backend saga".into(),
            allowed_by_flag: request.allow_backend_saga,
        };
        let help =
            "use `--coordination frontend`, or pass `--allow-backend-saga` to override the bundle";
        if let Some(refusal) = ctx.refusal(&ask, None, Some(help)) {
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
                FileSpec::generated("Cargo.toml", tpl::RUST_EVENTS_CARGO_TOML),
                FileSpec::generated("README.md", tpl::COMMON_EVENTS_README_MD),
                FileSpec::generated(".gitignore", tpl::RUST_GITIGNORE),
                FileSpec::generated("src/lib.rs", tpl::RUST_EVENTS_SRC_LIB_RS),
                FileSpec::generated("src/events.rs", tpl::RUST_SRC_EVENTS_RS),
                FileSpec::generated("src/event_bus.rs", tpl::RUST_SRC_EVENT_BUS_RS),
                FileSpec::generated("src/sse.rs", tpl::RUST_SRC_SSE_RS),
                FileSpec::generated("src/request.rs", tpl::RUST_SRC_REQUEST_RS),
                FileSpec::generated("src/error.rs", tpl::RUST_SRC_ERROR_RS),
                FileSpec::generated("src/types.rs", tpl::RUST_SRC_TYPES_RS),
            ]);
            files.extend(test(
                "tests/notifications.rs",
                tpl::RUST_EVENTS_TESTS_NOTIFICATIONS_RS,
                events,
            ));
            match request.style {
                PatternStyle::DomainEvents => {
                    files.push(FileSpec::generated(
                        "src/domain_events.rs",
                        tpl::RUST_EVENTS_SRC_DOMAIN_EVENTS_RS,
                    ));
                    files.extend(test(
                        "tests/domain_events.rs",
                        tpl::RUST_EVENTS_TESTS_DOMAIN_EVENTS_RS,
                        events,
                    ));
                }
                PatternStyle::EventSourced => {
                    files.push(FileSpec::generated(
                        "src/event_store.rs",
                        tpl::RUST_EVENTS_SRC_EVENT_STORE_RS,
                    ));
                    files.push(FileSpec::generated(
                        "src/aggregates.rs",
                        tpl::RUST_EVENTS_SRC_AGGREGATES_RS,
                    ));
                    files.push(FileSpec::user(
                        "src/apply.rs",
                        tpl::RUST_EVENTS_SRC_APPLY_RS,
                    ));
                    files.extend(test(
                        "tests/event_store.rs",
                        tpl::RUST_EVENTS_TESTS_EVENT_STORE_RS,
                        aggregate_events,
                    ));
                }
                PatternStyle::V5Lightweight => {}
            }
            if request.saga() && !ctx.workflows.is_empty() {
                files.push(FileSpec::generated(
                    "src/choreography.rs",
                    tpl::RUST_EVENTS_SRC_CHOREOGRAPHY_RS,
                ));
                files.push(FileSpec::generated(
                    "tests/choreography.rs",
                    tpl::RUST_EVENTS_TESTS_CHOREOGRAPHY_RS,
                ));
            }
        }
        Lang::Ts => {
            files.extend([
                FileSpec::generated("package.json", tpl::TS_PACKAGE_JSON),
                FileSpec::generated("tsconfig.json", tpl::TS_TSCONFIG_JSON),
                FileSpec::generated("tsconfig.test.json", tpl::TS_TSCONFIG_TEST_JSON),
                FileSpec::generated("README.md", tpl::COMMON_EVENTS_README_MD),
                FileSpec::generated(".gitignore", tpl::TS_GITIGNORE),
                FileSpec::generated("src/index.ts", tpl::TS_EVENTS_SRC_INDEX_TS),
                FileSpec::generated("src/types.ts", tpl::TS_SRC_TYPES_TS),
                FileSpec::generated("src/events.ts", tpl::TS_SRC_EVENTS_TS),
                FileSpec::generated("src/sync.ts", tpl::TS_SRC_SYNC_TS),
                FileSpec::generated("test/fakes.ts", tpl::TS_TEST_FAKES_TS),
                FileSpec::generated("test/sync.test.ts", tpl::TS_TEST_SYNC_TEST_TS),
            ]);
            match request.style {
                PatternStyle::DomainEvents => {
                    files.push(FileSpec::generated(
                        "src/domain-events.ts",
                        tpl::TS_EVENTS_SRC_DOMAIN_EVENTS_TS,
                    ));
                    files.extend(test(
                        "test/domain-events.test.ts",
                        tpl::TS_EVENTS_TEST_DOMAIN_EVENTS_TEST_TS,
                        events,
                    ));
                }
                PatternStyle::EventSourced => {
                    files.push(FileSpec::generated(
                        "src/event-store.ts",
                        tpl::TS_EVENTS_SRC_EVENT_STORE_TS,
                    ));
                    files.extend(test(
                        "test/event-store.test.ts",
                        tpl::TS_EVENTS_TEST_EVENT_STORE_TEST_TS,
                        events,
                    ));
                }
                PatternStyle::V5Lightweight => {}
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
    pub location: Location,
    pub compensation: Compensation,
    pub state_sync: StateSync,
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
        let suffix = if self.location == Location::Backend {
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
    if request.location == Location::Backend {
        let ask = Ask::BackendSaga {
            what: format!(
                "a backend saga for workflow `{}` is refused",
                request.workflow
            ),
            allowed_by_flag: request.allow_backend_saga,
        };
        let help =
            "use `--location frontend`, or pass `--allow-backend-saga` to override the bundle";
        if let Some(refusal) = ctx.refusal(&ask, None, Some(help)) {
            diags.push(refusal);
            return Err(diags);
        }
    }
    // The spec's settings for this workflow, overridden by the request.
    let mut view = ctx.clone();
    let workflow = {
        let w = &mut view.workflows[index];
        w.compensation = request.compensation.as_str().into();
        w.state_sync = request.state_sync.as_str().into();
        w.coordination = if request.location == Location::Backend {
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
            FileSpec::generated("src/orchestration.ts", tpl::TS_SRC_ORCHESTRATION_TS)
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
        ("Cargo.toml", tpl::RUST_SAGA_CARGO_TOML),
        ("README.md", tpl::RUST_SAGA_README_MD),
        (".gitignore", tpl::RUST_GITIGNORE),
        ("src/lib.rs", tpl::RUST_SAGA_SRC_LIB_RS),
        ("src/main.rs", tpl::RUST_SAGA_SRC_MAIN_RS),
        ("src/http.rs", tpl::RUST_SAGA_SRC_HTTP_RS),
        ("src/journal.rs", tpl::RUST_SAGA_SRC_JOURNAL_RS),
        ("src/modules.rs", tpl::RUST_SAGA_SRC_MODULES_RS),
        ("src/saga.rs", tpl::RUST_SAGA_SRC_SAGA_RS),
        ("src/steps.rs", tpl::RUST_SAGA_SRC_STEPS_RS),
        ("tests/saga.rs", tpl::RUST_SAGA_TESTS_SAGA_RS),
    ]
    .into_iter()
    .map(|(path, template)| FileSpec::generated(path, template).with("workflow", workflow.clone()))
    .collect()
}
