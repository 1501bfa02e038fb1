//! The stages wired together: find the project and the spec, load → parse →
//! model → validate. Every command reads its input through here, so they all
//! find specs and output the same way.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, Location, did_you_mean, display_path};
use crate::model::{Context, lower};
use crate::source::project::{self, Project};
use crate::source::{self, bundle};
use crate::validate::{self, Check, Overrides};

/// How a command was told where its spec is.
#[derive(Debug, Clone, Default)]
pub struct SpecSelection {
    /// Bounded context name.
    pub context: Option<String>,
    /// `--spec FILE`.
    pub spec: Option<PathBuf>,
    /// `--project FILE`.
    pub project_file: Option<PathBuf>,
}

/// The project: from `--project`, the nearest `parasol.yaml`, or defaults
/// for the working folder.
pub fn project(explicit: Option<&Path>, diags: &mut Diagnostics) -> Option<Project> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match explicit {
        Some(path) => project::load(path, diags),
        None => match project::find(&cwd) {
            Some(path) => project::load(&path, diags),
            None => Some(Project::defaults(&cwd)),
        },
    }
}

/// The error when a project has no spec to work on: says whether a
/// `parasol.yaml` was found at all, and where parasol looked.
pub fn no_specs(project: &Project) -> Diagnostic {
    match &project.file {
        None => Diagnostic::error(
            "no-project",
            format!(
                "no `parasol.yaml` in `{}` or any folder above it, and no `--spec` given",
                std::fs::canonicalize(&project.root)
                    .unwrap_or_else(|_| project.root.clone())
                    .display()
            ),
        )
        .with_help("pass `--spec FILE`, name a project with `--project FILE`, or create one with `parasol init`"),
        Some(file) => Diagnostic::error(
            "no-spec",
            format!(
                "no `*.bc.yaml` spec found under `{}` (the `specs:` of {})",
                display_path(&project.specs),
                display_path(file)
            ),
        )
        .with_help("pass `--spec FILE`, or point `specs:` in parasol.yaml at the folder of your specs"),
    }
}

/// Every `*.bc.yaml` under `dir`, sorted.
pub fn spec_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .max_depth(8)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file() && e.file_name().to_string_lossy().ends_with(".bc.yaml")
        })
        .map(walkdir::DirEntry::into_path)
        .collect();
    files.sort();
    files
}

/// The spec file a selection names. With `--spec` that file; otherwise the
/// spec under the project's `specs:` whose context has the given name (or the
/// only spec there, when no name is given).
pub fn locate_spec(
    selection: &SpecSelection,
    project: &Project,
    diags: &mut Diagnostics,
) -> Option<PathBuf> {
    if let Some(spec) = &selection.spec {
        return Some(spec.clone());
    }
    let files = spec_files(&project.specs);
    if files.is_empty() {
        diags.push(no_specs(project));
        return None;
    }
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for file in &files {
        let mut ignored = Diagnostics::new();
        if let Some(raw) = source::load_spec(file, &mut ignored)
            && let Some(name) = raw.context.and_then(|c| c.name)
        {
            names.push((name.value, file.clone()));
        }
    }
    match &selection.context {
        Some(wanted) => {
            if let Some((_, path)) = names.iter().find(|(n, _)| n == wanted) {
                return Some(path.clone());
            }
            let help =
                did_you_mean(wanted, names.iter().map(|(n, _)| n.as_str())).unwrap_or_else(|| {
                    format!(
                        "specs found: {}",
                        if names.is_empty() {
                            "none readable".to_string()
                        } else {
                            names
                                .iter()
                                .map(|(n, p)| format!("{n} ({})", display_path(p)))
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    )
                });
            diags.push(
                Diagnostic::error(
                    "unknown-context",
                    format!(
                        "no spec under `{}` describes bounded context `{wanted}`",
                        display_path(&project.specs)
                    ),
                )
                .with_help(help),
            );
            None
        }
        None if files.len() == 1 => Some(files[0].clone()),
        None => {
            diags.push(
                Diagnostic::error(
                    "ambiguous-context",
                    "several specs found; name the bounded context",
                )
                .with_help(format!(
                    "one of: {}",
                    names
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            None
        }
    }
}

/// What a NAME given to `generate event-patterns` or `setup orchestration`
/// refers to: the spec, and the workflow when NAME named one.
#[derive(Debug, Clone)]
pub struct Named {
    pub spec: PathBuf,
    pub workflow: Option<String>,
}

/// Resolves NAME: first as a bounded context, then as a workflow (its name
/// as written, in PascalCase or kebab-case), in `--spec` or under the
/// project's `specs:`. `workflows_only` skips the context match.
pub fn find_named(
    name: &str,
    spec: Option<&Path>,
    project: &Project,
    workflows_only: bool,
    diags: &mut Diagnostics,
) -> Option<Named> {
    let candidates: Vec<PathBuf> = match spec {
        Some(path) => vec![path.to_path_buf()],
        None => spec_files(&project.specs),
    };
    if candidates.is_empty() {
        diags.push(no_specs(project));
        return None;
    }
    let mut known: Vec<String> = Vec::new();
    for path in &candidates {
        let mut ignored = Diagnostics::new();
        let Some(context) = source::load_spec(path, &mut ignored).and_then(|raw| raw.context)
        else {
            if spec.is_some() {
                diags.extend(ignored);
                return None;
            }
            continue;
        };
        let context_name = context
            .name
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_default();
        if !workflows_only && context_name == name {
            return Some(Named {
                spec: path.clone(),
                workflow: None,
            });
        }
        for (workflow, _) in &context.workflows {
            let n = crate::model::Name::new(&workflow.value);
            if [&n.raw, &n.pascal, &n.kebab]
                .iter()
                .any(|form| form.as_str() == name)
            {
                return Some(Named {
                    spec: path.clone(),
                    workflow: Some(workflow.value.clone()),
                });
            }
            known.push(workflow.value.clone());
        }
        if !workflows_only {
            known.push(context_name);
        }
    }
    let what = if workflows_only {
        "workflow"
    } else {
        "bounded context or workflow"
    };
    let help = did_you_mean(name, known.iter().map(String::as_str)).unwrap_or_else(|| {
        if known.is_empty() {
            "no spec found".into()
        } else {
            format!("known: {}", known.join(", "))
        }
    });
    diags.push(Diagnostic::error("unknown-name", format!("no {what} `{name}`")).with_help(help));
    None
}

/// Loads, resolves and validates one spec. The context is returned whenever
/// one could be built (also with errors, for reporting); callers that
/// generate must check `diags.has_errors()`.
pub fn load_context(
    spec_path: &Path,
    checks: &[Check],
    overrides: &Overrides,
    diags: &mut Diagnostics,
) -> Option<Context> {
    let raw = source::load_spec(spec_path, diags)?;
    crate::timings::mark("parse");
    resolve_context(raw, spec_path, checks, overrides, diags)
}

/// `load_context` once the spec at `spec_path` is parsed (`raw`).
pub fn resolve_context(
    raw: source::spec::RawSpec,
    spec_path: &Path,
    checks: &[Check],
    overrides: &Overrides,
    diags: &mut Diagnostics,
) -> Option<Context> {
    let spec_dir = spec_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    for empty in raw.bundles.iter().filter(|b| b.value.trim().is_empty()) {
        diags.push(
            Diagnostic::error("missing-include", "an include names no file")
                .at(Location::in_file(&raw.file, empty.pos)),
        );
    }
    let roots: Vec<_> = raw
        .bundles
        .iter()
        .filter(|b| !b.value.trim().is_empty())
        .map(|b| {
            (
                source::join_normalised(&spec_dir, &b.value),
                Some((raw.file.clone(), b.pos)),
            )
        })
        .collect();
    let bundles = bundle::load(&roots, bundle::IncludePolicy::for_file(spec_path), diags);
    let spec_file = spec_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "spec".into());
    crate::timings::mark("bundles");
    let context = lower::lower(&raw, Arc::new(bundles), &spec_file, diags)?;
    crate::timings::mark("resolve");
    validate::validate(&context, checks, overrides, diags);
    Some(context)
}

/// Loads from bytes in memory, with no bundles (fuzzing and property tests):
/// the checks a file gets (size, encoding) and the whole pipeline after.
pub fn load_text(display: &str, bytes: &[u8], diags: &mut Diagnostics) -> Option<Context> {
    let raw = source::load_spec_text(display, bytes, diags)?;
    let context = lower::lower(&raw, Arc::new(bundle::BundleSet::default()), display, diags)?;
    validate::validate(&context, &Check::ALL, &Overrides::default(), diags);
    Some(context)
}

/// Checks that the context found in a `--spec` file is the one named.
pub fn check_context_name(selection: &SpecSelection, context: &Context, diags: &mut Diagnostics) {
    if let (Some(wanted), Some(_)) = (&selection.context, &selection.spec)
        && *wanted != context.name.raw
    {
        diags.push(
            Diagnostic::error(
                "unknown-context",
                format!(
                    "`{wanted}` is not the context of this spec, which describes `{}`",
                    context.name.raw
                ),
            )
            .at(Location::in_file(&context.file, context.pos)),
        );
    }
}

/// A path relative to `base` when one exists without leaving the file
/// system's root; `/`-separated. Used in manifests so moving a project keeps them valid.
pub fn relative_to(path: &Path, base: &Path) -> String {
    let abs = |p: &Path| {
        std::fs::canonicalize(p)
            .unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(p))
    };
    let (path, base) = (abs(path), abs(base));
    let path_parts: Vec<_> = path.components().collect();
    let base_parts: Vec<_> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> =
        std::iter::repeat_n("..".to_string(), base_parts.len() - common).collect();
    parts.extend(
        path_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}
