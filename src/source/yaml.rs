//! Stage 1a (load): YAML text -> a spanned node tree.
//!
//! Built from `saphyr-parser`'s event stream rather than deserialised with
//! serde, so every node keeps its line and column: semantic errors found much
//! later (an unknown type, an unbound step input) still point at the node.
//! The builder enforces the documented input limits (size, nesting depth,
//! nodes after alias expansion) so hostile input cannot exhaust memory.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::diag::{Diagnostic, Location, Pos, SourceFile};

/// Input limits. Documented in `docs/limits.md`; raised only deliberately.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest input file accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of maps and lists.
    pub max_depth: usize,
    /// Most nodes in one document, counting every alias expansion.
    pub max_nodes: usize,
}

pub const LIMITS: Limits = Limits {
    max_bytes: 32 * 1024 * 1024,
    max_depth: 64,
    max_nodes: 2_000_000,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    /// Plain (unquoted) scalars are subject to YAML 1.2 core-schema typing:
    /// `true`, `12`, `null`. Quoted ones are always strings.
    pub plain: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_pos: Pos,
    pub value: Node,
}

impl Node {
    /// What the node is, as error messages name it.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing (null)",
            Value::Scalar(s) if s.plain && s.as_int().is_some() => "a number",
            Value::Scalar(s) if s.plain && s.as_bool().is_some() => "a boolean",
            Value::Scalar(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Plain YAML data for policy config and templates (core-schema typed).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Scalar(s) if !s.plain => J::String(s.text.clone()),
            Value::Scalar(s) => {
                if let Some(b) = s.as_bool() {
                    J::Bool(b)
                } else if let Some(i) = s.as_int() {
                    J::from(i)
                } else if let Some(f) = s.as_float().and_then(serde_json::Number::from_f64) {
                    J::Number(f)
                } else {
                    J::String(s.text.clone())
                }
            }
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

impl Scalar {
    pub fn as_bool(&self) -> Option<bool> {
        match self.text.as_str() {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        let t = self.text.as_str();
        if let Some(hex) = t.strip_prefix("0x") {
            return i64::from_str_radix(hex, 16).ok();
        }
        if let Some(oct) = t.strip_prefix("0o") {
            return i64::from_str_radix(oct, 8).ok();
        }
        let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    }

    pub fn as_float(&self) -> Option<f64> {
        let t = self.text.as_str();
        let looks_numeric = t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
            && t.bytes().any(|b| b.is_ascii_digit());
        if looks_numeric { t.parse().ok() } else { None }
    }
}

fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// The position just after the last non-blank character (1:1 for blank text).
fn end_of_content(text: &str) -> Pos {
    let content = text.trim_end();
    let line = content.split('\n').count();
    let last = content.rsplit('\n').next().unwrap_or("");
    let col = last.chars().count() + 1;
    Pos::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
        1,
    )
}

/// Converts a saphyr span to our 1-based position.
fn pos_of(span: &Span) -> Pos {
    let start = span.start;
    let len = if span.end.line() == start.line() {
        span.end.col().saturating_sub(start.col())
    } else {
        1
    };
    Pos::new(
        u32::try_from(start.line()).unwrap_or(u32::MAX),
        u32::try_from(start.col() + 1).unwrap_or(u32::MAX),
        u32::try_from(len).unwrap_or(1),
    )
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        /// Keys seen, for the duplicate check (large maps: modules, events).
        keys: HashSet<String>,
        pending_key: Option<(String, Pos)>,
    },
}

struct Builder<'f> {
    file: &'f SourceFile,
    /// Just after the last content: empty nodes the parser places past it
    /// (a key left empty before a comment at the end, `? #`) are put here,
    /// so every position is within the file.
    end: Pos,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    /// Whether an anchor or alias was seen (a document in pieces then
    /// parses whole: an alias may name an anchor in another piece).
    linked: bool,
    nodes: usize,
    /// The deepest nesting reached.
    deepest: usize,
    root: Option<Node>,
    errors: Vec<Diagnostic>,
}

impl Builder<'_> {
    fn fail(&self, pos: Pos, code: &'static str, message: String) -> Diagnostic {
        Diagnostic::error(code, message).at(Location::in_file(self.file, pos))
    }

    fn count(&mut self, n: usize, pos: Pos) -> Result<(), Diagnostic> {
        self.nodes += n;
        if self.nodes > self.limits.max_nodes {
            return Err(self.fail(
                pos,
                "input-too-large",
                format!(
                    "document expands to more than {} nodes (alias expansion included); \
                     parasol stops here to protect against alias bombs",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, pos: Pos) -> Result<(), Diagnostic> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.fail(
                pos,
                "input-too-deep",
                format!(
                    "YAML nested deeper than {} levels; parasol specs never need this much",
                    self.limits.max_depth
                ),
            ));
        }
        self.count(1, pos)?;
        self.stack.push(frame);
        self.deepest = self.deepest.max(self.stack.len());
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.linked = true;
            self.anchors
                .insert(anchor, (node.clone(), subtree_size(node)));
        }
    }

    fn attach(&mut self, node: Node) -> Result<(), Diagnostic> {
        let Some(top) = self.stack.last_mut() else {
            if self.root.is_some() {
                return Err(self.fail(
                    node.pos,
                    "yaml-syntax",
                    "more than one YAML document in this file; parasol reads exactly one".into(),
                ));
            }
            self.root = Some(node);
            return Ok(());
        };
        match top {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                keys,
                pending_key,
                ..
            } => match pending_key.take() {
                Some((key, key_pos)) => {
                    let first = if keys.insert(key.clone()) {
                        None
                    } else {
                        entries.iter().find(|e| e.key == key)
                    };
                    if let Some(first) = first {
                        let first_line = first.key_pos.line;
                        self.errors.push(
                            self.fail(key_pos, "duplicate-key", format!("duplicate key `{key}`"))
                                .with_note(format!("first defined on line {first_line}")),
                        );
                    } else {
                        entries.push(Entry {
                            key,
                            key_pos,
                            value: node,
                        });
                    }
                }
                None => {
                    let key = match node.value {
                        Value::Scalar(s) => s.text,
                        Value::Null => String::new(),
                        _ => {
                            return Err(self.fail(
                                node.pos,
                                "yaml-syntax",
                                "map keys must be plain names, not lists or maps".into(),
                            ));
                        }
                    };
                    *pending_key = Some((key, node.pos));
                }
            },
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Diagnostic> {
        let mut pos = pos_of(&span);
        if (pos.line, pos.col) > (self.end.line, self.end.col) {
            pos = self.end;
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, pos)?;
                let plain = style == ScalarStyle::Plain && tag.is_none();
                let value = if plain && is_null_text(&text) {
                    Value::Null
                } else {
                    Value::Scalar(Scalar {
                        text: text.into_owned(),
                        plain,
                    })
                };
                let node = Node { pos, value };
                self.remember(anchor, &node);
                self.attach(node)
            }
            Event::SequenceStart(anchor, _) => self.open(
                Frame::Seq {
                    pos,
                    anchor,
                    items: Vec::new(),
                },
                pos,
            ),
            Event::MappingStart(anchor, _) => self.open(
                Frame::Map {
                    pos,
                    anchor,
                    entries: Vec::new(),
                    keys: HashSet::default(),
                    pending_key: None,
                },
                pos,
            ),
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self
                    .stack
                    .pop()
                    .expect("parser balances start and end events");
                let (node, anchor) = match frame {
                    Frame::Seq { pos, anchor, items } => (
                        Node {
                            pos,
                            value: Value::Seq(items),
                        },
                        anchor,
                    ),
                    Frame::Map {
                        pos,
                        anchor,
                        entries,
                        ..
                    } => (
                        Node {
                            pos,
                            value: Value::Map(entries),
                        },
                        anchor,
                    ),
                };
                self.remember(anchor, &node);
                self.attach(node)
            }
            Event::Alias(id) => {
                self.linked = true;
                let Some((target, size)) = self.anchors.get(&id) else {
                    return Err(self.fail(pos, "yaml-syntax", "alias to an unknown anchor".into()));
                };
                let (mut copy, size) = (target.clone(), *size);
                self.count(size, pos)?;
                copy.pos = pos;
                self.attach(copy)
            }
            Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::StreamStart
            | Event::StreamEnd
            | Event::Nothing => Ok(()),
        }
    }
}

fn subtree_size(node: &Node) -> usize {
    match &node.value {
        Value::Null | Value::Scalar(_) => 1,
        Value::Seq(items) => 1 + items.iter().map(subtree_size).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|e| 1 + subtree_size(&e.value))
                .sum::<usize>()
        }
    }
}

/// Parses one YAML document. An empty document is a `Null` node at 1:1.
/// Returns every error found before parsing had to stop (duplicate keys do
/// not stop it; syntax errors and exceeded limits do).
///
/// A large document is parsed in pieces on several threads when its
/// largest block mapping can be cut between entries (`pieces`); the tree is
/// then exactly the one parsing it whole gives, and anything the pieces
/// cannot vouch for (an error, an anchor, an empty value at a cut) parses
/// it whole.
pub fn parse(file: &SourceFile, text: &str, limits: Limits) -> Result<Node, Vec<Diagnostic>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads > 1
        && text.len() >= super::pieces::FROM_BYTES
        && let Some(node) = super::pieces::parse(file, text, limits, threads.min(8))
    {
        return Ok(node);
    }
    parse_whole(file, text, limits).tree
}

/// What parsing one text gave, and what `pieces` needs to know of it.
pub(super) struct Parsed {
    pub tree: Result<Node, Vec<Diagnostic>>,
    /// Nodes counted against `Limits::max_nodes`.
    pub nodes: usize,
    /// The deepest nesting of maps and lists.
    pub deepest: usize,
    pub linked: bool,
}

pub(super) fn parse_whole(file: &SourceFile, text: &str, limits: Limits) -> Parsed {
    let mut builder = Builder {
        file,
        end: end_of_content(text),
        limits,
        stack: Vec::new(),
        anchors: HashMap::default(),
        linked: false,
        nodes: 0,
        deepest: 0,
        root: None,
        errors: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let result = match next {
            Ok((event, span)) => builder.event(event, span),
            Err(scan) => {
                let marker = scan.marker();
                let pos = if marker.index() >= text.chars().count() {
                    // "Unexpected end": the scanner's mark is past the last
                    // line; point just after the content instead.
                    end_of_content(text)
                } else {
                    Pos::new(
                        u32::try_from(marker.line()).unwrap_or(u32::MAX).max(1),
                        u32::try_from(marker.col() + 1).unwrap_or(u32::MAX),
                        1,
                    )
                };
                let diagnostic =
                    builder.fail(pos, "yaml-syntax", format!("invalid YAML: {}", scan.info()));
                Err(match syntax_help(text, pos) {
                    Some(help) => diagnostic.with_help(help),
                    None => diagnostic,
                })
            }
        };
        if let Err(diagnostic) = result {
            builder.errors.push(diagnostic);
            break;
        }
    }
    let tree = if builder.errors.is_empty() {
        Ok(builder.root.take().unwrap_or(Node {
            pos: Pos::new(1, 1, 0),
            value: Value::Null,
        }))
    } else {
        Err(std::mem::take(&mut builder.errors))
    };
    Parsed {
        tree,
        nodes: builder.nodes,
        deepest: builder.deepest,
        linked: builder.linked,
    }
}

/// Checks size and encoding before any parsing: returns the text or an error
/// located at the first offending byte.
pub fn check_text(file_display: &str, bytes: &[u8], limits: Limits) -> Result<String, Diagnostic> {
    if bytes.len() > limits.max_bytes {
        return Err(Diagnostic::error(
            "input-too-large",
            format!(
                "file is {} bytes; parasol reads inputs up to {} bytes",
                bytes.len(),
                limits.max_bytes
            ),
        )
        .at(Location::bare(file_display, 1, 1)));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            // YAML breaks lines at CR as well as LF: one kind of break keeps
            // the parser's line numbers and the excerpts shown in agreement.
            let text = if text.contains('\r') {
                text.replace("\r\n", "\n").replace('\r', "\n")
            } else {
                text.to_owned()
            };
            if let Some(offset) = text.find('\0') {
                let (line, col) = line_col(&text.as_bytes()[..offset]);
                return Err(Diagnostic::error(
                    "invalid-encoding",
                    "file contains a NUL byte; parasol reads UTF-8 text only",
                )
                .at(Location::bare(file_display, line, col)));
            }
            Ok(text)
        }
        Err(e) => {
            let (line, col) = line_col(&bytes[..e.valid_up_to()]);
            Err(Diagnostic::error(
                "invalid-encoding",
                "file is not valid UTF-8 text (binary data?)",
            )
            .at(Location::bare(file_display, line, col)))
        }
    }
}

fn line_col(prefix: &[u8]) -> (u32, u32) {
    let text = String::from_utf8_lossy(prefix);
    let line = text.matches('\n').count() + 1;
    let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

/// What a YAML syntax error at `pos` most likely means in a spec, when
/// the text there says: `{ enum: [a, b] }?` marks an inline enum optional
/// the way `T?` does a named type, which YAML cannot read.
fn syntax_help(text: &str, pos: Pos) -> Option<&'static str> {
    let line = text
        .lines()
        .nth(usize::try_from(pos.line).ok()?.checked_sub(1)?)?;
    let at = usize::try_from(pos.col).ok()?.checked_sub(1)?;
    let before: String = line.chars().take(at).collect();
    let here = line.chars().nth(at)?;
    (here == '?' && before.trim_end().ends_with('}'))
        .then_some("an inline enum is made optional inside it: `{ enum: [a, b], optional: true }`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Node, Vec<Diagnostic>> {
        let file = SourceFile {
            display: "t.yaml".into(),
            text: text.into(),
        };
        parse(&file, text, LIMITS)
    }

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let node = parse_str("a:\n  b: string?\n  c: { d: int }\n").unwrap();
        let a = &node.as_map().unwrap()[0];
        let inner = a.value.as_map().unwrap();
        assert_eq!(inner[0].key_pos, Pos::new(2, 3, 1));
        assert_eq!(inner[0].value.pos, Pos::new(2, 6, 7));
        assert_eq!(inner[0].value.as_scalar().unwrap().text, "string?");
        assert_eq!(inner[1].value.as_map().unwrap()[0].value.pos.line, 3);
    }

    #[test]
    fn reports_duplicate_keys() {
        let errors = parse_str("a: 1\na: 2\n").unwrap_err();
        assert_eq!(errors[0].message, "duplicate key `a`");
    }

    #[test]
    fn stops_alias_bombs() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let errors = parse_str(&text).unwrap_err();
        assert_eq!(errors[0].code, "input-too-large");
    }

    #[test]
    fn stops_deep_nesting() {
        let text = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let errors = parse_str(&text).unwrap_err();
        assert_eq!(errors[0].code, "input-too-deep");
        // Unclosed and far deeper: the parser stops it first; still an error.
        assert!(parse_str(&"[".repeat(100_000)).is_err());
    }

    #[test]
    fn core_schema_scalars() {
        let node = parse_str("a: ~\nb: '1'\nc: 1\n").unwrap();
        let map = node.as_map().unwrap();
        assert!(map[0].value.is_null());
        assert_eq!(map[1].value.kind_name(), "a string");
        assert_eq!(map[2].value.kind_name(), "a number");
    }
}
