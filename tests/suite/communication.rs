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

/// `communication.bff` writes backends for frontends only when an
/// aggregate refers to another: then each frontend gets the views, the
/// gateway forwards to them and the TypeScript package exports their
/// client; otherwise nothing is written for them and both READMEs say why.
#[test]
fn backends_for_frontends_exist_where_there_is_something_to_compose() {
    let spec_dir = tempfile::tempdir().unwrap();
    for (refers, with_gateway) in [(true, true), (true, false), (false, true)] {
        let reference = if refers {
            ", author: Person?, editors: list<Person>"
        } else {
            ""
        };
        let gateway = if with_gateway {
            "    gateway: { auth: none }\n"
        } else {
            ""
        };
        let spec = spec_dir.path().join("press.bc.yaml");
        std::fs::write(
            &spec,
            format!(
                "parasol: 1\nbounded_context:\n  name: Press\n  modules:\n    people:\n      aggregates:\n        Person: {{ fields: {{ name: string }} }}\n    books:\n      aggregates:\n        Book: {{ fields: {{ title: string{reference} }} }}\n  communication:\n{gateway}    bff: [web, kiosk_app]\n"
            ),
        )
        .unwrap();
        let out = tempfile::tempdir().unwrap();
        let run = generate(&spec, out.path(), "rust,ts");
        assert_eq!(run.code, 0, "{}", run.stderr);
        let krate = out.path().join("rust/press");
        let package = out.path().join("ts/press");
        let case = format!("refers {refers}, gateway {with_gateway}");
        for file in [
            krate.join("src/bff.rs"),
            krate.join("src/bin/bff.rs"),
            package.join("src/bff.ts"),
        ] {
            assert_eq!(file.exists(), refers, "{case}: {}", file.display());
        }
        let cargo = std::fs::read_to_string(krate.join("Cargo.toml")).unwrap();
        assert_eq!(cargo.contains("name = \"press-bff\""), refers, "{case}");
        let readme = std::fs::read_to_string(krate.join("README.md")).unwrap();
        if refers {
            let bff = std::fs::read_to_string(krate.join("src/bff.rs")).unwrap();
            assert!(
                bff.contains("pub const FRONTENDS: &str = \"kiosk-app,web\";"),
                "{bff}"
            );
            assert!(bff.contains("field: \"author\","), "{bff}");
            assert!(bff.contains("field: \"editors\",\n                route: \"/api/people/persons\",\n                many: true,"), "{bff}");
            assert!(readme.contains("`/bff/<frontend>/books/books`"), "{readme}");
            let ts = std::fs::read_to_string(package.join("src/bff.ts")).unwrap();
            assert!(ts.contains("\"author\": $people.Person | null;"), "{ts}");
            assert!(ts.contains("\"editors\": $people.Person[];"), "{ts}");
            let exports = std::fs::read_to_string(package.join("package.json")).unwrap();
            assert!(exports.contains("\"./bff\""), "{exports}");
        } else {
            assert!(readme.contains("none is\ngenerated"), "{readme}");
        }
        if with_gateway {
            let gateway = std::fs::read_to_string(krate.join("src/gateway.rs")).unwrap();
            assert_eq!(
                gateway.contains("path.starts_with(\"/bff/\")"),
                refers,
                "{case}"
            );
        }
    }
}
