//! The Mermaid that `bc visualize`, `bc generate` and `setup orchestration`
//! write is checked by the real Mermaid parser (the npm package, under
//! jsdom), not only by snapshots.

mod support;

use std::path::{Path, PathBuf};

use support::*;

fn mermaid_check(files: &[PathBuf]) -> Run {
    let mut args = vec![repo().join("tests/toolchain/mermaid-check.mjs")];
    args.extend(files.iter().cloned());
    let args: Vec<&str> = args.iter().map(|p| p.to_str().unwrap()).collect();
    toolchain();
    let output = std::process::Command::new("node")
        .args(&args)
        .output()
        .expect("node runs");
    Run::from(output)
}

fn visualize(spec: &Path, out: &Path) -> PathBuf {
    let file = out.join(format!(
        "{}.md",
        spec.file_stem().unwrap().to_string_lossy()
    ));
    parasol(&[
        "bc",
        "visualize",
        "--spec",
        spec.to_str().unwrap(),
        "--output",
        file.to_str().unwrap(),
    ])
    .ok();
    file
}

#[test]
fn every_generated_diagram_parses() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![visualize(&canonical_spec(), dir.path())];
    for name in example_names() {
        files.push(visualize(&example_spec(&name), dir.path()));
    }
    generate(&canonical_spec(), &dir.path().join("out"), "rust,ts");
    files.push(dir.path().join("out/rust/order-management/README.md"));
    files.push(dir.path().join("out/ts/order-management/README.md"));
    for (name, workflow) in [("keywords", "Continue"), ("ledger", "TransferFunds")] {
        let out = dir.path().join(name);
        let spec = example_spec(name);
        let flags = ["--location", "backend", "--allow-backend-saga"];
        setup_orchestration(&spec, &out, workflow, &flags).ok();
        let saga = std::fs::read_dir(out.join("rust")).unwrap().next().unwrap();
        files.push(saga.unwrap().path().join("README.md"));
    }
    let run = mermaid_check(&files);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(" 0 failed"), "{}", run.stdout);
}

#[test]
fn the_checker_rejects_a_broken_diagram() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.md");
    std::fs::write(&broken, "```mermaid\nflowchart LR\n  a[\"A\" --> b\n```\n").unwrap();
    let run = mermaid_check(&[broken]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("1 failed"), "{}", run.stdout);
}
