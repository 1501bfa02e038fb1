//! Regeneration never loses a user's work: a property test over random
//! sequences of edits (to user-owned and to generated files), spec changes
//! (modules, operations and events added, renamed, removed), plain and
//! forced regeneration, `parasol check`, and a deleted manifest, run with
//! the real binary. After every step:
//!
//! - a user-owned file's content is never lost, `--force` or not;
//! - an edited generated file is never overwritten without `--force`
//!   (regeneration then exits 1), and one the spec no longer produces is
//!   kept until `--force`;
//! - an unedited file the spec no longer produces is removed;
//! - `parasol check` is clean right after a plain regeneration that exited 0.
//!
//! `PARASOL_REGEN_CASES` sets how many sequences are tried (default 24).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

use crate::support::*;

/// The spec as the test changes it: modules with operations and events.
#[derive(Debug, Clone)]
struct Model {
    modules: Vec<ModuleModel>,
    next_id: usize,
}

#[derive(Debug, Clone)]
struct ModuleModel {
    name: String,
    ops: Vec<String>,
    /// Operations that emit an event.
    emitting: BTreeSet<String>,
}

impl Model {
    fn initial() -> Model {
        Model {
            modules: vec![
                ModuleModel {
                    name: "catalog".into(),
                    ops: vec!["rename".into()],
                    emitting: BTreeSet::from(["rename".to_string()]),
                },
                ModuleModel {
                    name: "billing".into(),
                    ops: vec!["charge".into(), "refund".into()],
                    emitting: BTreeSet::new(),
                },
            ],
            next_id: 0,
        }
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    fn render(&self) -> String {
        use heck::ToUpperCamelCase;
        let mut out = String::from("parasol: 1\nbounded_context:\n  name: Shop\n  modules:\n");
        let mut events = String::new();
        for module in &self.modules {
            let aggregate = module.name.to_upper_camel_case();
            out.push_str(&format!(
                "    {}:\n      aggregates:\n        {aggregate}:\n          fields: {{ label: string, amount: int }}\n",
                module.name
            ));
            if !module.ops.is_empty() {
                out.push_str("      api:\n");
            }
            for op in &module.ops {
                out.push_str(&format!(
                    "        {op}:\n          input: {{ id: string }}\n"
                ));
                if module.emitting.contains(op) {
                    let event = format!("{}.{op}_done", module.name);
                    out.push_str(&format!("          emits: [{event}]\n"));
                    events.push_str(&format!(
                        "    {event}:\n      entity: {aggregate}\n      metadata: {{ id: string }}\n"
                    ));
                }
            }
        }
        if !events.is_empty() {
            out.push_str("  events:\n");
            out.push_str(&events);
        }
        out
    }
}

#[derive(Debug, Clone)]
enum Step {
    EditUserFile(usize),
    EditGeneratedFile(usize),
    AddModule,
    RemoveModule(usize),
    RenameModule(usize),
    AddOp(usize, bool),
    RemoveOp(usize),
    RenameOp(usize),
    ToggleEvent(usize),
    Regenerate { force: bool },
    DeleteManifest(bool),
    Check,
}

fn step() -> impl Strategy<Value = Step> {
    let any_index = any::<usize>();
    prop_oneof![
        3 => any_index.prop_map(Step::EditUserFile),
        3 => any_index.prop_map(Step::EditGeneratedFile),
        1 => Just(Step::AddModule),
        1 => any_index.prop_map(Step::RemoveModule),
        1 => any_index.prop_map(Step::RenameModule),
        2 => (any_index, any::<bool>()).prop_map(|(m, emits)| Step::AddOp(m, emits)),
        1 => any_index.prop_map(Step::RemoveOp),
        1 => any_index.prop_map(Step::RenameOp),
        1 => any_index.prop_map(Step::ToggleEvent),
        4 => Just(Step::Regenerate { force: false }),
        1 => Just(Step::Regenerate { force: true }),
        1 => any::<bool>().prop_map(Step::DeleteManifest),
        1 => Just(Step::Check),
    ]
}

/// What the test knows the output folder must hold.
struct World {
    dir: tempfile::TempDir,
    model: Model,
    /// User-owned files the test edited: their content must never change.
    user_edits: BTreeMap<PathBuf, String>,
    /// Generated files the test edited and parasol must keep (until `--force`).
    generated_edits: BTreeMap<PathBuf, String>,
    edits: usize,
    /// A manifest was deleted: parasol cannot tell its files from hand-made
    /// ones, so it keeps any that differ (exit 1) until `--force`.
    orphaned: bool,
    /// The Rust manifest was deleted once: from then on parasol cannot tell
    /// its default user-owned files from edited ones, and treats them as
    /// edited (they may then need an edit when the spec changes).
    rust_manifest_lost: bool,
    log: Vec<String>,
}

impl World {
    fn new() -> World {
        let world = World {
            dir: tempfile::tempdir().unwrap(),
            model: Model::initial(),
            user_edits: BTreeMap::new(),
            generated_edits: BTreeMap::new(),
            rust_manifest_lost: false,
            edits: 0,
            orphaned: false,
            log: Vec::new(),
        };
        world.write_spec();
        world
    }

    fn spec(&self) -> PathBuf {
        self.dir.path().join("shop.bc.yaml")
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn roots(&self) -> [PathBuf; 2] {
        [self.out().join("rust/shop"), self.out().join("ts/shop")]
    }

    fn write_spec(&self) {
        std::fs::write(self.spec(), self.model.render()).unwrap();
    }

    /// The manifest entries of both output folders: path -> owner.
    fn manifest(&self) -> BTreeMap<PathBuf, String> {
        self.manifest_under(&self.out())
    }

    /// The manifest entries of both output folders under `out`.
    fn manifest_under(&self, out: &Path) -> BTreeMap<PathBuf, String> {
        let mut files = BTreeMap::new();
        for root in [out.join("rust/shop"), out.join("ts/shop")] {
            let Ok(text) = std::fs::read_to_string(root.join(".parasol/manifest.json")) else {
                continue;
            };
            let manifest: Value = serde_json::from_str(&text).unwrap();
            for (path, entry) in manifest["files"].as_object().unwrap() {
                let owner = entry["owner"].as_str().unwrap().to_string();
                files.insert(root.join(path), owner);
            }
        }
        files
    }

    fn files_owned_by(&self, owner: &str) -> Vec<PathBuf> {
        self.manifest()
            .into_iter()
            .filter(|(path, o)| o == owner && path.is_file())
            .map(|(path, _)| path)
            .collect()
    }

    /// Every file in the output folders, manifests aside.
    fn tree(&self) -> BTreeSet<PathBuf> {
        walkdir::WalkDir::new(self.out())
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .filter(|p| !p.components().any(|c| c.as_os_str() == ".parasol"))
            .collect()
    }

    fn edit(&mut self, path: &Path) -> String {
        self.edits += 1;
        let mut content = std::fs::read_to_string(path).unwrap();
        content.push_str(&format!("// hand edit {}\n", self.edits));
        std::fs::write(path, &content).unwrap();
        content
    }

    fn parasol(&self, args: &[&str]) -> Run {
        parasol_in(self.dir.path(), args)
    }

    fn regenerate(&mut self, force: bool) -> Result<(), String> {
        let before = self.manifest();
        let spec = self.spec();
        let out = self.out();
        let mut args = vec![
            "bc",
            "generate",
            "--spec",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        if force {
            args.push("--force");
        }
        let run = self.parasol(&args);
        // A file of the user's that the new spec no longer fits fails the
        // run (`needs-edit`), forced or not; only ever one the user edited.
        let needs_edit: Vec<&str> = run
            .stdout
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("needs-edit"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        for path in &needs_edit {
            if !self.rust_manifest_lost && !self.user_edits.keys().any(|p| p.ends_with(path)) {
                return Err(format!(
                    "needs-edit for {path}, which the user never edited:\n{}",
                    run.stdout
                ));
            }
        }
        let needs_edit = !needs_edit.is_empty();
        let after = self.manifest();
        let planned: BTreeSet<&PathBuf> = after.keys().collect();
        if force {
            if run.code != 0 && !needs_edit {
                return Err(format!("forced regeneration failed:\n{}", run.stderr));
            }
            self.orphaned = false;
            // Forced: edits of generated files parasol knows are gone
            // (overwritten, or deleted if stale). A file no manifest knows
            // (its manifest was deleted) is never parasol's to delete.
            for (path, content) in std::mem::take(&mut self.generated_edits) {
                if planned.contains(&path) {
                    continue;
                }
                if before.contains_key(&path) {
                    if path.exists() {
                        return Err(format!("--force kept stale edited {}", path.display()));
                    }
                } else {
                    self.user_edits.insert(path, content);
                }
            }
        } else {
            let conflicts = !self.generated_edits.is_empty();
            let expected = if conflicts {
                run.code == 1
            } else {
                run.code == 0 || ((self.orphaned || needs_edit) && run.code == 1)
            };
            if !expected {
                return Err(format!(
                    "exit {} with {} edited generated file(s):\n{}{}",
                    run.code,
                    self.generated_edits.len(),
                    run.stdout,
                    run.stderr
                ));
            }
            if run.code == 0 {
                let check = self.parasol(&["check", "--out", out.to_str().unwrap()]);
                if check.code != 0 {
                    return Err(format!(
                        "check after a clean regeneration:\n{}{}",
                        check.stdout, check.stderr
                    ));
                }
                self.same_as_from_scratch()?;
            }
            // Unedited files the spec dropped are gone.
            for (path, owner) in &before {
                let dropped = !planned.contains(path);
                let edited = self.generated_edits.contains_key(path);
                if owner == "generated" && dropped && !edited && path.exists() {
                    return Err(format!("stale {} was not removed", path.display()));
                }
            }
        }
        Ok(())
    }

    /// Regeneration renders only the files whose inputs changed (see
    /// `incremental`): every generated file must still be exactly what a
    /// run from scratch writes for the same spec.
    fn same_as_from_scratch(&self) -> Result<(), String> {
        // Beside the output, so headers name the spec the same way.
        let scratch = self.dir.path().join("scratch");
        let run = try_generate(&self.spec(), &scratch, "rust,ts");
        let mut result = Ok(());
        if run.code != 0 {
            result = Err(format!("generating from scratch failed:\n{}", run.stderr));
        }
        for (path, owner) in self.manifest_under(&scratch) {
            let relative = path.strip_prefix(&scratch).unwrap();
            let ours = std::fs::read(self.out().join(relative)).ok();
            if owner == "generated" && ours != std::fs::read(&path).ok() {
                result = Err(format!(
                    "{} differs from a generation from scratch",
                    relative.display()
                ));
                break;
            }
        }
        std::fs::remove_dir_all(&scratch).unwrap();
        result
    }

    /// The invariants that hold after every step.
    fn check_invariants(&self) -> Result<(), String> {
        for (path, content) in self.user_edits.iter().chain(&self.generated_edits) {
            match std::fs::read_to_string(path) {
                Ok(now) if now == *content => {}
                Ok(_) => return Err(format!("{} lost its edit", path.display())),
                Err(_) => return Err(format!("{} was deleted", path.display())),
            }
        }
        // Nothing outside the output folders and the spec.
        for entry in std::fs::read_dir(self.dir.path()).unwrap() {
            let name = entry.unwrap().file_name();
            let name = name.to_string_lossy();
            if name != "out" && name != "shop.bc.yaml" {
                return Err(format!("unexpected `{name}` beside the output"));
            }
        }
        // No temporary files left behind.
        if let Some(tmp) = self
            .tree()
            .iter()
            .find(|p| p.to_string_lossy().ends_with(".parasol-tmp"))
        {
            return Err(format!("temporary file left: {}", tmp.display()));
        }
        Ok(())
    }

    fn apply(&mut self, step: &Step) -> Result<(), String> {
        self.log.push(format!("{step:?}"));
        match *step {
            Step::EditUserFile(k) => {
                let files = self.files_owned_by("user");
                if !files.is_empty() {
                    let path = files[k % files.len()].clone();
                    let content = self.edit(&path);
                    self.user_edits.insert(path, content);
                }
            }
            Step::EditGeneratedFile(k) => {
                let files: Vec<PathBuf> = self
                    .files_owned_by("generated")
                    .into_iter()
                    .filter(|p| !p.to_string_lossy().ends_with(".json"))
                    .collect();
                if !files.is_empty() {
                    let path = files[k % files.len()].clone();
                    let content = self.edit(&path);
                    self.generated_edits.insert(path, content);
                }
            }
            Step::AddModule => {
                let name = self.model.fresh("area");
                self.model.modules.push(ModuleModel {
                    name,
                    ops: vec!["start".into()],
                    emitting: BTreeSet::new(),
                });
                self.write_spec();
            }
            Step::RemoveModule(k) => {
                if self.model.modules.len() > 1 {
                    let i = k % self.model.modules.len();
                    self.model.modules.remove(i);
                    self.write_spec();
                }
            }
            Step::RenameModule(k) => {
                let name = self.model.fresh("renamed");
                let i = k % self.model.modules.len();
                self.model.modules[i].name = name;
                self.write_spec();
            }
            Step::AddOp(k, emits) => {
                let op = self.model.fresh("act");
                let i = k % self.model.modules.len();
                let module = &mut self.model.modules[i];
                if emits {
                    module.emitting.insert(op.clone());
                }
                module.ops.push(op);
                self.write_spec();
            }
            Step::RemoveOp(k) => {
                let i = k % self.model.modules.len();
                let module = &mut self.model.modules[i];
                if !module.ops.is_empty() {
                    let op = module.ops.remove(k % module.ops.len());
                    module.emitting.remove(&op);
                    self.write_spec();
                }
            }
            Step::RenameOp(k) => {
                let name = self.model.fresh("op");
                let i = k % self.model.modules.len();
                let module = &mut self.model.modules[i];
                if !module.ops.is_empty() {
                    let j = k % module.ops.len();
                    let old = std::mem::replace(&mut module.ops[j], name.clone());
                    if module.emitting.remove(&old) {
                        module.emitting.insert(name);
                    }
                    self.write_spec();
                }
            }
            Step::ToggleEvent(k) => {
                let i = k % self.model.modules.len();
                let module = &mut self.model.modules[i];
                if !module.ops.is_empty() {
                    let op = module.ops[k % module.ops.len()].clone();
                    if !module.emitting.remove(&op) {
                        module.emitting.insert(op);
                    }
                    self.write_spec();
                }
            }
            Step::Regenerate { force } => self.regenerate(force)?,
            Step::DeleteManifest(rust) => {
                let root = &self.roots()[usize::from(!rust)];
                if std::fs::remove_file(root.join(".parasol/manifest.json")).is_ok() {
                    self.orphaned = true;
                    self.rust_manifest_lost |= rust;
                }
            }
            Step::Check => {
                // Whatever it says, it writes nothing.
                let before = snapshot(&self.out());
                self.parasol(&["check", "--out", self.out().to_str().unwrap()]);
                if snapshot(&self.out()) != before {
                    return Err("`parasol check` changed the output".into());
                }
            }
        }
        self.check_invariants()
    }
}

/// Every file under `dir` with its content.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), std::fs::read(e.path()).unwrap()))
        .collect()
}

#[test]
fn regeneration_never_loses_a_users_work() {
    let cases = std::env::var("PARASOL_REGEN_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        // Each case runs the binary a few dozen times; shrinking stays short.
        max_shrink_iters: 64,
        ..Config::default()
    });
    let steps = proptest::collection::vec(step(), 4..16);
    let total_steps = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&steps, |steps| {
        let mut world = World::new();
        // Start from a generated tree.
        world
            .regenerate(false)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for step in &steps {
            total_steps.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Err(e) = world.apply(step) {
                return Err(TestCaseError::fail(format!(
                    "{e}\nafter: {}",
                    world.log.join(", ")
                )));
            }
        }
        Ok(())
    });
    let total_steps = total_steps.into_inner();
    eprintln!("regeneration: {cases} sequences, {total_steps} steps");
    if let Err(e) = result {
        panic!("{e}");
    }
}
