use std::path::Path;

use crate::cli::{CheckName, Format, ValidateArgs};
use crate::commands::{FAILED, OK, report};
use crate::diag::Diagnostics;
use crate::pipeline::{self, SpecSelection};
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
    let context = pipeline::project(project_file, &mut diags)
        .and_then(|project| pipeline::locate_spec(&selection, &project, &mut diags))
        .and_then(|spec| pipeline::load_context(&spec, &checks, &overrides, &mut diags));
    if let Some(ctx) = &context {
        pipeline::check_context_name(&selection, ctx, &mut diags);
    }
    let failed = report(&diags, args.format) || (args.deny_warnings && diags.warning_count() > 0);
    if !failed && args.format == Format::Human {
        if let Some(ctx) = &context {
            let ops: usize = ctx.modules.iter().map(|m| m.ops.len()).sum();
            let count = |n: usize, what: &str| format!("{n} {what}{}", crate::diag::plural(n));
            println!(
                "{} is valid: {}, {}, {}, {}",
                ctx.name.raw,
                count(ctx.modules.len(), "module"),
                count(ops, "operation"),
                count(ctx.declared_events().count(), "event"),
                count(ctx.workflows.len(), "workflow")
            );
        }
    }
    if failed { FAILED } else { OK }
}
