//! Default bodies for api operations, planned from the operation's name and
//! signature, so a freshly generated service already works end to end.
//!
//! The verb (first word of the op name) and the types decide the kind:
//! - `create`: a new aggregate from the input fields of the same name (`charge`
//!   outputs `paymentId` of aggregate `Payment`, so it creates a payment);
//! - `update`: load by id, assign inputs by name (`newPrice` sets `price`,
//!   `plotId` the reference `plot`), append one item to the list named for
//!   it (`line` onto `lines`);
//! - `transition`: load by id, set the status value the verb names
//!   (`cancel` -> `cancelled`, `refund` -> `refunded`);
//! - `delete`, `query` (outputs from the loaded aggregate, `true` for flags),
//! - `acknowledge`: nothing to persist; fresh ids, events emitted.
//!
//! Outputs and event metadata are filled by name from the input, the
//! aggregate before (`oldPrice`) and after the change, and fresh ids.
//! The plan is rendered into user-owned files: users replace it at will.

use rustc_hash::FxHashMap as HashMap;

use serde::Serialize;

use crate::model::expr::{Expr, Place};
use crate::model::{Aggregate, Context, Event, Field, Module, Op, Ty};

const QUERY_VERBS: &[&str] = &[
    "get",
    "find",
    "list",
    "check",
    "is",
    "has",
    "can",
    "count",
    "search",
    "query",
    "fetch",
    "lookup",
    "validate",
    "verify",
    "calculate",
    "compute",
    "estimate",
    "quote",
    "preview",
    "read",
    "load",
    "show",
    "view",
];
const CREATE_VERBS: &[&str] = &[
    "create", "add", "register", "place", "open", "submit", "new", "start", "record", "issue",
    "book", "enroll", "make", "post", "raise", "log", "insert",
];
const DELETE_VERBS: &[&str] = &["delete", "remove", "destroy", "purge", "discard", "drop"];

#[derive(Debug, Clone, Default, Serialize)]
pub struct Body {
    /// `create` | `update` | `transition` | `delete` | `query` | `acknowledge`.
    pub kind: &'static str,
    /// One sentence on what the default body does, for its doc comment.
    pub summary: String,
    pub aggregate: Option<Target>,
    /// The input that identifies the aggregate to load.
    pub locate: Option<Locate>,
    /// `let <name> = ctx.new_id();` (or `new_uuid()`) before anything else.
    pub fresh_ids: Vec<FreshId>,
    /// Values captured before the change (`let old_price = entity.price;`).
    pub captures: Vec<Assign>,
    /// Field assignments: struct-literal fields for `create`, statements otherwise.
    pub sets: Vec<Assign>,
    /// Items an update adds to a list the record keeps (`note` to `notes`):
    /// `target` is the list, `expr` the item; `when_some` for an optional list.
    pub appends: Vec<Assign>,
    pub outputs: Vec<Assign>,
    pub events: Vec<Emit>,
    pub uses_input: bool,
    pub uses_ctx: bool,
    /// Whether the body names a shared type (an enum value it sets).
    pub uses_types: bool,
    /// Whether the stored aggregate is read after it is saved.
    pub entity_used: bool,
    /// For `create`: the output field that carries the new aggregate's id.
    pub id_output: Option<String>,
    /// For `create`: that output is a `uuid`, so the id is made as one.
    pub id_uuid: bool,
    /// For a `query` by id: a `bool` output answers whether the record
    /// exists (`found.is_some()`), so an unknown id is an answer, not an error.
    pub answers_existence: bool,
    /// Counts kept on stored records (stock on hand, seats), checked,
    /// reserved and released by lines of the input.
    pub stock: Option<Stock>,
    /// Whether the body names `ServiceError` (a stock shortage or an unknown reservation).
    pub uses_service_error: bool,
    /// The fresh id this operation returns is recorded against the record
    /// it acted on, so the operation that takes the id back knows which
    /// record it was (`admitPatient` returns `admissionId` for a patient).
    pub issues: Option<Issue>,
    /// The input naming an id another operation issued: taken back first,
    /// refused when nothing was issued under it.
    pub redeems: Option<Redeem>,
    /// An id this operation returns that another of its module takes back
    /// (a reservation its release, an admission its discharge), for tests
    /// that hand it over.
    pub taken_back: Option<TakenBack>,
    /// Inputs the body parses into an enum: `(input name, a valid value)`.
    #[serde(skip)]
    pub parsed_inputs: Vec<(String, String)>,
}

/// An operation on counts kept by an aggregate, such as stock on hand:
/// `check` answers from them, `reserve` holds what the input's lines ask
/// (refusing what is not there) and records it under the id it returns,
/// `release` gives back exactly what that record says.
#[derive(Debug, Clone, Serialize)]
pub struct Stock {
    /// `check` | `reserve` | `release`.
    pub kind: &'static str,
    /// The repository on the module context (`stock_items`).
    pub repo: String,
    /// The input list of lines (`lines`), for `check` and `reserve`.
    pub lines: String,
    /// The line's field naming the record (`product_id`) and the record's
    /// field it is compared with (`product_id`, or `id`).
    pub line_key: String,
    pub record_key: String,
    /// The key of `record_key` needs `.to_string()` to compare (a uuid line key).
    pub key_to_string: bool,
    /// The line's quantity, the record's count on hand, and the record's
    /// count held by reservations (when it has one: else reserving takes
    /// from on hand).
    pub quantity: String,
    pub on_hand: String,
    pub held: Option<String>,
    /// JSON names, for tests: the lines, the line's key, the record's key
    /// (empty for its id), on hand and held.
    pub json: [String; 5],
    /// The op's declared error returned when a line cannot be met (its
    /// variant), or `None` for the service's own `insufficient_stock`.
    pub shortage: Option<String>,
    /// `check`: the bool output answering.
    pub answer: Option<String>,
    /// `reserve`: the fresh id the reservation is recorded under;
    /// `release`: the input naming it.
    pub receipt: Option<String>,
    /// `release`: that input is a `uuid`.
    pub receipt_uuid: bool,
}

/// The operation that takes back an id another one returned, and where
/// the id travels.
#[derive(Debug, Clone, Serialize)]
pub struct TakenBack {
    /// The taking operation's Rust name.
    pub op: String,
    /// The returning operation's output holding the id (its Rust and JSON
    /// names), and the JSON name of the taking operation's input.
    pub output: String,
    pub output_json: String,
    pub input_json: String,
}

impl TakenBack {
    fn new(op: &Op, output: &Field, input: &Field) -> Self {
        TakenBack {
            op: op.name.rust.clone(),
            output: output.name.rust.clone(),
            output_json: output.json_name().to_string(),
            input_json: input.json_name().to_string(),
        }
    }
}

/// An id an operation returns and records against its record.
#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    /// The fresh id's variable.
    pub id: String,
    pub uuid: bool,
}

/// How an operation takes back an id another one issued.
#[derive(Debug, Clone, Serialize)]
pub struct Redeem {
    /// The input carrying the id, and whether it is a `uuid`.
    pub input: String,
    pub uuid: bool,
    /// The input's JSON name, for the not-found error.
    pub label: String,
    /// The events' entity ids read the record it was issued for.
    pub record_used: bool,
}

/// The default projection of one event into a read model.
#[derive(Debug, Clone, Serialize)]
pub struct Projection {
    pub event: crate::model::Name,
    /// The user-owned function (`order_summary_view_on_order_placed`).
    pub handler: String,
    /// The view's key.
    pub key: Expr,
    /// The key comes from an optional field of the event: an event
    /// without it is about no row of the view, and is skipped.
    pub key_optional: bool,
    pub assigns: Vec<Assign>,
    pub uses_envelope: bool,
    pub uses_event: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub rust_type: String,
    /// The repository's field on the module context (`stock_items`).
    pub repo: String,
    pub name: String,
}

/// An id the operation makes and returns.
#[derive(Debug, Clone, Serialize)]
pub struct FreshId {
    /// The variable (and output field) name.
    pub name: String,
    /// Made as a uuid (for a `uuid` output), else as text.
    pub uuid: bool,
    /// The output is optional (it holds the fresh id).
    pub optional: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Locate {
    pub input: String,
    /// The input is a `uuid` (the repository takes its text).
    pub uuid: bool,
    /// The input's JSON name.
    pub json: String,
    /// The op's declared `*_not_found` error variant, used when the id is unknown.
    pub not_found: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assign {
    pub target: Place,
    pub expr: Expr,
    /// The source is optional and the target is not: assign only when present.
    pub when_some: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Emit {
    pub event: String,
    pub entity_id: Expr,
    pub metadata: Vec<Assign>,
}

/// Where a value comes from, and its type.
#[derive(Clone)]
struct Value {
    expr: Expr,
    ty: Ty,
}

/// Converts `value` to `to`, or `None` when it cannot be done safely; the
/// flag says the source is optional and the target is not.
fn convert(value: &Value, to: &Ty) -> Option<(Expr, bool)> {
    let from = &value.ty;
    let take = |ty: &Ty, expr: &Expr| {
        if ty.plain_value() {
            expr.clone()
        } else {
            expr.clone().copy()
        }
    };
    let wrap = |e: Expr| if to.optional { e.some() } else { e };
    if from.same_shape(to) {
        return Some((take(from, &value.expr), false));
    }
    let to_inner = to.required();
    let from_inner = from.required();
    if !from.optional && to.optional && from.same_shape(&to_inner) {
        return Some((take(from, &value.expr).some(), false));
    }
    if from.optional && !to.optional && from_inner.same_shape(to) {
        return Some((take(from, &value.expr), true));
    }
    if !from.optional && from.kind == "enum" && to_inner.kind == "string" {
        return Some((wrap(value.expr.clone().text()), false));
    }
    if !from.optional && from.kind == "uuid" && matches!(to_inner.kind, "string" | "aggregate") {
        return Some((wrap(value.expr.clone().text()), false));
    }
    // Another enum whose every value this one names (an input's inline
    // `{ enum: [low, high] }` into the record's own): read through the text,
    // which cannot fail.
    if !from.optional
        && from.kind == "enum"
        && to_inner.kind == "enum"
        && let (Some(values), Some(accepted)) = (&from.variants, &to_inner.variants)
        && values.iter().all(|v| accepted.contains(v))
    {
        return Some((wrap(value.expr.clone().text().parse()), false));
    }
    if !from.optional && from.kind == "string" && to_inner.kind == "enum" {
        return Some((wrap(value.expr.clone().parse()), false));
    }
    // A count where a number is wanted and a list of the same name is at
    // hand (`beds: int` in an event, `beds: list<Bed>` in the input).
    if !from.optional && from.kind == "list" && to_inner.kind == "int" {
        return Some((wrap(Expr::Count(Box::new(value.expr.clone()))), false));
    }
    if from.stringly() && to_inner.stringly() && from_inner.same_shape(&to_inner) {
        return convert(
            &Value {
                expr: value.expr.clone(),
                ty: from.clone(),
            },
            to,
        );
    }
    None
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn is_id_field(f: &Field) -> bool {
    f.ty.required().stringly() && (f.name.raw == "id" || f.name.raw.ends_with("Id"))
}

fn past_tense_candidates(verb: &str) -> Vec<String> {
    let irregular: &[(&str, &[&str])] = &[
        ("pay", &["paid"]),
        ("send", &["sent"]),
        ("resend", &["resent"]),
        ("activate", &["active", "activated"]),
        ("deactivate", &["inactive", "deactivated"]),
        ("hold", &["held", "on_hold"]),
        ("withhold", &["withheld"]),
        ("ship", &["shipped"]),
        ("cancel", &["cancelled", "canceled"]),
        ("fail", &["failed"]),
        ("withdraw", &["withdrawn", "withdrew"]),
        ("draw", &["drawn", "drew"]),
        ("write", &["written", "wrote"]),
        ("rewrite", &["rewritten"]),
        ("take", &["taken", "took"]),
        ("overtake", &["overtaken"]),
        ("give", &["given", "gave"]),
        ("forgive", &["forgiven"]),
        ("freeze", &["frozen", "froze"]),
        ("unfreeze", &["unfrozen"]),
        ("choose", &["chosen", "chose"]),
        ("begin", &["begun", "began"]),
        ("buy", &["bought"]),
        ("sell", &["sold"]),
        ("resell", &["resold"]),
        ("build", &["built"]),
        ("rebuild", &["rebuilt"]),
        ("lend", &["lent"]),
        ("spend", &["spent"]),
        ("bring", &["brought"]),
        ("make", &["made"]),
        ("do", &["done", "did"]),
        ("redo", &["redone"]),
        ("undo", &["undone"]),
        ("lose", &["lost"]),
        ("find", &["found"]),
        ("get", &["got", "gotten"]),
        ("break", &["broken", "broke"]),
        ("leave", &["left"]),
        ("keep", &["kept"]),
        ("set", &["set"]),
        ("reset", &["reset"]),
        ("put", &["put"]),
        ("shut", &["shut"]),
        ("split", &["split"]),
        ("quit", &["quit"]),
        ("cut", &["cut"]),
        ("bid", &["bid"]),
        ("read", &["read"]),
        ("run", &["run", "ran"]),
        ("rerun", &["rerun"]),
        ("win", &["won"]),
        ("drive", &["driven", "drove"]),
        ("ride", &["ridden", "rode"]),
        ("show", &["shown", "showed"]),
        ("hide", &["hidden", "hid"]),
        ("know", &["known", "knew"]),
        ("tell", &["told"]),
        ("say", &["said"]),
        ("lay", &["laid"]),
        ("stand", &["stood"]),
        ("understand", &["understood"]),
        ("meet", &["met"]),
        ("deal", &["dealt"]),
        ("lead", &["led"]),
        ("feed", &["fed"]),
        ("seek", &["sought"]),
        ("teach", &["taught"]),
        ("catch", &["caught"]),
        ("forget", &["forgotten", "forgot"]),
        ("speak", &["spoken", "spoke"]),
        ("steal", &["stolen", "stole"]),
        ("wake", &["woken", "woke"]),
        ("throw", &["thrown", "threw"]),
        ("grow", &["grown", "grew"]),
        ("fly", &["flown", "flew"]),
        ("go", &["gone", "went"]),
        ("see", &["seen", "saw"]),
        ("bind", &["bound"]),
        ("unbind", &["unbound"]),
        ("feel", &["felt"]),
        ("mean", &["meant"]),
        ("stick", &["stuck"]),
        ("strike", &["struck"]),
        ("hang", &["hung"]),
        ("spin", &["spun"]),
        ("wind", &["wound"]),
        ("sit", &["sat"]),
        ("sleep", &["slept"]),
        ("forecast", &["forecast"]),
        ("broadcast", &["broadcast"]),
        ("cast", &["cast"]),
        ("upset", &["upset"]),
    ];
    if let Some((_, forms)) = irregular.iter().find(|(v, _)| *v == verb) {
        return forms.iter().map(|s| s.to_string()).collect();
    }
    let mut out = vec![format!("{verb}ed"), format!("{verb}d")];
    if let Some(stem) = verb.strip_suffix('y') {
        out.push(format!("{stem}ied"));
    }
    if let Some(last) = verb.chars().last() {
        out.push(format!("{verb}{last}ed"));
    }
    out
}

/// The context's events by name: recipes look events up per operation.
type EventsByName<'e> = HashMap<&'e str, &'e Event>;

fn by_name(events: &[Event]) -> EventsByName<'_> {
    events.iter().map(|e| (e.name.raw.as_str(), e)).collect()
}

fn choose_target<'m>(module: &'m Module, op: &Op, events: &EventsByName) -> Option<&'m Aggregate> {
    for emitted in &op.emits {
        if let Some(event) = events.get(emitted.raw.as_str())
            && let Some(agg) = module
                .aggregates
                .iter()
                .find(|a| a.name.raw == event.entity.raw)
        {
            return Some(agg);
        }
    }
    let op_lower = op.name.raw.to_lowercase();
    module
        .aggregates
        .iter()
        .find(|a| op_lower.contains(&a.name.raw.to_lowercase()))
        .or_else(|| {
            module.aggregates.iter().find(|a| {
                let id = format!("{}Id", a.name.camel);
                op.input.iter().chain(&op.output).any(|f| f.name.raw == id)
            })
        })
        .or_else(|| module.aggregates.first())
}

fn locate_field<'o>(op: &'o Op, agg: &Aggregate) -> Option<&'o Field> {
    let id_name = format!("{}Id", agg.name.camel);
    op.input.iter().find(|f| {
        let t = f.ty.required();
        !f.ty.optional
            && t.stringly()
            && (f.name.raw == "id"
                || f.name.raw == id_name
                || (t.kind == "aggregate" && t.name.as_deref() == Some(&agg.name.rust_type)))
    })
}

/// Field of `agg` matching an input named `name`: same name, or `newX` for `x`.
fn matching_field<'a>(agg: &'a Aggregate, name: &str) -> Option<&'a Field> {
    let named = |n: &str| agg.fields.iter().find(|f| f.name.raw == n);
    named(name)
        .or_else(|| {
            let rest = name.strip_prefix("new")?;
            rest.starts_with(|c: char| c.is_ascii_uppercase())
                .then(|| lower_first(rest))
                .and_then(|n| named(&n))
        })
        // `plotId` is the id a reference `plot: Plot` holds.
        .or_else(|| named(name.strip_suffix("Id")?).filter(|f| f.ty.required().kind == "aggregate"))
}

/// The list of `input`'s items the record keeps: `notes` for `note`,
/// `entries` for `entry`, `boxes` for `box`.
fn plural_of<'a>(agg: &'a Aggregate, input: &Field) -> Option<&'a Field> {
    let one = input.name.raw.as_str();
    let many = [
        format!("{one}s"),
        format!("{one}es"),
        one.strip_suffix('y')
            .map_or_else(String::new, |stem| format!("{stem}ies")),
    ];
    agg.fields.iter().find(|f| {
        f.ty.required().kind == "list" && many.iter().any(|m| !m.is_empty() && *m == f.name.raw)
    })
}

/// The first word of the operation's name, which says what it does.
fn verb(op: &Op) -> &str {
    op.name.snake.split('_').next().unwrap_or("")
}

pub fn plan_all(context: &mut Context) {
    let events = by_name(&context.events);
    let value_objects: HashMap<&str, &crate::model::ValueObject> = context
        .value_objects
        .iter()
        .map(|v| (v.name.rust_type.as_str(), v))
        .collect();
    for module in &mut context.modules {
        let snapshot = module.clone();
        // Each reservation: its operation, the id it returns, its stock.
        let mut reserves: Vec<(usize, String, Stock)> = Vec::new();
        for (at, op) in module.ops.iter_mut().enumerate() {
            op.recipe = plan(&snapshot, op, &events);
            let stock = plan_stock(&snapshot, op, &value_objects, &op.recipe);
            // A body that already loads and saves an aggregate keeps doing that.
            if let Some(stock) = stock.filter(|_| op.recipe.aggregate.is_none()) {
                if stock.kind == "reserve"
                    && let Some(receipt) = &stock.receipt
                {
                    reserves.push((at, receipt.clone(), stock.clone()));
                }
                apply_stock(&mut op.recipe, stock);
            }
        }
        // Releases, once every reservation is known: an op whose input is
        // the id a reservation returns gives back what it recorded.
        let mut releases: Vec<(usize, TakenBack)> = Vec::new();
        for op in &mut module.ops {
            if op.recipe.stock.is_some() {
                continue;
            }
            if !RELEASE_VERBS.contains(&verb(op)) {
                continue;
            }
            let Some((input, (reserve_at, _, reserve))) = op.input.iter().find_map(|i| {
                let found = reserves.iter().find(|(_, id, _)| *id == i.name.snake)?;
                (!i.ty.optional && matches!(i.ty.kind, "string" | "uuid")).then_some((i, found))
            }) else {
                continue;
            };
            if !releases.iter().any(|(at, _)| at == reserve_at)
                && let Some(output) = snapshot.ops[*reserve_at]
                    .output
                    .iter()
                    .find(|o| Some(&o.name.rust) == reserve.receipt.as_ref())
            {
                releases.push((*reserve_at, TakenBack::new(op, output, input)));
            }
            // Its events are about the reservation, as the reserving op's are.
            let owned = owned_id(input);
            for event in &mut op.recipe.events {
                if event.entity_id == FABRICATED_ENTITY_ID {
                    event.entity_id = owned.clone();
                }
            }
            let stock = Stock {
                kind: "release",
                receipt: Some(input.name.rust.clone()),
                receipt_uuid: is_uuid(input),
                answer: None,
                ..reserve.clone()
            };
            apply_stock(&mut op.recipe, stock);
        }
        for (at, taken_back) in releases {
            module.ops[at].recipe.taken_back = Some(taken_back);
        }
        plan_issued_ids(module, &events);
        for op in &mut module.ops {
            confess(&mut op.recipe);
        }
        module.receipts = module.ops.iter().any(|op| {
            op.recipe
                .stock
                .as_ref()
                .is_some_and(|s| s.receipt.is_some())
                || op.recipe.issues.is_some()
        });
    }
}

/// Pairs an operation that returns a fresh id for the record it acted on
/// (`admitPatient` → `admissionId`) with the one of the same module whose
/// input is that id and that locates nothing else (`dischargePatient`): the
/// first records the id, the second takes it back and acts on that record.
fn plan_issued_ids(module: &mut Module, events: &EventsByName) {
    let mut issuers: Vec<(usize, String, bool, String)> = Vec::new();
    for (at, op) in module.ops.iter().enumerate() {
        let r = &op.recipe;
        if r.stock.is_some() || !matches!(r.kind, "create" | "update" | "transition") {
            continue;
        }
        let Some(agg) = &r.aggregate else { continue };
        for id in &r.fresh_ids {
            issuers.push((at, id.name.clone(), id.uuid, agg.name.clone()));
        }
    }
    for (issuer, id, uuid, agg) in issuers {
        let redeemer = module.ops.iter().enumerate().find_map(|(at, op)| {
            let r = &op.recipe;
            if at == issuer || r.stock.is_some() || r.locate.is_some() || r.redeems.is_some() {
                return None;
            }
            let input = op.input.iter().find(|i| {
                i.name.snake == id && !i.ty.optional && matches!(i.ty.kind, "string" | "uuid")
            })?;
            Some((at, input.clone()))
        });
        let Some((at, input)) = redeemer else {
            continue;
        };
        let taken_back = module.ops[issuer]
            .output
            .iter()
            .find(|o| o.name.rust == id)
            .map(|output| TakenBack::new(&module.ops[at], output, &input));
        let op = &mut module.ops[at];
        let record_used = {
            let r = &mut op.recipe;
            let mut used = false;
            for emit in &mut r.events {
                let about = events.values().find(|e| e.name.pascal == emit.event);
                if about.is_some_and(|e| e.entity.raw == agg) {
                    emit.entity_id = Expr::Local("issued_for".into()).copy();
                    used = true;
                }
            }
            used
        };
        let r = &mut op.recipe;
        r.redeems = Some(Redeem {
            input: input.name.rust.clone(),
            uuid: is_uuid(&input),
            label: input.json_name().to_string(),
            record_used,
        });
        r.uses_ctx = true;
        r.uses_input = true;
        r.uses_service_error = true;
        r.summary = format!(
            "Takes back the `{}` another operation issued (refused when none was), and acts on the record it was issued for.",
            input.name.raw
        );
        let r = &mut module.ops[issuer].recipe;
        r.entity_used = true;
        r.issues = Some(Issue { id, uuid });
        r.taken_back = taken_back;
        r.summary
            .push_str(" Records the id it returns against that record, so it can be taken back.");
    }
}

const RESERVE_VERBS: &[&str] = &[
    "reserve", "allocate", "hold", "book", "claim", "take", "consume", "deduct", "pick",
];
const RELEASE_VERBS: &[&str] = &[
    "release",
    "unreserve",
    "free",
    "cancel",
    "restock",
    "return",
    "undo",
    "deallocate",
    "unhold",
    "unbook",
];
const QUANTITY_NAMES: &[&str] = &["quantity", "qty", "count", "units", "amount", "seats"];
const ON_HAND_NAMES: &[&str] = &[
    "onHand",
    "available",
    "stock",
    "inStock",
    "quantity",
    "balance",
    "capacity",
    "remaining",
    "seats",
    "units",
];
const HELD_NAMES: &[&str] = &["reserved", "allocated", "held", "booked", "committed"];

/// The stock plan of `op`, when its verb and signature say it checks or
/// reserves lines against counts an aggregate of `module` keeps.
fn plan_stock(
    module: &Module,
    op: &Op,
    value_objects: &HashMap<&str, &crate::model::ValueObject>,
    body: &Body,
) -> Option<Stock> {
    let verb = verb(op);
    let kind = if RESERVE_VERBS.contains(&verb) {
        "reserve"
    } else if QUERY_VERBS.contains(&verb)
        && op
            .output
            .iter()
            .any(|o| o.ty.kind == "bool" && !o.ty.optional)
    {
        "check"
    } else {
        return None;
    };
    let int = |f: &&Field| f.ty.kind == "int" && !f.ty.optional;
    for lines in &op.input {
        let item = match (&lines.ty.optional, lines.ty.kind, &lines.ty.item) {
            (false, "list", Some(item)) if item.kind == "value_object" && !item.optional => item,
            _ => continue,
        };
        let Some(vo) = item.name.as_deref().and_then(|n| value_objects.get(n)) else {
            continue;
        };
        let Some(quantity) = QUANTITY_NAMES
            .iter()
            .find_map(|q| vo.fields.iter().filter(int).find(|f| f.name.raw == *q))
        else {
            continue;
        };
        for agg in &module.aggregates {
            let ints: Vec<&Field> = agg.fields.iter().filter(int).collect();
            let held = ints
                .iter()
                .find(|f| HELD_NAMES.contains(&f.name.raw.as_str()))
                .copied();
            let on_hand = ON_HAND_NAMES
                .iter()
                .find_map(|n| ints.iter().find(|f| f.name.raw == *n))
                .copied();
            let Some(on_hand) = on_hand else { continue };
            // The line names a record by a field of the same name, or by its id.
            // A whole number names a record too (`binNo`) when no text
            // does, though never by its id, nor by the counts themselves.
            let key_of = |whole_number: bool| {
                vo.fields.iter().find_map(|lf| {
                    let t = lf.ty.required();
                    let counted = [Some(quantity), Some(on_hand), held]
                        .iter()
                        .flatten()
                        .any(|c| c.name.raw == lf.name.raw);
                    let kind_fits = if whole_number {
                        t.kind == "int"
                    } else {
                        t.stringly()
                    };
                    if lf.ty.optional || counted || !kind_fits {
                        return None;
                    }
                    if lf.name.raw == format!("{}Id", agg.name.camel) {
                        return (!whole_number).then(|| (lf, "id".to_string(), t.kind == "uuid"));
                    }
                    agg.fields
                        .iter()
                        .find(|af| af.name.raw == lf.name.raw && af.ty.same_shape(&lf.ty))
                        .map(|af| (lf, af.name.rust.clone(), false))
                })
            };
            let key = key_of(false).or_else(|| key_of(true));
            let Some((line_key, record_key, key_to_string)) = key else {
                continue;
            };
            // The declared error that names a shortage, else the only one
            // declared that is not about an unknown record.
            let not_lookup: Vec<_> = op
                .errors
                .iter()
                .filter(|e| !e.name.raw.ends_with("not_found"))
                .collect();
            let shortage = op
                .errors
                .iter()
                .find(|e| {
                    [
                        "insufficient",
                        "stock",
                        "available",
                        "short",
                        "capacity",
                        "left",
                        "enough",
                        "sold_out",
                        "exceed",
                    ]
                    .iter()
                    .any(|w| e.name.raw.contains(w))
                })
                .or_else(|| (not_lookup.len() == 1).then(|| not_lookup[0]))
                .map(|e| e.name.pascal.clone());
            let answer = (kind == "check")
                .then(|| {
                    op.output
                        .iter()
                        .find(|o| o.ty.kind == "bool" && !o.ty.optional)
                })
                .flatten()
                .map(|o| o.name.rust.clone());
            let receipt = (kind == "reserve")
                .then(|| body.fresh_ids.first())
                .flatten()
                .map(|id| id.name.clone());
            let json = |f: &Field| f.json_name().to_string();
            let record_json = agg
                .fields
                .iter()
                .find(|af| af.name.rust == record_key)
                .map(json)
                .unwrap_or_default();
            return Some(Stock {
                json: [
                    json(lines),
                    json(line_key),
                    record_json,
                    json(on_hand),
                    held.map(json).unwrap_or_default(),
                ],
                kind,
                repo: agg.plural.rust.clone(),
                lines: lines.name.rust.clone(),
                line_key: line_key.name.rust.clone(),
                record_key,
                key_to_string,
                quantity: quantity.name.rust.clone(),
                on_hand: on_hand.name.rust.clone(),
                held: held.map(|h| h.name.rust.clone()),
                shortage,
                answer,
                receipt,
                receipt_uuid: false,
            });
        }
    }
    None
}

/// Makes `body` do `stock` instead of recording nothing or answering blindly.
fn apply_stock(body: &mut Body, stock: Stock) {
    if let Some(answer) = &stock.answer {
        for output in &mut body.outputs {
            if matches!(&output.target, Place::Field(name) if name.rust == *answer) {
                output.expr = Expr::Local(answer.clone());
            }
        }
    }
    body.uses_ctx = true;
    body.uses_input = true;
    body.uses_service_error =
        stock.kind == "release" || (stock.kind == "reserve" && stock.shortage.is_none());
    body.summary = match stock.kind {
        "check" => format!(
            "Answers whether every line of `{}` is in stock, from the stored counts.",
            stock.lines
        ),
        "reserve" => format!(
            "Holds what each line of `{}` asks from the stored counts, refusing lines that are not in stock{}.",
            stock.lines,
            if stock.receipt.is_some() {
                ", and records the reservation under the id it returns"
            } else {
                ""
            }
        ),
        _ => "Gives back exactly what the reservation it names holds.".into(),
    };
    body.stock = Some(stock);
}

fn plan(module: &Module, op: &Op, events: &EventsByName) -> Body {
    let verb = verb(op).to_string();
    let target = choose_target(module, op, events);
    let locate = target.and_then(|a| locate_field(op, a));
    let transition = target.and_then(|agg| {
        let candidates = past_tense_candidates(&verb);
        let mut enum_fields: Vec<&Field> =
            agg.fields.iter().filter(|f| f.ty.kind == "enum").collect();
        enum_fields.sort_by_key(|f| !matches!(f.name.raw.as_str(), "status" | "state"));
        enum_fields.into_iter().find_map(|f| {
            let type_name = f.ty.name.clone()?;
            let variant = candidates.iter().find_map(|c| {
                f.ty.variants
                    .as_ref()?
                    .iter()
                    .find(|v| v.eq_ignore_ascii_case(c))
                    .cloned()
            })?;
            Some((f.clone(), type_name, variant))
        })
    });
    let output_has_target_id = target.is_some_and(|a| {
        let id = format!("{}Id", a.name.camel);
        op.output
            .iter()
            .any(|f| f.name.raw == id || f.name.raw == "id")
            && locate.is_none()
    });
    let kind: &'static str = if QUERY_VERBS.contains(&verb.as_str()) {
        "query"
    } else if transition.is_some() && locate.is_some() {
        // Before deleting: a record that keeps the state (`discarded`) is
        // moved to it, not removed.
        "transition"
    } else if DELETE_VERBS.contains(&verb.as_str()) && locate.is_some() {
        "delete"
    } else if target.is_some()
        && (CREATE_VERBS.contains(&verb.as_str()) || output_has_target_id)
        && locate.is_none()
    {
        "create"
    } else if locate.is_some() {
        "update"
    } else {
        "acknowledge"
    };

    // What the operation makes happen, in the words a record would keep:
    // the state it moves to, else the verb's past tense (`shipped`).
    let happened: Vec<String> = match &transition {
        Some((_, _, variant)) => vec![variant.clone()],
        None => past_tense_candidates(&verb),
    };

    let mut r = Body {
        kind,
        ..Body::default()
    };
    let input_value = |f: &Field| Value {
        expr: Expr::Input(f.name.clone()),
        ty: f.ty.clone(),
    };
    let entity_value = |f: &Field| Value {
        expr: Expr::Entity(f.name.clone()),
        ty: f.ty.clone(),
    };
    let id_value = Value {
        expr: Expr::EntityId,
        ty: Ty::primitive("string"),
    };

    let uses_entity = matches!(kind, "create" | "update" | "transition" | "delete")
        || (kind == "query" && locate.is_some());
    let agg = if uses_entity { target } else { None };
    if let Some(agg) = agg {
        r.aggregate = Some(Target {
            rust_type: agg.name.rust_type.clone(),
            repo: agg.plural.rust.clone(),
            name: agg.name.raw.clone(),
        });
    }
    if let (Some(agg), Some(loc)) = (agg, locate)
        && kind != "create"
    {
        let not_found = op
            .errors
            .iter()
            .find(|e| e.name.raw == format!("{}_not_found", agg.name.snake))
            .or_else(|| op.errors.iter().find(|e| e.name.raw == "not_found"))
            .map(|e| e.name.pascal.clone());
        r.locate = Some(Locate {
            uuid: is_uuid(loc),
            input: loc.name.rust.clone(),
            json: loc.json_name().to_string(),
            not_found,
        });
    }

    // Assignments.
    let mut assigned: Vec<String> = Vec::new();
    let mut stamped: Vec<String> = Vec::new();
    if let Some(agg) = agg {
        match kind {
            "create" => {
                for field in &agg.fields {
                    let source = op.input.iter().find(|i| {
                        matching_field(agg, &i.name.raw)
                            .is_some_and(|m| m.name.raw == field.name.raw)
                    });
                    if let Some(s) = source {
                        note_parse(&mut r, s, &field.ty);
                    }
                    let expr = match source.and_then(|s| convert(&input_value(s), &field.ty)) {
                        Some((expr, false)) => Some(expr),
                        Some((expr, true)) => Some(expr.or_default()),
                        // A required timestamp is when the record is made; an
                        // optional one (`endedAt?`) stays unset until something sets it.
                        None if field.ty.kind == "datetime" && !field.ty.optional => {
                            Some(Expr::Now)
                        }
                        // A required uuid nothing gives is a new one (a
                        // reference number), never the nil uuid.
                        None if field.ty.kind == "uuid" && !field.ty.optional => {
                            stamped.push(format!("a new `{}`", field.name.raw));
                            Some(Expr::NewUuid)
                        }
                        None => None,
                    };
                    if let Some(expr) = expr {
                        assigned.push(field.name.raw.clone());
                        r.sets.push(Assign {
                            target: Place::Field(field.name.clone()),
                            expr,
                            when_some: false,
                        });
                    }
                }
                // A record made by `send` was sent now: `sentAt`, `sent`.
                let marked = mark_happened(agg, &happened, &mut assigned, Place::Field);
                for (assign, name, shown) in marked {
                    stamped.push(format!("`{name}` {shown}"));
                    r.sets.push(assign);
                }
            }
            "update" | "transition" => {
                for input in &op.input {
                    if locate.is_some_and(|l| l.name.raw == input.name.raw) {
                        continue;
                    }
                    let Some(field) = matching_field(agg, &input.name.raw) else {
                        // One item for a list the record keeps under the
                        // plural name (`addLine` with `line`, to `lines`).
                        if let Some((list, expr)) = plural_of(agg, input).and_then(|list| {
                            let item = list.ty.item.as_deref()?;
                            let (expr, false) = convert(&input_value(input), item)? else {
                                return None;
                            };
                            Some((list, expr))
                        }) && !assigned.contains(&list.name.raw)
                        {
                            note_parse(&mut r, input, list.ty.item.as_deref().expect("a list"));
                            assigned.push(list.name.raw.clone());
                            stamped.push(format!(
                                "appends `{}` to `{}`",
                                input.name.raw, list.name.raw
                            ));
                            r.appends.push(Assign {
                                target: Place::EntityField(list.name.clone()),
                                expr,
                                when_some: list.ty.optional,
                            });
                        }
                        continue;
                    };
                    if transition
                        .as_ref()
                        .is_some_and(|(tf, _, _)| tf.name.raw == field.name.raw)
                    {
                        continue;
                    }
                    if let Some((expr, when_some)) = convert(&input_value(input), &field.ty) {
                        note_parse(&mut r, input, &field.ty);
                        assigned.push(field.name.raw.clone());
                        r.sets.push(Assign {
                            target: Place::EntityField(field.name.clone()),
                            expr,
                            when_some,
                        });
                    }
                }
                if let Some((field, type_name, variant)) = &transition {
                    assigned.push(field.name.raw.clone());
                    let value = Expr::Variant {
                        enum_type: type_name.clone(),
                        variant: variant.clone(),
                    };
                    r.sets.push(Assign {
                        target: Place::EntityField(field.name.clone()),
                        expr: if field.ty.optional {
                            value.some()
                        } else {
                            value
                        },
                        when_some: false,
                    });
                }
                // The time it happened and the flag that says so, where the
                // record keeps them: `cancelledAt` for a transition to
                // `cancelled`; `shippedAt` and `shipped` for an update by `ship`.
                let marked = mark_happened(agg, &happened, &mut assigned, Place::EntityField);
                for (assign, name, shown) in marked {
                    stamped.push(format!("`{name}` to {shown}"));
                    r.sets.push(assign);
                }
            }
            _ => {}
        }
        // Old values, for metadata such as `oldPrice` / `oldStatus`.
        if matches!(kind, "update" | "transition") {
            for event in op.emits.iter().filter_map(|e| events.get(e.raw.as_str())) {
                for m in &event.metadata {
                    let Some(rest) = m.name.raw.strip_prefix("old") else {
                        continue;
                    };
                    if !rest.starts_with(|c: char| c.is_ascii_uppercase()) {
                        continue;
                    }
                    let Some(field) = agg.fields.iter().find(|f| f.name.raw == lower_first(rest))
                    else {
                        continue;
                    };
                    let var = format!("old_{}", field.name.snake);
                    // Captured only if the metadata can take it.
                    if convert(&entity_value(field), &m.ty).is_none() {
                        continue;
                    }
                    if !r
                        .captures
                        .iter()
                        .any(|c| c.target == Place::Local(var.clone()))
                    {
                        let (expr, _) =
                            convert(&entity_value(field), &field.ty).expect("same type converts");
                        r.captures.push(Assign {
                            target: Place::Local(var),
                            expr,
                            when_some: false,
                        });
                    }
                }
            }
        }
    }

    // Fresh ids for id-like outputs nothing else provides.
    let names_the_aggregate = |f: &Field| {
        agg.is_some()
            && target
                .is_some_and(|a| f.name.raw == "id" || f.name.raw == format!("{}Id", a.name.camel))
    };
    let fresh_for = |f: &Field| -> bool {
        is_id_field(f)
            && !op.input.iter().any(|i| i.name.raw == f.name.raw)
            && !names_the_aggregate(f)
            && !agg.is_some_and(|a| a.fields.iter().any(|af| af.name.raw == f.name.raw))
    };
    // A query answers from what is stored: an id it cannot find there is
    // not made up.
    for f in op.output.iter().filter(|_| kind != "query") {
        if fresh_for(f) {
            let uuid = f.ty.required().kind == "uuid";
            r.fresh_ids.push(FreshId {
                name: f.name.snake.clone(),
                uuid,
                optional: f.ty.optional,
            });
        }
    }

    // Where a named value can come from, in order of preference: the first
    // that converts to the type wanted is taken (an entity's optional enum
    // cannot be a required string, an input of the same name may).
    let candidates = |name: &str, r: &Body, prefer_old: bool| -> Vec<Value> {
        let mut found = Vec::new();
        if prefer_old && let Some(rest) = name.strip_prefix("old") {
            let field_name = lower_first(rest);
            if let Some(field) =
                agg.and_then(|a| a.fields.iter().find(|f| f.name.raw == field_name))
            {
                let var = format!("old_{}", field.name.snake);
                if r.captures
                    .iter()
                    .any(|c| c.target == Place::Local(var.clone()))
                {
                    found.push(Value {
                        expr: Expr::Local(var),
                        ty: field.ty.clone(),
                    });
                }
            }
        }
        if let Some(f) = op.output.iter().find(|f| f.name.raw == name)
            && let Some(id) = r.fresh_ids.iter().find(|id| id.name == f.name.snake)
        {
            found.push(Value {
                expr: Expr::Local(id.name.clone()),
                ty: Ty::primitive(if id.uuid { "uuid" } else { "string" }),
            });
        }
        if let Some(agg) = agg {
            if name == "id" || name == format!("{}Id", agg.name.camel) {
                found.push(if r.id_uuid {
                    Value {
                        expr: Expr::Local("id".into()),
                        ty: Ty::primitive("uuid"),
                    }
                } else {
                    id_value.clone()
                });
            } else if let Some(f) = matching_field(agg, name)
                && (kind != "delete" || f.name.raw == name)
            {
                found.push(entity_value(f));
            } else if name == "version" && kind != "delete" {
                // The version the write left (optimistic locking).
                found.push(Value {
                    expr: Expr::Version,
                    ty: Ty::primitive("int"),
                });
            }
        }
        found.extend(
            op.input
                .iter()
                .filter(|f| f.name.raw == name)
                .map(input_value),
        );
        found
    };
    let lookup = |name: &str, to: &Ty, r: &Body, prefer_old: bool| -> Option<(Expr, bool)> {
        candidates(name, r, prefer_old)
            .iter()
            .find_map(|v| convert(v, to))
    };

    if kind == "create" {
        let id_output = op.output.iter().find(|f| {
            target
                .is_some_and(|a| f.name.raw == "id" || f.name.raw == format!("{}Id", a.name.camel))
        });
        r.id_output = id_output.map(|f| f.name.rust.clone());
        r.id_uuid = id_output.is_some_and(|f| f.ty.required().kind == "uuid");
    }
    // An output or event field named for what the operation does, that
    // nothing stored or given answers, says it happened once it has
    // succeeded: `enrolled` for `enrol` is true, `archivedAt` for `archive`
    // is now.
    let says_it_happened = |f: &Field| -> Option<Expr> {
        if kind == "query" {
            return None;
        }
        let (_, value, _) = MARKS
            .into_iter()
            .find(|(names_it, _, _)| happened.iter().any(|word| names_it(f, word)))?;
        Some(if f.ty.optional { value.some() } else { value })
    };
    for f in &op.output {
        let expr = lookup(&f.name.raw, &f.ty, &r, false)
            .map(|(e, when_some)| if when_some { e.or_default() } else { e })
            .unwrap_or_else(|| {
                if kind == "query" && r.locate.is_some() && f.ty.kind == "bool" && !f.ty.optional {
                    r.answers_existence = true;
                    Expr::Found
                } else {
                    says_it_happened(f).unwrap_or(Expr::Default)
                }
            });
        r.outputs.push(Assign {
            target: Place::Field(f.name.clone()),
            expr,
            when_some: false,
        });
    }

    for emitted in &op.emits {
        let Some(event) = events.get(emitted.raw.as_str()) else {
            continue;
        };
        let entity_id = if agg.is_some_and(|a| a.name.raw == event.entity.raw) {
            Expr::EntityId.copy()
        } else {
            let id_name = format!("{}Id", event.entity.camel);
            lookup(&id_name, &Ty::primitive("string"), &r, false)
                .map(|(e, _)| e)
                .or_else(|| {
                    r.fresh_ids.first().map(|id| {
                        let local = Expr::Local(id.name.clone());
                        if id.uuid { local.text() } else { local.copy() }
                    })
                })
                .unwrap_or(FABRICATED_ENTITY_ID)
        };
        let metadata = event
            .metadata
            .iter()
            .map(|m| {
                let expr = lookup(&m.name.raw, &m.ty, &r, true)
                    .map(|(e, when_some)| if when_some { e.or_default() } else { e })
                    .or_else(|| says_it_happened(m))
                    .unwrap_or(Expr::Default);
                Assign {
                    target: Place::Field(m.name.clone()),
                    expr,
                    when_some: false,
                }
            })
            .collect();
        r.events.push(Emit {
            event: event.name.pascal.clone(),
            entity_id,
            metadata,
        });
    }

    let entity_used = r.outputs.iter().any(|a| a.expr.reads_entity())
        || r.events.iter().any(|e| {
            e.entity_id.reads_entity() || e.metadata.iter().any(|m| m.expr.reads_entity())
        });
    if r.answers_existence && entity_used {
        // The record is loaded for the other outputs, so it exists.
        r.answers_existence = false;
        for output in &mut r.outputs {
            if output.expr == Expr::Found {
                output.expr = Expr::True;
            }
        }
    }
    let all_exprs: Vec<&Expr> =
        r.sets
            .iter()
            .chain(&r.appends)
            .chain(&r.outputs)
            .chain(&r.captures)
            .map(|a| &a.expr)
            .chain(r.events.iter().flat_map(|e| {
                std::iter::once(&e.entity_id).chain(e.metadata.iter().map(|m| &m.expr))
            }))
            .collect();
    r.uses_input = r.locate.is_some() || all_exprs.iter().any(|e| e.reads_input());
    r.entity_used = entity_used;
    r.uses_types = transition.is_some() && kind == "transition";
    r.uses_ctx = r.aggregate.is_some()
        || !r.events.is_empty()
        || !r.fresh_ids.is_empty()
        || all_exprs.iter().any(|e| e.reads_call());
    r.summary = match kind {
        "create" => format!(
            "Creates a new `{}` from the input fields of the same name{}.",
            target.map_or("", |a| a.name.raw.as_str()),
            match stamped.as_slice() {
                [] => String::new(),
                marks => format!(", with {}", marks.join(" and ")),
            }
        ),
        // Nothing in the input names a field: said, so that a compensation
        // (`reopen`) that changes nothing yet does not pass for one that does.
        "update" if r.sets.is_empty() && r.appends.is_empty() => format!(
            "Loads the `{}` and saves it (version + 1) without changing a field: nothing in the input names one, so what `{}` changes is yours to write.",
            target.map_or("", |a| a.name.raw.as_str()),
            op.name.raw
        ),
        "update" => format!(
            "Loads the `{}`, sets the fields the input names{}, saves it (version + 1).",
            target.map_or("", |a| a.name.raw.as_str()),
            stamped
                .iter()
                .map(|s| format!(" and {s}"))
                .collect::<String>()
        ),
        "transition" => {
            let (f, _, v) = transition.as_ref().expect("transition has a target");
            format!(
                "Loads the `{}` and sets `{}` to `{v}`{}.",
                target.map_or("", |a| a.name.raw.as_str()),
                f.name.raw,
                stamped
                    .iter()
                    .map(|s| format!(" and {s}"))
                    .collect::<String>()
            )
        }
        "delete" => format!(
            "Deletes the `{}`.",
            target.map_or("", |a| a.name.raw.as_str())
        ),
        "query" => "Answers from current state without changing it.".into(),
        _ => "Records nothing: returns fresh ids and emits the declared events.".into(),
    };
    r
}

/// A field that records that something happened, the value it gets, and
/// how the summary says so.
type Mark = (fn(&Field, &str) -> bool, Expr, &'static str);

/// The fields of `agg` that say one of `happened` happened (the time, the
/// flag) and nothing assigned yet, each set through `place`, with its name
/// and how the summary shows its value.
fn mark_happened(
    agg: &Aggregate,
    happened: &[String],
    assigned: &mut Vec<String>,
    place: fn(crate::model::Name) -> Place,
) -> Vec<(Assign, String, &'static str)> {
    let mut marked = Vec::new();
    for (names_it, value, shown) in MARKS {
        let Some(field) = happened.iter().find_map(|word| {
            agg.fields
                .iter()
                .find(|f| names_it(f, word) && !assigned.contains(&f.name.raw))
        }) else {
            continue;
        };
        assigned.push(field.name.raw.clone());
        let expr = if field.ty.optional {
            value.some()
        } else {
            value
        };
        let assign = Assign {
            target: place(field.name.clone()),
            expr,
            when_some: false,
        };
        marked.push((assign, field.name.raw.clone(), shown));
    }
    marked
}

/// The time it happened and the flag that says so.
const MARKS: [Mark; 2] = [
    (is_stamp_for, Expr::Now, "now"),
    (is_flag_for, Expr::True, "true"),
];

/// Whether `f` is the time `word` happened (`shippedAt` for `shipped`).
fn is_stamp_for(f: &Field, word: &str) -> bool {
    f.ty.required().kind == "datetime"
        && f.name.raw == format!("{}At", crate::model::Name::new(word).camel)
}

/// Whether `f` is the flag that says `word` happened (`paid` or `isPaid`).
fn is_flag_for(f: &Field, word: &str) -> bool {
    let word = crate::model::Name::new(word);
    f.ty.required().kind == "bool"
        && (f.name.raw == word.camel || f.name.raw == format!("is{}", word.pascal))
}

/// Whether an id input is a `uuid` (else text).
fn is_uuid(input: &Field) -> bool {
    input.ty.required().kind == "uuid"
}

/// An id input as an owned text value: its text for a `uuid`, else a copy.
fn owned_id(input: &Field) -> Expr {
    let value = Expr::Input(input.name.clone());
    if is_uuid(input) {
        value.text()
    } else {
        value.copy()
    }
}

/// The entity id of an event when nothing in the operation names the record
/// it is about; the body's summary says so.
const FABRICATED_ENTITY_ID: Expr = Expr::NewId;

/// Says in the summary where the default could not tell a value and made
/// one up, so nobody mistakes it for an answer. Called once planning ends.
fn confess(r: &mut Body) {
    if r.events.iter().any(|e| e.entity_id == FABRICATED_ENTITY_ID) {
        r.summary.push_str(
            " Nothing in the input names the record its events are about, so they carry a fresh id: replace it.",
        );
    }
    let guessed: Vec<&str> = r
        .outputs
        .iter()
        .filter(|o| o.expr == Expr::Default)
        .filter_map(|o| match &o.target {
            Place::Field(name) => Some(name.raw.as_str()),
            _ => None,
        })
        .collect();
    if !guessed.is_empty() {
        r.summary.push_str(&format!(
            " Nothing stored or given says what `{}` should be: it is left empty (zero) until you write the rule.",
            guessed.join("`, `")
        ));
    }
    for event in &r.events {
        let guessed: Vec<&str> = event
            .metadata
            .iter()
            .filter(|m| m.expr == Expr::Default)
            .filter_map(|m| match &m.target {
                Place::Field(name) => Some(name.raw.as_str()),
                _ => None,
            })
            .collect();
        if !guessed.is_empty() {
            let message = format!(
                " Nothing stored or given says what `{}` of `{}` should be: it is left empty (zero) until you write the rule.",
                guessed.join("`, `"),
                event.event
            );
            r.summary.push_str(&message);
        }
    }
}

/// Records that the default body parses string input `input` into enum `to`.
fn note_parse(r: &mut Body, input: &Field, to: &Ty) {
    let to = to.required();
    if input.ty.kind == "string"
        && !input.ty.optional
        && to.kind == "enum"
        && let Some(first) = to.variants.as_ref().and_then(|v| v.first())
    {
        r.parsed_inputs
            .push((input.name.raw.clone(), first.clone()));
    }
}

/// The view store's key (text) from an event field named like the view's
/// key, and whether the field is optional (an event without it is about no
/// row); `None` for a field with no single text form, whose view is then
/// keyed by the entity id.
fn key_text(value: &Value) -> Option<(Expr, bool)> {
    let expr = value.expr.clone();
    match (value.ty.kind, value.ty.optional) {
        ("string" | "aggregate", optional) => Some((expr.copy(), optional)),
        ("uuid" | "int" | "enum", false) => Some((expr.text(), false)),
        ("uuid" | "int" | "enum", true) => Some((Expr::OptionalText(Box::new(expr)), true)),
        _ => None,
    }
}

/// Whether an event field of this type keys a view (else the event's
/// entity id does).
pub fn keys_a_view(ty: &Ty) -> bool {
    matches!(ty.kind, "string" | "aggregate" | "uuid" | "int" | "enum")
}

/// Default projections: metadata copied into view fields of the same name
/// (or `newX` into `x`), the entity id into `<entity>Id`, and a string
/// `status` set to the event's verb (`order.cancelled` -> `cancelled`).
pub fn plan_projections(ctx: &mut Context) {
    let events = by_name(&ctx.events);
    for view in &mut ctx.read_models {
        // The aggregate the view is about: the one its key names (`orderId`).
        let own = view.key.name.raw.strip_suffix("Id").map(str::to_string);
        let mut projections = Vec::new();
        for on in &view.on {
            let Some(event) = events.get(on.raw.as_str()) else {
                continue;
            };
            let event_value = |f: &Field| Value {
                expr: Expr::Event(f.name.clone()),
                ty: f.ty.clone(),
            };
            let (key, key_optional) = event
                .metadata
                .iter()
                .find(|m| m.name.raw == view.key.name.raw && keys_a_view(&m.ty))
                .and_then(|m| key_text(&event_value(m)))
                .unwrap_or_else(|| (Expr::EnvelopeEntityId.copy(), false));
            let mut assigns = Vec::new();
            for field in &view.fields {
                if field.name.raw == view.key.name.raw {
                    continue;
                }
                let from_metadata = event
                    .metadata
                    .iter()
                    .find(|m| m.name.raw == field.name.raw)
                    .or_else(|| {
                        let wanted = format!("new{}", field.name.pascal);
                        event.metadata.iter().find(|m| m.name.raw == wanted)
                    });
                let expr = if let Some(m) = from_metadata {
                    // A projection cannot fail (it returns nothing): text
                    // that may not name an enum value is left to the user.
                    convert(&event_value(m), &field.ty).filter(|(e, _)| !e.fallible())
                } else if field.name.raw == format!("{}Id", event.entity.camel)
                    && field.ty.required().stringly()
                {
                    convert(
                        &Value {
                            expr: Expr::EnvelopeEntityId,
                            ty: Ty::primitive("string"),
                        },
                        &field.ty,
                    )
                } else if matches!(field.name.raw.as_str(), "status" | "state")
                    && field.ty.kind == "string"
                    && !field.ty.optional
                    // Another aggregate's verb is not this one's status.
                    && own.as_deref().is_none_or(|own| own == event.entity.camel)
                {
                    let verb = event.name.raw.rsplit('.').next().unwrap_or_default();
                    Some((Expr::Literal(verb.to_string()), false))
                } else {
                    None
                };
                if let Some((expr, when_some)) = expr {
                    assigns.push(Assign {
                        target: Place::ViewField(field.name.clone()),
                        expr,
                        when_some,
                    });
                }
            }
            // The key is set by the generated runner; only the body counts.
            let uses = |leaf: &dyn Fn(&Expr) -> bool| assigns.iter().any(|a| a.expr.reads(&leaf));
            projections.push(Projection {
                handler: format!("{}_on_{}", view.name.snake, event.name.snake),
                uses_envelope: uses(&|e| matches!(e, Expr::EnvelopeEntityId)),
                uses_event: uses(&|e| matches!(e, Expr::Event(_))),
                event: event.name.clone(),
                key,
                key_optional,
                assigns,
            });
        }
        view.projections = projections;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn context(yaml: &str) -> Context {
        let mut diags = crate::diag::Diagnostics::new();
        let raw = crate::source::load_spec_text("t.bc.yaml", yaml.as_bytes(), &mut diags)
            .expect("the YAML parses");
        let ctx = crate::model::lower::lower(
            &raw,
            Arc::new(crate::source::bundle::BundleSet::default()),
            "t.bc.yaml",
            &mut diags,
        )
        .expect("lowers");
        assert!(!diags.has_errors(), "{diags:?}");
        ctx
    }

    const SHOP: &str = "parasol: 1
bounded_context:
  name: Shop
  modules:
    catalog:
      aggregates:
        Product:
          fields:
            price: int
            status: { enum: [listed, cancelled] }
            label: string?
      api:
        changePrice:
          input: { productId: string, newPrice: int, label: string }
          output: { oldPrice: int }
        cancelProduct:
          input: { productId: string }
          output: { ok: bool }
";

    #[test]
    fn bodies_are_planned_as_values_not_code() {
        let ctx = context(SHOP);
        let ops = &ctx.modules[0].ops;
        let change = &ops
            .iter()
            .find(|o| o.key == "catalog.changePrice")
            .unwrap()
            .recipe;
        assert_eq!(change.kind, "update");
        let set = |body: &Body, field: &str| {
            body.sets
                .iter()
                .find(|a| matches!(&a.target, Place::EntityField(n) if n.raw == field))
                .map(|a| a.expr.clone())
        };
        // `newPrice` sets `price`; a required input fills an optional field.
        assert!(matches!(set(change, "price"), Some(Expr::Input(n)) if n.raw == "newPrice"));
        assert!(matches!(
            set(change, "label"),
            Some(Expr::Some(inner)) if matches!(&*inner, Expr::Copy(v) if matches!(&**v, Expr::Input(n) if n.raw == "label"))
        ));
        let withdraw = &ops
            .iter()
            .find(|o| o.key == "catalog.cancelProduct")
            .unwrap()
            .recipe;
        assert_eq!(withdraw.kind, "transition");
        assert!(matches!(
            set(withdraw, "status"),
            Some(Expr::Variant { variant, .. }) if variant == "cancelled"
        ));
        assert!(withdraw.uses_types && withdraw.uses_input);
    }

    /// A record made by a verb is stamped with it; a required uuid nothing
    /// gives is a new one, never the nil uuid.
    #[test]
    fn a_record_made_by_a_verb_says_so() {
        let ctx = context(
            "parasol: 1
bounded_context:
  name: Claims
  modules:
    payouts:
      aggregates:
        Payout: { fields: { amount: decimal, reference: uuid, sentAt: datetime?, note: uuid? } }
      api:
        send:
          input: { amount: decimal }
          output: { payoutId: uuid }
",
        );
        let send = &ctx.modules[0].ops[0].recipe;
        assert_eq!(send.kind, "create");
        let set = |name: &str| {
            send.sets
                .iter()
                .find(|a| matches!(&a.target, Place::Field(n) if n.raw == name))
                .map(|a| a.expr.clone())
        };
        assert_eq!(set("reference"), Some(Expr::NewUuid));
        assert_eq!(set("sentAt"), Some(Expr::Now.some()));
        assert_eq!(set("note"), None);
        assert!(
            send.summary
                .ends_with("with a new `reference` and `sentAt` now."),
            "{}",
            send.summary
        );
    }

    /// One item for a list the record keeps under the plural name is
    /// appended to it; the list's count then answers a number of that name.
    #[test]
    fn an_item_goes_onto_the_list_named_for_it() {
        let ctx = context(
            "parasol: 1
bounded_context:
  name: Bar
  modules:
    tabs:
      aggregates:
        Tab: { fields: { lines: list<Line>, entries: list<string>?, boxes: list<int> } }
      value_objects:
        Line: { item: string, price: decimal }
      api:
        addLine:
          input: { tabId: string, line: Line, entry: string, box: string }
          output: { lines: int }
",
        );
        let add = &ctx.modules[0].ops[0].recipe;
        let appended: Vec<(String, bool)> = add
            .appends
            .iter()
            .map(|a| match &a.target {
                Place::EntityField(n) => (n.raw.clone(), a.when_some),
                other => panic!("{other:?}"),
            })
            .collect();
        // `box` is text, `boxes` holds numbers: not appended.
        assert_eq!(
            appended,
            [("entries".to_string(), true), ("lines".to_string(), false)]
        );
        assert!(matches!(&add.outputs[0].expr, Expr::Count(_)));
        assert!(
            add.summary
                .contains("appends `entry` to `entries` and appends `line` to `lines`"),
            "{}",
            add.summary
        );
    }

    #[test]
    fn a_stock_line_names_its_record_by_text_first_then_by_a_whole_number() {
        let spec = |line: &str| {
            format!(
                "parasol: 1
bounded_context:
  name: Depot
  modules:
    bins:
      aggregates:
        Bin: {{ fields: {{ binNo: int, code: string, onHand: int, held: int }} }}
      value_objects:
        Line: {line}
      api:
        reserve:
          input: {{ lines: list<Line> }}
          output: {{ holdId: string }}
        release:
          input: {{ holdId: string }}
"
            )
        };
        let keys = |line: &str| {
            let ctx = context(&spec(line));
            let ops = &ctx.modules[0].ops;
            let stock = |name: &str| {
                let op = ops.iter().find(|o| o.name.raw == name).unwrap();
                op.recipe.stock.clone()
            };
            let reserve = stock("reserve").expect("reserve keeps stock");
            assert_eq!(reserve.kind, "reserve");
            let reserving = ops.iter().find(|o| o.name.raw == "reserve").unwrap();
            let released = reserving
                .recipe
                .taken_back
                .clone()
                .expect("release takes it back");
            assert_eq!(
                (released.op.as_str(), released.input_json.as_str()),
                ("release", "holdId")
            );
            assert_eq!(stock("release").map(|s| s.kind), Some("release"));
            (reserve.line_key, reserve.record_key)
        };
        let key = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            keys("{ binNo: int, quantity: int }"),
            key("bin_no", "bin_no")
        );
        assert_eq!(
            keys("{ binNo: int, code: string, quantity: int }"),
            key("code", "code")
        );
        assert_eq!(
            keys("{ binId: string, binNo: int, quantity: int }"),
            key("bin_id", "id")
        );
        // The count itself names nothing.
        let ctx = context(&spec("{ onHand: int, quantity: int }"));
        assert!(ctx.modules[0].ops.iter().all(|o| o.recipe.stock.is_none()));
    }

    const HARVEST: &str = "parasol: 1
bounded_context:
  name: Farm
  modules:
    harvests:
      aggregates:
        Plot: { fields: { crop: string } }
        Harvest:
          fields:
            plot: Plot
            grade: { enum: [a, b], optional: true }
            pickers: list<string>
            shippedAt: datetime?
            shipped: bool
      api:
        recordHarvest:
          input: { plotId: uuid, pickers: list<string> }
        gradeHarvest:
          input: { harvestId: string, grade: string }
          output: { version: int }
          emits: [harvest.graded]
        ship:
          input: { harvestId: string, crates: list<string> }
          emits: [harvest.shipped]
  events:
    harvest.graded: { entity: Harvest, metadata: { grade: string, note: string, plotId: Plot } }
    harvest.shipped: { entity: Harvest, metadata: { crates: int, shippedAt: datetime? } }
";

    #[test]
    fn values_come_from_the_first_source_that_converts_and_guesses_are_confessed() {
        let ctx = context(HARVEST);
        let body = |key: &str| {
            ctx.modules[0]
                .ops
                .iter()
                .find(|o| o.key == key)
                .unwrap()
                .recipe
                .clone()
        };
        let meta = |body: &Body, field: &str| {
            body.events[0]
                .metadata
                .iter()
                .find(|m| matches!(&m.target, Place::Field(n) if n.raw == field))
                .map(|m| m.expr.clone())
                .unwrap()
        };
        let grade = body("harvests.gradeHarvest");
        // The stored grade is an optional enum; the input's text is taken.
        assert!(
            matches!(meta(&grade, "grade"), Expr::Copy(v) if matches!(&*v, Expr::Input(n) if n.raw == "grade"))
        );
        assert_eq!(meta(&grade, "note"), Expr::Default);
        assert!(
            grade.summary.contains("`note` of `HarvestGraded`"),
            "{}",
            grade.summary
        );
        assert_eq!(grade.outputs[0].expr, Expr::Version);
        // `plotId` is the id the reference `plot` holds, both ways.
        assert!(
            matches!(meta(&grade, "plotId"), Expr::Copy(v) if matches!(&*v, Expr::Entity(n) if n.raw == "plot"))
        );
        let record = body("harvests.recordHarvest");
        assert!(record.sets.iter().any(|a| matches!(&a.target, Place::Field(n) if n.raw == "plot")
            && matches!(&a.expr, Expr::Text(v) if matches!(&**v, Expr::Input(n) if n.raw == "plotId"))));

        let ship = body("harvests.ship");
        // `ship` stamps `shippedAt`; a list gives a count where an int is wanted.
        assert!(ship.sets.iter().any(
            |a| matches!(&a.target, Place::EntityField(n) if n.raw == "shippedAt")
                && a.expr == Expr::Now.some()
        ));
        assert!(
            ship.summary.contains("`shippedAt` to now"),
            "{}",
            ship.summary
        );
        assert!(
            matches!(meta(&ship, "crates"), Expr::Count(v) if matches!(&*v, Expr::Input(n) if n.raw == "crates"))
        );
        assert!(!ship.summary.contains("left empty"), "{}", ship.summary);

        // Irregular verbs find their states; an output flag named for the
        // verb is true once the operation succeeded.
        let ctx = context(
            "parasol: 1
bounded_context:
  name: School
  modules:
    students:
      aggregates:
        Student:
          fields: { status: { enum: [applied, enrolled, withdrawn, discarded] }, withdrawnAt: datetime? }
      api:
        enrol:
          input: { studentId: string }
          output: { enrolled: bool, enrolledAt: datetime? }
          emits: [student.enrolled]
        withdraw:
          input: { studentId: string }
        discardStudent:
          input: { studentId: string }
        findByEmail:
          input: { email: string }
          output: { studentId: string?, enrolledAt: datetime? }
  events:
    student.enrolled:
      entity: Student
      metadata: { enrolledAt: datetime }
",
        );
        let op = |key: &str| {
            ctx.modules[0]
                .ops
                .iter()
                .find(|o| o.key == key)
                .unwrap()
                .recipe
                .clone()
        };
        // So is the time named for it that the record does not keep, in
        // the output and in the event.
        let enrol = op("students.enrol");
        assert_eq!(enrol.outputs[0].expr, Expr::True);
        assert_eq!(enrol.outputs[1].expr, Expr::Now.some());
        assert_eq!(enrol.events[0].metadata[0].expr, Expr::Now);
        let withdraw = op("students.withdraw");
        assert_eq!(withdraw.kind, "transition");
        assert!(
            withdraw
                .summary
                .ends_with("to `withdrawn` and `withdrawnAt` to now."),
            "{}",
            withdraw.summary
        );
        // A record that keeps the state is moved to it, not deleted.
        assert_eq!(op("students.discardStudent").kind, "transition");
        // A query does not make up the id it could not find.
        let find = op("students.findByEmail");
        assert!(find.fresh_ids.is_empty());
        assert_eq!(find.outputs[0].expr, Expr::Default);
        assert_eq!(find.outputs[1].expr, Expr::Default);
        assert!(find.summary.contains("`studentId`"), "{}", find.summary);
    }

    /// An input's inline enum fills the record's own enum when every value
    /// it names is one the record's accepts; not when it names others.
    #[test]
    fn an_enum_fills_another_enum_that_accepts_all_its_values() {
        let ctx = context(
            "parasol: 1
bounded_context:
  name: Desk
  modules:
    desk:
      aggregates:
        Ticket: { fields: { priority: { enum: [low, high, urgent] }, mood: { enum: [calm, cross] } } }
      api:
        raise:
          input: { priority: { enum: [low, high] }, mood: { enum: [calm, furious] } }
",
        );
        let body = &ctx.modules[0].ops[0].recipe;
        let set = |field: &str| {
            body.sets
                .iter()
                .find(|a| matches!(&a.target, Place::Field(n) if n.raw == field))
                .map(|a| a.expr.clone())
        };
        assert!(
            matches!(set("priority"), Some(Expr::Parse(t)) if matches!(&*t, Expr::Text(v) if matches!(&**v, Expr::Input(n) if n.raw == "priority"))),
            "{:?}",
            set("priority")
        );
        // `furious` is no `mood` of a ticket: nothing safe fills it.
        assert_eq!(set("mood"), None);
    }

    /// A projection returns nothing, so it has nowhere to send a failure:
    /// text that may not name one of the view's enum values is not read
    /// into it (the default would not build), while a field that cannot
    /// fail still is.
    #[test]
    fn a_projection_never_reads_text_into_an_enum() {
        let ctx = context(
            "parasol: 1
bounded_context:
  name: Shelter
  modules:
    intake:
      aggregates:
        Animal: { fields: { name: string } }
      api:
        admit:
          input: { name: string }
          emits: [animal.admitted]
  events:
    animal.admitted: { entity: Animal, metadata: { species: string, name: string } }
  read_models:
    Board:
      key: animalId
      fields: { animalId: string, species: { enum: [dog, cat] }, name: string }
      on: [animal.admitted]
",
        );
        let projection = &ctx.read_models[0].projections[0];
        let targets: Vec<&str> = projection
            .assigns
            .iter()
            .map(|a| match &a.target {
                Place::ViewField(n) => n.raw.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(targets, ["name"]);
        assert!(!projection.assigns.iter().any(|a| a.expr.fallible()));
    }

    /// A view keyed by a uuid, a number or an enum value is keyed by the
    /// text of the event's field of that name, optional or not, or by the
    /// entity id; the runner reads the typed key back (`key_parsed`).
    #[test]
    fn views_are_keyed_by_the_text_of_their_key() {
        let ctx = context(
            "parasol: 1
bounded_context:
  name: Port
  modules:
    berths:
      aggregates:
        Berth: { fields: { code: string } }
      api:
        holdBerth:
          input: { code: string }
          emits: [berth.held, berth.freed, berth.opened]
  events:
    berth.held: { entity: Berth, metadata: { slot: int, code: string } }
    berth.freed: { entity: Berth, metadata: { slot: int? } }
    berth.opened: { entity: Berth, metadata: { slot: decimal } }
  read_models:
    BySlot: { key: slot, fields: { slot: int, code: string? }, on: [berth.held, berth.freed] }
    ByBerth: { key: berthId, fields: { berthId: uuid }, on: [berth.held] }
    ByCode: { key: code, fields: { code: string }, on: [berth.held] }
",
        );
        let view = |name: &str| ctx.read_models.iter().find(|r| r.name.raw == name).unwrap();
        let by_slot = view("BySlot");
        assert!(by_slot.key_parsed);
        let slot = || Box::new(Expr::Event(by_slot.key.name.clone()));
        let keys: Vec<(Expr, bool)> = by_slot
            .projections
            .iter()
            .map(|p| (p.key.clone(), p.key_optional))
            .collect();
        assert_eq!(
            keys,
            [
                (Expr::Text(slot()), false),
                (Expr::OptionalText(slot()), true)
            ]
        );
        let by_berth = view("ByBerth");
        assert!(by_berth.key_parsed);
        assert_eq!(by_berth.projections[0].key, Expr::EnvelopeEntityId.copy());
        let by_code = view("ByCode");
        assert!(!by_code.key_parsed);
        assert!(
            matches!(&by_code.projections[0].key, Expr::Copy(e) if matches!(&**e, Expr::Event(n) if n.raw == "code"))
        );
        // A decimal has no single text form: it keys nothing.
        assert!(!keys_a_view(&Ty::primitive("decimal")));
    }
}
