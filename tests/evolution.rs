//! Spec evolution never breaks silently: random sequences of spec edits
//! (operations, fields, aggregates, modules and events added, renamed and
//! removed; an event's metadata field renamed; a field's type changed;
//! the architecture switched) mixed with hand edits in user-owned files,
//! run with the real binary and the real toolchains. After every regeneration, either
//!
//! - it exits 0, `parasol check` is clean, and the crate builds and passes
//!   its tests and the package passes `tsc` and its tests; or
//! - it exits 1 and names a user-owned file the user edited (`needs-edit`),
//!   and `parasol check` exits 1 naming it too. The test then does what the
//!   message says (takes the new default and re-applies its edit) and the
//!   build must pass; or
//! - the spec edit made the spec invalid: refused with a `.bc.yaml:` location
//!   and nothing written.
//!
//! A hand edit is never lost unless the test itself resolved a `needs-edit`.
//!
//! `PARASOL_EVOLUTION_CASES` sequences (default 1) of
//! `PARASOL_EVOLUTION_STEPS` steps (default 5); `PARASOL_EVOLUTION_SEED`
//! replays one run.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use heck::ToLowerCamelCase;
use serde_json::Value;

use support::*;

const TYPES: &[&str] = &[
    "string",
    "int",
    "decimal",
    "uuid",
    "bool",
    "datetime",
    "datetime?",
    "string?",
    "list<string>",
    "{ enum: [draft, active, closed] }",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum OpKind {
    Create,
    Update,
    Query,
    Acknowledge,
}

#[derive(Debug, Clone)]
struct FieldModel {
    name: String,
    ty: &'static str,
}

#[derive(Debug, Clone)]
struct AggregateModel {
    name: String,
    fields: Vec<FieldModel>,
}

#[derive(Debug, Clone)]
struct OpModel {
    name: String,
    kind: OpKind,
    aggregate: String,
    emits: bool,
    /// The name of its event's one metadata field.
    metadata: String,
}

#[derive(Debug, Clone)]
struct ModuleModel {
    name: String,
    aggregates: Vec<AggregateModel>,
    ops: Vec<OpModel>,
}

/// The spec as the test changes it.
#[derive(Debug, Clone)]
struct Model {
    modules: Vec<ModuleModel>,
    counter: usize,
    /// The spec's `architecture:`, when it has one.
    architecture: Option<&'static str>,
}

impl Model {
    fn initial() -> Model {
        let mut model = Model {
            modules: Vec::new(),
            counter: 0,
            architecture: None,
        };
        let shelf = model.new_module("shelf", "Book");
        model.modules.push(shelf);
        model
    }

    fn fresh(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }

    fn new_module(&mut self, name: &str, aggregate: &str) -> ModuleModel {
        let n = self.fresh();
        ModuleModel {
            name: name.to_string(),
            aggregates: vec![AggregateModel {
                name: aggregate.to_string(),
                fields: vec![
                    FieldModel {
                        name: format!("title{n}"),
                        ty: "string",
                    },
                    FieldModel {
                        name: format!("count{n}"),
                        ty: "int",
                    },
                ],
            }],
            ops: vec![OpModel {
                name: format!("register{aggregate}{n}"),
                kind: OpKind::Create,
                aggregate: aggregate.to_string(),
                emits: true,
                metadata: "note".into(),
            }],
        }
    }

    fn render(&self) -> String {
        let mut out = String::from("parasol: 1\nbounded_context:\n  name: Evolving\n");
        if let Some(architecture) = self.architecture {
            let _ = writeln!(out, "  architecture: {architecture}");
        }
        out.push_str("  modules:\n");
        let mut events = String::new();
        let emitted: Vec<(String, &str)> = self
            .modules
            .iter()
            .flat_map(|m| {
                m.ops.iter().filter(|o| o.emits).map(move |o| {
                    (
                        format!("{}.{}_done", m.name, o.name.to_lowercase()),
                        o.metadata.as_str(),
                    )
                })
            })
            .collect();
        for (i, module) in self.modules.iter().enumerate() {
            let _ = writeln!(out, "    {}:", module.name);
            // The first module handles the other modules' events.
            let handled: Vec<&str> = emitted
                .iter()
                .map(|(event, _)| event.as_str())
                .filter(|event| i == 0 && !event.starts_with(&format!("{}.", module.name)))
                .collect();
            if !handled.is_empty() {
                let _ = writeln!(out, "      subscribes: [{}]", handled.join(", "));
            }
            out.push_str("      aggregates:\n");
            for agg in &module.aggregates {
                let _ = writeln!(out, "        {}:\n          fields:", agg.name);
                for f in &agg.fields {
                    let _ = writeln!(out, "            {}: {}", f.name, f.ty);
                }
            }
            if !module.ops.is_empty() {
                out.push_str("      api:\n");
            }
            for op in &module.ops {
                let agg = module
                    .aggregates
                    .iter()
                    .find(|a| a.name == op.aggregate)
                    .expect("an op's aggregate exists");
                let id = format!("{}Id", agg.name.to_lower_camel_case());
                let first = &agg.fields[0];
                let (input, output) = match op.kind {
                    OpKind::Create => (
                        agg.fields
                            .iter()
                            .map(|f| format!("{}: {}", f.name, f.ty))
                            .collect::<Vec<_>>()
                            .join(", "),
                        format!("{id}: string"),
                    ),
                    OpKind::Update => (
                        format!("{id}: string, {}: {}", first.name, first.ty),
                        String::new(),
                    ),
                    OpKind::Query => (
                        format!("{id}: string"),
                        format!("{}: {}", first.name, first.ty),
                    ),
                    OpKind::Acknowledge => ("note: string".to_string(), String::new()),
                };
                let _ = writeln!(out, "        {}:\n          input: {{ {input} }}", op.name);
                if !output.is_empty() {
                    let _ = writeln!(out, "          output: {{ {output} }}");
                }
                if op.emits {
                    let event = format!("{}.{}_done", module.name, op.name.to_lowercase());
                    let _ = writeln!(out, "          emits: [{event}]");
                    let _ = writeln!(
                        events,
                        "    {event}:\n      entity: {}\n      metadata: {{ {}: string? }}",
                        agg.name, op.metadata
                    );
                }
            }
        }
        if !events.is_empty() {
            out.push_str("  events:\n");
            out.push_str(&events);
            // A read model over every event, with a view field per metadata
            // name: its default projections copy the events' fields, so an
            // event's field renamed changes what a kept projection reads.
            let mut fields: Vec<&str> = emitted.iter().map(|(_, field)| *field).collect();
            fields.sort();
            fields.dedup();
            let fields: String = fields.iter().map(|f| format!(", {f}: string?")).collect();
            let on: Vec<&str> = emitted.iter().map(|(event, _)| event.as_str()).collect();
            let _ = writeln!(
                out,
                "  read_models:\n    Ledger:\n      key: ledgerKey\n      fields: {{ ledgerKey: string{fields} }}\n      on: [{}]",
                on.join(", ")
            );
        }
        out
    }

    /// Applies one random spec edit; returns what it did.
    fn mutate(&mut self, rng: &mut Rng) -> String {
        let m = rng.below(self.modules.len());
        let n = self.fresh();
        match rng.below(15) {
            0 | 1 => {
                let module = &mut self.modules[m];
                let agg = rng.pick(&module.aggregates).name.clone();
                let kind = *rng.pick(&[
                    OpKind::Create,
                    OpKind::Update,
                    OpKind::Query,
                    OpKind::Acknowledge,
                ]);
                let verb = match kind {
                    OpKind::Create => "add",
                    OpKind::Update => "change",
                    OpKind::Query => "get",
                    OpKind::Acknowledge => "note",
                };
                let name = format!("{verb}{agg}{n}");
                module.ops.push(OpModel {
                    name: name.clone(),
                    kind,
                    aggregate: agg,
                    emits: rng.chance(50),
                    metadata: "note".into(),
                });
                format!("add op {}.{name}", module.name)
            }
            2 if !self.modules[m].ops.is_empty() => {
                let module = &mut self.modules[m];
                let op = module.ops.remove(rng.below(module.ops.len()));
                format!("remove op {}.{}", module.name, op.name)
            }
            3 if !self.modules[m].ops.is_empty() => {
                let module = &mut self.modules[m];
                let at = rng.below(module.ops.len());
                let op = &mut module.ops[at];
                let old = op.name.clone();
                let verb = old.trim_end_matches(|c: char| c.is_ascii_digit());
                op.name = format!("{verb}{n}");
                format!("rename op {}.{old} -> {}", module.name, op.name)
            }
            4 if !self.modules[m].ops.is_empty() => {
                let module = &mut self.modules[m];
                let at = rng.below(module.ops.len());
                module.ops[at].emits = !module.ops[at].emits;
                format!(
                    "toggle the event of {}.{}",
                    module.name, module.ops[at].name
                )
            }
            5 | 6 => {
                let agg = rng.below(self.modules[m].aggregates.len());
                let ty = rng.word(TYPES);
                let name = format!("extra{n}");
                self.modules[m].aggregates[agg].fields.push(FieldModel {
                    name: name.clone(),
                    ty,
                });
                format!(
                    "add field {}.{name}: {ty}",
                    self.modules[m].aggregates[agg].name
                )
            }
            7 => {
                let agg = &mut self.modules[m].aggregates[0];
                if agg.fields.len() < 2 {
                    return "(no field to remove)".into();
                }
                let at = rng.range(1, agg.fields.len() - 1);
                let field = agg.fields.remove(at);
                format!("remove field {}.{}", agg.name, field.name)
            }
            8 => {
                let agg = &mut self.modules[m].aggregates[0];
                let at = rng.below(agg.fields.len());
                let old = agg.fields[at].name.clone();
                agg.fields[at].name = format!("renamed{n}");
                format!("rename field {}.{old} -> renamed{n}", agg.name)
            }
            9 => {
                let agg = &mut self.modules[m].aggregates[0];
                let at = rng.below(agg.fields.len());
                let ty = rng.word(TYPES);
                agg.fields[at].ty = ty;
                format!("retype field {}.{} -> {ty}", agg.name, agg.fields[at].name)
            }
            10 => {
                let name = format!("Item{n}");
                self.modules[m].aggregates.push(AggregateModel {
                    name: name.clone(),
                    fields: vec![FieldModel {
                        name: format!("label{n}"),
                        ty: "string",
                    }],
                });
                format!("add aggregate {name}")
            }
            11 if self.modules[m].aggregates.len() > 1 => {
                let module = &mut self.modules[m];
                let agg = module.aggregates.pop().unwrap();
                module.ops.retain(|o| o.aggregate != agg.name);
                format!("remove aggregate {} and its ops", agg.name)
            }
            12 if self.modules.len() > 1 && rng.chance(50) => {
                let module = self.modules.remove(m);
                format!("remove module {}", module.name)
            }
            12 if rng.chance(50) => {
                let old = self.modules[m].name.clone();
                let name = format!("desk{n}");
                self.modules[m].name = name.clone();
                format!("rename module {old} -> {name}")
            }
            // The struct a kept body builds changes under it.
            14 if self.modules[m].ops.iter().any(|o| o.emits) => {
                let module = &mut self.modules[m];
                let op = module.ops.iter_mut().find(|o| o.emits).unwrap();
                let old = std::mem::replace(&mut op.metadata, format!("remark{n}"));
                format!(
                    "rename the event metadata of {}.{}: {old} -> {}",
                    module.name, op.name, op.metadata
                )
            }
            // The layout changes under the user's files: ports and
            // adapters, event sourcing (a migration starts the streams of
            // stored rows), and back.
            13 => {
                let architecture = rng.word(&[
                    "v5-event-driven",
                    "hexagonal",
                    "clean-architecture",
                    "cqrs-es",
                    "modular-monolith",
                ]);
                self.architecture = Some(architecture);
                format!("switch the architecture to {architecture}")
            }
            _ => {
                let name = format!("annex{n}");
                let module = self.new_module(&name, &format!("Record{n}"));
                self.modules.push(module);
                format!("add module {name}")
            }
        }
    }
}

struct World {
    dir: tempfile::TempDir,
    model: Model,
    /// Hand edits the user made: file -> the markers in it.
    edits: BTreeMap<PathBuf, Vec<String>>,
    markers: usize,
    log: Vec<String>,
}

impl World {
    fn spec(&self) -> PathBuf {
        self.dir.path().join("evolving.bc.yaml")
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn crate_dir(&self) -> PathBuf {
        self.out().join("rust/evolving")
    }

    fn package_dir(&self) -> PathBuf {
        self.out().join("ts/evolving")
    }

    fn user_files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for root in [self.crate_dir(), self.package_dir()] {
            let Ok(text) = std::fs::read_to_string(root.join(".parasol/manifest.json")) else {
                continue;
            };
            let manifest: Value = serde_json::from_str(&text).unwrap();
            for (path, entry) in manifest["files"].as_object().unwrap() {
                if entry["owner"] == "user" && root.join(path).is_file() {
                    files.push(root.join(path));
                }
            }
        }
        files
    }

    fn hand_edit(&mut self, path: &Path) {
        self.markers += 1;
        // In the file's own comment syntax: migrations are SQL.
        let comment = match path.extension().and_then(|e| e.to_str()) {
            Some("sql") => "--",
            _ => "//",
        };
        let marker = format!(
            "{comment} hand edit {}: the user's own words\n",
            self.markers
        );
        let mut content = std::fs::read_to_string(path).unwrap();
        content.push_str(&marker);
        std::fs::write(path, content).unwrap();
        self.edits
            .entry(path.to_path_buf())
            .or_default()
            .push(marker);
    }

    fn generate(&self) -> Run {
        try_generate(&self.spec(), &self.out(), "rust,ts")
    }

    fn check(&self) -> Run {
        let out = self.out();
        parasol_in(self.dir.path(), &["check", "--out", out.to_str().unwrap()])
    }

    fn fail(&self, why: &str) -> ! {
        panic!(
            "{why}\nsteps:\n  {}\nspec:\n{}",
            self.log.join("\n  "),
            self.model.render()
        )
    }

    /// Every hand edit is still where the user put it.
    fn edits_kept(&self) {
        for (path, markers) in &self.edits {
            let content = std::fs::read_to_string(path).unwrap_or_default();
            for marker in markers {
                if !content.contains(marker.as_str()) {
                    self.fail(&format!("{} lost `{}`", path.display(), marker.trim()));
                }
            }
        }
    }

    /// The gates a user runs: the crate builds and its tests pass, the
    /// package type-checks and its tests pass.
    fn builds(&self) {
        let crate_dir = self.crate_dir();
        let result = std::panic::catch_unwind(|| {
            cargo(&crate_dir, &["build", "--all-targets"]);
            cargo(&crate_dir, &["test"]);
        });
        if result.is_err() {
            self.fail("generate exited 0 but the crate does not build or pass its tests");
        }
        let package = self.package_dir();
        let result = std::panic::catch_unwind(|| check_ts_package(&package));
        if result.is_err() {
            self.fail("generate exited 0 but the package does not pass tsc or its tests");
        }
    }

    /// Regenerates after a spec edit and holds the outcome to the rules.
    fn regenerate(&mut self, previous: &Model) {
        let run = self.generate();
        if run.code == 0 {
            let check = self.check();
            if check.code != 0 {
                self.fail(&format!("check after a clean generate:\n{}", check.stdout));
            }
            self.edits_kept();
            self.builds();
            return;
        }
        if run.code != 1 {
            self.fail(&format!("generate exited {}:\n{}", run.code, run.stderr));
        }
        if run.stderr.contains("evolving.bc.yaml:") && !run.stdout.contains("needs-edit") {
            // The random edit made the spec invalid: refused, located; back out.
            self.log.push(format!(
                "  refused: {}",
                run.stderr.lines().next().unwrap_or_default()
            ));
            self.model = previous.clone();
            std::fs::write(self.spec(), self.model.render()).unwrap();
            return;
        }
        let named = needs_edit(&run.stdout, self.dir.path());
        if named.is_empty() {
            self.fail(&format!(
                "generate exited 1 naming no file to fix:\n{}{}",
                run.stdout, run.stderr
            ));
        }
        let check = self.check();
        for path in &named {
            if !self.edits.contains_key(path) {
                self.fail(&format!(
                    "needs-edit for {}, which the user never edited",
                    path.display()
                ));
            }
            let shown = path.file_name().unwrap().to_string_lossy().into_owned();
            if check.code != 1 || !check.stdout.contains(&shown) {
                self.fail(&format!(
                    "generate wants {shown} edited, check does not say so:\n{}{}",
                    check.stdout, check.stderr
                ));
            }
        }
        self.edits_kept();
        // Do what the message says: take parasol's new default for each
        // named file and make the edit again on top of it.
        for path in named {
            self.log.push(format!(
                "  needs-edit {}: took the new default, edited again",
                path.display()
            ));
            std::fs::remove_file(&path).unwrap();
            self.edits.remove(&path);
            let run = self.generate();
            if run.code != 0 && !run.stdout.contains("needs-edit") {
                self.fail(&format!(
                    "generate after taking the default:\n{}{}",
                    run.stdout, run.stderr
                ));
            }
            self.hand_edit(&path);
        }
        let run = self.generate();
        if run.code != 0 {
            self.fail(&format!(
                "generate after resolving every needs-edit:\n{}{}",
                run.stdout, run.stderr
            ));
        }
        self.edits_kept();
        self.builds();
    }
}

/// The files a report lists as `needs-edit`, each under the output folder
/// whose header (`<folder>:`) comes before it.
fn needs_edit(report: &str, cwd: &Path) -> Vec<PathBuf> {
    let mut root = PathBuf::new();
    let mut named = Vec::new();
    for line in report.lines() {
        if !line.starts_with(' ')
            && let Some(folder) = line.strip_suffix(':')
        {
            root = cwd.join(folder);
        } else if let Some(rest) = line.trim_start().strip_prefix("needs-edit")
            && let Some(path) = rest.split_whitespace().next()
        {
            named.push(root.join(path));
        }
    }
    named
}

fn evolve(seed: u64, case: usize, steps: usize) -> Vec<String> {
    let mut rng = Rng(seed ^ (case as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut world = World {
        dir: tempfile::tempdir().unwrap(),
        model: Model::initial(),
        edits: BTreeMap::new(),
        markers: 0,
        log: Vec::new(),
    };
    std::fs::write(world.spec(), world.model.render()).unwrap();
    let first = world.generate();
    assert_eq!(first.code, 0, "{}", first.stderr);
    for _ in 0..steps {
        // The user edits one or two of their files, then the spec changes.
        for _ in 0..rng.range(1, 2) {
            let files = world.user_files();
            if !files.is_empty() {
                let path = rng.pick(&files).clone();
                world.log.push(format!("hand edit {}", path.display()));
                world.hand_edit(&path);
            }
        }
        let previous = world.model.clone();
        let what = world.model.mutate(&mut rng);
        world.log.push(what);
        std::fs::write(world.spec(), world.model.render()).unwrap();
        world.regenerate(&previous);
    }
    world.log
}

#[test]
fn spec_evolution_never_breaks_silently() {
    let seed = seed_from_env("PARASOL_EVOLUTION_SEED");
    let number = |var: &str, default: usize| {
        std::env::var(var)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let cases = number("PARASOL_EVOLUTION_CASES", 1);
    let steps = number("PARASOL_EVOLUTION_STEPS", 5);
    eprintln!(
        "evolution: seed {seed}, {cases} sequence(s) of {steps} steps (PARASOL_EVOLUTION_SEED={seed} replays)"
    );
    for case in 0..cases {
        let log = evolve(seed, case, steps);
        eprintln!("  sequence {case}:\n    {}", log.join("\n    "));
    }
}

#[test]
fn the_model_renders_a_valid_spec() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("evolving.bc.yaml");
    let mut model = Model::initial();
    let mut rng = Rng(7);
    for _ in 0..40 {
        model.mutate(&mut rng);
    }
    std::fs::write(&spec, model.render()).unwrap();
    let run = parasol(&["bc", "validate", "--spec", spec.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, model.render());
}
