//! `bc setup-monitoring`: what it writes, where its thresholds come from,
//! what it refuses, and that `check` replays it. Running the files
//! against promtool and Prometheus is in `tests/backbone.rs` and
//! `tests/patterns.rs`.

use std::path::Path;

use crate::support::*;

fn setup_monitoring(spec: &Path, out: &Path, flags: &[&str]) -> Run {
    bc(&["setup-monitoring"], spec, out, flags)
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Defaults come from the spec: the p99 alert at `read_timeout` (5s in
/// the canonical spec) and the error alert at the breaker's
/// `failure_threshold` (50%); every file names its spec and command, and
/// `check` replays the recorded request.
#[test]
fn thresholds_come_from_the_spec_and_check_replays_them() {
    let out = tempfile::tempdir().unwrap();
    let run = setup_monitoring(&canonical_spec(), out.path(), &[]).ok();
    assert!(run.stdout.contains("5 created"), "{}", run.stdout);
    let dir = out.path().join("rust/order-management-monitoring");
    let command = "# Regenerate with: parasol bc setup-monitoring OrderManagement --metrics latency,throughput,error-rate --logging structured --target 127.0.0.1:8080 --scrape-interval 15s --latency-p99 5000ms --error-rate 50";
    for file in [
        "prometheus.yml",
        "rules.yml",
        "rules.test.yml",
        "service.env",
    ] {
        let text = read(&dir, file);
        let header: Vec<&str> = text.lines().take(2).collect();
        assert!(
            header[0].contains("order-management.bc.yaml"),
            "{file}: {text}"
        );
        assert_eq!(header[1], command, "{file}");
    }
    let rules = read(&dir, "rules.yml");
    assert!(
        rules.contains("http_request_duration_seconds:p99_5m{job=\"order-management\"} > 5\n"),
        "{rules}"
    );
    assert!(
        rules.contains("ratio_rate5m{job=\"order-management\"} >= 0.5\n"),
        "{rules}"
    );
    assert!(rules.contains("communication.sync.read_timeout"), "{rules}");
    assert!(read(&dir, "prometheus.yml").contains("- \"127.0.0.1:8080\""));
    assert!(read(&dir, "service.env").contains("\nPARASOL_LOG_FORMAT=json\n"));

    let check = parasol(&["check", "--out", out.path().to_str().unwrap()]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    let again = setup_monitoring(&canonical_spec(), out.path(), &[]).ok();
    assert!(again.stdout.contains("5 unchanged"), "{}", again.stdout);

    // A hand edit of a generated file is what `check` reports.
    std::fs::write(dir.join("rules.yml"), rules.replace("> 5\n", "> 50\n")).unwrap();
    let check = parasol(&["check", "--out", out.path().to_str().unwrap()]);
    assert_eq!(check.code, 1, "{}{}", check.stdout, check.stderr);
    assert!(check.stdout.contains("rules.yml") || check.stderr.contains("rules.yml"));
}

/// Flags replace the spec's numbers and choose the signals: an alert is
/// written only for a signal asked for.
#[test]
fn flags_choose_the_signals_and_thresholds() {
    let out = tempfile::tempdir().unwrap();
    setup_monitoring(
        &canonical_spec(),
        out.path(),
        &[
            "--metrics",
            "latency",
            "--latency-p99",
            "750ms",
            "--logging",
            "text",
            "--target",
            "10.0.0.5:8080,10.0.0.6:8080",
            "--scrape-interval",
            "5s",
        ],
    )
    .ok();
    let dir = out.path().join("rust/order-management-monitoring");
    let rules = read(&dir, "rules.yml");
    assert!(rules.contains("} > 0.75\n"), "{rules}");
    assert!(rules.contains("`--latency-p99`"), "{rules}");
    assert!(!rules.contains("OrderManagementErrors"), "{rules}");
    assert!(!rules.contains("rate5m:"), "no throughput rules: {rules}");
    assert!(!rules.contains("job_route:http_requests:rate5m"), "{rules}");
    let tests = read(&dir, "rules.test.yml");
    assert!(!tests.contains("OrderManagementErrors"), "{tests}");
    let config = read(&dir, "prometheus.yml");
    assert!(
        config.contains("- \"10.0.0.5:8080\"\n          - \"10.0.0.6:8080\""),
        "{config}"
    );
    assert!(config.contains("scrape_interval: 5s"), "{config}");
    assert!(read(&dir, "service.env").contains("\nPARASOL_LOG_FORMAT=text\n"));
}

/// A threshold the service's histogram cannot show, a breaker threshold
/// of 100% and a target without a port are refused, and nothing is written.
#[test]
fn thresholds_that_cannot_fire_and_bad_targets_are_refused_before_writing() {
    for (flags, message) in [
        (
            &["--latency-p99", "2ms"][..],
            "cannot be told from the service's histogram",
        ),
        (
            &["--latency-p99", "2m"][..],
            "cannot be told from the service's histogram",
        ),
        (&["--target", "localhost"][..], "is not `HOST:PORT`"),
    ] {
        let out = tempfile::tempdir().unwrap();
        let run = setup_monitoring(&canonical_spec(), out.path(), flags);
        assert_eq!(run.code, 1, "{flags:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{flags:?}: {}", run.stderr);
        assert!(
            !out.path().join("rust").exists(),
            "{flags:?}: nothing written"
        );
    }
    // Out of range for clap: a usage error.
    let out = tempfile::tempdir().unwrap();
    for rate in ["0", "101"] {
        let run = setup_monitoring(&canonical_spec(), out.path(), &["--error-rate", rate]);
        assert_eq!(run.code, 2, "{rate}: {}", run.stderr);
    }

    // The spec's own breaker threshold of 100% (open only when every call
    // fails) is an alert when every answer is a server error.
    let spec_dir = tempfile::tempdir().unwrap();
    let spec = spec_dir.path().join("relay.bc.yaml");
    std::fs::write(
        &spec,
        "parasol: 1\nbounded_context:\n  name: Relay\n  modules:\n    relay:\n      aggregates:\n        Message: { fields: { body: string } }\n  communication:\n    sync: { circuit_breaker: { failure_threshold: 100% } }\n",
    )
    .unwrap();
    setup_monitoring(&spec, out.path(), &[]).ok();
    let rules =
        std::fs::read_to_string(out.path().join("rust/relay-monitoring/rules.yml")).unwrap();
    assert!(
        rules.contains("ratio_rate5m{job=\"relay\"} >= 1\n"),
        "{rules}"
    );
}

/// `--tracing distributed` points the service at the collector in
/// `service.env` (the default collector unless `--collector` says), and
/// `check` replays it; without it nothing about traces is written, and a
/// `--collector` alone, or one that is not a URL, is refused.
#[test]
fn tracing_sends_the_service_s_traces_to_the_collector() {
    let out = tempfile::tempdir().unwrap();
    let run = setup_monitoring(&canonical_spec(), out.path(), &["--tracing", "distributed"]).ok();
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let dir = out.path().join("rust/order-management-monitoring");
    let env = read(&dir, "service.env");
    assert!(
        env.contains("\nOTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318\n"),
        "{env}"
    );
    assert!(
        env.contains("\nOTEL_SERVICE_NAME=order-management\n"),
        "{env}"
    );
    assert!(read(&dir, "README.md").contains("## Traces"));

    let collector = "http://collector.internal:4318";
    let flags = ["--tracing", "distributed", "--collector", collector];
    setup_monitoring(&canonical_spec(), out.path(), &flags).ok();
    let env = read(&dir, "service.env");
    assert!(
        env.contains(&format!("\nOTEL_EXPORTER_OTLP_ENDPOINT={collector}\n")),
        "{env}"
    );
    assert!(env.contains(&format!("--collector {collector}")), "{env}");
    let check = parasol(&["check", "--out", out.path().to_str().unwrap()]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);

    let untraced = tempfile::tempdir().unwrap();
    setup_monitoring(&canonical_spec(), untraced.path(), &[]).ok();
    let env = read(
        &untraced.path().join("rust/order-management-monitoring"),
        "service.env",
    );
    assert!(!env.contains("OTEL_"), "{env}");

    let refused = tempfile::tempdir().unwrap();
    let run = setup_monitoring(
        &canonical_spec(),
        refused.path(),
        &["--collector", collector],
    );
    assert_eq!(run.code, 2, "a usage error: {}", run.stderr);
    let flags = ["--tracing", "distributed", "--collector", "collector:4318"];
    let run = setup_monitoring(&canonical_spec(), refused.path(), &flags);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("is not an http:// or https:// URL"),
        "{}",
        run.stderr
    );
    assert!(!refused.path().join("rust").exists(), "nothing written");
}
