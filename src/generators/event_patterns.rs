//! `generate event-patterns`: the event layer of a context, or of one
//! workflow of it, on its own, from the same templates `bc generate` uses.

use std::path::Path;

use minijinja::Value;
use serde::{Deserialize, Serialize};

use super::{Lang, Renderer, Request, plan_of};
use crate::diag::Diagnostics;
use crate::model::{Context, Workflow};
use crate::plan::{FileSpec, Header, Plan};
use crate::policy::Ask;
use crate::render::tpl;
use crate::settings::{Coordination, PatternStyle};
use crate::targets::{self, Requested};

pub const EVENT_PATTERNS: &str = "generate event-patterns";

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
                FileSpec::generated("src/event_bus.rs", tpl::RUST_EVENTS_SRC_EVENT_BUS_RS),
                FileSpec::generated("src/sse.rs", tpl::RUST_EVENTS_SRC_SSE_RS),
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
    let mut settings = targets::resolve(ctx, &Requested::default(), &mut Diagnostics::new());
    // The layer's own templates build the lightweight envelope; the domain
    // event layer is `domain_events.rs` beside it, whatever the service uses.
    settings.event_style = crate::settings::EventStyle::LightweightNotifications;
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
    let files = renderer.render(&root, &view, &view_value, &settings, &header, files, &extra)?;
    Ok(plan_of(
        EVENT_PATTERNS,
        ctx,
        request,
        root,
        spec_path,
        files,
    ))
}

impl Request for EventPatterns {
    const COMMAND: &'static str = EVENT_PATTERNS;

    fn allow_backend_saga(&self) -> bool {
        self.allow_backend_saga
    }

    fn replan(
        &self,
        renderer: &Renderer<'_>,
        ctx: Context,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics> {
        let language_root = root.parent().unwrap_or(root);
        plan_event_patterns(renderer, &ctx, self, language_root, spec_path)
    }
}
