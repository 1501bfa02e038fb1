//! Template filters: case conversion, type mapping, string literals and
//! comments. Literals and comments are built here, never in templates, so a
//! description with `*/`, a quote or a newline cannot break generated code.

use heck::{ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};

use crate::model::names::{pluralize, rust_ident, ts_ident};
use crate::model::types::{self, Ty};

pub fn register(env: &mut Environment<'static>) {
    env.add_filter("snake_case", |s: String| s.to_snake_case());
    env.add_filter("pascal_case", |s: String| s.to_upper_camel_case());
    env.add_filter("camel_case", |s: String| s.to_lower_camel_case());
    env.add_filter("kebab_case", |s: String| s.to_kebab_case());
    env.add_filter("screaming_snake_case", |s: String| s.to_shouty_snake_case());
    env.add_filter("plural", |s: String| pluralize(&s));
    env.add_filter("rust_ident", |s: String| rust_ident(&s.to_snake_case()));
    env.add_filter("ts_ident", |s: String| ts_ident(&s.to_lower_camel_case()));
    env.add_filter("rust_type", |v: Value| type_of(&v, "rust"));
    env.add_filter("ts_type", |v: Value| type_of(&v, "ts"));
    env.add_filter("rust_str", |s: String| rust_string(&s));
    env.add_filter("ts_str", |s: String| {
        serde_json::Value::String(s).to_string()
    });
    env.add_filter("json", |v: Value| {
        serde_json::to_string(&v)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
    });
    env.add_filter("doc", doc_comment);
    env.add_filter("vsort", |items: Vec<String>| {
        let mut items = items;
        items.sort_by(|a, b| version_cmp(a, b));
        items.dedup();
        items
    });
    env.add_filter("one_line", |s: String| one_line(&s));
    env.add_filter("fn_name", |s: String| bounded_fn_name(&s));
    // The generated library's path from another crate (its binaries and
    // tests): `::name` when the file brings a module of that name into
    // scope (`use name::telemetry::{self, ..}` in a crate named
    // `telemetry`), where plain `name` would mean the module.
    env.add_filter("extern_path", |name: String, in_scope: Vec<String>| {
        if in_scope.contains(&name) {
            format!("::{name}")
        } else {
            name
        }
    });
    // A module's name (its template view) -> how `App` and `Ctx` reach it.
    env.add_filter("accessor", |name: Value| -> Result<String, Error> {
        let form = |attr: &str| {
            name.get_attr(attr)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        "`accessor` takes a module's name",
                    )
                })
        };
        Ok(crate::model::names::module_accessor(
            &form("snake")?,
            &form("rust")?,
        ))
    });
}

/// Maps a model type (a map with `rust`/`ts`) or a primitive's spec name.
fn type_of(value: &Value, lang: &str) -> Result<String, Error> {
    if let Ok(mapped) = value.get_attr(lang)
        && let Some(s) = mapped.as_str()
    {
        return Ok(s.to_string());
    }
    if let Some(spec) = value.as_str() {
        if let Ok(expr) = types::parse(spec)
            && let Some(ty) = primitive_type(&expr)
        {
            // Spelled as the model's types are: through their template view.
            return crate::render::value(&ty)
                .get_attr(lang)
                .map(|spelled| spelled.to_string());
        }
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("`{spec}` is not a primitive type; pass the model's type object instead"),
        ));
    }
    Err(Error::new(ErrorKind::InvalidOperation, "expected a type"))
}

fn primitive_type(expr: &types::TypeExpr) -> Option<Ty> {
    use types::TypeExpr::*;
    match expr {
        Named { name, .. } if types::PRIMITIVES.contains(&name.as_str()) => {
            Some(Ty::primitive(name))
        }
        Named { .. } => None,
        List(inner) => primitive_type(inner).map(Ty::list),
        Map(inner) => primitive_type(inner).map(Ty::map),
        Optional(inner) => primitive_type(inner).map(Ty::optional),
    }
}

/// rustfmt's import order (style edition 2024): byte order, except that
/// digit runs compare as numbers and a raw identifier sorts as its name.
pub fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, String)> {
        let s = s.replace("r#", "");
        let mut out: Vec<(bool, String)> = Vec::new();
        for c in s.chars() {
            let digit = c.is_ascii_digit();
            match out.last_mut() {
                Some((d, text)) if *d == digit => text.push(c),
                _ => out.push((digit, c.to_string())),
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for ((da, ta), (db, tb)) in ca.iter().zip(&cb) {
        let ord = if *da && *db {
            let (na, nb) = (ta.trim_start_matches('0'), tb.trim_start_matches('0'));
            na.len()
                .cmp(&nb.len())
                .then_with(|| na.cmp(nb))
                .then_with(|| ta.len().cmp(&tb.len()))
        } else {
            ta.cmp(tb)
        };
        if ord != std::cmp::Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len())
}

pub use crate::spell::rust_string;

/// Text on one line with control characters removed, safe inside a line comment.
pub fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("*/", "* /")
}

/// `{{ text | doc("/// ") }}`: every line of `text` prefixed, trailing
/// whitespace removed, and `*/` defused so block comments stay closed.
fn doc_comment(text: String, prefix: String) -> String {
    let cleaned: Vec<String> = text
        .replace("\r\n", "\n")
        .split('\n')
        .map(|line| {
            line.chars()
                .filter(|c| !c.is_control() || *c == '\t')
                .collect::<String>()
                .replace("*/", "* /")
                .trim_end()
                .to_string()
        })
        .collect();
    let trimmed_end = cleaned
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(0, |i| i + 1);
    cleaned[..trimmed_end]
        .iter()
        .map(|line| {
            if line.is_empty() {
                prefix.trim_end().to_string()
            } else {
                format!("{prefix}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The longest name a composed function (a test named after a view, an
/// event and a field) gets: `async fn name() {` then fits on its line.
const FN_NAME_MAX: usize = 80;

/// `name`, or when longer than `FN_NAME_MAX` its start and a hash of the
/// whole, so that names built from long spec names stay distinct and fit.
pub fn bounded_fn_name(name: &str) -> String {
    crate::hash::shortened(name, FN_NAME_MAX, '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_everything() {
        assert_eq!(rust_string("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(rust_string("\u{0}"), r#""\u{0}""#);
    }

    #[test]
    fn version_order_matches_rustfmt() {
        let mut names = vec![
            "Zeta", "alpha", "Beta", "Item10", "Item2", "Abc", "ABc", "r#type", "ordering", "zeta",
        ];
        names.sort_by(|a, b| version_cmp(a, b));
        assert_eq!(
            names,
            [
                "ABc", "Abc", "Beta", "Item2", "Item10", "Zeta", "alpha", "ordering", "r#type",
                "zeta"
            ]
        );
    }

    #[test]
    fn doc_comments_stay_comments() {
        assert_eq!(
            doc_comment("one\ntwo */ three\n\n".into(), "/// ".into()),
            "/// one\n/// two * / three"
        );
        assert_eq!(doc_comment("a\n\nb".into(), "// ".into()), "// a\n//\n// b");
    }
}
