//! Skipping work that cannot change anything. A run that leaves its output
//! exactly as planned records in the manifest a fingerprint of everything
//! that output depends on: parasol's build, the templates (overrides
//! included), the recipe, and the text of the spec and its bundles. When a
//! later `bc generate` or `check` finds the same fingerprint and every file
//! as recorded, regenerating would change nothing: it stops there, having
//! read the inputs and the tree but rendered nothing.
//!
//! Anything else (an input changed, a file edited or missing, a link in
//! the way, an older parasol) falls back to the full pipeline, which
//! reports it as usual.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::diag::SourceFile;
use crate::emit::{Action, Outcome, Report};
use crate::manifest::{Inputs, Manifest, Summary, sha256};
use crate::model::Context;
use crate::plan::{Ownership, Plan, Recipe};
use crate::render::TemplateSet;

/// Hashes what a plan is rendered from; `texts` are `(path relative to the
/// root, content)` of the input files.
fn fingerprint(
    templates: &TemplateSet,
    recipe: &Recipe,
    spec: &str,
    texts: &[(String, &str)],
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(templates.digest().as_bytes());
    hasher.update(serde_json::to_vec(recipe).expect("recipe serialises"));
    hasher.update([0]);
    hasher.update(spec.as_bytes());
    for (path, text) in texts {
        hasher.update([0]);
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(sha256(text.as_bytes()).as_bytes());
    }
    crate::manifest::hex(&hasher.finalize())
}

/// The input files of a context: its spec and its bundles, as read.
#[derive(Clone)]
pub struct Sources {
    files: Vec<(PathBuf, Arc<SourceFile>)>,
}

impl Sources {
    pub fn of(ctx: &Context, spec_path: &Path) -> Self {
        let mut files = vec![(spec_path.to_path_buf(), ctx.file.clone())];
        for bundle in &ctx.bundle_set.bundles {
            files.push((bundle.path.clone(), bundle.file.clone()));
        }
        Sources { files }
    }
}

/// Records on `plan` what it was rendered from.
pub fn stamp(plan: &mut Plan, sources: &Sources, templates: &TemplateSet) {
    let mut texts: Vec<(String, &str)> = sources
        .files
        .iter()
        .map(|(path, file)| (crate::load::relative_to(path, &plan.root), &*file.text))
        .collect();
    texts.sort();
    texts.dedup_by(|a, b| a.0 == b.0);
    plan.inputs = Some(Inputs {
        fingerprint: fingerprint(templates, &plan.recipe, &plan.spec_path, &texts),
        files: texts.into_iter().map(|(path, _)| path).collect(),
        user: plan
            .files
            .iter()
            .filter(|f| f.ownership == Ownership::User)
            .map(|f| (f.path.clone(), f.sha256.clone()))
            .collect(),
        keys: plan
            .files
            .iter()
            .filter_map(|f| Some((f.path.clone(), f.key.clone()?)))
            .collect(),
        parts: plan
            .files
            .iter()
            .filter(|f| !f.parts.is_empty())
            .map(|f| (f.path.clone(), f.parts.clone()))
            .collect(),
    });
}

/// The report of regenerating `root` once its inputs are known to be
/// unchanged (`inputs_unchanged`), if that would change nothing: every file
/// is as recorded. A user-owned file counts as long as it exists (it is
/// never changed); one the user edited is checked against what the
/// generated code needs from it, recorded beside it (unchanged inputs give
/// the same needs), so the answer is the full pipeline's: skipped, or
/// needs-edit.
pub fn files_as_recorded(root: &Path, manifest: &Manifest) -> Option<Report> {
    let inputs = manifest.inputs.as_ref()?;
    let entries: Vec<(&String, &crate::manifest::Entry)> = manifest.files.iter().collect();
    let reader = || crate::outdir::Reader::new(root);
    let outcomes = crate::par::map_with(&entries, reader, |reader, (path, entry)| {
        let crate::outdir::OnDisk::File(bytes) = reader.inspect(path) else {
            return None;
        };
        let recorded = match entry.owner {
            Ownership::Generated => entry.sha256.as_deref(),
            Ownership::User => inputs.user.get(*path).map(String::as_str),
        };
        match (entry.owner, recorded == Some(sha256(&bytes).as_str())) {
            (_, true) => Some(Outcome::new(*path, Action::Unchanged)),
            (Ownership::User, false) => {
                let text = String::from_utf8_lossy(&bytes);
                let problems =
                    crate::plan::Need::problems(&text, entry.needs.get(), entry.needs.get());
                let (action, reason) = if problems.is_empty() {
                    (
                        Action::SkippedUserEdited,
                        crate::emit::USER_EDITED.to_string(),
                    )
                } else {
                    (Action::NeedsEdit, problems.join("\n"))
                };
                let mut outcome = Outcome::new(*path, action);
                outcome.reason = Some(reason);
                Some(outcome)
            }
            (Ownership::Generated, false) => None,
        }
    });
    let files = outcomes.into_iter().collect::<Option<Vec<_>>>()?;
    Some(Report {
        root: crate::diag::display_path(root),
        files,
        manifest_drift: false,
        errors: Vec::new(),
    })
}

/// Whether the inputs the output at `root` records (its summary) are
/// unchanged: the cheap half of `check`, which needs no file entries.
pub fn inputs_unchanged(root: &Path, summary: &Summary, templates: &TemplateSet) -> bool {
    summary.inputs.as_ref().is_some_and(|inputs| {
        recorded_inputs_unchanged(
            root,
            &summary.recipe,
            &summary.spec,
            &inputs.fingerprint,
            &inputs.files,
            templates,
        )
    })
}

fn recorded_inputs_unchanged(
    root: &Path,
    recipe: &Recipe,
    spec: &str,
    recorded: &str,
    files: &[String],
    templates: &TemplateSet,
) -> bool {
    let mut sources = Vec::with_capacity(files.len());
    for rel in files {
        let Ok(file) = crate::source::read_source(&crate::source::join_normalised(root, rel))
        else {
            return false;
        };
        sources.push((rel.clone(), file));
    }
    let texts: Vec<(String, &str)> = sources
        .iter()
        .map(|(rel, file)| (rel.clone(), &*file.text))
        .collect();
    fingerprint(templates, recipe, spec, &texts) == recorded
}

/// The output roots under `base` whose manifests were written by `command`
/// from the spec at `spec_path`, sorted.
pub fn outputs_of(base: &Path, command: &str, spec_path: &Path) -> Vec<(PathBuf, Summary)> {
    let Ok(spec) = std::fs::canonicalize(spec_path) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(base) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let root = entry.path();
        let Ok(Some(manifest)) = Manifest::summary(&root) else {
            continue;
        };
        let same_spec = std::fs::canonicalize(root.join(&manifest.spec)).is_ok_and(|p| p == spec);
        if manifest.recipe.command == command && same_spec {
            found.push((root, manifest));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}
