//! Writes are atomic and recoverable: the writer is made to fail at every
//! possible point of a regeneration (an injected error, as a full disk
//! gives), and each time every file holds either its old or its new
//! content, the manifest matches what is on disk, and the next run
//! completes the regeneration without reporting a single conflict.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use parasol::diag::Diagnostics;
use parasol::emit::{Action, Disk, Mode, Sink, emit};
use parasol::generators::{Lang, Renderer, plan_bc};
use parasol::manifest::{Manifest, sha256};
use parasol::plan::{Content, Ownership, Plan};
use parasol::render::{self, TemplateSet};
use parasol::targets::Requested;

use crate::support::*;

/// Plans `bc generate --lang rust` of `text` (no bundles) into `root`.
fn plan(text: &str, root: &Path) -> Plan {
    let mut diags = Diagnostics::new();
    let ctx =
        parasol::load::load_text("shop.bc.yaml", text.as_bytes(), &mut diags).expect("a context");
    assert!(!diags.has_errors(), "{}", diags.render_human());
    let templates = TemplateSet::builtin();
    let renderer = Renderer::new(&templates, parasol::incremental::Trust::Manifest);
    let value = render::value(&ctx);
    let spec = root.join("shop.bc.yaml");
    plan_bc(
        &renderer,
        &ctx,
        &value,
        &Requested::default(),
        Lang::Rust,
        root,
        &spec,
    )
    .unwrap_or_else(|d| panic!("{}", d.render_human()))
}

/// The disk, until the `fail_at`-th change (from 0), which fails as a full disk does.
struct FailingDisk {
    disk: Disk,
    changes: AtomicUsize,
    fail_at: usize,
}

impl FailingDisk {
    fn new(fail_at: usize) -> Self {
        FailingDisk {
            disk: Disk::new(),
            changes: AtomicUsize::new(0),
            fail_at,
        }
    }

    fn change(&self) -> std::io::Result<()> {
        let n = self.changes.fetch_add(1, Ordering::SeqCst);
        if n == self.fail_at {
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "no space left on device (injected)",
            ))
        } else {
            Ok(())
        }
    }
}

impl Sink for FailingDisk {
    fn write(&self, path: &Path, content: &Content) -> std::io::Result<()> {
        self.change()?;
        self.disk.write(path, content)
    }

    fn remove(&self, path: &Path) -> std::io::Result<()> {
        self.change()?;
        self.disk.remove(path)
    }
}

/// Compares trees by path, naming the paths that differ.
#[track_caller]
fn assert_same(actual: &BTreeMap<String, String>, expected: &BTreeMap<String, String>, what: &str) {
    let differing: Vec<&String> = actual
        .keys()
        .chain(expected.keys())
        .filter(|p| actual.get(*p) != expected.get(*p))
        .collect();
    assert!(differing.is_empty(), "{what}: {differing:?} differ");
}

fn contents(plan: &Plan) -> BTreeMap<String, String> {
    plan.files
        .iter()
        .map(|f| (f.path.clone(), f.content.text().into_owned()))
        .collect()
}

/// The canonical spec, and a change of it that adds, updates and deletes
/// files (a module gone, a field and an operation added).
fn versions() -> (String, String) {
    let old = std::fs::read_to_string(canonical_spec()).unwrap();
    let start = old.find("    catalog:\n").unwrap();
    let end = old.find("    inventory:\n").unwrap();
    let mut new = format!("{}{}", &old[..start], &old[end..]);
    new = new.replace("productId: Product", "productId: string");
    new = new.replace("      depends_on: [catalog]\n", "");
    new = new.replace(
        "            onHand: int\n",
        "            onHand: int\n            bin: string\n",
    );
    new = new.replace(
        "        release:\n",
        "        recount:\n          input: { stockItemId: string }\n        release:\n",
    );
    new = new.replace(
        "\n  events:\n",
        "    shipping:\n      aggregates:\n        Parcel:\n          fields: { weight: int }\n\n  events:\n",
    );
    // Events about the removed module go too.
    let events_start = new.find("    product.price_changed:\n").unwrap();
    let events_end = new.find("    inventory.reserved:\n").unwrap();
    new.replace_range(events_start..events_end, "");
    (old, new)
}

#[test]
fn a_write_failing_at_any_point_leaves_old_or_new_files_and_a_true_manifest() {
    let (old_text, new_text) = versions();
    let scratch = tempfile::tempdir().unwrap();
    let old_plan = plan(&old_text, &scratch.path().join("probe"));
    let new_plan = plan(&new_text, &scratch.path().join("probe"));
    let old_files = contents(&old_plan);
    let new_files = contents(&new_plan);
    let left_behind: Vec<String> = old_plan
        .files
        .iter()
        .filter(|f| f.ownership == Ownership::User && !new_files.contains_key(&f.path))
        .map(|f| f.path.clone())
        .collect();
    assert!(!left_behind.is_empty());

    // How many changes a clean regeneration makes.
    let root = scratch.path().join("count");
    emit(
        &plan(&old_text, &root),
        Mode::Write { force: false },
        &Disk::new(),
    );
    let counting = FailingDisk::new(usize::MAX);
    let report = emit(
        &plan(&new_text, &root),
        Mode::Write { force: false },
        &counting,
    );
    assert!(report.errors.is_empty());
    let total = counting.changes.load(Ordering::SeqCst);
    assert!(
        report.files.iter().any(|f| f.action == Action::DeleteStale)
            && report.files.iter().any(|f| f.action == Action::Update)
            && report.files.iter().any(|f| f.action == Action::Create),
        "the change creates, updates and deletes files"
    );

    for fail_at in 0..total {
        let root = scratch.path().join(format!("run-{fail_at}"));
        emit(
            &plan(&old_text, &root),
            Mode::Write { force: false },
            &Disk::new(),
        );
        let disk = FailingDisk::new(fail_at);
        let report = emit(&plan(&new_text, &root), Mode::Write { force: false }, &disk);
        assert_eq!(report.errors.len(), 1, "failure {fail_at} is reported");

        // Each file is old or new, never anything else.
        let on_disk = output_tree(&root);
        for (path, content) in &on_disk {
            let old = old_files.get(path) == Some(content);
            let new = new_files.get(path) == Some(content);
            assert!(
                old || new,
                "{path} is neither old nor new after failure {fail_at}"
            );
        }
        for path in new_files.keys().filter(|p| !old_files.contains_key(*p)) {
            // A file being created is there whole or not at all.
            if let Some(content) = on_disk.get(path) {
                assert_eq!(content, &new_files[path]);
            }
        }
        assert!(
            !on_disk.keys().any(|p| p.ends_with(".parasol-tmp")),
            "no temporary file is left"
        );

        // The manifest records exactly what is on disk.
        let manifest = Manifest::read(&root).unwrap().expect("a manifest");
        for (path, entry) in &manifest.files {
            let content = on_disk
                .get(path)
                .unwrap_or_else(|| panic!("{path} is in the manifest but not on disk"));
            if let Some(recorded) = &entry.sha256 {
                assert_eq!(
                    recorded,
                    &sha256(content.as_bytes()),
                    "{path}: manifest and disk disagree after failure {fail_at}"
                );
            }
        }
        for path in on_disk.keys() {
            // User-owned files the spec dropped are left, and forgotten.
            assert!(
                manifest.files.contains_key(path) || left_behind.contains(path),
                "{path} is on disk but not in the manifest after failure {fail_at}"
            );
        }

        // The next run finishes the job, with no conflict.
        let report = emit(
            &plan(&new_text, &root),
            Mode::Write { force: false },
            &Disk::new(),
        );
        assert!(report.errors.is_empty(), "rerun after failure {fail_at}");
        assert!(
            !report.files.iter().any(|f| f.action == Action::Conflict),
            "rerun after failure {fail_at} reports a conflict"
        );
        // Nobody edited the user-owned files, so they follow the spec like
        // the rest (updated, or deleted once dropped): the tree is the new one.
        assert_same(
            &output_tree(&root),
            &new_files,
            &format!("rerun after failure {fail_at}"),
        );
    }
    eprintln!("safety: a failure injected at each of {total} points");
}

/// A symbolic link inside the output folder that points outside it is never
/// written through or deleted through.
#[cfg(unix)]
#[test]
fn links_out_of_the_output_folder_are_never_followed() {
    let (text, _) = versions();
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("out");
    emit(
        &plan(&text, &root),
        Mode::Write { force: false },
        &Disk::new(),
    );
    let outside = scratch.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("app.rs"), "outside\n").unwrap();
    // A generated file replaced by a link, and a generated folder too.
    std::fs::remove_file(root.join("src/app.rs")).unwrap();
    std::os::unix::fs::symlink(outside.join("app.rs"), root.join("src/app.rs")).unwrap();
    std::fs::remove_dir_all(root.join("src/modules/catalog")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("src/modules/catalog")).unwrap();

    for force in [false, true] {
        let report = emit(&plan(&text, &root), Mode::Write { force }, &Disk::new());
        assert!(
            report.files.iter().any(|f| f
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("symbolic link"))),
            "the links are reported"
        );
        let outside_files: Vec<PathBuf> = std::fs::read_dir(&outside)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(
            outside_files,
            [outside.join("app.rs")],
            "nothing written outside"
        );
        assert_eq!(
            std::fs::read_to_string(outside.join("app.rs")).unwrap(),
            "outside\n"
        );
    }
}
