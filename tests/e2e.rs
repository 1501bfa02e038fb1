//! End to end: the generated Rust backend serves, the generated TypeScript
//! `placeOrder` orchestrator runs in Node against it, and the SSE stream
//! shows what happened. Three servers, as a user would run them:
//! no faults; `payment.charge` failing with `payment_declined`; `order.create`
//! failing. The inventory logic is a user-owned file (a fixture with real
//! stock keeping) placed over the generated default and kept by regeneration.
//! The scenarios themselves are in `tests/e2e/place-order.e2e.ts`.
//!
//! The examples `travel` and `repair-shop` run the same way with parasol's
//! default bodies, untouched: a happy path and a failure of the last of four
//! steps, checking that the records the workflow returns exist and that the
//! compensations restored what the earlier steps changed.

mod support;

use support::*;

#[test]
fn place_order_end_to_end() {
    let out = tempfile::tempdir().unwrap();
    let spec = canonical_spec();
    generate(&spec, out.path(), "rust,ts");

    // The user's inventory logic replaces the default and survives regeneration.
    let crate_dir = out.path().join("rust/order-management");
    let ops = crate_dir.join("src/modules/inventory/ops.rs");
    let fixture =
        std::fs::read_to_string(repo().join("tests/fixtures/order-management/inventory_ops.rs"))
            .unwrap();
    std::fs::write(&ops, &fixture).unwrap();
    let again = generate(&spec, out.path(), "rust,ts");
    assert!(
        again.stdout.contains("skipped-user-edited"),
        "{}",
        again.stdout
    );
    assert_eq!(std::fs::read_to_string(&ops).unwrap(), fixture);

    cargo(&crate_dir, &["build"]);
    cargo(&crate_dir, &["clippy", "--", "-D", "warnings"]);
    let binary = shared_target_dir().join("debug/order-management");
    let happy = Server::start(&binary, &[]);
    let payment_fails = Server::start(
        &binary,
        &[("PARASOL_FAULTS", "payment.charge=payment_declined")],
    );
    let order_fails = Server::start(&binary, &[("PARASOL_FAULTS", "order.create=fail")]);

    let package = out.path().join("ts/order-management");
    link_toolchain(&package);
    std::fs::copy(
        repo().join("tests/e2e/place-order.e2e.ts"),
        package.join("test/place-order.e2e.ts"),
    )
    .unwrap();
    tsc(&package, &["-p", "tsconfig.test.json"]);
    let run = node_test(
        &package,
        &[package.join("dist-test/test/place-order.e2e.js")],
        &[
            ("HAPPY_URL", happy.url.as_str()),
            ("PAYMENT_FAILS_URL", payment_fails.url.as_str()),
            ("ORDER_FAILS_URL", order_fails.url.as_str()),
        ],
    );
    assert!(run.stdout.contains("# pass 4"), "{}", run.stdout);
    assert!(run.stdout.contains("# fail 0"), "{}", run.stdout);
}

/// Generates `example`, starts its backend once without faults and once
/// with its last workflow step failing, and runs `scenarios` (a file in
/// `tests/e2e/`) with `HAPPY_URL` and `LAST_STEP_FAILS_URL`.
fn example_end_to_end(example: &str, last_step: &str, scenarios: &str, tests: usize) {
    let out = tempfile::tempdir().unwrap();
    let spec = example_spec(example);
    generate(&spec, out.path(), "rust,ts");
    let crate_dir = std::fs::read_dir(out.path().join("rust"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    cargo(&crate_dir, &["build"]);
    let binary = shared_target_dir()
        .join("debug")
        .join(crate_dir.file_name().unwrap());
    let happy = Server::start(&binary, &[]);
    let fault = format!("{last_step}=fail");
    let last_step_fails = Server::start(&binary, &[("PARASOL_FAULTS", fault.as_str())]);

    let package = out.path().join("ts").join(crate_dir.file_name().unwrap());
    link_toolchain(&package);
    let test_file = scenarios.replace(".ts", ".js");
    std::fs::copy(
        repo().join("tests/e2e").join(scenarios),
        package.join("test").join(scenarios),
    )
    .unwrap();
    tsc(&package, &["-p", "tsconfig.test.json"]);
    let run = node_test(
        &package,
        &[package.join("dist-test/test").join(test_file)],
        &[
            ("HAPPY_URL", happy.url.as_str()),
            ("LAST_STEP_FAILS_URL", last_step_fails.url.as_str()),
        ],
    );
    assert!(
        run.stdout.contains(&format!("# pass {tests}")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("# fail 0"), "{}", run.stdout);
}

#[test]
fn travel_book_trip_end_to_end() {
    example_end_to_end(
        "travel",
        "itineraries.createItinerary",
        "book-trip.e2e.ts",
        3,
    );
}

#[test]
fn repair_shop_schedule_repair_end_to_end() {
    example_end_to_end(
        "repair-shop",
        "invoicing.issueInvoice",
        "schedule-repair.e2e.ts",
        2,
    );
}
