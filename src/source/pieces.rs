//! Parsing a large YAML document in pieces, on several threads.
//!
//! A spec of a thousand modules is mostly one block mapping of a thousand
//! entries, and parsing it is most of loading the spec. Cut between
//! entries of that mapping, each piece parses on its own thread: the text
//! before a piece is kept as blank lines, so every line and column is what
//! it is in the whole text, and the entries are then joined in order.
//!
//! The result is exactly the tree parsing the whole text gives, or nothing,
//! and the caller then parses the whole text: diagnostics never depend on
//! the pieces. Nothing is returned for any error, any anchor or alias (one
//! may name an anchor in another piece), a cut that does not fall between
//! entries of one mapping, an empty value at the end of a piece (the parser
//! places it at the next token, which the piece lacks), a key in two
//! pieces, or limits the whole text would reach.

use super::yaml::{self, Limits, Node, Value};
use crate::diag::SourceFile;

/// Below this size a text parses whole: threads would cost more than they save.
pub const FROM_BYTES: usize = 256 * 1024;

/// The entries of one block mapping as lines of text: all start at
/// `indent`, and no line between them is indented less.
#[derive(Debug)]
struct Run {
    indent: usize,
    /// Where each entry's first line starts.
    starts: Vec<usize>,
    /// Where the first line after the mapping starts (or the text's end).
    end: usize,
}

impl Run {
    fn len(&self) -> usize {
        self.end - self.starts[0]
    }

    /// The text that can go to other pieces than its largest entry's: a
    /// mapping of a few entries, one of which holds nearly everything
    /// (`modules:` beside `name:`), is no use to cut.
    fn spread(&self) -> usize {
        let ends = self.starts.iter().skip(1).chain([&self.end]);
        let largest = self.starts.iter().zip(ends).map(|(a, b)| b - a).max();
        self.len() - largest.unwrap_or(0)
    }
}

/// The mapping to cut and where, if the text has one worth cutting.
fn run_and_cuts(text: &str, pieces: usize) -> Option<(Run, Vec<usize>)> {
    let run = largest_run(text)?;
    let cuts = cuts(text.len(), &run, pieces)?;
    // A block scalar ending a piece could take in the blank lines that
    // stand for the text after it (`|+` keeps them), or end elsewhere.
    let last_entries = cuts
        .iter()
        .chain([&run.end])
        .map(|&end| &text[run.starts[run.starts.partition_point(|&s| s < end) - 1]..end]);
    if last_entries.into_iter().any(has_block_scalar) {
        return None;
    }
    Some((run, cuts))
}

/// Parses `text` as up to `pieces` pieces, or says it cannot.
pub fn parse(file: &SourceFile, text: &str, limits: Limits, pieces: usize) -> Option<Node> {
    let (run, cuts) = run_and_cuts(text, pieces)?;
    // Lines before the mapping's first entry, each cut and its end.
    let offsets: Vec<usize> = [run.starts[0]]
        .into_iter()
        .chain(cuts.iter().copied())
        .chain([run.end])
        .collect();
    let lines = lines_before(text, &offsets);
    let (start_line, cut_lines, end_line) =
        (lines[0], &lines[1..=cuts.len()], lines[lines.len() - 1]);
    let blank = |n: usize| "\n".repeat(n);

    // The first piece: everything but the entries from the first cut on.
    let first = format!(
        "{}{}{}",
        &text[..cuts[0]],
        blank(end_line - cut_lines[0]),
        &text[run.end..]
    );
    let rest: Vec<(usize, String)> = cuts
        .iter()
        .zip(cuts.iter().skip(1).chain([&run.end]))
        .zip(cut_lines)
        .map(|((&from, &to), &line)| (line, format!("{}{}", blank(line), &text[from..to])))
        .collect();
    let (first, rest) = std::thread::scope(|scope| {
        let handles: Vec<_> = rest
            .iter()
            .map(|(line, piece)| {
                scope.spawn(move || (*line, yaml::parse_whole(file, piece, limits)))
            })
            .collect();
        let first = yaml::parse_whole(file, &first, limits);
        let rest: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        (first, rest)
    });
    let rest: Vec<(usize, yaml::Parsed)> = rest.into_iter().collect::<Result<_, _>>().ok()?;

    let nodes = first.nodes + rest.iter().map(|(_, p)| p.nodes).sum::<usize>();
    if nodes >= limits.max_nodes || first.linked || rest.iter().any(|(_, p)| p.linked) {
        return None;
    }
    let mut root = first.tree.ok()?;
    let key_col = u32::try_from(run.indent + 1).ok()?;
    let first_line = u32::try_from(start_line + 1).ok()?;
    let (depth, entries) = mapping_with(&mut root, (first_line, key_col), 0)?;
    let cut_line = u32::try_from(cut_lines[0] + 1).ok()?;
    // The mapping must end before the first cut, its last entry whole.
    let last = entries.last()?;
    if last.key_pos.line >= cut_line || has_empty(&last.value) {
        return None;
    }
    let mut keys: std::collections::HashSet<String> =
        entries.iter().map(|e| e.key.clone()).collect();
    for (line, piece) in rest {
        if depth + piece.deepest > limits.max_depth {
            return None;
        }
        let Value::Map(more) = piece.tree.ok()?.value else {
            return None;
        };
        let starts_at_cut = more.first().is_some_and(|e| {
            usize::try_from(e.key_pos.line).ok() == Some(line + 1) && e.key_pos.col == key_col
        });
        if !starts_at_cut || more.last().is_some_and(|e| has_empty(&e.value)) {
            return None;
        }
        for entry in more {
            if entry.key_pos.col != key_col || !keys.insert(entry.key.clone()) {
                return None;
            }
            entries.push(entry);
        }
    }
    Some(root)
}

/// How many lines end before each of `offsets` (ascending), in one pass.
fn lines_before(text: &str, offsets: &[usize]) -> Vec<usize> {
    let (mut lines, mut from) = (0, 0);
    offsets
        .iter()
        .map(|&at| {
            lines += text.as_bytes()[from..at]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            from = at;
            lines
        })
        .collect()
}

/// The entries of the mapping in `node` that has a key at `key_pos`, and
/// how many maps and lists enclose that mapping.
fn mapping_with(
    node: &mut Node,
    key_pos: (u32, u32),
    depth: usize,
) -> Option<(usize, &mut Vec<yaml::Entry>)> {
    match &mut node.value {
        Value::Map(entries) => {
            if entries
                .iter()
                .any(|e| (e.key_pos.line, e.key_pos.col) == key_pos)
            {
                return Some((depth, entries));
            }
            // Only the entry whose subtree can hold the line is searched.
            let at = entries.partition_point(|e| e.key_pos.line <= key_pos.0);
            let entry = entries.get_mut(at.checked_sub(1)?)?;
            mapping_with(&mut entry.value, key_pos, depth + 1)
        }
        Value::Seq(items) => {
            let at = items.partition_point(|n| n.pos.line <= key_pos.0);
            mapping_with(items.get_mut(at.checked_sub(1)?)?, key_pos, depth + 1)
        }
        Value::Null | Value::Scalar(_) => None,
    }
}

/// Whether a value in `node` is empty: the parser places an empty value at
/// the next token, which for the last one of a piece lies outside it.
fn has_empty(node: &Node) -> bool {
    match &node.value {
        Value::Null => true,
        Value::Scalar(s) => s.text.is_empty(),
        Value::Seq(items) => items.iter().any(has_empty),
        Value::Map(entries) => entries.iter().any(|e| has_empty(&e.value)),
    }
}

/// Whether a line of `text` starts a block scalar (`key: |`, `- >-`):
/// its last word, before any comment, is `|` or `>` with indicators.
fn has_block_scalar(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.split(" #").next().unwrap_or(line).trim_end();
        let word = line.rsplit([' ', '\t']).next().unwrap_or(line);
        word.strip_prefix(['|', '>'])
            .is_some_and(|rest| rest.chars().all(|c| matches!(c, '-' | '+' | '0'..='9')))
    })
}

/// The block mapping whose text spreads best over pieces (`Run::spread`),
/// found from indentation alone
/// (whether it really is one mapping, the parse of the pieces decides).
fn largest_run(text: &str) -> Option<Run> {
    let mut open: Vec<Run> = Vec::new();
    let mut best: Option<Run> = None;
    let keep = |run: Run, best: &mut Option<Run>| {
        if run.starts.len() >= 2 && best.as_ref().is_none_or(|b| run.spread() > b.spread()) {
            *best = Some(run);
        }
    };
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        let Some(first) = content.chars().next() else {
            continue;
        };
        if first == '#' || first == '\n' || first == '\r' {
            continue;
        }
        while open.last().is_some_and(|r| r.indent > indent) {
            let mut run = open.pop().expect("checked");
            run.end = start;
            keep(run, &mut best);
        }
        let is_key = (first.is_ascii_alphanumeric() || matches!(first, '_' | '"' | '\''))
            && content.contains(':');
        if !is_key {
            // A compact list under the entry (`- item` at its indent), or
            // text inside it: the entry goes on.
            continue;
        }
        match open.last_mut() {
            Some(run) if run.indent == indent => run.starts.push(start),
            _ => open.push(Run {
                indent,
                starts: vec![start],
                end: text.len(),
            }),
        }
    }
    while let Some(mut run) = open.pop() {
        run.end = text.len();
        keep(run, &mut best);
    }
    best
}

/// Where to cut `run` so that each of `pieces` pieces holds about as much
/// text (the first also holds all that is outside the run); at least one
/// cut, every cut at an entry after the first.
fn cuts(total: usize, run: &Run, pieces: usize) -> Option<Vec<usize>> {
    let share = total / pieces;
    let outside = total - run.len();
    let first_end = run.starts[0] + share.saturating_sub(outside);
    let rest = run.end.saturating_sub(first_end);
    let mut cuts: Vec<usize> = Vec::new();
    for i in 0..pieces - 1 {
        let target = first_end + rest * i / (pieces - 1);
        let at = run.starts.partition_point(|&s| s < target).max(1);
        let Some(&cut) = run.starts.get(at) else {
            break;
        };
        if cuts.last().is_none_or(|&last| cut > last) {
            cuts.push(cut);
        }
    }
    (!cuts.is_empty()).then_some(cuts)
}

/// The regions the pieces of `text` cover, for tests.
#[cfg(test)]
fn regions(text: &str, pieces: usize) -> Option<Vec<std::ops::Range<usize>>> {
    let (run, cuts) = run_and_cuts(text, pieces)?;
    let ends = cuts.iter().skip(1).copied().chain([run.end]);
    Some(cuts.iter().copied().zip(ends).map(|(a, b)| a..b).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(text: &str) -> SourceFile {
        SourceFile {
            display: "t.yaml".into(),
            text: text.into(),
        }
    }

    /// The pieces' tree, which must be the whole text's when there is one.
    fn in_pieces(text: &str, pieces: usize) -> Option<Node> {
        let f = file(text);
        let split = parse(&f, text, yaml::LIMITS, pieces);
        if let Some(tree) = &split {
            let whole = yaml::parse_whole(&f, text, yaml::LIMITS).tree;
            assert_eq!(
                whole.as_ref().ok(),
                Some(tree),
                "pieces differ from the whole:\n{text}"
            );
        }
        split
    }

    fn modules(n: usize) -> String {
        let mut text = String::from("parasol: 1\nbounded_context:\n  name: X\n  modules:\n");
        for i in 0..n {
            text.push_str(&format!(
                "    m{i}:\n      aggregates:\n        A{i}:\n          fields: {{ a: int, b: \"s\" }}\n      steps:\n      - one\n      # a comment\n\n      - two\n"
            ));
        }
        text.push_str("  events:\n    E: { module: m0 }\n");
        text
    }

    #[test]
    fn a_large_mapping_parses_in_pieces_to_the_whole_tree() {
        let text = modules(40);
        for pieces in 2..6 {
            assert!(in_pieces(&text, pieces).is_some(), "{pieces} pieces");
            let cut = regions(&text, pieces).unwrap();
            assert!(cut.iter().all(|r| text[r.clone()].starts_with("    m")));
        }
    }

    #[test]
    fn what_pieces_cannot_vouch_for_parses_whole() {
        let text = modules(40);
        let at = regions(&text, 2).unwrap()[0].start;
        // An empty value just before a cut, or at the end of the last piece.
        let empty = format!("{}      extra:\n{}", &text[..at], &text[at..]);
        assert!(in_pieces(&empty, 2).is_none());
        let before_events = text.find("  events:").unwrap();
        let empty_last = format!(
            "{}      extra: ~\n{}",
            &text[..before_events],
            &text[before_events..]
        );
        assert!(in_pieces(&empty_last, 2).is_none());
        // An alias across pieces, a key in two pieces, a syntax error.
        let aliased = text.replacen("fields: { a: int", "fields: &f { a: int", 1) + "  more: *f\n";
        assert!(in_pieces(&aliased, 2).is_none());
        let twice = format!("{}    m0:\n      x: 1\n{}", &text[..at], &text[at..]);
        assert!(in_pieces(&twice, 2).is_none());
        let broken = format!("{}    m: [unclosed\n{}", &text[..at], &text[at..]);
        assert!(in_pieces(&broken, 2).is_none());
        // Too small to have a mapping worth cutting.
        assert!(in_pieces("a: 1\n", 2).is_none());
    }

    /// Lines a spec may be made of, at any indentation: the property below
    /// cuts random texts of them and compares with parsing them whole.
    fn line() -> impl Strategy<Value = String> {
        let body = prop_oneof![
            Just("k: v".to_string()),
            Just("k:".to_string()),
            Just("- item".to_string()),
            Just("- k: v".to_string()),
            Just("k: |".to_string()),
            Just("text: [a,".to_string()),
            Just("b]".to_string()),
            Just("k: \"multi".to_string()),
            Just("line\"".to_string()),
            Just("# note".to_string()),
            Just(String::new()),
            Just("k: &a [1]".to_string()),
            Just("k: *a".to_string()),
            Just("? k".to_string()),
            Just("---".to_string()),
            "[a-c]{1,2}: [a-z0-9~]{0,3}",
            "[a-c]{1,2}:",
        ];
        ((0usize..4).prop_map(|i| " ".repeat(i * 2)), body).prop_map(|(i, b)| format!("{i}{b}\n"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PARASOL_PIECES_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
        ))]
        #[test]
        fn pieces_give_the_whole_tree_or_nothing(
            lines in proptest::collection::vec(line(), 1..60),
            pieces in 2usize..5,
        ) {
            in_pieces(&lines.concat(), pieces);
        }

        #[test]
        fn edited_specs_give_the_whole_tree_or_nothing(
            edits in proptest::collection::vec((0usize..2000, line()), 0..6),
            pieces in 2usize..5,
        ) {
            let mut lines: Vec<String> = modules(12).split_inclusive('\n').map(String::from).collect();
            for (at, line) in edits {
                let at = at % lines.len();
                lines.insert(at, line);
            }
            in_pieces(&lines.concat(), pieces);
        }
    }

    #[test]
    fn every_example_spec_parses_in_pieces_as_whole() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut cut = 0;
        for dir in ["examples", "tests/errors", "../shared/examples"] {
            for entry in walkdir::WalkDir::new(root.join(dir))
                .into_iter()
                .filter_map(Result::ok)
            {
                let name = entry.file_name().to_string_lossy();
                if !name.ends_with(".yaml") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                for pieces in 2..5 {
                    cut += usize::from(in_pieces(&text, pieces).is_some());
                }
            }
        }
        assert!(cut > 0, "no example was cut");
    }
}
