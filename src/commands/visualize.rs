use std::path::Path;

use anyhow::Context as _;

use crate::cli::{DiagramFormat, DiagramPart, Format, VisualizeArgs};
use crate::commands::{FAILED, OK, report};
use crate::diag::Diagnostics;
use crate::load::{self, SpecSelection};
use crate::validate::{Check, Overrides};
use crate::visualize::{self, Part};

pub fn run(project_file: Option<&Path>, args: VisualizeArgs) -> anyhow::Result<u8> {
    let mut diags = Diagnostics::new();
    let selection = SpecSelection {
        context: args.spec.bc.clone(),
        spec: args.spec.spec.clone(),
        project_file: project_file.map(Path::to_path_buf),
    };
    let context = load::project(project_file, &mut diags)
        .and_then(|project| load::locate_spec(&selection, &project, &mut diags))
        .and_then(|spec| {
            load::load_context(
                &spec,
                &Check::ALL,
                &Overrides {
                    allow_backend_saga: true,
                },
                &mut diags,
            )
        });
    if let Some(ctx) = &context {
        load::check_context_name(&selection, ctx, &mut diags);
    }
    if report(&diags, Format::Human) {
        return Ok(FAILED);
    }
    let Some(ctx) = context else {
        return Ok(FAILED);
    };
    let mut parts: Vec<Part> = args
        .show
        .iter()
        .map(|p| match p {
            DiagramPart::Dependencies => Part::Dependencies,
            DiagramPart::Events => Part::Events,
            DiagramPart::Apis => Part::Apis,
            DiagramPart::Workflows => Part::Workflows,
        })
        .collect();
    if parts.is_empty() {
        parts = Part::ALL.to_vec();
    }
    parts.sort();
    parts.dedup();
    let text = match args.format {
        DiagramFormat::Mermaid => format!(
            "# {}\n\n{}",
            ctx.name.raw,
            visualize::markdown(&ctx, &parts)
        ),
        DiagramFormat::Dot => visualize::dot(&ctx, &parts),
    };
    match &args.output {
        Some(path) => crate::emit::write_atomic(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => crate::term::out(&text),
    }
    Ok(OK)
}
