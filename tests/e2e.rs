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
//! compensations restored what the earlier steps changed. The event-sourced
//! `ledger` runs its TypeScript clients against its backend and reads each
//! record's writes back from the record's stream; its `TransferFunds`
//! (`coordination: orchestration`) runs from its TypeScript function
//! through the generated backend saga, which calls the service.
//!
//! `bc test-communication`'s scenarios run the same way: the canonical
//! example (with a load test), `shadowing`, `greenhouse` and `dispatch`
//! (whose breaker half-opens after 1 ms); and the canonical frontend
//! through the generated API gateway.

mod support;

use std::path::Path;

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

    cargo(&crate_dir, &["clippy", "--", "-D", "warnings"]);
    let binary = build_binary(&crate_dir, out.path());

    let package = out.path().join("ts/order-management");
    compile_scenarios(&package, "place-order.e2e.ts");

    // The default: each server keeps its data in SQLite in its own folder.
    place_order_scenarios(&binary, &package, [&[], &[], &[]]);

    // Scaled out: PostgreSQL, and Redis as the event bus (a database and a
    // Redis per server: the three are separate services).
    let postgres = services::start_postgres();
    let redis = [(); 3].map(|()| services::start_redis());
    let urls: Vec<(String, String)> = (0..3)
        .map(|n| {
            let database = postgres.create_database(&format!("place_order_{n}"));
            (database, redis[n].url.clone())
        })
        .collect();
    let env = |n: usize| {
        [
            ("DATABASE_URL", urls[n].0.as_str()),
            ("EVENT_BUS_URL", urls[n].1.as_str()),
        ]
    };
    place_order_scenarios(&binary, &package, [&env(0), &env(1), &env(2)]);
}

/// Copies `tests/e2e/<scenarios>` into the generated `package`'s tests and
/// compiles them; the compiled file.
fn compile_scenarios(package: &Path, scenarios: &str) -> std::path::PathBuf {
    link_toolchain(package);
    std::fs::copy(
        repo().join("tests/e2e").join(scenarios),
        package.join("test").join(scenarios),
    )
    .unwrap();
    tsc(package, &["-p", "tsconfig.test.json"]);
    package
        .join("dist-test/test")
        .join(scenarios.replace(".ts", ".js"))
}

/// Runs `tests/e2e/place-order.e2e.ts` against three servers started with
/// `env` and, in order, no faults, `payment.charge` declined, and
/// `order.create` failing.
fn place_order_scenarios(binary: &Path, package: &Path, env: [&[(&str, &str)]; 3]) {
    let with = |env: &[(&str, &str)], fault: Option<&'static str>| {
        let mut all: Vec<(&str, &str)> = env.to_vec();
        if let Some(fault) = fault {
            all.push(("PARASOL_FAULTS", fault));
        }
        Server::start(binary, &all)
    };
    let happy = with(env[0], None);
    let payment_fails = with(env[1], Some("payment.charge=payment_declined"));
    let order_fails = with(env[2], Some("order.create=fail"));
    let run = node_test(
        package,
        &[package.join("dist-test/test/place-order.e2e.js")],
        &[
            ("HAPPY_URL", happy.url.as_str()),
            ("PAYMENT_FAILS_URL", payment_fails.url.as_str()),
            ("ORDER_FAILS_URL", order_fails.url.as_str()),
        ],
    );
    assert!(run.stdout.contains("# pass 5"), "{}", run.stdout);
    assert!(run.stdout.contains("# fail 0"), "{}", run.stdout);
}

/// Generates `example`, starts its backend once without faults and once
/// with its last workflow step failing, and runs `scenarios` (a file in
/// `tests/e2e/`) with `HAPPY_URL` and `LAST_STEP_FAILS_URL`.
fn example_end_to_end(example: &str, last_step: &str, scenarios: &str, tests: usize) {
    let out = tempfile::tempdir().unwrap();
    let spec = example_spec(example);
    generate(&spec, out.path(), "rust,ts");
    let crate_dir = only_child(&out.path().join("rust"));
    let binary = build_binary(&crate_dir, out.path());
    let happy = Server::start(&binary, &[]);
    let fault = format!("{last_step}=fail");
    let last_step_fails = Server::start(&binary, &[("PARASOL_FAULTS", fault.as_str())]);

    let package = out.path().join("ts").join(crate_dir.file_name().unwrap());
    let compiled = compile_scenarios(&package, scenarios);
    let run = node_test(
        &package,
        &[compiled],
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

/// The canonical spec declares an API gateway (`auth: jwt`,
/// `rate_limit: 100/s`): the generated gateway binary runs in front of the
/// service, and `tests/e2e/gateway.e2e.ts` drives the generated clients
/// through it with tokens it signs itself; the spec's frontends (`bff`)
/// read their views from the generated BFF binary behind the gateway.
#[test]
fn the_frontend_works_through_the_generated_gateway() {
    let out = tempfile::tempdir().unwrap();
    generate(&canonical_spec(), out.path(), "rust,ts");
    let crate_dir = out.path().join("rust/order-management");
    let binary = build_binary(&crate_dir, out.path());
    // Copied out of the shared target folder, which later builds overwrite.
    let [gateway, bff] = ["order-management-gateway", "order-management-bff"].map(|name| {
        let copy = out.path().join(name);
        std::fs::copy(shared_target_dir().join("debug").join(name), &copy).unwrap();
        copy
    });
    let secret = "the end-to-end test's secret, 32+ bytes";
    let service = Server::start(&binary, &[("PARASOL_ACTOR_HEADER", "x-user-id")]);
    let bff = Server::start(&bff, &[("BFF_UPSTREAM", service.url.as_str())]);
    let through = |rate: &str| {
        Server::start(
            &gateway,
            &[
                ("GATEWAY_UPSTREAM", service.url.as_str()),
                ("GATEWAY_BFF", bff.url.as_str()),
                ("GATEWAY_JWT_SECRET", secret),
                ("GATEWAY_RATE_LIMIT", rate),
            ],
        )
    };
    let (open, limited) = (through("100/s"), through("3/m"));

    let package = out.path().join("ts/order-management");
    let compiled = compile_scenarios(&package, "gateway.e2e.ts");
    let run = node_test(
        &package,
        &[compiled],
        &[
            ("GATEWAY_URL", open.url.as_str()),
            ("LIMITED_GATEWAY_URL", limited.url.as_str()),
            ("GATEWAY_JWT_SECRET", secret),
        ],
    );
    assert!(run.stdout.contains("# pass 4"), "{}", run.stdout);
    assert!(run.stdout.contains("# fail 0"), "{}", run.stdout);
}

/// The canonical example with `--event-style domain-events`: the generated
/// TypeScript store and event stream against the real service
/// (`tests/e2e/domain-events.e2e.ts`). Events carry the version they made
/// and their cause, and the store fetches only versions it does not hold.
#[test]
fn domain_events_end_to_end() {
    let out = tempfile::tempdir().unwrap();
    // A context of its own name: the other tests build `order-management`
    // (lightweight) into the same target folder at the same time.
    let spec = canonical_copy(&out.path().join("spec"));
    let text = std::fs::read_to_string(&spec).unwrap();
    let renamed = text.replacen("name: OrderManagement", "name: DomainOrders", 1);
    assert_ne!(renamed, text);
    std::fs::write(&spec, renamed).unwrap();
    let flags = ["--event-style", "domain-events"];
    bc_generate(&spec, &out.path().join("out"), &flags).ok();
    let crate_dir = out.path().join("out/rust/domain-orders");
    let binary = build_binary(&crate_dir, out.path());
    let server = Server::start(&binary, &[]);
    let package = out.path().join("out/ts/domain-orders");
    let compiled = compile_scenarios(&package, "domain-events.e2e.ts");
    let run = node_test(&package, &[compiled], &[("HAPPY_URL", server.url.as_str())]);
    assert!(run.stdout.contains("# pass 1"), "{}", run.stdout);
    assert!(run.stdout.contains("# fail 0"), "{}", run.stdout);
}

/// The event-sourced ledger (`cqrs-es`): what the TypeScript clients write
/// comes back from each record's stream (`tests/e2e/ledger-streams.e2e.ts`).
#[test]
fn ledger_streams_end_to_end() {
    example_end_to_end("ledger", "accounts.withdraw", "ledger-streams.e2e.ts", 2);
}

/// The ledger's `TransferFunds` is coordinated by `orchestration`: the
/// generated TypeScript `transferFunds` runs it in the generated backend
/// saga, which calls the generated service, directly and through the
/// generated gateway (`tests/e2e/transfer-funds-saga.e2e.ts`). `bc generate` says the saga is
/// missing until `setup orchestration` has written it, and then no longer.
#[test]
fn ledger_transfer_runs_in_the_backend_saga() {
    let out = tempfile::tempdir().unwrap();
    let spec = example_spec("ledger");
    let first = generate(&spec, out.path(), "rust,ts");
    assert!(
        first
            .stderr
            .contains("`ledger-transfer-funds-saga` is not in"),
        "{}",
        first.stderr
    );
    // The user's rules: deposits and withdrawals move the balance.
    let ops = out.path().join("rust/ledger/src/modules/accounts/ops.rs");
    let fixture = repo().join("tests/fixtures/ledger/accounts_ops.rs");
    std::fs::copy(&fixture, &ops).unwrap();
    let flags = ["--location", "backend"];
    setup_orchestration(&spec, out.path(), "TransferFunds", &flags).ok();
    let saga_dir = out.path().join("rust/ledger-transfer-funds-saga");
    let touched = out.path().join("ts/ledger/src/index.ts");
    std::fs::remove_file(&touched).unwrap();
    let again = generate(&spec, out.path(), "rust,ts");
    assert!(
        !again.stderr.contains("missing-saga") && !again.stderr.contains("is not in"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&ops).unwrap(),
        std::fs::read_to_string(&fixture).unwrap()
    );

    let service = build_binary(&out.path().join("rust/ledger"), out.path());
    let saga = build_binary(&saga_dir, out.path());
    let journals = tempfile::tempdir().unwrap();
    // Both trust the caller header the gateway sets, as in the mesh.
    let trusted = ("PARASOL_ACTOR_HEADER", "x-user-id");
    let start = |fault: Option<&str>, journal: &str| {
        let service = match fault {
            Some(fault) => Server::start(&service, &[("PARASOL_FAULTS", fault), trusted]),
            None => Server::start(&service, &[trusted]),
        };
        let journal = journals.path().join(journal);
        let saga = Server::start(
            &saga,
            &[
                ("PARASOL_SERVICE_URL", service.url.as_str()),
                ("PARASOL_SAGA_JOURNAL", journal.to_str().unwrap()),
                trusted,
            ],
        );
        (service, saga)
    };
    let happy = start(None, "happy.journal");
    let debit_fails = start(Some("accounts.withdraw=fail"), "debit-fails.journal");
    // The frontend's one entry point: the service and the saga behind the
    // gateway the spec declares (`auth: jwt`). Copied out of the shared
    // target folder, which later builds overwrite.
    let gateway = out.path().join("ledger-gateway");
    std::fs::copy(shared_target_dir().join("debug/ledger-gateway"), &gateway).unwrap();
    let secret = "the end-to-end test's secret, 32+ bytes";
    let gateway = Server::start(
        &gateway,
        &[
            ("GATEWAY_UPSTREAM", happy.0.url.as_str()),
            ("GATEWAY_SAGA_TRANSFER_FUNDS", happy.1.url.as_str()),
            ("GATEWAY_JWT_SECRET", secret),
        ],
    );

    let package = out.path().join("ts/ledger");
    let compiled = compile_scenarios(&package, "transfer-funds-saga.e2e.ts");
    let run = node_test(
        &package,
        &[compiled],
        &[
            ("HAPPY_URL", happy.0.url.as_str()),
            ("HAPPY_SAGA_URL", happy.1.url.as_str()),
            ("DEBIT_FAILS_URL", debit_fails.0.url.as_str()),
            ("DEBIT_FAILS_SAGA_URL", debit_fails.1.url.as_str()),
            ("GATEWAY_URL", gateway.url.as_str()),
            ("GATEWAY_JWT_SECRET", secret),
        ],
    );
    assert!(run.stdout.contains("# pass 6"), "{}", run.stdout);
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

/// The generated service's HTTP layer on the real binary (example
/// `library`): every malformed request gets its own status and a JSON
/// error, the configured limits and CORS origins apply, the acting user
/// comes only from the trusted header, and SIGTERM ends open event streams
/// and exits cleanly.
#[test]
fn generated_http_layer_behaves() {
    let out = tempfile::tempdir().unwrap();
    generate(&example_spec("library"), out.path(), "rust");
    let crate_dir = out.path().join("rust/library");
    let binary = build_binary(&crate_dir, out.path());
    let books = "/api/catalog/books";
    let book = r#"{"title":"Dune","price":"9.50"}"#;
    let error_of = |body: &str| -> String {
        let json: serde_json::Value = serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("a JSON error body, got {body:?}: {e}"));
        json["error"].as_str().unwrap_or_default().to_string()
    };

    let server = Server::start(
        &binary,
        &[
            ("PARASOL_MAX_BODY_BYTES", "512"),
            ("PARASOL_CORS_ORIGINS", "http://app.example"),
            ("PARASOL_REQUEST_TIMEOUT", "300ms"),
            ("PARASOL_FAULTS", "catalog.findBook=delay:3s"),
        ],
    );
    let url = server.url.as_str();

    let (status, body) = http(url, "POST", books, &[], r#"{"title": "#);
    assert_eq!(
        (status, error_of(&body).as_str()),
        (400, "malformed_request")
    );
    let (status, body) = http(url, "POST", books, &[("Content-Type", "text/plain")], book);
    assert_eq!(
        (status, error_of(&body).as_str()),
        (415, "unsupported_media_type")
    );
    let big = format!(r#"{{"title":"{}","price":"1"}}"#, "x".repeat(600));
    let (status, body) = http(url, "POST", books, &[], &big);
    assert_eq!(
        (status, error_of(&body).as_str()),
        (413, "payload_too_large")
    );
    let (status, body) = http(
        url,
        "POST",
        books,
        &[],
        r#"{"title":"Dune","price":"9.50","pirce":"1"}"#,
    );
    assert_eq!((status, error_of(&body).as_str()), (422, "invalid_request"));
    assert!(body.contains("pirce"), "{body}");
    let (status, body) = http(url, "GET", "/api/nowhere", &[], "");
    assert_eq!((status, error_of(&body).as_str()), (404, "not_found"));
    assert!(body.contains(r#""route":"GET /api/nowhere""#), "{body}");
    let (status, _) = http(url, "GET", "/ready", &[], "");
    assert_eq!(status, 200);

    // Created as anonymous: a client's own X-User-Id is not trusted.
    let (status, body) = http(url, "POST", books, &[("X-User-Id", "mallory")], book);
    assert_eq!(status, 201, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(created["createdBy"], "anonymous");
    let id = created["id"].as_str().unwrap();
    let path = format!("{books}/{id}");

    // A typo in a patch is refused and changes nothing; so is a bad If-Match.
    let (status, body) = http(
        url,
        "PATCH",
        &path,
        &[],
        r#"{"version":1,"titel":"Dune II"}"#,
    );
    assert_eq!((status, error_of(&body).as_str()), (422, "invalid_request"));
    let (status, body) = http(
        url,
        "PATCH",
        &path,
        &[("If-Match", "one")],
        r#"{"title":"Dune II"}"#,
    );
    assert_eq!(
        (status, error_of(&body).as_str()),
        (400, "malformed_request")
    );
    let (_, body) = http(url, "GET", &path, &[], "");
    let stored: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (stored["version"].as_u64(), stored["title"].as_str()),
        (Some(1), Some("Dune"))
    );
    let (status, body) = http(
        url,
        "PATCH",
        &path,
        &[("If-Match", "\"1\"")],
        r#"{"title":"Dune II"}"#,
    );
    assert_eq!(status, 200, "{body}");

    // A request slower than the limit is answered 503 `timeout`.
    let input = format!(r#"{{"bookId":"{id}"}}"#);
    let (status, body) = http(url, "POST", "/api/catalog/find-book", &[], &input);
    assert_eq!((status, error_of(&body).as_str()), (503, "timeout"));

    // CORS: the configured origin may call; a preflight is answered.
    let preflight = [
        ("Origin", "http://app.example"),
        ("Access-Control-Request-Method", "PATCH"),
        ("Access-Control-Request-Headers", "if-match,content-type"),
    ];
    let (status, head, _) = http_with_head(url, "OPTIONS", &path, &preflight, "");
    let head = head.to_ascii_lowercase();
    assert_eq!(status, 200, "{head}");
    assert!(
        head.contains("access-control-allow-origin: http://app.example"),
        "{head}"
    );
    let (_, head, _) = http_with_head(url, "GET", books, &[("Origin", "http://evil.example")], "");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("access-control-allow-origin"),
        "{head}"
    );

    // Behind a proxy that authenticates: only its header names the user.
    let trusted = Server::start(&binary, &[("PARASOL_ACTOR_HEADER", "x-authenticated-user")]);
    let headers = [("X-Authenticated-User", "ana"), ("X-User-Id", "mallory")];
    let (status, body) = http(&trusted.url, "POST", books, &headers, book);
    assert_eq!(status, 201, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(created["createdBy"], "ana");

    // SIGTERM with an event stream open: the stream ends, the process exits 0.
    let events = std::thread::spawn({
        let url = trusted.url.clone();
        move || events_end_within(&url, "/api/events", std::time::Duration::from_secs(20))
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let code = trusted.terminate(std::time::Duration::from_secs(10));
    assert_eq!(code, Some(0), "the service did not exit on SIGTERM");
    assert!(events.join().unwrap(), "the event stream stayed open");
}

/// `bc test-communication`: the generated scenarios (and, for the
/// canonical example, a load test) run in Node against the real service
/// binary, which they start themselves with the faults each needs.
#[test]
fn communication_tests_pass_against_the_real_service() {
    for (example, load) in [
        (None, true),
        (Some("shadowing"), false),
        (Some("greenhouse"), false),
        (Some("dispatch"), false),
    ] {
        let spec = example.map_or_else(canonical_spec, example_spec);
        let out = tempfile::tempdir().unwrap();
        generate(&spec, out.path(), "rust");
        let crate_dir = only_child(&out.path().join("rust"));
        let binary = build_binary(&crate_dir, out.path());
        let mut args = vec![
            "bc",
            "test-communication",
            "--spec",
            spec.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ];
        if load {
            args.extend(["--load-test", "500-rps", "--load-duration", "2s"]);
        }
        parasol(&args).ok();
        let package = only_child(&out.path().join("ts"));
        let mut files = vec!["communication.test.js"];
        if load {
            files.push("load.test.js");
        }
        let run = communication_tests(&package, &binary, &files);
        let expected = if load { 4 } else { 3 };
        assert!(
            run.stdout.contains(&format!("# pass {expected}")),
            "{example:?}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("# fail 0"),
            "{example:?}: {}",
            run.stdout
        );
    }
}
