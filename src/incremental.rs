//! Incremental regeneration: render only the files whose inputs changed.
//!
//! Every planned file gets a key: a hash of what its render can read —
//! parasol's build and templates (`TemplateSet::digest`), the template,
//! the header, the path, and the value at each variable path the template
//! and the templates it imports name (`ctx.events`, `module.ops`), as
//! minijinja's own parser reports them. A run that leaves its output
//! exactly as planned records the keys in the manifest (`Inputs::keys`).
//! The next run keeps a file without rendering it when its key is the same
//! and the file on disk still has the content recorded with that key.
//!
//! Anything the analysis cannot see through (an import whose name is not
//! a string literal, a template that does not parse) gives no key: that
//! file is always rendered. A module's files read only that module (and a
//! few context-wide values), so editing one module re-renders its files
//! and the context-wide ones.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use minijinja::{Environment, Value};
use sha2::{Digest, Sha256};

use crate::manifest::{Manifest, Ownership, PartRecord, Recorded};
use crate::outdir::{self, OnDisk};
use crate::render::TemplateSet;

/// The files an earlier run left exactly as it planned them, each with the
/// key it was rendered from and the SHA-256 of its content then.
#[derive(Debug, Default)]
pub struct Previous {
    root: PathBuf,
    files: HashMap<String, (String, String)>,
    /// The parts of assembled files among them (`plan::Parts`).
    parts: HashMap<String, Vec<PartRecord>>,
    /// Every file in `files` was found on disk with its recorded hash
    /// (`verified`); those that were not are left out.
    verified: bool,
}

/// An assembled file as an earlier run left it, and where each of its
/// parts is, by key.
pub struct OldParts {
    pub text: std::sync::Arc<str>,
    at: HashMap<String, (usize, usize)>,
}

impl OldParts {
    /// Where in `text` the part rendered from `key` is.
    pub fn range(&self, key: &str) -> Option<std::ops::Range<usize>> {
        let &(at, len) = self.at.get(key)?;
        let range = at..at.checked_add(len)?;
        self.text.get(range.clone()).map(|_| range)
    }
}

impl Previous {
    /// Nothing to reuse: every file is rendered.
    pub fn none() -> Self {
        Previous::default()
    }

    /// What the manifest in `root` says can be reused. The manifest is
    /// untrusted input: it only ever lets a file be kept whose bytes on
    /// disk hash to what it records (`reusable`), never supplies content.
    pub fn of(root: &Path) -> Self {
        let Ok(Some(manifest)) = Manifest::recorded(root) else {
            return Previous::none();
        };
        let Recorded {
            files,
            inputs: Some(inputs),
            incomplete: false,
            ..
        } = manifest
        else {
            return Previous::none();
        };
        let mut kept = HashMap::with_capacity(inputs.keys.len());
        for (path, key) in inputs.keys {
            let sha = match files.get(&path) {
                Some(entry) if entry.owner == Ownership::Generated && entry.pending.is_none() => {
                    entry.sha256.clone()
                }
                Some(entry) if entry.owner == Ownership::User => inputs.user.get(&path).cloned(),
                _ => None,
            };
            if let Some(sha) = sha {
                kept.insert(path, (key, sha));
            }
        }
        let parts = inputs
            .parts
            .into_iter()
            .filter(|(path, _)| kept.contains_key(path))
            .collect();
        Previous {
            root: root.to_path_buf(),
            files: kept,
            parts,
            verified: false,
        }
    }

    /// `self` with every file's bytes on disk hashed now, and the files
    /// that no longer hash to what was recorded dropped: for reading ahead
    /// on another thread while the spec is parsed (`Prefetch`).
    fn verified(mut self) -> Self {
        // In path order, so each folder is opened once (`outdir::Reader`).
        let mut paths: Vec<&String> = self.files.keys().collect();
        paths.sort_unstable();
        let mut reader = outdir::Reader::new(&self.root);
        let changed: Vec<String> = paths
            .into_iter()
            .filter(|path| {
                let sha = &self.files[*path].1;
                reader.sha256(path).as_ref() != Some(sha)
            })
            .cloned()
            .collect();
        for path in changed {
            self.files.remove(&path);
        }
        self.verified = true;
        self
    }

    /// The parts an earlier run recorded for `path`, with the file's text,
    /// if the file on disk is still exactly as recorded.
    pub fn parts_of(&self, path: &str) -> Option<OldParts> {
        let records = self.parts.get(path)?;
        let (_, sha) = self.files.get(path)?;
        let OnDisk::File(bytes) = outdir::inspect(&self.root, path) else {
            return None;
        };
        // Hashed already when read ahead. Changed since, its parts are
        // copied from the edit, and emit, which hashes what it is about to
        // overwrite, reports a conflict instead of writing.
        if !self.verified && crate::hash::sha256(&bytes) != *sha {
            return None;
        }
        let text = std::sync::Arc::from(String::from_utf8(bytes).ok()?);
        let at = records
            .iter()
            .map(|PartRecord(key, at, len)| (key.clone(), (*at, *len)))
            .collect();
        Some(OldParts { text, at })
    }

    /// What an earlier run recorded of `path`'s parts, for a file kept whole.
    pub fn recorded_parts(&self, path: &str) -> Vec<PartRecord> {
        self.parts.get(path).cloned().unwrap_or_default()
    }

    /// The SHA-256 of `path` if it was rendered from `key` and is on disk
    /// exactly as then (read through `outdir`: never through a link).
    pub fn reusable(&self, path: &str, key: &str) -> Option<String> {
        let (recorded_key, sha) = self.files.get(path)?;
        if recorded_key != key {
            return None;
        }
        if self.verified {
            return Some(sha.clone());
        }
        match outdir::inspect(&self.root, path) {
            OnDisk::File(bytes) if crate::hash::sha256(&bytes) == *sha => Some(sha.clone()),
            _ => None,
        }
    }

    /// Where `path` is on disk.
    pub fn path_of(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }
}

/// What earlier runs left in some output folders, read and checked against
/// the disk on another thread while the main one parses and resolves the
/// spec (which uses one core): a one-field edit then finds the tree already
/// hashed when it plans. Only for runs that trust the manifest.
pub struct Prefetch(Mutex<Reading>);

/// Where the read-ahead is: on its thread, or done (what is left of it).
enum Reading {
    Running(std::thread::JoinHandle<Vec<Previous>>),
    Done(Vec<Previous>),
}

impl Prefetch {
    /// Nothing read ahead: each output's manifest is read when planned.
    pub fn none() -> Self {
        Prefetch(Mutex::new(Reading::Done(Vec::new())))
    }

    /// Starts reading the output folders at `roots`.
    pub fn start(roots: Vec<PathBuf>) -> Self {
        if roots.is_empty() {
            return Prefetch::none();
        }
        let reading = std::thread::spawn(move || {
            roots
                .iter()
                .map(|root| Previous::of(root).verified())
                .collect()
        });
        Prefetch(Mutex::new(Reading::Running(reading)))
    }

    /// What can be reused from `root`, once; `None` if it was not read ahead.
    pub fn take(&self, root: &Path) -> Option<Previous> {
        let mut reading = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut read = match std::mem::replace(&mut *reading, Reading::Done(Vec::new())) {
            // A reader that panicked read nothing: plan as without it.
            Reading::Running(handle) => handle.join().unwrap_or_default(),
            Reading::Done(read) => read,
        };
        let found = read
            .iter()
            .position(|p| p.root == root)
            .map(|at| read.swap_remove(at));
        *reading = Reading::Done(read);
        found
    }
}

/// Whether a run may believe what the manifest records of earlier runs.
/// Anyone who can write the output folder can write the manifest too: a
/// file edited together with its recorded hash looks as parasol left it.
/// A run that writes may trust that (the edit is then the user's own
/// doing, kept as if parasol had made it); a run that checks must not, or
/// such an edit would pass CI's `parasol check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Files recorded with an unchanged key and hash are kept unrendered,
    /// and an output whose recorded inputs are unchanged is not
    /// regenerated at all (`fingerprint`).
    Manifest,
    /// Everything is rendered and compared with the disk byte for byte.
    Nothing,
}

/// What one render call needs to skip work: how to key its files, and
/// what the output folder already holds.
pub struct Reuse<'e> {
    pub keys: Keys<'e>,
    pub previous: Previous,
}

/// Hashes of the context's large lists, one per item, taken from the
/// model itself: a template value's own hashing walks every struct field
/// by name and would cost more than rendering.
#[derive(Debug, Default)]
pub struct Digests {
    items: HashMap<(&'static str, usize), [u8; 16]>,
    lists: HashMap<&'static str, [u8; 16]>,
}

impl Digests {
    /// No digests: every value is hashed as a template value.
    pub fn none() -> Self {
        Digests::default()
    }

    /// One hash per module and per event of `ctx`, and one per list.
    pub fn of(ctx: &crate::model::Context) -> Self {
        let mut digests = Digests::default();
        digests.list("modules", &ctx.modules);
        digests.list("events", &ctx.events);
        digests
    }

    fn list<T: serde::Serialize + Sync>(&mut self, name: &'static str, items: &[T]) {
        // Serialised whole into postcard's compact binary form (no text to
        // format or escape; decodable for the type, so distinct values give
        // distinct bytes), then hashed in one call: a hasher fed piece by
        // piece costs more than the serialising.
        let hashes = crate::par::map(items, |item| {
            let mut pair = Pair::new();
            match postcard::to_allocvec(item) {
                Ok(bytes) => {
                    pair.write(&[0]);
                    pair.write(&bytes);
                }
                // postcard needs every length up front; JSON does not.
                Err(_) => {
                    pair.write(&[1]);
                    pair.write(&serde_json::to_vec(item).expect("the model serialises"));
                }
            }
            pair.finish128()
        });
        let mut whole = Pair::new();
        for (index, hash) in hashes.into_iter().enumerate() {
            whole.write(&hash);
            self.items.insert((name, index), hash);
        }
        self.lists.insert(name, whole.finish128());
    }
}

/// Computes file keys for one render call: the variable paths each
/// template reads are found once per template, the hash of each value
/// once per value.
pub struct Keys<'e> {
    env: &'e Environment<'static>,
    templates: &'e TemplateSet,
    digests: &'e Digests,
    digest: String,
    reads: Mutex<HashMap<&'static str, Option<BTreeSet<String>>>>,
    hashes: Mutex<HashMap<String, [u8; 16]>>,
}

/// A variable of one file's render, and where it comes from: shared by
/// every file of the call (`ctx`), an item of a context list (`module` =
/// `ctx.modules[3]`), or this file's own.
#[derive(Clone, Copy)]
pub enum Origin {
    Shared,
    Item(&'static str, usize),
    Own,
}

impl<'e> Keys<'e> {
    pub fn new(
        env: &'e Environment<'static>,
        templates: &'e TemplateSet,
        digests: &'e Digests,
    ) -> Self {
        Keys {
            env,
            templates,
            digests,
            digest: templates.digest(),
            reads: Mutex::new(HashMap::new()),
            hashes: Mutex::new(HashMap::new()),
        }
    }

    /// The key of a file rendered from `template` with `vars`, or `None`
    /// when what it reads cannot be told.
    pub fn key(
        &self,
        template: &'static str,
        fixed: &[&str],
        vars: &BTreeMap<String, (Value, Origin)>,
    ) -> Option<String> {
        let reads = self.reads_of(template)?;
        let mut hasher = Sha256::new();
        hasher.update(self.digest.as_bytes());
        hasher.update([0]);
        hasher.update(template.as_bytes());
        for text in fixed {
            hasher.update([0]);
            hasher.update(text.as_bytes());
        }
        for read in &reads {
            let mut segments = read.split('.');
            let name = segments.next().unwrap_or_default();
            // Not a variable of this render: a global function or filter,
            // which belongs to parasol's build (in the digest).
            let Some((value, origin)) = vars.get(name) else {
                continue;
            };
            let rest: Vec<&str> = segments.collect();
            hasher.update([1]);
            hasher.update(read.as_bytes());
            hasher.update([0]);
            // A whole module or event stands for any part of it.
            let digested = match origin {
                Origin::Item(list, index) => self.digests.items.get(&(*list, *index)),
                Origin::Shared if name == "ctx" => {
                    rest.first().and_then(|list| self.digests.lists.get(list))
                }
                _ => None,
            };
            if let Some(hash) = digested {
                hasher.update(hash);
                continue;
            }
            let memo = match origin {
                Origin::Shared => Some(read.clone()),
                Origin::Item(list, index) => Some(format!("{list}[{index}].{}", rest.join("."))),
                Origin::Own => None,
            };
            hasher.update(self.value_hash(value, &rest, memo));
        }
        Some(crate::hash::hex(&hasher.finalize()[..16]))
    }

    fn value_hash(&self, root: &Value, path: &[&str], memo: Option<String>) -> [u8; 16] {
        if let Some(memo) = &memo
            && let Some(hash) = self.lock_hashes().get(memo)
        {
            return *hash;
        }
        let mut value = root.clone();
        for segment in path {
            value = value.get_attr(segment).unwrap_or_default();
        }
        let hash = hash_value(&value);
        if let Some(memo) = memo {
            self.lock_hashes().insert(memo, hash);
        }
        hash
    }

    fn lock_hashes(&self) -> std::sync::MutexGuard<'_, HashMap<String, [u8; 16]>> {
        self.hashes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The variable paths `template` and everything it imports read.
    fn reads_of(&self, template: &'static str) -> Option<BTreeSet<String>> {
        let mut reads = self
            .reads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        reads
            .entry(template)
            .or_insert_with(|| self.analyse(template))
            .clone()
    }

    fn analyse(&self, template: &str) -> Option<BTreeSet<String>> {
        let mut found = BTreeSet::new();
        let mut pending = vec![template.to_string()];
        let mut seen = BTreeSet::new();
        while let Some(id) = pending.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let source = self.templates.source(&id)?;
            let parsed = self.env.get_template(&id).ok()?;
            found.extend(parsed.undeclared_variables(true));
            pending.extend(referenced_templates(&source)?);
        }
        Some(found)
    }
}

/// The templates `source` imports, includes or extends, or `None` if one
/// of them is not named by a string literal (it could be any template).
fn referenced_templates(source: &str) -> Option<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("{%") {
        rest = &rest[at + 2..];
        let tag = rest.trim_start_matches(['-', '+']).trim_start();
        let word: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !matches!(word.as_str(), "import" | "from" | "include" | "extends") {
            continue;
        }
        let after = tag[word.len()..].trim_start();
        let quote = after.chars().next().filter(|c| matches!(c, '"' | '\''))?;
        let name: String = after[1..].chars().take_while(|c| *c != quote).collect();
        found.push(name);
    }
    Some(found)
}

/// Two SipHash states keyed apart: a 128-bit hash, stable within one
/// build of parasol (which every key includes).
struct Pair(std::hash::DefaultHasher, std::hash::DefaultHasher);

impl Pair {
    fn new() -> Self {
        let mut pair = Pair(
            std::hash::DefaultHasher::new(),
            std::hash::DefaultHasher::new(),
        );
        pair.1.write_u8(0xa5);
        pair
    }

    fn finish128(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.0.finish().to_le_bytes());
        out[8..].copy_from_slice(&self.1.finish().to_le_bytes());
        out
    }
}

impl Hasher for Pair {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
        self.1.write(bytes);
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

/// A 128-bit hash of a template value.
fn hash_value(value: &Value) -> [u8; 16] {
    let mut pair = Pair::new();
    value.hash(&mut pair);
    pair.finish128()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_and_dynamic_ones_refuse() {
        let source = r#"{% import "rust/macros.j2" as m %}{%- from 'a.j2' import x %}
{% if y %}{% include "b.j2" %}{% endif %}{% set include = 1 %}"#;
        assert_eq!(
            referenced_templates(source).unwrap(),
            ["rust/macros.j2", "a.j2", "b.j2"]
        );
        assert!(referenced_templates("{% include name %}").is_none());
        assert!(referenced_templates("{% extends [\"a\"] %}").is_none());
    }

    #[test]
    fn reads_inside_macros_and_imported_templates_count() {
        let mut set = TemplateSet::builtin();
        set.insert_for_test("lib.j2", "{% macro shout() %}{{ ctx.loud }}{% endmacro %}");
        set.insert_for_test(
            "t.j2",
            "{% import 'lib.j2' as lib %}{% macro quiet() %}{{ module.soft }}{% endmacro %}\
             {{ lib.shout() }}{{ quiet() }}{% for x in ctx.items %}{{ x }}{% endfor %}",
        );
        let env = crate::render::environment(&set);
        let digests = Digests::none();
        let keys = Keys::new(&env, &set, &digests);
        let reads = keys.reads_of("t.j2").unwrap();
        for read in ["ctx.loud", "module.soft", "ctx.items"] {
            assert!(reads.contains(read), "{read} missing from {reads:?}");
        }
    }

    #[test]
    fn a_key_follows_exactly_the_values_a_template_reads() {
        let mut set = TemplateSet::builtin();
        set.insert_for_test("t.j2", "{{ ctx.name }} {{ module.ops | length }}");
        let env = crate::render::environment(&set);
        let digests = Digests::none();
        let keys = Keys::new(&env, &set, &digests);
        let vars = |name: &str, ops: usize, other: &str| {
            let ctx = crate::render::value(serde_json::json!({"name": name, "other": other}));
            let module = crate::render::value(serde_json::json!({"ops": vec![1; ops], "x": other}));
            BTreeMap::from([
                ("ctx".to_string(), (ctx, Origin::Own)),
                ("module".to_string(), (module, Origin::Own)),
            ])
        };
        let key = |v| keys.key("t.j2", &["path"], &v).unwrap();
        let base = key(vars("A", 2, "p"));
        assert_eq!(base, key(vars("A", 2, "q")), "values it does not read");
        assert_ne!(base, key(vars("B", 2, "p")));
        assert_ne!(base, key(vars("A", 3, "p")));
        assert_ne!(
            base,
            keys.key("t.j2", &["other"], &vars("A", 2, "p")).unwrap()
        );
    }
}
