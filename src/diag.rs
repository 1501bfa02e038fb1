//! Diagnostics shared by every stage: a message, a severity, a stable code and
//! the `path:line:col` of the YAML node (or template line) it is about.
//! Stages collect them instead of stopping, so users see every problem at once.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

/// How bad a diagnostic is. Errors make a command exit 1; warnings do not,
/// unless `--deny-warnings` is given.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A source file as diagnostics show it: the path users typed (relative where
/// possible) and its text, for the excerpt under each message.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub display: Arc<str>,
    pub text: Arc<str>,
}

impl SourceFile {
    pub fn new(path: &Path, text: impl Into<Arc<str>>) -> Self {
        SourceFile {
            display: display_path(path).into(),
            text: text.into(),
        }
    }

    /// The text of 1-based `line`, without its line break.
    pub fn line_text(&self, line: u32) -> Option<&str> {
        self.text
            .split('\n')
            .nth(line.checked_sub(1)? as usize)
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
    }
}

/// A position in a source file: 1-based line and column (in characters), and
/// how many characters the offending node spans on that line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
    #[serde(skip)]
    pub len: u32,
}

impl Pos {
    pub fn new(line: u32, col: u32, len: u32) -> Self {
        Pos { line, col, len }
    }

    /// The position `offset` characters further along the same line.
    pub fn shifted(self, offset: u32, len: u32) -> Self {
        Pos {
            line: self.line,
            col: self.col + offset,
            len,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub file: Arc<str>,
    #[serde(flatten)]
    pub pos: Pos,
    #[serde(skip)]
    pub excerpt: Option<String>,
}

impl Location {
    pub fn in_file(file: &SourceFile, pos: Pos) -> Self {
        Location {
            file: file.display.clone(),
            pos,
            excerpt: file.line_text(pos.line).map(str::to_owned),
        }
    }

    /// A location for a file that has no text worth excerpting (a template, a
    /// file that could not be read).
    pub fn bare(file: impl Into<Arc<str>>, line: u32, col: u32) -> Self {
        Location {
            file: file.into(),
            pos: Pos::new(line, col, 0),
            excerpt: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable, kebab-case identifier of the rule (`unknown-type`, `dependency-cycle`, ...).
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        debug_assert!(
            crate::codes::is_known(code),
            "diagnostic code `{code}` is not in src/codes.rs"
        );
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: None,
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Renders like rustc: message, ` --> path:line:col`, the source line with
    /// a caret under the node, then help and notes.
    pub fn render(&self) -> String {
        self.render_with(false)
    }

    /// `render`, with ANSI styles (removed again by `term::err` unless the
    /// terminal shows colour).
    pub fn render_styled(&self) -> String {
        self.render_with(true)
    }

    fn render_with(&self, styled: bool) -> String {
        use crate::term::style;
        let paint = |s: anstyle::Style, text: &str| {
            if styled {
                format!("{s}{text}{s:#}")
            } else {
                text.to_string()
            }
        };
        let mut out = String::new();
        let (label, label_style) = match self.severity {
            Severity::Error => ("error", style::ERROR),
            Severity::Warning => ("warning", style::WARNING),
        };
        let _ = writeln!(
            out,
            "{}{}",
            paint(label_style, label),
            paint(style::EMPHASIS, &format!(": {}", self.message))
        );
        let bar = paint(style::GUTTER, "|");
        if let Some(loc) = &self.location {
            let gutter = loc.pos.line.to_string().len();
            let pad = " ".repeat(gutter);
            let _ = writeln!(
                out,
                "{pad}{} {}:{}:{}",
                paint(style::GUTTER, "-->"),
                loc.file,
                loc.pos.line,
                loc.pos.col
            );
            if let Some(excerpt) = &loc.excerpt {
                let shown: String = excerpt.chars().take(200).collect();
                let _ = writeln!(out, "{pad} {bar}");
                let _ = writeln!(
                    out,
                    "{} {bar} {}",
                    paint(style::GUTTER, &loc.pos.line.to_string()),
                    shown.trim_end()
                );
                let caret_at = loc.pos.col.saturating_sub(1) as usize;
                if caret_at <= shown.chars().count() {
                    let width = (loc.pos.len.max(1) as usize).min(200 - caret_at.min(199));
                    // Tabs in the excerpt keep their width in the caret line.
                    let lead: String = shown
                        .chars()
                        .take(caret_at)
                        .map(|c| if c == '\t' { '\t' } else { ' ' })
                        .collect();
                    let _ = writeln!(
                        out,
                        "{pad} {bar} {lead}{}",
                        paint(label_style, &"^".repeat(width))
                    );
                }
            }
        }
        let pad = match &self.location {
            Some(loc) => " ".repeat(loc.pos.line.to_string().len()),
            None => String::new(),
        };
        let eq = paint(style::GUTTER, "=");
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} {eq} {}: {help}", paint(style::EMPHASIS, "help"));
        }
        for note in &self.notes {
            let _ = writeln!(out, "{pad} {eq} {}: {note}", paint(style::EMPHASIS, "note"));
        }
        out
    }
}

/// Everything a run found, in the order the stages found it; sorted by file
/// and position before printing.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a diagnostic unless the same one (message, severity, place) is already there.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        let same = |d: &Diagnostic| {
            d.severity == diagnostic.severity
                && d.message == diagnostic.message
                && d.location.as_ref().map(|l| (&l.file, l.pos))
                    == diagnostic.location.as_ref().map(|l| (&l.file, l.pos))
        };
        if !self.items.iter().rev().take(64).any(same) {
            self.items.push(diagnostic);
        }
    }

    pub fn last_mut(&mut self) -> Option<&mut Diagnostic> {
        self.items.last_mut()
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for diagnostic in other.items {
            self.push(diagnostic);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Sorted by file, then position, then message; duplicates removed (a
    /// node reached twice through a diamond include reports once).
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        items.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                d.location
                    .as_ref()
                    .map(|l| (l.file.clone(), l.pos.line, l.pos.col))
            };
            key(a)
                .cmp(&key(b))
                .then(a.severity.cmp(&b.severity))
                .then(a.message.cmp(&b.message))
        });
        items.dedup_by(|a, b| {
            a.message == b.message
                && a.severity == b.severity
                && a.location.as_ref().map(|l| (&l.file, l.pos))
                    == b.location.as_ref().map(|l| (&l.file, l.pos))
        });
        items
    }

    pub fn render_human(&self) -> String {
        self.render(false, false, false)
    }

    /// With ANSI styles, for `commands::print_diagnostics`: `errors_only` leaves the
    /// warnings out (`--quiet`), and the summary line (which still counts
    /// them) out too when there is no error; `warnings_fail`
    /// (`--deny-warnings`) makes the summary say `failed` for them.
    pub fn render_styled(&self, errors_only: bool, warnings_fail: bool) -> String {
        self.render(true, errors_only, warnings_fail)
    }

    fn render(&self, styled: bool, errors_only: bool, warnings_fail: bool) -> String {
        let mut out = String::new();
        for diagnostic in self.sorted() {
            if errors_only && diagnostic.severity != Severity::Error {
                continue;
            }
            out.push_str(&diagnostic.render_with(styled));
            out.push('\n');
        }
        let (errors, warnings) = (self.error_count(), self.warning_count());
        if errors + warnings > 0 && (errors > 0 || !errors_only) {
            let _ = writeln!(
                out,
                "{}: {} error{}, {} warning{}",
                if errors > 0 || (warnings_fail && warnings > 0) {
                    "failed"
                } else {
                    "ok"
                },
                errors,
                plural(errors),
                warnings,
                plural(warnings)
            );
        }
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "errors": self.error_count(),
            "warnings": self.warning_count(),
            "diagnostics": self.sorted(),
        })
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Self {
        Diagnostics {
            items: vec![diagnostic],
        }
    }
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The path as users should read it: relative to the working directory when
/// it lies below it, `/`-separated.
pub fn display_path(path: &Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    let shown = relative.display().to_string();
    let shown = shown.strip_prefix("./").unwrap_or(&shown).to_string();
    if cfg!(windows) {
        shown.replace('\\', "/")
    } else {
        shown
    }
}

/// The closest known name to `wanted`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(wanted: &str, known: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let wanted_lower = wanted.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in known {
        if candidate == wanted {
            continue;
        }
        let distance = edit_distance(&wanted_lower, &candidate.to_lowercase());
        let limit = (wanted.chars().count().max(candidate.chars().count()) / 3).max(1);
        let same_words = normalise(wanted) == normalise(candidate);
        if (distance <= limit || same_words) && best.is_none_or(|(d, _)| distance < d) {
            best = Some((if same_words { 0 } else { distance }, candidate));
        }
    }
    best.map(|(_, name)| format!("did you mean `{name}`?"))
}

/// Lowercase with separators removed, so `order_id`, `orderId` and `OrderID` compare equal.
fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Optimal string alignment distance: Levenshtein plus adjacent transpositions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev_prev = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            current[j] = (prev[j] + 1)
                .min(current[j - 1] + 1)
                .min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                current[j] = current[j].min(prev_prev[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev_prev, &mut prev);
        std::mem::swap(&mut prev, &mut current);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let known = ["string", "int", "float", "OrderLine"];
        assert_eq!(
            did_you_mean("strng", known),
            Some("did you mean `string`?".into())
        );
        assert_eq!(
            did_you_mean("orderline", known),
            Some("did you mean `OrderLine`?".into())
        );
        assert_eq!(did_you_mean("customer", known), None);
    }

    #[test]
    fn distance_counts_transpositions_once() {
        assert_eq!(edit_distance("publihses", "publishes"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("emtis", "emits"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn renders_excerpt_with_caret() {
        let file = SourceFile {
            display: "a.bc.yaml".into(),
            text: "x:\n  name: Strng\n".into(),
        };
        let d = Diagnostic::error("unknown-type", "unknown type `Strng`")
            .at(Location::in_file(&file, Pos::new(2, 9, 5)))
            .with_help("did you mean `string`?");
        assert_eq!(
            d.render(),
            "error: unknown type `Strng`\n --> a.bc.yaml:2:9\n  |\n2 |   name: Strng\n  |         ^^^^^\n  = help: did you mean `string`?\n"
        );
    }
}
