//! Stage 5a (render): the minijinja environment.
//!
//! Configured for code, not HTML: undefined values are errors, nothing is
//! auto-escaped, trailing newlines are kept, and block tags swallow their own
//! line. Templates are embedded in the binary; a folder of overrides replaces
//! them file by file. Filters cover case conversion, type mapping, string
//! literals and comments; `layout` holds the width-aware helpers that keep
//! generated Rust exactly as rustfmt would write it.

pub mod filters;
pub mod layout;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior, syntax::SyntaxConfig};

use crate::diag::{Diagnostic, Diagnostics, Location, did_you_mean, display_path};

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The id of every built-in template, as a constant (`tpl::RUST_SRC_MAIN_RS`).
pub mod tpl {
    include!(concat!(env!("OUT_DIR"), "/template_ids.rs"));
}

/// A template value from any serialisable model part.
pub fn value<T: serde::Serialize>(data: T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(data))
}

/// The context as template values, made one module and one event at a
/// time while the model is freed: a large model and its copy never both
/// take memory in full.
pub fn value_of(mut ctx: crate::model::Context) -> minijinja::Value {
    let modules = std::mem::take(&mut ctx.modules);
    let events = std::mem::take(&mut ctx.events);
    let rest = value(&ctx);
    drop(ctx);
    let mut map: BTreeMap<String, minijinja::Value> = BTreeMap::new();
    if let Ok(keys) = rest.try_iter() {
        for key in keys {
            if let (Some(name), Ok(item)) = (key.as_str(), rest.get_item(&key)) {
                map.insert(name.to_string(), item);
            }
        }
    }
    let modules = values_of(modules);
    let events = values_of(events);
    map.insert("modules".into(), minijinja::Value::from(modules));
    map.insert("events".into(), minijinja::Value::from(events));
    minijinja::Value::from(map)
}

/// `items` as template values, in order: two halves on two threads (the
/// rest of the run waits for this), each freeing its items as it goes.
fn values_of<T: serde::Serialize + Send>(mut items: Vec<T>) -> Vec<minijinja::Value> {
    let convert = |items: Vec<T>| items.into_iter().map(|item| value(&item)).collect();
    if items.len() < 64 {
        return convert(items);
    }
    let second = items.split_off(items.len() / 2);
    std::thread::scope(|scope| {
        let later = scope.spawn(|| convert(second));
        let mut all: Vec<minijinja::Value> = convert(items);
        all.extend(
            later
                .join()
                .expect("converting a model item does not panic"),
        );
        all
    })
}

/// Where each template comes from: built in, or a user's override file.
#[derive(Debug, Clone, Default)]
pub struct TemplateSet {
    overrides: BTreeMap<String, (PathBuf, Arc<str>)>,
}

include!(concat!(env!("OUT_DIR"), "/build_digest.rs"));

impl TemplateSet {
    pub fn builtin() -> Self {
        Self::default()
    }

    /// Identifies everything that turns a model into files: this build of
    /// parasol, its built-in templates and the overrides in use.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        static BUILTIN: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let builtin = BUILTIN.get_or_init(|| {
            let mut hasher = Sha256::new();
            hasher.update(BUILD_DIGEST);
            for (id, source) in BUILTIN_TEMPLATES {
                hasher.update(id.as_bytes());
                hasher.update([0]);
                hasher.update(source.as_bytes());
                hasher.update([0]);
            }
            hasher.finalize().to_vec()
        });
        let mut hasher = Sha256::new();
        hasher.update(builtin);
        for (id, (_, source)) in &self.overrides {
            hasher.update(id.as_bytes());
            hasher.update([0]);
            hasher.update(source.as_bytes());
            hasher.update([0]);
        }
        crate::hash::hex(&hasher.finalize())
    }

    /// Reads every file under `dir` as an override of the built-in template
    /// with the same relative path. Files that match no built-in template
    /// are reported (likely a typo), not used.
    pub fn with_overrides(dir: &Path, diags: &mut Diagnostics) -> Self {
        let mut set = Self::default();
        if !dir.is_dir() {
            diags.push(
                Diagnostic::error(
                    "template-override",
                    format!("template folder `{}` does not exist", display_path(dir)),
                )
                .at(Location::bare(display_path(dir), 1, 1)),
            );
            return set;
        }
        for entry in walkdir::WalkDir::new(dir)
            .sort_by_file_name()
            .into_iter()
            .filter_map(Result::ok)
        {
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(relative) = entry.path().strip_prefix(dir) else {
                continue;
            };
            let id = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if builtin_source(&id).is_none() {
                let help = did_you_mean(&id, BUILTIN_TEMPLATES.iter().map(|(id, _)| *id))
                    .unwrap_or_else(|| "`parasol templates list` shows the template names".into());
                diags.push(
                    Diagnostic::warning(
                        "template-override",
                        format!(
                            "template override `{id}` matches no built-in template and is ignored"
                        ),
                    )
                    .at(Location::bare(display_path(entry.path()), 1, 1))
                    .with_help(help),
                );
                continue;
            }
            match crate::source::read_source(entry.path()) {
                Ok(file) => {
                    set.overrides
                        .insert(id, (entry.path().to_path_buf(), file.text.clone()));
                }
                Err(d) => diags.push(d),
            }
        }
        set
    }

    pub fn source(&self, id: &str) -> Option<Arc<str>> {
        self.overrides
            .get(id)
            .map(|(_, s)| s.clone())
            .or_else(|| builtin_source(id).map(Arc::from))
    }

    /// Where a template's text comes from, as error messages show it.
    pub fn origin(&self, id: &str) -> String {
        match self.overrides.get(id) {
            Some((path, _)) => display_path(path),
            None => format!("templates/{id} (built in)"),
        }
    }

    /// Adds a template by id, for tests of the render machinery.
    #[cfg(test)]
    pub fn insert_for_test(&mut self, id: &str, source: &str) {
        self.overrides
            .insert(id.to_string(), (PathBuf::from(id), Arc::from(source)));
    }

    pub fn is_overridden(&self, id: &str) -> bool {
        self.overrides.contains_key(id)
    }
}

pub fn builtin_source(id: &str) -> Option<&'static str> {
    BUILTIN_TEMPLATES
        .binary_search_by(|(candidate, _)| (*candidate).cmp(id))
        .ok()
        .map(|i| BUILTIN_TEMPLATES[i].1)
}

pub fn builtin_ids() -> impl Iterator<Item = &'static str> {
    BUILTIN_TEMPLATES.iter().map(|(id, _)| *id)
}

/// Instructions one file's render may take. Templates are code a user may
/// override: a loop that never ends must end with an error at its line.
/// The largest built-in render (the tests of a 1,000-module context) takes
/// under a fiftieth of this, and a runaway loop stops in about 1.5 s;
/// `PARASOL_TEMPLATE_FUEL` raises it for larger specs.
pub const DEFAULT_FUEL: u64 = 50_000_000;

fn fuel() -> u64 {
    std::env::var("PARASOL_TEMPLATE_FUEL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_FUEL)
}

/// The environment every command renders with.
pub fn environment(templates: &TemplateSet) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_debug(true);
    env.set_fuel(Some(fuel()));
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("static syntax config is valid"),
    );
    let set = templates.clone();
    env.set_loader(move |name| Ok(set.source(name).map(|s| s.to_string())));
    filters::register(&mut env);
    layout::register(&mut env);
    env
}

/// A template failure as a diagnostic at the template's own file and line.
/// Failures of built-in templates are parasol bugs and say so.
pub fn template_error(templates: &TemplateSet, err: &minijinja::Error) -> Diagnostic {
    template_error_in(templates, err, "<unknown>")
}

/// `template_error` for a failure while rendering `rendering`, which is
/// named when the error itself does not say (a failed write).
pub fn template_error_in(
    templates: &TemplateSet,
    err: &minijinja::Error,
    rendering: &str,
) -> Diagnostic {
    let name = err.name().unwrap_or(rendering).to_string();
    let mut line = err.line().unwrap_or(1) as u32;
    let mut col = 1;
    // The byte range, when known, gives the column (and a more exact line).
    if let (Some(range), Some(source)) = (err.range(), templates.source(&name))
        && let Some(before) = source.get(..range.start)
    {
        line = before.matches('\n').count() as u32 + 1;
        col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    }
    let origin = templates.origin(&name);
    let detail = err
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| err.kind().to_string());
    let mut d = if templates.is_overridden(&name) {
        Diagnostic::error("template", format!("template `{name}` failed: {detail}"))
    } else {
        Diagnostic::error(
            "template-bug",
            format!("built-in template `{name}` failed: {detail}"),
        )
        .with_note("this is a bug in parasol; please report it with the spec that triggers it")
    };
    d = d.at(Location::bare(origin, line, col));
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        d = d.with_note(inner.to_string());
        source = inner.source();
    }
    let info = err.display_debug_info().to_string();
    let excerpt: Vec<&str> = info
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("No referenced variables"))
        .take(12)
        .collect();
    if !excerpt.is_empty() {
        d = d.with_note(format!("in the template:\n{}", excerpt.join("\n")));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::names;

    /// Every table the migrations create for the service itself is kept
    /// off aggregates.
    #[test]
    fn parasol_s_own_tables_are_listed() {
        let mut found = std::collections::BTreeSet::new();
        for id in builtin_ids().filter(|id| id.starts_with("rust/migrations/")) {
            for line in builtin_source(id).unwrap().lines() {
                if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                    let name: String = rest
                        .trim_start_matches("IF NOT EXISTS ")
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        found.insert(name);
                    }
                }
            }
        }
        assert!(found.len() >= 4, "the migration templates moved: {found:?}");
        let listed: std::collections::BTreeSet<String> = names::SERVICE_TABLES
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(found, listed);
    }

    /// What a module's files import by name that an operation's type
    /// (`<Op>Input`, `<Op>Output`, `<Op>Error`) could be is kept off them.
    #[test]
    fn the_names_module_files_import_are_kept_off_operation_types() {
        let mut templates = 0;
        let mut missing = Vec::new();
        let module_files = builtin_ids().filter(|id| {
            id.starts_with("rust/src/modules/module/") || id.starts_with("ts/src/modules/")
        });
        for id in module_files {
            templates += 1;
            let source = builtin_source(id).unwrap();
            let mut imported = names_taken(source);
            for line in source.lines().filter(|l| l.starts_with("import ")) {
                let words = line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
                imported.extend(words.map(str::to_string));
            }
            for name in imported {
                let op_type = ["Input", "Output", "Error"]
                    .iter()
                    .any(|suffix| name.len() > suffix.len() && name.ends_with(suffix));
                if op_type
                    && name.starts_with(|c: char| c.is_ascii_uppercase())
                    && !names::RESERVED_FOR_OPERATION_TYPES.contains(&name.as_str())
                {
                    missing.push(format!("{name} ({id})"));
                }
            }
        }
        assert!(templates >= 7, "the module templates moved");
        missing.sort();
        missing.dedup();
        assert!(
            missing.is_empty(),
            "not in RESERVED_FOR_OPERATION_TYPES: {}",
            missing.join(", ")
        );
    }

    /// Every camelCase value a file the TypeScript index re-exports whole
    /// declares is listed, so that a workflow function of that name is
    /// refused rather than failing `tsc`.
    #[test]
    fn the_values_the_ts_index_exports_are_listed() {
        let index = builtin_source(tpl::TS_SRC_INDEX_TS).unwrap();
        let mut files = 0;
        let mut missing = Vec::new();
        for line in index.lines() {
            let Some(file) = line
                .strip_prefix("export * from \"./")
                .and_then(|rest| rest.strip_suffix(".js\";"))
            else {
                continue;
            };
            if file.contains('{') {
                continue;
            }
            files += 1;
            let id = format!("ts/src/{file}.ts.j2");
            let source = builtin_source(&id).unwrap_or_else(|| panic!("{id} is not a template"));
            for line in source.lines() {
                let declared = [
                    "export function ",
                    "export async function ",
                    "export const ",
                    "export let ",
                    "export class ",
                ]
                .iter()
                .find_map(|prefix| line.strip_prefix(prefix));
                let Some(rest) = declared else { continue };
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '{')
                    .collect();
                if name.starts_with(|c: char| c.is_ascii_lowercase())
                    && !name.contains('{')
                    && !names::TS_PACKAGE_VALUES.contains(&name.as_str())
                {
                    missing.push(format!("{name} ({id})"));
                }
            }
        }
        assert!(files >= 8, "the index re-exports fewer files than it did");
        assert!(
            missing.is_empty(),
            "not in TS_PACKAGE_VALUES: {}",
            missing.join(", ")
        );
    }

    /// A Rust file that glob-imports the spec's declared types
    /// (`model::*`, `types::*`) and also imports or declares a type by
    /// name gets that one wherever the name is written: Rust lets the
    /// named import win over the glob without a word. So every such name
    /// must be reserved, and a declared type of that name prefixed.
    #[test]
    fn names_the_glob_importing_templates_take_are_reserved() {
        let mut missing = Vec::new();
        let mut templates = 0;
        for id in builtin_ids().filter(|id| id.starts_with("rust/")) {
            let source = builtin_source(id).unwrap();
            if !source.contains("model::*") && !source.contains("types::*") {
                continue;
            }
            templates += 1;
            for name in names_taken(source) {
                if !names::is_reserved_for_declared_types(&name) {
                    missing.push(format!("{name} ({id})"));
                }
            }
        }
        assert!(
            templates >= 6,
            "the templates that glob-import spec types moved"
        );
        assert!(missing.is_empty(), "not reserved: {}", missing.join(", "));
    }

    /// The PascalCase names a Rust template's `use` lines and item
    /// declarations take, leaving out those spelt with template
    /// expressions (a module's own `{{ M }}Service`).
    fn names_taken(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut take = |text: &str| {
            for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '}')) {
                if word.starts_with(|c: char| c.is_ascii_uppercase())
                    && !word.contains('}')
                    && !word.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                {
                    found.push(word.to_string());
                }
            }
        };
        let mut statement = String::new();
        for line in source.lines() {
            let trimmed = line.trim_start().trim_start_matches("pub ");
            if !statement.is_empty() || trimmed.starts_with("use ") {
                statement.push_str(trimmed);
                statement.push(' ');
                if trimmed.contains(';') {
                    take(&statement);
                    statement.clear();
                }
                continue;
            }
            for keyword in ["struct ", "enum ", "trait ", "type "] {
                if let Some(rest) = trimmed.strip_prefix(keyword) {
                    take(
                        rest.split(['<', '(', ' ', '{', ';'])
                            .next()
                            .unwrap_or_default(),
                    );
                }
            }
        }
        found
    }

    /// Templates name each other (`import`, `include`, `from`, `extends`):
    /// every name must be a built-in template.
    #[test]
    fn every_template_a_template_names_exists() {
        let pattern = ["import", "include", "from", "extends"];
        for (id, source) in BUILTIN_TEMPLATES {
            for tag in source.split("{%").skip(1) {
                let tag = tag.trim_start_matches(['-', '+']).trim_start();
                let Some(keyword) = pattern.iter().find(|k| tag.starts_with(*k)) else {
                    continue;
                };
                let rest = tag[keyword.len()..].trim_start();
                let Some(quoted) = rest.strip_prefix('"') else {
                    continue;
                };
                let name = &quoted[..quoted.find('"').expect("closing quote")];
                assert!(
                    builtin_source(name).is_some(),
                    "{id} names template `{name}`, which does not exist"
                );
            }
        }
    }

    #[test]
    fn template_id_constants_name_built_in_templates() {
        for id in [
            tpl::RUST_SRC_MAIN_RS,
            tpl::COMMON_README_MD,
            tpl::TS_SRC_HTTP_TS,
        ] {
            assert!(builtin_source(id).is_some(), "{id}");
        }
    }
}
