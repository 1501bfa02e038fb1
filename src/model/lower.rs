//! Raw spec -> resolved model. Every reference is resolved here and every
//! dangling one reported at the referencing node (with a "did you mean");
//! names are checked for shape, keywords, reserved words and collisions
//! after case mapping. Collections are sorted by name for determinism.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::diag::{Diagnostic, Diagnostics, Location, Pos, SourceFile, did_you_mean};
use crate::model::names::{
    self, Name, is_identifier, is_windows_device_name, pluralize, serde_camel,
};
use crate::model::types::{self, PRIMITIVES, Ty, TypeExpr};
use crate::model::*;
use crate::model::{bodies, samples};
use crate::source::bundle::BundleSet;
use crate::source::decode::Spanned;
use crate::source::spec::*;

use crate::settings::Architecture;
pub const COORDINATIONS: &[&str] = &["frontend", "orchestration", "choreography"];
pub const COMPENSATIONS: &[&str] = &["best-effort", "strict"];
pub const STATE_SYNCS: &[&str] = &["realtime-sse", "polling", "none"];
pub const BROKERS: &[&str] = &["kafka", "redis", "nats", "in-memory"];

/// How the generated API gateway authenticates callers
/// (`communication.gateway.auth`): HS256 JSON Web Tokens, or not at all.
pub const GATEWAY_AUTH: &[&str] = &["jwt", "none"];

/// Longest name accepted; event names (dotted) may reach `MAX_EVENT_NAME_LEN`.
/// Keeps every generated line within rustfmt's width, so generated code is
/// exactly as `cargo fmt` writes it.
pub const MAX_NAME_LEN: usize = 32;
pub const MAX_EVENT_NAME_LEN: usize = 40;

/// Operation names refused, and why: members every module service (Rust)
/// or client class (TypeScript) has, and `then`, which would make every
/// TypeScript client a thenable (`await` on one, or returning it from an
/// `async` function, would call the operation instead of yielding the
/// client).
const RESERVED_OPS: &[(&str, &str)] = &[
    ("constructor", MEMBER),
    ("http", MEMBER),
    ("new", MEMBER),
    ("on_event", MEMBER),
    ("start_subscriber", MEMBER),
    (
        "then",
        "would make the generated TypeScript client awaitable (a thenable)",
    ),
    ("within", MEMBER),
];
const MEMBER: &str = "clashes with a member every generated module service or client has";

/// Fields every aggregate has; a spec may not declare them again.
const AUDIT_FIELDS: &[&str] = &[
    "id",
    "version",
    "createdAt",
    "createdBy",
    "updatedAt",
    "updatedBy",
];

/// One namespace of generated names: each form a name takes in code
/// (`order_items`, `OrderItems`...) -> the spec name that took it first.
#[derive(Default)]
struct Claims(HashMap<String, String>);

impl Claims {
    /// Takes every form for `name`; or, when another name holds one of
    /// them already, that form and the other name (and takes nothing).
    fn take<'f>(&mut self, name: &str, forms: &[&'f str]) -> Result<(), (&'f str, String)> {
        if let Some(clash) = forms
            .iter()
            .find_map(|form| self.0.get(*form).map(|other| (*form, other.clone())))
        {
            return Err(clash);
        }
        for form in forms {
            self.0.insert(form.to_string(), name.to_string());
        }
        Ok(())
    }

    /// The spec name holding `form`.
    fn holder(&self, form: &str) -> Option<&str> {
        self.0.get(form).map(String::as_str)
    }

    /// Every name that took a form, sorted, once each.
    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.0.values().map(String::as_str).collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

#[derive(Clone)]
enum TypeEntry {
    ValueObject { rust_type: String },
    Aggregate { rust_type: String },
}

struct Lowerer<'d> {
    file: Arc<SourceFile>,
    diags: &'d mut Diagnostics,
    types: BTreeMap<String, (TypeEntry, Pos)>,
    enums: Vec<EnumDef>,
    uses: Uses,
    broken_events: BTreeSet<String>,
    /// Declared types whose own declaration was rejected (already reported).
    broken_types: BTreeSet<String>,
    /// Operations (`module.op`) whose own declaration was rejected (already
    /// reported): a call to one is not reported again.
    broken_ops: BTreeSet<String>,
}

/// Which naming rule a spec name follows.
#[derive(Clone, Copy, PartialEq)]
enum NameKind {
    Context,
    Module,
    Type,
    Field,
    Op,
    Event,
    ErrorCode,
    Step,
}

impl Lowerer<'_> {
    fn loc(&self, pos: Pos) -> Location {
        Location::in_file(&self.file, pos)
    }

    fn error(&mut self, pos: Pos, code: &'static str, message: String) -> &mut Diagnostic {
        let d = Diagnostic::error(code, message).at(self.loc(pos));
        self.diags.push(d);
        self.last()
    }

    fn last(&mut self) -> &mut Diagnostic {
        self.diags.last_mut().expect("just pushed")
    }

    /// Checks a spec name's shape; `false` when it cannot be used at all.
    fn check_name(
        &mut self,
        name: &Spanned<String>,
        kind: NameKind,
        what: &dyn std::fmt::Display,
    ) -> bool {
        let text = name.value.as_str();
        let len = text.chars().count() as u32;
        let pos = Pos { len, ..name.pos };
        let ok = match kind {
            NameKind::Module => {
                text.starts_with(|c: char| c.is_ascii_lowercase())
                    && text
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            }
            NameKind::Context | NameKind::Type => {
                text.starts_with(|c: char| c.is_ascii_uppercase())
                    && text.chars().all(|c| c.is_ascii_alphanumeric())
            }
            NameKind::Field | NameKind::Op | NameKind::Step => is_identifier(text),
            NameKind::ErrorCode => {
                text.starts_with(|c: char| c.is_ascii_lowercase())
                    && text
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            }
            NameKind::Event => {
                let parts: Vec<&str> = text.split('.').collect();
                parts.len() >= 2
                    && parts.iter().all(|p| {
                        p.starts_with(|c: char| c.is_ascii_lowercase())
                            && p.chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    })
            }
        };
        if !ok {
            let (rule, example) = match kind {
                NameKind::Module => (
                    "snake_case: lowercase letters, digits and `_`",
                    "order_management",
                ),
                NameKind::Context | NameKind::Type => {
                    ("PascalCase: letters and digits", "OrderLine")
                }
                NameKind::Field | NameKind::Op | NameKind::Step => (
                    "an identifier: a letter, then letters, digits or `_`",
                    "orderId",
                ),
                NameKind::ErrorCode => (
                    "snake_case: lowercase letters, digits and `_`",
                    "insufficient_stock",
                ),
                NameKind::Event => (
                    "`<entity>.<past_tense>`: lowercase words joined by dots",
                    "order.placed",
                ),
            };
            let shown: String = text.chars().flat_map(char::escape_debug).take(80).collect();
            let message = format!("{what} `{shown}` is not a valid name; it must be {rule}");
            let help = if text.is_empty() {
                // YAML's core schema reads these keys as null, not as text.
                "YAML reads the key `null` (`Null`, `NULL`, `~`) as no name at all; quote it (`\"Null\"`) or choose another name"
                    .to_string()
            } else if text.contains(['/', '\\']) || text.contains("..") || text.contains('\0') {
                "names become file paths and identifiers, so path characters are not allowed"
                    .to_string()
            } else {
                format!("for example `{example}`")
            };
            self.error(pos, "invalid-name", message).help = Some(help);
            return false;
        }
        let limit = if kind == NameKind::Event {
            MAX_EVENT_NAME_LEN
        } else {
            MAX_NAME_LEN
        };
        // A name too long is still the name its uses refer to: declared,
        // it does not make every use an "unknown" error too.
        if text.chars().count() > limit {
            let message = format!("`{text}` ({what}) is longer than {limit} characters");
            self.error(pos, "name-too-long", message).help =
                Some("names become identifiers, file names and routes; shorten it".into());
        }
        let n = Name::new(text);
        for form in [&n.snake, &n.kebab] {
            if is_windows_device_name(form) {
                let message = format!(
                    "{what} `{text}` would create a file named `{form}`, which Windows reserves for a device"
                );
                self.error(pos, "invalid-name", message).help = Some("choose another name".into());
                return false;
            }
        }
        true
    }

    fn type_names(&self) -> Vec<&str> {
        PRIMITIVES
            .iter()
            .copied()
            .chain(self.types.keys().map(String::as_str))
            .collect()
    }

    fn resolve_expr(&mut self, expr: &TypeExpr, pos: Pos) -> Option<Ty> {
        match expr {
            TypeExpr::Named { name, offset } => {
                if PRIMITIVES.contains(&name.as_str()) {
                    match name.as_str() {
                        "decimal" => self.uses.decimal = true,
                        "uuid" => self.uses.uuid = true,
                        "datetime" => self.uses.datetime = true,
                        _ => {}
                    }
                    return Some(Ty::primitive(name));
                }
                match self.types.get(name).map(|(e, _)| e.clone()) {
                    Some(TypeEntry::ValueObject { rust_type }) => {
                        Some(Ty::value_object(&rust_type, name))
                    }
                    Some(TypeEntry::Aggregate { rust_type }) => {
                        Some(Ty::aggregate_ref(&rust_type, name))
                    }
                    // Already reported where it is declared.
                    None if self.broken_types.contains(name) => None,
                    None => {
                        let help = did_you_mean(name, self.type_names())
                            .or_else(|| type_alias(name))
                            .unwrap_or_else(|| "types are string, int, float, bool, decimal, uuid, datetime, list<T>, map<T>, T?, `{ enum: [...] }`, or a value object or aggregate of this context".into());
                        let at = pos.shifted(*offset, name.chars().count() as u32);
                        self.error(at, "unknown-type", format!("unknown type `{name}`"))
                            .help = Some(help);
                        None
                    }
                }
            }
            TypeExpr::List(inner) => self.resolve_expr(inner, pos).map(Ty::list),
            TypeExpr::Map(inner) => {
                self.uses.maps = true;
                self.resolve_expr(inner, pos).map(Ty::map)
            }
            TypeExpr::Optional(inner) => self.resolve_expr(inner, pos).map(Ty::optional),
        }
    }

    /// Resolves a field's type; inline enums become named types `<Owner><Field>`.
    /// `what` says whose field it is, as `fields` is told.
    fn resolve_type(&mut self, ty: &RawType, owner: &str, field: &str, what: &str) -> Option<Ty> {
        match ty {
            RawType::Named(text) => match types::parse(&text.value) {
                Ok(expr) => self.resolve_expr(&expr, text.pos),
                Err(e) => {
                    let at = if e.offset as usize <= text.value.chars().count() {
                        text.pos.shifted(e.offset, e.len)
                    } else {
                        text.pos
                    };
                    self.error(at, "invalid-type", e.message);
                    None
                }
            },
            RawType::Enum {
                pos,
                variants,
                optional,
            } => {
                // Cased once, whole: the declaration (`EnumDef.name`) and
                // every use (`Ty`) must agree even where the join reads as
                // other words (`LegX` + `AStatus` is `LegXaStatus`).
                let type_name = Name::new(&format!(
                    "{}{}",
                    Name::new(owner).pascal,
                    Name::new(field).pascal
                ));
                if variants.is_empty() {
                    self.error(
                        *pos,
                        "invalid-type",
                        format!("enum `{}` needs at least one value", type_name.pascal),
                    );
                    return None;
                }
                let mut seen = Claims::default();
                let mut out = Vec::new();
                let mut ok = true;
                for v in variants {
                    let valid = v.value.starts_with(|c: char| c.is_ascii_alphabetic())
                        && v.value
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if !valid {
                        let d = self.error(
                            Pos { len: v.value.chars().count() as u32, ..v.pos },
                            "invalid-name",
                            format!("enum value `{}` must start with a letter and use letters, digits, `_` or `-` (ASCII)", v.value.escape_debug()),
                        );
                        // Each value is also a Rust and TypeScript identifier.
                        if !v.value.is_ascii() {
                            d.help = Some("values become identifiers in the generated code: spell them in ASCII (`in_progress`) and keep the labels people read in a description".into());
                        }
                        ok = false;
                        continue;
                    }
                    let rust = names::rust_type_ident(&Name::new(&v.value).pascal);
                    if !self.claim(&mut seen, v, &[&rust], |first, rust| {
                        format!(
                            "enum values `{first}` and `{}` both become `{rust}` in code",
                            v.value
                        )
                    }) {
                        ok = false;
                        continue;
                    }
                    out.push(Variant {
                        raw: v.value.clone(),
                        rust,
                    });
                }
                if !ok {
                    return None;
                }
                let raw_variants: Vec<String> = out.iter().map(|v| v.raw.clone()).collect();
                let rust_type = type_name.rust_type.clone();
                self.enums.push(EnumDef {
                    name: type_name,
                    variants: out,
                    origin: format!("{owner}.{field}"),
                    declared_in: format!("the enum of field `{field}` of {what}"),
                    pos: *pos,
                });
                let ty = Ty::enumeration(&rust_type, &raw_variants);
                Some(if *optional { ty.optional() } else { ty })
            }
        }
    }

    /// Claims `name` in `claims` under `forms`. On a clash, reports
    /// `clash(other name, form)` at `name` as a `name-collision` and
    /// returns false.
    fn claim(
        &mut self,
        claims: &mut Claims,
        name: &Spanned<String>,
        forms: &[&str],
        clash: impl FnOnce(&str, &str) -> String,
    ) -> bool {
        match claims.take(&name.value, forms) {
            Ok(()) => true,
            Err((form, other)) => {
                self.error(name.pos, "name-collision", clash(&other, form));
                false
            }
        }
    }

    /// Lowers a field map: names checked, types resolved, collisions after
    /// case mapping reported, sorted by name.
    fn fields(
        &mut self,
        raw: &RawFields,
        owner: &str,
        what: &str,
        reserved: &[&str],
    ) -> Vec<Field> {
        let mut out: Vec<Field> = Vec::new();
        let mut by_snake = Claims::default();
        for f in &raw.fields {
            if !self.check_name(&f.name, NameKind::Field, &format_args!("field of {what}")) {
                continue;
            }
            // After case mapping: `updated_by` is the Rust field `updatedBy` becomes.
            let snake = Name::new(&f.name.value).snake.clone();
            if let Some(taken) = reserved.iter().find(|r| Name::new(r).snake == snake) {
                let message = if *taken == f.name.value {
                    format!("`{taken}` is reserved: every aggregate already has it")
                } else {
                    format!(
                        "`{}` is reserved: every aggregate already has `{taken}`, which becomes `{snake}` too",
                        f.name.value
                    )
                };
                self.error(f.name.pos, "reserved-name", message).help = Some(format!(
                    "aggregates always carry {}",
                    AUDIT_FIELDS.join(", ")
                ));
                continue;
            }
            let name = Name::new(&f.name.value);
            if !self.claim(&mut by_snake, &f.name, &[&name.snake], |other, snake| {
                format!(
                    "fields `{other}` and `{}` of {what} both become `{snake}` in Rust",
                    f.name.value
                )
            }) {
                continue;
            }
            let Some(ty) = self.resolve_type(&f.ty, owner, &f.name.value, what) else {
                continue;
            };
            let rename = (serde_camel(&name.rust) != name.raw).then(|| name.raw.clone());
            out.push(Field {
                name,
                ty,
                rename,
                sample: serde_json::Value::Null,
                pos: f.name.pos,
            });
        }
        out.sort_by(|a, b| a.name.raw.cmp(&b.name.raw));
        out
    }
}

fn op_error_status(code: &str) -> u16 {
    if code.ends_with("not_found") {
        404
    } else if code.ends_with("conflict") || code.ends_with("already_exists") {
        409
    } else if code.ends_with("forbidden") {
        403
    } else if code.ends_with("unauthorized") || code.ends_with("unauthenticated") {
        401
    } else {
        422
    }
}

/// Builds the model. Returns `None` only when there is no context to speak
/// of; otherwise a best-effort model (dangling references dropped) so that
/// later checks can still report their findings in the same run.
pub fn lower(
    raw: &RawSpec,
    bundles: Arc<BundleSet>,
    spec_file: &str,
    diags: &mut Diagnostics,
) -> Option<Context> {
    let rc = raw.context.as_ref()?;
    let mut l = Lowerer {
        file: raw.file.clone(),
        diags,
        types: BTreeMap::new(),
        enums: Vec::new(),
        uses: Uses::default(),
        broken_events: BTreeSet::new(),
        broken_types: BTreeSet::new(),
        broken_ops: BTreeSet::new(),
    };
    let policy = Policy::from_bundles(&bundles);

    let name = match &rc.name {
        Some(n) if l.check_name(n, NameKind::Context, &"bounded context name") => {
            let name = Name::new(&n.value);
            if super::names::DEPENDENCY_CRATES.contains(&name.snake.as_str()) {
                l.error(
                    n.pos,
                    "name-collision",
                    format!(
                        "context `{}` would be the crate `{}`, the name of a crate the generated code uses",
                        n.value, name.snake
                    ),
                )
                .help = Some(format!(
                    "rename the context (`{}Service`, say)",
                    name.pascal
                ));
            }
            name
        }
        _ => Name::new("Context"),
    };
    let architecture = match &rc.architecture {
        Some(a) if Architecture::parse(&a.value).is_some() => a.value.clone(),
        Some(a) => {
            let words = Architecture::ALL.iter().map(|a| a.as_str());
            let help = did_you_mean(&a.value, words.clone())
                .unwrap_or_else(|| format!("one of {}", words.collect::<Vec<_>>().join(", ")));
            l.error(
                a.pos,
                "unknown-architecture",
                format!("unknown architecture `{}`", a.value),
            )
            .help = Some(help);
            "v5-event-driven".into()
        }
        None => policy.default_architecture(),
    };

    if rc.modules.is_empty() && !rc.modules_reported {
        l.error(
            rc.modules_pos,
            "missing-key",
            "a bounded context needs at least one module".into(),
        );
    }

    let (module_names, valid_modules) = declare_modules(&mut l, rc);
    declare_types(&mut l, &valid_modules);
    let (value_objects, module_aggregates) = lower_types(&mut l, &valid_modules, &policy);
    refuse_endless_value_objects(&mut l, &value_objects);
    let mut events = lower_events(&mut l, rc, &module_aggregates);
    let known = KnownEvents::new(rc, &events);
    let mut modules = lower_modules(
        &mut l,
        &valid_modules,
        &module_names,
        module_aggregates,
        &known,
    );
    add_crud_events(&mut modules, &mut events);
    link_publishers(&mut modules, &mut events);
    let read_models = lower_read_models(&mut l, rc, &known);
    let workflows = lower_workflows(&mut l, rc, &modules, &known);
    let state_types = check_type_namespace(
        &mut l,
        &value_objects,
        &modules,
        &events,
        &read_models,
        &workflows,
    );
    let aggregates = modules.iter_mut().flat_map(|m| &mut m.aggregates);
    for (a, state_type) in aggregates.zip(state_types) {
        a.state_type = state_type;
    }

    let communication = lower_communication(&mut l, rc.communication.as_ref());

    let mut enums = std::mem::take(&mut l.enums);
    enums.sort_by(|a, b| a.name.raw.cmp(&b.name.raw));
    let uses = std::mem::take(&mut l.uses);

    let mut context = Context {
        name,
        description: rc.description.clone(),
        architecture,
        spec_file: spec_file.to_string(),
        modules,
        value_objects,
        enums,
        events,
        read_models,
        workflows,
        communication,
        policy,
        config: bundles.config.clone(),
        bundles: bundles
            .roots
            .iter()
            .map(|&i| bundles.bundles[i].name.clone())
            .collect(),
        uses,
        events_use_types: false,
        views_use_types: false,
        view_shared_types: Vec::new(),
        event_shared_types: Vec::new(),
        op_keys: Vec::new(),
        widest_object: 0,
        file: raw.file.clone(),
        bundle_set: bundles,
        pos: rc.pos,
        architecture_pos: rc.architecture.as_ref().map(|a| a.pos),
    };
    bodies::plan_all(&mut context);
    bodies::plan_projections(&mut context);
    samples::fill(&mut context);
    shared_types(&mut context);
    context.widest_object = widest_object(&context);
    if !context.communication.bff.is_empty() {
        context.communication.bff_views = bff_views(&context.modules);
    }
    Some(context)
}

/// See `Context::widest_object`.
fn widest_object(ctx: &Context) -> usize {
    let modules = ctx.modules.iter().flat_map(|m| {
        m.aggregates
            .iter()
            .map(|a| a.fields.len())
            .chain(m.ops.iter().flat_map(|o| [o.input.len(), o.output.len()]))
    });
    ctx.value_objects
        .iter()
        .map(|v| v.fields.len())
        .chain(ctx.read_models.iter().map(|r| r.fields.len()))
        .chain(ctx.events.iter().map(|e| e.metadata.len()))
        .chain(ctx.workflows.iter().map(|w| w.input.len()))
        .chain(modules)
        .max()
        .unwrap_or(0)
}

/// The module names every later pass may use: each name's Rust, type and
/// file forms (`order_items`, `OrderItems`, `order-items`) -> the name as
/// written.
type ModuleNames = Claims;

/// A module as written, once its name is valid and unique.
type ValidModule<'r> = &'r (Spanned<String>, RawModule);

/// The events of the context: every declared name (for "did you mean")
/// and those that resolved.
struct KnownEvents {
    declared: Vec<String>,
    resolved: BTreeSet<String>,
}

impl KnownEvents {
    fn new(rc: &RawContext, events: &[Event]) -> Self {
        KnownEvents {
            declared: rc.events.iter().map(|(n, _)| n.value.clone()).collect(),
            resolved: events.iter().map(|e| e.name.raw.clone()).collect(),
        }
    }

    fn exists(&self, name: &str) -> bool {
        self.resolved.contains(name)
    }
}

/// Pass 1a: module names, checked and unique in every form they take.
fn declare_modules<'r>(
    l: &mut Lowerer<'_>,
    rc: &'r RawContext,
) -> (ModuleNames, Vec<ValidModule<'r>>) {
    let mut module_names = Claims::default();
    let mut valid_modules: Vec<&(Spanned<String>, RawModule)> = Vec::new();
    for entry @ (mname, _) in &rc.modules {
        if !l.check_name(mname, NameKind::Module, &"module") {
            continue;
        }
        let n = Name::new(&mname.value);
        // Modules name Rust modules (snake_case) and types (`OrderService`,
        // PascalCase), TypeScript files (kebab-case) and client properties.
        // Reached as `<name>_module` where `App` or `Ctx` has the name: that form is taken too.
        let accessor = super::names::module_accessor(&n.snake, &n.rust);
        let forms = [n.snake.as_str(), &n.pascal, &n.kebab, &accessor];
        if !l.claim(&mut module_names, mname, &forms, |other, form| {
            format!(
                "modules `{other}` and `{}` both become `{form}`",
                mname.value
            )
        }) {
            continue;
        }
        valid_modules.push(entry);
    }
    (module_names, valid_modules)
}

/// Pass 1b: the shared type namespace (aggregates and value objects of
/// every module), so any field of any module can name any of them.
fn declare_types(l: &mut Lowerer<'_>, valid_modules: &[ValidModule<'_>]) {
    let mut type_owner: HashMap<String, (String, &'static str)> = HashMap::default();
    let mut by_pascal = Claims::default();
    for (mname, m) in valid_modules {
        let declared = m
            .aggregates
            .iter()
            .map(|(n, _)| (n, "aggregate"))
            .chain(m.value_objects.iter().map(|(n, _)| (n, "value object")));
        for (tname, kind) in declared {
            if !l.check_name(tname, NameKind::Type, &kind) {
                l.broken_types.insert(tname.value.clone());
                continue;
            }
            if let Some((owner, other_kind)) = type_owner.get(&tname.value) {
                let message = format!(
                    "`{}` is declared twice: as {other_kind} in module `{owner}` and as {kind} in module `{}`",
                    tname.value, mname.value
                );
                l.error(tname.pos, "duplicate-name", message).help = Some(
                    "aggregate and value-object names share one namespace across the context"
                        .into(),
                );
                continue;
            }
            let pascal = Name::new(&tname.value).pascal.clone();
            if !l.claim(&mut by_pascal, tname, &[&pascal], |other, pascal| {
                format!(
                    "types `{other}` and `{}` both become `{pascal}`",
                    tname.value
                )
            }) {
                continue;
            }
            type_owner.insert(tname.value.clone(), (mname.value.clone(), kind));
            let rust_type = names::type_ident(&pascal);
            let entry = if kind == "aggregate" {
                TypeEntry::Aggregate { rust_type }
            } else {
                TypeEntry::ValueObject { rust_type }
            };
            l.types.insert(tname.value.clone(), (entry, tname.pos));
        }
    }
}

/// Pass 2: value objects and aggregates, their fields resolved.
fn lower_types(
    l: &mut Lowerer<'_>,
    valid_modules: &[ValidModule<'_>],
    policy: &Policy,
) -> (Vec<ValueObject>, HashMap<String, Vec<Aggregate>>) {
    let mut value_objects = Vec::new();
    let mut module_aggregates: HashMap<String, Vec<Aggregate>> = HashMap::default();
    for (mname, m) in valid_modules {
        let mn = Name::new(&mname.value);
        for (vname, vfields) in &m.value_objects {
            if !matches!(l.types.get(&vname.value), Some((TypeEntry::ValueObject { .. }, p)) if *p == vname.pos)
            {
                continue;
            }
            let fields = l.fields(
                vfields,
                &vname.value,
                &format!("value object `{}`", vname.value),
                &[],
            );
            value_objects.push(ValueObject {
                name: Name::new(&vname.value),
                module: mn.snake.clone(),
                fields,
                pos: vname.pos,
            });
        }
        let mut aggregates = Vec::new();
        for (aname, a) in &m.aggregates {
            if !matches!(l.types.get(&aname.value), Some((TypeEntry::Aggregate { .. }, p)) if *p == aname.pos)
            {
                continue;
            }
            let fields = l.fields(
                &a.fields,
                &aname.value,
                &format!("aggregate `{}`", aname.value),
                AUDIT_FIELDS,
            );
            let n = Name::new(&aname.value);
            let plural = Name::new(&pluralize(&n.snake));
            if names::SERVICE_TABLES.contains(&plural.snake.as_str()) {
                let message = format!(
                    "aggregate `{}` would be stored in table `{}`, which the service keeps for itself",
                    aname.value, plural.snake
                );
                l.error(aname.pos, "reserved-name", message).help = Some(format!(
                    "rename the aggregate; parasol's own tables are {}",
                    names::SERVICE_TABLES.join(", ")
                ));
            }
            aggregates.push(Aggregate {
                state_type: String::new(),
                route: format!("/api/{}/{}", mn.kebab, plural.kebab),
                crud_events: policy.crud_plus_events.then(|| CrudEvents {
                    created: Name::new(&format!("{}.created", n.snake)),
                    updated: Name::new(&format!("{}.updated", n.snake)),
                    deleted: Name::new(&format!("{}.deleted", n.snake)),
                }),
                name: n,
                plural,
                module: mn.snake.clone(),
                description: a.description.clone(),
                fields,
                sample_new: serde_json::Value::Null,
                sample_change: None,
                events: Vec::new(),
                pos: aname.pos,
            });
        }
        aggregates.sort_by(|a, b| a.name.raw.cmp(&b.name.raw));
        for pair in aggregates.windows(2) {
            if pair[0].plural.snake == pair[1].plural.snake {
                let message = format!(
                    "aggregates `{}` and `{}` both get the collection name `{}`",
                    pair[0].name.raw, pair[1].name.raw, pair[1].plural.snake
                );
                l.error(pair[1].pos, "name-collision", message);
            }
        }
        module_aggregates.insert(mn.snake.clone(), aggregates);
    }
    value_objects.sort_by(|a, b| a.name.raw.cmp(&b.name.raw));

    (value_objects, module_aggregates)
}

/// Pass 2b: a value object that holds itself, directly or through others,
/// other than inside a list or map, has no finite value: Rust cannot size
/// it and no JSON document ends. Reported at the field that closes the loop.
fn refuse_endless_value_objects(l: &mut Lowerer<'_>, value_objects: &[ValueObject]) {
    let index: HashMap<&str, usize> = value_objects
        .iter()
        .enumerate()
        .map(|(i, vo)| (vo.name.rust_type.as_str(), i))
        .collect();
    let edges: Vec<Vec<(usize, Pos)>> = value_objects
        .iter()
        .map(|vo| {
            vo.fields
                .iter()
                .filter(|f| f.ty.kind == "value_object")
                .filter_map(|f| Some((*index.get(f.ty.name.as_deref()?)?, f.pos)))
                .collect()
        })
        .collect();
    let help = "hold it in a `list<..>` or `map<..>` (which may be empty), or make one of them an aggregate and refer to it by id";
    for vo in value_objects {
        for f in &vo.fields {
            if f.ty.kind == "value_object"
                && f.ty.name.as_deref() == Some(vo.name.rust_type.as_str())
            {
                let message = format!(
                    "value object `{}` holds itself in `{}: {}`, so no value of it ends",
                    vo.name.raw, f.name.raw, f.ty.spec
                );
                l.error(f.pos, "endless-value-object", message).help = Some(help.into());
            }
        }
    }
    for (path, pos) in crate::graph::rings(&edges) {
        let chain: Vec<&str> = path
            .iter()
            .map(|&i| value_objects[i].name.raw.as_str())
            .collect();
        let message = format!(
            "value objects hold one another without end: {}",
            chain.join(" -> ")
        );
        l.error(pos, "endless-value-object", message).help = Some(help.into());
    }
}

/// Pass 3: events, each tied to the aggregate it is about. Events whose
/// declaration failed are remembered so references to them are not
/// reported a second time.
fn lower_events(
    l: &mut Lowerer<'_>,
    rc: &RawContext,
    module_aggregates: &HashMap<String, Vec<Aggregate>>,
) -> Vec<Event> {
    let aggregate_module: HashMap<String, String> = module_aggregates
        .iter()
        .flat_map(|(m, aggs)| aggs.iter().map(move |a| (a.name.raw.clone(), m.clone())))
        .collect();
    let mut events: Vec<Event> = Vec::new();
    // Declared but unusable (already reported): references to them are not reported again.
    let mut broken_events: BTreeSet<String> = BTreeSet::new();
    let mut event_pascal = Claims::default();
    for (ename, e) in &rc.events {
        if !l.check_name(ename, NameKind::Event, &"event") {
            continue;
        }
        let n = Name::new(&ename.value);
        if !l.claim(&mut event_pascal, ename, &[&n.pascal], |other, pascal| {
            format!(
                "events `{other}` and `{}` both become `{pascal}`",
                ename.value
            )
        }) {
            continue;
        }
        let mut entity = None;
        if let Some(ent) = &e.entity {
            match aggregate_module.get(&ent.value) {
                Some(module) => entity = Some((Name::new(&ent.value), module.clone())),
                None if l.broken_types.contains(&ent.value) => {
                    broken_events.insert(ename.value.clone());
                }
                None => {
                    let known: Vec<&str> = aggregate_module.keys().map(String::as_str).collect();
                    let help = did_you_mean(&ent.value, known.iter().copied()).or_else(|| {
                        if matches!(
                            l.types.get(&ent.value),
                            Some((TypeEntry::ValueObject { .. }, _))
                        ) {
                            Some(format!(
                                "`{}` is a value object; an event's entity is an aggregate",
                                ent.value
                            ))
                        } else {
                            None
                        }
                    });
                    let message = format!(
                        "event `{}` names unknown aggregate `{}` as its entity",
                        ename.value, ent.value
                    );
                    l.error(ent.pos, "unknown-aggregate", message).help = help;
                }
            }
        }
        let metadata = l.fields(
            &e.metadata,
            &n.pascal,
            &format!("event `{}`", ename.value),
            &[],
        );
        if entity.is_none() {
            broken_events.insert(ename.value.clone());
        }
        if let Some((entity, entity_module)) = entity {
            events.push(Event {
                name: n,
                entity,
                entity_module,
                description: e.description.clone(),
                metadata,
                sample_metadata: serde_json::Value::Null,
                implicit: false,
                publishers: Vec::new(),
                subscribers: Vec::new(),
                pos: ename.pos,
            });
        }
    }
    l.broken_events = broken_events;
    events
}

/// Pass 4: each module's operations, publications, subscriptions and
/// dependencies.
fn lower_modules(
    l: &mut Lowerer<'_>,
    valid_modules: &[ValidModule<'_>],
    module_names: &ModuleNames,
    mut module_aggregates: HashMap<String, Vec<Aggregate>>,
    known: &KnownEvents,
) -> Vec<Module> {
    let mut modules = Vec::new();
    for (mname, m) in valid_modules {
        let mn = Name::new(&mname.value);
        let mut ops: Vec<Op> = Vec::new();
        let mut op_names = Claims::default();
        for (oname, o) in &m.api {
            if !l.check_name(oname, NameKind::Op, &"api operation") {
                continue;
            }
            let on = Name::new(&oname.value);
            if let Some((_, why)) = RESERVED_OPS.iter().find(|(name, _)| *name == on.snake) {
                let message = format!("operation `{}` {why}", oname.value);
                let names: Vec<&str> = RESERVED_OPS.iter().map(|(name, _)| *name).collect();
                l.error(oname.pos, "reserved-name", message).help =
                    Some(format!("reserved: {}", names.join(", ")));
                continue;
            }
            if let Some((aname, _)) = m
                .aggregates
                .iter()
                .find(|(a, _)| pluralize(&Name::new(&a.value).snake) == on.snake)
            {
                let message = format!(
                    "operation `{}` clashes with `{}()`, the CRUD accessor of aggregate `{}`",
                    oname.value, on.snake, aname.value
                );
                l.error(oname.pos, "name-collision", message).help =
                    Some("rename the operation".into());
                continue;
            }
            if !l.claim(&mut op_names, oname, &[&on.snake], |other, snake| {
                format!(
                    "operations `{other}` and `{}` of module `{}` both become `{snake}`",
                    oname.value, mname.value
                )
            }) {
                continue;
            }
            let owner = on.pascal.clone();
            let input = l.fields(
                &o.input,
                &owner,
                &format!("the input of `{}.{}`", mname.value, oname.value),
                &[],
            );
            let output = l.fields(
                &o.output,
                &owner,
                &format!("the output of `{}.{}`", mname.value, oname.value),
                &[],
            );
            let mut emits = Vec::new();
            let mut emits_pos = Vec::new();
            for ev in &o.emits {
                if known.exists(&ev.value) {
                    if !emits.iter().any(|e: &Name| e.raw == ev.value) {
                        emits.push(Name::new(&ev.value));
                        emits_pos.push(ev.pos);
                    }
                } else {
                    unknown_event(
                        l,
                        ev,
                        &known.declared,
                        &format!("`{}.{}` emits", mname.value, oname.value),
                    );
                }
            }
            let mut errors: Vec<OpError> = Vec::new();
            for err in &o.errors {
                if l.check_name(err, NameKind::ErrorCode, &"error code")
                    && !errors.iter().any(|e| e.name.raw == err.value)
                {
                    errors.push(OpError {
                        status: op_error_status(&err.value),
                        name: Name::new(&err.value),
                    });
                }
            }
            ops.push(Op {
                key: format!("{}.{}", mname.value, oname.value),
                route: format!("/api/{}/{}", mn.kebab, on.kebab),
                module: mn.snake.clone(),
                description: o.description.clone(),
                idempotent: o.idempotent.unwrap_or(false),
                recipe: Body::default(),
                sample_input: serde_json::Value::Null,
                name: on,
                input,
                output,
                emits,
                errors,
                pos: oname.pos,
                emits_pos,
            });
        }
        ops.sort_by(|a, b| a.name.raw.cmp(&b.name.raw));
        for (oname, _) in &m.api {
            if !ops.iter().any(|o| o.name.raw == oname.value) {
                l.broken_ops
                    .insert(format!("{}.{}", mname.value, oname.value));
            }
        }

        let mut declared_publishes = Vec::new();
        for ev in &m.publishes {
            if known.exists(&ev.value) {
                declared_publishes.push((ev.value.clone(), ev.pos));
            } else {
                unknown_event(
                    l,
                    ev,
                    &known.declared,
                    &format!("module `{}` publishes", mname.value),
                );
            }
        }
        let mut subscribes: Vec<Subscription> = Vec::new();
        for ev in &m.subscribes {
            if known.exists(&ev.value) {
                if !subscribes.iter().any(|s| s.event.raw == ev.value) {
                    let en = Name::new(&ev.value);
                    subscribes.push(Subscription {
                        handler: Name::new(&format!("on_{}", en.snake)),
                        event: en,
                        pos: ev.pos,
                    });
                }
            } else {
                unknown_event(
                    l,
                    ev,
                    &known.declared,
                    &format!("module `{}` subscribes to", mname.value),
                );
            }
        }
        subscribes.sort_by(|a, b| a.event.raw.cmp(&b.event.raw));
        let mut depends_on = Vec::new();
        let mut depends_on_pos = Vec::new();
        for dep in &m.depends_on {
            if module_names.holder(&Name::new(&dep.value).snake) == Some(dep.value.as_str()) {
                if !depends_on.iter().any(|d: &Name| d.raw == dep.value) {
                    depends_on.push(Name::new(&dep.value));
                    depends_on_pos.push(dep.pos);
                }
            } else {
                let help = did_you_mean(&dep.value, module_names.names());
                let message = format!(
                    "module `{}` depends on unknown module `{}`",
                    mname.value, dep.value
                );
                l.error(dep.pos, "unknown-module", message).help = help;
            }
        }
        let mut order: Vec<usize> = (0..depends_on.len()).collect();
        order.sort_by(|&a, &b| depends_on[a].raw.cmp(&depends_on[b].raw));
        let depends_on_sorted = order.iter().map(|&i| depends_on[i].clone()).collect();
        let depends_on_pos_sorted = order.iter().map(|&i| depends_on_pos[i]).collect();

        modules.push(Module {
            description: m.description.clone(),
            aggregates: module_aggregates.remove(&mn.snake).unwrap_or_default(),
            ops,
            publishes: Vec::new(),
            subscribes,
            depends_on: depends_on_sorted,
            shared_types: Vec::new(),
            receipts: false,
            declared_publishes,
            depends_on_pos: depends_on_pos_sorted,
            pos: mname.pos,
            name: mn,
        });
    }
    modules.sort_by(|a, b| a.name.raw.cmp(&b.name.raw));

    modules
}

/// Pass 5: CRUD notifications under `crud_plus_events`. An aggregate whose
/// notification names the spec declares itself publishes none (the
/// spec's events are emitted by its operations instead).
fn add_crud_events(modules: &mut [Module], events: &mut Vec<Event>) {
    let declared: HashSet<String> = events.iter().map(|e| e.name.pascal.clone()).collect();
    for module in modules.iter_mut() {
        for agg in &mut module.aggregates {
            let Some(crud) = &agg.crud_events else {
                continue;
            };
            let names = [&crud.created, &crud.updated, &crud.deleted];
            if names.iter().any(|n| declared.contains(n.pascal.as_str())) {
                agg.crud_events = None;
                continue;
            }
            for (event, changed) in [
                (&crud.created, false),
                (&crud.updated, true),
                (&crud.deleted, false),
            ] {
                let metadata = if changed {
                    vec![Field {
                        name: Name::new("changed"),
                        ty: Ty::list(Ty::primitive("string")),
                        rename: None,
                        sample: serde_json::json!(["field"]),
                        pos: agg.pos,
                    }]
                } else {
                    Vec::new()
                };
                events.push(Event {
                    name: event.clone(),
                    entity: agg.name.clone(),
                    entity_module: module.name.snake.clone(),
                    description: Some(format!(
                        "Notification: a `{}` was {}.",
                        agg.name.raw,
                        event.raw.rsplit('.').next().unwrap_or("")
                    )),
                    metadata,
                    sample_metadata: serde_json::Value::Null,
                    implicit: true,
                    publishers: Vec::new(),
                    subscribers: Vec::new(),
                    pos: agg.pos,
                });
            }
        }
    }
    events.sort_by(|a, b| a.name.raw.cmp(&b.name.raw));
}

/// Pass 6: the publishers and subscribers of every event.
fn link_publishers(modules: &mut [Module], events: &mut [Event]) {
    for module in modules.iter_mut() {
        let mut published: BTreeSet<String> = module
            .declared_publishes
            .iter()
            .map(|(e, _)| e.clone())
            .collect();
        for op in &module.ops {
            published.extend(op.emits.iter().map(|e| e.raw.clone()));
        }
        for agg in &module.aggregates {
            if let Some(crud) = &agg.crud_events {
                published.extend([
                    crud.created.raw.clone(),
                    crud.updated.raw.clone(),
                    crud.deleted.raw.clone(),
                ]);
            }
        }
        module.publishes = published.into_iter().collect();
    }
    let mut publishers: HashMap<&str, Vec<String>> = HashMap::default();
    let mut subscribers: HashMap<&str, Vec<String>> = HashMap::default();
    for m in modules.iter() {
        for e in &m.publishes {
            publishers.entry(e).or_default().push(m.name.snake.clone());
        }
        for s in &m.subscribes {
            let list = subscribers.entry(&s.event.raw).or_default();
            if list.last() != Some(&m.name.snake) {
                list.push(m.name.snake.clone());
            }
        }
    }
    for event in events.iter_mut() {
        event.publishers = publishers
            .remove(event.name.raw.as_str())
            .unwrap_or_default();
        event.subscribers = subscribers
            .remove(event.name.raw.as_str())
            .unwrap_or_default();
    }
}

/// The spec type other languages' and schemas' names for a type mean
/// (`integer`, `boolean`, `timestamp`), as a "did you mean".
fn type_alias(name: &str) -> Option<String> {
    let alias = match name.to_ascii_lowercase().as_str() {
        "number" | "numeric" => "int`, `float` or `decimal",
        "integer" | "long" | "i32" | "i64" | "int32" | "int64" | "usize" | "u32" | "u64" => "int",
        "double" | "f32" | "f64" | "real" | "float64" => "float",
        "boolean" | "flag" => "bool",
        "text" | "str" | "varchar" | "char" => "string",
        "money" | "bigdecimal" => "decimal",
        "guid" => "uuid",
        "id" | "identifier" => "string` or `uuid",
        "date" | "time" | "timestamp" | "instant" | "date-time" | "datetime" => "datetime",
        "array" | "vec" => "list<T>",
        "object" | "dict" | "hashmap" | "record" => "map<T>",
        _ => return None,
    };
    Some(format!("did you mean `{alias}`?"))
}

/// Pass 7: read models, their keys and the events they are built from.
fn lower_read_models(l: &mut Lowerer<'_>, rc: &RawContext, known: &KnownEvents) -> Vec<ReadModel> {
    let mut read_models = Vec::new();
    for (rname, r) in &rc.read_models {
        if !l.check_name(rname, NameKind::Type, &"read model") {
            continue;
        }
        if l.types.contains_key(&rname.value) {
            let message = format!(
                "read model `{}` has the name of an aggregate or value object",
                rname.value
            );
            l.error(rname.pos, "name-collision", message);
            continue;
        }
        let n = Name::new(&rname.value);
        let fields = l.fields(
            &r.fields,
            &rname.value,
            &format!("read model `{}`", rname.value),
            &[],
        );
        let key = match &r.key {
            Some(k) => match fields.iter().find(|f| f.name.raw == k.value) {
                // One text form each: the view store's key and the route's `{key}`.
                Some(f) if f.ty.optional || !bodies::keys_a_view(&f.ty) => {
                    let message = format!(
                        "key `{}` of read model `{}` must be a required `string`, `uuid`, `int`, enum or aggregate id, not `{}`",
                        k.value, rname.value, f.ty.spec
                    );
                    // `plotId` names the aggregate `Plot`, when there is one.
                    let aggregate = k
                        .value
                        .strip_suffix("Id")
                        .map(|stem| Name::new(stem).pascal.clone());
                    let help = match aggregate.filter(|a| {
                        l.types
                            .get(a)
                            .is_some_and(|(t, _)| matches!(t, TypeEntry::Aggregate { .. }))
                    }) {
                        Some(a) => format!(
                            "declare it `{}: {a}` (that aggregate's id) or `{}: string`",
                            k.value, k.value
                        ),
                        None => format!(
                            "declare it `{}: string`, or name an aggregate to key the view by its id",
                            k.value
                        ),
                    };
                    l.error(k.pos, "invalid-key", message).help = Some(help);
                    None
                }
                Some(f) => Some(f.clone()),
                None => {
                    let help = did_you_mean(&k.value, fields.iter().map(|f| f.name.raw.as_str()));
                    let message = format!(
                        "key `{}` is not a field of read model `{}`",
                        k.value, rname.value
                    );
                    l.error(k.pos, "unknown-field", message).help = help;
                    None
                }
            },
            None => None,
        };
        if r.on.is_empty() {
            // No event ever writes a row: the view would stay empty.
            l.error(
                rname.pos,
                "missing-key",
                format!("read model `{}` is projected from no event", rname.value),
            )
            .help = Some("list the events that change it: `on: [order.placed]`".into());
        }
        let mut on = Vec::new();
        let mut on_pos = Vec::new();
        for ev in &r.on {
            if known.exists(&ev.value) {
                on.push(Name::new(&ev.value));
                on_pos.push(ev.pos);
            } else {
                unknown_event(
                    l,
                    ev,
                    &known.declared,
                    &format!("read model `{}` listens to", rname.value),
                );
            }
        }
        if let Some(key) = key {
            read_models.push(ReadModel {
                route: format!("/api/views/{}", n.kebab),
                name: n,
                key_parsed: !matches!(key.ty.kind, "string" | "aggregate"),
                key,
                fields,
                on,
                projections: Vec::new(),
                description: r.description.clone(),
                pos: rname.pos,
                on_pos,
            });
        }
    }
    read_models.sort_by(|a, b| a.name.raw.cmp(&b.name.raw));

    read_models
}

/// Pass 8: workflows and their steps, each binding resolved.
fn lower_workflows(
    l: &mut Lowerer<'_>,
    rc: &RawContext,
    modules: &[Module],
    known: &KnownEvents,
) -> Vec<Workflow> {
    // V5 is edge-first: workflows run at the edge unless the spec says otherwise,
    // with or without the `frontend_orchestration` principle.
    let default_coordination = "frontend";
    let mut workflows = Vec::new();
    let mut workflow_names = Claims::default();
    for (wname, w) in &rc.workflows {
        if !l.check_name(wname, NameKind::Type, &"workflow") {
            continue;
        }
        // A workflow declares no type of its own name, only derived ones
        // (claimed in pass 9); its name is still kept off the generated
        // code's own, as it reads like one in the orchestration code.
        if names::RESERVED_TYPE_NAMES.contains(&wname.value.as_str()) {
            let message = format!(
                "workflow `{}` would shadow a type the generated code relies on",
                wname.value
            );
            l.error(wname.pos, "reserved-name", message).help =
                Some(format!("rename it, e.g. `{}Flow`", wname.value));
            continue;
        }
        let n = Name::new(&wname.value);
        if !l.claim(&mut workflow_names, wname, &[&n.camel], |other, camel| {
            format!(
                "workflows `{other}` and `{}` both become `{camel}`",
                wname.value
            )
        }) {
            continue;
        }
        let choice = |l: &mut Lowerer<'_>,
                      value: &Option<Spanned<String>>,
                      allowed: &[&str],
                      what: &str,
                      default: &str|
         -> String {
            match value {
                Some(v) if allowed.contains(&v.value.as_str()) => v.value.clone(),
                Some(v) => {
                    let help = did_you_mean(&v.value, allowed.iter().copied())
                        .unwrap_or_else(|| format!("one of {}", allowed.join(", ")));
                    l.error(
                        v.pos,
                        "invalid-value",
                        format!("unknown {what} `{}`", v.value),
                    )
                    .help = Some(help);
                    default.to_string()
                }
                None => default.to_string(),
            }
        };
        let coordination = choice(
            l,
            &w.coordination,
            COORDINATIONS,
            "coordination",
            default_coordination,
        );
        let compensation = choice(
            l,
            &w.compensation,
            COMPENSATIONS,
            "compensation strategy",
            "best-effort",
        );
        let state_sync = choice(l, &w.state_sync, STATE_SYNCS, "state sync", "realtime-sse");
        let input = l.fields(
            &w.input,
            &wname.value,
            &format!("the input of workflow `{}`", wname.value),
            &[],
        );
        if w.steps.is_empty() {
            // Nothing to run, compensate or report: a stub, never meant to ship.
            l.error(
                wname.pos,
                "missing-key",
                format!("workflow `{}` has no steps", wname.value),
            )
            .help = Some(
                "add a step (`- name: reserve`, `call: <module>.<operation>`), or remove the workflow"
                    .into(),
            );
        }
        let steps = lower_steps(l, modules, &input, &w.steps, &wname.value);
        let on_success = match &w.on_success {
            Some(ev) if known.exists(&ev.value) => Some(Name::new(&ev.value)),
            Some(ev) => {
                unknown_event(
                    l,
                    ev,
                    &known.declared,
                    &format!("workflow `{}` notifies", wname.value),
                );
                None
            }
            None => None,
        };
        workflows.push(Workflow {
            saga_route: format!("/api/sagas/{}", n.kebab),
            name: n,
            description: w.description.clone(),
            coordination,
            compensation,
            state_sync,
            input,
            sample_input: serde_json::Value::Null,
            shared_types: Vec::new(),
            modules: Vec::new(),
            steps,
            on_success,
            pos: wname.pos,
            coordination_pos: w.coordination.as_ref().map(|c| c.pos),
        });
    }
    workflows.sort_by(|a, b| a.name.raw.cmp(&b.name.raw));

    workflows
}

/// Pass 9: one namespace for every crate-level type name the generated
/// code declares, spec names and the names parasol derives from them.
fn check_type_namespace(
    l: &mut Lowerer<'_>,
    value_objects: &[ValueObject],
    modules: &[Module],
    events: &[Event],
    read_models: &[ReadModel],
    workflows: &[Workflow],
) -> Vec<String> {
    // Who took a type name, told only when another meets it: formatting
    // every origin up front cost more than the check on a large context.
    struct Origin<'m> {
        what: &'m str,
        name: &'m str,
        derived: bool,
    }
    impl Origin<'_> {
        fn told(&self, rust_type: &str) -> String {
            if self.name.is_empty() {
                // `what` says it whole (an enum: the field it types).
                format!("{} (its `{rust_type}`)", self.what)
            } else if self.derived || self.name != rust_type {
                format!("{} `{}` (its `{rust_type}`)", self.what, self.name)
            } else {
                format!("{} `{}`", self.what, self.name)
            }
        }
    }
    fn claim_in<'m>(
        l: &mut Lowerer<'_>,
        crate_types: &mut HashMap<String, Origin<'m>>,
        rust_type: String,
        origin: Origin<'m>,
        pos: Pos,
    ) {
        if names::RESERVED_TYPE_NAMES.contains(&rust_type.as_str()) {
            // Declared types get a `Domain`-prefixed identifier
            // (`names::type_ident`) and never reach here: this is one
            // parasol derives.
            let message = format!(
                "{} would shadow a type the generated code relies on",
                origin.told(&rust_type)
            );
            l.error(pos, "reserved-name", message).help = Some("rename it".into());
        } else if let Some(first) = crate_types.get(&rust_type) {
            let message = format!(
                "{} and {} both become the type `{rust_type}`",
                origin.told(&rust_type),
                first.told(&rust_type)
            );
            l.error(pos, "name-collision", message).help = Some("rename one of them".into());
        } else {
            crate_types.insert(rust_type, origin);
        }
    }
    let mut crate_types: HashMap<String, Origin<'_>> = HashMap::default();
    let mut claim = |l: &mut Lowerer<'_>, rust_type: String, origin, pos: Pos| {
        claim_in(l, &mut crate_types, rust_type, origin, pos);
    };
    let declared = |what, name| Origin {
        what,
        name,
        derived: false,
    };
    let derived = |what, name| Origin {
        what,
        name,
        derived: true,
    };
    for vo in value_objects {
        let origin = declared("value object", vo.name.raw.as_str());
        claim(l, vo.name.rust_type.clone(), origin, vo.pos);
    }
    for m in modules {
        for a in &m.aggregates {
            let origin = declared("aggregate", a.name.raw.as_str());
            claim(l, a.name.rust_type.clone(), origin, a.pos);
        }
    }
    let enum_list = std::mem::take(&mut l.enums);
    for e in &enum_list {
        let origin = Origin {
            what: &e.declared_in,
            name: "",
            derived: true,
        };
        claim(l, e.name.rust_type.clone(), origin, e.pos);
    }
    for e in events {
        let origin = declared("event", e.name.raw.as_str());
        claim(l, e.name.pascal.clone(), origin, e.pos);
    }
    for r in read_models {
        let origin = declared("read model", r.name.raw.as_str());
        claim(l, r.name.rust_type.clone(), origin, r.pos);
    }
    // The types generated code derives from spec names share the namespace:
    // a value object `ProductRepository` would meet the repository trait of
    // aggregate `Product`.
    for m in modules {
        let module = &m.name.pascal;
        for suffix in ["Service", "Ctx", "Repositories", "Client", "Consumer"] {
            let origin = derived("module", m.name.raw.as_str());
            claim(l, format!("{module}{suffix}"), origin, m.pos);
        }
        for a in &m.aggregates {
            let name = &a.name.rust_type;
            let types = [
                format!("New{name}"),
                format!("{name}Patch"),
                format!("{name}Repository"),
                format!("{name}Crud"),
                format!("{}Api", a.plural.pascal),
            ];
            for rust_type in types {
                claim(
                    l,
                    rust_type,
                    derived("aggregate", a.name.raw.as_str()),
                    a.pos,
                );
            }
        }
    }
    for e in events {
        let origin = derived("event", e.name.raw.as_str());
        claim(l, format!("{}Metadata", e.name.pascal), origin, e.pos);
    }
    // Operation types live in their module's namespace, beside every
    // shared type: they may repeat across modules, not meet a spec type.
    for m in modules {
        for op in &m.ops {
            for suffix in ["Input", "Output", "Error"] {
                let rust_type = format!("{}{suffix}", op.name.pascal);
                if names::RESERVED_FOR_OPERATION_TYPES.contains(&rust_type.as_str()) {
                    let message = format!(
                        "operation `{}.{}` makes the type `{rust_type}`, which the module's generated files import under that name",
                        m.name.raw, op.name.raw
                    );
                    l.error(op.pos, "reserved-name", message).help =
                        Some("rename the operation".into());
                } else if let Some(first) = crate_types.get(&rust_type) {
                    let message = format!(
                        "operation `{}.{}` makes the type `{rust_type}`, which {} also becomes",
                        m.name.raw,
                        op.name.raw,
                        first.told(&rust_type)
                    );
                    l.error(op.pos, "name-collision", message).help =
                        Some("rename one of them".into());
                }
            }
        }
    }
    // After the operations: a workflow's types are exported beside the
    // shared ones, an operation's only in its module (`cart.CheckoutInput`
    // in TypeScript, `modules::cart::CheckoutInput` in Rust), so a workflow
    // may share an operation's name.
    for w in workflows {
        let name = &w.name.pascal;
        for suffix in [
            "Input",
            "Options",
            "Orchestration",
            "OrchestrationOptions",
            "Outputs",
            "Result",
            "Step",
        ] {
            let origin = derived("workflow", w.name.raw.as_str());
            claim_in(
                l,
                &mut crate_types,
                format!("{name}{suffix}"),
                origin,
                w.pos,
            );
        }
    }
    // A workflow's TypeScript function is exported from the package's index
    // beside the shared values and every aggregate's store: who has a name.
    let mut exported: HashMap<String, String> = modules
        .iter()
        .flat_map(|m| &m.aggregates)
        .map(|a| {
            let owner = format!("aggregate `{}`'s store", a.name.raw);
            (format!("{}Store", a.name.camel), owner)
        })
        .collect();
    let owner_of = |exported: &HashMap<String, String>, name: &str| {
        if names::TS_PACKAGE_VALUES.contains(&name) {
            Some("a value every package exports".to_string())
        } else {
            exported.get(name).cloned()
        }
    };
    // `export * as orders` wins over an `export *` of the same name without
    // a word: a module named like a shared value or a store would hide it
    // from the index, as it would a workflow's function.
    for m in modules {
        let namespace = &m.name.camel;
        if let Some(owner) = owner_of(&exported, namespace) {
            let message = format!(
                "module `{}` is exported from the TypeScript package as `{namespace}`, the name of {owner}, which it would hide",
                m.name.raw
            );
            l.error(m.pos, "name-collision", message).help = Some("rename the module".into());
        }
    }
    for m in modules {
        let owner = format!("module `{}`'s namespace", m.name.raw);
        exported.insert(m.name.camel.clone(), owner);
    }
    for w in workflows {
        let function = &w.name.ts;
        if let Some(owner) = owner_of(&exported, function) {
            let message = format!(
                "workflow `{}` makes the TypeScript function `{function}`, the name of {owner}",
                w.name.raw
            );
            l.error(w.pos, "name-collision", message).help = Some("rename the workflow".into());
        }
    }
    // Last, so that it yields to every other name: the state an event-sourced
    // aggregate folds its events into (`generate event-patterns`), named
    // `<Aggregate>State` unless that is taken (`Berth.state`, an inline enum,
    // is `BerthState` too).
    let mut state_types = Vec::new();
    for a in modules.iter().flat_map(|m| &m.aggregates) {
        let name = &a.name.rust_type;
        let candidates = [
            format!("{name}State"),
            format!("{name}EventState"),
            format!("{name}FoldedState"),
        ];
        let free = candidates.iter().find(|c| {
            !crate_types.contains_key(c.as_str())
                && !names::RESERVED_TYPE_NAMES.contains(&c.as_str())
        });
        let state_type = free.unwrap_or(&candidates[0]).clone();
        let origin = derived("aggregate", a.name.raw.as_str());
        claim_in(l, &mut crate_types, state_type.clone(), origin, a.pos);
        state_types.push(state_type);
    }
    l.enums = enum_list;
    state_types
}

fn unknown_event(l: &mut Lowerer<'_>, ev: &Spanned<String>, declared: &[String], context: &str) {
    if l.broken_events.contains(&ev.value) {
        return;
    }
    let help = did_you_mean(&ev.value, declared.iter().map(String::as_str)).or_else(|| {
        Some(format!(
            "declare it under `events:` (`{}: {{ entity: ..., metadata: {{...}} }}`)",
            ev.value
        ))
    });
    let message = format!("{context} unknown event `{}`", ev.value);
    l.error(
        Pos {
            len: ev.value.chars().count() as u32,
            ..ev.pos
        },
        "unknown-event",
        message,
    )
    .help = help;
}

/// Resolves `module.op`, reporting unknown modules and ops at `pos`.
fn resolve_call(
    l: &mut Lowerer<'_>,
    modules: &[Module],
    call: &Spanned<String>,
    what: &str,
) -> Option<Call> {
    let Some((module, op)) = call.value.split_once('.') else {
        let message = format!("{what} `{}` must be `<module>.<operation>`", call.value);
        l.error(call.pos, "invalid-reference", message);
        return None;
    };
    let Some(m) = modules.iter().find(|m| m.name.raw == module) else {
        let help = did_you_mean(module, modules.iter().map(|m| m.name.raw.as_str()));
        let message = format!("{what} `{}`: there is no module `{module}`", call.value);
        l.error(
            Pos {
                len: module.chars().count() as u32,
                ..call.pos
            },
            "unknown-module",
            message,
        )
        .help = help;
        return None;
    };
    let Some(o) = m.ops.iter().find(|o| o.name.raw == op) else {
        if l.broken_ops.contains(call.value.as_str()) {
            return None;
        }
        let help = did_you_mean(op, m.ops.iter().map(|o| o.name.raw.as_str())).or_else(|| {
            if m.ops.is_empty() {
                Some(format!("module `{module}` exposes no operations (`api:`)"))
            } else {
                Some(format!(
                    "module `{module}` exposes {}",
                    m.ops
                        .iter()
                        .map(|o| format!("`{}`", o.name.raw))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        });
        let at = call
            .pos
            .shifted(module.chars().count() as u32 + 1, op.chars().count() as u32);
        let message = format!(
            "{what} `{}`: module `{module}` does not expose operation `{op}`",
            call.value
        );
        l.error(at, "unknown-op", message).help = help;
        return None;
    };
    Some(Call {
        module: m.name.clone(),
        op: o.name.clone(),
        key: o.key.clone(),
        route: o.route.clone(),
        output: o.output.clone(),
        sample_output: serde_json::Value::Null,
        pos: call.pos,
    })
}

fn op_inputs<'m>(modules: &'m [Module], call: &Call) -> &'m [Field] {
    find_op(modules, &call.module.raw, &call.op.raw).map_or(&[], |o| o.input.as_slice())
}

/// Operation `op` of module `module`, as declared (no error when absent).
fn find_op<'m>(modules: &'m [Module], module: &str, op: &str) -> Option<&'m Op> {
    modules
        .iter()
        .find(|m| m.name.raw == module)?
        .ops
        .iter()
        .find(|o| o.name.raw == op)
}

/// Whether a value of type `from` may fill an input of type `to`.
fn assignable(from: &Ty, to: &Ty) -> bool {
    if from.same_shape(to) || from.same_shape(&to.required()) {
        return true;
    }
    // Enums travel as their string values; ids are strings.
    let from_req = from.required();
    let to_req = to.required();
    // Two inline enums are two types, but on the wire (JSON, TypeScript's
    // string unions) a value of one is a value of the other when its
    // values are among the other's.
    let values_fit = || match (&from_req.variants, &to_req.variants) {
        (Some(from), Some(to)) => from.iter().all(|v| to.contains(v)),
        _ => false,
    };
    // A list or map of what fits fits: items travel as they would alone.
    if from_req.kind == to_req.kind
        && matches!(from_req.kind, "list" | "map")
        && let (Some(from_item), Some(to_item)) = (&from_req.item, &to_req.item)
    {
        return from.optional <= to.optional && assignable(from_item, to_item);
    }
    // A uuid is an id's text, an int a number a float holds: each travels
    // unchanged (JSON, TypeScript's `string` and `number`).
    (from.optional <= to.optional)
        && ((from_req.kind == "enum" && to_req.kind == "string")
            || (from_req.kind == "uuid" && matches!(to_req.kind, "string" | "aggregate"))
            || (from_req.kind == "int" && to_req.kind == "float")
            || (from_req.kind == "enum" && to_req.kind == "enum" && values_fit())
            || (from_req.stringly() && to_req.stringly() && from_req.same_shape(&to_req)))
}

fn lower_steps(
    l: &mut Lowerer<'_>,
    modules: &[Module],
    input: &[Field],
    raw_steps: &[RawStep],
    workflow: &str,
) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut seen = Claims::default();
    if raw_steps.is_empty() {
        return steps;
    }
    for rs in raw_steps {
        let Some(sname) = &rs.name else { continue };
        if !l.check_name(sname, NameKind::Step, &"step") {
            continue;
        }
        let n = Name::new(&sname.value);
        if !l.claim(&mut seen, sname, &[&n.snake], |other, snake| {
            format!(
                "steps `{other}` and `{}` of workflow `{workflow}` both become `{snake}`",
                sname.value
            )
        }) {
            continue;
        }
        let Some(call_raw) = &rs.call else { continue };
        let Some(call) = resolve_call(
            l,
            modules,
            call_raw,
            &format!("step `{}` calls", sname.value),
        ) else {
            continue;
        };
        let inputs = op_inputs(modules, &call).to_vec();
        // A step's `with:` binding an input only its compensation has was
        // meant for the compensation: the help says where that goes.
        let compensation = rs.compensate.as_ref().and_then(|c| {
            let (module, op) = c.value.split_once('.')?;
            Some((
                c.value.as_str(),
                find_op(modules, module, op)?.input.as_slice(),
            ))
        });
        // Explicit bindings first.
        let (mut bindings, failed_explicit) = explicit_bindings(
            l,
            &rs.with,
            &inputs,
            &call.key,
            input,
            &steps,
            &sname.value,
            compensation,
        );
        for target in &inputs {
            if failed_explicit.contains(&target.name.raw)
                || bindings.iter().any(|b| b.field.raw == target.name.raw)
            {
                continue;
            }
            match implicit_source(target, input, &steps, None) {
                Some(Ok(source)) => bindings.push(Binding {
                    field: target.name.clone(),
                    ty: target.ty.clone(),
                    source,
                    explicit: false,
                }),
                Some(Err(found)) => {
                    let message = format!(
                        "step `{}`: input `{}` of `{}` needs `{}`, but the `{}` found by name is `{}`",
                        sname.value,
                        target.name.raw,
                        call.key,
                        target.ty.spec,
                        target.name.raw,
                        found
                    );
                    l.error(sname.pos, "type-mismatch", message).help = Some(format!(
                        "bind it explicitly: `with: {{ {}: ... }}`",
                        target.name.raw
                    ));
                }
                None if target.ty.optional => bindings.push(Binding {
                    field: target.name.clone(),
                    ty: target.ty.clone(),
                    source: Source::Absent,
                    explicit: false,
                }),
                None => {
                    let message = format!(
                        "step `{}`: input `{}` of `{}` is not bound",
                        sname.value, target.name.raw, call.key
                    );
                    l.error(sname.pos, "unbound-input", message).help = Some(format!(
                        "add `{0}` to the workflow input, output it from an earlier step, or bind it: `with: {{ {0}: input.<field> | steps.<step>.<field> | workflow.id }}`",
                        target.name.raw
                    ));
                }
            }
        }
        bindings.sort_by(|a, b| a.field.raw.cmp(&b.field.raw));
        let compensate = rs.compensate.as_ref().and_then(|c| {
            let ccall = resolve_call(l, modules, c, &format!("step `{}` compensates with", sname.value))?;
            let cinputs = op_inputs(modules, &ccall).to_vec();
            // Its own `with:` first, as a step's.
            let (mut cbindings, failed_explicit) = explicit_bindings(
                l,
                &rs.compensate_with,
                &cinputs,
                &ccall.key,
                input,
                &steps,
                &sname.value,
                None,
            );
            for target in &cinputs {
                if failed_explicit.contains(&target.name.raw)
                    || cbindings.iter().any(|b: &Binding| b.field.raw == target.name.raw)
                {
                    continue;
                }
                let own = call.output.iter().find(|f| f.name.raw == target.name.raw);
                let with = bindings.iter().find(|b| b.field.raw == target.name.raw && b.explicit);
                let source = match (own, with) {
                    (Some(f), _) if assignable(&f.ty, &target.ty) => Some(Ok(Source::Own { field: f.name.clone() })),
                    (_, Some(b)) if assignable(&b.ty, &target.ty) => Some(Ok(b.source.clone())),
                    // Its step's output of that name, of another type, is
                    // what was meant: said as a mismatch, not as unbound.
                    _ => implicit_source(target, input, &steps, None).or_else(|| {
                        own.map(|f| {
                            Err(format!("steps.{}.{}: {}", sname.value, f.name.raw, f.ty.spec))
                        })
                    }),
                };
                match source {
                    Some(Ok(source)) => cbindings.push(Binding {
                        field: target.name.clone(),
                        ty: target.ty.clone(),
                        source,
                        explicit: false,
                    }),
                    Some(Err(found)) => {
                        let message = format!(
                            "compensation `{}` of step `{}`: input `{}` needs `{}`, but the `{}` found by name is `{}`",
                            ccall.key, sname.value, target.name.raw, target.ty.spec, target.name.raw, found
                        );
                        l.error(c.pos, "type-mismatch", message).help = Some(format!(
                            "bind it explicitly: `compensate: {{ call: {}, with: {{ {}: ... }} }}`",
                            ccall.key, target.name.raw
                        ));
                    }
                    None if target.ty.optional => cbindings.push(Binding {
                        field: target.name.clone(),
                        ty: target.ty.clone(),
                        source: Source::Absent,
                        explicit: false,
                    }),
                    None => {
                        let message = format!(
                            "compensation `{}` of step `{}`: input `{}` is not bound",
                            ccall.key, sname.value, target.name.raw
                        );
                        l.error(c.pos, "unbound-input", message).help = Some(format!(
                            "a compensation binds by name from its step's output, the workflow input and earlier steps' outputs; make `{0}` one of them, or bind it: `compensate: {{ call: {1}, with: {{ {0}: input.<field> | steps.<step>.<field> | workflow.id | <literal> }} }}`",
                            target.name.raw, ccall.key
                        ));
                    }
                }
            }
            cbindings.sort_by(|a, b| a.field.raw.cmp(&b.field.raw));
            Some(Compensation {
                call: ccall,
                bindings: cbindings,
            })
        });
        let guard = match call.output.as_slice() {
            [only] if only.ty.kind == "bool" && !only.ty.optional => Some(only.name.clone()),
            _ => None,
        };
        steps.push(Step {
            name: n,
            call,
            bindings,
            compensate,
            guard,
            pos: rs.pos,
        });
    }
    steps
}

/// By-name binding: the workflow input first, then earlier steps' outputs,
/// the most recent step first. `Err` carries the found type when it does not fit.
fn implicit_source(
    target: &Field,
    input: &[Field],
    steps: &[Step],
    _own: Option<&Step>,
) -> Option<Result<Source, String>> {
    if let Some(f) = input.iter().find(|f| f.name.raw == target.name.raw) {
        return Some(if assignable(&f.ty, &target.ty) {
            Ok(Source::Input {
                field: f.name.clone(),
            })
        } else {
            Err(format!("input.{}: {}", f.name.raw, f.ty.spec))
        });
    }
    for step in steps.iter().rev() {
        if let Some(f) = step
            .call
            .output
            .iter()
            .find(|f| f.name.raw == target.name.raw)
        {
            return Some(if assignable(&f.ty, &target.ty) {
                Ok(Source::Step {
                    step: step.name.clone(),
                    field: f.name.clone(),
                })
            } else {
                Err(format!(
                    "steps.{}.{}: {}",
                    step.name.raw, f.name.raw, f.ty.spec
                ))
            });
        }
    }
    None
}

/// The bindings a `with:` map writes for `inputs` of the operation `call`,
/// and the inputs whose binding was written but failed (so that no other
/// is looked for, and only one error is reported). `compensation` (its
/// call and inputs) is the step's, when these are the step's own bindings.
#[allow(clippy::too_many_arguments)]
fn explicit_bindings(
    l: &mut Lowerer<'_>,
    with: &[(Spanned<String>, Spanned<RawBinding>)],
    inputs: &[Field],
    call: &str,
    input: &[Field],
    steps: &[Step],
    step_name: &str,
    compensation: Option<(&str, &[Field])>,
) -> (Vec<Binding>, BTreeSet<String>) {
    let mut bindings = Vec::new();
    let mut failed = BTreeSet::new();
    for (key, value) in with {
        let Some(target) = inputs.iter().find(|f| f.name.raw == key.value) else {
            let help = match compensation {
                Some((ccall, cinputs)) if cinputs.iter().any(|f| f.name.raw == key.value) => {
                    Some(format!(
                        "`{ccall}`, the compensation, takes `{}`: give it its own `with:` in the map form, `compensate: {{ call: {ccall}, with: {{ {}: ... }} }}`",
                        key.value, key.value
                    ))
                }
                _ => did_you_mean(&key.value, inputs.iter().map(|f| f.name.raw.as_str())),
            };
            let message = format!(
                "`with` binds `{}`, which is not an input of `{call}`",
                key.value
            );
            l.error(key.pos, "unknown-field", message).help = help;
            continue;
        };
        match explicit_source(l, value, target, input, steps, step_name) {
            Some(source) => bindings.push(Binding {
                field: target.name.clone(),
                ty: target.ty.clone(),
                source,
                explicit: true,
            }),
            None => {
                failed.insert(target.name.raw.clone());
            }
        }
    }
    (bindings, failed)
}

fn explicit_source(
    l: &mut Lowerer<'_>,
    value: &Spanned<RawBinding>,
    target: &Field,
    input: &[Field],
    steps: &[Step],
    step_name: &str,
) -> Option<Source> {
    let mismatch = |l: &mut Lowerer<'_>, what: &str, ty: &str| {
        let message = format!(
            "`{what}` is `{ty}` but `{}` needs `{}`",
            target.name.raw, target.ty.spec
        );
        l.error(value.pos, "type-mismatch", message);
    };
    let text = match &value.value {
        RawBinding::Quoted(s) => {
            return if target.ty.required().stringly() || target.ty.required().kind == "enum" {
                (literal_enum_check(l, value, target, s)
                    && literal_shape_check(l, value, target, s))
                .then(|| Source::Literal {
                    json: serde_json::Value::String(s.clone()).to_string(),
                })
            } else {
                mismatch(l, &format!("\"{s}\""), "string");
                None
            };
        }
        RawBinding::Plain(s) => s.clone(),
        // Already reported where it is written.
        RawBinding::Refused => return None,
    };
    if let Some(field) = text.strip_prefix("input.") {
        return match input.iter().find(|f| f.name.raw == field) {
            Some(f) if assignable(&f.ty, &target.ty) => Some(Source::Input {
                field: f.name.clone(),
            }),
            Some(f) => {
                mismatch(l, &text, &f.ty.spec);
                None
            }
            None => {
                let help = did_you_mean(field, input.iter().map(|f| f.name.raw.as_str()));
                let message = format!("`{text}`: the workflow has no input `{field}`");
                l.error(value.pos, "unknown-field", message).help = help;
                None
            }
        };
    }
    if let Some(rest) = text.strip_prefix("steps.") {
        let Some((sname, field)) = rest.split_once('.') else {
            l.error(
                value.pos,
                "invalid-reference",
                format!("`{text}` must be `steps.<step>.<field>`"),
            );
            return None;
        };
        let Some(step) = steps.iter().find(|s| s.name.raw == sname) else {
            let help = if sname == step_name {
                Some("a step cannot use its own output".to_string())
            } else {
                did_you_mean(sname, steps.iter().map(|s| s.name.raw.as_str()))
                    .or_else(|| Some("only steps that run earlier can be referenced".into()))
            };
            let message = format!("`{text}`: no earlier step `{sname}`");
            l.error(value.pos, "unknown-step", message).help = help;
            return None;
        };
        return match step.call.output.iter().find(|f| f.name.raw == field) {
            Some(f) if assignable(&f.ty, &target.ty) => Some(Source::Step {
                step: step.name.clone(),
                field: f.name.clone(),
            }),
            Some(f) => {
                mismatch(l, &text, &f.ty.spec);
                None
            }
            None => {
                let help =
                    did_you_mean(field, step.call.output.iter().map(|f| f.name.raw.as_str()));
                let message = format!("`{text}`: `{}` does not output `{field}`", step.call.key);
                l.error(value.pos, "unknown-field", message).help = help;
                None
            }
        };
    }
    if let Some(rest) = text.strip_prefix("workflow.") {
        if rest != "id" {
            let message = format!("`{text}`: a workflow offers only `workflow.id`");
            l.error(value.pos, "invalid-reference", message);
            return None;
        }
        // The run's id is text: a fresh UUID, or the id (idempotency key)
        // the caller started the run with, so only text inputs take it.
        return if matches!(target.ty.required().kind, "string" | "aggregate") {
            Some(Source::WorkflowId)
        } else {
            let message = format!(
                "`workflow.id` is `string` but `{}` needs `{}`",
                target.name.raw, target.ty.spec
            );
            l.error(value.pos, "type-mismatch", message).help = Some(format!(
                "a run's id is the id its caller started it with (any text, such as an idempotency key) or a fresh UUID; declare `{}` a `string` to take it",
                target.name.raw
            ));
            None
        };
    }
    // A plain literal, typed by YAML's core schema.
    let scalar = crate::source::yaml::Scalar {
        text: text.clone(),
        plain: true,
    };
    let t = target.ty.required();
    let (json, what) = if let Some(b) = scalar.as_bool() {
        ((t.kind == "bool").then(|| b.to_string()), "bool")
    } else if let Some(i) = scalar.as_int() {
        let json = match t.kind {
            "int" | "float" => Some(i.to_string()),
            // Decimals travel as strings, exactly as written.
            "decimal" => Some(serde_json::Value::String(i.to_string()).to_string()),
            _ => None,
        };
        (json, "int")
    } else if let Some(f) = scalar.as_float() {
        let json = match t.kind {
            "float" => Some(f.to_string()),
            "decimal" if is_decimal(&text) => {
                Some(serde_json::Value::String(text.clone()).to_string())
            }
            _ => None,
        };
        (json, "float")
    } else if t.stringly() || t.kind == "enum" {
        let fits = literal_enum_check(l, value, target, &text)
            && literal_shape_check(l, value, target, &text);
        if !fits {
            return None;
        }
        (
            Some(serde_json::Value::String(text.clone()).to_string()),
            "string",
        )
    } else {
        (None, "string")
    };
    match json {
        Some(json) => Some(Source::Literal { json }),
        None => {
            mismatch(l, &text, what);
            None
        }
    }
}

/// `12`, `-3.50`: what a decimal literal may be (no exponent, no sign `+`).
fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A string literal bound to a decimal, uuid or datetime input must parse
/// as one: the generated code would refuse it on every run.
fn literal_shape_check(
    l: &mut Lowerer<'_>,
    value: &Spanned<RawBinding>,
    target: &Field,
    text: &str,
) -> bool {
    let (fits, example) = match target.ty.required().kind {
        "decimal" => (is_decimal(text), "12.50"),
        "uuid" => (is_uuid(text), "6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c6a10"),
        "datetime" => (is_rfc3339(text), "2026-01-31T09:30:00Z"),
        _ => return true,
    };
    if !fits {
        let message = format!(
            "`{text}` is not a {} for `{}`",
            target.ty.required().kind,
            target.name.raw
        );
        l.error(value.pos, "type-mismatch", message).help =
            Some(format!("write it like `{example}`"));
    }
    fits
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// RFC 3339 as the generated code reads it: `Z` or a `+hh:mm` offset.
fn is_rfc3339(text: &str) -> bool {
    let at = text.len().saturating_sub(6);
    let utc = match text.split_at_checked(at) {
        Some((time, offset))
            if offset.len() == 6
                && (offset.starts_with('+') || offset.starts_with('-'))
                && offset.as_bytes()[3] == b':' =>
        {
            format!("{time}Z")
        }
        _ => text.to_string(),
    };
    humantime::parse_rfc3339(&utc).is_ok()
}

/// A literal bound to an enum input must be one of its values.
fn literal_enum_check(
    l: &mut Lowerer<'_>,
    value: &Spanned<RawBinding>,
    target: &Field,
    text: &str,
) -> bool {
    let t = target.ty.required();
    if t.kind != "enum" {
        return true;
    }
    let Some(def) = l
        .enums
        .iter()
        .find(|e| Some(&e.name.rust_type) == t.name.as_ref())
    else {
        return true;
    };
    if def.variants.iter().any(|v| v.raw == text) {
        return true;
    }
    let help = did_you_mean(text, def.variants.iter().map(|v| v.raw.as_str()));
    let message = format!("`{text}` is not a value of `{}`", target.name.raw);
    l.error(value.pos, "invalid-value", message).help = help;
    false
}

fn lower_communication(l: &mut Lowerer<'_>, raw: Option<&RawCommunication>) -> Communication {
    let duration = |l: &mut Lowerer<'_>, v: &Option<Spanned<String>>, default: u64| -> u64 {
        match v {
            Some(s) => parse_duration(&s.value).unwrap_or_else(|| {
                l.error(
                    s.pos,
                    "invalid-value",
                    format!("`{}` is not a duration", s.value),
                )
                .help = Some(
                    "durations are <n>ms, <n>s, <n>m, <n>h or <n>d, e.g. `500ms`, `30s`".into(),
                );
                default
            }),
            None => default,
        }
    };
    let count = |l: &mut Lowerer<'_>, v: &Option<Spanned<i64>>, default: u32, what: &str| -> u32 {
        match v {
            Some(s) => u32::try_from(s.value).unwrap_or_else(|_| {
                l.error(
                    s.pos,
                    "invalid-value",
                    format!("{what} must be a whole number from 0 to {}", u32::MAX),
                );
                default
            }),
            None => default,
        }
    };
    let empty = RawCommunication::default();
    let raw = raw.unwrap_or(&empty);
    let sync_raw = raw.sync.clone().unwrap_or_default();
    let failure_threshold_percent = match &sync_raw.failure_threshold {
        Some(s) => match s
            .value
            .strip_suffix('%')
            .and_then(|n| n.trim().parse::<u32>().ok())
        {
            Some(p) if (1..=100).contains(&p) => p,
            _ => {
                l.error(
                    s.pos,
                    "invalid-value",
                    format!("`{}` is not a percentage", s.value),
                )
                .help = Some("write a percentage from 1% to 100%, e.g. `50%`".into());
                50
            }
        },
        None => 50,
    };
    // A timeout no call can meet fails every call (and the generated
    // communication tests): `1ms` is most likely `1s` mistyped.
    let timeout =
        |l: &mut Lowerer<'_>, v: &Option<Spanned<String>>, default: u64, floor: u64, what: &str| {
            let ms = duration(l, v, default);
            if let Some(s) = v
                && ms < floor
            {
                l.error(
                    s.pos,
                    "invalid-value",
                    format!(
                        "`{what}: {}` is too short for a call to meet (at least {floor}ms)",
                        s.value
                    ),
                )
                .help = Some(match s.value.strip_suffix("ms") {
                    Some(n) if n.parse::<u64>().is_ok_and(|n| n * 1_000 >= floor) => {
                        format!("did you mean `{n}s`?")
                    }
                    _ => format!("write {floor}ms or more"),
                });
                return default;
            }
            ms
        };
    let sync = SyncSettings {
        connect_timeout_ms: timeout(l, &sync_raw.connect_timeout, 1_000, 100, "connect_timeout"),
        read_timeout_ms: timeout(l, &sync_raw.read_timeout, 5_000, 100, "read_timeout"),
        read_timeout_pos: sync_raw.read_timeout.as_ref().map(|s| s.pos),
        retries: count(l, &sync_raw.retries, 3, "`retries`"),
        failure_threshold_percent,
        open_for_ms: duration(l, &sync_raw.open_for, 30_000),
    };
    let async_raw = raw.async_.clone().unwrap_or_default();
    let async_ = AsyncSettings {
        batch_size: count(l, &async_raw.batch_size, 100, "`batch_size`"),
        linger_ms: duration(l, &async_raw.linger, 100),
        concurrency_min: count(l, &async_raw.concurrency_min, 1, "`min`"),
        concurrency_max: count(l, &async_raw.concurrency_max, 10, "`max`"),
        retention_events_ms: duration(l, &async_raw.retention_events, 7 * 86_400_000),
        retention_dead_letter_ms: duration(l, &async_raw.retention_dead_letter, 30 * 86_400_000),
    };
    // Each consumer handles its events one at a time, in order; `max` caps
    // how many of an instance's consumers run at once. Nothing scales
    // consumers up and down, so a floor above one would be a promise the
    // service does not keep.
    if async_.concurrency_min > 1
        && async_.concurrency_min <= async_.concurrency_max
        && let Some(p) = async_raw.concurrency_min.as_ref()
    {
        let d = Diagnostic::warning(
            "setting-without-effect",
            "`consumer_concurrency.min` above 1 has no effect: each consumer handles one event at a time, in order",
        )
        .at(Location::in_file(&l.file, p.pos))
        .with_help("remove it, or set it to 1; `max` caps how many consumers of one instance run at once");
        l.diags.push(d);
    }
    if async_.concurrency_min > async_.concurrency_max
        && let Some(p) = async_raw.concurrency_min.as_ref()
    {
        l.error(
            p.pos,
            "invalid-value",
            "`consumer_concurrency.min` is larger than `max`".into(),
        );
    }
    let gateway = raw.gateway.as_ref().map(|g| Gateway {
        jwt: match &g.auth {
            Some(a) if a.value == "jwt" => true,
            Some(a) if a.value == "none" => false,
            Some(a) => {
                let help = did_you_mean(&a.value, GATEWAY_AUTH.iter().copied())
                    .unwrap_or_else(|| format!("one of {}", GATEWAY_AUTH.join(", ")));
                l.error(
                    a.pos,
                    "invalid-value",
                    format!("unknown gateway authentication `{}`", a.value),
                )
                .help = Some(help);
                false
            }
            None => false,
        },
        rate_limit: g.rate_limit.as_ref().and_then(|r| {
            let parsed = r.value.split_once('/').and_then(|(n, unit)| {
                let count = n.trim().parse::<u32>().ok()?;
                let per_ms = match unit.trim() {
                    "ms" => 1,
                    "s" => 1_000,
                    "m" => 60_000,
                    "h" => 3_600_000,
                    "d" => 86_400_000,
                    _ => return None,
                };
                Some(RateLimit { count, per_ms })
            });
            // The gateway lets one request through every `per / count`,
            // which has to be at least a nanosecond.
            if let Some(rate) = &parsed
                && (rate.count == 0 || u64::from(rate.count) > rate.per_ms * 1_000_000)
            {
                l.error(
                    r.pos,
                    "invalid-value",
                    format!("`{}` is not a rate a gateway can enforce", r.value),
                )
                .help = Some("allow at least 1 and at most one request per nanosecond".into());
                return None;
            }
            if parsed.is_none() {
                l.error(
                    r.pos,
                    "invalid-value",
                    format!("`{}` is not a rate", r.value),
                )
                .help = Some("write a rate as <count>/<unit>, e.g. `100/s`".into());
            }
            parsed
        }),
    });
    let streaming_broker = match &raw.streaming_broker {
        Some(b) if BROKERS.contains(&b.value.as_str()) => b.value.clone(),
        Some(b) => {
            let help = did_you_mean(&b.value, BROKERS.iter().copied())
                .unwrap_or_else(|| format!("one of {}", BROKERS.join(", ")));
            l.error(
                b.pos,
                "invalid-value",
                format!("unknown broker `{}`", b.value),
            )
            .help = Some(help);
            "in-memory".into()
        }
        None => "in-memory".into(),
    };
    let mut bff: Vec<Name> = raw.bff.iter().map(|b| Name::new(&b.value)).collect();
    for b in &raw.bff {
        if !is_identifier(&b.value) {
            l.error(
                b.pos,
                "invalid-name",
                format!(
                    "BFF name `{}` must be an identifier",
                    b.value.escape_debug()
                ),
            );
        }
    }
    bff.retain(|b| is_identifier(&b.raw));
    bff.sort();
    bff.dedup_by(|a, b| a.raw == b.raw);
    // Each frontend is served under `/bff/<kebab>`: two names that meet
    // there would be one route twice.
    let mut served: Vec<&Name> = Vec::new();
    for r in &raw.bff {
        let Some(name) = bff.iter().find(|b| b.raw == r.value) else {
            continue;
        };
        match served.iter().find(|s| s.kebab == name.kebab) {
            Some(earlier) if earlier.raw != name.raw => {
                let message = format!(
                    "BFF names `{}` and `{}` are both served at `/bff/{}`",
                    earlier.raw, name.raw, name.kebab
                );
                l.error(r.pos, "duplicate-name", message);
            }
            Some(_) => {}
            None => served.push(name),
        }
    }
    let default_bus_url = match streaming_broker.as_str() {
        "redis" => "redis://127.0.0.1:6379",
        "nats" => "nats://127.0.0.1:4222",
        "kafka" => "kafka://127.0.0.1:9092",
        _ => "memory:",
    }
    .to_string();
    Communication {
        sync,
        async_,
        gateway,
        bff,
        bff_views: Vec::new(),
        streaming_broker,
        default_bus_url,
    }
}

/// See `BffView`: every aggregate with a reference field, in module order.
fn bff_views(modules: &[Module]) -> Vec<BffView> {
    let targets: HashMap<&str, (&Module, &Aggregate)> = modules
        .iter()
        .flat_map(|m| {
            m.aggregates
                .iter()
                .map(move |a| (a.name.rust_type.as_str(), (m, a)))
        })
        .collect();
    let target_of = |ty: &Ty| match (ty.kind, &ty.name) {
        ("aggregate", Some(name)) => targets.get(name.as_str()).copied(),
        _ => None,
    };
    let mut views = Vec::new();
    for module in modules {
        for aggregate in &module.aggregates {
            let refs: Vec<BffRef> = aggregate
                .fields
                .iter()
                .filter_map(|field| {
                    let (target, many) = match field.ty.kind {
                        "list" => (field.ty.item.as_deref().filter(|i| !i.optional)?, true),
                        _ => (&field.ty, false),
                    };
                    let (target_module, target) = target_of(target)?;
                    Some(BffRef {
                        json: field.json_name().to_string(),
                        target: target.name.clone(),
                        target_module: target_module.name.clone(),
                        target_route: target.route.clone(),
                        many,
                        target_sample_new: target.sample_new.clone(),
                    })
                })
                .collect();
            if !refs.is_empty() {
                views.push(BffView {
                    module: module.name.clone(),
                    aggregate: aggregate.name.clone(),
                    plural: aggregate.plural.clone(),
                    path: aggregate.route.trim_start_matches("/api").to_string(),
                    route: aggregate.route.clone(),
                    refs,
                    sample_new: aggregate.sample_new.clone(),
                });
            }
        }
    }
    views
}

/// Records, per module, the shared types (value objects, enums) its own
/// aggregates and operations mention, for exact imports.
fn shared_types(context: &mut Context) {
    let named = |fields: &mut dyn Iterator<Item = &Field>| {
        let mut names = Vec::new();
        for f in fields {
            f.ty.named_types(&mut names);
        }
        names.sort();
        names.dedup();
        names
    };
    context.event_shared_types = named(&mut context.events.iter().flat_map(|e| &e.metadata));
    context.events_use_types = !context.event_shared_types.is_empty();
    context.view_shared_types = named(&mut context.read_models.iter().flat_map(|r| &r.fields));
    context.views_use_types = !context.view_shared_types.is_empty();
    for w in &mut context.workflows {
        w.shared_types = named(&mut w.input.iter());
        let mut modules: Vec<Name> = w
            .steps
            .iter()
            .flat_map(|s| std::iter::once(&s.call).chain(s.compensate.as_ref().map(|c| &c.call)))
            .map(|c| c.module.clone())
            .collect();
        modules.sort();
        modules.dedup();
        w.modules = modules;
    }
    context.op_keys = context
        .modules
        .iter()
        .flat_map(|m| m.ops.iter().map(|o| o.key.clone()))
        .collect();
    let mut about: HashMap<&str, Vec<usize>> = HashMap::default();
    for (i, e) in context.events.iter().enumerate() {
        about.entry(e.entity.raw.as_str()).or_default().push(i);
    }
    for module in &mut context.modules {
        for a in &mut module.aggregates {
            a.events = about.remove(a.name.raw.as_str()).unwrap_or_default();
        }
    }
    for module in &mut context.modules {
        let mut names = Vec::new();
        for a in &module.aggregates {
            for f in &a.fields {
                f.ty.named_types(&mut names);
            }
        }
        for o in &module.ops {
            for f in o.input.iter().chain(&o.output) {
                f.ty.named_types(&mut names);
            }
        }
        names.sort();
        names.dedup();
        module.shared_types = names;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lowers `yaml` (no bundles): the model, and each diagnostic as
    /// `line:col code: message`.
    /// The context and every diagnostic, as reported.
    fn lowered_with_diagnostics(yaml: &str) -> (Option<Context>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let raw = crate::source::load_spec_text("t.bc.yaml", yaml.as_bytes(), &mut diags)
            .expect("the YAML parses");
        let context = lower(
            &raw,
            Arc::new(BundleSet::default()),
            "t.bc.yaml",
            &mut diags,
        );
        (context, diags)
    }

    fn lowered(yaml: &str) -> (Option<Context>, Vec<String>) {
        let (context, diags) = lowered_with_diagnostics(yaml);
        let found = diags
            .iter()
            .map(|d| {
                let at = d
                    .location
                    .as_ref()
                    .map(|l| format!("{}:{}", l.pos.line, l.pos.col))
                    .unwrap_or_default();
                format!("{at} {}: {}", d.code, d.message)
            })
            .collect();
        (context, found)
    }

    fn errors_of(yaml: &str) -> Vec<String> {
        lowered(yaml).1
    }

    const SHOP: &str = "parasol: 1
bounded_context:
  name: Shop
  modules:
    catalog:
      aggregates:
        Product: { fields: { title: string, price: int } }
      api:
        rename:
          input: { productId: Product, title: string }
          emits: [product.renamed]
    orders:
      aggregates:
        Order: { fields: { productId: Product, note: string? } }
      subscribes: [product.renamed]
      depends_on: [catalog]
  events:
    product.renamed: { entity: Product, metadata: { title: string } }
  read_models:
    ProductView:
      key: productId
      fields: { productId: string, title: string }
      on: [product.renamed]
  workflows:
    Relabel:
      input: { productId: Product, title: string }
      steps:
        - name: rename
          call: catalog.rename
";

    #[test]
    fn a_valid_context_lowers_in_order_with_nothing_to_say() {
        let (context, errors) = lowered(SHOP);
        assert!(errors.is_empty(), "{errors:?}");
        let context = context.unwrap();
        let modules: Vec<&str> = context
            .modules
            .iter()
            .map(|m| m.name.raw.as_str())
            .collect();
        assert_eq!(modules, ["catalog", "orders"]);
        let orders = &context.modules[1];
        assert_eq!(orders.depends_on[0].raw, "catalog");
        assert_eq!(orders.subscribes[0].handler.snake, "on_product_renamed");
        let event = context
            .events
            .iter()
            .find(|e| e.name.raw == "product.renamed");
        let event = event.expect("the declared event");
        assert_eq!(
            (event.entity.raw.as_str(), event.entity_module.as_str()),
            ("Product", "catalog")
        );
        assert_eq!(event.publishers, ["catalog"]);
        assert_eq!(event.subscribers, ["orders"]);
        assert_eq!(context.read_models[0].key.name.raw, "productId");
        assert_eq!(context.workflows[0].steps.len(), 1);
    }

    #[test]
    fn pass_1_modules_colliding_after_case_mapping_are_refused_at_the_second() {
        let yaml = SHOP.replace(
            "    orders:\n",
            "    order2:\n      aggregates: {}\n    order_2:\n      aggregates: {}\n    orders:\n",
        );
        let errors = errors_of(&yaml);
        assert!(
            errors.iter().any(|e| e.contains(
                "14:5 name-collision: modules `order2` and `order_2` both become `Order2`"
            )),
            "{errors:?}"
        );
    }

    #[test]
    fn pass_1_a_type_declared_in_two_modules_is_a_duplicate() {
        let yaml = SHOP.replace(
            "Order: { fields: { productId: Product, note: string? } }",
            "Order: { fields: { productId: Product, note: string? } }\n        Product: { fields: { x: int } }",
        );
        let errors = errors_of(&yaml);
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("15:9 duplicate-name: `Product` is declared twice")),
            "{errors:?}"
        );
    }

    #[test]
    fn pass_2_fields_colliding_in_rust_and_audit_fields_are_refused() {
        let yaml = SHOP.replace(
            "{ title: string, price: int }",
            "{ title: string, Title: int, version: int }",
        );
        let errors = errors_of(&yaml);
        assert!(
            errors.iter().any(|e| e.contains(
                "fields `title` and `Title` of aggregate `Product` both become `title` in Rust"
            )),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("reserved-name: `version` is reserved")),
            "{errors:?}"
        );
    }

    #[test]
    fn pass_3_an_event_about_an_unknown_aggregate_suggests_the_near_one() {
        let yaml = SHOP.replace("{ entity: Product,", "{ entity: Prodcut,");
        let (_, errors) = lowered(&yaml);
        let first = errors.first().expect("an error");
        assert!(
            first.contains(
                "unknown-aggregate: event `product.renamed` names unknown aggregate `Prodcut`"
            ),
            "{errors:?}"
        );
        // Its uses are not reported again as unknown events.
        assert!(
            !errors.iter().any(|e| e.contains("unknown-event")),
            "{errors:?}"
        );
    }

    #[test]
    fn pass_4_operations_colliding_or_reserved_and_unknown_dependencies() {
        let yaml = SHOP
            .replace("        rename:\n", "        new: { input: { a: string } }\n        get_it: {}\n        getIt: {}\n        rename:\n")
            .replace("depends_on: [catalog]", "depends_on: [catalogue]");
        let errors = errors_of(&yaml);
        for wanted in [
            "reserved-name: operation `new` clashes",
            "name-collision: operations `get_it` and `getIt` of module `catalog` both become `get_it`",
            "unknown-module: module `orders` depends on unknown module `catalogue`",
        ] {
            assert!(
                errors.iter().any(|e| e.contains(wanted)),
                "{wanted}: {errors:?}"
            );
        }
    }

    #[test]
    fn pass_8_a_call_to_a_refused_operation_is_not_reported_again() {
        // `new` is refused for its name; the step that calls it is not
        // a second error, while a call to an undeclared one still is.
        let yaml = SHOP.replace("        rename:\n", "        new:\n").replace(
            "          call: catalog.rename\n",
            "          call: catalog.new\n        - name: again\n          call: catalog.renam\n",
        );
        let errors = errors_of(&yaml);
        let calls: Vec<&String> = errors
            .iter()
            .filter(|e| e.contains("does not expose"))
            .collect();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("reserved-name: operation `new` clashes")),
            "{errors:?}"
        );
        assert_eq!(calls.len(), 1, "{errors:?}");
        assert!(calls[0].contains("`catalog.renam`"), "{errors:?}");
    }

    #[test]
    fn pass_7_a_read_model_key_must_be_one_of_its_string_fields() {
        let yaml = SHOP.replace("key: productId", "key: produtId");
        let errors = errors_of(&yaml);
        assert!(
            errors.iter().any(|e| e.contains(
                "unknown-field: key `produtId` is not a field of read model `ProductView`"
            )),
            "{errors:?}"
        );
    }

    #[test]
    fn pass_8_steps_colliding_and_workflows_colliding_are_refused() {
        let yaml = SHOP.replace(
            "        - name: rename\n          call: catalog.rename\n",
            "        - name: rename\n          call: catalog.rename\n        - name: Rename\n          call: catalog.rename\n",
        ) + "    RELABEL:\n      input: { productId: Product, title: string }\n      steps: []\n";
        let errors = errors_of(&yaml);
        assert!(
            errors.iter().any(|e| e.contains(
                "steps `rename` and `Rename` of workflow `Relabel` both become `rename`"
            )),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains(
                "32:5 name-collision: workflows `Relabel` and `RELABEL` both become `relabel`"
            )),
            "{errors:?}"
        );
    }

    #[test]
    fn pass_9_a_derived_type_name_meeting_a_spec_type_is_refused() {
        let yaml = SHOP.replace(
            "Order: { fields: { productId: Product, note: string? } }",
            "Order: { fields: { productId: Product, note: string? } }\n      value_objects:\n        ProductPatch: { x: int }",
        );
        let errors = errors_of(&yaml);
        assert!(
            errors.iter().any(|e| e.contains("name-collision: aggregate `Product` (its `ProductPatch`) and value object `ProductPatch` both become the type `ProductPatch`")),
            "{errors:?}"
        );
    }

    /// What travels unchanged between steps fits; what would need a
    /// reading that can fail (text into a uuid) or loses (a float into an
    /// int) does not.
    #[test]
    fn a_step_input_takes_what_travels_unchanged() {
        let p = Ty::primitive;
        let order = Ty::aggregate_ref("Order", "Order");
        for (from, to) in [
            (p("uuid"), p("string")),
            (p("uuid"), order.clone()),
            (p("uuid"), p("string").optional()),
            (p("int"), p("float")),
            (order.clone(), p("string")),
            (Ty::list(p("uuid")), Ty::list(p("string"))),
            (Ty::map(p("int")), Ty::map(p("float").optional())),
            (
                Ty::list(Ty::list(p("uuid"))),
                Ty::list(Ty::list(order.clone())),
            ),
        ] {
            assert!(assignable(&from, &to), "{} into {}", from.spec, to.spec);
        }
        for (from, to) in [
            (p("string"), p("uuid")),
            (p("float"), p("int")),
            (p("uuid").optional(), p("string")),
            (p("int"), p("decimal")),
            (Ty::list(p("string")), Ty::list(p("uuid"))),
            (Ty::list(p("uuid").optional()), Ty::list(p("string"))),
            (Ty::list(p("uuid")), Ty::map(p("string"))),
        ] {
            assert!(!assignable(&from, &to), "{} into {}", from.spec, to.spec);
        }
    }

    /// Other languages' names for a type get the spec's as a "did you mean".
    #[test]
    fn a_type_named_as_elsewhere_is_told_the_spec_s_name() {
        let yaml = SHOP.replace("price: int", "price: integer, at: DateTime, on: boolean");
        let (_, diags) = lowered_with_diagnostics(&yaml);
        let helps: Vec<String> = diags.iter().filter_map(|d| d.help.clone()).collect();
        for wanted in ["`int`", "`datetime`", "`bool`"] {
            assert!(
                helps
                    .iter()
                    .any(|h| h == &format!("did you mean {wanted}?")),
                "{wanted}: {helps:?}"
            );
        }
    }

    /// A subscribing module's consumer is re-exported beside its types.
    #[test]
    fn pass_9_a_module_consumer_meeting_a_spec_type_is_refused() {
        let yaml = SHOP.replace(
            "Order: { fields: { productId: Product, note: string? } }",
            "Order: { fields: { productId: Product, note: string? } }\n      value_objects:\n        OrdersConsumer: { x: int }",
        );
        let errors = errors_of(&yaml);
        assert!(
            errors.iter().any(|e| e.contains(
                "module `orders` (its `OrdersConsumer`) and value object `OrdersConsumer`"
            )),
            "{errors:?}"
        );
    }

    /// An inline enum `Product.state` is `ProductState`, the name an
    /// event-sourced aggregate's folded state would take: the state yields.
    #[test]
    fn pass_9_the_event_sourced_state_yields_its_name_to_a_spec_type() {
        let (ctx, errors) = lowered(SHOP);
        assert!(errors.is_empty(), "{errors:?}");
        let state_of = |ctx: &Context, aggregate: &str| {
            let all = ctx.modules.iter().flat_map(|m| &m.aggregates);
            all.clone()
                .find(|a| a.name.raw == aggregate)
                .map(|a| a.state_type.clone())
                .unwrap()
        };
        assert_eq!(state_of(ctx.as_ref().unwrap(), "Product"), "ProductState");
        let yaml = SHOP.replace(
            "Product: { fields: { title: string, price: int } }",
            "Product: { fields: { title: string, price: int, state: { enum: [on, off] } } }",
        );
        let (ctx, errors) = lowered(&yaml);
        assert!(errors.is_empty(), "{errors:?}");
        let ctx = ctx.unwrap();
        assert_eq!(state_of(&ctx, "Product"), "ProductEventState");
        assert_eq!(state_of(&ctx, "Order"), "OrderState");
    }

    /// `ShelfX` + `aStatus` joined reads as other words once cased
    /// (`ShelfXaStatus`): the enum's declaration and its field's type must
    /// still name the same type (they once differed, and the crate did not
    /// build).
    #[test]
    fn pass_1_an_inline_enums_declaration_and_its_uses_agree_on_its_name() {
        let yaml = SHOP.replace(
            "Product: { fields: { title: string, price: int } }",
            "Product: { fields: { title: string, price: int } }\n        ShelfX: { fields: { aStatus: { enum: [on, off] } } }",
        );
        let (ctx, errors) = lowered(&yaml);
        assert!(errors.is_empty(), "{errors:?}");
        let ctx = ctx.unwrap();
        let declared = ctx
            .enums
            .iter()
            .find(|e| e.origin == "ShelfX.aStatus")
            .unwrap();
        let shelf = ctx
            .modules
            .iter()
            .flat_map(|m| &m.aggregates)
            .find(|a| a.name.raw == "ShelfX");
        let used = shelf
            .unwrap()
            .fields
            .iter()
            .find(|f| f.name.raw == "aStatus")
            .unwrap();
        assert_eq!(
            used.ty.name.as_deref(),
            Some(declared.name.rust_type.as_str())
        );
    }

    #[test]
    fn pass_9_a_workflow_may_share_an_operations_name_not_a_spec_types() {
        // `Rename`'s types are exported beside the shared ones; `rename`'s
        // stay in module `catalog`.
        let yaml = SHOP.replace("    Relabel:\n", "    Rename:\n");
        let errors = errors_of(&yaml);
        assert!(errors.is_empty(), "{errors:?}");
        let yaml = yaml.replace(
            "Order: { fields: { productId: Product, note: string? } }",
            "Order: { fields: { productId: Product, note: string? } }\n      value_objects:\n        RenameInput: { x: int }",
        );
        let errors = errors_of(&yaml);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("workflow `Rename` (its `RenameInput`)")),
            "{errors:?}"
        );
    }

    /// An aggregate's table is named by its plural, beside the service's own.
    #[test]
    fn an_aggregate_stored_in_a_table_of_the_service_is_refused() {
        let yaml = SHOP.replace(
            "Product: {",
            "ParasolEvent: { fields: { x: int } }\n        Product: {",
        );
        let errors = errors_of(&yaml);
        assert!(
            errors.iter().any(|e| e.contains(
                "reserved-name: aggregate `ParasolEvent` would be stored in table `parasol_events`"
            )),
            "{errors:?}"
        );
        let yaml = SHOP.replace(
            "Product: {",
            "ParasolBeach: { fields: { x: int } }\n        Product: {",
        );
        assert!(errors_of(&yaml).is_empty(), "{:?}", errors_of(&yaml));
    }

    /// An operation's types are declared in its module beside what the
    /// module's files import by name.
    #[test]
    fn pass_9_an_operation_type_meeting_a_module_import_is_refused() {
        let yaml = SHOP.replace("        rename:\n", "        service:\n");
        let yaml = yaml.replace("call: catalog.rename", "call: catalog.service");
        let errors = errors_of(&yaml);
        assert!(
            errors.iter().any(|e| e.contains(
                "reserved-name: operation `catalog.service` makes the type `ServiceError`"
            )),
            "{errors:?}"
        );
    }

    /// A workflow's TypeScript function is exported beside the package's
    /// shared values and the aggregates' stores: meeting one fails `tsc`.
    #[test]
    fn pass_9_a_workflow_function_meeting_an_exported_value_is_refused() {
        for (name, why) in [
            (
                "CreateClients",
                "`createClients`, the name of a value every package exports",
            ),
            (
                "ProductStore",
                "`productStore`, the name of aggregate `Product`'s store",
            ),
            (
                "Orders",
                "`orders`, the name of module `orders`'s namespace",
            ),
        ] {
            let yaml = SHOP.replace("    Relabel:\n", &format!("    {name}:\n"));
            let errors = errors_of(&yaml);
            assert!(
                errors.iter().any(|e| e.contains(&format!(
                    "name-collision: workflow `{name}` makes the TypeScript function {why}"
                ))),
                "{errors:?}"
            );
        }
        // A module's namespace would hide a shared value or a store.
        for (module, hidden) in [
            (
                "new_id",
                "`newId`, the name of a value every package exports",
            ),
            (
                "product_store",
                "`productStore`, the name of aggregate `Product`'s store",
            ),
        ] {
            let yaml = SHOP.replace("    orders:\n", &format!("    {module}:\n"));
            let errors = errors_of(&yaml);
            let wanted = format!("as {hidden}, which it would hide");
            assert!(errors.iter().any(|e| e.contains(&wanted)), "{errors:?}");
        }
        let yaml = SHOP.replace("    Relabel:\n", "    Relabeling:\n");
        assert!(errors_of(&yaml).is_empty(), "{:?}", errors_of(&yaml));
    }

    #[test]
    fn claims_hold_every_form_and_name_the_first_holder() {
        let mut claims = Claims::default();
        assert!(
            claims
                .take("order_items", &["order_items", "OrderItems"])
                .is_ok()
        );
        assert_eq!(
            claims.take("orderItems", &["order_items", "OrderItems"]),
            Err(("order_items", "order_items".to_string()))
        );
        // A refused claim takes nothing.
        assert!(claims.take("other", &["other", "OrderItems"]).is_err());
        assert_eq!(claims.holder("other"), None);
        assert_eq!(claims.names(), ["order_items"]);
    }

    #[test]
    fn a_consumer_concurrency_floor_the_service_cannot_keep_is_warned() {
        let with = |min: u32| {
            SHOP.to_string()
                + &format!(
                    "  communication:\n    async: {{ consumer_concurrency: {{ min: {min}, max: 10 }} }}\n"
                )
        };
        assert!(errors_of(&with(1)).is_empty(), "{:?}", errors_of(&with(1)));
        let found = errors_of(&with(4));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("31:43 setting-without-effect:"),
            "{found:?}"
        );
    }

    /// A literal fills a decimal, uuid or datetime input only when the
    /// generated code will read it as one; a number fills a decimal.
    #[test]
    fn literals_are_checked_against_the_input_they_fill() {
        let spec = |literal: &str| {
            format!(
                "parasol: 1
bounded_context:
  name: Pay
  modules:
    pay:
      aggregates:
        Charge: {{ fields: {{ amount: decimal }} }}
      api:
        charge:
          input: {{ amount: decimal, ref: uuid, at: datetime, on: bool }}
  workflows:
    Checkout:
      input: {{}}
      steps:
        - name: charge
          call: pay.charge
          with: {{ {literal} }}
"
            )
        };
        let ok = spec(
            "amount: 12.5, ref: \"6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c6a10\", at: 2026-01-31T09:30:00+09:00, on: true",
        );
        assert!(errors_of(&ok).is_empty(), "{:?}", errors_of(&ok));
        let ok = spec(
            "amount: 12, ref: 6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c6a10, at: \"2026-01-31T09:30:00Z\", on: false",
        );
        assert!(errors_of(&ok).is_empty(), "{:?}", errors_of(&ok));
        let found = errors_of(&spec(
            "amount: \"twelve\", ref: 42abc, at: tomorrow, on: 1.5",
        ));
        assert_eq!(found.len(), 4, "{found:?}");
        // Too short to hold an offset: refused, not a panic.
        for short in ["\"-1\"", "\"+\"", "\"\""] {
            let found = errors_of(&spec(&format!(
                "amount: 1, ref: 6f1c2a9e-4b7d-4c1e-9a3f-2d5e8b7c6a10, at: {short}, on: true"
            )));
            assert_eq!(found.len(), 1, "{short}: {found:?}");
        }
        assert!(
            found[0].contains("`twelve` is not a decimal for `amount`"),
            "{found:?}"
        );
        assert!(
            found[1].contains("`42abc` is not a uuid for `ref`"),
            "{found:?}"
        );
        assert!(
            found[2].contains("`tomorrow` is not a datetime for `at`"),
            "{found:?}"
        );
        assert!(
            found[3].contains("`1.5` is `float` but `on` needs `bool`"),
            "{found:?}"
        );
    }
}
