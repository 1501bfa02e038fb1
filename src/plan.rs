//! Stage 5b (plan): which files a command produces and their rendered text,
//! all in memory. Nothing touches the disk before `emit`.
//!
//! Targets (the `targets` module) list file specs — a relative path, a template
//! and whether the file is generated (always rewritten, drift-checked) or
//! user-owned (written once, never touched again). Rendering adds the header
//! naming the source spec and the command that regenerates the file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use minijinja::{Environment, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::diag::{Diagnostic, Diagnostics};
use crate::incremental::{Origin, Reuse};
pub use crate::manifest::{Need, Needs, Ownership, Recipe};
use crate::outdir::check_relative_path;
use crate::render::{TemplateSet, template_error, template_error_in};

/// Most files one run may generate (a runaway spec stops here, before any write).
pub const MAX_FILES: usize = 200_000;
/// Largest file one render may produce: ten times the largest built-in
/// output of a 1,000-module context. A runaway template override stops
/// here, in memory, before anything is written.
pub const MAX_FILE_BYTES: usize = 128 << 20;

/// One file to render.
#[derive(Debug, Clone)]
pub struct FileSpec {
    pub path: String,
    pub template: &'static str,
    pub ownership: Ownership,
    /// Extra template variables beside `ctx` and `settings` (`module`, `aggregate`, ...).
    pub vars: Vec<(&'static str, Value)>,
    /// Variables that are items of the context's lists (`module` = `ctx.modules[3]`),
    /// looked up when rendering, so file lists can be made before the context
    /// is turned into template values.
    pub items: Vec<(&'static str, &'static str, usize)>,
    /// For a user-owned file: what the generated code needs from it.
    pub needs: Needs,
    /// A file that holds one part per item of a list (every module's
    /// tests): see `Parts`.
    pub parts: Option<Parts>,
}

/// The parts of a file assembled from one part per item of a context list.
/// Its template calls `part(i)` where item `i`'s part goes; each part is
/// rendered from its own template with `name` = item `i`, and keyed on its
/// own (`incremental`), so an edit of one module renders one part and
/// copies the others from the file as it was.
#[derive(Debug, Clone)]
pub struct Parts {
    pub template: &'static str,
    pub name: &'static str,
    pub list: &'static str,
    pub count: usize,
}

impl FileSpec {
    pub fn generated(path: impl Into<String>, template: &'static str) -> Self {
        FileSpec {
            path: path.into(),
            template,
            ownership: Ownership::Generated,
            vars: Vec::new(),
            items: Vec::new(),
            needs: Needs::default(),
            parts: None,
        }
    }

    pub fn user(path: impl Into<String>, template: &'static str) -> Self {
        FileSpec {
            ownership: Ownership::User,
            ..FileSpec::generated(path, template)
        }
    }

    pub fn with(mut self, name: &'static str, value: Value) -> Self {
        self.vars.push((name, value));
        self
    }

    /// Records what the generated code needs from this (user-owned) file.
    pub fn needing(mut self, needs: BTreeMap<String, Need>) -> Self {
        self.needs = Needs::new(needs);
        self
    }

    /// One part per module (of `modules`), rendered from `template` with
    /// `m` = the module, where the file's template calls `part(i)`.
    pub fn with_a_part_per_module(mut self, template: &'static str, modules: usize) -> Self {
        self.parts = Some(Parts {
            template,
            name: "m",
            list: "modules",
            count: modules,
        });
        self
    }

    /// `name` = item `index` of the context's list `list`.
    pub fn with_item(mut self, name: &'static str, list: &'static str, index: usize) -> Self {
        self.items.push((name, list, index));
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    pub path: String,
    pub content: Content,
    pub ownership: Ownership,
    /// SHA-256 of the content, taken while rendering (in parallel).
    pub sha256: String,
    /// For a user-owned file: what the generated code needs from it.
    pub needs: Needs,
    /// What it was rendered from (see `incremental`), when that can be told.
    pub key: Option<String>,
    /// Where its parts are and what each was rendered from (`Parts`).
    pub parts: Vec<crate::manifest::PartRecord>,
}

/// Rendered text held until `emit`. Every file is rendered before anything
/// is written, so a huge context would hold its whole output at once: once
/// a plan holds `Content::BUDGET` bytes of text, further texts are kept as
/// compressed blocks, written block by block (generated code is
/// repetitive: a 12 MB test file packs to under 300 KB).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content(Held);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Held {
    Text(String),
    Packed(Vec<Vec<u8>>),
    /// Not rendered: the file at this path already holds exactly this
    /// content (checked against its recorded hash while planning).
    OnDisk(PathBuf),
}

impl Content {
    /// Bytes of text a run's plans hold uncompressed.
    pub const BUDGET: usize = 8 << 20;
    /// Size of an uncompressed block.
    const BLOCK: usize = 1 << 20;

    /// The whole text (compressed content is unpacked: for diffs and tests).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match &self.0 {
            Held::Text(text) => std::borrow::Cow::Borrowed(text),
            Held::Packed(_) | Held::OnDisk(_) => {
                let mut bytes = Vec::new();
                self.for_each_piece(|piece| {
                    bytes.extend_from_slice(piece);
                    Ok(())
                })
                .expect("collecting cannot fail");
                std::borrow::Cow::Owned(String::from_utf8(bytes).expect("rendered text"))
            }
        }
    }

    /// Calls `f` with the text piece by piece, unpacking one block at a time.
    pub fn for_each_piece(
        &self,
        mut f: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        match &self.0 {
            Held::Text(text) => f(text.as_bytes()),
            Held::Packed(blocks) => {
                for block in blocks {
                    let piece = lz4_flex::block::decompress_size_prepended(block)
                        .expect("packed by `ContentWriter`");
                    f(&piece)?;
                }
                Ok(())
            }
            Held::OnDisk(path) => f(&std::fs::read(path)?),
        }
    }

    /// Content known to be on disk already at `path`, not held in memory.
    pub fn on_disk(path: PathBuf) -> Self {
        Content(Held::OnDisk(path))
    }

    /// Whether this content was not rendered because the file on disk
    /// already holds it.
    pub fn is_on_disk(&self) -> bool {
        matches!(self.0, Held::OnDisk(_))
    }

    /// Whether the text is exactly `bytes`.
    pub fn is(&self, bytes: &[u8]) -> bool {
        let mut rest = bytes;
        let same = self.for_each_piece(|piece| match rest.strip_prefix(piece) {
            Some(after) => {
                rest = after;
                Ok(())
            }
            None => Err(std::io::ErrorKind::InvalidData.into()),
        });
        same.is_ok() && rest.is_empty()
    }
}

impl From<String> for Content {
    fn from(text: String) -> Self {
        Content(Held::Text(text))
    }
}

/// Where a file is rendered to: its text, hashed as it comes, kept as is
/// or, past the plan's budget, packed in blocks as it comes.
struct ContentWriter<'b> {
    pending: Vec<u8>,
    blocks: Vec<Vec<u8>>,
    hasher: Sha256,
    last: Option<u8>,
    /// Bytes written to this file so far.
    written: usize,
    /// Where `written` is mirrored while parts are placed (`Assembly`).
    position: Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
    /// Bytes of text the plan holds so far, and how many it may.
    held: &'b std::sync::atomic::AtomicUsize,
    budget: usize,
}

impl<'b> ContentWriter<'b> {
    fn new(held: &'b std::sync::atomic::AtomicUsize) -> Self {
        ContentWriter {
            pending: Vec::new(),
            blocks: Vec::new(),
            hasher: Sha256::new(),
            last: None,
            written: 0,
            position: None,
            held,
            budget: Content::BUDGET,
        }
    }

    fn over_budget(&self) -> bool {
        self.held.load(std::sync::atomic::Ordering::Relaxed) + self.pending.len() > self.budget
    }

    fn pack_pending(&mut self) {
        let block = lz4_flex::block::compress_prepend_size(&self.pending);
        self.held
            .fetch_add(block.len(), std::sync::atomic::Ordering::Relaxed);
        self.blocks.push(block);
        self.pending.clear();
    }

    /// The content (ending in a newline) and its SHA-256.
    fn finish(mut self) -> (Content, String) {
        use std::io::Write as _;
        if self.last != Some(b'\n') {
            self.write_all(b"\n").expect("writing to memory");
        }
        let sha256 = crate::hash::hex(&Digest::finalize(self.hasher.clone()));
        if self.blocks.is_empty() && !self.over_budget() {
            self.held
                .fetch_add(self.pending.len(), std::sync::atomic::Ordering::Relaxed);
            let text = String::from_utf8(std::mem::take(&mut self.pending)).expect("rendered text");
            return (Content::from(text), sha256);
        }
        if !self.pending.is_empty() {
            self.pack_pending();
        }
        (Content(Held::Packed(self.blocks)), sha256)
    }
}

impl std::io::Write for ContentWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.written += buf.len();
        if let Some(position) = &self.position {
            position.store(self.written, std::sync::atomic::Ordering::Relaxed);
        }
        if self.written > MAX_FILE_BYTES {
            return Err(std::io::Error::other(format!(
                "the rendered file is larger than {} MiB, the most one file may be",
                MAX_FILE_BYTES >> 20
            )));
        }
        Digest::update(&mut self.hasher, buf);
        self.last = buf.last().copied();
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= Content::BLOCK && (!self.blocks.is_empty() || self.over_budget()) {
            self.pack_pending();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Rendered output for one output root.
#[derive(Debug, Clone)]
pub struct Plan {
    pub root: PathBuf,
    pub recipe: Recipe,
    /// The spec path recorded in the manifest (relative to the root where possible).
    pub spec_path: String,
    pub files: Vec<PlannedFile>,
    /// What the files depend on, to record after a clean write (`fingerprint::stamp`).
    pub inputs: Option<crate::manifest::Inputs>,
}

/// The header text for generated and user-owned files.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    pub spec_file: String,
    pub command: String,
}

impl Header {
    fn lines(&self, ownership: Ownership) -> [String; 2] {
        match ownership {
            Ownership::Generated => [
                format!(
                    "@generated by parasol from {}. Do not edit: changes are overwritten.",
                    self.spec_file
                ),
                format!("Regenerate with: {}", self.command),
            ],
            Ownership::User => [
                format!(
                    "Created by parasol from {}. This file is yours: parasol never",
                    self.spec_file
                ),
                "overwrites it (delete it to get the default back on the next generate)."
                    .to_string(),
            ],
        }
    }

    /// One line, for files whose format has no comments (JSON).
    pub fn one_line(&self) -> String {
        format!(
            "Generated by parasol from {}; do not edit. Regenerate with: {}",
            self.spec_file, self.command
        )
    }

    /// The header comment for `path`, or `None` for formats without comments.
    pub fn comment_for(&self, path: &str, ownership: Ownership) -> Option<String> {
        let [a, b] = self.lines(ownership);
        let ext = path.rsplit('.').next().unwrap_or("");
        let name = path.rsplit('/').next().unwrap_or(path);
        match ext {
            "rs" | "ts" | "js" | "mjs" | "dot" | "jsonc" => Some(format!("// {a}\n// {b}\n")),
            // tsconfig files are JSON with comments.
            "json" if name.starts_with("tsconfig") => Some(format!("// {a}\n// {b}\n")),
            "toml" | "yaml" | "yml" | "sh" | "env" | "dockerignore" => {
                Some(format!("# {a}\n# {b}\n"))
            }
            _ if name == "Dockerfile" => Some(format!("# {a}\n# {b}\n")),
            "md" => Some(format!("<!-- {a}\n     {b} -->\n")),
            "mmd" => Some(format!("%% {a}\n%% {b}\n")),
            "sql" => Some(format!("-- {a}\n-- {b}\n")),
            _ if name.starts_with('.') => Some(format!("# {a}\n# {b}\n")),
            _ => None,
        }
    }
}

/// One part's variables (the file's, and the item) and its key.
type KeyedPart = (BTreeMap<String, (Value, Origin)>, Option<String>);

/// One part's text: kept where the file on disk has it, or rendered.
enum PartText {
    Kept(std::sync::Arc<str>, std::ops::Range<usize>),
    Rendered(String),
}

impl PartText {
    fn as_str(&self) -> &str {
        match self {
            PartText::Kept(text, range) => &text[range.clone()],
            PartText::Rendered(text) => text,
        }
    }
}

/// The text of every part of `spec`: found in the file on disk where an
/// earlier run recorded a part with the same key there, rendered otherwise.
fn part_texts(
    env: &Environment<'static>,
    templates: &TemplateSet,
    previous: &crate::incremental::Previous,
    spec: &FileSpec,
    spec_parts: &Parts,
    parts: &[KeyedPart],
) -> Result<Vec<PartText>, Diagnostic> {
    let template = env
        .get_template(spec_parts.template)
        .map_err(|e| template_error(templates, &e))?;
    let old = previous.parts_of(&spec.path);
    let mut rendered = 0;
    let mut texts = Vec::with_capacity(parts.len());
    for (vars, key) in parts {
        let kept = key
            .as_ref()
            .zip(old.as_ref())
            .and_then(|(key, old)| Some((std::sync::Arc::clone(&old.text), old.range(key)?)));
        let text = match kept {
            Some((text, range)) => PartText::Kept(text, range),
            None => {
                rendered += 1;
                let ctx: BTreeMap<String, Value> = vars
                    .iter()
                    .map(|(name, (value, _))| (name.clone(), value.clone()))
                    .collect();
                PartText::Rendered(
                    template
                        .render(Value::from(ctx))
                        .map_err(|e| template_error_in(templates, &e, spec_parts.template))?,
                )
            }
        };
        texts.push(text);
    }
    crate::timings::note(|| {
        format!(
            "{}: rendered {rendered} of {} parts",
            spec.path,
            parts.len()
        )
    });
    Ok(texts)
}

/// The parts of one file while its template places them: `part(i)` gives
/// part `i`'s text, once (so each is freed as soon as it is written, and a
/// file and all its parts are never held at once), and notes where in the
/// file it went, so the next run can find it there.
struct Assembly {
    texts: std::sync::Arc<std::sync::Mutex<Vec<Option<PartText>>>>,
    /// What each part is, to find it again in the file.
    expected: Vec<Expected>,
    placed: std::sync::Arc<std::sync::Mutex<Vec<(usize, usize)>>>,
    position: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Assembly {
    fn new(texts: Vec<PartText>, writer: &mut ContentWriter<'_>) -> Self {
        let expected = texts
            .iter()
            .map(|text| match text {
                PartText::Kept(text, range) => {
                    Expected::Bytes(std::sync::Arc::clone(text), range.clone())
                }
                PartText::Rendered(text) => {
                    Expected::Sum(text.len(), Sha256::digest(text.as_bytes()).into())
                }
            })
            .collect();
        let position = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(writer.written));
        writer.position = Some(std::sync::Arc::clone(&position));
        Assembly {
            texts: std::sync::Arc::new(std::sync::Mutex::new(
                texts.into_iter().map(Some).collect(),
            )),
            expected,
            placed: std::sync::Arc::default(),
            position,
        }
    }

    /// `part(i)`, for the file's template.
    fn function(&self) -> Value {
        let texts = std::sync::Arc::clone(&self.texts);
        let placed = std::sync::Arc::clone(&self.placed);
        let position = std::sync::Arc::clone(&self.position);
        Value::from_function(move |i: usize| -> Result<Value, minijinja::Error> {
            let mut texts = texts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let count = texts.len();
            let text = texts.get_mut(i).and_then(Option::take).ok_or_else(|| {
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("part({i}): there are {count} parts, each placed once"),
                )
            })?;
            placed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((i, position.load(std::sync::atomic::Ordering::Relaxed)));
            Ok(Value::from(text.as_str()))
        })
    }

    /// Where each part is in `content`, with its key; nothing unless every
    /// part was placed once, in order, and is found exactly where noted (a
    /// template may place them otherwise, e.g. inside a filter block).
    fn records(self, content: &Content, parts: &[KeyedPart]) -> Vec<crate::manifest::PartRecord> {
        let placed = std::mem::take(
            &mut *self
                .placed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        let in_order = placed.len() == parts.len()
            && placed
                .iter()
                .enumerate()
                .all(|(expected, &(i, _))| i == expected);
        if !in_order {
            return Vec::new();
        }
        let Some(keys) = parts
            .iter()
            .map(|(_, key)| key.clone())
            .collect::<Option<Vec<_>>>()
        else {
            return Vec::new();
        };
        let ranges: Vec<(usize, usize)> = placed
            .iter()
            .zip(&self.expected)
            .map(|(&(_, at), expected)| (at, expected.len()))
            .collect();
        if !ranges_hold(content, &ranges, &self.expected) {
            return Vec::new();
        }
        keys.into_iter()
            .zip(ranges)
            .map(|(key, (at, len))| crate::manifest::PartRecord(key, at, len))
            .collect()
    }
}

/// What a placed part must be found to be: a kept part, its bytes in the
/// old file (held anyway while the file is rendered, so compared, not
/// hashed), or a rendered part's length and SHA-256 (its text is freed as
/// soon as it is written).
enum Expected {
    Bytes(std::sync::Arc<str>, std::ops::Range<usize>),
    Sum(usize, [u8; 32]),
}

impl Expected {
    fn len(&self) -> usize {
        match self {
            Expected::Bytes(_, range) => range.len(),
            Expected::Sum(len, _) => *len,
        }
    }
}

/// Whether each of `ranges` (`(at, len)`) of `content` holds what
/// `expected` says, read piece by piece.
fn ranges_hold(content: &Content, ranges: &[(usize, usize)], expected: &[Expected]) -> bool {
    let mut seen: Vec<usize> = vec![0; ranges.len()];
    let mut same = true;
    let mut hashers: Vec<Option<Sha256>> = expected
        .iter()
        .map(|e| matches!(e, Expected::Sum(..)).then(Sha256::new))
        .collect();
    let covered = range_chunks(content, ranges, |i, chunk| match &expected[i] {
        Expected::Bytes(text, range) => {
            let want = &text.as_bytes()[range.clone()];
            let from = seen[i];
            same &= want.get(from..from + chunk.len()) == Some(chunk);
            seen[i] += chunk.len();
        }
        Expected::Sum(..) => {
            if let Some(hasher) = &mut hashers[i] {
                Digest::update(hasher, chunk);
            }
        }
    });
    covered
        && same
        && expected
            .iter()
            .zip(hashers)
            .all(|(e, hasher)| match (e, hasher) {
                (Expected::Sum(_, sum), Some(hasher)) => Digest::finalize(hasher)[..] == sum[..],
                _ => true,
            })
}

/// Calls `f(i, chunk)` with the bytes of each of `ranges` (`(at, len)`,
/// sorted, not overlapping) of `content` in order, read piece by piece;
/// `false` when the content ends before the last range, or the ranges
/// overlap or are out of order.
fn range_chunks(
    content: &Content,
    ranges: &[(usize, usize)],
    mut f: impl FnMut(usize, &[u8]),
) -> bool {
    let mut next = 0;
    // The range being read, and where it ends.
    let mut open: Option<(usize, usize)> = None;
    let mut offset = 0;
    let read = content.for_each_piece(|piece| {
        let mut rest = piece;
        loop {
            if let Some((i, end)) = open {
                let take = (end - offset).min(rest.len());
                f(i, &rest[..take]);
                offset += take;
                rest = &rest[take..];
                if offset < end {
                    return Ok(());
                }
                open = None;
            }
            let Some(&(at, len)) = ranges.get(next) else {
                return Ok(());
            };
            if at < offset {
                // Overlapping or unsorted: not a layout `records` trusts.
                return Err(std::io::ErrorKind::InvalidData.into());
            }
            let skip = (at - offset).min(rest.len());
            offset += skip;
            rest = &rest[skip..];
            if offset < at {
                return Ok(());
            }
            next += 1;
            if len > 0 {
                open = Some((next - 1, at + len));
            }
            if rest.is_empty() && open.is_some() {
                return Ok(());
            }
        }
    });
    // Empty ranges at the very end of the content.
    while open.is_none()
        && ranges
            .get(next)
            .is_some_and(|&(at, len)| len == 0 && at == offset)
    {
        next += 1;
    }
    read.is_ok() && open.is_none() && next == ranges.len()
}

/// `modules[i]` of the serialised context, without serialising it again.
pub fn item(ctx: &Value, list: &str, index: usize) -> Value {
    ctx.get_attr(list)
        .and_then(|l| l.get_item(&Value::from(index)))
        .expect("index comes from the same context")
}

/// Renders every spec. All failures are collected; nothing is returned
/// unless everything rendered.
/// `held` counts the bytes of text held by every plan of the run (see `Content`).
pub fn render(
    env: &Environment<'static>,
    templates: &TemplateSet,
    header: &Header,
    base: &[(&'static str, Value)],
    specs: Vec<FileSpec>,
    held: &std::sync::atomic::AtomicUsize,
    reuse: &Reuse<'_>,
) -> Result<Vec<PlannedFile>, Diagnostics> {
    let mut diags = Diagnostics::new();
    if specs.len() > MAX_FILES {
        diags.push(Diagnostic::error(
            "too-many-files",
            format!(
                "this would generate {} files; parasol stops at {MAX_FILES}",
                specs.len()
            ),
        ));
        return Err(diags);
    }
    let header_value = crate::render::value(header);
    let header_line = Value::from(header.one_line());
    let Reuse { keys, previous } = reuse;
    let ctx_value = base
        .iter()
        .find(|(name, _)| *name == "ctx")
        .map(|(_, value)| value);
    let render_one = |spec: &FileSpec| -> Result<PlannedFile, Diagnostic> {
        check_relative_path(&spec.path)
            .map_err(|e| Diagnostic::error("unsafe-path", format!("refusing to plan {e}")))?;
        let template = env
            .get_template(spec.template)
            .map_err(|e| template_error(templates, &e))?;
        let mut vars: BTreeMap<String, (Value, Origin)> = BTreeMap::new();
        for (name, value) in base {
            vars.insert(name.to_string(), (value.clone(), Origin::Shared));
        }
        for (name, value) in &spec.vars {
            vars.insert(name.to_string(), (value.clone(), Origin::Own));
        }
        for &(name, list, index) in &spec.items {
            let ctx = ctx_value.expect("`ctx` is a base variable");
            vars.insert(
                name.to_string(),
                (item(ctx, list, index), Origin::Item(list, index)),
            );
        }
        vars.insert("header".into(), (header_value.clone(), Origin::Shared));
        vars.insert("header_line".into(), (header_line.clone(), Origin::Shared));
        vars.insert(
            "path".into(),
            (Value::from(spec.path.as_str()), Origin::Own),
        );
        let comment = header.comment_for(&spec.path, spec.ownership);
        let ownership = match spec.ownership {
            Ownership::Generated => "generated",
            Ownership::User => "user",
        };
        let fixed = [
            ownership,
            spec.path.as_str(),
            comment.as_deref().unwrap_or(""),
        ];
        let frame_key = keys.key(spec.template, &fixed, &vars);
        // Each part's variables and key: the file's, and the item.
        let parts: Vec<KeyedPart> = match &spec.parts {
            None => Vec::new(),
            Some(parts) => {
                let ctx = ctx_value.expect("`ctx` is a base variable");
                (0..parts.count)
                    .map(|i| {
                        let mut part_vars = vars.clone();
                        part_vars.insert(
                            parts.name.to_string(),
                            (item(ctx, parts.list, i), Origin::Item(parts.list, i)),
                        );
                        let key = keys.key(parts.template, &fixed, &part_vars);
                        (part_vars, key)
                    })
                    .collect()
            }
        };
        let key = match &spec.parts {
            None => frame_key,
            Some(_) => frame_key.and_then(|frame| {
                let mut hasher = Sha256::new();
                Digest::update(&mut hasher, frame.as_bytes());
                for (_, key) in &parts {
                    Digest::update(&mut hasher, key.as_deref()?.as_bytes());
                }
                Some(crate::hash::hex(&Digest::finalize(hasher)))
            }),
        };
        let planned = |content, sha256, parts| PlannedFile {
            path: spec.path.clone(),
            content,
            ownership: spec.ownership,
            sha256,
            needs: spec.needs.clone(),
            key: key.clone(),
            parts,
        };
        if let Some(sha256) = key.as_ref().and_then(|k| previous.reusable(&spec.path, k)) {
            let recorded = previous.recorded_parts(&spec.path);
            return Ok(planned(
                Content::on_disk(previous.path_of(&spec.path)),
                sha256,
                recorded,
            ));
        }
        let mut ctx: BTreeMap<String, Value> = vars
            .into_iter()
            .map(|(name, (value, _))| (name, value))
            .collect();
        // Rendered straight after the header into one writer that hashes,
        // and packs if the plan already holds enough.
        let mut writer = ContentWriter::new(held);
        if let Some(comment) = &comment {
            std::io::Write::write_all(&mut writer, comment.as_bytes()).expect("writing to memory");
        }
        let assembly = match &spec.parts {
            Some(spec_parts) => {
                let texts = part_texts(env, templates, previous, spec, spec_parts, &parts)?;
                let assembly = Assembly::new(texts, &mut writer);
                ctx.insert("part".into(), assembly.function());
                Some(assembly)
            }
            None => None,
        };
        template
            .render_captured_to(Value::from(ctx), &mut writer)
            .map_err(|e| template_error_in(templates, &e, spec.template))?;
        let (content, sha256) = writer.finish();
        let records = match assembly {
            Some(assembly) => assembly.records(&content, &parts),
            None => Vec::new(),
        };
        Ok(planned(content, sha256, records))
    };
    let results = crate::par::map(&specs, render_one);
    crate::timings::note(|| {
        let kept = results
            .iter()
            .filter(|r| r.as_ref().is_ok_and(|f| f.content.is_on_disk()))
            .count();
        format!(
            "rendered {} of {} files (kept {kept} unchanged inputs)",
            results.len() - kept,
            results.len()
        )
    });
    let mut files = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(file) => files.push(file),
            Err(d) => diags.push(d),
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for pair in files.windows(2) {
        if pair[0].path == pair[1].path {
            diags.push(Diagnostic::error(
                "name-collision",
                format!("two files would be written to `{}`", pair[0].path),
            ));
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(files)
    }
}

/// Renders in order on as many threads as pay off: rendering is CPU-bound
/// and independent per file.
#[cfg(test)]
mod tests {
    use super::*;

    fn written(
        text: &str,
        budget: usize,
        held: &std::sync::atomic::AtomicUsize,
    ) -> (Content, String) {
        let mut writer = ContentWriter::new(held);
        writer.budget = budget;
        // In small writes, as templates write.
        for chunk in text.as_bytes().chunks(7) {
            std::io::Write::write_all(&mut writer, chunk).unwrap();
        }
        writer.finish()
    }

    #[test]
    fn content_past_the_budget_is_packed_and_reads_back_the_same() {
        let text: String = (0..200_000)
            .map(|i| format!("    let value = compute(input, {});\n", i % 7))
            .collect();
        let held = std::sync::atomic::AtomicUsize::new(0);
        let (plain, plain_sha) = written(&text, usize::MAX, &held);
        assert!(matches!(plain.0, Held::Text(_)));
        let (packed, packed_sha) = written(&text, 0, &held);
        let Held::Packed(blocks) = &packed.0 else {
            panic!("over budget, content is packed");
        };
        assert!(blocks.len() > 1, "large texts pack block by block");
        assert!(blocks.iter().map(Vec::len).sum::<usize>() < text.len() / 2);
        assert_eq!(packed.text(), text);
        assert_eq!(plain_sha, packed_sha);
        assert_eq!(plain_sha, crate::hash::sha256(text.as_bytes()));
        assert!(packed.is(text.as_bytes()));
        assert!(!packed.is(&text.as_bytes()[..text.len() - 1]));
        let mut longer = text.clone().into_bytes();
        longer.push(b'x');
        assert!(!packed.is(&longer));
        let mut changed = text.into_bytes();
        changed[1_500_000] = b'#';
        assert!(!packed.is(&changed));
    }

    #[test]
    fn ranges_are_read_across_packed_blocks_and_checked_as_kept_or_hashed() {
        let text: String = (0..300_000).map(|i| format!("line {i}\n")).collect();
        let old: std::sync::Arc<str> = std::sync::Arc::from(text.as_str());
        let held = std::sync::atomic::AtomicUsize::new(0);
        let kept = |at: usize, len: usize| Expected::Bytes(old.clone(), at..at + len);
        let summed = |at: usize, len: usize| {
            Expected::Sum(len, Sha256::digest(&text.as_bytes()[at..at + len]).into())
        };
        // Across the 1 MiB block boundary, empty ones, one at the very end.
        let ranges = [
            (0, 0),
            (0, 10),
            (10, 0),
            (1_048_000, 1_000),
            (2_000_000, 5),
            (text.len(), 0),
        ];
        for budget in [usize::MAX, 0] {
            let (content, _) = written(&text, budget, &held);
            let as_kept: Vec<Expected> = ranges.iter().map(|&(at, len)| kept(at, len)).collect();
            let as_summed: Vec<Expected> =
                ranges.iter().map(|&(at, len)| summed(at, len)).collect();
            assert!(ranges_hold(&content, &ranges, &as_kept), "budget {budget}");
            assert!(
                ranges_hold(&content, &ranges, &as_summed),
                "budget {budget}"
            );
            // A part found elsewhere than noted, either way.
            let mut moved = ranges;
            moved[3].0 += 1;
            assert!(!ranges_hold(&content, &moved, &as_kept), "budget {budget}");
            assert!(
                !ranges_hold(&content, &moved, &as_summed),
                "budget {budget}"
            );
        }
        let (content, _) = written(&text, 0, &held);
        // Past the end, overlapping, out of order: not trusted.
        let past = [(0, 10), (text.len() - 2, 10)];
        let overlapping = [(0, 10), (5, 10)];
        let unsorted = [(20, 10), (0, 10)];
        for bad in [past, overlapping, unsorted] {
            let expected: Vec<Expected> = bad
                .iter()
                .map(|&(at, len)| kept(at, len.min(text.len() - at)))
                .collect();
            assert!(!range_chunks(&content, &bad, |_, _| {}), "{bad:?}");
            assert!(!ranges_hold(&content, &bad, &expected), "{bad:?}");
        }
    }

    #[test]
    fn content_always_ends_with_a_newline() {
        let held = std::sync::atomic::AtomicUsize::new(0);
        assert_eq!(written("a", usize::MAX, &held).0.text(), "a\n");
        assert_eq!(written("a\n", usize::MAX, &held).0.text(), "a\n");
        assert_eq!(written("", usize::MAX, &held).0.text(), "\n");
    }

    #[test]
    fn relative_paths_are_contained() {
        assert!(check_relative_path("src/modules/order/mod.rs").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "a/../b",
            "a//b",
            "a\\b",
            "nul/x.rs",
            "con.rs",
            "a/b.",
            "x\0y",
        ] {
            assert!(check_relative_path(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn headers_follow_the_file_type() {
        let h = Header {
            spec_file: "x.bc.yaml".into(),
            command: "parasol bc generate X".into(),
        };
        assert!(
            h.comment_for("a.rs", Ownership::Generated)
                .unwrap()
                .starts_with("// @generated")
        );
        assert!(
            h.comment_for("Cargo.toml", Ownership::Generated)
                .unwrap()
                .starts_with("# @generated")
        );
        assert!(
            h.comment_for("README.md", Ownership::Generated)
                .unwrap()
                .starts_with("<!-- @generated")
        );
        assert!(
            h.comment_for("package.json", Ownership::Generated)
                .is_none()
        );
        assert!(
            h.comment_for("ops.rs", Ownership::User)
                .unwrap()
                .contains("This file is yours")
        );
    }
}
