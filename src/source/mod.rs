//! Stages 1–2: reading files from disk into spanned raw structs.
//!
//! `yaml` builds spanned node trees, `decode` reads them into raw structs,
//! `bundle` loads bundles with their includes, `spec` reads `*.bc.yaml`
//! files and `project` reads `parasol.yaml`.

pub mod bundle;
pub mod decode;
pub mod pieces;
pub mod project;
pub mod spec;
pub mod yaml;

use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, SourceFile, display_path};

/// Joins `relative` onto `base` and removes `.` and `..` lexically, so
/// messages show `bundles/a.md` rather than `bundles/./a.md`.
pub fn join_normalised(base: &Path, relative: &str) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for component in base.join(relative).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Reads a text input file, enforcing the size limit before reading it
/// whole. Only regular files are read (a FIFO or a device would block or
/// never end). Failures to open carry no position: there is no line to
/// show, and callers that know where the path was written (an include, a
/// manifest) place the error there.
pub fn read_source(path: &Path) -> Result<Arc<SourceFile>, Diagnostic> {
    let shown = display_path(path);
    let fail = |message: String| Diagnostic::error("unreadable-file", message);
    let meta = std::fs::metadata(path)
        .map_err(|e| fail(format!("cannot read `{shown}`: {}", io_message(&e))))?;
    if meta.is_dir() {
        return Err(fail(format!("`{shown}` is a folder, not a file")));
    }
    if !meta.is_file() {
        return Err(fail(format!(
            "`{shown}` is not a regular file (a device, pipe or socket); parasol does not read it"
        )));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| fail(format!("cannot read `{shown}`: {}", io_message(&e))))?;
    let limit = yaml::LIMITS.max_bytes;
    let mut bytes = Vec::new();
    // Read one byte past the limit so an oversized file is noticed without reading it all.
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("cannot read `{shown}`: {}", io_message(&e))))?;
    let text = yaml::check_text(&shown, &bytes, yaml::LIMITS)?;
    Ok(Arc::new(SourceFile::new(path, text)))
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Reads and decodes a spec file; `None` when it could not be parsed at all.
pub fn load_spec(path: &Path, diags: &mut Diagnostics) -> Option<spec::RawSpec> {
    let file = match read_source(path) {
        Ok(f) => f,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let root = match yaml::parse(&file, &file.text, yaml::LIMITS) {
        Ok(root) => root,
        Err(errors) => {
            for e in errors {
                diags.push(e);
            }
            return None;
        }
    };
    Some(spec::decode(file, &root, diags))
}

/// Loads a spec from in-memory text (used by fuzzing and tests).
pub fn load_spec_text(
    display: &str,
    bytes: &[u8],
    diags: &mut Diagnostics,
) -> Option<spec::RawSpec> {
    let text = match yaml::check_text(display, bytes, yaml::LIMITS) {
        Ok(t) => t,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let file = Arc::new(SourceFile {
        display: display.into(),
        text: text.into(),
    });
    let root = match yaml::parse(&file, &file.text, yaml::LIMITS) {
        Ok(root) => root,
        Err(errors) => {
            for e in errors {
                diags.push(e);
            }
            return None;
        }
    };
    Some(spec::decode(file, &root, diags))
}
