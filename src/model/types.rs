//! Field types: parsing the spec's type syntax (`list<OrderLine>`,
//! `map<int>`, `string?`) into resolved, language-neutral types.

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

/// A resolved type: its shape only. How a target language spells it is the
/// target's business (`targets::rust::type_name`, `targets::ts::type_name`);
/// templates see those spellings beside the shape (`targets::view`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ty {
    /// `string`, `int`, `float`, `bool`, `decimal`, `uuid`, `datetime`,
    /// `value_object`, `aggregate` (a reference by id), `enum`, `list`, `map`.
    pub kind: &'static str,
    /// For value objects, enums and aggregate references: the type's name
    /// (PascalCase, as every target names types).
    pub name: Option<String>,
    /// For lists and maps: the element type.
    pub item: Option<Box<Ty>>,
    pub optional: bool,
    /// Canonical spec spelling (`list<OrderLine>?`).
    pub spec: String,
    /// For enums: the wire values, in spec order.
    pub variants: Option<Vec<String>>,
}

impl Ty {
    fn of_kind(kind: &'static str, spec: String) -> Ty {
        Ty {
            kind,
            name: None,
            item: None,
            optional: false,
            spec,
            variants: None,
        }
    }

    pub fn primitive(name: &str) -> Ty {
        let kind = match name {
            "string" => "string",
            "int" => "int",
            "float" => "float",
            "bool" => "bool",
            "decimal" => "decimal",
            "uuid" => "uuid",
            "datetime" => "datetime",
            other => unreachable!("not a primitive: {other}"),
        };
        Ty::of_kind(kind, name.to_string())
    }

    pub fn value_object(type_name: &str, spec_name: &str) -> Ty {
        Ty {
            name: Some(type_name.to_string()),
            ..Ty::of_kind("value_object", spec_name.to_string())
        }
    }

    pub fn aggregate_ref(type_name: &str, spec_name: &str) -> Ty {
        Ty {
            name: Some(type_name.to_string()),
            ..Ty::of_kind("aggregate", spec_name.to_string())
        }
    }

    pub fn enumeration(type_name: &str, variants: &[String]) -> Ty {
        Ty {
            name: Some(type_name.to_string()),
            variants: Some(variants.to_vec()),
            ..Ty::of_kind("enum", format!("{{ enum: [{}] }}", variants.join(", ")))
        }
    }

    pub fn list(item: Ty) -> Ty {
        Ty {
            item: Some(Box::new(item.clone())),
            ..Ty::of_kind("list", format!("list<{}>", item.spec))
        }
    }

    pub fn map(value: Ty) -> Ty {
        Ty {
            item: Some(Box::new(value.clone())),
            ..Ty::of_kind("map", format!("map<{}>", value.spec))
        }
    }

    pub fn optional(mut self) -> Ty {
        if !self.optional {
            self.optional = true;
            self.spec.push('?');
        }
        self
    }

    /// The same type without `?`.
    pub fn required(&self) -> Ty {
        let mut t = self.clone();
        if t.optional {
            t.optional = false;
            t.spec.pop();
        }
        t
    }

    /// Whether the value is a plain string on the wire (strings, ids,
    /// uuids, decimals, timestamps).
    pub fn stringly(&self) -> bool {
        matches!(
            self.kind,
            "string" | "decimal" | "uuid" | "datetime" | "aggregate"
        )
    }

    /// Whether a value is a small fixed-size value with nothing it owns
    /// (numbers, flags, decimals, uuids, timestamps, enum values): copied
    /// rather than cloned (Rust's `Copy`).
    pub fn plain_value(&self) -> bool {
        matches!(
            self.kind,
            "int" | "float" | "bool" | "decimal" | "uuid" | "datetime" | "enum"
        )
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

    /// Whether values of the two types are represented alike in every
    /// target: the same shape, where a reference to an aggregate is its id
    /// (a string). Two inline enums are different types even with the same
    /// values.
    pub fn same_shape(&self, target: &Ty) -> bool {
        let kind = |t: &Ty| {
            if t.kind == "aggregate" {
                "string"
            } else {
                t.kind
            }
        };
        let named = |t: &Ty| matches!(t.kind, "value_object" | "enum");
        self.optional == target.optional
            && kind(self) == kind(target)
            && (!named(self) || self.name == target.name)
            && match (&self.item, &target.item) {
                (Some(a), Some(b)) => a.same_shape(b),
                (None, None) => true,
                _ => false,
            }
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
    fn shapes_compare_as_every_target_represents_them() {
        let id = Ty::aggregate_ref("Order", "Order");
        assert!(id.same_shape(&Ty::primitive("string")));
        assert!(!id.same_shape(&Ty::primitive("string").optional()));
        let a = Ty::enumeration("Status", &["a".into()]);
        let b = Ty::enumeration("Phase", &["a".into()]);
        assert!(!a.same_shape(&b));
        assert!(Ty::list(Ty::primitive("int")).same_shape(&Ty::list(Ty::primitive("int"))));
        assert!(!Ty::list(Ty::primitive("int")).same_shape(&Ty::map(Ty::primitive("int"))));
        assert_eq!(
            Ty::list(Ty::primitive("int")).optional().required().spec,
            "list<int>"
        );
    }
}
