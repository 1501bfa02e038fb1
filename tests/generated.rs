//! What parasol generates builds, passes its own tests and is lint-clean:
//! for the canonical example and every example in `examples/`, the Rust
//! crate passes `cargo build`, `cargo test`, `cargo clippy -D warnings` and
//! `cargo fmt --check`; the TypeScript package passes `tsc` (strict) and its
//! generated tests. Generated crates share one target folder
//! (`target/generated`) so dependencies compile once.

mod support;

use std::path::Path;

use support::*;

fn check(spec: &Path) {
    let out = tempfile::tempdir().unwrap();
    let run = generate(spec, out.path(), "rust,ts");
    assert!(
        run.stderr.is_empty() || !run.stderr.contains("error"),
        "{}",
        run.stderr
    );
    let context = std::fs::read_dir(out.path().join("rust"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    check_rust_crate(&context);
    let package = out.path().join("ts").join(context.file_name().unwrap());
    check_ts_package(&package);
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
