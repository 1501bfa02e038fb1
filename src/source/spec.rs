//! Stage 2 (parse): a `*.bc.yaml` node tree -> raw spec structs.
//!
//! Raw structs mirror the file as written (names unresolved, maps in file
//! order) and keep every name's position. Shape errors (wrong value types,
//! unknown keys, missing required keys) are reported here; meaning errors
//! (unknown types, dangling references) in the model stage.

use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, Pos, SourceFile};
use crate::source::decode::{Decoder, Fields, Spanned};
use crate::source::yaml::{Node, Value};

/// The spec format versions this build reads.
pub const SUPPORTED_VERSIONS: &[i64] = &[1];

#[derive(Debug, Clone)]
pub struct RawSpec {
    pub file: Arc<SourceFile>,
    pub version: Option<Spanned<i64>>,
    pub bundles: Vec<Spanned<String>>,
    pub context: Option<RawContext>,
}

#[derive(Debug, Clone, Default)]
pub struct RawContext {
    pub pos: Pos,
    /// Whether decoding already reported why there are no modules (the
    /// context or `modules` is not a map, or `modules` is missing), so the
    /// model does not say it again.
    pub modules_reported: bool,
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    pub architecture: Option<Spanned<String>>,
    pub modules: Vec<(Spanned<String>, RawModule)>,
    pub modules_pos: Pos,
    pub events: Vec<(Spanned<String>, RawEvent)>,
    pub read_models: Vec<(Spanned<String>, RawReadModel)>,
    pub workflows: Vec<(Spanned<String>, RawWorkflow)>,
    pub communication: Option<RawCommunication>,
}

#[derive(Debug, Clone, Default)]
pub struct RawModule {
    pub pos: Pos,
    pub description: Option<String>,
    pub aggregates: Vec<(Spanned<String>, RawAggregate)>,
    pub value_objects: Vec<(Spanned<String>, RawFields)>,
    pub api: Vec<(Spanned<String>, RawOp)>,
    pub publishes: Vec<Spanned<String>>,
    pub subscribes: Vec<Spanned<String>>,
    pub depends_on: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct RawAggregate {
    pub pos: Pos,
    pub description: Option<String>,
    pub fields: RawFields,
}

#[derive(Debug, Clone, Default)]
pub struct RawFields {
    pub pos: Pos,
    pub fields: Vec<RawField>,
}

#[derive(Debug, Clone)]
pub struct RawField {
    pub name: Spanned<String>,
    pub ty: RawType,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub enum RawType {
    /// A type expression: `string`, `list<OrderLine>`, `Product?`.
    Named(Spanned<String>),
    /// `{ enum: [a, b] }`, optionally `optional: true`.
    Enum {
        pos: Pos,
        variants: Vec<Spanned<String>>,
        optional: bool,
    },
}

#[derive(Debug, Clone, Default)]
pub struct RawOp {
    pub pos: Pos,
    pub description: Option<String>,
    pub input: RawFields,
    pub output: RawFields,
    pub emits: Vec<Spanned<String>>,
    pub errors: Vec<Spanned<String>>,
    pub idempotent: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct RawEvent {
    pub pos: Pos,
    pub description: Option<String>,
    pub entity: Option<Spanned<String>>,
    pub metadata: RawFields,
}

#[derive(Debug, Clone, Default)]
pub struct RawReadModel {
    pub pos: Pos,
    pub description: Option<String>,
    pub key: Option<Spanned<String>>,
    pub fields: RawFields,
    pub on: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct RawWorkflow {
    pub pos: Pos,
    pub description: Option<String>,
    pub coordination: Option<Spanned<String>>,
    pub compensation: Option<Spanned<String>>,
    pub state_sync: Option<Spanned<String>>,
    pub input: RawFields,
    pub steps: Vec<RawStep>,
    pub on_success: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct RawStep {
    pub pos: Pos,
    pub name: Option<Spanned<String>>,
    pub call: Option<Spanned<String>>,
    pub with: Vec<(Spanned<String>, Spanned<RawBinding>)>,
    pub compensate: Option<Spanned<String>>,
    /// `compensate: { call: ..., with: { ... } }`: the compensation's own
    /// explicit bindings.
    pub compensate_with: Vec<(Spanned<String>, Spanned<RawBinding>)>,
}

/// The right-hand side of a `with:` binding as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RawBinding {
    /// Unquoted text: an expression (`input.total`, `workflow.id`) or a plain literal.
    Plain(String),
    /// A quoted string: always a literal.
    Quoted(String),
    /// Neither (a list, a map): refused where it is written, and kept so
    /// that the input does not read as unbound as well.
    Refused,
}

#[derive(Debug, Clone, Default)]
pub struct RawCommunication {
    pub pos: Pos,
    pub sync: Option<RawSync>,
    pub async_: Option<RawAsync>,
    pub gateway: Option<RawGateway>,
    pub bff: Vec<Spanned<String>>,
    pub streaming_broker: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct RawSync {
    pub connect_timeout: Option<Spanned<String>>,
    pub read_timeout: Option<Spanned<String>>,
    pub retries: Option<Spanned<i64>>,
    pub failure_threshold: Option<Spanned<String>>,
    pub open_for: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct RawAsync {
    pub batch_size: Option<Spanned<i64>>,
    pub linger: Option<Spanned<String>>,
    pub concurrency_min: Option<Spanned<i64>>,
    pub concurrency_max: Option<Spanned<i64>>,
    pub retention_events: Option<Spanned<String>>,
    pub retention_dead_letter: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct RawGateway {
    pub auth: Option<Spanned<String>>,
    pub rate_limit: Option<Spanned<String>>,
}

/// Reads a spec document. Always returns what it could read; problems are in `diags`.
pub fn decode(file: Arc<SourceFile>, root: &Node, diags: &mut Diagnostics) -> RawSpec {
    let mut d = Decoder {
        file: file.clone(),
        diags,
    };
    let mut spec = RawSpec {
        file,
        version: None,
        bundles: Vec::new(),
        context: None,
    };
    if root.is_null() {
        d.error(
            root.pos,
            "empty-spec",
            "spec is empty: it needs `parasol: 1` and a `bounded_context`",
        );
        return spec;
    }
    let Some(top) = d.fields(root, "the spec", &["parasol", "bundle", "bounded_context"]) else {
        return spec;
    };
    if let Some(node) = d.require(
        &top,
        root.pos,
        "parasol",
        "the spec (format version, `parasol: 1`)",
    ) && let Some(version) = d.int(node, "`parasol` (the format version)")
    {
        if !SUPPORTED_VERSIONS.contains(&version.value) {
            d.error(
                version.pos,
                "unsupported-version",
                format!(
                    "unsupported spec format version `{}`; this parasol reads version {}",
                    version.value,
                    SUPPORTED_VERSIONS
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        spec.version = Some(version);
    }
    spec.bundles = d.string_list(top.get("bundle"), "`bundle`");
    if let Some(node) = d.require(&top, root.pos, "bounded_context", "the spec") {
        spec.context = Some(context(&mut d, node));
    }
    spec
}

fn description(d: &mut Decoder<'_>, fields: &Fields<'_>) -> Option<String> {
    d.opt_string(fields.get("description"), "`description`")
        .map(|s| s.value)
}

/// Entries of a named map section (`modules:`, `events:` ...), each decoded by `item`.
fn named<T>(
    d: &mut Decoder<'_>,
    node: Option<&Node>,
    what: &str,
    mut item: impl FnMut(&mut Decoder<'_>, &Spanned<String>, &Node) -> T,
) -> Vec<(Spanned<String>, T)> {
    let Some(node) = node else { return Vec::new() };
    let Some(entries) = d.map(node, what) else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|entry| {
            let name = Spanned::new(entry.key.clone(), entry.key_pos);
            let value = item(d, &name, &entry.value);
            (name, value)
        })
        .collect()
}

fn context(d: &mut Decoder<'_>, node: &Node) -> RawContext {
    let mut ctx = RawContext {
        pos: node.pos,
        // Where "at least one module" is said when there are none.
        modules_pos: node.pos,
        ..RawContext::default()
    };
    let Some(f) = d.fields(
        node,
        "`bounded_context`",
        &[
            "name",
            "description",
            "architecture",
            "modules",
            "events",
            "read_models",
            "workflows",
            "communication",
        ],
    ) else {
        ctx.modules_reported = true;
        return ctx;
    };
    ctx.name = d
        .require(&f, node.pos, "name", "`bounded_context`")
        .and_then(|n| d.string(n, "the context name"));
    ctx.description = description(d, &f);
    ctx.architecture = d.opt_string(f.get("architecture"), "`architecture`");
    match d.require(
        &f,
        node.pos,
        "modules",
        "`bounded_context` (at least one module)",
    ) {
        Some(modules) => {
            ctx.modules_pos = modules.pos;
            ctx.modules_reported = modules.as_map().is_none();
            ctx.modules = named(d, Some(modules), "`modules`", |d, name, n| {
                module(d, name, n)
            });
        }
        None => {
            ctx.modules_pos = node.pos;
            ctx.modules_reported = true;
        }
    }
    ctx.events = named(d, f.get("events"), "`events`", |d, name, n| {
        event(d, name, n)
    });
    ctx.read_models = named(d, f.get("read_models"), "`read_models`", |d, name, n| {
        read_model(d, name, n)
    });
    ctx.workflows = named(d, f.get("workflows"), "`workflows`", |d, name, n| {
        workflow(d, name, n)
    });
    ctx.communication = f.get("communication").map(|n| communication(d, n));
    ctx
}

fn module(d: &mut Decoder<'_>, name: &Spanned<String>, node: &Node) -> RawModule {
    let mut m = RawModule {
        pos: name.pos,
        ..RawModule::default()
    };
    let what = format!("module `{}`", name.value);
    let Some(f) = d.fields(
        node,
        &what,
        &[
            "description",
            "aggregates",
            "value_objects",
            "api",
            "publishes",
            "subscribes",
            "depends_on",
        ],
    ) else {
        return m;
    };
    m.description = description(d, &f);
    m.aggregates = named(d, f.get("aggregates"), "`aggregates`", |d, agg, n| {
        let mut raw = RawAggregate {
            pos: agg.pos,
            ..RawAggregate::default()
        };
        let what = format!("aggregate `{}`", agg.value);
        if let Some(af) = d.fields(n, &what, &["fields", "description"]) {
            raw.description = description(d, &af);
            raw.fields = fields(d, af.get("fields"), agg.pos, &format!("fields of {what}"));
        }
        raw
    });
    m.value_objects = named(d, f.get("value_objects"), "`value_objects`", |d, vo, n| {
        fields(d, Some(n), vo.pos, &format!("value object `{}`", vo.value))
    });
    m.api = named(d, f.get("api"), "`api`", operation);
    m.publishes = d.string_list(f.get("publishes"), "`publishes`");
    m.subscribes = d.string_list(f.get("subscribes"), "`subscribes`");
    m.depends_on = d.string_list(f.get("depends_on"), "`depends_on`");
    m
}

fn operation(d: &mut Decoder<'_>, name: &Spanned<String>, node: &Node) -> RawOp {
    let mut op = RawOp {
        pos: name.pos,
        ..RawOp::default()
    };
    let what = format!("api operation `{}`", name.value);
    let Some(f) = d.fields(
        node,
        &what,
        &[
            "description",
            "input",
            "output",
            "emits",
            "errors",
            "idempotent",
        ],
    ) else {
        return op;
    };
    op.description = description(d, &f);
    op.input = fields(d, f.get("input"), name.pos, &format!("input of {what}"));
    op.output = fields(d, f.get("output"), name.pos, &format!("output of {what}"));
    op.emits = d.string_list(f.get("emits"), "`emits`");
    op.errors = d.string_list(f.get("errors"), "`errors`");
    op.idempotent = f
        .get("idempotent")
        .and_then(|n| d.bool(n, "`idempotent`"))
        .map(|b| b.value);
    op
}

fn event(d: &mut Decoder<'_>, name: &Spanned<String>, node: &Node) -> RawEvent {
    let mut ev = RawEvent {
        pos: name.pos,
        ..RawEvent::default()
    };
    let what = format!("event `{}`", name.value);
    let Some(f) = d.fields(node, &what, &["entity", "metadata", "description"]) else {
        return ev;
    };
    ev.description = description(d, &f);
    ev.entity = d
        .require(&f, name.pos, "entity", &what)
        .and_then(|n| d.string(n, "`entity`"));
    ev.metadata = fields(
        d,
        f.get("metadata"),
        name.pos,
        &format!("metadata of {what}"),
    );
    ev
}

fn read_model(d: &mut Decoder<'_>, name: &Spanned<String>, node: &Node) -> RawReadModel {
    let mut rm = RawReadModel {
        pos: name.pos,
        ..RawReadModel::default()
    };
    let what = format!("read model `{}`", name.value);
    let Some(f) = d.fields(node, &what, &["key", "fields", "on", "description"]) else {
        return rm;
    };
    rm.description = description(d, &f);
    rm.key = f.get("key").and_then(|n| d.string(n, "`key`"));
    rm.fields = fields(d, f.get("fields"), name.pos, &format!("fields of {what}"));
    if f.get("key").is_none() {
        // The field most like a row's id, to name in the help.
        let names = || rm.fields.fields.iter().map(|f| f.name.value.as_str());
        let guess = names()
            .find(|n| n.ends_with("Id"))
            .or_else(|| names().next());
        let help = match guess {
            Some(field) => format!("name the field that tells rows apart: `key: {field}`"),
            None => "name the field that tells rows apart: `key: <field>`".to_string(),
        };
        let missing = Diagnostic::error("missing-key", format!("{what} needs `key`"))
            .at(d.loc(name.pos))
            .with_help(help);
        d.report(missing);
    }
    rm.on = d.string_list(f.get("on"), "`on`");
    rm
}

fn workflow(d: &mut Decoder<'_>, name: &Spanned<String>, node: &Node) -> RawWorkflow {
    let mut wf = RawWorkflow {
        pos: name.pos,
        ..RawWorkflow::default()
    };
    let what = format!("workflow `{}`", name.value);
    let Some(f) = d.fields(
        node,
        &what,
        &[
            "description",
            "coordination",
            "compensation",
            "state_sync",
            "input",
            "steps",
            "on_success",
        ],
    ) else {
        return wf;
    };
    wf.description = description(d, &f);
    wf.coordination = d.opt_string(f.get("coordination"), "`coordination`");
    wf.compensation = d.opt_string(f.get("compensation"), "`compensation`");
    wf.state_sync = d.opt_string(f.get("state_sync"), "`state_sync`");
    wf.input = fields(d, f.get("input"), name.pos, &format!("input of {what}"));
    if let Some(steps) = d.require(&f, name.pos, "steps", &what)
        && let Some(items) = d.seq(steps, &format!("`steps` of {what}"))
    {
        wf.steps = items.iter().map(|n| step(d, n)).collect();
    }
    if let Some(success) = f.get("on_success")
        && let Some(sf) = d.fields(success, "`on_success`", &["notify"])
    {
        wf.on_success = d.opt_string(sf.get("notify"), "`notify`");
    }
    wf
}

fn step(d: &mut Decoder<'_>, node: &Node) -> RawStep {
    let mut s = RawStep {
        pos: node.pos,
        ..RawStep::default()
    };
    let Some(f) = d.fields(
        node,
        "a workflow step",
        &["name", "call", "with", "compensate"],
    ) else {
        return s;
    };
    s.name = d
        .require(&f, node.pos, "name", "a workflow step")
        .and_then(|n| d.string(n, "the step name"));
    s.call = d
        .require(
            &f,
            node.pos,
            "call",
            "a workflow step (`call: <module>.<op>`)",
        )
        .and_then(|n| d.string(n, "`call`"));
    match f.get("compensate") {
        Some(c) if matches!(c.value, Value::Map(_)) => {
            if let Some(cf) = d.fields(c, "a compensation", &["call", "with"]) {
                s.compensate = d
                    .require(&cf, c.pos, "call", "a compensation (`call: <module>.<op>`)")
                    .and_then(|n| d.string(n, "`call`"));
                s.compensate_with = bindings(d, cf.get("with"));
            }
        }
        other => s.compensate = d.opt_string(other, "`compensate`"),
    }
    s.with = bindings(d, f.get("with"));
    s
}

/// A `with:` map: each input's binding as written.
fn bindings(
    d: &mut Decoder<'_>,
    with: Option<&Node>,
) -> Vec<(Spanned<String>, Spanned<RawBinding>)> {
    let mut out = Vec::new();
    let Some(entries) = with.and_then(|with| d.map(with, "`with`")) else {
        return out;
    };
    for entry in entries {
        let binding = match &entry.value.value {
            Value::Scalar(sc) if sc.plain => RawBinding::Plain(sc.text.clone()),
            Value::Scalar(sc) => RawBinding::Quoted(sc.text.clone()),
            _ => {
                d.error(
                    entry.value.pos,
                    "wrong-type",
                    format!(
                        "binding `{}` must be `input.<field>`, `steps.<step>.<field>`, `workflow.id` or a literal, found {}",
                        entry.key,
                        entry.value.kind_name()
                    ),
                );
                RawBinding::Refused
            }
        };
        out.push((
            Spanned::new(entry.key.clone(), entry.key_pos),
            Spanned::new(binding, entry.value.pos),
        ));
    }
    out
}

/// A field map: `name: type` or `name: { enum: [...] }`.
fn fields(d: &mut Decoder<'_>, node: Option<&Node>, owner_pos: Pos, what: &str) -> RawFields {
    let mut out = RawFields {
        pos: owner_pos,
        fields: Vec::new(),
    };
    let Some(node) = node else { return out };
    out.pos = node.pos;
    let Some(entries) = d.map(node, what) else {
        return out;
    };
    for entry in entries {
        let name = Spanned::new(entry.key.clone(), entry.key_pos);
        let field_what = format!("field `{}`", entry.key);
        let ty = match &entry.value.value {
            Value::Scalar(s) => Some(RawType::Named(Spanned::new(
                s.text.clone(),
                entry.value.pos,
            ))),
            Value::Map(_) => {
                let f = d.fields(
                    &entry.value,
                    &field_what,
                    &["enum", "optional", "description"],
                );
                f.and_then(|f| {
                    let variants_node = d.require(
                        &f,
                        entry.value.pos,
                        "enum",
                        &format!("{field_what} (a type map needs `enum: [...]`)"),
                    )?;
                    let variants = d.string_list(Some(variants_node), "`enum`");
                    let optional = f
                        .get("optional")
                        .and_then(|n| d.bool(n, "`optional`"))
                        .is_some_and(|b| b.value);
                    Some(RawType::Enum {
                        pos: entry.value.pos,
                        variants,
                        optional,
                    })
                })
            }
            // `{ a: map<string, int> }` splits at the comma into `a: map<string`
            // and a key `int>`: the first part is reported, not this remnant.
            Value::Null if entry.key.ends_with('>') => None,
            Value::Null => {
                d.error(
                    entry.value.pos,
                    "missing-type",
                    format!("{field_what} has no type"),
                );
                None
            }
            Value::Seq(_) => {
                d.error(
                    entry.value.pos,
                    "wrong-type",
                    format!(
                        "{field_what} must be a type like `string` or `list<string>`, or `{{ enum: [...] }}`, found a list"
                    ),
                );
                None
            }
        };
        if let Some(ty) = ty {
            out.fields.push(RawField {
                name,
                ty,
                description: None,
            });
        }
    }
    out
}

fn communication(d: &mut Decoder<'_>, node: &Node) -> RawCommunication {
    let mut c = RawCommunication {
        pos: node.pos,
        ..RawCommunication::default()
    };
    let Some(f) = d.fields(
        node,
        "`communication`",
        &["sync", "async", "gateway", "bff", "streaming"],
    ) else {
        return c;
    };
    if let Some(sync) = f.get("sync")
        && let Some(sf) = d.fields(
            sync,
            "`communication.sync`",
            &[
                "connect_timeout",
                "read_timeout",
                "retries",
                "circuit_breaker",
            ],
        )
    {
        let mut raw = RawSync {
            connect_timeout: d.opt_string(sf.get("connect_timeout"), "`connect_timeout`"),
            read_timeout: d.opt_string(sf.get("read_timeout"), "`read_timeout`"),
            retries: sf.get("retries").and_then(|n| d.int(n, "`retries`")),
            ..RawSync::default()
        };
        if let Some(cb) = sf.get("circuit_breaker")
            && let Some(cf) = d.fields(cb, "`circuit_breaker`", &["failure_threshold", "open_for"])
        {
            raw.failure_threshold =
                d.opt_string(cf.get("failure_threshold"), "`failure_threshold`");
            raw.open_for = d.opt_string(cf.get("open_for"), "`open_for`");
        }
        c.sync = Some(raw);
    }
    if let Some(async_node) = f.get("async")
        && let Some(af) = d.fields(
            async_node,
            "`communication.async`",
            &["batch_size", "linger", "consumer_concurrency", "retention"],
        )
    {
        let mut raw = RawAsync {
            batch_size: af.get("batch_size").and_then(|n| d.int(n, "`batch_size`")),
            linger: d.opt_string(af.get("linger"), "`linger`"),
            ..RawAsync::default()
        };
        if let Some(cc) = af.get("consumer_concurrency")
            && let Some(cf) = d.fields(cc, "`consumer_concurrency`", &["min", "max"])
        {
            raw.concurrency_min = cf.get("min").and_then(|n| d.int(n, "`min`"));
            raw.concurrency_max = cf.get("max").and_then(|n| d.int(n, "`max`"));
        }
        if let Some(ret) = af.get("retention")
            && let Some(rf) = d.fields(ret, "`retention`", &["events", "dead_letter"])
        {
            raw.retention_events = d.opt_string(rf.get("events"), "`events`");
            raw.retention_dead_letter = d.opt_string(rf.get("dead_letter"), "`dead_letter`");
        }
        c.async_ = Some(raw);
    }
    if let Some(gateway) = f.get("gateway")
        && let Some(gf) = d.fields(gateway, "`communication.gateway`", &["auth", "rate_limit"])
    {
        c.gateway = Some(RawGateway {
            auth: d.opt_string(gf.get("auth"), "`auth`"),
            rate_limit: d.opt_string(gf.get("rate_limit"), "`rate_limit`"),
        });
    }
    c.bff = d.string_list(f.get("bff"), "`bff`");
    if let Some(streaming) = f.get("streaming")
        && let Some(sf) = d.fields(streaming, "`communication.streaming`", &["broker"])
    {
        c.streaming_broker = d.opt_string(sf.get("broker"), "`broker`");
    }
    c
}
