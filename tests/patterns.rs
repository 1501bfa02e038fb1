//! `parasol generate event-patterns` and `parasol setup orchestration`:
//! every style x coordination the policy allows builds and passes its
//! generated tests in both languages; refusals name the bundle and the
//! principle and write nothing; and the backend saga, killed mid-run as a
//! real process, finishes or compensates the run when it starts again.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use support::*;

/// Generates the event layer with `flags` and checks both packages with
/// the real toolchains.
fn check_event_patterns(spec: &Path, context: &str, folder: &str, flags: &[&str]) {
    let out = tempfile::tempdir().unwrap();
    event_patterns(spec, out.path(), context, flags).ok();
    check_rust_crate(&out.path().join("rust").join(folder));
    check_ts_package(&out.path().join("ts").join(folder));
}

/// The canonical example's event layer in `style` with `coordination`;
/// backend coordination needs the override under its V5 bundle.
fn check_canonical(name: &str, folder: &str, style: &str, coordination: &str) {
    let mut flags = vec!["--style", style, "--coordination", coordination];
    if coordination == "backend" {
        flags.push("--allow-backend-saga");
    }
    check_event_patterns(&canonical_spec(), name, folder, &flags);
}

const CANONICAL: (&str, &str) = ("OrderManagement", "order-management-events");

#[test]
fn v5_lightweight_with_frontend_coordination() {
    check_canonical(CANONICAL.0, CANONICAL.1, "v5-lightweight", "frontend");
}

#[test]
fn v5_lightweight_with_backend_coordination() {
    check_canonical(CANONICAL.0, CANONICAL.1, "v5-lightweight", "backend");
}

#[test]
fn domain_events_with_frontend_coordination() {
    check_canonical(CANONICAL.0, CANONICAL.1, "domain-events", "frontend");
}

#[test]
fn domain_events_with_backend_coordination_for_one_workflow() {
    // NAME may be a workflow: its context's event layer is generated.
    let folder = "order-management-place-order-events";
    check_canonical("PlaceOrder", folder, "domain-events", "backend");
}

/// The festival's first event carries a list: the tests' sample event
/// is typed, so the list stays a mutable array.
#[test]
fn domain_events_of_an_event_with_a_list() {
    let flags = ["--style", "domain-events"];
    check_event_patterns(&example_spec("festival"), "Fest2", "fest2-events", &flags);
}

#[test]
fn event_sourced_with_frontend_coordination() {
    let flags = ["--style", "event-sourced", "--coordination", "frontend"];
    check_event_patterns(&example_spec("ledger"), "Ledger", "ledger-events", &flags);
}

#[test]
fn event_sourced_with_backend_coordination() {
    let flags = ["--style", "event-sourced", "--coordination", "backend"];
    check_event_patterns(&example_spec("ledger"), "Ledger", "ledger-events", &flags);
}

#[test]
fn no_saga_leaves_the_choreography_out() {
    let out = tempfile::tempdir().unwrap();
    let flags = ["--style", "event-sourced", "--coordination", "backend"];
    let spec = example_spec("ledger");
    event_patterns(&spec, out.path(), "Ledger", &flags).ok();
    let with_saga = out.path().join("rust/ledger-events/src/choreography.rs");
    assert!(with_saga.is_file());

    let out = tempfile::tempdir().unwrap();
    let mut flags = flags.to_vec();
    flags.push("--no-saga");
    event_patterns(&spec, out.path(), "Ledger", &flags).ok();
    let crate_dir = out.path().join("rust/ledger-events");
    assert!(!crate_dir.join("src/choreography.rs").exists());
    assert!(
        !out.path()
            .join("ts/ledger-events/src/choreography.ts")
            .exists()
    );
    check_rust_crate(&crate_dir);
}

/// Asserts a refusal: exit 1, the message names the bundle and principle
/// and points into the bundle, and nothing is written.
#[track_caller]
fn assert_refused(run: &Run, out: &Path, principle: &str, help: &str) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    let bundle = "examples/order-management/bundles/v5-event-driven.md";
    assert!(
        run.stderr.contains("bundle `parasol-v5-event-driven` (")
            && run
                .stderr
                .contains(&format!("{bundle}) sets `v5_principles: {principle}`")),
        "{}",
        run.stderr
    );
    // The location is the principle's line in the bundle.
    let line = std::fs::read_to_string(repo().join("../shared").join(bundle))
        .unwrap()
        .lines()
        .position(|l| l.trim() == format!("- {principle}"))
        .expect("the principle is in the bundle")
        + 1;
    assert!(
        run.stderr.contains(&format!("{bundle}:{line}:7")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(help), "{}", run.stderr);
    assert!(!out.exists(), "nothing is written on refusal");
}

#[test]
fn event_sourcing_under_the_v5_bundle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = event_patterns(
        &canonical_spec(),
        &out,
        "OrderManagement",
        &["--style", "event-sourced"],
    );
    assert!(
        run.stderr
            .starts_with("error: event style `event-sourced` is refused"),
        "{}",
        run.stderr
    );
    assert_refused(&run, &out, "no_event_sourcing", "--style v5-lightweight");
}

#[test]
fn no_event_sourcing_flag_refuses_even_where_the_bundle_allows_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let flags = ["--style", "event-sourced", "--no-event-sourcing"];
    let run = event_patterns(&example_spec("ledger"), &out, "Ledger", &flags);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("--no-event-sourcing"), "{}", run.stderr);
    assert!(!out.exists());
}

#[test]
fn backend_coordination_under_frontend_orchestration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let flags = ["--coordination", "backend"];
    let run = event_patterns(&canonical_spec(), &out, "OrderManagement", &flags);
    assert_refused(&run, &out, "frontend_orchestration", "--allow-backend-saga");
}

fn setup_orchestration(out: &Path, flags: &[&str]) -> Run {
    support::setup_orchestration(&canonical_spec(), out, "PlaceOrder", flags)
}

#[test]
fn a_backend_saga_under_frontend_orchestration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = setup_orchestration(&out, &["--location", "backend"]);
    assert!(
        run.stderr
            .starts_with("error: a backend saga for workflow `PlaceOrder` is refused"),
        "{}",
        run.stderr
    );
    assert_refused(&run, &out, "frontend_orchestration", "--allow-backend-saga");
}

fn check_frontend_orchestration(state_sync: &str, compensation: &str) {
    let out = tempfile::tempdir().unwrap();
    let flags = [
        "--location",
        "frontend",
        "--state-sync",
        state_sync,
        "--compensation-strategy",
        compensation,
    ];
    setup_orchestration(out.path(), &flags).ok();
    let package = out
        .path()
        .join("ts/order-management-place-order-orchestration");
    let wiring = std::fs::read_to_string(package.join("src/orchestration.ts")).unwrap();
    assert!(
        wiring.contains(&format!("compensation: \"{compensation}\"")),
        "{wiring}"
    );
    check_ts_package(&package);
}

#[test]
fn frontend_orchestration_with_sse_state_sync() {
    check_frontend_orchestration("realtime-sse", "best-effort");
}

#[test]
fn frontend_orchestration_with_polling_state_sync() {
    check_frontend_orchestration("polling", "strict");
}

#[test]
fn frontend_orchestration_without_state_sync() {
    check_frontend_orchestration("none", "best-effort");
}

const SAGAS: &str = "/api/sagas/place-order";

const ORDER: &str = r#"{"customerId":"c-1","lines":[{"productId":"p-1","quantity":2,"unitPrice":500}],"total":1000,"paymentMethod":"card"}"#;

fn get_json(base: &str, path: &str) -> Value {
    let (status, body) = http(base, "GET", path, &[], "");
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
}

fn run_of(saga: &Server, id: &str) -> Value {
    get_json(&saga.url, &format!("{SAGAS}/{id}"))
}

fn step_status(run: &Value, step: &str) -> String {
    let steps = run["steps"].as_array().expect("steps");
    let state = steps.iter().find(|s| s["step"] == step).expect("the step");
    state["status"].as_str().unwrap().to_string()
}

fn wait_until_finished(saga: &Server, id: &str) -> Value {
    wait_for("the run to finish", Duration::from_secs(60), || {
        let run = run_of(saga, id);
        let status = run["status"].as_str().unwrap().to_string();
        (status != "running" && status != "compensating").then_some(run)
    })
}

/// The journal's records, parsed.
fn journal(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Puts the stock the order asks for into the service: the default
/// `checkAvailability` answers from stored counts.
fn stock_up(service: &Server) {
    let item = r#"{"productId":"p-1","onHand":100,"reserved":0}"#;
    let (status, body) = http(
        &service.url,
        "POST",
        "/api/inventory/stock-items",
        &[],
        item,
    );
    assert_eq!(status, 201, "{body}");
}

fn start_run(saga: &Server, id: &str) {
    let (status, body) = http(&saga.url, "POST", SAGAS, &[("Idempotency-Key", id)], ORDER);
    assert_eq!(status, 202, "{body}");
}

struct Binaries {
    _out: tempfile::TempDir,
    service: PathBuf,
    saga: PathBuf,
    journals: PathBuf,
}

/// Generates the context and its `PlaceOrder` saga, checks the saga crate
/// (build, generated tests, clippy, rustfmt) and builds both binaries.
fn saga_binaries() -> Binaries {
    let out = tempfile::tempdir().unwrap();
    generate(&canonical_spec(), out.path(), "rust");
    let flags = [
        "--location",
        "backend",
        "--allow-backend-saga",
        "--compensation-strategy",
        "best-effort",
    ];
    let run = setup_orchestration(out.path(), &flags).ok();
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let saga_dir = out.path().join("rust/order-management-place-order-saga");
    check_rust_crate(&saga_dir);
    let journals = out.path().join("journals");
    Binaries {
        service: build_binary(&out.path().join("rust/order-management"), out.path()),
        saga: build_binary(&saga_dir, out.path()),
        journals,
        _out: out,
    }
}

#[test]
fn the_backend_saga_finishes_or_compensates_runs_after_being_killed() {
    let bin = saga_binaries();

    // Killed between two steps: the restarted saga carries on from there.
    let service = Server::start(&bin.service, &[]);
    stock_up(&service);
    let journal_a = bin.journals.join("a.journal");
    let env = [
        ("PARASOL_SERVICE_URL", service.url.as_str()),
        ("PARASOL_SAGA_JOURNAL", journal_a.to_str().unwrap()),
    ];
    let paused = [
        env[0],
        env[1],
        ("PARASOL_SAGA_PAUSE_BEFORE", "charge_payment=120s"),
    ];
    let saga = Server::start(&bin.saga, &paused);
    start_run(&saga, "between-steps");
    wait_for("reserve_inventory", Duration::from_secs(30), || {
        let run = run_of(&saga, "between-steps");
        (step_status(&run, "reserve_inventory") == "completed").then_some(())
    });
    saga.kill();
    let records = journal(&journal_a);
    let last = records.last().unwrap();
    assert_eq!(
        (&last["type"], &last["step"]),
        (&"step_completed".into(), &"reserve_inventory".into())
    );

    let saga = Server::start(&bin.saga, &env);
    let run = wait_until_finished(&saga, "between-steps");
    assert_eq!(run["status"], "completed", "{run:#}");
    let started = |step: &str| {
        journal(&journal_a)
            .iter()
            .filter(|r| r["type"] == "step_started" && r["step"] == step)
            .count()
    };
    for step in [
        "check_inventory",
        "reserve_inventory",
        "charge_payment",
        "create_order",
    ] {
        assert_eq!(started(step), 1, "{step} runs exactly once");
    }
    let orders = get_json(&service.url, "/api/order/orders")["items"].take();
    let payments = get_json(&service.url, "/api/payment/payments")["items"].take();
    assert_eq!(orders.as_array().map(Vec::len), Some(1), "{orders:#}");
    assert_eq!(payments.as_array().map(Vec::len), Some(1), "{payments:#}");
    assert_eq!(payments[0]["orderId"], "between-steps");
    drop(saga);

    // Killed while the service is still charging: the outcome of that call
    // is unknown, so the restarted saga compensates what completed.
    let slow = Server::start(
        &bin.service,
        &[("PARASOL_FAULTS", "payment.charge=delay:120s")],
    );
    stock_up(&slow);
    let journal_b = bin.journals.join("b.journal");
    let env = [
        ("PARASOL_SERVICE_URL", slow.url.as_str()),
        ("PARASOL_SAGA_JOURNAL", journal_b.to_str().unwrap()),
    ];
    let saga = Server::start(&bin.saga, &env);
    start_run(&saga, "inside-a-step");
    wait_for(
        "charge_payment to be in flight",
        Duration::from_secs(30),
        || {
            let run = run_of(&saga, "inside-a-step");
            (step_status(&run, "charge_payment") == "running").then_some(())
        },
    );
    saga.kill();
    let records = journal(&journal_b);
    assert_eq!(records.last().unwrap()["type"], "step_started");

    let saga = Server::start(&bin.saga, &env);
    let run = wait_until_finished(&saga, "inside-a-step");
    assert_eq!(run["status"], "compensated", "{run:#}");
    assert_eq!(run["failure"]["step"], "charge_payment");
    assert_eq!(run["failure"]["error"]["code"], "interrupted");
    let compensations = run["compensations"].as_array().unwrap();
    assert_eq!(compensations.len(), 1, "{run:#}");
    assert_eq!(compensations[0]["step"], "reserve_inventory");
    assert_eq!(compensations[0]["status"], "compensated");
    // The service released the reservation, in the run's conversation.
    let events = read_events_until(
        &slow.url,
        "/api/events?lastEventId=0",
        "inventory.released",
        Duration::from_secs(10),
    );
    assert!(
        events.contains("\"correlationId\":\"inside-a-step\""),
        "{events}"
    );
}
