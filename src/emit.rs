//! Stage 6 (emit): the only stage that touches the output folder.
//!
//! One function, four modes: write, dry-run, diff and check. For every
//! planned file it decides an action by comparing the disk with the plan and
//! the manifest:
//!
//! | file | on disk | action |
//! |---|---|---|
//! | generated | missing | `create` |
//! | generated | same content | `unchanged` |
//! | generated | as parasol last wrote it | `update` |
//! | generated | edited by hand (or unknown to the manifest) | `conflict`: kept unless `--force` |
//! | user-owned | missing | `create` |
//! | user-owned | present | `unchanged` or `skipped-user-edited`: never touched |
//! | no longer planned | as parasol wrote it | `delete-stale` |
//! | no longer planned | edited by hand | `conflict`: kept unless `--force` |
//!
//! The output folder is untrusted input (see `outdir`): the manifest of
//! every folder of a run is read and checked (`open`) before any of them
//! is touched, nothing is written, renamed or deleted through a link, and
//! one run at a time holds a folder's lock.
//!
//! A run that changes anything first records its intent: the files it is
//! about to write and the hash of their new content, in
//! `.parasol/intent.json`. Then the files change, each atomically, and the
//! manifest is written to match the disk and the intent removed. A run
//! killed at any point leaves every file with content parasol can
//! recognise as its own, so the next run finishes the job without a false
//! conflict and removes the killed run's temporary files.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use crate::diag::{Diagnostic, Location, display_path};
use crate::incremental::Trust;
use crate::manifest::{self, Entry, INTENT_PATH, MANIFEST_PATH, Manifest, ManifestError, Need};
use crate::outdir::{self, OnDisk as Seen};
use crate::plan::{Content, Ownership, Plan, PlannedFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write { force: bool },
    DryRun,
    Diff,
    Check,
}

impl Mode {
    /// What a run in this mode believes of the manifest (`Trust`):
    /// checking believes nothing, and neither does `--force`, which makes
    /// the output exactly what the spec says.
    pub fn trust(self) -> Trust {
        match self {
            Mode::Check | Mode::Write { force: true } => Trust::Nothing,
            Mode::Write { force: false } | Mode::DryRun | Mode::Diff => Trust::Manifest,
        }
    }
}

/// What the plan asks for one file (also the `action` of the JSON report).
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
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Unchanged,
    SkippedUserEdited,
    /// A user-owned file the generated code no longer fits: what to
    /// change in it is the reason. Never written; the run fails.
    NeedsEdit,
    Conflict,
    DeleteStale,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Unchanged => "unchanged",
            Action::SkippedUserEdited => "skipped-user-edited",
            Action::NeedsEdit => "needs-edit",
            Action::Conflict => "conflict",
            Action::DeleteStale => "delete-stale",
        }
    }

    /// Whether the tree differs from what the spec generates.
    pub fn is_drift(self) -> bool {
        matches!(
            self,
            Action::Create
                | Action::Update
                | Action::Conflict
                | Action::DeleteStale
                | Action::NeedsEdit
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub path: String,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Set when the action was carried out (write mode).
    #[serde(skip)]
    pub done: bool,
    /// Worth a line even when nothing changes (a user-owned file left behind).
    #[serde(skip)]
    pub notable: bool,
    /// A link, a folder or a file on the way: never written, even with `--force`.
    #[serde(skip)]
    pub blocked: bool,
}

impl Outcome {
    pub fn new(path: impl Into<String>, action: Action) -> Self {
        Outcome {
            path: path.into(),
            action,
            reason: None,
            diff: None,
            done: false,
            notable: false,
            blocked: false,
        }
    }

    fn because(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The word a report shows for this file in `mode`.
    pub fn label(&self, mode: Mode) -> &'static str {
        match (mode, self.action, self.done) {
            (Mode::Write { .. }, Action::Create, true) => "created",
            (Mode::Write { .. }, Action::Update, true) => "updated",
            (Mode::Write { .. }, Action::DeleteStale, true) => "deleted",
            (Mode::Write { .. }, Action::Conflict, true) => "forced",
            (Mode::Write { .. }, Action::Create | Action::Update | Action::DeleteStale, false) => {
                "failed"
            }
            (Mode::Check, Action::Create, _) => "missing",
            (Mode::Check, Action::Update, _) => "stale",
            (Mode::Check, Action::DeleteStale, _) => "obsolete",
            _ => self.action.label(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub root: String,
    pub files: Vec<Outcome>,
    /// The manifest differs from what would be written (check mode).
    pub manifest_drift: bool,
    #[serde(skip)]
    pub errors: Vec<Diagnostic>,
}

impl Report {
    pub fn drift(&self) -> bool {
        self.manifest_drift || self.files.iter().any(|f| f.action.is_drift())
    }

    /// Conflicts left in place (not forced).
    pub fn conflicts(&self) -> impl Iterator<Item = &Outcome> {
        self.files
            .iter()
            .filter(|f| f.action == Action::Conflict && !f.done)
    }

    /// User-owned files the generated code no longer fits.
    pub fn needs_edit(&self) -> impl Iterator<Item = &Outcome> {
        self.files.iter().filter(|f| f.action == Action::NeedsEdit)
    }

    /// One line counting the files by what happened to them, in `mode`'s words.
    pub fn summary(&self, mode: Mode) -> String {
        const ORDER: [&str; 14] = [
            "created",
            "updated",
            "deleted",
            "forced",
            "create",
            "update",
            "delete-stale",
            "missing",
            "stale",
            "obsolete",
            "conflict",
            "needs-edit",
            "failed",
            "skipped-user-edited",
        ];
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for file in &self.files {
            *counts.entry(file.label(mode)).or_default() += 1;
        }
        let mut parts: Vec<String> = ORDER
            .iter()
            .chain(&["unchanged"])
            .filter_map(|label| counts.get(label).map(|n| format!("{n} {label}")))
            .collect();
        if self.files.is_empty() && !self.errors.is_empty() {
            parts.push("nothing done".into());
        }
        if parts.is_empty() {
            "nothing to do".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Where bytes go. The real one writes atomically to disk; tests inject
/// failures through their own. Called from several threads at once, for
/// different files.
pub trait Sink: Sync {
    fn write(&self, path: &Path, content: &Content) -> std::io::Result<()>;
    fn remove(&self, path: &Path) -> std::io::Result<()>;
}

/// The file system.
#[derive(Default)]
pub struct Disk {
    /// Folders known to exist, so each is created (or checked) once per run.
    folders: Mutex<HashSet<PathBuf>>,
}

impl Disk {
    pub fn new() -> Self {
        Disk::default()
    }
}

impl Sink for Disk {
    fn write(&self, path: &Path, content: &Content) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let known = self
            .folders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(dir);
        if !known {
            std::fs::create_dir_all(dir)?;
            self.folders
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(dir.to_path_buf());
        }
        outdir::replace_file(path, |file| {
            content.for_each_piece(|piece| file.write_all(piece))
        })
    }

    fn remove(&self, path: &Path) -> std::io::Result<()> {
        std::fs::remove_file(path)
    }
}

/// One change `emit` makes on disk.
enum Change<'p> {
    Write(&'p PlannedFile),
    Remove,
}

/// Writes `path`, a file the user named (not under an output root),
/// creating its folder; atomic as generated files are.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    outdir::replace_file(path, |file| file.write_all(bytes))
}

/// A planned file as found on disk.
enum OnDisk {
    Missing,
    /// Exactly the planned content (not kept: nothing to do with it).
    Same,
    File(Vec<u8>),
    Blocked(String),
}

fn inspect(root: &Path, rel: &str) -> OnDisk {
    match outdir::inspect(root, rel) {
        Seen::Missing => OnDisk::Missing,
        Seen::File(bytes) => OnDisk::File(bytes),
        Seen::Blocked(why) => OnDisk::Blocked(why),
    }
}

fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// Compares the plan with the disk and, in write mode, makes the disk match.
pub fn emit(plan: &Plan, mode: Mode, sink: &dyn Sink) -> Report {
    open(plan, mode, None).emit(sink)
}

/// An output folder opened for one plan: its manifest read once and
/// checked, before anything in any folder of the run changes. Locked then
/// when that creates nothing; otherwise (a new folder, or one cloned
/// without its lock file) locked when emitted, and its manifest read again
/// under the lock.
pub struct Opened<'p> {
    plan: &'p Plan,
    mode: Mode,
    root: PathBuf,
    /// Held until this folder is emitted: one run at a time per folder.
    lock: Option<outdir::Lock>,
    old_manifest: Option<Manifest>,
    errors: Vec<Diagnostic>,
    /// Why the whole run stops before any output is touched: the folder
    /// is a file, or its manifest cannot be trusted.
    refused: bool,
}

/// Reads `plan`'s output folder (see `Opened`). `named` is the folder the
/// user named (`--out`), which may be a link; the folders parasol adds
/// below it may not (without it, the output folder itself may not).
pub fn open<'p>(plan: &'p Plan, mode: Mode, named: Option<&Path>) -> Opened<'p> {
    let root = plan.root.clone();
    let mut opened = Opened {
        plan,
        mode,
        root,
        lock: None,
        old_manifest: None,
        errors: Vec::new(),
        refused: false,
    };
    let root = &opened.root;
    if let Some(problem) = outdir::link_problem(named.unwrap_or(root), root) {
        opened.errors.push(
            Diagnostic::error("output-is-a-link", problem).with_help(
                "remove the link; to write elsewhere, name that folder with `--out` (the folder you name may be a link)",
            ),
        );
        opened.refused = true;
        return opened;
    }
    if let Some(problem) = outdir::root_problem(root) {
        opened.errors.push(
            Diagnostic::error("output-not-a-folder", problem)
                .with_help("choose another `--out`, or move the file away"),
        );
        opened.refused = true;
        return opened;
    }
    if !matches!(mode, Mode::Write { .. }) {
        opened.lock = Some(outdir::lock_shared(root));
    } else if outdir::lock_creates_nothing(root) {
        // Failing, it is tried again (and said) when emitted; the
        // manifest is still checked now.
        opened.lock = outdir::lock_exclusive(root).ok();
    }
    opened.read_manifest();
    opened
}

impl Opened<'_> {
    /// Why the whole run must stop before any output is touched: this
    /// folder is a file, or its manifest cannot be trusted.
    pub fn refusal(&self) -> Option<&Diagnostic> {
        self.refused.then(|| self.errors.last()).flatten()
    }

    fn read_manifest(&mut self) {
        self.errors.clear();
        self.old_manifest = None;
        match Manifest::read(&self.root) {
            Ok(m) => self.old_manifest = m,
            Err(e @ ManifestError::Unreadable(_)) => self.errors.push(e.diagnostic(&self.root)),
            Err(e @ ManifestError::Unsafe { .. }) => {
                self.errors.push(e.diagnostic(&self.root));
                self.refused = true;
            }
        }
    }

    /// Compares the plan with the disk and, in write mode, makes the disk match.
    pub fn emit(mut self, sink: &dyn Sink) -> Report {
        let mut locking_failed = None;
        if !self.refused && self.lock.is_none() {
            let root = &self.root;
            match std::fs::create_dir_all(root).and_then(|()| outdir::lock_exclusive(root)) {
                Ok(lock) => {
                    self.lock = Some(lock);
                    // Read before the lock was held: another run may have
                    // written it since.
                    self.read_manifest();
                }
                Err(e) => locking_failed = Some(e),
            }
        }
        let mut report = Report {
            root: display_path(&self.root),
            files: Vec::new(),
            manifest_drift: false,
            errors: std::mem::take(&mut self.errors),
        };
        if let Some(e) = locking_failed {
            report.errors.push(
                Diagnostic::error(
                    "write-failed",
                    format!("cannot lock the output folder: {e}"),
                )
                .at(Location::bare(
                    display_path(&self.root.join(outdir::LOCK_PATH)),
                    1,
                    1,
                )),
            );
        } else if !self.refused {
            let old_manifest = self.old_manifest.take();
            emit_opened(
                self.plan,
                self.mode,
                sink,
                &self.root,
                old_manifest,
                &mut report,
            );
        }
        report
    }
}

fn emit_opened(
    plan: &Plan,
    mode: Mode,
    sink: &dyn Sink,
    root: &Path,
    old_manifest: Option<Manifest>,
    report: &mut Report,
) {
    let writing = matches!(mode, Mode::Write { .. });
    let no_files = BTreeMap::new();
    let old_files = old_manifest.as_ref().map_or(&no_files, |m| &m.files);
    if writing {
        // Only this run works here now: any temporary file is a killed run's.
        outdir::remove_leftovers(root, outdir::STATE_DIR);
        if old_manifest.as_ref().is_some_and(|m| m.incomplete) {
            let dirs: BTreeSet<&str> = old_files
                .keys()
                .map(String::as_str)
                .chain(plan.files.iter().map(|f| f.path.as_str()))
                .map(|p| p.rsplit_once('/').map_or("", |(dir, _)| dir))
                .collect();
            for dir in dirs {
                outdir::remove_leftovers(root, dir);
            }
        }
    }
    crate::timings::mark("emit: manifest read");
    let (mut outcomes, mut entries, hashes) = classify(plan, root, mode, old_files);
    crate::timings::mark("emit: classify");

    if writing {
        apply(
            plan,
            root,
            mode,
            sink,
            &mut outcomes,
            &mut entries,
            &hashes,
            old_manifest.as_ref(),
            &mut report.errors,
        );
    } else {
        // What the manifest would be after a plain write of everything planned.
        let mut would: BTreeMap<String, Entry> = BTreeMap::new();
        let actions: HashMap<&str, Action> = outcomes
            .iter()
            .map(|o| (o.path.as_str(), o.action))
            .collect();
        for file in &plan.files {
            let entry = match file.ownership {
                Ownership::Generated => Entry::generated(hashes.get(&file.path).cloned()),
                Ownership::User => match (actions.get(file.path.as_str()), entries.get(&file.path))
                {
                    (Some(Action::Create | Action::Update), _) | (_, None) => user_entry(file),
                    (_, Some(kept)) => kept.clone(),
                },
            };
            would.insert(file.path.clone(), entry);
        }
        let expected = Manifest {
            parasol: manifest::FORMAT_VERSION,
            recipe: plan.recipe.clone(),
            spec: plan.spec_path.clone(),
            files: would,
            incomplete: false,
            // A cache, not content: never drift.
            inputs: old_manifest.as_ref().and_then(|m| m.inputs.clone()),
        };
        report.manifest_drift = old_manifest.as_ref() != Some(&expected);
    }
    report.files = outcomes;
}

/// Why an edited user-owned file was left alone.
pub const USER_EDITED: &str = "yours, edited; parasol leaves it alone";

/// The manifest entry of user-owned `file` holding parasol's default.
fn user_entry(file: &PlannedFile) -> Entry {
    Entry::user(Some(file.sha256.clone()), file.needs.clone())
}

/// New manifest entries and the planned hash of each generated file.
type Classified = (
    Vec<Outcome>,
    BTreeMap<String, Entry>,
    BTreeMap<String, String>,
);

/// Decides what to do with every planned file and every file the old
/// manifest lists that is no longer planned.
fn classify(
    plan: &Plan,
    root: &Path,
    mode: Mode,
    old_files: &BTreeMap<String, Entry>,
) -> Classified {
    let want_diff = matches!(mode, Mode::Diff | Mode::Check);
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(plan.files.len());
    // New manifest entries, decided per file below.
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut hashes: BTreeMap<String, String> = BTreeMap::new();

    // Reading and hashing the tree is most of the work on an unchanged
    // tree: done in parallel, keeping only the bytes of files that differ.
    let looks = crate::par::map(&plan.files, |file| {
        if file.content.is_on_disk() {
            // Checked while planning: kept without rendering (`incremental`).
            return OnDisk::Same;
        }
        match inspect(root, &file.path) {
            OnDisk::File(bytes) if file.content.is(&bytes) => OnDisk::Same,
            other => other,
        }
    });
    for (file, disk) in plan.files.iter().zip(looks) {
        let old = old_files.get(&file.path);
        let mut outcome = match (&disk, file.ownership) {
            (OnDisk::Blocked(why), _) => {
                let mut o = Outcome::new(&file.path, Action::Conflict).because(why.clone());
                o.blocked = true;
                o
            }
            (OnDisk::Missing, _) => Outcome::new(&file.path, Action::Create),
            (OnDisk::Same, _) => Outcome::new(&file.path, Action::Unchanged),
            (OnDisk::File(bytes), Ownership::User) => {
                let hash = manifest::sha256(bytes);
                let old = old.filter(|e| e.owner == Ownership::User);
                if old.is_some_and(|e| e.written_by_parasol(&hash)) {
                    Outcome::new(&file.path, Action::Update)
                        .because("yours, but still parasol's default: kept in step with the spec")
                } else {
                    let no_needs = BTreeMap::new();
                    let before = old.map_or(&no_needs, |e| e.needs.get());
                    let problems =
                        Need::problems(&String::from_utf8_lossy(bytes), before, file.needs.get());
                    if problems.is_empty() {
                        Outcome::new(&file.path, Action::SkippedUserEdited).because(USER_EDITED)
                    } else {
                        Outcome::new(&file.path, Action::NeedsEdit).because(problems.join("\n"))
                    }
                }
            }
            (OnDisk::File(bytes), Ownership::Generated) => {
                let hash = manifest::sha256(bytes);
                match old {
                    Some(entry) if entry.written_by_parasol(&hash) => {
                        Outcome::new(&file.path, Action::Update)
                    }
                    Some(_) => Outcome::new(&file.path, Action::Conflict)
                        .because("edited by hand; `--force` overwrites it"),
                    None => Outcome::new(&file.path, Action::Conflict).because(
                        "not written by parasol (no manifest record); `--force` overwrites it",
                    ),
                }
            }
        };
        if want_diff && outcome.action.is_drift() {
            outcome.diff = match &disk {
                OnDisk::File(bytes) => Some(unified_diff(
                    &file.path,
                    &String::from_utf8_lossy(bytes),
                    &file.content.text(),
                )),
                OnDisk::Missing => Some(unified_diff(&file.path, "", &file.content.text())),
                _ => None,
            };
        }
        // What the manifest records if this file is not written now.
        match (outcome.action, file.ownership) {
            (Action::Unchanged, Ownership::Generated) => {
                entries.insert(
                    file.path.clone(),
                    Entry::generated(Some(file.sha256.clone())),
                );
            }
            (Action::Unchanged, Ownership::User) => {
                entries.insert(file.path.clone(), user_entry(file));
            }
            (Action::SkippedUserEdited, Ownership::User) => {
                // Fits the spec: what it must fit from now on is the new need.
                let sha = old.and_then(|e| e.sha256.clone());
                entries.insert(file.path.clone(), Entry::user(sha, file.needs.clone()));
            }
            _ => {
                if let Some(entry) = old {
                    entries.insert(file.path.clone(), entry.clone());
                }
            }
        }
        hashes.insert(file.path.clone(), file.sha256.clone());
        outcomes.push(outcome);
    }

    // Files the spec no longer produces.
    let planned: BTreeSet<&str> = plan.files.iter().map(|f| f.path.as_str()).collect();
    for (path, entry) in old_files {
        if planned.contains(path.as_str()) {
            continue;
        }
        if entry.owner == Ownership::User {
            let OnDisk::File(bytes) = inspect(root, path) else {
                continue;
            };
            if entry.written_by_parasol(&manifest::sha256(&bytes)) {
                // Still parasol's default: nothing of the user's is lost.
                entries.insert(path.clone(), entry.clone());
                outcomes.push(
                    Outcome::new(path, Action::DeleteStale)
                        .because("yours, but unedited and no longer used"),
                );
            } else {
                // Edited: never touched; said once, then forgotten by the manifest.
                let mut o = Outcome::new(path, Action::SkippedUserEdited)
                    .because("user-owned and no longer used: delete it if you do not need it");
                o.notable = true;
                outcomes.push(o);
            }
            continue;
        }
        match inspect(root, path) {
            OnDisk::Missing | OnDisk::Same => {}
            OnDisk::Blocked(why) => {
                entries.insert(path.clone(), entry.clone());
                let mut o = Outcome::new(path, Action::Conflict)
                    .because(format!("no longer generated, but {why}"));
                o.blocked = true;
                outcomes.push(o);
            }
            OnDisk::File(bytes) => {
                let unedited = entry.written_by_parasol(&manifest::sha256(&bytes));
                entries.insert(path.clone(), entry.clone());
                let mut o = if unedited {
                    Outcome::new(path, Action::DeleteStale).because("no longer generated")
                } else {
                    Outcome::new(path, Action::Conflict)
                        .because("no longer generated, but edited by hand; `--force` deletes it")
                };
                if want_diff {
                    o.diff = Some(unified_diff(path, &String::from_utf8_lossy(&bytes), ""));
                }
                outcomes.push(o);
            }
        }
    }
    outcomes.sort_by(|a, b| a.path.cmp(&b.path));
    (outcomes, entries, hashes)
}

/// Makes the disk match the decisions: intent recorded, files changed,
/// the manifest written to match.
#[allow(clippy::too_many_arguments)]
fn apply(
    plan: &Plan,
    root: &Path,
    mode: Mode,
    sink: &dyn Sink,
    outcomes: &mut [Outcome],
    entries: &mut BTreeMap<String, Entry>,
    hashes: &BTreeMap<String, String>,
    old_manifest: Option<&Manifest>,
    errors: &mut Vec<Diagnostic>,
) {
    let force = matches!(mode, Mode::Write { force: true });
    let by_path: HashMap<&str, &PlannedFile> =
        plan.files.iter().map(|f| (f.path.as_str(), f)).collect();
    // What each outcome asks of the disk, then all of it in parallel:
    // files are independent, and folders are pruned only afterwards.
    let changes: Vec<Option<Change>> = outcomes
        .iter()
        .map(|outcome| {
            let planned = by_path.get(outcome.path.as_str()).copied();
            match (outcome.action, planned) {
                (Action::Create | Action::Update, Some(file)) => Some(Change::Write(file)),
                (Action::Conflict, Some(file)) if force && !outcome.blocked => {
                    Some(Change::Write(file))
                }
                (Action::Conflict, None) if force && !outcome.blocked => Some(Change::Remove),
                (Action::DeleteStale, _) => Some(Change::Remove),
                _ => None,
            }
        })
        .collect();
    let work: Vec<(usize, &Change)> = changes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
        .collect();
    if !work.is_empty() {
        // The intent: every file about to be written may hold its new
        // content from now on, and that content is parasol's own. Only
        // those files are listed (the manifest is rewritten once, after),
        // with what an earlier run that did not finish was writing: until
        // this run's manifest is written, those files may hold it still.
        let mut pending: BTreeMap<String, manifest::PendingWrite> = old_manifest
            .into_iter()
            .flat_map(|m| &m.files)
            .filter_map(|(path, entry)| {
                let write = manifest::PendingWrite {
                    owner: entry.owner,
                    sha256: entry.pending.clone()?,
                    now: None,
                };
                Some((path.clone(), write))
            })
            .collect();
        for &(i, change) in &work {
            let (Change::Write(file), path) = (change, &outcomes[i].path) else {
                continue;
            };
            let Some(sha256) = hashes.get(path).cloned() else {
                continue;
            };
            // Rewriting what an unfinished run wrote: the file holds that
            // (or what the manifest records) until this write is done.
            let now = old_manifest
                .and_then(|m| m.files.get(path))
                .filter(|e| e.owner == file.ownership && e.pending.is_some())
                .and_then(|entry| match outdir::inspect(root, path) {
                    Seen::File(bytes) => {
                        let hash = manifest::sha256(&bytes);
                        entry.written_by_parasol(&hash).then_some(hash)
                    }
                    _ => None,
                });
            let owner = file.ownership;
            pending.insert(path.clone(), manifest::PendingWrite { owner, sha256, now });
        }
        let intent = manifest::Intent {
            parasol: manifest::FORMAT_VERSION,
            pending,
        };
        if let Err(e) = outdir::write_in(root, INTENT_PATH, intent.to_text().as_bytes()) {
            errors.push(
                Diagnostic::error(
                    "write-failed",
                    format!(
                        "cannot record what this run is about to write, so nothing was changed: {e}"
                    ),
                )
                .at(Location::bare(display_path(&root.join(INTENT_PATH)), 1, 1)),
            );
            return;
        }
        crate::timings::mark("emit: intent written");
    }
    let results = crate::par::map(&work, |&(i, change)| {
        let full = root.join(&outcomes[i].path);
        match change {
            Change::Write(file) => sink.write(&full, &file.content),
            Change::Remove => sink.remove(&full),
        }
    });
    let mut deleted_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    for (&(i, change), result) in work.iter().zip(results) {
        let outcome = &mut outcomes[i];
        let full = root.join(&outcome.path);
        match (result, change) {
            (Ok(()), Change::Write(file)) => {
                outcome.done = true;
                let entry = match file.ownership {
                    Ownership::Generated => Entry::generated(hashes.get(&outcome.path).cloned()),
                    Ownership::User => user_entry(file),
                };
                entries.insert(outcome.path.clone(), entry);
            }
            (Ok(()), Change::Remove) => {
                outcome.done = true;
                if outcome.action == Action::Conflict {
                    outcome.reason =
                        Some("no longer generated; edited by hand, deleted by `--force`".into());
                }
                entries.remove(&outcome.path);
                deleted_dirs.insert(full.parent().map(Path::to_path_buf).unwrap_or_default());
            }
            (Err(e), _) => errors.push(
                Diagnostic::error(
                    "write-failed",
                    format!("cannot update `{}`: {e}", outcome.path),
                )
                .at(Location::bare(display_path(&full), 1, 1)),
            ),
        }
    }
    for dir in deleted_dirs {
        prune_empty(root, &dir);
    }
    crate::timings::mark("emit: files written");
    // The tree is exactly as planned: later runs may trust it (`fingerprint`).
    let clean = errors.is_empty()
        && outcomes
            .iter()
            .all(|o| o.done || matches!(o.action, Action::Unchanged | Action::SkippedUserEdited));
    let manifest = Manifest {
        parasol: manifest::FORMAT_VERSION,
        recipe: plan.recipe.clone(),
        spec: plan.spec_path.clone(),
        files: std::mem::take(entries),
        incomplete: false,
        inputs: if clean { plan.inputs.clone() } else { None },
    };
    let unchanged = work.is_empty() && old_manifest.is_some_and(|old| old == &manifest);
    if unchanged {
        // Nothing written and nothing was pending (an intent left behind
        // makes the old manifest incomplete, so never equal).
    } else if let Err(e) = outdir::write_in(root, MANIFEST_PATH, manifest.to_text().as_bytes()) {
        errors.push(
            Diagnostic::error(
                "write-failed",
                format!("cannot write the manifest: {e}; the next run completes this one"),
            )
            .at(Location::bare(display_path(&Manifest::path(root)), 1, 1)),
        );
    } else if let Err(e) = outdir::remove_in(root, INTENT_PATH) {
        // The manifest is complete; a stale intent only makes the next run
        // regenerate in full. Said, since it would happen on every run.
        errors.push(
            Diagnostic::error(
                "write-failed",
                format!("cannot remove the finished run's intent: {e}"),
            )
            .at(Location::bare(display_path(&root.join(INTENT_PATH)), 1, 1)),
        );
    }
    crate::timings::mark("emit: manifest written");
}

/// Removes folders left empty by deletions, up to (not including) the root.
fn prune_empty(root: &Path, dir: &Path) {
    let mut current = dir.to_path_buf();
    while current.starts_with(root) && current != root {
        if std::fs::remove_dir(&current).is_err() {
            break;
        }
        match current.parent() {
            Some(parent) => current = parent.to_path_buf(),
            None => break,
        }
    }
}

/// Human-readable report lines.
pub fn render_report(report: &Report, mode: Mode, verbose: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}:", report.root);
    for f in &report.files {
        let show = match mode {
            Mode::DryRun => true,
            Mode::Diff | Mode::Check => f.action.is_drift(),
            Mode::Write { .. } => verbose || f.action.is_drift() || f.notable,
        };
        if !show {
            continue;
        }
        let label = f.label(mode);
        let _ = write!(out, "  {label:<20} {}", f.path);
        let mut reasons = f.reason.iter().flat_map(|r| r.lines());
        if let Some(first) = reasons.next() {
            let _ = write!(out, "  ({first})");
        }
        out.push('\n');
        // Several things to change in one file: one per line.
        for more in reasons {
            let _ = writeln!(out, "  {:<20} ({more})", "");
        }
        if matches!(mode, Mode::Diff | Mode::Check)
            && let Some(diff) = &f.diff
        {
            for line in diff.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    if report.manifest_drift
        && matches!(mode, Mode::Check)
        && !report.files.iter().any(|f| f.action.is_drift())
    {
        let _ = writeln!(out, "  {:<20} {MANIFEST_PATH}", "stale");
    }
    let _ = writeln!(out, "  {}", report.summary(mode));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn plan(root: &Path, files: &[(&str, &str)]) -> Plan {
        let files = files
            .iter()
            .map(|(path, text)| PlannedFile {
                path: path.to_string(),
                content: Content::from(text.to_string()),
                ownership: Ownership::Generated,
                sha256: manifest::sha256(text.as_bytes()),
                needs: Default::default(),
                key: None,
                parts: Vec::new(),
            })
            .collect();
        Plan {
            root: root.to_path_buf(),
            recipe: manifest::Recipe {
                command: "bc generate".into(),
                context: "X".into(),
                settings: serde_json::json!({}),
            },
            spec_path: "x.bc.yaml".into(),
            files,
            inputs: None,
        }
    }

    /// Writes to disk until `after` changes are done, then dies mid-run
    /// (a panic unwinds past emit, as a kill would leave the disk).
    struct Killed {
        after: usize,
        done: AtomicUsize,
    }

    impl Sink for Killed {
        fn write(&self, path: &Path, content: &Content) -> std::io::Result<()> {
            assert!(
                self.done.fetch_add(1, Ordering::SeqCst) < self.after,
                "killed"
            );
            Disk::new().write(path, content)
        }
        fn remove(&self, path: &Path) -> std::io::Result<()> {
            assert!(
                self.done.fetch_add(1, Ordering::SeqCst) < self.after,
                "killed"
            );
            Disk::new().remove(path)
        }
    }

    fn killed_after(plan: &Plan, after: usize) {
        let sink = Killed {
            after,
            done: AtomicUsize::new(0),
        };
        let write = Mode::Write { force: false };
        let run =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| emit(plan, write, &sink)));
        assert!(run.is_err(), "the run was to be killed");
    }

    fn clean_run(plan: &Plan) -> Report {
        let report = emit(plan, Mode::Write { force: false }, &Disk::new());
        let conflicts: Vec<_> = report.conflicts().map(|o| &o.path).collect();
        assert!(
            conflicts.is_empty() && report.errors.is_empty(),
            "{conflicts:?} {:?}",
            report.errors
        );
        report
    }

    /// A tree generated, then a run killed after writing `a` and not `b`.
    fn after_a_killed_run(root: &Path) {
        clean_run(&plan(root, &[("a", "a1\n"), ("b", "b1\n")]));
        killed_after(&plan(root, &[("a", "a2\n"), ("b", "b2\n")]), 1);
        assert_eq!(std::fs::read_to_string(root.join("a")).unwrap(), "a2\n");
        assert_eq!(std::fs::read_to_string(root.join("b")).unwrap(), "b1\n");
    }

    #[test]
    fn a_second_killed_run_keeps_what_the_first_wrote_as_parasols() {
        // The second run leaves `a` as the first wrote it.
        let dir = tempfile::tempdir().unwrap();
        after_a_killed_run(dir.path());
        killed_after(&plan(dir.path(), &[("a", "a2\n"), ("b", "b2\n")]), 0);
        clean_run(&plan(dir.path(), &[("a", "a3\n"), ("b", "b3\n")]));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a")).unwrap(),
            "a3\n"
        );
        assert!(!dir.path().join(INTENT_PATH).exists());

        // The second run rewrites `a`, and is killed before it does.
        let dir = tempfile::tempdir().unwrap();
        after_a_killed_run(dir.path());
        killed_after(&plan(dir.path(), &[("a", "a3\n"), ("b", "b3\n")]), 0);
        clean_run(&plan(dir.path(), &[("a", "a4\n"), ("b", "b4\n")]));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b")).unwrap(),
            "b4\n"
        );

        // An edit is still an edit.
        let dir = tempfile::tempdir().unwrap();
        after_a_killed_run(dir.path());
        std::fs::write(dir.path().join("a"), "mine\n").unwrap();
        let report = emit(
            &plan(dir.path(), &[("a", "a3\n"), ("b", "b3\n")]),
            Mode::Write { force: false },
            &Disk::new(),
        );
        assert_eq!(
            report
                .conflicts()
                .map(|o| o.path.as_str())
                .collect::<Vec<_>>(),
            ["a"]
        );
    }
}
