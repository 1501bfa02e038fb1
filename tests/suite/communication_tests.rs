//! `bc test-communication`: which scenarios it writes, what it refuses, and
//! that `check` replays it. The scenarios run against the real service in
//! `tests/e2e.rs`.

use std::path::Path;

use crate::support::*;

fn test_communication(spec: &Path, out: &Path, flags: &[&str]) -> Run {
    let mut args = vec![
        "bc",
        "test-communication",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(flags);
    parasol(&args)
}

#[test]
fn every_scenario_by_default_the_load_test_when_asked_and_check_replays_them() {
    let out = tempfile::tempdir().unwrap();
    test_communication(&canonical_spec(), out.path(), &[]).ok();
    let package = out.path().join("ts/order-management-communication-tests");
    let tests = std::fs::read_to_string(package.join("test/communication.test.ts")).unwrap();
    assert!(tests.contains("// Regenerate with: parasol bc test-communication OrderManagement --scenarios happy-path,timeout,circuit-break\n"), "{tests}");
    for scenario in ["happy path:", "timeout:", "circuit break:"] {
        assert!(tests.contains(&format!("test(\"{scenario}")), "{scenario}");
    }
    // The spec's connect (1s) and read (5s) timeouts, and a second more.
    assert!(
        tests.contains("\"catalog.updatePrice=delay:7000ms\""),
        "{tests}"
    );
    assert!(!package.join("test/load.test.ts").exists());
    let package_json = std::fs::read_to_string(package.join("package.json")).unwrap();
    assert!(package_json.contains("\"name\": \"order-management-communication-tests\""));

    test_communication(
        &canonical_spec(),
        out.path(),
        &[
            "--scenarios",
            "timeout",
            "--load-test",
            "1000-rps",
            "--load-duration",
            "3s",
        ],
    )
    .ok();
    let tests = std::fs::read_to_string(package.join("test/communication.test.ts")).unwrap();
    assert!(!tests.contains("test(\"happy path:"), "{tests}");
    let load = std::fs::read_to_string(package.join("test/load.test.ts")).unwrap();
    assert!(
        load.contains("const RATE = 1000;\nconst DURATION_MS = 3000;"),
        "{load}"
    );
    let check = parasol(&["check", "--out", out.path().to_str().unwrap()]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn fault_scenarios_without_an_operation_and_bad_rates_are_refused() {
    let spec_dir = tempfile::tempdir().unwrap();
    let spec = spec_dir.path().join("notes.bc.yaml");
    std::fs::write(
        &spec,
        "parasol: 1\nbounded_context:\n  name: Notes\n  modules:\n    notes:\n      aggregates:\n        Note: { fields: { body: string } }\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    // By default, only what the spec allows: the happy path.
    test_communication(&spec, out.path(), &[]).ok();
    let tests = std::fs::read_to_string(
        out.path()
            .join("ts/notes-communication-tests/test/communication.test.ts"),
    )
    .unwrap();
    assert!(tests.contains("--scenarios happy-path\n"), "{tests}");
    assert!(!tests.contains("timeout:"), "{tests}");

    let fresh = tempfile::tempdir().unwrap();
    let run = test_communication(&spec, fresh.path(), &["--scenarios", "circuit-break"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("needs an operation"), "{}", run.stderr);
    assert!(!fresh.path().join("ts").exists(), "nothing written");
    let run = test_communication(&spec, fresh.path(), &["--load-test", "fast"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = test_communication(
        &spec,
        fresh.path(),
        &["--load-test", "10-rps", "--load-duration", "100ms"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("measures no steady rate"),
        "{}",
        run.stderr
    );
}
