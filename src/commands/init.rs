use std::path::PathBuf;

use heck::ToKebabCase;

use crate::cli::{Format, InitArgs};
use crate::commands::{FAILED, OK, report};
use crate::diag::{Diagnostic, Diagnostics, display_path};

pub fn run(args: InitArgs) -> anyhow::Result<u8> {
    let mut diags = Diagnostics::new();
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let name = args.name.as_str();
    let valid = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric());
    if !valid {
        diags.push(
            Diagnostic::error(
                "invalid-name",
                format!("`{name}` is not a PascalCase context name"),
            )
            .with_help("for example `--name OrderManagement`"),
        );
        report(&diags, Format::Human);
        return Ok(FAILED);
    }
    let kebab = name.to_kebab_case();
    let files = [
        (dir.join("parasol.yaml"), crate::scaffold::project_file()),
        (
            dir.join("specs").join(format!("{kebab}.bc.yaml")),
            crate::scaffold::spec(name),
        ),
        (
            dir.join("bundles").join("v5-event-driven.md"),
            crate::scaffold::bundle(),
        ),
    ];
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| display_path(p))
        .collect();
    if !existing.is_empty() {
        diags.push(
            Diagnostic::error(
                "exists",
                format!("refusing to overwrite {}", existing.join(", ")),
            )
            .with_help("run `parasol init` in an empty folder"),
        );
        report(&diags, Format::Human);
        return Ok(FAILED);
    }
    for (path, text) in &files {
        crate::emit::write_atomic(path, text.as_bytes())?;
        if !crate::term::quiet() {
            crate::term::outln(&format!("created {}", display_path(path)));
        }
    }
    if !crate::term::quiet() {
        crate::term::outln(&format!(
            "\nnext: parasol bc validate {name} && parasol bc generate {name}"
        ));
    }
    Ok(OK)
}
