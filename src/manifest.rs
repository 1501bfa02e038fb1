//! The manifest an output root keeps at `.parasol/manifest.json`: what
//! generated the tree (so `parasol check` can regenerate it) and the SHA-256
//! of every generated file as written (so hand edits are detected and never
//! overwritten silently, and stale files are deleted only when unedited).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diag::{Diagnostic, Location, display_path};
use crate::outdir::{self, OnDisk};
use crate::plan::{Ownership, Recipe};

pub const MANIFEST_PATH: &str = ".parasol/manifest.json";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest format version.
    pub parasol: u32,
    pub recipe: Recipe,
    /// The spec, relative to the output root where possible.
    pub spec: String,
    pub files: BTreeMap<String, Entry>,
    /// Set while a run is changing the tree: written before its first
    /// change, cleared by its last write. A manifest that still says so
    /// was left by a run that was killed or failed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    /// What the tree was generated from, recorded when that run left it
    /// exactly as planned (see `fresh`). A cache: not part of any drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Inputs>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// SHA-256 over parasol's build, the templates, the recipe and the input files.
    pub fingerprint: String,
    /// The spec and its bundles, relative to the output root.
    pub files: Vec<String>,
    /// SHA-256 of each user-owned file as planned, to tell which the user
    /// changed without planning again.
    #[serde(default)]
    pub user: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub owner: Ownership,
    /// SHA-256 of the content parasol last wrote (generated files only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// SHA-256 of the content a run that did not finish was writing: the
    /// file holds either that or `sha256`, and both are parasol's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
}

impl Entry {
    pub fn generated(sha256: Option<String>) -> Self {
        Entry {
            owner: Ownership::Generated,
            sha256,
            pending: None,
        }
    }

    pub fn user() -> Self {
        Entry {
            owner: Ownership::User,
            sha256: None,
            pending: None,
        }
    }

    /// Whether `hash` is content parasol wrote (or was writing) here.
    pub fn written_by_parasol(&self, hash: &str) -> bool {
        self.sha256.as_deref() == Some(hash) || self.pending.as_deref() == Some(hash)
    }
}

/// Why a manifest cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// Not readable or not a manifest: files are then treated as not
    /// written by parasol, which never deletes or overwrites anything.
    Unreadable(String),
    /// Readable, but not to be trusted: it names a path outside the
    /// output folder, or it is reached through a link. The run stops.
    Unsafe {
        message: String,
        line: u32,
        col: u32,
    },
}

impl ManifestError {
    /// The diagnostic for the manifest of `root`.
    pub fn diagnostic(&self, root: &Path) -> Diagnostic {
        let shown = display_path(&Manifest::path(root));
        match self {
            ManifestError::Unreadable(reason) => Diagnostic::warning(
                "manifest",
                format!("ignoring unreadable manifest: {reason}"),
            )
            .at(Location::bare(shown, 1, 1))
            .with_help("files that differ from the plan are treated as not written by parasol, and kept"),
            ManifestError::Unsafe { message, line, col } => {
                Diagnostic::error("manifest-unsafe", message.clone())
                    .at(Location::bare(shown, *line, *col))
                    .with_help(
                        "parasol did not write this; nothing was changed. Remove the entry, or delete `.parasol/manifest.json` to start over (files then count as not written by parasol)",
                    )
            }
        }
    }
}

impl Manifest {
    pub fn path(root: &Path) -> PathBuf {
        root.join(MANIFEST_PATH)
    }

    /// Reads the manifest of `root`. `Ok(None)` when there is none. It is
    /// read without following links, and every path it names must be a
    /// relative path inside the root (see `ManifestError`).
    pub fn read(root: &Path) -> Result<Option<Manifest>, ManifestError> {
        let bytes = match outdir::inspect(root, MANIFEST_PATH) {
            OnDisk::Missing => return Ok(None),
            OnDisk::File(bytes) => bytes,
            OnDisk::Blocked(why) => {
                return Err(ManifestError::Unsafe {
                    message: format!("cannot use the manifest: {why}"),
                    line: 1,
                    col: 1,
                });
            }
        };
        let text = String::from_utf8(bytes)
            .map_err(|_| ManifestError::Unreadable("not UTF-8 text".into()))?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| ManifestError::Unreadable(e.to_string()))?;
        if manifest.parasol != FORMAT_VERSION {
            return Err(ManifestError::Unreadable(format!(
                "manifest format {} is not {FORMAT_VERSION}",
                manifest.parasol
            )));
        }
        for path in manifest.files.keys() {
            if let Err(problem) = check_entry_path(path) {
                let (line, col) = position_of_key(&text, path);
                return Err(ManifestError::Unsafe {
                    message: format!(
                        "the manifest names {problem}; parasol only touches files inside the output folder"
                    ),
                    line,
                    col,
                });
            }
        }
        Ok(Some(manifest))
    }

    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("manifest serialises");
        text.push('\n');
        text
    }
}

/// Checks a path a manifest names: relative, inside the root, not in
/// parasol's own state folder.
fn check_entry_path(path: &str) -> Result<(), String> {
    crate::plan::check_relative_path(path)?;
    if path == outdir::STATE_DIR || path.starts_with(".parasol/") {
        return Err(format!("`{path}`, inside parasol's own state folder"));
    }
    Ok(())
}

/// Line and column of `"key"` in the manifest's text (1:1 if not found).
fn position_of_key(text: &str, key: &str) -> (u32, u32) {
    let quoted = serde_json::to_string(key).unwrap_or_default();
    let Some(at) = text.find(&format!("{quoted}:")) else {
        return (1, 1);
    };
    let before = &text[..at];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    (line, col)
}

/// Lowercase hex SHA-256.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from_digit(u32::from(byte >> 4), 16).expect("nibble"));
        out.push(char::from_digit(u32::from(byte & 0xf), 16).expect("nibble"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_with(path: &str) -> String {
        format!(
            "{{\n  \"parasol\": 1,\n  \"recipe\": {{\"command\": \"bc generate\", \"context\": \"X\", \"settings\": {{}}}},\n  \"spec\": \"x.bc.yaml\",\n  \"files\": {{\n    \"ok.rs\": {{\"owner\": \"generated\"}},\n    {}: {{\"owner\": \"generated\"}}\n  }}\n}}\n",
            serde_json::to_string(path).unwrap()
        )
    }

    #[test]
    fn paths_outside_the_root_are_refused_with_their_position() {
        for bad in [
            "../../x",
            "/etc/passwd",
            "a/../../b",
            ".parasol/lock",
            "a//b",
            "",
        ] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir(dir.path().join(".parasol")).unwrap();
            std::fs::write(dir.path().join(MANIFEST_PATH), manifest_with(bad)).unwrap();
            match Manifest::read(dir.path()) {
                Err(ManifestError::Unsafe { line, col, .. }) => {
                    assert_eq!((line, col), (7, 5), "{bad:?}");
                }
                other => panic!("{bad:?} accepted: {other:?}"),
            }
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".parasol")).unwrap();
        std::fs::write(dir.path().join(MANIFEST_PATH), manifest_with("src/a.rs")).unwrap();
        assert!(Manifest::read(dir.path()).unwrap().is_some());
    }

    #[test]
    fn sha256_matches_reference() {
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
