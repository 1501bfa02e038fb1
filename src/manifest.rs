//! The manifest an output root keeps at `.parasol/manifest.json`: what
//! generated the tree (so `parasol check` can regenerate it) and the SHA-256
//! of every generated file as written (so hand edits are detected and never
//! overwritten silently, and stale files are deleted only when unedited).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
}

impl Manifest {
    pub fn path(root: &Path) -> PathBuf {
        root.join(MANIFEST_PATH)
    }

    /// Reads the manifest of `root`. `Ok(None)` when there is none;
    /// `Err` with a reason when it exists but cannot be used.
    pub fn read(root: &Path) -> Result<Option<Manifest>, String> {
        let path = Self::path(root);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if manifest.parasol != FORMAT_VERSION {
            return Err(format!(
                "manifest format {} is not {FORMAT_VERSION}",
                manifest.parasol
            ));
        }
        Ok(Some(manifest))
    }

    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("manifest serialises");
        text.push('\n');
        text
    }
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

    #[test]
    fn sha256_matches_reference() {
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
