use std::path::{Path, PathBuf};

use crate::cli::{CheckName, Format, ValidateArgs};
use crate::commands::{FAILED, OK, command_name, json};
use crate::diag::{Diagnostic, Diagnostics, display_path, plural};
use crate::load::{self, SpecSelection};
use crate::model::Context;
use crate::report::{JsonContext, JsonReport};
use crate::validate::{Check, Overrides};

pub fn run(project_file: Option<&Path>, args: ValidateArgs) -> u8 {
    let mut diags = Diagnostics::new();
    let checks: Vec<Check> = if args.checks.is_empty() {
        Check::ALL.to_vec()
    } else {
        args.checks
            .iter()
            .map(|c| match c {
                CheckName::CircularDependencies => Check::CircularDependencies,
                CheckName::ModuleBoundaries => Check::ModuleBoundaries,
                CheckName::PublicApiUsage => Check::PublicApiUsage,
            })
            .collect()
    };
    let selection = SpecSelection {
        context: args.spec.bc.clone(),
        spec: args.spec.spec.clone(),
        project_file: project_file.map(Path::to_path_buf),
    };
    let overrides = Overrides {
        allow_backend_saga: args.allow_backend_saga,
    };
    let project = load::project(project_file, &mut diags);
    let specs: Vec<PathBuf> = match &project {
        None => Vec::new(),
        Some(project) if args.all => {
            let files = load::spec_files(&project.specs);
            if files.is_empty() {
                diags.push(load::no_specs(project));
            }
            files
        }
        Some(project) => load::locate_spec(&selection, project, &mut diags)
            .into_iter()
            .collect(),
    };
    let mut valid: Vec<(PathBuf, Context)> = Vec::new();
    let mut seen: Vec<(String, PathBuf)> = Vec::new();
    for spec in specs {
        let errors_before = diags.error_count();
        let Some(ctx) = load::load_context(&spec, &checks, &overrides, &mut diags) else {
            continue;
        };
        load::check_context_name(&selection, &ctx, &mut diags);
        if let Some((_, other)) = seen.iter().find(|(name, _)| *name == ctx.name.raw) {
            diags.push(
                Diagnostic::error(
                    "duplicate-context",
                    format!(
                        "bounded context `{}` is also described by `{}`; each context has one spec",
                        ctx.name.raw,
                        display_path(other)
                    ),
                )
                .at(crate::diag::Location::in_file(&ctx.file, ctx.pos)),
            );
        }
        seen.push((ctx.name.raw.clone(), spec.clone()));
        if diags.error_count() == errors_before {
            valid.push((spec, ctx));
        }
    }
    let failed = diags.has_errors() || (args.deny_warnings && diags.warning_count() > 0);
    match args.format {
        Format::Human => {
            super::print_diagnostics(&diags, args.deny_warnings);
            if !failed && !crate::term::quiet() {
                for (_, ctx) in &valid {
                    let c = summary(ctx);
                    let count = |n: usize, what: &str| format!("{n} {what}{}", plural(n));
                    crate::term::outln(&format!(
                        "{} is valid: {}, {}, {}, {}",
                        c.name,
                        count(c.modules, "module"),
                        count(c.operations, "operation"),
                        count(c.events, "event"),
                        count(c.workflows, "workflow")
                    ));
                }
            }
        }
        Format::Json => {
            let mut report = JsonReport::new(command_name(), !failed, &diags);
            report.contexts = valid
                .iter()
                .map(|(spec, ctx)| JsonContext {
                    spec: display_path(spec),
                    ..summary(ctx)
                })
                .collect();
            json(&report);
        }
    }
    // The process ends here: freeing large models piece by piece would only
    // delay the exit.
    std::mem::forget(valid);
    if failed { FAILED } else { OK }
}

fn summary(ctx: &Context) -> JsonContext {
    JsonContext {
        name: ctx.name.raw.clone(),
        spec: String::new(),
        modules: ctx.modules.len(),
        operations: ctx.modules.iter().map(|m| m.ops.len()).sum(),
        events: ctx.declared_events().count(),
        workflows: ctx.workflows.len(),
    }
}
