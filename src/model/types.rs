//! Field types: parsing the spec's type syntax (`list<OrderLine>`,
//! `map<int>`, `string?`) and mapping a resolved type to Rust and TypeScript.

use serde::Serialize;

pub const PRIMITIVES: &[&str] = &[
    "string", "int", "float", "bool", "decimal", "uuid", "datetime",
];

/// A parsed but unresolved type expression.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeExpr {
    Named { name: String, offset: u32 },
    List(Box<TypeExpr>),
    Map(Box<TypeExpr>),
    Optional(Box<TypeExpr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeSyntaxError {
    pub offset: u32,
    pub len: u32,
    pub message: String,
}

/// Parses `text` (the whole scalar). Offsets are character offsets into it.
pub fn parse(text: &str) -> Result<TypeExpr, TypeSyntaxError> {
    let chars: Vec<char> = text.chars().collect();
    let mut parser = TypeParser {
        chars: &chars,
        at: 0,
    };
    parser.skip_ws();
    let expr = parser.expr(0)?;
    parser.skip_ws();
    if parser.at < chars.len() {
        return Err(parser.error(
            format!(
                "unexpected `{}` in type `{text}`",
                chars[parser.at..].iter().collect::<String>()
            ),
            (chars.len() - parser.at) as u32,
        ));
    }
    Ok(expr)
}

struct TypeParser<'c> {
    chars: &'c [char],
    at: usize,
}

impl TypeParser<'_> {
    fn error(&self, message: String, len: u32) -> TypeSyntaxError {
        TypeSyntaxError {
            offset: self.at as u32,
            len: len.max(1),
            message,
        }
    }

    fn skip_ws(&mut self) {
        while self.at < self.chars.len() && self.chars[self.at].is_whitespace() {
            self.at += 1;
        }
    }

    fn expr(&mut self, depth: usize) -> Result<TypeExpr, TypeSyntaxError> {
        if depth > 16 {
            return Err(self.error("type nests too deeply".into(), 1));
        }
        let start = self.at;
        while self.at < self.chars.len()
            && (self.chars[self.at].is_alphanumeric() || self.chars[self.at] == '_')
        {
            self.at += 1;
        }
        let word: String = self.chars[start..self.at].iter().collect();
        if word.is_empty() {
            let found = self
                .chars
                .get(self.at)
                .map_or("the end".to_string(), |c| format!("`{c}`"));
            return Err(self.error(format!("expected a type name, found {found}"), 1));
        }
        self.skip_ws();
        let mut expr = if self.chars.get(self.at) == Some(&'<') {
            if word != "list" && word != "map" {
                return Err(TypeSyntaxError {
                    offset: start as u32,
                    len: word.chars().count() as u32,
                    message: format!(
                        "`{word}<...>` is not a type; generic types are `list<T>` and `map<T>`"
                    ),
                });
            }
            self.at += 1;
            self.skip_ws();
            if self.chars.get(self.at) == Some(&'>') {
                return Err(self.error(format!("`{word}<>` needs an element type"), 1));
            }
            let inner = self.expr(depth + 1)?;
            self.skip_ws();
            match self.chars.get(self.at) {
                Some('>') => self.at += 1,
                Some(',') => {
                    return Err(self.error(
                        "`map<T>` takes one type (keys are always strings); no commas in types"
                            .into(),
                        1,
                    ));
                }
                _ => {
                    return Err(self.error(
                        format!("missing `>` to close `{word}<` (inside `{{ }}` a comma ends the field: `map<T>` takes one type, keys are strings)"),
                        1,
                    ));
                }
            }
            if word == "list" {
                TypeExpr::List(Box::new(inner))
            } else {
                TypeExpr::Map(Box::new(inner))
            }
        } else {
            TypeExpr::Named {
                name: word,
                offset: start as u32,
            }
        };
        self.skip_ws();
        if self.chars.get(self.at) == Some(&'?') {
            self.at += 1;
            if matches!(expr, TypeExpr::Optional(_)) {
                return Err(self.error("`??`: a type is optional once".into(), 1));
            }
            expr = TypeExpr::Optional(Box::new(expr));
            self.skip_ws();
            if self.chars.get(self.at) == Some(&'?') {
                return Err(self.error("`??`: a type is optional once".into(), 1));
            }
        }
        Ok(expr)
    }
}

/// A resolved type as templates see it: its shape plus ready-made Rust and
/// TypeScript spellings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ty {
    /// `string`, `int`, `float`, `bool`, `decimal`, `uuid`, `datetime`,
    /// `value_object`, `aggregate` (a reference by id), `enum`, `list`, `map`.
    pub kind: &'static str,
    /// For value objects, enums and aggregate references: the type's name.
    pub name: Option<String>,
    /// For lists and maps: the element type.
    pub item: Option<Box<Ty>>,
    pub optional: bool,
    /// Canonical spec spelling (`list<OrderLine>?`).
    pub spec: String,
    /// Rust type, `Option<...>` included when optional.
    pub rust: String,
    /// TypeScript type without the optional marker (fields carry `?:`).
    pub ts: String,
    /// Whether the Rust type is `Copy` (no `.clone()` needed).
    pub copy: bool,
    /// Whether the type is a plain string on the wire (strings, ids, uuids, ...).
    pub stringly: bool,
    /// For enums: the wire values, in spec order.
    pub variants: Option<Vec<String>>,
}

impl Ty {
    pub fn primitive(name: &str) -> Ty {
        let (rust, ts, copy, stringly) = match name {
            "string" => ("String", "string", false, true),
            "int" => ("i64", "number", true, false),
            "float" => ("f64", "number", true, false),
            "bool" => ("bool", "boolean", true, false),
            "decimal" => ("rust_decimal::Decimal", "string", true, true),
            "uuid" => ("uuid::Uuid", "string", true, true),
            "datetime" => ("chrono::DateTime<chrono::Utc>", "string", true, true),
            other => unreachable!("not a primitive: {other}"),
        };
        Ty {
            kind: match name {
                "string" => "string",
                "int" => "int",
                "float" => "float",
                "bool" => "bool",
                "decimal" => "decimal",
                "uuid" => "uuid",
                _ => "datetime",
            },
            name: None,
            item: None,
            optional: false,
            spec: name.to_string(),
            rust: rust.into(),
            ts: ts.into(),
            copy,
            stringly,
            variants: None,
        }
    }

    pub fn value_object(rust_type: &str, spec_name: &str) -> Ty {
        Ty {
            kind: "value_object",
            name: Some(rust_type.to_string()),
            item: None,
            optional: false,
            spec: spec_name.to_string(),
            rust: rust_type.to_string(),
            ts: rust_type.to_string(),
            copy: false,
            stringly: false,
            variants: None,
        }
    }

    pub fn aggregate_ref(rust_type: &str, spec_name: &str) -> Ty {
        Ty {
            kind: "aggregate",
            name: Some(rust_type.to_string()),
            item: None,
            optional: false,
            spec: spec_name.to_string(),
            rust: "String".into(),
            ts: "string".into(),
            copy: false,
            stringly: true,
            variants: None,
        }
    }

    pub fn enumeration(rust_type: &str, variants: &[String]) -> Ty {
        Ty {
            kind: "enum",
            name: Some(rust_type.to_string()),
            item: None,
            optional: false,
            spec: format!("{{ enum: [{}] }}", variants.join(", ")),
            rust: rust_type.to_string(),
            ts: rust_type.to_string(),
            copy: true,
            stringly: false,
            variants: Some(variants.to_vec()),
        }
    }

    pub fn list(item: Ty) -> Ty {
        Ty {
            kind: "list",
            spec: format!("list<{}>", item.spec),
            rust: format!("Vec<{}>", item.rust),
            ts: if item.optional || item.ts.contains(' ') {
                format!("Array<{}>", ts_optional(&item.ts, item.optional))
            } else {
                format!("{}[]", item.ts)
            },
            name: None,
            item: Some(Box::new(item)),
            optional: false,
            copy: false,
            stringly: false,
            variants: None,
        }
    }

    pub fn map(value: Ty) -> Ty {
        Ty {
            kind: "map",
            spec: format!("map<{}>", value.spec),
            rust: format!("std::collections::BTreeMap<String, {}>", value.rust),
            ts: format!("Record<string, {}>", ts_optional(&value.ts, value.optional)),
            name: None,
            item: Some(Box::new(value)),
            optional: false,
            copy: false,
            stringly: false,
            variants: None,
        }
    }

    pub fn optional(mut self) -> Ty {
        if !self.optional {
            self.optional = true;
            self.spec.push('?');
            self.rust = format!("Option<{}>", self.rust);
        }
        self
    }

    /// The same type without `?`.
    pub fn required(&self) -> Ty {
        let mut t = self.clone();
        if t.optional {
            t.optional = false;
            t.spec.pop();
            t.rust = t.rust["Option<".len()..t.rust.len() - 1].to_string();
        }
        t
    }

    /// Every type name this type mentions (value objects, enums), for imports.
    pub fn named_types(&self, out: &mut Vec<String>) {
        match self.kind {
            "value_object" | "enum" => out.extend(self.name.clone()),
            _ => {}
        }
        if let Some(item) = &self.item {
            item.named_types(out);
        }
    }

    pub fn any(&self, pred: &dyn Fn(&Ty) -> bool) -> bool {
        pred(self) || self.item.as_ref().is_some_and(|i| i.any(pred))
    }

    /// Whether a value of `self` can be used where `target` is expected without conversion.
    pub fn same_shape(&self, target: &Ty) -> bool {
        self.rust == target.rust && self.ts == target.ts
    }
}

fn ts_optional(ts: &str, optional: bool) -> String {
    if optional {
        format!("{ts} | null")
    } else {
        ts.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_and_optional() {
        assert_eq!(
            parse("list<map<int>>?").unwrap(),
            TypeExpr::Optional(Box::new(TypeExpr::List(Box::new(TypeExpr::Map(Box::new(
                TypeExpr::Named {
                    name: "int".into(),
                    offset: 9
                }
            ))))))
        );
    }

    #[test]
    fn rejects_bad_syntax_with_offsets() {
        let e = parse("map<string, int>").unwrap_err();
        assert_eq!(e.offset, 10);
        assert!(parse("list<>").is_err());
        assert!(
            parse("list<int")
                .unwrap_err()
                .message
                .contains("missing `>`")
        );
        assert!(
            parse("set<int>")
                .unwrap_err()
                .message
                .contains("generic types")
        );
        assert!(parse("int??").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn maps_to_rust_and_ts() {
        let t = Ty::list(Ty::primitive("int")).optional();
        assert_eq!(
            (t.rust.as_str(), t.ts.as_str()),
            ("Option<Vec<i64>>", "number[]")
        );
        let m = Ty::map(Ty::primitive("string").optional());
        assert_eq!(m.ts, "Record<string, string | null>");
        assert_eq!(t.required().rust, "Vec<i64>");
    }
}
