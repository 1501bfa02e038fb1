//! The optional project file, `parasol.yaml`: where specs live, where each
//! language's output goes, and a folder of template overrides.

use std::path::{Path, PathBuf};

use crate::diag::Diagnostics;
use crate::source::decode::Decoder;
use crate::source::{read_source, yaml};

pub const PROJECT_FILE: &str = "parasol.yaml";

#[derive(Debug, Clone)]
pub struct Project {
    /// The folder holding `parasol.yaml`; relative paths in it start here.
    pub root: PathBuf,
    pub specs: PathBuf,
    pub out_rust: PathBuf,
    pub out_ts: PathBuf,
    pub templates: Option<PathBuf>,
    /// Folders outside the project that bundles may be included from.
    pub bundle_roots: Vec<PathBuf>,
    /// The `parasol.yaml` read, if one was found.
    pub file: Option<PathBuf>,
}

impl Project {
    /// Defaults for a folder without `parasol.yaml`.
    pub fn defaults(root: &Path) -> Self {
        Project {
            root: root.to_path_buf(),
            specs: root.join("specs"),
            out_rust: root.join("generated/rust"),
            out_ts: root.join("generated/ts"),
            templates: None,
            bundle_roots: Vec::new(),
            file: None,
        }
    }
}

/// Finds `parasol.yaml` in `start` or the nearest folder above it.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(PROJECT_FILE))
        .find(|candidate| candidate.is_file())
}

/// Reads a project file; problems go to `diags`.
pub fn load(path: &Path, diags: &mut Diagnostics) -> Option<Project> {
    let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let root = if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root
    };
    let file = match read_source(path) {
        Ok(f) => f,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let node = match yaml::parse(&file, &file.text, yaml::LIMITS) {
        Ok(n) => n,
        Err(errors) => {
            for e in errors {
                diags.push(e);
            }
            return None;
        }
    };
    let mut project = Project::defaults(&root);
    project.file = Some(path.to_path_buf());
    let errors_before = diags.error_count();
    let mut d = Decoder {
        file: file.clone(),
        diags,
    };
    let f = d.fields(
        &node,
        "`parasol.yaml`",
        &["specs", "out", "templates", "bundle_roots"],
    )?;
    if let Some(specs) = d.opt_string(f.get("specs"), "`specs`") {
        project.specs = root.join(specs.value);
    }
    if let Some(out) = f.get("out") {
        if out.as_scalar().is_some() {
            if let Some(base) = d.string(out, "`out`") {
                project.out_rust = root.join(&base.value).join("rust");
                project.out_ts = root.join(&base.value).join("ts");
            }
        } else if let Some(of) = d.fields(out, "`out`", &["rust", "ts"]) {
            if let Some(rust) = d.opt_string(of.get("rust"), "`out.rust`") {
                project.out_rust = root.join(rust.value);
            }
            if let Some(ts) = d.opt_string(of.get("ts"), "`out.ts`") {
                project.out_ts = root.join(ts.value);
            }
        }
    }
    if let Some(templates) = d.opt_string(f.get("templates"), "`templates`") {
        project.templates = Some(root.join(templates.value));
    }
    if let Some(list) = f.get("bundle_roots")
        && let Some(items) = d.seq(list, "`bundle_roots`")
    {
        for item in items {
            if let Some(dir) = d.string(item, "a bundle root") {
                project.bundle_roots.push(root.join(dir.value));
            }
        }
    }
    (diags.error_count() == errors_before).then_some(project)
}
