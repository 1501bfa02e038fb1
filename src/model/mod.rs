//! Stage 3 (model): the resolved, typed bounded context.
//!
//! Built from the raw spec by `lower`: every reference is resolved, every
//! name normalised once (`names`), every type mapped (`types`), and every
//! map-derived collection sorted by name so output never depends on the order
//! a spec happens to list things in. Templates see only this model (it is
//! `Serialize`); positions are kept, unserialised, for validation messages.

pub mod bodies;
pub mod expr;
pub mod lower;
pub mod names;
pub mod samples;
pub mod types;

use std::sync::Arc;

use serde::Serialize;

use crate::diag::{Pos, SourceFile};
use crate::source::bundle::BundleSet;
pub use bodies::Body;
pub use names::Name;
pub use types::Ty;

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub name: Name,
    pub description: Option<String>,
    pub architecture: String,
    /// The spec's file name, as generated headers name it.
    pub spec_file: String,
    pub modules: Vec<Module>,
    pub value_objects: Vec<ValueObject>,
    pub enums: Vec<EnumDef>,
    pub events: Vec<Event>,
    pub read_models: Vec<ReadModel>,
    pub workflows: Vec<Workflow>,
    pub communication: Communication,
    pub policy: Policy,
    /// The merged bundle config, unknown keys included.
    pub config: serde_json::Value,
    pub bundles: Vec<String>,
    pub uses: Uses,
    /// Whether event metadata mentions shared types (value objects, enums).
    pub events_use_types: bool,
    /// Whether read models mention shared types.
    pub views_use_types: bool,
    /// The shared types read models mention.
    pub view_shared_types: Vec<String>,
    /// The shared types event metadata mentions.
    pub event_shared_types: Vec<String>,
    /// Every operation's key (`inventory.reserve`), in module order.
    pub op_keys: Vec<String>,
    /// The most fields any one aggregate, value object, read model, event,
    /// operation input or output, or workflow input has: how wide the
    /// largest object a generated test writes as a literal can be.
    pub widest_object: usize,
    #[serde(skip)]
    pub file: Arc<SourceFile>,
    #[serde(skip)]
    pub bundle_set: Arc<BundleSet>,
    #[serde(skip)]
    pub pos: Pos,
    #[serde(skip)]
    pub architecture_pos: Option<Pos>,
}

/// What the context's types need from outside std, so generated manifests
/// and imports carry exactly that.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Uses {
    pub decimal: bool,
    pub uuid: bool,
    pub datetime: bool,
    pub maps: bool,
}

pub use crate::policy::Policy;
use crate::policy::{Ask, decide};

#[derive(Debug, Clone, Serialize)]
pub struct Module {
    pub name: Name,
    pub description: Option<String>,
    pub aggregates: Vec<Aggregate>,
    pub ops: Vec<Op>,
    /// Events this module publishes: declared, emitted by its ops, and its CRUD notifications.
    pub publishes: Vec<String>,
    pub subscribes: Vec<Subscription>,
    pub depends_on: Vec<Name>,
    /// Shared types (value objects, enums) this module's own types mention.
    pub shared_types: Vec<String>,
    /// Whether its operations keep reservations (see `bodies::Stock`).
    pub receipts: bool,
    #[serde(skip)]
    pub pos: Pos,
    #[serde(skip)]
    pub declared_publishes: Vec<(String, Pos)>,
    #[serde(skip)]
    pub depends_on_pos: Vec<Pos>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub event: Name,
    /// The handler function (`on_order_cancelled`).
    pub handler: Name,
    #[serde(skip)]
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: Name,
    pub ty: Ty,
    /// Set when serde's camelCase renaming would not give the spec's name back.
    pub rename: Option<String>,
    /// A valid example value (JSON), for generated tests.
    pub sample: serde_json::Value,
    #[serde(skip)]
    pub pos: Pos,
}

impl Field {
    /// The field's name on the wire (JSON): the spec's name.
    pub fn json_name(&self) -> &str {
        self.rename.as_deref().unwrap_or(&self.name.raw)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    pub name: Name,
    pub plural: Name,
    pub module: String,
    pub description: Option<String>,
    pub fields: Vec<Field>,
    /// REST collection path, `/api/inventory/stock-items`.
    pub route: String,
    /// Notification events its CRUD operations publish (`stock_item.updated`), when the policy asks for them.
    pub crud_events: Option<CrudEvents>,
    /// A valid create body (JSON), for generated tests.
    pub sample_new: serde_json::Value,
    /// A field a test can change, with a new value (JSON and Rust literal).
    pub sample_change: Option<SampleChange>,
    /// The events about it (`entity:`): indexes into the context's `events`.
    pub events: Vec<usize>,
    /// The state its events fold into when it is event-sourced
    /// (`<Aggregate>State`, unless a spec type took that name).
    pub state_type: String,
    #[serde(skip)]
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct SampleChange {
    pub json_name: String,
    pub rust_field: String,
    pub json: serde_json::Value,
    /// A Rust assertion on `updated` that the change took.
    pub check: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrudEvents {
    pub created: Name,
    pub updated: Name,
    pub deleted: Name,
}

#[derive(Debug, Clone, Serialize)]
pub struct ValueObject {
    pub name: Name,
    pub module: String,
    pub fields: Vec<Field>,
    #[serde(skip)]
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnumDef {
    pub name: Name,
    pub variants: Vec<Variant>,
    /// Where it was declared (`Payment.status`), for doc comments.
    pub origin: String,
    /// The same, as messages say it (``the enum of field `status` of aggregate `Payment` ``).
    #[serde(skip)]
    pub declared_in: String,
    /// The `{ enum: [...] }` mapping, where a name collision is reported.
    #[serde(skip)]
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    /// Wire value, as in the spec.
    pub raw: String,
    pub rust: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Op {
    pub name: Name,
    pub module: String,
    /// `inventory.reserve`: the key fault injection and diagrams use.
    pub key: String,
    pub description: Option<String>,
    pub input: Vec<Field>,
    pub output: Vec<Field>,
    pub emits: Vec<Name>,
    pub errors: Vec<OpError>,
    pub idempotent: bool,
    pub route: String,
    pub recipe: Body,
    /// A valid input (JSON) for the default body, for generated tests.
    pub sample_input: serde_json::Value,
    #[serde(skip)]
    pub pos: Pos,
    #[serde(skip)]
    pub emits_pos: Vec<Pos>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpError {
    pub name: Name,
    /// HTTP status the error maps to: `*_not_found` 404, `*_conflict` and
    /// `*_already_exists` 409, `*_forbidden` 403, `*_unauthorized` 401, else 422.
    pub status: u16,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub name: Name,
    pub entity: Name,
    pub entity_module: String,
    pub description: Option<String>,
    pub metadata: Vec<Field>,
    /// Valid metadata (JSON), for generated tests.
    pub sample_metadata: serde_json::Value,
    /// A CRUD notification parasol adds under `crud_plus_events`, not declared in the spec.
    pub implicit: bool,
    pub publishers: Vec<String>,
    pub subscribers: Vec<String>,
    #[serde(skip)]
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReadModel {
    pub name: Name,
    pub key: Field,
    /// The key field is not text (`uuid`, `int`, an enum): the projection
    /// reads it back from the view store's text key, and an event whose key
    /// does not read as one (an entity id that is no uuid) is about no row.
    pub key_parsed: bool,
    pub fields: Vec<Field>,
    pub on: Vec<Name>,
    /// The default projection per event, rendered into a user-owned file.
    pub projections: Vec<bodies::Projection>,
    pub route: String,
    pub description: Option<String>,
    #[serde(skip)]
    pub pos: Pos,
    #[serde(skip)]
    pub on_pos: Vec<Pos>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Workflow {
    pub name: Name,
    pub description: Option<String>,
    /// `frontend` | `orchestration` | `choreography`.
    pub coordination: String,
    /// `best-effort` | `strict`.
    pub compensation: String,
    /// `realtime-sse` | `polling` | `none`.
    pub state_sync: String,
    pub input: Vec<Field>,
    /// A valid input (JSON), for generated tests.
    pub sample_input: serde_json::Value,
    /// The shared types its input mentions.
    pub shared_types: Vec<String>,
    /// The modules its steps (and compensations) call, sorted.
    pub modules: Vec<Name>,
    pub steps: Vec<Step>,
    pub on_success: Option<Name>,
    /// Where its backend saga serves its runs: `/api/sagas/place-order`.
    pub saga_route: String,
    #[serde(skip)]
    pub pos: Pos,
    #[serde(skip)]
    pub coordination_pos: Option<Pos>,
}

impl Workflow {
    /// Coordinated by `orchestration`: a backend saga runs it, and its
    /// TypeScript function starts and follows runs there.
    pub fn runs_in_a_backend_saga(&self) -> bool {
        self.coordination == "orchestration"
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: Name,
    pub call: Call,
    pub bindings: Vec<Binding>,
    pub compensate: Option<Compensation>,
    /// A single boolean output that must be `true` for the workflow to go on
    /// (`checkAvailability` -> `available`).
    pub guard: Option<Name>,
    #[serde(skip)]
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub module: Name,
    pub op: Name,
    pub key: String,
    pub route: String,
    pub output: Vec<Field>,
    /// A valid output (JSON), for generated tests.
    pub sample_output: serde_json::Value,
    #[serde(skip)]
    pub pos: Pos,
}

#[derive(Debug, Clone, Serialize)]
pub struct Compensation {
    pub call: Call,
    pub bindings: Vec<Binding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Binding {
    /// The op input it fills.
    pub field: Name,
    pub ty: Ty,
    pub source: Source,
    /// Written in `with:` (rather than found by name).
    pub explicit: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
// Built once per binding and read by templates; boxing the names would only add noise.
#[allow(clippy::large_enum_variant)]
pub enum Source {
    /// `input.X`
    Input { field: Name },
    /// `steps.S.X`, or found by name in an earlier step's output.
    Step { step: Name, field: Name },
    /// The compensated step's own output.
    Own { field: Name },
    /// A fresh id per run, usable as an idempotency key.
    WorkflowId,
    /// A literal, as JSON text (valid TypeScript and Rust `json!` input).
    Literal { json: String },
    /// An optional input nothing binds: left out.
    Absent,
}

#[derive(Debug, Clone, Serialize)]
pub struct Communication {
    pub sync: SyncSettings,
    pub async_: AsyncSettings,
    pub gateway: Option<Gateway>,
    pub bff: Vec<Name>,
    /// What the backends for frontends compose (empty without `bff`): one
    /// view per aggregate with a field that refers to another aggregate.
    pub bff_views: Vec<BffView>,
    /// `communication.streaming.broker`: `in-memory` (the default),
    /// `redis`, `nats` or `kafka`.
    pub streaming_broker: String,
    /// The event bus URL a service uses when none is given: the declared
    /// broker on its standard port on this machine (`memory:` in memory).
    pub default_bus_url: String,
}

/// One record of an aggregate with the records its reference fields name,
/// in one response: what a frontend's screen would otherwise fetch with a
/// call per reference.
#[derive(Debug, Clone, Serialize)]
pub struct BffView {
    pub module: Name,
    pub aggregate: Name,
    pub plural: Name,
    /// Under `/bff/<frontend>`: `/inventory/stock-items`.
    pub path: String,
    /// The service's collection route: `/api/inventory/stock-items`.
    pub route: String,
    /// In field order.
    pub refs: Vec<BffRef>,
    /// The aggregate's `sample_new`, for generated tests.
    pub sample_new: serde_json::Value,
}

/// A field of a view's aggregate that names records of another (or the same)
/// aggregate by id: `T`, `T?`, `list<T>` or `list<T>?`. References inside
/// value objects, maps and lists of optionals are left as ids.
#[derive(Debug, Clone, Serialize)]
pub struct BffRef {
    /// The field's name on the wire.
    pub json: String,
    pub target: Name,
    pub target_module: Name,
    /// The target's collection route in the service.
    pub target_route: String,
    /// A list of ids (`list<T>`), not one.
    pub many: bool,
    /// The target's `sample_new`, for generated tests.
    pub target_sample_new: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncSettings {
    pub connect_timeout_ms: u64,
    pub read_timeout_ms: u64,
    /// Where the spec sets `read_timeout` (absent: the default).
    #[serde(skip)]
    pub read_timeout_pos: Option<Pos>,
    pub retries: u32,
    pub failure_threshold_percent: u32,
    pub open_for_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AsyncSettings {
    pub batch_size: u32,
    pub linger_ms: u64,
    pub concurrency_min: u32,
    pub concurrency_max: u32,
    pub retention_events_ms: u64,
    pub retention_dead_letter_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gateway {
    /// `auth: jwt`: every call carries an HS256 JSON Web Token whose `sub`
    /// is the caller. `none` (or no `auth`): callers are anonymous.
    pub jwt: bool,
    pub rate_limit: Option<RateLimit>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RateLimit {
    /// Requests each caller may make per `per_ms`: at least 1, and the
    /// interval between them at least a nanosecond.
    pub count: u32,
    pub per_ms: u64,
}

impl Context {
    /// The bundles' refusal of `ask`, if they refuse it (see `policy::decide`).
    pub fn refusal(
        &self,
        ask: &Ask<'_>,
        at: Option<crate::diag::Location>,
        help: Option<&str>,
    ) -> Option<crate::diag::Diagnostic> {
        decide(&self.policy, &self.bundle_set, ask, at, help)
    }

    pub fn module(&self, snake: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.name.snake == snake)
    }

    pub fn event(&self, raw: &str) -> Option<&Event> {
        self.events.iter().find(|e| e.name.raw == raw)
    }

    pub fn workflow(&self, name: &str) -> Option<&Workflow> {
        self.workflows
            .iter()
            .find(|w| w.name.raw == name || w.name.pascal == name || w.name.kebab == name)
    }

    pub fn aggregate(&self, pascal: &str) -> Option<&Aggregate> {
        self.modules
            .iter()
            .flat_map(|m| &m.aggregates)
            .find(|a| a.name.pascal == pascal)
    }

    pub fn declared_events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(|e| !e.implicit)
    }
}

/// Parses `<n>ms|s|m|h|d` into milliseconds.
pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let factor = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("100ms"), Some(100));
        assert_eq!(parse_duration("30s"), Some(30_000));
        assert_eq!(parse_duration("7d"), Some(604_800_000));
        assert_eq!(parse_duration("1.5s"), None);
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("5w"), None);
    }
}
