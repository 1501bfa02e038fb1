//! `setup orchestration`: one workflow's orchestration, as a TypeScript
//! orchestrator package (frontend) or a Rust saga service (backend).

use std::path::Path;

use minijinja::Value;
use serde::{Deserialize, Serialize};

use super::{Lang, Renderer, Request, plan_of};
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::{Context, Workflow};
use crate::plan::{FileSpec, Header, Plan, item};
use crate::policy::Ask;
use crate::render::tpl;
use crate::settings::{Compensation, Location, StateSync};
use crate::targets::{self, Requested, Settings};

pub const ORCHESTRATION: &str = "setup orchestration";

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
        if self.location == Location::Backend {
            saga_folder(ctx, workflow)
        } else {
            format!("{}-{}-orchestration", ctx.name.kebab, workflow.name.kebab)
        }
    }
}

/// The folder of a workflow's backend saga crate under the Rust output.
pub fn saga_folder(ctx: &Context, workflow: &Workflow) -> String {
    format!("{}-{}-saga", ctx.name.kebab, workflow.name.kebab)
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
    plan_orchestration_offering(
        renderer,
        ctx,
        request,
        language_root,
        spec_path,
        "`--location frontend`",
    )
}

/// `plan_orchestration`, whose refusal of a backend saga suggests
/// `frontend`: the way to ask for frontend orchestration in the calling
/// command.
pub fn plan_orchestration_offering(
    renderer: &Renderer<'_>,
    ctx: &Context,
    request: &Orchestration,
    language_root: &Path,
    spec_path: &Path,
    frontend: &str,
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
        let help = format!("use {frontend}, or pass `--allow-backend-saga` to override the bundle");
        if let Some(refusal) = ctx.refusal(&ask, None, Some(&help)) {
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
    let files = renderer.render(&root, &view, &value, &settings, &header, files, &extra)?;
    Ok(plan_of(ORCHESTRATION, ctx, request, root, spec_path, files))
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

impl Request for Orchestration {
    const COMMAND: &'static str = ORCHESTRATION;

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
        plan_orchestration(renderer, &ctx, self, language_root, spec_path)
    }
}
