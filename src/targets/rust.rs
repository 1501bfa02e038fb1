//! The Rust backend crate of a context: an axum service per the V5 pattern.

use std::collections::BTreeMap;

use crate::model::expr::{Expr, Place};
use crate::model::{Context, Module, Ty};
use crate::plan::{FileSpec, Need};
use crate::render::tpl;

/// Every file of the crate. Module folders use the snake_case name even for
/// keywords (`mod r#type;` lives in `type/mod.rs`).
pub fn files(ctx: &Context) -> Vec<FileSpec> {
    files_with(ctx, true)
}

/// The crate's files without what user-owned ones need (`Need`): enough
/// to check their paths, and much cheaper on a large spec.
pub fn paths(ctx: &Context) -> Vec<FileSpec> {
    files_with(ctx, false)
}

/// The ports and adapters layout's own files (`hexagonal`,
/// `clean-architecture`): the storage port, its adapters, and the tests
/// that hold both adapters to the port's contract.
pub fn ports_files(ctx: &Context) -> Vec<FileSpec> {
    let mut files = vec![
        FileSpec::generated("src/ports.rs", tpl::RUST_SRC_PORTS_RS),
        FileSpec::generated("src/adapters.rs", tpl::RUST_SRC_ADAPTERS_RS),
    ];
    if ctx.modules.iter().any(|m| !m.aggregates.is_empty()) {
        files.push(FileSpec::generated(
            "tests/service/ports.rs",
            tpl::RUST_TESTS_SERVICE_PORTS_RS,
        ));
    }
    files
}

fn files_with(ctx: &Context, needs: bool) -> Vec<FileSpec> {
    let events = if needs {
        EventFields::of(ctx)
    } else {
        EventFields(Default::default())
    };
    let needing = |spec: FileSpec, what: &dyn Fn() -> BTreeMap<String, Need>| {
        if needs { spec.needing(what()) } else { spec }
    };
    let mut files = vec![
        FileSpec::generated("Cargo.toml", tpl::RUST_CARGO_TOML),
        FileSpec::generated("README.md", tpl::COMMON_README_MD),
        FileSpec::generated(".gitignore", tpl::RUST_GITIGNORE),
        FileSpec::generated("src/lib.rs", tpl::RUST_SRC_LIB_RS),
        FileSpec::generated("src/main.rs", tpl::RUST_SRC_MAIN_RS),
        FileSpec::generated("src/app.rs", tpl::RUST_SRC_APP_RS),
        FileSpec::generated("src/error.rs", tpl::RUST_SRC_ERROR_RS),
        FileSpec::generated("src/request.rs", tpl::RUST_SRC_REQUEST_RS),
        FileSpec::generated("src/events.rs", tpl::RUST_SRC_EVENTS_RS),
        FileSpec::generated("src/event_bus.rs", tpl::RUST_SRC_EVENT_BUS_RS),
        FileSpec::generated("src/sse.rs", tpl::RUST_SRC_SSE_RS),
        FileSpec::generated("src/faults.rs", tpl::RUST_SRC_FAULTS_RS),
        FileSpec::generated("src/repository.rs", tpl::RUST_SRC_REPOSITORY_RS),
        FileSpec::generated("src/store.rs", tpl::RUST_SRC_STORE_RS),
        FileSpec::generated("src/outbox.rs", tpl::RUST_SRC_OUTBOX_RS),
        FileSpec::generated("src/types.rs", tpl::RUST_SRC_TYPES_RS),
        FileSpec::generated("src/http.rs", tpl::RUST_SRC_HTTP_RS),
        FileSpec::generated("src/metrics.rs", tpl::RUST_SRC_METRICS_RS),
        FileSpec::generated("src/telemetry.rs", tpl::RUST_SRC_TELEMETRY_RS),
        FileSpec::generated("src/modules/mod.rs", tpl::RUST_SRC_MODULES_MOD_RS),
        FileSpec::generated("tests/common/mod.rs", tpl::RUST_TESTS_COMMON_MOD_RS),
        FileSpec::generated("tests/service/main.rs", tpl::RUST_TESTS_SERVICE_MAIN_RS),
        FileSpec::generated(
            "tests/service/crud_and_faults.rs",
            tpl::RUST_TESTS_SERVICE_CRUD_AND_FAULTS_RS,
        )
        .with_a_part_per_module(
            tpl::RUST_TESTS_SERVICE_CRUD_AND_FAULTS_RS_MODULE,
            ctx.modules.len(),
        ),
        FileSpec::generated("tests/service/http.rs", tpl::RUST_TESTS_SERVICE_HTTP_RS)
            .with_a_part_per_module(tpl::RUST_TESTS_SERVICE_HTTP_RS_MODULE, ctx.modules.len()),
        FileSpec::generated("tests/service/sse.rs", tpl::RUST_TESTS_SERVICE_SSE_RS),
        FileSpec::generated("tests/service/traces.rs", tpl::RUST_TESTS_SERVICE_TRACES_RS),
        FileSpec::generated("tests/service/kafka.rs", tpl::RUST_TESTS_SERVICE_KAFKA_RS),
        needing(
            FileSpec::user("tests/ops.rs", tpl::RUST_TESTS_OPS_RS)
                .with_a_part_per_module(tpl::RUST_TESTS_OPS_RS_MODULE, ctx.modules.len()),
            &|| ops_tests_needs(ctx),
        ),
    ];
    if ctx.communication.gateway.is_some() {
        let gateway = [
            ("src/gateway.rs", tpl::RUST_SRC_GATEWAY_RS),
            ("src/bin/gateway.rs", tpl::RUST_SRC_BIN_GATEWAY_RS),
            (
                "tests/service/gateway.rs",
                tpl::RUST_TESTS_SERVICE_GATEWAY_RS,
            ),
        ];
        files.extend(gateway.map(|(path, template)| FileSpec::generated(path, template)));
    }
    if !ctx.communication.bff_views.is_empty() {
        let bff = [
            ("src/bff.rs", tpl::RUST_SRC_BFF_RS),
            ("src/bin/bff.rs", tpl::RUST_SRC_BIN_BFF_RS),
            ("tests/service/bff.rs", tpl::RUST_TESTS_SERVICE_BFF_RS),
        ];
        files.extend(bff.map(|(path, template)| FileSpec::generated(path, template)));
    }
    if !ctx.read_models.is_empty() {
        files.push(FileSpec::generated(
            "src/read_models.rs",
            tpl::RUST_SRC_READ_MODELS_RS,
        ));
        files.push(needing(
            FileSpec::user("src/projections.rs", tpl::RUST_SRC_PROJECTIONS_RS),
            &|| projections_needs(ctx, &events),
        ));
    }
    for (i, module) in ctx.modules.iter().enumerate() {
        let dir = format!("src/modules/{}", module.name.snake);
        let per_module = [
            (
                format!("{dir}/mod.rs"),
                tpl::RUST_SRC_MODULES_MODULE_MOD_RS,
                false,
            ),
            (
                format!("{dir}/model.rs"),
                tpl::RUST_SRC_MODULES_MODULE_MODEL_RS,
                false,
            ),
            (
                format!("{dir}/service.rs"),
                tpl::RUST_SRC_MODULES_MODULE_SERVICE_RS,
                false,
            ),
            (
                format!("{dir}/http.rs"),
                tpl::RUST_SRC_MODULES_MODULE_HTTP_RS,
                false,
            ),
            (
                format!("{dir}/ops.rs"),
                tpl::RUST_SRC_MODULES_MODULE_OPS_RS,
                true,
            ),
        ];
        for (path, template, user) in per_module {
            let spec = if user {
                needing(FileSpec::user(path, template), &|| ops_needs(module))
            } else {
                FileSpec::generated(path, template)
            };
            files.push(spec.with_item("module", "modules", i));
        }
        if !module.subscribes.is_empty() {
            let handlers = FileSpec::user(
                format!("{dir}/handlers.rs"),
                tpl::RUST_SRC_MODULES_MODULE_HANDLERS_RS,
            );
            files.push(
                needing(handlers, &|| handlers_needs(&events, module))
                    .with_item("module", "modules", i),
            );
        }
    }
    files
}

/// `ops.rs` of a module: a function per operation, as the service calls it;
/// the inputs and errors it may use, the outputs it must set.
fn ops_needs(module: &Module) -> BTreeMap<String, Need> {
    let m = &module.name.pascal;
    module
        .ops
        .iter()
        .map(|op| {
            let (f, t) = (&op.name.rust, &op.name.pascal);
            let need = Need {
                what: format!("operation `{}`", op.key),
                declares: Some(format!("fn {f}(")),
                signature: Some(format!(
                    "pub async fn {f}(ctx: &mut {m}Ctx<'_>, input: {t}Input) -> Result<{t}Output, {t}Error>"
                )),
                uses: op
                    .input
                    .iter()
                    .map(|i| format!("input.{}", i.name.rust))
                    .chain(op.errors.iter().map(|e| format!("{t}Error::{}", e.name.pascal)))
                    .chain(default_body_uses(module, op))
                    .collect(),
                sets: op.output.iter().map(|o| o.name.rust.clone()).collect(),
                emits: op.recipe.events.iter().map(|e| e.event.clone()).collect(),
                defaults: default_body_lines(op),
                literals: default_body_literals(op),
                ..Need::default()
            };
            (op.key.clone(), need)
        })
        .collect()
}

/// Spec-derived names the default body of `op` writes: the event structs it
/// builds, and the aggregate it keeps (type, repository, fields). A user's
/// copy that still names one after the spec dropped it no longer builds.
fn default_body_uses(module: &Module, op: &crate::model::Op) -> Vec<String> {
    let body = &op.recipe;
    let mut uses: Vec<String> = body.events.iter().map(|e| e.event.clone()).collect();
    if let Some(target) = &body.aggregate
        && let Some(agg) = module
            .aggregates
            .iter()
            .find(|a| a.name.rust_type == target.rust_type)
    {
        uses.push(target.rust_type.clone());
        uses.push(format!("ctx.{}", target.repo));
        uses.extend(agg.fields.iter().map(|f| format!("entity.{}", f.name.rust)));
        if body.kind == "create" {
            uses.extend(body.sets.iter().map(|s| format!("{}: ", place(&s.target))));
        }
    }
    // Stock bodies keep counts on another aggregate's records (`s`), read
    // line by line (`line`), as `ops.rs.j2` names them.
    if let Some(stock) = &body.stock {
        uses.push(format!("ctx.{}", stock.repo));
        uses.push(format!("s.{}", stock.on_hand));
        uses.extend(stock.held.iter().map(|held| format!("s.{held}")));
        if stock.record_key != "id" {
            uses.push(format!("s.{}", stock.record_key));
        }
        if stock.kind != "release" {
            uses.push(format!("line.{}", stock.line_key));
            uses.push(format!("line.{}", stock.quantity));
        }
    }
    uses
}

/// The structs the default body of `op` builds whose fields the spec
/// gives: its output and the events it emits, each as `Type.field,field`.
fn default_body_literals(op: &crate::model::Op) -> Vec<String> {
    let literal = |ty: &str, fields: Vec<String>| format!("{ty}.{}", fields.join(","));
    let output = op.output.iter().map(|o| o.name.rust.clone()).collect();
    let mut literals = vec![literal(&format!("{}Output", op.name.pascal), output)];
    for event in &op.recipe.events {
        let fields = event.metadata.iter().map(|a| place(&a.target)).collect();
        literals.push(literal(&event.event, fields));
    }
    literals.sort();
    literals.dedup();
    literals
}

/// The lines of a default body that put a value somewhere, as `ops.rs.j2`
/// writes them on one line: struct fields (`count1: input.count1`) and
/// assignments (`entity.price = input.new_price`). A field of the output
/// or of an event is recorded with its struct (`OrderPlaced { total:
/// entity.total`): the same line may build two structs whose field types
/// part ways. Laid out over several lines, one is not found in the file,
/// and so goes unreported.
fn default_body_lines(op: &crate::model::Op) -> Vec<String> {
    let body = &op.recipe;
    let field = |a: &crate::model::bodies::Assign| {
        crate::render::layout::struct_field(&place(&a.target), &expr(&a.expr))
    };
    let mut lines: Vec<String> = Vec::new();
    if body.kind == "create" {
        lines.extend(body.sets.iter().map(field));
    } else {
        lines.extend(assignment_lines(&body.sets));
    }
    // A shorthand field (`title`) says nothing about a type.
    let typed = |line: &String| line.contains(": ") || line.contains(" = ");
    lines.retain(typed);
    let output = format!("{}Output", op.name.pascal);
    let built = body.outputs.iter().map(|a| (output.as_str(), a)).chain(
        body.events
            .iter()
            .flat_map(|e| e.metadata.iter().map(move |a| (e.event.as_str(), a))),
    );
    lines.extend(
        built
            .map(|(ty, a)| (ty, field(a)))
            .filter(|(_, line)| typed(line))
            .map(|(ty, line)| format!("{ty} {{ {line}")),
    );
    lines.sort();
    lines.dedup();
    lines
}

/// Assignments as the templates write them, one to a line
/// (`view.total = event.total`); one made only when the value is present
/// (`if let Some`) is marked so (`manifest::WHEN_SOME`).
fn assignment_lines(assigns: &[crate::model::bodies::Assign]) -> impl Iterator<Item = String> + '_ {
    assigns.iter().map(|a| {
        // Set only when the value is there: `if let Some(value) = ..`.
        let when_some = if a.when_some {
            crate::manifest::WHEN_SOME
        } else {
            ""
        };
        format!("{when_some}{} = {}", place(&a.target), expr(&a.expr))
    })
}

/// `"key":value` of each top-level entry of a sample JSON object, as the
/// tests write it (compact).
fn sample_entries(sample: &serde_json::Value) -> impl Iterator<Item = String> + '_ {
    sample
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| format!("{}:{value}", serde_json::Value::from(key.as_str())))
}

/// `handlers.rs` of a module: a handler per subscribed event, which may
/// read the event's fields (`event.total`).
fn handlers_needs(events: &EventFields, module: &Module) -> BTreeMap<String, Need> {
    let m = &module.name.pascal;
    module
        .subscribes
        .iter()
        .map(|s| {
            let need = Need {
                what: format!("the subscription of `{}` to `{}`", module.name.raw, s.event.raw),
                declares: Some(format!("fn {}(", s.handler.rust)),
                signature: Some(format!(
                    "pub async fn {}(ctx: &mut {m}Ctx<'_>, envelope: &EventEnvelope, event: &{}) -> Result<(), ServiceError>",
                    s.handler.rust, s.event.pascal
                )),
                uses: events.uses(&s.event.raw),
                ..Need::default()
            };
            (s.event.raw.clone(), need)
        })
        .collect()
}

/// Each event's fields by its name, looked up once per handler and
/// projection (a large context has thousands of each).
struct EventFields<'c>(std::collections::HashMap<&'c str, &'c [crate::model::Field]>);

impl<'c> EventFields<'c> {
    fn of(ctx: &'c Context) -> Self {
        EventFields(
            ctx.events
                .iter()
                .map(|e| (e.name.raw.as_str(), e.metadata.as_slice()))
                .collect(),
        )
    }

    /// `event.<field>` for each field of the event named `raw`: what a
    /// handler or projection may read of it while the spec keeps the field.
    fn uses(&self, raw: &str) -> Vec<String> {
        self.0
            .get(raw)
            .into_iter()
            .flat_map(|fields| fields.iter())
            .map(|f| format!("event.{}", f.name.rust))
            .collect()
    }
}

/// `projections.rs`: a function per read model and event it is built from.
fn projections_needs(ctx: &Context, events: &EventFields) -> BTreeMap<String, Need> {
    let mut needs = BTreeMap::new();
    for view in &ctx.read_models {
        for p in &view.projections {
            let need = Need {
                what: format!("read model `{}` on `{}`", view.name.raw, p.event.raw),
                declares: Some(format!("fn {}(", p.handler)),
                signature: Some(format!(
                    "pub fn {}(view: &mut {}, envelope: &EventEnvelope, event: &{})",
                    p.handler, view.name.rust_type, p.event.pascal
                )),
                uses: view
                    .fields
                    .iter()
                    .map(|f| format!("view.{}", f.name.rust))
                    .chain(events.uses(&p.event.raw))
                    .collect(),
                defaults: assignment_lines(&p.assigns).collect(),
                ..Need::default()
            };
            needs.insert(format!("{}/{}", view.name.raw, p.event.raw), need);
        }
    }
    needs
}

/// `tests/ops.rs`: calls of operations the spec may remove, and the
/// required inputs a test body must carry.
fn ops_tests_needs(ctx: &Context) -> BTreeMap<String, Need> {
    let mut needs = BTreeMap::new();
    for module in &ctx.modules {
        let accessor = crate::model::names::module_accessor(&module.name.snake, &module.name.rust);
        for op in &module.ops {
            // The aggregates the test stores records of before calling the
            // op (the record it loads, the stock it reserves from), from
            // their sample bodies.
            let records: Vec<&crate::model::Aggregate> = module
                .aggregates
                .iter()
                .filter(|a| {
                    let body = &op.recipe;
                    body.aggregate
                        .as_ref()
                        .is_some_and(|t| t.rust_type == a.name.rust_type)
                        || body
                            .stock
                            .as_ref()
                            .is_some_and(|st| st.repo == a.plural.rust)
                })
                .collect();
            let required = |fields: &[crate::model::Field]| -> Vec<String> {
                fields
                    .iter()
                    .filter(|f| !f.ty.optional)
                    .map(|f| format!("{:?}", f.json_name()))
                    .collect()
            };
            let need = Need {
                what: format!("the test of operation `{}`", op.key),
                // The op's call, the module it reaches it through, the input
                // keys of its sample body and the events it waits for: each
                // breaks the test once gone.
                uses: [
                    format!(".{}(", op.name.rust),
                    format!("app.{accessor}()"),
                    format!("modules::{}::", module.name.rust),
                ]
                .into_iter()
                .chain(op.input.iter().map(|i| format!("{:?}", i.json_name())))
                .chain(op.emits.iter().map(|e| format!("{:?}", e.raw)))
                .chain(output_reads(op))
                .collect(),
                // Every required key of the bodies it sends, the records'
                // included: one the spec adds must be set.
                sets: required(&op.input)
                    .into_iter()
                    .chain(records.iter().flat_map(|a| required(&a.fields)))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                samples: sample_entries(&op.sample_input)
                    .chain(records.iter().flat_map(|a| sample_entries(&a.sample_new)))
                    .collect(),
                ..Need::default()
            };
            needs.insert(op.key.clone(), need);
        }
    }
    needs
}

/// What an operation's test reads of its output (the ids it made) and,
/// when another operation takes one back, that call and the key it sends.
fn output_reads(op: &crate::model::Op) -> Vec<String> {
    let body = &op.recipe;
    let mut reads: Vec<String> = body
        .fresh_ids
        .iter()
        .map(|id| format!("output.{}", id.name))
        .chain(body.id_output.iter().map(|id| format!("output.{id}")))
        .collect();
    if let Some(taken_back) = &body.taken_back {
        reads.push(format!(".{}(", taken_back.op));
        reads.push(format!("{:?}", taken_back.input_json));
    }
    reads.sort();
    reads.dedup();
    reads
}

/// The Rust spelling of a type, `Option<…>` included when optional.
pub fn type_name(ty: &Ty) -> String {
    let bare = match ty.kind {
        "string" | "aggregate" => "String".to_string(),
        "int" => "i64".to_string(),
        "float" => "f64".to_string(),
        "bool" => "bool".to_string(),
        "decimal" => "rust_decimal::Decimal".to_string(),
        "uuid" => "uuid::Uuid".to_string(),
        "datetime" => "chrono::DateTime<chrono::Utc>".to_string(),
        "list" => format!("Vec<{}>", type_name(item_of(ty))),
        "map" => format!(
            "std::collections::BTreeMap<String, {}>",
            type_name(item_of(ty))
        ),
        _ => ty.name.clone().unwrap_or_default(),
    };
    if ty.optional {
        format!("Option<{bare}>")
    } else {
        bare
    }
}

fn item_of(ty: &Ty) -> &Ty {
    ty.item
        .as_deref()
        .expect("lists and maps have an item type")
}

/// The Rust spelling of a default body's value (`model::expr`), as the
/// generated `ops.rs` and `projections.rs` write it: inputs are
/// `input.<field>`, the record `entity`, the call's context `ctx`.
pub fn expr(e: &Expr) -> String {
    match e {
        Expr::Input(name) => format!("input.{}", name.rust),
        Expr::Entity(name) => format!("entity.{}", name.rust),
        Expr::EntityId => "entity.id".into(),
        Expr::Event(name) => format!("event.{}", name.rust),
        Expr::EnvelopeEntityId => "envelope.entity_id".into(),
        Expr::Local(var) => var.clone(),
        Expr::Copy(inner) => format!("{}.clone()", expr(inner)),
        Expr::Some(inner) => format!("Some({})", expr(inner)),
        Expr::Text(inner) => format!("{}.to_string()", expr(inner)),
        Expr::OptionalText(inner) => format!("{}.as_ref().map(ToString::to_string)", expr(inner)),
        // Lengths and versions fit an `int` (i64) in any store parasol writes.
        Expr::Count(inner) => format!("{}.len() as i64", expr(inner)),
        Expr::Version => "entity.version as i64".into(),
        Expr::Parse(inner) => format!("{}.parse()?", expr(inner)),
        Expr::OrDefault(inner) => format!("{}.unwrap_or_default()", expr(inner)),
        Expr::Now => "ctx.now()".into(),
        Expr::NewId => "ctx.new_id()".into(),
        Expr::NewUuid => "ctx.new_uuid()".into(),
        Expr::Default => "Default::default()".into(),
        Expr::Found => "found.is_some()".into(),
        Expr::True => "true".into(),
        Expr::Variant { enum_type, variant } => format!(
            "{enum_type}::{}",
            crate::model::names::rust_type_ident(&crate::model::Name::new(variant).pascal)
        ),
        Expr::Literal(text) => format!("{}.to_string()", crate::spell::rust_string(text)),
    }
}

/// The Rust spelling of where a default body puts a value.
pub fn place(p: &Place) -> String {
    match p {
        Place::Field(name) => name.rust.clone(),
        Place::EntityField(name) => format!("entity.{}", name.rust),
        Place::ViewField(name) => format!("view.{}", name.rust),
        Place::Local(var) => var.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rust_target_spells_the_plan() {
        let name = crate::model::Name::new("newPrice");
        assert_eq!(expr(&Expr::Input(name.clone())), "input.new_price");
        assert_eq!(
            expr(&Expr::Input(name.clone()).copy().some()),
            "Some(input.new_price.clone())"
        );
        assert_eq!(
            expr(&Expr::Input(name.clone()).parse().or_default()),
            "input.new_price.parse()?.unwrap_or_default()"
        );
        assert_eq!(
            expr(&Expr::Literal("cancelled".into())),
            "\"cancelled\".to_string()"
        );
        assert_eq!(
            expr(&Expr::Variant {
                enum_type: "OrderStatus".into(),
                variant: "on_hold".into()
            }),
            "OrderStatus::OnHold"
        );
        assert_eq!(place(&Place::EntityField(name.clone())), "entity.new_price");
        assert_eq!(place(&Place::ViewField(name)), "view.new_price");
        assert!(Expr::Now.some().reads_call() && !Expr::EntityId.copy().reads_input());
    }
}
