//! The generators. Every command that writes an output folder is a
//! `Generator`, in its own file here: it owns its typed request (what the
//! manifest records), the refusals it asks `policy` about, its file list
//! and its header command, and it can plan its output again from the
//! recorded request. `check`, `generate --all` and replay iterate
//! `REGISTRY`, so a new generator is one file, its templates, one entry in
//! `REGISTRY` and one CLI arm (README: "Adding a generator").

pub mod bc;
pub mod communication_tests;
pub mod event_patterns;
pub mod mesh;
pub mod monitoring;
pub mod orchestration;

use std::path::{Path, PathBuf};

use minijinja::{Environment, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::diag::{Diagnostic, Diagnostics, Location, display_path};
use crate::load::{self, relative_to};
use crate::manifest::{Manifest, ManifestError};
use crate::model::Context;
use crate::plan::{self, FileSpec, Header, Plan, Recipe};
use crate::render::TemplateSet;
use crate::targets::Settings;
use crate::validate::{Check, Overrides};

pub use crate::settings::Lang;
pub use bc::{BC_GENERATE, BcRequest, plan_bc, prepare_bc};
pub use communication_tests::{CommunicationTests, TEST_COMMUNICATION, plan_communication_tests};
pub use event_patterns::{EVENT_PATTERNS, EventPatterns, plan_event_patterns};
pub use mesh::{Mesh, SERVICE_MESH, plan_mesh};
pub use monitoring::{Monitoring, SETUP_MONITORING, plan_monitoring};
pub use orchestration::{
    ORCHESTRATION, Orchestration, plan_orchestration, plan_orchestration_offering, saga_folder,
};

/// A command that turns a validated context into one output folder.
pub trait Generator: Sync {
    /// The command as manifests record it (`bc generate`).
    fn command(&self) -> &'static str;
    /// What loading the spec must allow for the recorded request.
    fn overrides(&self, recorded: &serde_json::Value) -> Result<Overrides, String>;
    /// Plans the output folder `root` again from its recorded request;
    /// the context is given up, so it can be freed while it is turned into
    /// template values.
    fn replay(
        &self,
        renderer: &Renderer<'_>,
        ctx: Context,
        recorded: &serde_json::Value,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics>;
}

/// What a generator was asked for: recorded in each output's manifest,
/// and enough to plan that output again. Each generator's file defines
/// one; `Registered<R>` makes it a `Generator`.
pub trait Request: DeserializeOwned + Sync {
    /// The command as manifests record it.
    const COMMAND: &'static str;
    /// Whether it was made with `--allow-backend-saga`.
    fn allow_backend_saga(&self) -> bool {
        false
    }
    /// Plans the output folder `root` (inside its language folder).
    fn replan(
        &self,
        renderer: &Renderer<'_>,
        ctx: Context,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics>;
}

/// The `Generator` of a request type.
pub struct Registered<R>(std::marker::PhantomData<fn() -> R>);

impl<R> Registered<R> {
    pub const fn new() -> Self {
        Registered(std::marker::PhantomData)
    }
}

impl<R> Default for Registered<R> {
    fn default() -> Self {
        Self::new()
    }
}

fn typed<R: Request>(recorded: &serde_json::Value) -> Result<R, String> {
    serde_json::from_value(recorded.clone()).map_err(|e| format!("unreadable recipe: {e}"))
}

impl<R: Request> Generator for Registered<R> {
    fn command(&self) -> &'static str {
        R::COMMAND
    }

    fn overrides(&self, recorded: &serde_json::Value) -> Result<Overrides, String> {
        typed::<R>(recorded).map(|r| Overrides {
            allow_backend_saga: r.allow_backend_saga(),
        })
    }

    fn replay(
        &self,
        renderer: &Renderer<'_>,
        ctx: Context,
        recorded: &serde_json::Value,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics> {
        let request: R = typed(recorded)
            .map_err(|message| Diagnostics::from(Diagnostic::error("manifest", message)))?;
        request.replan(renderer, ctx, root, spec_path)
    }
}

/// The folder one context's output for one language goes to.
pub fn context_root(language_root: &Path, ctx: &Context) -> PathBuf {
    language_root.join(&ctx.name.kebab)
}

/// Renders files for one output root.
pub struct Renderer<'t> {
    pub env: Environment<'static>,
    pub templates: &'t TemplateSet,
    /// Bytes of rendered text held by the plans made so far.
    held: std::sync::atomic::AtomicUsize,
    /// Whether files an earlier run recorded may be kept unrendered.
    trust: crate::incremental::Trust,
    /// Output folders already read (trusted runs only).
    prefetch: crate::incremental::Prefetch,
}

impl<'t> Renderer<'t> {
    pub fn new(templates: &'t TemplateSet, trust: crate::incremental::Trust) -> Self {
        Renderer {
            env: crate::render::environment(templates),
            templates,
            held: std::sync::atomic::AtomicUsize::new(0),
            trust,
            prefetch: crate::incremental::Prefetch::none(),
        }
    }

    /// Plans with what `prefetch` read ahead of the output folders.
    pub fn with_prefetch(mut self, prefetch: crate::incremental::Prefetch) -> Self {
        self.prefetch = prefetch;
        self
    }

    /// Renders `files` with the context, settings and diagrams as variables,
    /// for the output folder `root` (whose files may be kept: `incremental`).
    #[allow(clippy::too_many_arguments)]
    pub fn render(
        &self,
        root: &Path,
        ctx: &Context,
        ctx_value: &Value,
        settings: &Settings,
        header: &Header,
        files: Vec<FileSpec>,
        extra: &[(&'static str, Value)],
    ) -> Result<Vec<plan::PlannedFile>, Diagnostics> {
        let diagrams = diagrams(ctx);
        let settings = crate::render::value(settings);
        let digests = crate::incremental::Digests::none();
        self.render_with(
            root, ctx_value, &digests, &diagrams, settings, header, files, extra,
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn render_with(
        &self,
        root: &Path,
        ctx_value: &Value,
        digests: &crate::incremental::Digests,
        diagrams: &Value,
        settings: Value,
        header: &Header,
        files: Vec<FileSpec>,
        extra: &[(&'static str, Value)],
    ) -> Result<Vec<plan::PlannedFile>, Diagnostics> {
        let mut base: Vec<(&'static str, Value)> = vec![
            ("ctx", ctx_value.clone()),
            ("settings", settings),
            ("diagrams", diagrams.clone()),
            ("parasol_version", Value::from(env!("CARGO_PKG_VERSION"))),
        ];
        base.extend(extra.iter().cloned());
        let reuse = crate::incremental::Reuse {
            keys: crate::incremental::Keys::new(&self.env, self.templates, digests),
            previous: match self.trust {
                crate::incremental::Trust::Manifest => self
                    .prefetch
                    .take(root)
                    .unwrap_or_else(|| crate::incremental::Previous::of(root)),
                crate::incremental::Trust::Nothing => crate::incremental::Previous::none(),
            },
        };
        plan::render(
            &self.env,
            self.templates,
            header,
            &base,
            files,
            &self.held,
            &reuse,
        )
    }
}

/// The diagrams the generated READMEs embed.
pub fn diagrams(ctx: &Context) -> Value {
    Value::from(crate::visualize::markdown(
        ctx,
        &crate::visualize::Part::ALL,
    ))
}

/// Every manifest under `dir` (the output root itself or folders below it).
pub fn find_manifests(dir: &Path) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .max_depth(5)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.depth() > 0 && matches!(name.as_ref(), "node_modules" | "target" | ".git"))
        })
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().ends_with(crate::manifest::MANIFEST_PATH))
        .filter_map(|e| {
            e.path()
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
        })
        .collect();
    roots.sort();
    roots
}

/// The plan of one of these generators, with the request as its recipe.
pub(crate) fn plan_of(
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

/// Plans the folder `root` of a generator that writes beside the
/// context's own output (monitoring, communication tests, the mesh): its
/// templates see the context with the default settings, plus `extra`, and
/// each file's header names the spec and `command`. The manifest records
/// the request under its generator's name (`R::COMMAND`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn plan_beside<R: Request + Serialize>(
    renderer: &Renderer<'_>,
    ctx: &Context,
    request: &R,
    command: String,
    root: PathBuf,
    spec_path: &Path,
    files: Vec<FileSpec>,
    extra: &[(&'static str, Value)],
) -> Result<Plan, Diagnostics> {
    let header = Header {
        spec_file: ctx.spec_file.clone(),
        command,
    };
    let settings = crate::targets::resolve(
        ctx,
        &crate::targets::Requested::default(),
        &mut Diagnostics::new(),
    );
    let ctx_value = crate::render::value(ctx);
    let files = renderer.render(&root, ctx, &ctx_value, &settings, &header, files, extra)?;
    Ok(plan_of(R::COMMAND, ctx, request, root, spec_path, files))
}

/// A duration as Prometheus and Istio configuration write it: `15s`,
/// `500ms`.
pub(crate) fn duration(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Every generator parasol has.
pub static REGISTRY: &[&dyn Generator] = &[
    &Registered::<BcRequest>::new(),
    &Registered::<EventPatterns>::new(),
    &Registered::<Orchestration>::new(),
    &Registered::<Monitoring>::new(),
    &Registered::<CommunicationTests>::new(),
    &Registered::<Mesh>::new(),
];

/// The generator a manifest names.
pub fn find(command: &str) -> Option<&'static dyn Generator> {
    REGISTRY.iter().copied().find(|g| g.command() == command)
}

/// What made an output, as its manifest records it.
struct Made {
    recipe: crate::manifest::Recipe,
    spec: String,
}

/// Regenerates, in memory, what produced the output root `root`, from its
/// manifest (which is untrusted input: see `Manifest::read`).
pub fn replay(
    root: &Path,
    templates: &TemplateSet,
    trust: crate::incremental::Trust,
) -> Result<Plan, Diagnostics> {
    let located = |message: String| -> Diagnostics {
        Diagnostic::error("manifest", message)
            .at(Location::bare(display_path(&Manifest::path(root)), 1, 1))
            .into()
    };
    // Read whole, so an unreadable entry is an error here; only what made
    // the output is kept (the entries would otherwise live through
    // rendering, and emit reads them again).
    let manifest = match Manifest::read(root) {
        Ok(Some(m)) => Made {
            recipe: m.recipe,
            spec: m.spec,
        },
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
    let renderer = Renderer::new(templates, trust);
    generator.replay(&renderer, ctx, &manifest.recipe.settings, root, &spec_path)
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
            BC_GENERATE,
            EVENT_PATTERNS,
            ORCHESTRATION,
            SETUP_MONITORING,
            TEST_COMMUNICATION,
            SERVICE_MESH,
        ] {
            assert!(find(name).is_some(), "`{name}` is not in the registry");
        }
    }
}
