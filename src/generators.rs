//! The generator registry. Every command that writes an output folder is a
//! `Generator`: it names itself (the command a manifest records), reads
//! back the typed request it recorded, and plans its output again from it.
//! `check`, `generate --all` and replay iterate this registry, so a new
//! generator is its request type, its planning function, its templates, one
//! entry in `REGISTRY` and one CLI arm; forgetting the entry fails the
//! `every_generator_replays_what_it_records` test, not a user's `check`.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diag::{Diagnostic, Diagnostics, Location, display_path};
use crate::generate::{self, BcRequest, Renderer};
use crate::load;
use crate::manifest::{Manifest, ManifestError};
use crate::model::Context;
use crate::patterns::{self, EventPatterns, Orchestration};
use crate::plan::Plan;
use crate::render::TemplateSet;
use crate::validate::{Check, Overrides};

/// A command that turns a validated context into one output folder.
pub trait Generator: Sync {
    /// The command as manifests record it (`bc generate`).
    fn command(&self) -> &'static str;
    /// What loading the spec must allow for the recorded request.
    fn overrides(&self, recorded: &serde_json::Value) -> Result<Overrides, String>;
    /// Plans the output folder `root` again from its recorded request.
    fn replay(
        &self,
        renderer: &Renderer<'_>,
        ctx: &Context,
        recorded: &serde_json::Value,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics>;
}

/// A request type that can say which overrides it was made with.
pub trait Request: DeserializeOwned {
    fn allow_backend_saga(&self) -> bool;
}

fn typed<R: Request>(recorded: &serde_json::Value) -> Result<R, String> {
    serde_json::from_value(recorded.clone()).map_err(|e| format!("unreadable recipe: {e}"))
}

fn overrides_of<R: Request>(recorded: &serde_json::Value) -> Result<Overrides, String> {
    typed::<R>(recorded).map(|r| Overrides {
        allow_backend_saga: r.allow_backend_saga(),
    })
}

fn unreadable(message: String) -> Diagnostics {
    Diagnostic::error("manifest", message).into()
}

/// `bc generate`: the service and the frontend package of a context.
pub struct BcGenerate;

impl Request for BcRequest {
    fn allow_backend_saga(&self) -> bool {
        self.requested.allow_backend_saga
    }
}

impl Generator for BcGenerate {
    fn command(&self) -> &'static str {
        generate::BC_GENERATE
    }

    fn overrides(&self, recorded: &serde_json::Value) -> Result<Overrides, String> {
        overrides_of::<BcRequest>(recorded)
    }

    fn replay(
        &self,
        renderer: &Renderer<'_>,
        ctx: &Context,
        recorded: &serde_json::Value,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics> {
        let recipe: BcRequest = typed(recorded).map_err(unreadable)?;
        let ctx_value = crate::render::value(ctx);
        generate::plan_bc(
            renderer,
            ctx,
            &ctx_value,
            &recipe.requested,
            recipe.lang,
            root,
            spec_path,
        )
    }
}

/// `generate event-patterns`: the event layer of a context or workflow.
pub struct EventPatternsGenerator;

impl Request for EventPatterns {
    fn allow_backend_saga(&self) -> bool {
        self.allow_backend_saga
    }
}

impl Generator for EventPatternsGenerator {
    fn command(&self) -> &'static str {
        patterns::EVENT_PATTERNS
    }

    fn overrides(&self, recorded: &serde_json::Value) -> Result<Overrides, String> {
        overrides_of::<EventPatterns>(recorded)
    }

    fn replay(
        &self,
        renderer: &Renderer<'_>,
        ctx: &Context,
        recorded: &serde_json::Value,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics> {
        let request: EventPatterns = typed(recorded).map_err(unreadable)?;
        let language_root = root.parent().unwrap_or(root);
        patterns::plan_event_patterns(renderer, ctx, &request, language_root, spec_path)
    }
}

/// `setup orchestration`: one workflow's orchestrator or saga service.
pub struct OrchestrationGenerator;

impl Request for Orchestration {
    fn allow_backend_saga(&self) -> bool {
        self.allow_backend_saga
    }
}

impl Generator for OrchestrationGenerator {
    fn command(&self) -> &'static str {
        patterns::ORCHESTRATION
    }

    fn overrides(&self, recorded: &serde_json::Value) -> Result<Overrides, String> {
        overrides_of::<Orchestration>(recorded)
    }

    fn replay(
        &self,
        renderer: &Renderer<'_>,
        ctx: &Context,
        recorded: &serde_json::Value,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics> {
        let request: Orchestration = typed(recorded).map_err(unreadable)?;
        let language_root = root.parent().unwrap_or(root);
        patterns::plan_orchestration(renderer, ctx, &request, language_root, spec_path)
    }
}

/// Every generator parasol has.
pub static REGISTRY: &[&dyn Generator] = &[
    &BcGenerate,
    &EventPatternsGenerator,
    &OrchestrationGenerator,
];

/// The generator a manifest names.
pub fn find(command: &str) -> Option<&'static dyn Generator> {
    REGISTRY.iter().copied().find(|g| g.command() == command)
}

/// Regenerates, in memory, what produced the output root `root`, from its
/// manifest (which is untrusted input: see `Manifest::read`).
pub fn replay(root: &Path, templates: &TemplateSet) -> Result<Plan, Diagnostics> {
    let located = |message: String| -> Diagnostics {
        Diagnostic::error("manifest", message)
            .at(Location::bare(display_path(&Manifest::path(root)), 1, 1))
            .into()
    };
    let manifest = match Manifest::read(root) {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Err(located(
                "no manifest: this folder was not generated by parasol".into(),
            ));
        }
        Err(ManifestError::Unreadable(reason)) => {
            return Err(located(format!("unreadable manifest: {reason}")));
        }
        Err(unsafe_manifest) => return Err(unsafe_manifest.diagnostic(root).into()),
    };
    let Some(generator) = find(&manifest.recipe.command) else {
        let known: Vec<&str> = REGISTRY.iter().map(|g| g.command()).collect();
        return Err(located(format!(
            "unknown generator `{}` in the manifest (parasol has: {})",
            manifest.recipe.command,
            known.join(", ")
        )));
    };
    // The manifest may only send `check` to a spec.
    if !manifest.spec.ends_with(".bc.yaml") {
        return Err(located(format!(
            "the manifest names `{}` as its spec, which is not a `*.bc.yaml` file; parasol does not read it",
            manifest.spec
        )));
    }
    let spec_path = crate::source::join_normalised(root, &manifest.spec);
    let overrides = generator
        .overrides(&manifest.recipe.settings)
        .map_err(located)?;
    let mut diags = Diagnostics::new();
    let Some(ctx) = load::load_context(&spec_path, &Check::ALL, &overrides, &mut diags) else {
        return Err(diags);
    };
    if diags.has_errors() {
        return Err(diags);
    }
    if ctx.name.raw != manifest.recipe.context {
        return Err(located(format!(
            "the manifest was written for context `{}`, but its spec now describes `{}`",
            manifest.recipe.context, ctx.name.raw
        )));
    }
    let renderer = Renderer::new(templates);
    generator.replay(&renderer, &ctx, &manifest.recipe.settings, root, &spec_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generator_is_registered_once() {
        let mut names: Vec<&str> = REGISTRY.iter().map(|g| g.command()).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "two generators record the same command");
        for name in [
            generate::BC_GENERATE,
            patterns::EVENT_PATTERNS,
            patterns::ORCHESTRATION,
        ] {
            assert!(find(name).is_some(), "`{name}` is not in the registry");
        }
    }
}
