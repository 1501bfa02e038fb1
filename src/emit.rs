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
//! Writes are atomic (a temporary file in the same folder, then a rename),
//! never follow a symbolic link inside the output root, and the manifest is
//! written last to match what is actually on disk, also after a failure.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use crate::diag::{Diagnostic, Location, display_path};
use crate::manifest::{self, Entry, MANIFEST_PATH, Manifest};
use crate::plan::{Content, Ownership, Plan, PlannedFile};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write { force: bool },
    DryRun,
    Diff,
    Check,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Unchanged,
    SkippedUserEdited,
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
            Action::Conflict => "conflict",
            Action::DeleteStale => "delete-stale",
        }
    }

    /// Whether the tree differs from what the spec generates.
    pub fn is_drift(self) -> bool {
        matches!(
            self,
            Action::Create | Action::Update | Action::Conflict | Action::DeleteStale
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
    pub fn count(&self, action: Action) -> usize {
        self.files.iter().filter(|f| f.action == action).count()
    }

    pub fn drift(&self) -> bool {
        self.manifest_drift || self.files.iter().any(|f| f.action.is_drift())
    }

    /// Conflicts left in place (not forced).
    pub fn conflicts(&self) -> impl Iterator<Item = &Outcome> {
        self.files
            .iter()
            .filter(|f| f.action == Action::Conflict && !f.done)
    }

    pub fn summary(&self) -> String {
        let parts: Vec<String> = [
            Action::Create,
            Action::Update,
            Action::DeleteStale,
            Action::Conflict,
            Action::SkippedUserEdited,
            Action::Unchanged,
        ]
        .iter()
        .filter_map(|&a| {
            let n = self.count(a);
            (n > 0).then(|| format!("{n} {}", a.label()))
        })
        .collect();
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
        replace_file(path, |file| {
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

/// Writes `path`, creating its folder; see `replace_file`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    replace_file(path, |file| file.write_all(bytes))
}

/// Writes through a temporary sibling (in an existing folder) and a rename, so the file holds either
/// its old or its new content whatever happens. Keeps an existing file's
/// permissions. No fsync: atomic against crashes of parasol, not power loss.
fn replace_file(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.parasol-tmp"));
    let create = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
    };
    let result = (|| {
        // A leftover from a killed run is replaced.
        let mut file = match create() {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                std::fs::remove_file(&tmp)?;
                create()?
            }
            other => other?,
        };
        fill(&mut file)?;
        drop(file);
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The output root to work in. A root that is itself a symbolic link is
/// followed once (documented: users link output folders); links inside it
/// never are.
pub fn resolve_root(root: &Path) -> PathBuf {
    match std::fs::symlink_metadata(root) {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
        }
        _ => root.to_path_buf(),
    }
}

enum OnDisk {
    Missing,
    /// Exactly the planned content (not kept: nothing to do with it).
    Same,
    File(Vec<u8>),
    /// Cannot be written: a link, a folder, or a link or file on the way.
    Blocked(String),
}

/// The bytes of `rel` under `root`, if it is a file reached without links.
pub fn read_unlinked(root: &Path, rel: &str) -> Option<Vec<u8>> {
    match inspect(root, rel) {
        OnDisk::File(bytes) => Some(bytes),
        _ => None,
    }
}

/// Looks at `rel` under `root` without following any link.
fn inspect(root: &Path, rel: &str) -> OnDisk {
    let mut current = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        current.push(part);
        let last = i + 1 == parts.len();
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let shown = parts[..=i].join("/");
                return OnDisk::Blocked(format!(
                    "`{shown}` is a symbolic link; parasol never writes or deletes through links"
                ));
            }
            Ok(meta) if !last && !meta.is_dir() => {
                let shown = parts[..=i].join("/");
                return OnDisk::Blocked(format!("`{shown}` is a file where a folder is needed"));
            }
            Ok(meta) if last && meta.is_dir() => {
                return OnDisk::Blocked("a folder is in the way".into());
            }
            Ok(_) if last => {
                return match std::fs::read(&current) {
                    Ok(bytes) => OnDisk::File(bytes),
                    Err(e) => OnDisk::Blocked(format!("cannot read it: {e}")),
                };
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return OnDisk::Missing,
            Err(e) => return OnDisk::Blocked(e.to_string()),
        }
    }
    OnDisk::Missing
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
    let root = resolve_root(&plan.root);
    let force = matches!(mode, Mode::Write { force: true });
    let want_diff = matches!(mode, Mode::Diff | Mode::Check);
    let mut errors = Vec::new();
    let old_manifest = match Manifest::read(&root) {
        Ok(m) => m,
        Err(reason) => {
            errors.push(
                Diagnostic::warning(
                    "manifest",
                    format!("ignoring unreadable manifest: {reason}"),
                )
                .at(Location::bare(display_path(&Manifest::path(&root)), 1, 1))
                .with_help("files that differ from the plan are treated as edited by hand"),
            );
            None
        }
    };
    let old_files = old_manifest
        .as_ref()
        .map(|m| m.files.clone())
        .unwrap_or_default();
    let mut outcomes: Vec<Outcome> = Vec::with_capacity(plan.files.len());
    // New manifest entries, decided per file below.
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut hashes: BTreeMap<String, String> = BTreeMap::new();

    // Reading and hashing the tree is most of the work on an unchanged
    // tree: done in parallel, keeping only the bytes of files that differ.
    let looks = crate::par::map(&plan.files, |file| {
        let disk = match inspect(&root, &file.path) {
            OnDisk::File(bytes) if file.content.is(&bytes) => OnDisk::Same,
            other => other,
        };
        let planned_hash = (file.ownership == Ownership::Generated).then(|| file.sha256.clone());
        (disk, planned_hash)
    });
    for (file, (disk, planned_hash)) in plan.files.iter().zip(looks) {
        let (action, reason) = match (&disk, file.ownership) {
            (OnDisk::Blocked(why), _) => (Action::Conflict, Some(why.clone())),
            (OnDisk::Missing, _) => (Action::Create, None),
            (OnDisk::Same, _) => (Action::Unchanged, None),
            (OnDisk::File(_), Ownership::User) => (
                Action::SkippedUserEdited,
                Some("user-owned; parasol never changes it".into()),
            ),
            (OnDisk::File(bytes), Ownership::Generated) => {
                let recorded = old_files.get(&file.path).and_then(|e| e.sha256.as_deref());
                if recorded == Some(manifest::sha256(bytes).as_str()) {
                    (Action::Update, None)
                } else if recorded.is_some() {
                    (
                        Action::Conflict,
                        Some("edited by hand; `--force` overwrites it".into()),
                    )
                } else {
                    (
                        Action::Conflict,
                        Some(
                            "not written by parasol (no manifest record); `--force` overwrites it"
                                .into(),
                        ),
                    )
                }
            }
        };
        let diff = match (&disk, want_diff && action.is_drift()) {
            (OnDisk::File(bytes), true) => Some(unified_diff(
                &file.path,
                &String::from_utf8_lossy(bytes),
                &file.content.text(),
            )),
            (OnDisk::Missing, true) => Some(unified_diff(&file.path, "", &file.content.text())),
            _ => None,
        };
        // What the manifest records if this file is not written now.
        let keep = old_files.get(&file.path).cloned();
        match (action, file.ownership) {
            (Action::Unchanged, Ownership::Generated) => {
                entries.insert(
                    file.path.clone(),
                    Entry {
                        owner: Ownership::Generated,
                        sha256: planned_hash.clone(),
                    },
                );
            }
            (_, Ownership::User) if action != Action::Create => {
                entries.insert(
                    file.path.clone(),
                    Entry {
                        owner: Ownership::User,
                        sha256: None,
                    },
                );
            }
            _ => {
                if let Some(entry) = keep {
                    entries.insert(file.path.clone(), entry);
                }
            }
        }
        if let Some(hash) = planned_hash {
            hashes.insert(file.path.clone(), hash);
        }
        outcomes.push(Outcome {
            path: file.path.clone(),
            action,
            reason,
            diff,
            done: false,
            notable: false,
        });
    }

    // Files the spec no longer produces.
    let planned: BTreeSet<&str> = plan.files.iter().map(|f| f.path.as_str()).collect();
    for (path, entry) in &old_files {
        if planned.contains(path.as_str()) {
            continue;
        }
        if entry.owner == Ownership::User {
            // Never touched; said once, then forgotten by the manifest.
            if matches!(inspect(&root, path), OnDisk::File(_) | OnDisk::Same) {
                outcomes.push(Outcome {
                    path: path.clone(),
                    action: Action::SkippedUserEdited,
                    reason: Some(
                        "user-owned and no longer used: delete it if you do not need it".into(),
                    ),
                    diff: None,
                    done: false,
                    notable: true,
                });
            }
            continue;
        }
        match inspect(&root, path) {
            OnDisk::Missing | OnDisk::Same => {}
            OnDisk::Blocked(why) => {
                entries.insert(path.clone(), entry.clone());
                outcomes.push(Outcome {
                    path: path.clone(),
                    action: Action::Conflict,
                    reason: Some(format!("no longer generated, but {why}")),
                    diff: None,
                    done: false,
                    notable: false,
                });
            }
            OnDisk::File(bytes) => {
                let unedited = entry.sha256.as_deref() == Some(manifest::sha256(&bytes).as_str());
                entries.insert(path.clone(), entry.clone());
                outcomes.push(Outcome {
                    path: path.clone(),
                    action: if unedited {
                        Action::DeleteStale
                    } else {
                        Action::Conflict
                    },
                    reason: Some(if unedited {
                        "no longer generated".into()
                    } else {
                        "no longer generated, but edited by hand; kept (`--force` deletes it)"
                            .into()
                    }),
                    diff: want_diff
                        .then(|| unified_diff(path, &String::from_utf8_lossy(&bytes), "")),
                    done: false,
                    notable: false,
                });
            }
        }
    }
    outcomes.sort_by(|a, b| a.path.cmp(&b.path));

    let mut manifest_drift = false;
    if let Mode::Write { .. } = mode {
        let by_path: HashMap<&str, &PlannedFile> =
            plan.files.iter().map(|f| (f.path.as_str(), f)).collect();
        // What each outcome asks of the disk, then all of it in parallel:
        // files are independent, and folders are pruned only afterwards.
        let changes: Vec<Option<Change>> = outcomes
            .iter()
            .map(|outcome| {
                let blocked = outcome.reason.as_deref().is_some_and(|r| {
                    r.contains("symbolic link")
                        || r.contains("in the way")
                        || r.contains("where a folder")
                });
                let planned = by_path.get(outcome.path.as_str()).copied();
                match (outcome.action, planned) {
                    (Action::Create | Action::Update, Some(file)) => Some(Change::Write(file)),
                    (Action::Conflict, Some(file)) if force && !blocked => {
                        Some(Change::Write(file))
                    }
                    (Action::Conflict, None) if force && !blocked => Some(Change::Remove),
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
                    let sha256 = match file.ownership {
                        Ownership::Generated => hashes.get(&outcome.path).cloned(),
                        Ownership::User => None,
                    };
                    entries.insert(
                        outcome.path.clone(),
                        Entry {
                            owner: file.ownership,
                            sha256,
                        },
                    );
                }
                (Ok(()), Change::Remove) => {
                    outcome.done = true;
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
            prune_empty(&root, &dir);
        }
        // The tree is exactly as planned: later runs may trust it (`fresh`).
        let clean = errors.is_empty()
            && outcomes.iter().all(|o| {
                o.done || matches!(o.action, Action::Unchanged | Action::SkippedUserEdited)
            });
        let manifest = Manifest {
            parasol: manifest::FORMAT_VERSION,
            recipe: plan.recipe.clone(),
            spec: plan.spec_path.clone(),
            files: entries,
            inputs: if clean { plan.inputs.clone() } else { None },
        };
        let text = manifest.to_text();
        let unchanged = old_manifest.as_ref().is_some_and(|old| old == &manifest);
        if !unchanged {
            if let Err(e) = write_atomic(&Manifest::path(&root), text.as_bytes()) {
                errors.push(
                    Diagnostic::error("write-failed", format!("cannot write the manifest: {e}"))
                        .at(Location::bare(display_path(&Manifest::path(&root)), 1, 1)),
                );
            }
        }
    } else {
        // What the manifest would be after a plain write of everything planned.
        let mut would: BTreeMap<String, Entry> = BTreeMap::new();
        for file in &plan.files {
            let sha256 = hashes.get(&file.path).cloned();
            would.insert(
                file.path.clone(),
                Entry {
                    owner: file.ownership,
                    sha256,
                },
            );
        }
        let expected = Manifest {
            parasol: manifest::FORMAT_VERSION,
            recipe: plan.recipe.clone(),
            spec: plan.spec_path.clone(),
            files: would,
            // A cache, not content: never drift.
            inputs: old_manifest.as_ref().and_then(|m| m.inputs.clone()),
        };
        manifest_drift = old_manifest.as_ref() != Some(&expected);
    }

    Report {
        root: display_path(&root),
        files: outcomes,
        manifest_drift,
        errors,
    }
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
        let label = match (mode, f.action, f.done) {
            (Mode::Write { .. }, Action::Create, true) => "created",
            (Mode::Write { .. }, Action::Update, true) => "updated",
            (Mode::Write { .. }, Action::DeleteStale, true) => "deleted",
            (Mode::Write { .. }, Action::Conflict, true) => "forced",
            (Mode::Check, Action::Create, _) => "missing",
            (Mode::Check, Action::Update, _) => "stale",
            (Mode::Check, Action::Conflict, _) => "edited",
            (Mode::Check, Action::DeleteStale, _) => "obsolete",
            _ => f.action.label(),
        };
        let _ = write!(out, "  {label:<20} {}", f.path);
        if let Some(reason) = &f.reason {
            let _ = write!(out, "  ({reason})");
        }
        out.push('\n');
        if matches!(mode, Mode::Diff | Mode::Check) {
            if let Some(diff) = &f.diff {
                for line in diff.lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
    }
    if report.manifest_drift
        && matches!(mode, Mode::Check)
        && !report.files.iter().any(|f| f.action.is_drift())
    {
        let _ = writeln!(out, "  {:<20} {MANIFEST_PATH}", "stale");
    }
    let _ = writeln!(out, "  {}", report.summary());
    out
}
