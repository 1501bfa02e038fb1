//! Planning a whole generation run from a validated context, and replaying a
//! manifest's recipe for `parasol check`. Commands call these; nothing here
//! writes.

use std::path::{Path, PathBuf};

use minijinja::{Environment, Value};
use serde::{Deserialize, Serialize};

use crate::diag::Diagnostics;
use crate::load::relative_to;
use crate::model::Context;
use crate::plan::{self, FileSpec, Header, Plan, Recipe};
use crate::render::TemplateSet;
use crate::targets::{self, Requested, Settings};

pub use crate::settings::Lang;

/// The settings a `bc generate` run records in its manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BcRequest {
    pub lang: Lang,
    #[serde(default)]
    pub requested: Requested,
}

pub const BC_GENERATE: &str = "bc generate";

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
}

impl<'t> Renderer<'t> {
    pub fn new(templates: &'t TemplateSet) -> Self {
        Renderer {
            env: crate::render::environment(templates),
            templates,
            held: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Renders `files` with the context, settings and diagrams as variables.
    pub fn render(
        &self,
        ctx: &Context,
        ctx_value: &Value,
        settings: &Settings,
        header: &Header,
        files: Vec<FileSpec>,
        extra: &[(&'static str, Value)],
    ) -> Result<Vec<plan::PlannedFile>, Diagnostics> {
        let diagrams = diagrams(ctx);
        let settings = crate::render::value(settings);
        self.render_with(ctx_value, &diagrams, settings, header, files, extra)
    }

    fn render_with(
        &self,
        ctx_value: &Value,
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
        plan::render(&self.env, self.templates, header, &base, files, &self.held)
    }

    /// Renders a prepared `bc generate` plan.
    pub fn render_prepared(
        &self,
        ctx_value: &Value,
        diagrams: &Value,
        prepared: Prepared,
    ) -> Result<Plan, Diagnostics> {
        let extra = [("lang", Value::from(prepared.lang.as_str()))];
        let files = self.render_with(
            ctx_value,
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

/// The diagrams the generated READMEs embed.
pub fn diagrams(ctx: &Context) -> Value {
    Value::from(crate::visualize::markdown(
        ctx,
        &crate::visualize::Part::ALL,
    ))
}

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
}

impl Prepared {
    pub fn lang(&self) -> Lang {
        self.lang
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
    let files = match lang {
        Lang::Rust => targets::rust::files(ctx),
        Lang::Ts => targets::ts::files(ctx),
    };
    let header = Header {
        spec_file: ctx.spec_file.clone(),
        command: format!(
            "parasol bc generate {} --lang {}{}",
            ctx.name.raw,
            lang.as_str(),
            requested.flags()
        ),
    };
    Ok(Prepared {
        lang,
        root: root.to_path_buf(),
        recipe: Recipe {
            command: BC_GENERATE.into(),
            context: ctx.name.raw.clone(),
            settings: serde_json::to_value(BcRequest {
                lang,
                requested: requested.clone(),
            })
            .expect("recipe serialises"),
        },
        spec_path: relative_to(spec_path, root),
        header,
        settings: crate::render::value(&settings),
        files,
    })
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
    renderer.render_prepared(ctx_value, &diagrams(ctx), prepared)
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
