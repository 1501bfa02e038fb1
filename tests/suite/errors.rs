//! The bad-input corpus (`tests/errors/`): every malformed spec or bundle
//! gives exit 1 (never a panic), an error naming its file, line and column,
//! leaves the output folder exactly as it was, and prints the stderr pinned
//! in its snapshot. Each file states the error it expects in a header:
//! `# expect: <message part>` and `# at: [path:]line:col`.

use std::path::PathBuf;

use crate::support::*;

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/errors"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".bc.yaml"))
        .collect();
    files.sort();
    files
}

fn header(bytes: &[u8], key: &str) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    text.lines().take(3).find_map(|line| {
        line.strip_prefix(&format!("# {key}: "))
            .map(|v| v.trim().to_string())
    })
}

/// Checks one bad input: validate and generate both fail cleanly, nothing is written.
fn check_rejected(relative: &str, expect: &str, at: &str) -> String {
    let validate = parasol(&["bc", "validate", "--spec", relative]);
    assert_eq!(
        validate.code, 1,
        "{relative}: exit code\n{}",
        validate.stderr
    );
    assert!(
        !validate.stderr.contains("panicked"),
        "{relative} panicked:\n{}",
        validate.stderr
    );
    assert!(
        validate.stderr.contains(expect),
        "{relative}: expected `{expect}` in\n{}",
        validate.stderr
    );
    let location = if at.starts_with("tests/") {
        at.to_string()
    } else {
        format!("{relative}:{at}")
    };
    assert!(
        validate.stderr.contains(&format!("--> {location}")),
        "{relative}: expected location `{location}` in\n{}",
        validate.stderr
    );

    // Every code it reports is a registered one (docs/diagnostics.md).
    let json = parasol(&["bc", "validate", "--spec", relative, "--format", "json"]);
    let report: parasol::report::JsonReport = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("{relative}: {e}\n{}", json.stdout));
    assert!(!report.diagnostics.is_empty(), "{relative}");
    for d in &report.diagnostics {
        assert!(
            parasol::codes::is_known(&d.code),
            "{relative}: code `{}` is not in src/codes.rs",
            d.code
        );
    }

    let out = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(out.path().join("rust/shop/src")).unwrap();
    std::fs::write(out.path().join("rust/shop/src/keep.rs"), "// untouched\n").unwrap();
    let before = tree_hashes(out.path());
    let generate = parasol(&[
        "bc",
        "generate",
        "--spec",
        relative,
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(
        generate.code, 1,
        "{relative}: generate exit code\n{}",
        generate.stderr
    );
    assert_eq!(
        tree_hashes(out.path()),
        before,
        "{relative}: the output folder changed"
    );
    validate.stderr
}

#[test]
fn every_bad_input_is_rejected_with_its_location() {
    let files = corpus();
    assert!(files.len() >= 40, "the corpus has {} inputs", files.len());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../errors/snapshots");
    settings.set_prepend_module_to_snapshot(false);
    for file in files {
        let relative = file.strip_prefix(repo()).unwrap().display().to_string();
        let name = file
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".bc.yaml")
            .to_string();
        let bytes = std::fs::read(&file).unwrap();
        let (expect, at) = match (header(&bytes, "expect"), header(&bytes, "at")) {
            (Some(expect), Some(at)) => (expect, at),
            _ if bytes.is_empty() => ("spec is empty".to_string(), "1:1".to_string()),
            _ => panic!("{relative} has no `# expect:` / `# at:` header"),
        };
        let stderr = check_rejected(&relative, &expect, &at);
        settings.bind(|| insta::assert_snapshot!(name, stderr));
    }
}

#[test]
fn an_oversized_spec_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("huge.bc.yaml");
    let mut text = String::from("parasol: 1\nbounded_context:\n  name: Huge\n  description: \"");
    text.push_str(&"x".repeat(33 * 1024 * 1024));
    text.push_str("\"\n  modules: { a: {} }\n");
    std::fs::write(&spec, text).unwrap();
    let run = parasol(&["bc", "validate", "--spec", spec.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("parasol reads inputs up to 33554432 bytes"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("huge.bc.yaml:1:1"), "{}", run.stderr);
}

#[test]
fn a_broken_template_override_is_reported_at_its_own_line() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates/rust/src");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("main.rs.j2"),
        "fn main() {\n    {{ ctx.name.raw \n}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = parasol(&[
        "bc",
        "generate",
        "--spec",
        canonical_spec().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--templates",
        dir.path().join("templates").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: template `rust/src/main.rs.j2` failed"),
        "{}",
        run.stderr
    );
    // minijinja notices the unclosed `{{` at the `}` on line 3.
    assert!(
        run.stderr.contains("templates/rust/src/main.rs.j2:3:1"),
        "{}",
        run.stderr
    );
    assert!(!out.exists(), "nothing may be written");
}
