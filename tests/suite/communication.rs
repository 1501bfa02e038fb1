//! What the spec's `communication` block changes in the generated service.

use crate::support::*;

/// `communication.streaming.broker` picks the service's default event bus
/// and, for Kafka, compiles its client in by default.
#[test]
fn the_declared_broker_is_the_default_event_bus() {
    let spec_dir = tempfile::tempdir().unwrap();
    for (broker, url, kafka_by_default) in [
        (None, "memory:", false),
        (Some("in-memory"), "memory:", false),
        (Some("redis"), "redis://127.0.0.1:6379", false),
        (Some("nats"), "nats://127.0.0.1:4222", false),
        (Some("kafka"), "kafka://127.0.0.1:9092", true),
    ] {
        let communication = broker
            .map(|b| format!("  communication:\n    streaming: {{ broker: {b} }}\n"))
            .unwrap_or_default();
        let spec = spec_dir.path().join("relay.bc.yaml");
        std::fs::write(
            &spec,
            format!(
                "parasol: 1\nbounded_context:\n  name: Relay\n  modules:\n    relay:\n      aggregates:\n        Message: {{ fields: {{ body: string }} }}\n{communication}"
            ),
        )
        .unwrap();
        let out = tempfile::tempdir().unwrap();
        let run = generate(&spec, out.path(), "rust");
        assert_eq!(run.code, 0, "{broker:?}: {}", run.stderr);
        let krate = out.path().join("rust/relay");
        let main = std::fs::read_to_string(krate.join("src/main.rs")).unwrap();
        assert!(
            main.contains(&format!(
                "env = \"EVENT_BUS_URL\", default_value = \"{url}\""
            )),
            "{broker:?}: {main}"
        );
        let manifest = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
        let defaults = manifest
            .lines()
            .find(|l| l.starts_with("default = "))
            .unwrap();
        assert_eq!(
            defaults.contains("\"kafka\""),
            kafka_by_default,
            "{broker:?}: {defaults}"
        );
        let readme = std::fs::read_to_string(krate.join("README.md")).unwrap();
        assert!(readme.contains(&format!("| `{url}`")), "{broker:?}");
    }
}
