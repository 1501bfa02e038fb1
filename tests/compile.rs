//! The compile property: every spec `bc validate` accepts generates a Rust
//! crate that builds, passes its own tests, `cargo clippy -D warnings` and
//! `cargo fmt --check`, and a TypeScript package that passes `tsc --strict`
//! and its tests, whose clients work against the crate's real service (its
//! `test/service.test.ts`); a spec `bc validate` refuses is refused at a `line:col`,
//! and `bc generate` refuses it too.
//!
//! Specs come from a grammar over invented domains (`SpecGen`): every field
//! type (scalars, `uuid`, `datetime`, `decimal`, optional, inline enums
//! incl. optional ones, `list`, `map`, value objects, aggregate
//! references), ids of every kind in operation inputs and outputs, contexts
//! with no events, no workflows or no read models, modules of only value
//! objects, subscriptions or nothing, dependencies between modules,
//! events published without an operation, workflows with compensation,
//! `with:` bindings (the run's id, literals of every scalar type, earlier
//! steps' outputs, renamed inputs), each coordination, compensation and
//! state sync, `on_success`, the communication settings (timeouts,
//! breaker thresholds, batches, concurrency, each broker), an
//! architecture (`cqrs-es`, `hexagonal` and `clean-architecture` among
//! them; with no bundle asking for lightweight events, those other than
//! `v5-event-driven` and `cqrs-es` generate domain events), value objects that hold themselves in a list or map,
//! keyword-heavy and near-colliding names (modules named like the crates
//! the generated code uses among them).
//!
//! Each accepted spec then goes through one of parasol's other generators
//! (in turn: the event layer in each style, the backend saga, the
//! choreography, monitoring, the communication tests against the real
//! service), whose output is checked the same way; with
//! `PARASOL_COMPILE_EXTRAS=all`, through every one of them.
//!
//! Compiling is slow, so CI tries a few specs with a fresh seed it prints;
//! run more by hand with, e.g.
//! `PARASOL_COMPILE_CASES=40 cargo test --release --test compile -- --nocapture`,
//! or replay one run with `PARASOL_COMPILE_SEED=<seed>`. A failing spec is
//! kept under `target/compile-failures/` for inspection.
//! Every accepted spec is also checked against `parasol schema`.
//! `PARASOL_COMPILE_SPEC=<file>` checks that spec instead (with
//! `PARASOL_COMPILE_CASES=1`; its first workflow, if any, is the one the
//! extras coordinate).

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use support::*;

/// Nouns that become aggregates and value objects (some are keywords or
/// names generated code is fond of, once cased).
const NOUNS: &[&str] = &[
    "vehicle",
    "driver",
    "route",
    "parcel",
    "ticket",
    "course",
    "student",
    "booking",
    "room",
    "account",
    "claim",
    "sensor",
    "reading",
    "recipe",
    "batch",
    "member",
    "loan",
    "asset",
    "task",
    "device",
    "voyage",
    "cargo",
    "seat",
    "lesson",
    "grade",
    "meter",
    "tariff",
    "crop",
    "harvest",
    "plot",
    "type",
    "match",
    "class",
    "static",
    "loop",
    "entry",
    "item",
    "items",
    "model",
    "state",
    "event",
    "service",
    // A hump every two letters: its snake case (`a_to_b_or_c_to_d_leg`)
    // is half as long again, as long as a noun may be here (an error code
    // `<aggregate>_not_found` takes 32 characters at most).
    "aToBOrCToDLeg",
];

/// Module names, keyword-heavy on purpose.
const MODULES: &[&str] = &[
    "fleet",
    "dispatch",
    "billing",
    "crm",
    "type",
    "match",
    "self",
    "crate",
    "super",
    "async",
    "records",
    "ledger",
    "kitchen",
    "claims",
    "sensors",
    "farm",
    "school",
    "harbour",
    "mod",
    "impl",
    "events",
    "app",
    "http",
    "lib",
    "main",
    "error",
    "types",
    "model",
    "tests",
    "tokio",
    "serde_json",
    "core",
    "sqlx",
    "common",
    "modules",
];

/// Field names, including keywords of both languages and near-collisions.
const FIELDS: &[&str] = &[
    "name",
    "title",
    "amount",
    "count",
    "notes",
    "type",
    "match",
    "class",
    "default",
    "static",
    "enum",
    "in",
    "of",
    "ref",
    "move",
    "async",
    "await",
    "new",
    "delete",
    "yield",
    "label",
    "score",
    "weight",
    "startsAt",
    "endsAt",
    "tags",
    "attributes",
    "priority",
    "kind",
    "self",
    "crate",
    "super",
    "fn",
    "let",
    "const",
    "version2",
    "value",
    "values",
    "data",
    "result",
    "output",
    "input",
    "entity",
    "ctx",
    "event",
    "id2",
    "quantity",
    "total",
    "dueAt",
    "code",
    // As long in snake case as a field name gets here (`a_bc_de_..._z`, 39;
    // 43 as `newABcDe...`), and a realistic one nearly so (the generator
    // prefixes `new` and `given` and appends digits): lines must still break
    // where rustfmt breaks them.
    "aBcDeFgHiJkLmNoPqRsTuVwXyZ",
    "xRayScanByBayAndHourOfDay",
];

const VERBS_PAST: &[(&str, &str)] = &[
    ("approve", "approved"),
    ("close", "closed"),
    ("archive", "archived"),
    ("ship", "shipped"),
    ("cancel", "cancelled"),
    ("assign", "assigned"),
    ("suspend", "suspended"),
    ("complete", "completed"),
    ("reject", "rejected"),
    ("open", "opened"),
];

const OTHER_VERBS: &[&str] = &[
    "notify", "sync", "compute", "rate", "schedule", "flag", "transfer", "audit", "ping",
    "reserve", "release", "charge", "refund", "tag", "estimate", "dispatch",
];

const SCALARS: &[&str] = &[
    "string", "int", "float", "bool", "decimal", "uuid", "datetime",
];

fn pascal(s: &str) -> String {
    use heck::ToUpperCamelCase;
    s.to_upper_camel_case()
}

fn camel(s: &str) -> String {
    use heck::ToLowerCamelCase;
    s.to_lower_camel_case()
}

/// One aggregate as the generator knows it.
struct Agg {
    name: String,
    /// (field, type as written, enum values if an enum)
    fields: Vec<(String, String, Option<Vec<String>>)>,
}

struct ModuleGen {
    name: String,
    aggregates: Vec<Agg>,
    value_objects: Vec<(String, Vec<(String, String)>)>,
    ops: Vec<OpGen>,
    subscribes: Vec<String>,
    publishes: Vec<String>,
    depends_on: Vec<String>,
}

struct OpGen {
    name: String,
    input: Vec<(String, String)>,
    output: Vec<(String, String)>,
    emits: Vec<String>,
    errors: Vec<String>,
}

struct EventGen {
    name: String,
    entity: String,
    metadata: Vec<(String, String)>,
}

/// Builds one random spec; `names` keeps op-level field names to one type
/// across the context so workflows can bind them by name.
struct SpecGen<'r> {
    rng: &'r mut Rng,
    names: BTreeMap<String, String>,
    used_types: Vec<String>,
}

impl SpecGen<'_> {
    fn fresh_type_name(&mut self, base: &str) -> String {
        let mut name = pascal(base);
        let mut n = 2;
        while self.used_types.contains(&name) {
            name = format!("{}{n}", pascal(base));
            n += 1;
        }
        self.used_types.push(name.clone());
        name
    }

    fn scalar(&mut self) -> String {
        self.rng.word(SCALARS).to_string()
    }

    /// A field type: scalars, optionals, lists, maps, enums, value objects
    /// and references to aggregates declared so far.
    fn field_type(&mut self, vos: &[String], aggs: &[String]) -> (String, Option<Vec<String>>) {
        let roll = self.rng.below(100);
        let ty = match roll {
            0..=34 => self.scalar(),
            35..=49 => format!("{}?", self.scalar()),
            50..=55 => format!("list<{}>", self.scalar()),
            // Nested deep enough for the Rust type to be long.
            56..=57 => {
                let s = self.scalar();
                match self.rng.below(5) {
                    0 => format!("list<list<{s}>>"),
                    1 => format!("map<list<{s}?>>"),
                    2 => format!("list<map<{s}>>?"),
                    3 => format!("list<list<map<{s}?>>>"),
                    // Too long for a line even on its own: rustfmt breaks
                    // its generic arguments.
                    _ => format!("map<map<map<list<{s}?>>>>"),
                }
            }
            58..=61 => format!("map<{}>", self.scalar()),
            62..=75 => {
                let values: Vec<String> = {
                    let all = [
                        "draft", "active", "done", "on_hold", "type", "match", "x-ray", "v2",
                        // Variants named like what an enum's own impls say
                        // (`Self::Err` of `FromStr`, `Option`'s `None`).
                        "err", "none", "self", "default",
                    ];
                    let n = self.rng.range(1, 4);
                    let start = self.rng.below(all.len());
                    (0..n)
                        .map(|i| all[(start + i) % all.len()].to_string())
                        .collect()
                };
                let optional = if self.rng.chance(30) {
                    ", optional: true"
                } else {
                    ""
                };
                return (
                    format!("{{ enum: [{}]{optional} }}", values.join(", ")),
                    Some(values),
                );
            }
            76..=87 if !vos.is_empty() => {
                let vo = self.rng.pick(vos).clone();
                match self.rng.below(3) {
                    0 => vo,
                    1 => format!("{vo}?"),
                    _ => format!("list<{vo}>"),
                }
            }
            88..=99 if !aggs.is_empty() => {
                let agg = self.rng.pick(aggs).clone();
                match self.rng.below(10) {
                    0..=2 => format!("{agg}?"),
                    3..=4 => format!("list<{agg}>"),
                    _ => agg,
                }
            }
            _ => self.scalar(),
        };
        (ty, None)
    }

    /// The type of an op-level field `name`, the same wherever it appears.
    fn op_field(&mut self, name: &str, proposal: String) -> (String, String) {
        let ty = self
            .names
            .entry(name.to_string())
            .or_insert(proposal)
            .clone();
        (name.to_string(), ty)
    }

    fn id_type(&mut self, agg: &str) -> String {
        match self.rng.below(3) {
            0 => "string".into(),
            1 => "uuid".into(),
            _ => agg.to_string(),
        }
    }

    fn spec(&mut self, context: &str) -> String {
        let module_count = self.rng.range(1, 4);
        let mut modules: Vec<ModuleGen> = Vec::new();
        let mut events: Vec<EventGen> = Vec::new();
        let mut all_aggs: Vec<String> = Vec::new();
        let mut all_vos: Vec<String> = Vec::new();
        let with_events = self.rng.chance(80);
        let mut taken_modules: Vec<&str> = Vec::new();
        for _ in 0..module_count {
            let mut name = self.rng.word(MODULES);
            while taken_modules.contains(&name) {
                name = self.rng.word(MODULES);
            }
            taken_modules.push(name);
            let mut module = ModuleGen {
                name: name.to_string(),
                aggregates: Vec::new(),
                value_objects: Vec::new(),
                ops: Vec::new(),
                subscribes: Vec::new(),
                publishes: Vec::new(),
                depends_on: Vec::new(),
            };
            for _ in 0..self.rng.range(0, 1) {
                let noun = self.rng.word(NOUNS);
                let vo = self.fresh_type_name(noun);
                let fields = (0..self.rng.range(1, 3))
                    .map(|i| {
                        let field = format!("{}{}", camel(self.rng.word(FIELDS)), i);
                        (field, self.scalar())
                    })
                    .collect::<Vec<_>>();
                let mut fields = fields;
                // Now and then a tree: a value object that holds itself in a list or map.
                if self.rng.chance(20) {
                    let shape = if self.rng.chance(50) { "list" } else { "map" };
                    fields.push(("children".to_string(), format!("{shape}<{vo}>")));
                }
                all_vos.push(vo.clone());
                module.value_objects.push((vo, fields));
            }
            // Now and then a module of only value objects, subscriptions or
            // nothing at all (a shared kernel, a listener, a placeholder).
            let fewest = if !modules.is_empty() && self.rng.chance(25) {
                0
            } else {
                1
            };
            for _ in 0..self.rng.range(fewest, 2) {
                let noun = self.rng.word(NOUNS);
                let agg = self.fresh_type_name(noun);
                let mut fields: Vec<(String, String, Option<Vec<String>>)> = Vec::new();
                for _ in 0..self.rng.range(1, 5) {
                    let mut field = camel(self.rng.word(FIELDS));
                    if fields.iter().any(|(f, _, _)| *f == field) {
                        field = format!("{field}{}", fields.len());
                    }
                    let (ty, values) = self.field_type(&all_vos, &all_aggs);
                    fields.push((field, ty, values));
                }
                if self.rng.chance(50) && !fields.iter().any(|(f, _, _)| f == "status") {
                    let (_, past) = *self.rng.pick(VERBS_PAST);
                    let values = vec!["draft".to_string(), past.to_string()];
                    fields.push((
                        "status".into(),
                        format!("{{ enum: [{}] }}", values.join(", ")),
                        Some(values),
                    ));
                }
                // `state`, an inline enum, is `<Aggregate>State`: the name an
                // event-sourced aggregate's folded state would like too.
                if self.rng.chance(15) && !fields.iter().any(|(f, _, _)| f == "state") {
                    let values = vec!["idle".to_string(), "busy".to_string()];
                    fields.push((
                        "state".into(),
                        format!("{{ enum: [{}] }}", values.join(", ")),
                        Some(values),
                    ));
                }
                all_aggs.push(agg.clone());
                module.aggregates.push(Agg { name: agg, fields });
            }
            modules.push(module);
        }

        // Operations, per module, over its aggregates.
        #[allow(clippy::needless_range_loop)] // modules[m] is read and written in turn
        for m in 0..modules.len() {
            let agg_count = modules[m].aggregates.len();
            let mut ops: Vec<OpGen> = Vec::new();
            let mut op_names: Vec<String> = Vec::new();
            for a in 0..agg_count {
                let (agg_name, fields) = {
                    let agg = &modules[m].aggregates[a];
                    (agg.name.clone(), agg.fields.clone())
                };
                let id_name = format!("{}Id", camel(&agg_name));
                let snake_agg = heck::ToSnakeCase::to_snake_case(agg_name.as_str());
                let event =
                    |verb: &str, metadata: Vec<(String, String)>, events: &mut Vec<EventGen>| {
                        let name = format!("{snake_agg}.{verb}");
                        if !events.iter().any(|e| e.name == name) {
                            events.push(EventGen {
                                name: name.clone(),
                                entity: agg_name.clone(),
                                metadata,
                            });
                        }
                        name
                    };
                // create
                if self.rng.chance(85) {
                    let id_ty = match self.rng.below(2) {
                        0 => "string".to_string(),
                        _ => "uuid".to_string(),
                    };
                    let mut input: Vec<(String, String)> = Vec::new();
                    for (f, ty, _) in &fields {
                        if !self.rng.chance(70) {
                            continue;
                        }
                        // An enum is set from its string form.
                        let ty = if ty.starts_with('{') {
                            "string".to_string()
                        } else {
                            ty.clone()
                        };
                        input.push(self.op_field(f, ty));
                    }
                    let output = vec![self.op_field(&id_name, id_ty)];
                    let verb = self.rng.word(&["create", "register", "add", "open"]);
                    let emits = if with_events {
                        let metadata = input.iter().take(2).cloned().collect();
                        vec![event("created", metadata, &mut events)]
                    } else {
                        vec![]
                    };
                    let name = format!("{verb}{agg_name}");
                    op_names.push(name.clone());
                    ops.push(OpGen {
                        name,
                        input,
                        output,
                        emits,
                        errors: vec![],
                    });
                }
                // update
                if self.rng.chance(60) && !fields.is_empty() {
                    let proposal = self.id_type(&agg_name);
                    let mut input = vec![self.op_field(&id_name, proposal)];
                    let (f, ty, _) = self.rng.pick(&fields).clone();
                    let ty = if ty.starts_with('{') {
                        "string".to_string()
                    } else {
                        ty
                    };
                    input.push(self.op_field(&format!("new{}", pascal(&f)), ty.clone()));
                    let emits = if with_events {
                        vec![event(
                            "updated",
                            vec![
                                (format!("old{}", pascal(&f)), ty.clone()),
                                (format!("new{}", pascal(&f)), ty),
                            ],
                            &mut events,
                        )]
                    } else {
                        vec![]
                    };
                    let name = format!("update{agg_name}");
                    op_names.push(name.clone());
                    let errors = if self.rng.chance(50) {
                        vec![format!("{snake_agg}_not_found")]
                    } else {
                        vec![]
                    };
                    ops.push(OpGen {
                        name,
                        input,
                        output: vec![],
                        emits,
                        errors,
                    });
                }
                // transition on a status enum
                if let Some((_, _, Some(values))) = fields.iter().find(|(f, _, _)| f == "status")
                    && let Some((verb, past)) = VERBS_PAST
                        .iter()
                        .find(|(_, p)| values.iter().any(|v| v == p))
                {
                    let proposal = self.id_type(&agg_name);
                    let input = vec![self.op_field(&id_name, proposal)];
                    let emits = if with_events {
                        vec![event(past, vec![], &mut events)]
                    } else {
                        vec![]
                    };
                    let name = format!("{verb}{agg_name}");
                    if !op_names.contains(&name) {
                        op_names.push(name.clone());
                        ops.push(OpGen {
                            name,
                            input,
                            output: vec![],
                            emits,
                            errors: vec![],
                        });
                    }
                }
                // query
                if self.rng.chance(50) {
                    let proposal = self.id_type(&agg_name);
                    let input = vec![self.op_field(&id_name, proposal)];
                    let mut output = Vec::new();
                    if let Some((f, ty, None)) = fields.iter().find(|(_, t, _)| !t.starts_with('{'))
                    {
                        output.push(self.op_field(f, ty.clone()));
                    }
                    let verb = self.rng.word(&["get", "check", "find"]);
                    if verb == "check" {
                        output = vec![self.op_field("available", "bool".into())];
                    }
                    let name = format!("{verb}{agg_name}");
                    op_names.push(name.clone());
                    ops.push(OpGen {
                        name,
                        input,
                        output,
                        emits: vec![],
                        errors: vec![],
                    });
                }
            }
            // A free-form operation with a fresh id out.
            if self.rng.chance(60) {
                let verb = self.rng.word(OTHER_VERBS);
                let mut name = verb.to_string();
                if op_names.contains(&name) {
                    name = format!("{verb}Again");
                }
                let noun = camel(self.rng.word(NOUNS));
                let mut input = Vec::new();
                for _ in 0..self.rng.range(0, 2) {
                    let field = camel(self.rng.word(FIELDS));
                    if input.iter().any(|(f, _)| *f == field) {
                        continue;
                    }
                    let (ty, _) = self.field_type(&all_vos, &all_aggs);
                    input.push(self.op_field(&field, ty));
                }
                let out_ty = if self.rng.chance(50) {
                    "uuid"
                } else {
                    "string"
                };
                let mut output = vec![self.op_field(&format!("{noun}Ref"), out_ty.to_string())];
                // Ids by the list, which a later step may take as text.
                if self.rng.chance(30) {
                    output.push(self.op_field(&format!("{noun}Refs"), "list<uuid>".to_string()));
                }
                let emits = if with_events && !events.is_empty() && self.rng.chance(50) {
                    let own: Vec<String> = events
                        .iter()
                        .filter(|e| modules[m].aggregates.iter().any(|a| a.name == e.entity))
                        .map(|e| e.name.clone())
                        .collect();
                    own.first().cloned().into_iter().collect()
                } else {
                    vec![]
                };
                let errors = if self.rng.chance(40) {
                    vec![format!("{verb}_failed")]
                } else {
                    vec![]
                };
                op_names.push(name.clone());
                ops.push(OpGen {
                    name,
                    input,
                    output,
                    emits,
                    errors,
                });
            }
            modules[m].ops = ops;
        }
        // Subscriptions to other modules' events.
        #[allow(clippy::needless_range_loop)] // modules[m] is read and written in turn
        for m in 0..modules.len() {
            if self.rng.chance(40) {
                let foreign: Vec<String> = events
                    .iter()
                    .filter(|e| !modules[m].aggregates.iter().any(|a| a.name == e.entity))
                    .map(|e| e.name.clone())
                    .collect();
                if !foreign.is_empty() {
                    let event = self.rng.pick(&foreign).clone();
                    modules[m].subscribes.push(event);
                }
            }
        }

        // Synchronous use of earlier modules (never a cycle), and events
        // published without an operation emitting them.
        for m in 1..modules.len() {
            if self.rng.chance(35) {
                let on = modules[self.rng.below(m)].name.clone();
                modules[m].depends_on.push(on);
            }
        }
        #[allow(clippy::needless_range_loop)] // modules[m] is read and written in turn
        for m in 0..modules.len() {
            let own: Vec<String> = events
                .iter()
                .filter(|e| modules[m].aggregates.iter().any(|a| a.name == e.entity))
                .map(|e| e.name.clone())
                .collect();
            if !own.is_empty() && self.rng.chance(30) {
                let event = self.rng.pick(&own).clone();
                modules[m].publishes.push(event);
            }
        }

        let mut out = String::new();
        writeln!(out, "parasol: 1\nbounded_context:\n  name: {context}").unwrap();
        match self.rng.below(7) {
            0 => writeln!(out, "  architecture: v5-event-driven").unwrap(),
            1 => writeln!(out, "  architecture: modular-monolith").unwrap(),
            // Event-sourced aggregates: no bundle here refuses them.
            2 => writeln!(out, "  architecture: cqrs-es").unwrap(),
            // Ports and adapters: the logic holds `ports::Records`.
            3 => writeln!(out, "  architecture: hexagonal").unwrap(),
            4 => writeln!(out, "  architecture: clean-architecture").unwrap(),
            _ => {}
        }
        writeln!(out, "  modules:").unwrap();
        for module in &modules {
            writeln!(out, "    {}:", module.name).unwrap();
            if module.aggregates.is_empty()
                && module.value_objects.is_empty()
                && module.subscribes.is_empty()
            {
                writeln!(out, "      description: Nothing of its own yet.").unwrap();
            }
            if !module.aggregates.is_empty() {
                writeln!(out, "      aggregates:").unwrap();
            }
            for agg in &module.aggregates {
                writeln!(out, "        {}:\n          fields:", agg.name).unwrap();
                for (f, ty, _) in &agg.fields {
                    writeln!(out, "            {f}: {ty}").unwrap();
                }
            }
            if !module.value_objects.is_empty() {
                writeln!(out, "      value_objects:").unwrap();
                for (vo, fields) in &module.value_objects {
                    let listed: Vec<String> =
                        fields.iter().map(|(f, t)| format!("{f}: {t}")).collect();
                    writeln!(out, "        {vo}: {{ {} }}", listed.join(", ")).unwrap();
                }
            }
            if !module.ops.is_empty() {
                writeln!(out, "      api:").unwrap();
                for op in &module.ops {
                    let list = |fields: &[(String, String)]| {
                        fields
                            .iter()
                            .map(|(f, t)| format!("{f}: {t}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    writeln!(out, "        {}:", op.name).unwrap();
                    writeln!(out, "          input: {{ {} }}", list(&op.input)).unwrap();
                    if !op.output.is_empty() {
                        writeln!(out, "          output: {{ {} }}", list(&op.output)).unwrap();
                    }
                    if !op.emits.is_empty() {
                        writeln!(out, "          emits: [{}]", op.emits.join(", ")).unwrap();
                    }
                    if !op.errors.is_empty() {
                        writeln!(out, "          errors: [{}]", op.errors.join(", ")).unwrap();
                    }
                }
            }
            if !module.subscribes.is_empty() {
                writeln!(out, "      subscribes: [{}]", module.subscribes.join(", ")).unwrap();
            }
            if !module.publishes.is_empty() {
                writeln!(out, "      publishes: [{}]", module.publishes.join(", ")).unwrap();
            }
            if !module.depends_on.is_empty() {
                writeln!(out, "      depends_on: [{}]", module.depends_on.join(", ")).unwrap();
            }
        }
        if !events.is_empty() {
            writeln!(out, "  events:").unwrap();
            for event in &events {
                let listed: Vec<String> = event
                    .metadata
                    .iter()
                    .map(|(f, t)| format!("{f}: {t}"))
                    .collect();
                writeln!(
                    out,
                    "    {}: {{ entity: {}, metadata: {{ {} }} }}",
                    event.name,
                    event.entity,
                    listed.join(", ")
                )
                .unwrap();
            }
        }
        // A read model over one aggregate's events.
        let mut views = String::new();
        if !events.is_empty() && self.rng.chance(60) {
            let event = self.rng.pick(&events);
            let entity = event.entity.clone();
            let key = format!("{}Id", camel(&entity));
            let on: Vec<String> = events
                .iter()
                .filter(|e| e.entity == entity)
                .map(|e| e.name.clone())
                .collect();
            // Entity ids are uuids: a view may keep its key as one.
            let key_type = if self.rng.chance(30) {
                "uuid"
            } else {
                "string"
            };
            let mut fields = vec![format!("{key}: {key_type}"), "status: string".to_string()];
            for (f, t) in events
                .iter()
                .filter(|e| e.entity == entity)
                .flat_map(|e| &e.metadata)
                .take(2)
            {
                if !fields.iter().any(|x| x.starts_with(&format!("{f}:"))) {
                    // Named like the metadata but typed otherwise at times:
                    // the default projection converts what cannot fail
                    // and leaves the rest to the user.
                    let t = if self.rng.chance(35) {
                        retyped(t)
                    } else {
                        t.clone()
                    };
                    fields.push(format!("{f}: {t}"));
                }
            }
            let view = self.fresh_type_name(&format!("{entity}View"));
            writeln!(
                views,
                "    {view}:\n      key: {key}\n      fields: {{ {} }}\n      on: [{}]",
                fields.join(", "),
                on.join(", ")
            )
            .unwrap();
        }
        // A read model keyed by an event field (optional in some events:
        // those without it are about no row).
        // Keys of every kind that keys a view: text, uuids, numbers.
        let keyed_by = |e: &&EventGen| {
            e.metadata
                .iter()
                .find(|(_, t)| matches!(t.trim_end_matches('?'), "string" | "uuid" | "int"))
                .map(|(f, t)| (f.clone(), t.trim_end_matches('?').to_string()))
        };
        if let Some((key, ty)) = events.iter().find_map(|e| keyed_by(&e))
            && self.rng.chance(50)
        {
            let on: Vec<String> = events
                .iter()
                .filter(|e| keyed_by(e) == Some((key.clone(), ty.clone())))
                .map(|e| e.name.clone())
                .collect();
            // A uuid or a number may also be kept as its text.
            let key_type = if self.rng.chance(25) {
                "string"
            } else {
                ty.as_str()
            };
            let view = self.fresh_type_name(&format!("{}Tally", pascal(&key)));
            writeln!(views, "    {view}:\n      key: {key}\n      fields: {{ {key}: {key_type}, tallyOfEvents: int }}\n      on: [{}]", on.join(", ")).unwrap();
        }
        if !views.is_empty() {
            write!(out, "  read_models:\n{views}").unwrap();
        }
        // A workflow over operations of several modules, with compensation.
        let all_ops: Vec<(String, &OpGen)> = modules
            .iter()
            .flat_map(|m| m.ops.iter().map(move |o| (m.name.clone(), o)))
            .collect();
        if !all_ops.is_empty() && self.rng.chance(70) {
            let mut steps = String::new();
            let mut provided: Vec<String> = Vec::new();
            // Earlier steps' outputs, for `steps.<step>.<field>` bindings.
            let mut outputs: Vec<(String, String, String)> = Vec::new();
            let mut needed: Vec<(String, String)> = Vec::new();
            let step_count = self.rng.range(1, 4);
            for s in 0..step_count {
                let (module, op) = &all_ops[self.rng.below(all_ops.len())];
                // One required input bound explicitly: the run's id, a
                // literal, an earlier step's output of its type, or a
                // workflow input of another name.
                let mut with: Option<(String, String)> = None;
                let required: Vec<&(String, String)> =
                    op.input.iter().filter(|(_, t)| !t.ends_with('?')).collect();
                if !required.is_empty() && self.rng.chance(45) {
                    let (f, t) = required[self.rng.below(required.len())];
                    // Of its type, or one that travels unchanged into it.
                    let fits = |ty: &str| {
                        ty == t
                            || (ty == "uuid" && t == "string")
                            || (ty == "int" && t == "float")
                            || (ty == "list<uuid>" && t == "list<string>")
                    };
                    let earlier: Vec<&(String, String, String)> =
                        outputs.iter().filter(|(_, _, ty)| fits(ty)).collect();
                    let literal = match t.as_str() {
                        "int" => Some("7"),
                        "float" => Some("2.5"),
                        "bool" => Some("true"),
                        "decimal" => Some("12.50"),
                        "string" => Some("\"fixed: {not} a # comment\""),
                        "datetime" => Some("2026-01-31T09:30:00+09:00"),
                        "uuid" => Some("9b2f6a52-6f1e-4c59-9d3a-3d4c2f9e8a10"),
                        _ => None,
                    };
                    let source = match self.rng.below(4) {
                        0 if t == "string" => Some("workflow.id".to_string()),
                        1 if literal.is_some() => literal.map(str::to_string),
                        2 if !earlier.is_empty() => {
                            let (step, field, _) = earlier[self.rng.below(earlier.len())];
                            Some(format!("steps.{step}.{field}"))
                        }
                        _ => {
                            let alias = format!("given{}", pascal(f));
                            if !needed.iter().any(|(n, _)| *n == alias) {
                                needed.push((alias.clone(), t.clone()));
                            }
                            Some(format!("input.{alias}"))
                        }
                    };
                    with = source.map(|source| (f.clone(), source));
                }
                let need = |op: &OpGen,
                            provided: &[String],
                            bound: Option<&str>,
                            needed: &mut Vec<(String, String)>| {
                    for (f, t) in &op.input {
                        if t.ends_with('?')
                            || provided.contains(f)
                            || bound == Some(f.as_str())
                            || needed.iter().any(|(n, _)| n == f)
                        {
                            continue;
                        }
                        needed.push((f.clone(), t.clone()));
                    }
                };
                let bound = with.as_ref().map(|(f, _)| f.as_str());
                need(op, &provided, bound, &mut needed);
                writeln!(
                    steps,
                    "        - name: step{s}\n          call: {module}.{}",
                    op.name
                )
                .unwrap();
                if let Some((f, source)) = &with {
                    writeln!(steps, "          with: {{ {f}: {source} }}").unwrap();
                }
                let mut own = provided.clone();
                own.extend(op.output.iter().map(|(f, _)| f.clone()));
                let undo: Vec<&(String, &OpGen)> = all_ops
                    .iter()
                    .filter(|(m, o)| m == module && o.name != op.name)
                    .collect();
                if !undo.is_empty() && self.rng.chance(60) {
                    let (_, undo) = undo[self.rng.below(undo.len())];
                    // The compensation sees the step's `with:` values too.
                    need(undo, &own, bound, &mut needed);
                    writeln!(steps, "          compensate: {module}.{}", undo.name).unwrap();
                }
                provided.extend(op.output.iter().map(|(f, _)| f.clone()));
                outputs.extend(
                    op.output
                        .iter()
                        .map(|(f, t)| (format!("step{s}"), f.clone(), t.clone())),
                );
            }
            let listed: Vec<String> = needed.iter().map(|(f, t)| format!("{f}: {t}")).collect();
            let workflow = self.fresh_type_name("run_all");
            let mut options = String::new();
            for (key, values) in [
                (
                    "coordination",
                    &["frontend", "orchestration", "choreography"][..],
                ),
                ("compensation", &["best-effort", "strict"]),
                ("state_sync", &["realtime-sse", "polling", "none"]),
            ] {
                if self.rng.chance(40) {
                    let value = values[self.rng.below(values.len())];
                    writeln!(options, "      {key}: {value}").unwrap();
                }
            }
            let mut notify = String::new();
            if !events.is_empty() && self.rng.chance(40) {
                let event = &self.rng.pick(&events).name;
                notify = format!("      on_success: {{ notify: {event} }}\n");
            }
            writeln!(
                out,
                "  workflows:\n    {workflow}:\n{options}      input: {{ {} }}\n      steps:\n{steps}{notify}",
                listed.join(", ")
            )
            .unwrap();
        }
        // Frontends with backends of their own (names that are keywords
        // too), behind a gateway or not.
        let gateway = match self.rng.below(3) {
            0 => Some("{ auth: jwt }"),
            1 => Some("{ auth: none, rate_limit: 50/s }"),
            _ => None,
        };
        let frontends: Vec<&str> = ["web", "mobile", "default", "type", "admin_console"]
            .into_iter()
            .filter(|_| self.rng.chance(40))
            .collect();
        let sync = self.rng.chance(40).then(|| {
            let threshold = ["1%", "50%", "100%"][self.rng.below(3)];
            let retries = self.rng.below(4);
            format!(
                "{{ connect_timeout: 250ms, read_timeout: 2s, retries: {retries}, circuit_breaker: {{ failure_threshold: {threshold}, open_for: 1s }} }}"
            )
        });
        let asynchronous = self.rng.chance(30).then(|| {
            let max = self.rng.range(1, 8);
            format!(
                "{{ batch_size: {}, linger: 5ms, consumer_concurrency: {{ min: 1, max: {max} }}, retention: {{ events: 1d, dead_letter: 30d }} }}",
                self.rng.range(1, 200)
            )
        });
        let broker = self
            .rng
            .chance(40)
            .then(|| ["kafka", "redis", "nats", "in-memory"][self.rng.below(4)]);
        if gateway.is_some()
            || !frontends.is_empty()
            || sync.is_some()
            || asynchronous.is_some()
            || broker.is_some()
        {
            writeln!(out, "  communication:").unwrap();
            if let Some(sync) = sync {
                writeln!(out, "    sync: {sync}").unwrap();
            }
            if let Some(asynchronous) = asynchronous {
                writeln!(out, "    async: {asynchronous}").unwrap();
            }
            if let Some(broker) = broker {
                writeln!(out, "    streaming: {{ broker: {broker} }}").unwrap();
            }
            if let Some(gateway) = gateway {
                writeln!(out, "    gateway: {gateway}").unwrap();
            }
            if !frontends.is_empty() {
                writeln!(out, "    bff: [{}]", frontends.join(", ")).unwrap();
            }
        }
        out
    }
}

fn seed() -> u64 {
    seed_from_env("PARASOL_COMPILE_SEED")
}

fn cases() -> usize {
    std::env::var("PARASOL_COMPILE_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

/// Writes the spec of case `case` of `seed` to a folder and returns its
/// text, its path and its context's name.
fn spec_for(seed: u64, case: usize, dir: &Path) -> (String, PathBuf, String) {
    let mut rng = Rng(seed ^ (case as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let context = format!("{}{case}", pascal(rng.word(NOUNS)));
    let text = SpecGen {
        rng: &mut rng,
        names: BTreeMap::new(),
        used_types: Vec::new(),
    }
    .spec(&context);
    let path = dir.join(format!(
        "{}.bc.yaml",
        heck::ToKebabCase::to_kebab_case(context.as_str())
    ));
    std::fs::write(&path, &text).unwrap();
    (text, path, context)
}

/// A spec of one's own to check instead of invented ones
/// (`PARASOL_COMPILE_SPEC=path`), read where it is (its bundles beside
/// it): its text, path and context name.
fn given_spec() -> Option<(String, PathBuf, String)> {
    let given = std::env::var_os("PARASOL_COMPILE_SPEC")?;
    let path = std::fs::canonicalize(&given)
        .unwrap_or_else(|e| panic!("PARASOL_COMPILE_SPEC {}: {e}", given.to_string_lossy()));
    let text = std::fs::read_to_string(&path).unwrap();
    let context = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("name:"))
        .map(|name| name.trim().to_string())
        .expect("the spec names its context");
    Some((text, path, context))
}

/// The name of the spec's workflow, if it has one (`SpecGen` writes at most one).
fn workflow_of(text: &str) -> Option<String> {
    let rest = text.split_once("\n  workflows:\n    ")?.1;
    Some(rest.split_once(':')?.0.to_string())
}

/// A generator other than `bc generate`, run on an accepted spec.
#[derive(Clone, Copy, Debug)]
enum Extra {
    /// `generate event-patterns` with these flags.
    EventPatterns(&'static [&'static str]),
    /// `setup orchestration --location backend` of the workflow.
    Saga,
    /// `bc implement-communication --pattern saga-choreography` of the workflow.
    Choreography,
    /// `bc setup-monitoring`: its rules pass `promtool check` and their own tests.
    Monitoring,
    /// `bc test-communication`: its scenarios pass against the real service.
    CommunicationTests,
}

const EXTRAS: &[Extra] = &[
    Extra::EventPatterns(&["--style", "v5-lightweight"]),
    Extra::Saga,
    Extra::EventPatterns(&[
        "--style",
        "domain-events",
        "--coordination",
        "backend",
        "--allow-backend-saga",
    ]),
    Extra::Monitoring,
    Extra::Choreography,
    Extra::EventPatterns(&["--style", "event-sourced"]),
    Extra::CommunicationTests,
];

impl Extra {
    fn needs_workflow(self) -> bool {
        matches!(self, Extra::Saga | Extra::Choreography)
    }
}

/// The extras case `case` runs: every one with `PARASOL_COMPILE_EXTRAS=all`,
/// else the next in turn that applies to the spec.
fn extras_for(seed: u64, case: usize, has_workflow: bool) -> Vec<Extra> {
    let applies = |e: &Extra| has_workflow || !e.needs_workflow();
    if std::env::var("PARASOL_COMPILE_EXTRAS").as_deref() == Ok("all") {
        return EXTRAS.iter().copied().filter(applies).collect();
    }
    let start = (seed as usize).wrapping_add(case) % EXTRAS.len();
    (0..EXTRAS.len())
        .map(|i| EXTRAS[(start + i) % EXTRAS.len()])
        .find(applies)
        .into_iter()
        .collect()
}

/// Another type for a field named like `t`'s: text where an enum value,
/// a number or an id was, an enum where text was, optional or not.
fn retyped(t: &str) -> String {
    match t {
        "string" => "{ enum: [alpha, beta] }".to_string(),
        "int" | "uuid" | "bool" => "string".to_string(),
        t if t.ends_with('?') => t.trim_end_matches('?').to_string(),
        t if t.starts_with('{') => "string".to_string(),
        t => format!("{t}?"),
    }
}

/// The folders under `dir`, by name.
fn folders(dir: &Path) -> std::collections::BTreeSet<std::ffi::OsString> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `extra` on the spec in a folder of its own (`out`), beside the
/// service's Rust crate where it needs one, and checks what it added: each
/// new crate and package with the real toolchains.
fn check_extra(extra: Extra, spec: &Path, out: &Path, context: &str, workflow: Option<&str>) {
    let (rust, ts) = (out.join("rust"), out.join("ts"));
    if !matches!(extra, Extra::EventPatterns(_) | Extra::Monitoring) {
        generate(spec, out, "rust");
    }
    let (rust_before, ts_before) = (folders(&rust), folders(&ts));
    let binary =
        matches!(extra, Extra::CommunicationTests).then(|| build_binary(&only_child(&rust), out));
    let workflow = workflow.unwrap_or_default();
    let run = match extra {
        Extra::EventPatterns(flags) => event_patterns(spec, out, context, flags),
        Extra::Saga => setup_orchestration(spec, out, workflow, BACKEND_SAGA),
        Extra::Choreography => bc(
            &["implement-communication"],
            spec,
            out,
            &[
                "--pattern",
                "saga-choreography",
                "--workflow",
                workflow,
                context,
            ],
        ),
        Extra::Monitoring => bc(&["setup-monitoring"], spec, out, &[context]),
        Extra::CommunicationTests => bc(&["test-communication"], spec, out, &[]),
    };
    // A bundle of one's own spec (`PARASOL_COMPILE_SPEC`) may forbid this
    // generator: refused at the bundle's line, nothing to check.
    // (Its message names the bundle and the principle it sets, or the
    // catalogue that leaves the request out: `policy`, docs/policy.md.)
    let by_a_bundle =
        run.stderr.contains(" sets `v5_principles: ") || run.stderr.contains(" in no bundle's `");
    if run.code == 1 && by_a_bundle {
        eprintln!("  {extra:?}: refused by a bundle, as it should be");
        return;
    }
    run.ok();
    let added = |dir: &Path, before: &std::collections::BTreeSet<std::ffi::OsString>| {
        folders(dir)
            .difference(before)
            .map(|name| dir.join(name))
            .collect::<Vec<PathBuf>>()
    };
    let (new_crates, new_packages) = (added(&rust, &rust_before), added(&ts, &ts_before));
    assert!(
        !new_crates.is_empty() || !new_packages.is_empty(),
        "{extra:?} added nothing under {}",
        out.display()
    );
    for crate_dir in new_crates {
        if matches!(extra, Extra::Monitoring) {
            for args in [
                &["check", "rules", "rules.yml"][..],
                &["test", "rules", "rules.test.yml"],
            ] {
                let (passed, report) = services::promtool(&crate_dir, args, "");
                assert!(passed, "promtool {}: {report}", args.join(" "));
            }
        } else {
            check_rust_crate(&crate_dir);
        }
    }
    for package in new_packages {
        match &binary {
            Some(binary) => {
                let run = communication_tests(&package, binary, &["communication.test.js"]);
                assert!(
                    run.stdout.contains("# fail 0") && !run.stdout.contains("# pass 0"),
                    "{}",
                    run.stdout
                );
            }
            None => check_ts_package(&package),
        }
    }
}

fn keep_failure(seed: u64, case: usize, text: &str) -> PathBuf {
    let dir = repo().join("target/compile-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{seed}-{case}.bc.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Checks one spec: `Some(first error)` when `bc validate` refuses it (at a
/// location, and `bc generate` refuses it too), `None` when it was generated
/// and passed every gate. Panics otherwise.
fn check_spec(spec: &Path, out: &Path) -> Option<String> {
    let validate = parasol(&["bc", "validate", "--spec", spec.to_str().unwrap()]);
    let generate = try_generate(spec, out, "rust,ts");
    if validate.code != 0 {
        assert_eq!(validate.code, 1, "{}", validate.stderr);
        assert!(
            validate.stderr.contains(".bc.yaml:"),
            "refused without a location:\n{}",
            validate.stderr
        );
        assert_ne!(generate.code, 0, "validate refused, generate accepted");
        let first = validate.stderr.lines().find(|l| l.starts_with("error"));
        return Some(first.unwrap_or_default().to_string());
    }
    assert_eq!(
        generate.code, 0,
        "validate accepted, generate refused:\n{}",
        generate.stderr
    );
    // What parasol accepts, the schema editors check against accepts too.
    assert_schema_accepts(&[spec.to_path_buf()]);
    let crate_dir = only_child(&out.join("rust"));
    check_rust_crate(&crate_dir);
    let package = out.join("ts").join(crate_dir.file_name().unwrap());
    check_ts_package(&package);
    check_clients_against_service(&crate_dir, &package, out);
    None
}

#[test]
fn every_accepted_spec_builds_tests_and_lints() {
    let seed = seed();
    let cases = cases();
    eprintln!("compile property: seed {seed}, {cases} specs (PARASOL_COMPILE_SEED={seed} replays)");
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..cases {
        let dir = tempfile::tempdir().unwrap();
        let given = given_spec();
        let own = given.is_some();
        let (text, spec, context) = given.unwrap_or_else(|| spec_for(seed, case, dir.path()));
        let out = dir.path().join("out");
        let workflow = workflow_of(&text);
        let checked = std::panic::catch_unwind(|| {
            let refused = check_spec(&spec, &out);
            let mut extras = Vec::new();
            if refused.is_none() {
                extras = extras_for(seed, case, workflow.is_some());
                for (i, &extra) in extras.iter().enumerate() {
                    let out = dir.path().join(format!("extra-{i}"));
                    check_extra(extra, &spec, &out, &context, workflow.as_deref());
                }
            }
            (refused, extras)
        });
        match checked {
            // One's own spec is there to be checked, not refused.
            Ok((Some(first), _)) if own => panic!("PARASOL_COMPILE_SPEC is refused: {first}"),
            Ok((Some(first), _)) => {
                refused += 1;
                eprintln!("  case {case}: refused: {first}");
            }
            Ok((None, extras)) => {
                accepted += 1;
                eprintln!("  case {case}: built, tested, linted; then {extras:?}");
            }
            Err(_) => panic!(
                "case {case} fails (see above); the spec is kept at {}",
                keep_failure(seed, case, &text).display()
            ),
        }
    }
    eprintln!(
        "compile property: {accepted} accepted and checked, {refused} refused with a location"
    );
}

/// Prints the specs of a seed with what `bc validate` says, without
/// compiling: `PARASOL_COMPILE_SEED=1 cargo test --test compile -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_specs() {
    let seed = seed();
    for case in 0..cases() {
        let dir = tempfile::tempdir().unwrap();
        let (text, spec, _) = spec_for(seed, case, dir.path());
        let validate = parasol(&["bc", "validate", "--spec", spec.to_str().unwrap()]);
        if let Ok(dump) = std::env::var("PARASOL_COMPILE_DUMP") {
            let file = Path::new(&dump).join(format!("{seed}-{case}.bc.yaml"));
            std::fs::write(file, &text).unwrap();
        }
        println!(
            "# case {case}\n{text}\n# validate: {}\n{}",
            validate.code, validate.stderr
        );
    }
}
