//! Stage 1b (load): bundles — Markdown files with YAML front matter that
//! include each other and carry policy config.
//!
//! Includes resolve depth-first relative to the including file; a bundle
//! reached twice (a diamond) is loaded once; a cycle is reported with the whole
//! chain. Config deep-merges: includes in order, then the including bundle on
//! top. Each merged leaf remembers the bundle that set it, so policy refusals
//! can name the bundle responsible.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::diag::{Diagnostic, Diagnostics, Location, Pos, SourceFile};
use crate::source::decode::{Decoder, Spanned};
use crate::source::read_source;
use crate::source::yaml::{self, LIMITS};

/// Deepest include chain followed before giving up.
pub const MAX_INCLUDE_DEPTH: usize = 32;

#[derive(Debug, Clone)]
pub struct Bundle {
    /// Where it was read from (as the include named it, normalised).
    pub path: PathBuf,
    pub name: String,
    pub version: String,
    pub description: Option<String>,
    pub file: Arc<SourceFile>,
    pub includes: Vec<usize>,
    pub config: serde_json::Value,
}

/// Every bundle reached from some roots, and their merged config.
#[derive(Debug, Clone, Default)]
pub struct BundleSet {
    pub bundles: Vec<Bundle>,
    pub roots: Vec<usize>,
    pub config: serde_json::Value,
    /// Dotted config path (`v5_principles`, `module_rules.forbid_cycles`) ->
    /// index of the bundle whose value won the merge.
    pub provenance: BTreeMap<String, usize>,
}

impl BundleSet {
    /// The bundle that decided the value at `path` (dotted), if any.
    pub fn source_of(&self, path: &str) -> Option<&Bundle> {
        self.provenance.get(path).map(|&i| &self.bundles[i])
    }

    /// A list-valued policy key as strings (`v5_principles`).
    pub fn string_list(&self, key: &str) -> Option<Vec<String>> {
        let list = self.config.get(key)?.as_array()?;
        Some(
            list.iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        )
    }

    /// `true` when `v5_principles` (or another list key) contains `value`.
    pub fn list_contains(&self, key: &str, value: &str) -> bool {
        self.string_list(key)
            .is_some_and(|l| l.iter().any(|v| v == value))
    }

    /// Where, in the bundle that set `key`, `value` is written: the first
    /// front-matter line naming it as a whole word.
    pub fn locate(&self, key: &str, value: &str) -> Option<Location> {
        let bundle = self.source_of(key)?;
        let text = &bundle.file.text;
        let front_matter = text
            .split('\n')
            .skip(1)
            .take_while(|l| l.trim_end() != "---");
        for (index, line) in front_matter.enumerate() {
            let whole_word = line.match_indices(value).find(|(at, _)| {
                let before = line[..*at].chars().next_back();
                let after = line[at + value.len()..].chars().next();
                let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !word(before) && !word(after)
            });
            if let Some((at, _)) = whole_word {
                let col = line[..at].chars().count() as u32 + 1;
                let pos = Pos::new(index as u32 + 2, col, value.chars().count() as u32);
                return Some(Location::in_file(&bundle.file, pos));
            }
        }
        None
    }

    /// "bundle `name` (path)" for the bundle that set `key`.
    pub fn describe_source(&self, key: &str) -> String {
        match self.source_of(key) {
            Some(b) => format!("bundle `{}` ({})", b.name, b.file.display),
            None => "the bundle policy".to_string(),
        }
    }

    /// The include tree as `parasol bundle resolve` prints it.
    pub fn tree(&self) -> Vec<TreeNode> {
        let mut seen = vec![false; self.bundles.len()];
        self.roots
            .iter()
            .map(|&root| self.tree_node(root, &mut seen))
            .collect()
    }

    fn tree_node(&self, id: usize, seen: &mut [bool]) -> TreeNode {
        let bundle = &self.bundles[id];
        let repeated = seen[id];
        seen[id] = true;
        TreeNode {
            name: bundle.name.clone(),
            version: bundle.version.clone(),
            file: bundle.file.display.to_string(),
            repeated,
            includes: if repeated {
                Vec::new()
            } else {
                bundle
                    .includes
                    .iter()
                    .map(|&i| self.tree_node(i, seen))
                    .collect()
            },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TreeNode {
    pub name: String,
    pub version: String,
    pub file: String,
    /// Reached before through another include: loaded once, shown once.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeated: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub includes: Vec<TreeNode>,
}

impl TreeNode {
    pub fn render(nodes: &[TreeNode]) -> String {
        let mut out = String::new();
        for node in nodes {
            out.push_str(&node.label());
            out.push('\n');
            node.render_children("", &mut out);
        }
        out
    }

    fn label(&self) -> String {
        let suffix = if self.repeated {
            " (already shown)"
        } else {
            ""
        };
        format!("{} {} ({}){suffix}", self.name, self.version, self.file)
    }

    fn render_children(&self, prefix: &str, out: &mut String) {
        for (i, child) in self.includes.iter().enumerate() {
            let last = i + 1 == self.includes.len();
            out.push_str(prefix);
            out.push_str(if last { "└── " } else { "├── " });
            out.push_str(&child.label());
            out.push('\n');
            let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
            child.render_children(&deeper, out);
        }
    }
}

/// Splits a bundle into its front matter (with the opening `---` line blanked,
/// so YAML line numbers match the file) and reports where it failed.
pub fn front_matter(file: &SourceFile) -> Result<String, Diagnostic> {
    let text = &file.text;
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(Diagnostic::error(
            "no-front-matter",
            "bundle has no YAML front matter: its first line must be `---`",
        )
        .at(Location::in_file(file, Pos::new(1, 1, 3)))
        .with_help("start the file with `---`, the YAML (bundle, includes, config), then `---`"));
    }
    let mut yaml = String::from("\n");
    for line in lines {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            return Ok(yaml);
        }
        yaml.push_str(line);
    }
    Err(Diagnostic::error(
        "no-front-matter",
        "front matter is never closed: add a `---` line after the YAML",
    )
    .at(Location::in_file(file, Pos::new(1, 1, 3))))
}

/// Where bundles may be read from. A bundle arrives with a spec (a cloned
/// repository, a pull request): an include of `../../etc/passwd` must not
/// read, let alone print, a file outside the project. Allowed are the
/// folder of the file that starts the load (the spec, or the bundle given
/// to `bundle resolve`) and everything below it, the folder of the nearest
/// `parasol.yaml` above that file, and the folders its `bundle_roots:`
/// lists. Compared after resolving links, so a link cannot lead out.
#[derive(Debug, Clone, Default)]
pub struct IncludePolicy {
    roots: Vec<PathBuf>,
}

impl IncludePolicy {
    /// The policy for a load started from `file`.
    pub fn for_file(file: &Path) -> Self {
        let dir = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut roots = Vec::new();
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        if let Some(project_file) = crate::source::project::find(&dir) {
            let mut ignored = Diagnostics::new();
            if let Some(project) = crate::source::project::load(&project_file, &mut ignored) {
                roots.push(project.root.clone());
                roots.extend(project.bundle_roots);
            } else if let Some(root) = project_file.parent() {
                roots.push(root.to_path_buf());
            }
        }
        roots.push(dir);
        IncludePolicy {
            roots: roots
                .into_iter()
                .filter_map(|r| std::fs::canonicalize(r).ok())
                .collect(),
        }
    }

    /// Everything is allowed (in-memory loads in tests).
    pub fn anywhere() -> Self {
        IncludePolicy {
            roots: vec![PathBuf::from("/")],
        }
    }

    fn allows(&self, canonical: &Path) -> bool {
        self.roots.iter().any(|root| canonical.starts_with(root))
    }
}

struct Loader<'d> {
    diags: &'d mut Diagnostics,
    policy: IncludePolicy,
    bundles: Vec<Bundle>,
    by_path: HashMap<PathBuf, usize>,
    /// Canonical paths and display names of the bundles being loaded.
    stack: Vec<(PathBuf, String)>,
}

/// Where an include was written: reported when the include fails.
struct Origin {
    file: Arc<SourceFile>,
    pos: Pos,
}

impl Loader<'_> {
    fn fail(&mut self, origin: Option<&Origin>, diagnostic: Diagnostic, path: &Path) {
        let location = match origin {
            Some(o) => Location::in_file(&o.file, o.pos),
            None => Location::bare(crate::diag::display_path(path), 1, 1),
        };
        self.diags.push(diagnostic.at(location));
    }

    fn load(&mut self, path: &Path, origin: Option<&Origin>) -> Option<usize> {
        let canonical = match std::fs::canonicalize(path) {
            Ok(p) => p,
            Err(e) => {
                let d = Diagnostic::error(
                    "missing-include",
                    format!(
                        "cannot read bundle `{}`: {}",
                        crate::diag::display_path(path),
                        io_reason(&e)
                    ),
                );
                self.fail(origin, d, path);
                return None;
            }
        };
        if !self.policy.allows(&canonical) {
            let d = Diagnostic::error(
                "include-outside-project",
                format!(
                    "bundle `{}` is outside the project; parasol does not read it",
                    crate::diag::display_path(path)
                ),
            )
            .with_help(
                "move the bundle into the project, or list its folder under `bundle_roots:` in parasol.yaml",
            );
            self.fail(origin, d, path);
            return None;
        }
        if let Some(start) = self.stack.iter().position(|(p, _)| *p == canonical) {
            let mut chain: Vec<String> =
                self.stack[start..].iter().map(|(_, n)| n.clone()).collect();
            chain.push(self.stack[start].1.clone());
            let d = Diagnostic::error(
                "include-cycle",
                format!("bundle include cycle: {}", chain.join(" -> ")),
            )
            .with_help(
                "remove one of these includes; shared config belongs in a bundle both include",
            );
            self.fail(origin, d, path);
            return None;
        }
        if let Some(&id) = self.by_path.get(&canonical) {
            return Some(id);
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            let d = Diagnostic::error(
                "include-too-deep",
                format!("bundle includes nest deeper than {MAX_INCLUDE_DEPTH} levels"),
            );
            self.fail(origin, d, path);
            return None;
        }
        let file = match read_source(path) {
            Ok(f) => f,
            Err(d) => {
                let message = d.message.clone();
                let located = d.location.is_some();
                if located {
                    self.diags.push(d);
                } else {
                    self.fail(origin, Diagnostic::error(d.code, message), path);
                }
                return None;
            }
        };
        let yaml_text = match front_matter(&file) {
            Ok(t) => t,
            Err(d) => {
                self.diags.push(d);
                return None;
            }
        };
        let root = match yaml::parse(&file, &yaml_text, LIMITS) {
            Ok(n) => n,
            Err(errors) => {
                for e in errors {
                    self.diags.push(e);
                }
                return None;
            }
        };
        self.stack
            .push((canonical.clone(), file.display.to_string()));
        let mut decoder = Decoder {
            file: file.clone(),
            diags: self.diags,
        };
        let header = decode_header(&mut decoder, &root);
        let config = root
            .as_map()
            .and_then(|m| m.iter().find(|e| e.key == "config"))
            .map(|e| {
                if e.value.as_map().is_none() && !e.value.is_null() {
                    decoder.error(
                        e.value.pos,
                        "wrong-type",
                        format!(
                            "bundle `config` must be a map, found {}",
                            e.value.kind_name()
                        ),
                    );
                    serde_json::Value::Object(Default::default())
                } else {
                    match e.value.to_json() {
                        serde_json::Value::Null => serde_json::Value::Object(Default::default()),
                        other => other,
                    }
                }
            })
            .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut includes = Vec::new();
        for include in header.includes {
            let origin = Origin {
                file: file.clone(),
                pos: include.pos,
            };
            if include.value.trim().is_empty() {
                let d = Diagnostic::error("missing-include", "an include names no file");
                self.fail(Some(&origin), d, path);
                continue;
            }
            let target = crate::source::join_normalised(&dir, &include.value);
            if let Some(id) = self.load(&target, Some(&origin)) {
                includes.push(id);
            }
        }
        self.stack.pop();
        let id = self.bundles.len();
        self.bundles.push(Bundle {
            path: path.to_path_buf(),
            name: header.name.unwrap_or_default(),
            version: header.version.unwrap_or_default(),
            description: header.description,
            file,
            includes,
            config,
        });
        self.by_path.insert(canonical, id);
        Some(id)
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

struct Header {
    name: Option<String>,
    version: Option<String>,
    description: Option<String>,
    includes: Vec<Spanned<String>>,
}

fn decode_header(d: &mut Decoder<'_>, root: &yaml::Node) -> Header {
    let mut header = Header {
        name: None,
        version: None,
        description: None,
        includes: Vec::new(),
    };
    let Some(top) = d.fields(
        root,
        "bundle front matter",
        &["bundle", "includes", "config"],
    ) else {
        return header;
    };
    if let Some(node) = d.require(&top, root.pos, "bundle", "bundle front matter") {
        {
            if let Some(meta) = d.fields(node, "`bundle`", &["name", "version", "description"]) {
                if let Some(name) = d
                    .require(&meta, node.pos, "name", "`bundle`")
                    .and_then(|n| d.string(n, "bundle name"))
                {
                    if !is_kebab(&name.value) {
                        d.error(
                            name.pos,
                            "invalid-name",
                            format!(
                                "bundle name `{}` must be kebab-case, like `my-bundle`",
                                name.value
                            ),
                        );
                    }
                    header.name = Some(name.value);
                }
                if let Some(version) = d
                    .require(&meta, node.pos, "version", "`bundle`")
                    .and_then(|n| d.string(n, "bundle version"))
                {
                    if !is_semver(&version.value) {
                        d.error(
                            version.pos,
                            "invalid-version",
                            format!(
                                "bundle version `{}` must be a semantic version, like `1.0.0`",
                                version.value
                            ),
                        );
                    }
                    header.version = Some(version.value);
                }
                header.description = d
                    .opt_string(meta.get("description"), "bundle description")
                    .map(|s| s.value);
            }
        }
    }
    if let Some(list) = top.get("includes")
        && let Some(items) = d.seq(list, "`includes`")
    {
        for item in items {
            if item.as_scalar().is_some() {
                if let Some(s) = d.string(item, "an include") {
                    header.includes.push(s);
                }
            } else if let Some(fields) = d.fields(item, "an include", &["bundle"])
                && let Some(s) = d
                    .require(&fields, item.pos, "bundle", "an include")
                    .and_then(|n| d.string(n, "an include path"))
            {
                header.includes.push(s);
            }
        }
    }
    header
}

pub fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

pub fn is_semver(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
}

/// Deep merge: maps merge key by key, anything else is replaced by `top`.
/// Records, for each leaf `top` sets, the bundle it came from.
fn merge_into(
    base: &mut serde_json::Value,
    top: &serde_json::Value,
    prefix: &str,
    provenance: &mut BTreeMap<String, usize>,
    source: usize,
) {
    match (base, top) {
        (serde_json::Value::Object(base_map), serde_json::Value::Object(top_map)) => {
            for (key, value) in top_map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                match base_map.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge_into(existing, value, &path, provenance, source);
                    }
                    _ => {
                        base_map.insert(key.clone(), value.clone());
                        mark(value, &path, provenance, source);
                    }
                }
            }
        }
        (base, top) => *base = top.clone(),
    }
}

fn mark(
    value: &serde_json::Value,
    path: &str,
    provenance: &mut BTreeMap<String, usize>,
    source: usize,
) {
    provenance.insert(path.to_string(), source);
    if let serde_json::Value::Object(map) = value {
        for (key, inner) in map {
            mark(inner, &format!("{path}.{key}"), provenance, source);
        }
    }
}

/// Loads bundles from root paths (already resolved against the spec's
/// folder), reporting problems into `diags`. Returns what loaded.
/// A bundle to load, and where the spec names it (for errors).
pub type Root = (PathBuf, Option<(Arc<SourceFile>, Pos)>);

pub fn load(roots: &[Root], policy: IncludePolicy, diags: &mut Diagnostics) -> BundleSet {
    let mut loader = Loader {
        diags,
        policy,
        bundles: Vec::new(),
        by_path: HashMap::new(),
        stack: Vec::new(),
    };
    let mut root_ids = Vec::new();
    for (path, origin) in roots {
        let origin = origin.as_ref().map(|(file, pos)| Origin {
            file: file.clone(),
            pos: *pos,
        });
        if let Some(id) = loader.load(path, origin.as_ref()) {
            root_ids.push(id);
        }
    }
    let bundles = loader.bundles;
    let mut merged_cache: HashMap<usize, Merged> = HashMap::new();
    let mut config = serde_json::Value::Object(Default::default());
    let mut provenance = BTreeMap::new();
    for &root in &root_ids {
        let (value, prov) = merged(&bundles, root, &mut merged_cache);
        merge_with_provenance(&mut config, &mut provenance, &value, &prov);
    }
    BundleSet {
        bundles,
        roots: root_ids,
        config,
        provenance,
    }
}

fn merge_with_provenance(
    config: &mut serde_json::Value,
    provenance: &mut BTreeMap<String, usize>,
    value: &serde_json::Value,
    prov: &BTreeMap<String, usize>,
) {
    // Merge structurally, then take the leaf provenance of what was merged in.
    let mut scratch = BTreeMap::new();
    merge_into(config, value, "", &mut scratch, usize::MAX);
    for path in scratch.keys() {
        if let Some(&source) = prov.get(path) {
            provenance.insert(path.clone(), source);
        }
    }
}

/// A merged config and the bundle each of its leaves came from.
type Merged = (serde_json::Value, BTreeMap<String, usize>);

/// The merged config of bundle `id` and its includes (memoised: includes are
/// acyclic by construction, so recursion depth is bounded by MAX_INCLUDE_DEPTH).
fn merged(bundles: &[Bundle], id: usize, cache: &mut HashMap<usize, Merged>) -> Merged {
    if let Some(hit) = cache.get(&id) {
        return hit.clone();
    }
    let mut config = serde_json::Value::Object(Default::default());
    let mut provenance = BTreeMap::new();
    for &include in &bundles[id].includes {
        let (value, prov) = merged(bundles, include, cache);
        merge_with_provenance(&mut config, &mut provenance, &value, &prov);
    }
    merge_into(&mut config, &bundles[id].config, "", &mut provenance, id);
    cache.insert(id, (config.clone(), provenance.clone()));
    (config, provenance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_and_semver() {
        assert!(is_kebab("parasol-v5-event-driven"));
        assert!(!is_kebab("Parasol"));
        assert!(!is_kebab("a--b"));
        assert!(is_semver("1.0.0"));
        assert!(is_semver("0.3.0-beta.1+build"));
        assert!(!is_semver("1.0"));
        assert!(!is_semver("01.0.0"));
    }

    #[test]
    fn later_values_win_and_maps_merge() {
        let mut base = serde_json::json!({"a": {"x": 1, "y": [1]}, "b": 1});
        let top = serde_json::json!({"a": {"y": [2], "z": true}});
        let mut prov = BTreeMap::new();
        merge_into(&mut base, &top, "", &mut prov, 7);
        assert_eq!(
            base,
            serde_json::json!({"a": {"x": 1, "y": [2], "z": true}, "b": 1})
        );
        assert_eq!(prov.get("a.y"), Some(&7));
        assert_eq!(prov.get("a.x"), None);
    }
}
