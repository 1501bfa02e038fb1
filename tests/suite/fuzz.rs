//! Fuzzing the whole pipeline (load → validate → plan, in memory) on stable
//! Rust with proptest: arbitrary bytes, and mutations of real specs and
//! bundles that keep enough structure to reach the later stages.
//!
//! Whatever the input, parasol must not panic; an invalid input yields
//! error diagnostics that each point at a line and column of the input; a
//! valid one plans every file of both languages, the event layer and each
//! workflow's orchestration, at safe relative paths.
//!
//! CI runs a bounded pass (about a minute). Run longer with, e.g.
//! `PARASOL_FUZZ_CASES=20000 cargo test --release --test suite fuzz:: -- --nocapture`.
//! A failure prints the shrunk input; once fixed, it joins the corpus under
//! `tests/errors/` (or `examples/`, if valid) with what it must produce.

use parasol::settings::{Compensation, Coordination, Location, PatternStyle, StateSync};
use std::path::{Component, Path};
use std::sync::atomic::{AtomicUsize, Ordering};

use parasol::diag::{Diagnostics, Severity};
use parasol::generators::{EventPatterns, Orchestration, plan_event_patterns, plan_orchestration};
use parasol::generators::{Lang, Renderer, plan_bc};
use parasol::load::load_text;
use parasol::model::Context;
use parasol::render::{self, TemplateSet};
use parasol::targets::Requested;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::support::*;

const SPEC_NAME: &str = "fuzz.bc.yaml";

/// How many inputs each property tries (`PARASOL_FUZZ_CASES`, else `default`).
fn cases(default: u32) -> u32 {
    std::env::var("PARASOL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What happened to an input, for the summary line.
struct Tally {
    tried: AtomicUsize,
    planned: AtomicUsize,
    started: std::time::Instant,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            tried: AtomicUsize::new(0),
            planned: AtomicUsize::new(0),
            started: std::time::Instant::now(),
        }
    }
}

impl Tally {
    fn report(&self, what: &str) {
        eprintln!(
            "fuzz: {what}: {} inputs, {} valid and fully planned, {:.1} s",
            self.tried.load(Ordering::Relaxed),
            self.planned.load(Ordering::Relaxed),
            self.started.elapsed().as_secs_f64()
        );
    }
}

/// Runs the pipeline on `bytes` and checks the invariants; returns whether
/// the input was valid (and planned).
fn pipeline(renderer: &Renderer<'_>, bytes: &[u8]) -> bool {
    let mut diags = Diagnostics::new();
    let context = load_text(SPEC_NAME, bytes, &mut diags);
    if diags.has_errors() {
        assert_located(&diags, bytes);
        return false;
    }
    let ctx = context.expect("a context when there are no errors");
    plan_everything(renderer, &ctx);
    true
}

/// Every error names the input, a line within it and a column.
fn assert_located(diags: &Diagnostics, bytes: &[u8]) {
    // Lines as YAML counts them: LF, CRLF and a lone CR each end one.
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    let lines = text.split(['\n', '\r']).count() as u32;
    for d in diags.iter().filter(|d| d.severity == Severity::Error) {
        let location = d
            .location
            .as_ref()
            .unwrap_or_else(|| panic!("error without a location: {}", d.render()));
        assert_eq!(&*location.file, SPEC_NAME, "{}", d.render());
        assert!(
            location.pos.line >= 1 && location.pos.line <= lines.max(1),
            "line {} of {lines}: {}",
            location.pos.line,
            d.render()
        );
        assert!(location.pos.col >= 1, "{}", d.render());
    }
}

/// Plans both languages, the event layer and every workflow's orchestration
/// of a valid context; none may fail, and every path must be safe.
fn plan_everything(renderer: &Renderer<'_>, ctx: &Context) {
    let root = Path::new("out");
    let spec = Path::new(SPEC_NAME);
    let value = render::value(ctx);
    let requested = Requested::default();
    let mut plans = Vec::new();
    for lang in [Lang::Rust, Lang::Ts] {
        plans.push(plan_bc(renderer, ctx, &value, &requested, lang, root, spec));
        let events = EventPatterns {
            lang,
            style: PatternStyle::DomainEvents,
            coordination: Coordination::Frontend,
            workflow: None,
            no_event_sourcing: false,
            no_saga: false,
            allow_backend_saga: false,
        };
        plans.push(plan_event_patterns(renderer, ctx, &events, root, spec));
    }
    for workflow in &ctx.workflows {
        for (lang, location) in [
            (Lang::Ts, Location::Frontend),
            (Lang::Rust, Location::Backend),
        ] {
            let request = Orchestration {
                lang,
                workflow: workflow.name.raw.clone(),
                location,
                compensation: Compensation::BestEffort,
                state_sync: StateSync::Polling,
                allow_backend_saga: true,
            };
            plans.push(plan_orchestration(renderer, ctx, &request, root, spec));
        }
    }
    for plan in plans {
        let plan = plan.unwrap_or_else(|diags| {
            panic!("a valid spec failed to plan:\n{}", diags.render_human())
        });
        for file in &plan.files {
            assert_safe(&file.path);
        }
    }
}

fn assert_safe(path: &str) {
    assert!(!path.is_empty());
    assert!(
        !path.contains(['\\', '\0', ':']),
        "unsafe character in `{path}`"
    );
    for component in Path::new(path).components() {
        assert!(
            matches!(component, Component::Normal(_)),
            "`{path}` leaves its folder"
        );
    }
    let stem = path.rsplit('/').next().unwrap().split('.').next().unwrap();
    let device = ["con", "prn", "aux", "nul", "com1", "lpt1"];
    assert!(
        !device.contains(&stem.to_ascii_lowercase().as_str()),
        "`{path}` names a Windows device"
    );
}

/// Tokens that YAML, the spec format and file systems care about.
const DICTIONARY: &[&str] = &[
    ":",
    ": ",
    "- ",
    "-",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "<<: *a",
    "!!str ",
    "!!binary ",
    "\t",
    "\n",
    "\n  ",
    "    ",
    "'",
    "\"",
    "#",
    "|",
    ">",
    "?",
    "%YAML 1.2",
    "---",
    "...",
    "~",
    "null",
    "true",
    "0x1F",
    "1e999",
    "-1",
    "9223372036854775808",
    ".inf",
    "📦",
    "\u{0}",
    "../",
    "/",
    "\\",
    "con",
    "NUL",
    "aux.rs",
    "string",
    "int",
    "list<",
    "map<",
    "decimal",
    "uuid",
    "datetime",
    "optional<",
    "OrderLine",
    "inventory",
    "payment",
    "order",
    "catalog",
    "reserve",
    "release",
    "charge",
    "refund",
    "create",
    "order.placed",
    "inventory.reserved",
    "self",
    "type",
    "match",
    "crate",
    "Self",
    "super",
    "async",
    "class",
    "delete",
    "new",
    "workflow.id",
    "input.",
    "steps.",
    "emits",
    "subscribes",
    "depends_on",
    "aggregates",
    "api",
    "events",
    "workflows",
    "compensate",
    "call",
    "with",
    "modules",
    "parasol",
    "bounded_context",
    "read_models",
    "version",
    "id",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Overwrite { at: usize, token: usize },
    DeleteLine { line: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    Indent { line: usize, by: usize },
    Dedent { line: usize },
    FlipByte { at: usize, bit: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let position = any::<usize>();
    let token = 0..DICTIONARY.len();
    // Weighted towards edits that keep the YAML readable, so that inputs
    // reach resolution, validation and rendering.
    prop_oneof![
        1 => (position, 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => (position, token.clone()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        6 => (position, token).prop_map(|(at, token)| Mutation::Overwrite { at, token }),
        3 => position.prop_map(|line| Mutation::DeleteLine { line }),
        3 => position.prop_map(|line| Mutation::DuplicateLine { line }),
        1 => (position, position).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        1 => (position, 1usize..5).prop_map(|(line, by)| Mutation::Indent { line, by }),
        1 => position.prop_map(|line| Mutation::Dedent { line }),
        1 => (position, 0u8..8).prop_map(|(at, bit)| Mutation::FlipByte { at, bit }),
    ]
}

fn apply(text: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = text.to_vec();
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Delete { at, len: n } => {
                let at = at % len;
                let end = (at + n).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            Mutation::Insert { at, token } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, DICTIONARY[token].bytes());
            }
            Mutation::Overwrite { at, token } => {
                // Replaces the word at `at` (a name, a type, a key).
                let at = at % len;
                let is_word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.';
                let mut start = at.min(bytes.len());
                while start > 0 && bytes.get(start - 1).is_some_and(is_word) {
                    start -= 1;
                }
                let mut end = start;
                while bytes.get(end).is_some_and(is_word) {
                    end += 1;
                }
                bytes.splice(start..end, DICTIONARY[token].bytes());
            }
            Mutation::DeleteLine { line }
            | Mutation::DuplicateLine { line }
            | Mutation::Indent { line, .. }
            | Mutation::Dedent { line } => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let i = line % lines.len();
                match *m {
                    Mutation::DeleteLine { .. } => {
                        lines.remove(i);
                    }
                    Mutation::DuplicateLine { .. } => {
                        let copy = lines[i].clone();
                        lines.insert(i, copy);
                    }
                    Mutation::Indent { by, .. } => {
                        lines[i].splice(0..0, std::iter::repeat_n(b' ', by));
                    }
                    _ => {
                        let spaces = lines[i].iter().take_while(|&&b| b == b' ').count();
                        lines[i].drain(..spaces.min(2));
                    }
                }
                bytes = lines.join(&b'\n');
            }
            Mutation::SwapLines { a, b } => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let (a, b) = (a % lines.len(), b % lines.len());
                lines.swap(a, b);
                bytes = lines.join(&b'\n');
            }
            Mutation::FlipByte { at, bit } => {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] ^= 1 << bit;
                }
            }
        }
    }
    bytes
}

/// The specs mutations start from.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = vec![(
        "order-management".to_string(),
        std::fs::read(canonical_spec()).unwrap(),
    )];
    for name in example_names() {
        let text = std::fs::read(example_spec(&name)).unwrap();
        seeds.push((name, text));
    }
    seeds
}

/// A runner with a fresh seed each run (so CI keeps exploring), printed so
/// that any run can be repeated with `PARASOL_FUZZ_SEED`.
fn runner(what: &str, cases: u32) -> TestRunner {
    use proptest::test_runner::{RngAlgorithm, TestRng};
    let seed: u64 = std::env::var("PARASOL_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            now.map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("fuzz: {what}: PARASOL_FUZZ_SEED={seed}");
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        // Inputs are printed on failure; a file of seeds would hide them.
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

#[test]
fn arbitrary_bytes_never_crash_the_pipeline() {
    let templates = TemplateSet::builtin();
    let renderer = Renderer::new(&templates, parasol::incremental::Trust::Manifest);
    let tally = Tally::default();
    // Raw bytes (mostly stopped by the encoding check), arbitrary Unicode
    // text, and text over the characters YAML gives meaning to.
    let yaml_chars: Vec<char> = " \n\t\r:-?,[]{}#&*!|>'\"%@`~.0123456789abcxyz_/\\é📦"
        .chars()
        .collect();
    let bytes = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        proptest::collection::vec(any::<char>(), 0..256)
            .prop_map(|chars| chars.into_iter().collect::<String>().into_bytes()),
        proptest::collection::vec(proptest::sample::select(yaml_chars), 0..512)
            .prop_map(|chars| chars.into_iter().collect::<String>().into_bytes()),
    ];
    let result = runner("arbitrary bytes", cases(20000)).run(&bytes, |bytes| {
        tally.tried.fetch_add(1, Ordering::Relaxed);
        if pipeline(&renderer, &bytes) {
            tally.planned.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    tally.report("arbitrary bytes");
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn mutated_specs_never_crash_the_pipeline() {
    let templates = TemplateSet::builtin();
    let renderer = Renderer::new(&templates, parasol::incremental::Trust::Manifest);
    let seeds = seeds();
    let tally = Tally::default();
    let input = (0..seeds.len(), proptest::collection::vec(mutation(), 1..6));
    let result = runner("mutated specs", cases(6000)).run(&input, |(seed, mutations)| {
        let bytes = apply(&seeds[seed].1, &mutations);
        tally.tried.fetch_add(1, Ordering::Relaxed);
        if pipeline(&renderer, &bytes) {
            tally.planned.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    tally.report("mutated specs");
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn mutated_bundles_never_crash_loading() {
    use parasol::validate::{Check, Overrides};
    let dir = tempfile::tempdir().unwrap();
    let shared = repo().join("../shared/examples/order-management");
    let bundles: Vec<(String, Vec<u8>)> = std::fs::read_dir(shared.join("bundles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    std::fs::create_dir(dir.path().join("bundles")).unwrap();
    let spec = dir.path().join("order-management.bc.yaml");
    std::fs::copy(canonical_spec(), &spec).unwrap();
    let tally = Tally::default();
    let input = (
        0..bundles.len(),
        proptest::collection::vec(mutation(), 1..6),
    );
    let result = runner("mutated bundles", cases(2000)).run(&input, |(target, mutations)| {
        for (i, (name, text)) in bundles.iter().enumerate() {
            let text = if i == target {
                apply(text, &mutations)
            } else {
                text.clone()
            };
            std::fs::write(dir.path().join("bundles").join(name), text).unwrap();
        }
        let mut diags = Diagnostics::new();
        let context =
            parasol::load::load_context(&spec, &Check::ALL, &Overrides::default(), &mut diags);
        tally.tried.fetch_add(1, Ordering::Relaxed);
        for d in diags.iter().filter(|d| d.severity == Severity::Error) {
            assert!(
                d.location.is_some(),
                "error without a location: {}",
                d.render()
            );
        }
        if !diags.has_errors() {
            assert!(context.is_some());
            tally.planned.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    tally.report("mutated bundles");
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Names that stress case mapping and keyword escaping in both languages.
const NAMES: &[&str] = &[
    "order",
    "item",
    "stock",
    "v2",
    "a",
    "type",
    "match",
    "self",
    "Self",
    "crate",
    "super",
    "async",
    "await",
    "enum",
    "class",
    "function",
    "delete",
    "new",
    "static",
    "yield",
    "default",
    "where",
    "impl",
    "move",
    "ref",
    "in",
    "of",
    "let",
    "string",
    "number",
    "object",
    "interface",
    "record",
    "shipment",
    "x1y2",
    "abcdefghijklmnopqrstuvwxyzabcd",
];

const FIELD_TYPES: &[&str] = &[
    "string",
    "int",
    "bool",
    "decimal",
    "uuid",
    "datetime",
    "list<string>",
    "map<int>",
    "string?",
    "list<int>",
];

/// The shape of a spec that is valid by construction (names aside: two
/// names may collide after case mapping, which must then be reported).
#[derive(Debug, Clone)]
struct SpecShape {
    modules: Vec<ModuleShape>,
    workflow_steps: Vec<(usize, usize, Option<usize>)>,
}

/// Fields as (name, type) indexes into `NAMES` and `FIELD_TYPES`.
type FieldShapes = Vec<(usize, usize)>;

#[derive(Debug, Clone)]
struct ModuleShape {
    name: usize,
    aggregates: Vec<(usize, FieldShapes)>,
    /// Name, input fields, and whether it emits an event.
    ops: Vec<(usize, FieldShapes, bool)>,
}

/// An operation as rendered: module, name, and input fields with types.
type RenderedOp = (String, String, Vec<(String, &'static str)>);

fn spec_shape() -> impl Strategy<Value = SpecShape> {
    let fields = proptest::collection::vec((0..NAMES.len(), 0..FIELD_TYPES.len()), 0..4);
    let aggregate = (0..NAMES.len(), fields.clone());
    let op = (0..NAMES.len(), fields, any::<bool>());
    let module = (
        0..NAMES.len(),
        proptest::collection::vec(aggregate, 1..3),
        proptest::collection::vec(op, 0..4),
    )
        .prop_map(|(name, aggregates, ops)| ModuleShape {
            name,
            aggregates,
            ops,
        });
    (
        proptest::collection::vec(module, 1..5),
        proptest::collection::vec(
            (any::<usize>(), any::<usize>(), any::<Option<usize>>()),
            0..4,
        ),
    )
        .prop_map(|(modules, workflow_steps)| SpecShape {
            modules,
            workflow_steps,
        })
}

fn render_shape(shape: &SpecShape) -> String {
    use heck::{ToLowerCamelCase, ToSnakeCase, ToUpperCamelCase};
    let mut out = String::from("parasol: 1\nbounded_context:\n  name: Fuzzed\n  modules:\n");
    let mut events = String::new();
    // (module, op, input fields) of every operation, for workflows.
    let mut ops: Vec<RenderedOp> = Vec::new();
    for (m, module) in shape.modules.iter().enumerate() {
        let module_name = format!("{}{m}", NAMES[module.name].to_snake_case());
        out.push_str(&format!("    {module_name}:\n      aggregates:\n"));
        let mut first_aggregate = String::new();
        for (a, (name, fields)) in module.aggregates.iter().enumerate() {
            let aggregate = format!("{}{a}{m}", NAMES[*name].to_upper_camel_case());
            if first_aggregate.is_empty() {
                first_aggregate = aggregate.clone();
            }
            out.push_str(&format!("        {aggregate}:\n          fields:\n"));
            for (f, (field, ty)) in fields.iter().enumerate() {
                let field = format!("{}{f}", NAMES[*field].to_lower_camel_case());
                out.push_str(&format!("            {field}: {}\n", FIELD_TYPES[*ty]));
            }
            if fields.is_empty() {
                out.push_str("            label: string\n");
            }
        }
        if !module.ops.is_empty() {
            out.push_str("      api:\n");
        }
        for (o, (name, fields, emits)) in module.ops.iter().enumerate() {
            let op = format!("{}{o}", NAMES[*name].to_lower_camel_case());
            let input: Vec<(String, &'static str)> = fields
                .iter()
                .enumerate()
                .map(|(f, (field, ty))| {
                    (
                        format!("{}{f}", NAMES[*field].to_lower_camel_case()),
                        FIELD_TYPES[*ty],
                    )
                })
                .collect();
            let listed: Vec<String> = input.iter().map(|(n, t)| format!("{n}: {t}")).collect();
            out.push_str(&format!(
                "        {op}:\n          input: {{ {} }}\n",
                listed.join(", ")
            ));
            if *emits {
                let event = format!("{module_name}.done{o}");
                out.push_str(&format!("          emits: [{event}]\n"));
                events.push_str(&format!(
                    "    {event}:\n      entity: {first_aggregate}\n      metadata: {{ note: string }}\n"
                ));
            }
            ops.push((module_name.clone(), op, input));
        }
    }
    if !events.is_empty() {
        out.push_str("  events:\n");
        out.push_str(&events);
    }
    if !ops.is_empty() && !shape.workflow_steps.is_empty() {
        let mut input: Vec<(String, &'static str)> = Vec::new();
        let mut steps = String::new();
        for (s, (call, _, undo)) in shape.workflow_steps.iter().enumerate() {
            let (module, op, fields) = &ops[call % ops.len()];
            for field in fields {
                if !input.iter().any(|(n, _)| *n == field.0) {
                    input.push(field.clone());
                }
            }
            steps.push_str(&format!(
                "        - name: step_{s}\n          call: {module}.{op}\n"
            ));
            if let Some(undo) = undo {
                let (module, op, fields) = &ops[undo % ops.len()];
                for field in fields {
                    if !input.iter().any(|(n, _)| *n == field.0) {
                        input.push(field.clone());
                    }
                }
                steps.push_str(&format!("          compensate: {module}.{op}\n"));
            }
        }
        let listed: Vec<String> = input.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        out.push_str(&format!(
            "  workflows:\n    DoIt:\n      input: {{ {} }}\n      steps:\n{steps}",
            listed.join(", ")
        ));
    }
    out
}

#[test]
fn generated_specs_never_crash_the_pipeline() {
    let templates = TemplateSet::builtin();
    let renderer = Renderer::new(&templates, parasol::incremental::Trust::Manifest);
    let tally = Tally::default();
    let result = runner("generated specs", cases(1500)).run(&spec_shape(), |shape| {
        let text = render_shape(&shape);
        tally.tried.fetch_add(1, Ordering::Relaxed);
        if pipeline(&renderer, text.as_bytes()) {
            tally.planned.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    tally.report("generated specs");
    if let Err(e) = result {
        panic!("{e}");
    }
}
