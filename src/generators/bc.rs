//! `bc generate`: the Rust service and the TypeScript package of one
//! bounded context (file lists in `targets`).

use std::path::{Path, PathBuf};

use minijinja::Value;
use serde::{Deserialize, Serialize};

use super::{Lang, Renderer, Request, diagrams};
use crate::diag::Diagnostics;
use crate::load::relative_to;
use crate::model::Context;
use crate::plan::{FileSpec, Header, Plan, Recipe};
use crate::targets::{self, Requested};

/// The settings a `bc generate` run records in its manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BcRequest {
    pub lang: Lang,
    #[serde(default)]
    pub requested: Requested,
}

pub const BC_GENERATE: &str = "bc generate";

/// What rendering one language of `bc generate` needs from the model,
/// taken before the model is turned into template values (which may then
/// consume it: see `render::value_of`).
pub struct Prepared {
    lang: Lang,
    root: PathBuf,
    recipe: Recipe,
    spec_path: String,
    header: Header,
    settings: Value,
    files: Vec<FileSpec>,
    warnings: Diagnostics,
}

impl Prepared {
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// What the run should report without failing (a stored table left
    /// behind, rows an aggregate change cannot read).
    pub fn take_warnings(&mut self) -> Diagnostics {
        std::mem::take(&mut self.warnings)
    }
}

pub fn prepare_bc(
    ctx: &Context,
    requested: &Requested,
    lang: Lang,
    root: &Path,
    spec_path: &Path,
) -> Result<Prepared, Diagnostics> {
    let mut diags = Diagnostics::new();
    let settings = targets::resolve(ctx, requested, &mut diags);
    if diags.has_errors() {
        return Err(diags);
    }
    match lang {
        Lang::Rust => warn_not_generated(ctx, requested, &mut diags),
        Lang::Ts => warn_coordinated_at_the_edge(ctx, &mut diags),
    }
    let mut requested = requested.clone();
    let files = match lang {
        Lang::Rust => {
            requested.schema =
                targets::sql::settle(ctx, &requested.schema, settings.event_sourced, &mut diags);
            let mut files = targets::rust::files(ctx);
            if settings.ports {
                files.extend(targets::rust::ports_files(ctx));
            }
            files.extend(targets::sql::files(&requested.schema));
            files
        }
        Lang::Ts => targets::ts::files(ctx),
    };
    // No setting flags: the manifest keeps them, so a plain rerun
    // regenerates the same output, and a changed setting changes only the
    // files whose content depends on it.
    let header = Header {
        spec_file: ctx.spec_file.clone(),
        command: format!(
            "parasol bc generate {} --lang {}",
            ctx.name.raw,
            lang.as_str()
        ),
    };
    Ok(Prepared {
        lang,
        root: root.to_path_buf(),
        recipe: Recipe {
            command: BC_GENERATE.into(),
            context: ctx.name.raw.clone(),
            settings: serde_json::to_value(BcRequest { lang, requested })
                .expect("recipe serialises"),
        },
        spec_path: relative_to(spec_path, root),
        header,
        settings: crate::render::value(&settings),
        files,
        warnings: diags,
    })
}

/// Flags that `bc generate` records and names in the output without
/// generating anything different for them (yet): said once per run, with
/// the backend.
fn warn_not_generated(ctx: &Context, requested: &Requested, diags: &mut Diagnostics) {
    use crate::settings::{TransactionPattern, not_generated_yet};
    if let Some(pattern) = requested.transaction_pattern {
        let coordination = match pattern {
            TransactionPattern::FrontendOrchestration => None,
            TransactionPattern::BackendOrchestration => Some("orchestration"),
            TransactionPattern::Choreography => Some("choreography"),
        };
        if let Some(coordination) = coordination
            && !ctx.workflows.iter().any(|w| w.coordination == coordination)
        {
            diags.push(
                not_generated_yet(
                    &format!("`--transaction-pattern {pattern}`"),
                    "edge orchestration: each workflow's `coordination:` decides where it runs",
                )
                .with_help(format!(
                    "set `coordination: {coordination}` on a workflow, or run `parasol setup orchestration <workflow> --location backend`"
                )),
            );
        }
    }
}

/// A workflow the spec coordinates by `choreography` (which validation let
/// through) still gets the frontend coordinator from `bc generate`: said
/// with the TypeScript output, whose code it is, rather than passed over in
/// silence. `implement-communication` writes the choreography, and says
/// nothing. (One coordinated by `orchestration` gets a TypeScript function
/// that runs it in its backend saga.)
fn warn_coordinated_at_the_edge(ctx: &Context, diags: &mut Diagnostics) {
    for wf in ctx
        .workflows
        .iter()
        .filter(|w| w.coordination == "choreography")
    {
        let pos = wf.coordination_pos.unwrap_or(wf.pos);
        let help = format!(
            "`parasol bc implement-communication --pattern saga-choreography --workflow {}` writes the modules' reactions to each other's events",
            wf.name.raw
        );
        diags.push(
            crate::settings::not_generated_yet(
                &format!(
                    "in `bc generate`, `coordination: {}` of workflow `{}`",
                    wf.coordination, wf.name.raw
                ),
                "`coordination: frontend` (the TypeScript coordinator runs it)",
            )
            .at(crate::diag::Location::in_file(&ctx.file, pos))
            .with_help(help),
        );
    }
}

/// Plans `bc generate` for one language.
pub fn plan_bc(
    renderer: &Renderer<'_>,
    ctx: &Context,
    ctx_value: &Value,
    requested: &Requested,
    lang: Lang,
    root: &Path,
    spec_path: &Path,
) -> Result<Plan, Diagnostics> {
    let prepared = prepare_bc(ctx, requested, lang, root, spec_path)?;
    let digests = crate::incremental::Digests::of(ctx);
    renderer.render_prepared(ctx_value, &digests, &diagrams(ctx), prepared)
}

impl Renderer<'_> {
    /// Renders a prepared `bc generate` plan.
    pub fn render_prepared(
        &self,
        ctx_value: &Value,
        digests: &crate::incremental::Digests,
        diagrams: &Value,
        prepared: Prepared,
    ) -> Result<Plan, Diagnostics> {
        let extra = [("lang", Value::from(prepared.lang.as_str()))];
        let files = self.render_with(
            &prepared.root,
            ctx_value,
            digests,
            diagrams,
            prepared.settings,
            &prepared.header,
            prepared.files,
            &extra,
        )?;
        Ok(Plan {
            root: prepared.root,
            recipe: prepared.recipe,
            spec_path: prepared.spec_path,
            files,
            inputs: None,
        })
    }
}

impl Request for BcRequest {
    const COMMAND: &'static str = BC_GENERATE;

    fn allow_backend_saga(&self) -> bool {
        self.requested.allow_backend_saga
    }

    fn replan(
        &self,
        renderer: &Renderer<'_>,
        ctx: Context,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics> {
        // As `bc generate` does: what the plan needs from the model first,
        // then the model becomes template values and is freed as it goes.
        let prepared = prepare_bc(&ctx, &self.requested, self.lang, root, spec_path)?;
        let digests = crate::incremental::Digests::of(&ctx);
        let diagrams = diagrams(&ctx);
        let ctx_value = crate::render::value_of(ctx);
        renderer.render_prepared(&ctx_value, &digests, &diagrams, prepared)
    }
}
