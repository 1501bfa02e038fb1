//! Snapshots of everything generated for the canonical example, one per
//! language, every file under a `==== path ====` banner. A change to a
//! template shows up here as a reviewable diff.

use crate::support::*;

fn joined(dir: &std::path::Path) -> String {
    let mut out = String::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        // parasol's state: the manifest records the spec's path relative to
        // this temporary folder; the lock is empty.
        if !entry.file_type().is_file() || path.starts_with(".parasol/") {
            continue;
        }
        out.push_str(&format!("==== {path} ====\n"));
        out.push_str(&std::fs::read_to_string(entry.path()).unwrap());
    }
    out
}

#[test]
fn canonical_example_generated_code() {
    let out = tempfile::tempdir().unwrap();
    generate(&canonical_spec(), out.path(), "rust,ts");
    insta::assert_snapshot!(
        "canonical_rust",
        joined(&out.path().join("rust/order-management"))
    );
    insta::assert_snapshot!(
        "canonical_ts",
        joined(&out.path().join("ts/order-management"))
    );
}

/// The service mesh of the canonical example (`bc implement-communication
/// --pattern service-mesh`).
#[test]
fn canonical_example_service_mesh() {
    let out = tempfile::tempdir().unwrap();
    bc(
        &["implement-communication"],
        &canonical_spec(),
        out.path(),
        &["--pattern", "service-mesh"],
    )
    .ok();
    insta::assert_snapshot!(
        "canonical_mesh",
        joined(&out.path().join("rust/order-management-mesh"))
    );
}
