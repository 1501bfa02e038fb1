use std::path::{Path, PathBuf};

use crate::cli::{EjectArgs, Format, TemplatesListArgs};
use crate::commands::{FAILED, OK, report};
use crate::diag::{Diagnostic, Diagnostics, did_you_mean, display_path};
use crate::load;
use crate::render::{TemplateSet, builtin_ids, builtin_source};

fn override_dir(
    explicit: Option<&Path>,
    project_file: Option<&Path>,
    diags: &mut Diagnostics,
) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.to_path_buf());
    }
    load::project(project_file, diags).and_then(|p| p.templates)
}

pub fn list(project_file: Option<&Path>, args: TemplatesListArgs) -> u8 {
    let mut diags = Diagnostics::new();
    let dir = override_dir(args.templates.as_deref(), project_file, &mut diags);
    let set = match &dir {
        Some(d) if d.is_dir() => TemplateSet::with_overrides(d, &mut diags),
        _ => TemplateSet::builtin(),
    };
    if report(&diags, Format::Human) {
        return FAILED;
    }
    for id in builtin_ids() {
        if set.is_overridden(id) {
            crate::term::outln(&format!("{id}  (overridden: {})", set.origin(id)));
        } else {
            crate::term::outln(id);
        }
    }
    OK
}

pub fn eject(project_file: Option<&Path>, args: EjectArgs) -> anyhow::Result<u8> {
    let mut diags = Diagnostics::new();
    let Some(source) = builtin_source(&args.name) else {
        let help = did_you_mean(&args.name, builtin_ids())
            .unwrap_or_else(|| "`parasol templates list` shows the names".into());
        diags.push(
            Diagnostic::error(
                "unknown-template",
                format!("no built-in template `{}`", args.name),
            )
            .with_help(help),
        );
        report(&diags, Format::Human);
        return Ok(FAILED);
    };
    let configured = override_dir(args.to.as_deref(), project_file, &mut diags);
    let dir = configured
        .clone()
        .unwrap_or_else(|| PathBuf::from("templates"));
    let target = dir.join(&args.name);
    if target.exists() && !args.force {
        diags.push(
            Diagnostic::error(
                "exists",
                format!("`{}` already exists", display_path(&target)),
            )
            .with_help(
                "it is already ejected; pass --force to replace it with the built-in version",
            ),
        );
        report(&diags, Format::Human);
        return Ok(FAILED);
    }
    crate::emit::write_atomic(&target, source.as_bytes())?;
    if !crate::term::quiet() {
        crate::term::outln(&format!(
            "ejected {} to {}",
            args.name,
            display_path(&target)
        ));
        // Said only when nothing names the folder yet: neither `--to` nor the project's `templates:`.
        if configured.is_none() {
            crate::term::outln(&format!(
                "set `templates: {}` in parasol.yaml (or pass --templates) to use it",
                display_path(&dir)
            ));
        }
    }
    Ok(OK)
}
