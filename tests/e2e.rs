//! End to end: the generated Rust backend serves, the generated TypeScript
//! `placeOrder` orchestrator runs in Node against it, and the SSE stream
//! shows what happened. Three servers, as a user would run them:
//! no faults; `payment.charge` failing with `payment_declined`; `order.create`
//! failing. The inventory logic is a user-owned file (a fixture with real
//! stock keeping) placed over the generated default and kept by regeneration.
//! The scenarios themselves are in `tests/e2e/place-order.e2e.ts`.

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
