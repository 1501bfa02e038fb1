//! What parasol generates builds, passes its own tests and is lint-clean:
//! for the canonical example and every example in `examples/`, the Rust
//! crate passes `cargo build`, `cargo test`, `cargo clippy -D warnings` and
//! `cargo fmt --check`; the TypeScript package passes `tsc` (strict) and its
//! generated tests, and its clients work against the crate's real service
//! (`test/service.test.ts`). Generated crates share one target folder
//! (`target/generated`) so dependencies compile once.

mod support;

use std::path::Path;

use support::*;

fn check(spec: &Path) {
    let out = tempfile::tempdir().unwrap();
    let run = generate(spec, out.path(), "rust,ts");
    // Warnings (such as `not-generated-yet`) may be there; errors may not.
    assert!(
        !run.stderr.lines().any(|line| line.starts_with("error")),
        "{}",
        run.stderr
    );
    let context = only_child(&out.path().join("rust"));
    check_rust_crate(&context);
    let package = out.path().join("ts").join(context.file_name().unwrap());
    check_ts_package(&package);
    check_clients_against_service(&context, &package, out.path());
}

#[test]
fn canonical_example() {
    check(&canonical_spec());
}

#[test]
fn example_keywords() {
    check(&example_spec("keywords"));
}

#[test]
fn example_long_names() {
    check(&example_spec("long-names"));
}

#[test]
fn example_crew_rostering() {
    check(&example_spec("crew-rostering"));
}

#[test]
fn example_ledger() {
    check(&example_spec("ledger"));
}

/// `--architecture hexagonal` on the canonical example, and a test written
/// as its user would (docs/backbone.md): an operation's business logic
/// runs on the in-memory adapter put in place of the SQL one, and the
/// database is never written.
#[test]
fn canonical_example_hexagonal_logic_runs_on_memory() {
    let out = tempfile::tempdir().unwrap();
    bc(
        &["generate"],
        &canonical_spec(),
        out.path(),
        &["--lang", "rust", "--architecture", "hexagonal"],
    )
    .ok();
    let context = only_child(&out.path().join("rust"));
    std::fs::write(context.join("tests/memory.rs"), MEMORY_TEST).unwrap();
    check_rust_crate(&context);
}

const MEMORY_TEST: &str = r#"//! Business logic on the in-memory adapter.

use order_management::adapters::Memory;
use order_management::modules::order::{CancelInput, Order, OrderCtx, ops};
use order_management::types::OrderStatus;
use order_management::{App, AppConfig, RequestContext, ServiceError};

#[tokio::test]
async fn cancel_runs_on_memory() {
    let app = App::in_memory(AppConfig::default());
    let request = RequestContext::new("tester");
    let tx = app.database().begin().await.unwrap();
    let mut ctx = OrderCtx::new(&app, &tx, &request);
    let order = Order {
        version: 4,
        ..Order::new("o-1", &request.audit())
    };
    ctx.orders = Box::new(Memory::holding([order]));

    let input = CancelInput {
        order_id: "o-1".into(),
    };
    ops::cancel(&mut ctx, input).await.unwrap();
    let cancelled = ctx.orders.load("o-1").await.unwrap();
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    assert_eq!(cancelled.version, 5);

    let input = CancelInput {
        order_id: "o-2".into(),
    };
    let missing = ops::cancel(&mut ctx, input).await;
    assert!(missing.is_err());

    drop(ctx);
    app.database().commit(tx).await.unwrap();
    let stored = app.order().orders().get("o-1").await;
    assert!(matches!(stored, Err(ServiceError::NotFound { .. })));
}
"#;

/// `--event-style domain-events` on the canonical example, with a handler
/// and a test written as its user would: events carry the aggregate's
/// type and the version the change made, the causation id is the request's
/// `X-Request-Id` or the id of the event a handler handled, and the
/// TypeScript store skips refetching a version it holds (its own tests).
#[test]
fn canonical_example_domain_events_carry_versions_and_causes() {
    let out = tempfile::tempdir().unwrap();
    bc(
        &["generate"],
        &canonical_spec(),
        out.path(),
        &["--event-style", "domain-events"],
    )
    .ok();
    let context = only_child(&out.path().join("rust"));
    let handlers = context.join("src/modules/inventory/handlers.rs");
    std::fs::write(&handlers, RELEASING_HANDLER).unwrap();
    std::fs::write(context.join("tests/domain.rs"), DOMAIN_EVENTS_TEST).unwrap();
    check_rust_crate(&context);
    let package = out.path().join("ts").join(context.file_name().unwrap());
    check_ts_package(&package);
}

const RELEASING_HANDLER: &str = r#"//! A user's handler: a cancelled order's stock is released.

use super::service::InventoryCtx;
use crate::error::ServiceError;
use crate::events::{EventEnvelope, InventoryReleased, OrderCancelled};

pub async fn on_order_cancelled(
    ctx: &mut InventoryCtx<'_>,
    envelope: &EventEnvelope,
    _event: &OrderCancelled,
) -> Result<(), ServiceError> {
    let event = InventoryReleased {
        reservation_id: envelope.entity_id.clone(),
    };
    ctx.emit(format!("stock-of-{}", envelope.entity_id), event);
    Ok(())
}
"#;

const DOMAIN_EVENTS_TEST: &str = r#"//! Domain events: versions and causes.

mod common;

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

fn call(uri: &str, request_id: &str, body: Value) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json")
        .header("x-request-id", request_id)
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn events_carry_versions_and_causes() {
    let app = common::app();
    let mut events = app.bus().subscribe();

    let body = json!({ "customerId": "c-1", "lines": [], "total": 5, "paymentId": "p-1" });
    let (status, created) = common::send(&app, call("/api/order/create", "req-1", body)).await;
    assert!(status.is_success(), "{status} {created}");
    let order_id = created["orderId"].as_str().unwrap().to_string();
    let placed = common::next_event(&mut events).await;
    assert_eq!(placed.envelope.event_type(), "order.placed");
    assert_eq!(placed.envelope.entity_id, order_id);
    assert_eq!(placed.envelope.aggregate_type, "Order");
    assert_eq!(placed.envelope.aggregate_version, Some(1));
    assert_eq!(placed.envelope.causation_id, "req-1");

    let body = json!({ "orderId": order_id });
    let (status, _) = common::send(&app, call("/api/order/cancel", "req-2", body)).await;
    assert!(status.is_success());
    let cancelled = common::next_event(&mut events).await;
    assert_eq!(cancelled.envelope.event_type(), "order.cancelled");
    assert_eq!(cancelled.envelope.aggregate_version, Some(2));
    assert_eq!(cancelled.envelope.causation_id, "req-2");
    let wire: Value = serde_json::from_str(&cancelled.json).unwrap();
    assert_eq!(wire["aggregateVersion"], 2);
    assert_eq!(wire["causationId"], "req-2");

    // Emitted by the inventory handler of `order.cancelled`: caused by that
    // event, in its conversation, about stock the handler never touched.
    let released = common::next_event(&mut events).await;
    assert_eq!(released.envelope.event_type(), "inventory.released");
    assert_eq!(released.envelope.causation_id, cancelled.envelope.id);
    assert_eq!(
        released.envelope.correlation_id,
        cancelled.envelope.correlation_id
    );
    assert_eq!(released.envelope.aggregate_type, "StockItem");
    assert_eq!(released.envelope.aggregate_version, None);
    let wire: Value = serde_json::from_str(&released.json).unwrap();
    assert!(wire.get("aggregateVersion").is_none());
}
"#;

/// Types named like the generated code's own (`Record`, `State`, `Date`,
/// `Value`, `Error`, `Workflow`, `Entity`, an enum `EventType`, a read
/// model `Audit`): they get `Domain`-prefixed identifiers and nothing is
/// shadowed.
#[test]
fn example_shadowing() {
    check(&example_spec("shadowing"));
}

/// No events at all, optional dates, decimals.
#[test]
fn example_library() {
    check(&example_spec("library"));
}

/// `uuid` ids in and out, optional datetimes, aggregate references, and a
/// workflow whose steps compensate.
#[test]
fn example_clinic() {
    check(&example_spec("clinic"));
}

/// Value-object lists with inline enums, optional maps and references, two
/// read models keyed by aggregate ids, a strict polling workflow, NATS, a
/// gateway and two BFFs; its communication tests run in tests/e2e.rs.
#[test]
fn example_greenhouse() {
    check(&example_spec("greenhouse"));
}

/// A module of only value objects (a shared kernel), value objects inside
/// value objects and maps, Kafka, a gateway without authentication.
#[test]
fn example_grid() {
    check(&example_spec("grid"));
}

/// Descriptions that close comments and look like templates, upper-case
/// and acronym names, keyword enum values, self references, event fields
/// named like the envelope's.
#[test]
fn example_iot_hub() {
    check(&example_spec("iot-hub"));
}

/// Nested lists and maps of decimals, operations named like Rust methods
/// (`get`, `list`, `clone`, `delete`), enum values with hyphens and upper
/// case, a strict workflow with float literals, NATS, a JWT gateway, a BFF.
#[test]
fn example_brewery() {
    check(&example_spec("brewery"));
}

/// A bundle chain with catalogues (`saga-choreography`), a read model keyed
/// by an optional event field, operations with no input or no output, a
/// guard step, Redis.
#[test]
fn example_dispatch() {
    check(&example_spec("dispatch"));
}

/// Inline enums in operation inputs, lists and maps of value objects as
/// outputs, a module that only listens, one operation called by two steps,
/// a compensation with its own literal binding, a context named with a digit.
#[test]
fn example_festival() {
    check(&example_spec("festival"));
}

/// Modules, value objects and a read model named like the generated
/// code's own members and types (`tokio`, `metrics`, `Into`, `Omit`,
/// `Step`, `EventBus`, `Applied`), a tree of value objects, a literal
/// decimal and a breaker threshold of 100%.
#[test]
fn example_toolkit() {
    check(&example_spec("toolkit"));
}

/// A four-step workflow whose steps hold seats from stored counts, book,
/// charge and write the itinerary; a module with no events; a read model.
/// Also run end to end in tests/e2e.rs.
#[test]
fn example_travel() {
    check(&example_spec("travel"));
}

/// String and uuid ids side by side, a slot id issued for a bay and taken
/// back, parts picked by sku; also run end to end in tests/e2e.rs.
#[test]
fn example_repair_shop() {
    check(&example_spec("repair-shop"));
}

/// The backend saga of a workflow (`setup orchestration --location
/// backend`) builds against its context's crate and passes its checks.
#[test]
fn example_permits() {
    check(&example_spec("permits"));
}

#[test]
fn example_observatory() {
    check(&example_spec("observatory"));
}

#[test]
fn example_harbor() {
    check(&example_spec("harbor"));
}

fn check_saga(spec: &Path, workflow: &str, folder: &str) {
    let out = tempfile::tempdir().unwrap();
    generate(spec, out.path(), "rust");
    setup_orchestration(spec, out.path(), workflow, BACKEND_SAGA).ok();
    check_rust_crate(&out.path().join("rust").join(folder));
}

#[test]
fn saga_of_example_keywords() {
    check_saga(
        &example_spec("keywords"),
        "Continue",
        "keywords-continue-saga",
    );
}

#[test]
fn saga_of_example_long_names() {
    check_saga(
        &example_spec("long-names"),
        "FulfilOutboundInternationalOrder",
        "warehouse-fulfilment-orchestration-fulfil-outbound-international-order-saga",
    );
}

#[test]
fn saga_of_example_clinic() {
    check_saga(
        &example_spec("clinic"),
        "AdmitAndBill",
        "clinic-admit-and-bill-saga",
    );
}

#[test]
fn saga_of_example_travel() {
    check_saga(
        &example_spec("travel"),
        "BookTrip",
        "travel-desk-book-trip-saga",
    );
}

/// The compensation's own `with:` reaches the backend saga too.
#[test]
fn saga_of_example_festival() {
    check_saga(
        &example_spec("festival"),
        "VipEntry",
        "fest2-vip-entry-saga",
    );
}

/// The saga's own `Step`, `Op` and `Run` beside the spec's, and modules
/// reached as `app.database_module()`.
#[test]
fn saga_of_example_toolkit() {
    check_saga(&example_spec("toolkit"), "Lend", "toolkit-lend-saga");
}

#[test]
fn saga_of_example_ledger() {
    check_saga(
        &example_spec("ledger"),
        "TransferFunds",
        "ledger-transfer-funds-saga",
    );
}

/// A workflow with no input: its saga still refuses a body that is no
/// object.
#[test]
fn saga_of_example_dispatch() {
    check_saga(
        &example_spec("dispatch"),
        "Heartbeat",
        "dispatch-heartbeat-saga",
    );
}

/// Every example in `examples/` has a test above.
#[test]
fn every_example_is_checked() {
    let source = include_str!("generated.rs");
    for name in example_names() {
        assert!(
            source.contains(&format!("example_spec(\"{name}\")")),
            "examples/{name} is not built by tests/generated.rs"
        );
    }
}

/// The package's own `npm test`, run as a user runs it, after a spec edit
/// that takes away what some of its tests covered (the read models, and
/// with them `test/cqrs.test.ts`): the tests compiled before must not run
/// again, so the script starts from an empty `dist-test`.
#[test]
fn npm_test_runs_only_the_tests_the_package_has_now() {
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(dir.path());
    let out = dir.path().join("out");
    generate(&spec, &out, "ts");
    let package = out.join("ts/order-management");
    link_toolchain(&package);
    let npm = |what: &str| tool(&package, Path::new("npm"), &["run", "--silent", what], &[]);
    npm("build");
    let first = npm("test");
    assert!(first.stdout.contains("# fail 0"), "{}", first.stdout);
    assert!(package.join("dist-test/test/cqrs.test.js").exists());

    let text = std::fs::read_to_string(&spec).unwrap();
    let start = text.find("  read_models:").unwrap();
    let end = text.find("  workflows:").unwrap();
    std::fs::write(&spec, format!("{}{}", &text[..start], &text[end..])).unwrap();
    generate(&spec, &out, "ts");
    assert!(!package.join("test/cqrs.test.ts").exists());
    let again = npm("test");
    assert!(again.stdout.contains("# fail 0"), "{}", again.stdout);
    assert!(!package.join("dist-test/test/cqrs.test.js").exists());
    npm("build");
    assert!(!package.join("dist/src/cqrs.js").exists());
}
