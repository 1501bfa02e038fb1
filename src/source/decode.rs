//! Helpers that read spanned YAML nodes into raw structs while collecting
//! diagnostics: a wrong value type or an unknown key is reported at its node
//! and decoding goes on, so one run shows every problem in a file.

use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, Location, Pos, SourceFile, did_you_mean};
use crate::source::yaml::{Entry, Node, Value};

/// A value read from YAML together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Spanned<T> {
    pub value: T,
    pub pos: Pos,
}

impl<T> Spanned<T> {
    pub fn new(value: T, pos: Pos) -> Self {
        Spanned { value, pos }
    }
}

impl Spanned<String> {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// Reads nodes of one file, reporting problems into `diags`.
pub struct Decoder<'a> {
    pub file: Arc<SourceFile>,
    pub diags: &'a mut Diagnostics,
}

/// The entries of a map node, checked against the keys its place allows.
pub struct Fields<'n> {
    entries: &'n [Entry],
}

impl<'n> Fields<'n> {
    pub fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|e| e.key == key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&'n Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

impl Decoder<'_> {
    pub fn loc(&self, pos: Pos) -> Location {
        Location::in_file(&self.file, pos)
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    pub fn error(&mut self, pos: Pos, code: &'static str, message: impl Into<String>) {
        let d = Diagnostic::error(code, message).at(self.loc(pos));
        self.diags.push(d);
    }

    fn wrong_type(&mut self, node: &Node, expected: &str, what: &str) {
        let message = format!("{what} must be {expected}, found {}", node.kind_name());
        self.error(node.pos, "wrong-type", message);
    }

    /// The map entries of `node`, or an error naming `what` was expected.
    /// A null node (an empty section) reads as an empty map.
    pub fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Entry]> {
        match &node.value {
            Value::Map(entries) => Some(entries),
            Value::Null => Some(&[]),
            _ => {
                self.wrong_type(node, "a map", what);
                None
            }
        }
    }

    /// A map whose keys must come from `known`; unknown keys are reported with
    /// the closest known one.
    pub fn fields<'n>(&mut self, node: &'n Node, what: &str, known: &[&str]) -> Option<Fields<'n>> {
        let entries = self.map(node, what)?;
        for entry in entries {
            if !known.contains(&entry.key.as_str()) {
                let help = did_you_mean(&entry.key, known.iter().copied())
                    .or_else(|| Some(format!("known keys: {}", known.join(", "))));
                let d = Diagnostic::error(
                    "unknown-key",
                    format!("unknown key `{}` in {what}", entry.key),
                )
                .at(self.loc(entry.key_pos))
                .with_help_opt(help);
                self.report(d);
            }
        }
        Some(Fields { entries })
    }

    /// A required key: reports its absence at the map itself.
    pub fn require<'n>(
        &mut self,
        fields: &Fields<'n>,
        map_pos: Pos,
        key: &str,
        what: &str,
    ) -> Option<&'n Node> {
        let found = fields.get(key);
        if found.is_none() {
            self.error(map_pos, "missing-key", format!("{what} needs `{key}`"));
        }
        found
    }

    pub fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        match &node.value {
            Value::Scalar(s) => Some(Spanned::new(s.text.clone(), node.pos)),
            _ => {
                self.wrong_type(node, "a string", what);
                None
            }
        }
    }

    pub fn opt_string(&mut self, node: Option<&Node>, what: &str) -> Option<Spanned<String>> {
        let node = node?;
        if node.is_null() {
            return None;
        }
        self.string(node, what)
    }

    pub fn int(&mut self, node: &Node, what: &str) -> Option<Spanned<i64>> {
        match node.as_scalar() {
            Some(s) if s.plain => match s.as_int() {
                Some(i) => Some(Spanned::new(i, node.pos)),
                None => {
                    self.wrong_type(node, "a whole number", what);
                    None
                }
            },
            _ => {
                self.wrong_type(node, "a whole number", what);
                None
            }
        }
    }

    pub fn bool(&mut self, node: &Node, what: &str) -> Option<Spanned<bool>> {
        match node
            .as_scalar()
            .filter(|s| s.plain)
            .and_then(|s| s.as_bool())
        {
            Some(b) => Some(Spanned::new(b, node.pos)),
            None => {
                self.wrong_type(node, "`true` or `false`", what);
                None
            }
        }
    }

    /// A list of strings. A single string is accepted where a list of one
    /// would do (`emits: order.placed`), as users write it that way.
    pub fn string_list(&mut self, node: Option<&Node>, what: &str) -> Vec<Spanned<String>> {
        let Some(node) = node else { return Vec::new() };
        match &node.value {
            Value::Null => Vec::new(),
            Value::Scalar(s) => vec![Spanned::new(s.text.clone(), node.pos)],
            Value::Seq(items) => {
                let mut names: Vec<Spanned<String>> = Vec::with_capacity(items.len());
                for item in items {
                    let Some(name) = self.string(item, &format!("each entry of {what}")) else {
                        continue;
                    };
                    // A name listed twice means the same as once; it is said,
                    // and the second is dropped (it would be generated twice).
                    if names.iter().any(|n| n.value == name.value) {
                        let warning = Diagnostic::warning(
                            "listed-twice",
                            format!(
                                "`{}` is listed twice in {what}; the second is ignored",
                                name.value
                            ),
                        )
                        .at(self.loc(name.pos));
                        self.report(warning);
                        continue;
                    }
                    names.push(name);
                }
                names
            }
            Value::Map(_) => {
                self.wrong_type(node, "a list of names", what);
                Vec::new()
            }
        }
    }

    /// Items of a list node (null reads as empty).
    pub fn seq<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            Value::Null => Some(&[]),
            _ => {
                self.wrong_type(node, "a list", what);
                None
            }
        }
    }
}
