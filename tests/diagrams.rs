//! What parasol writes for other tools is checked by those tools' own
//! parsers and schemas from npm, not only by snapshots: the Mermaid that
//! `bc visualize`, `bc generate` and `setup orchestration` write (the
//! Mermaid parser, under jsdom), and the Kubernetes and Istio manifests of
//! `bc implement-communication --pattern service-mesh` (the published
//! schemas, through `kubernetes-models` and `tsc --strict`), and the JSON
//! Schema of the spec format that `parasol schema` prints (Ajv, on every
//! example).

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

/// Every example's service mesh, with the canonical one at three replicas
/// behind a host: every object passes its Kubernetes or Istio schema and
/// has no field the schema lacks.
#[test]
fn every_service_mesh_passes_the_kubernetes_and_istio_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs: Vec<(PathBuf, Vec<&str>)> = example_names()
        .iter()
        .map(|name| (example_spec(name), vec![]))
        .collect();
    runs.push((canonical_spec(), vec![]));
    runs.push((
        canonical_spec(),
        vec![
            "--replicas",
            "3",
            "--host",
            "*.example.com",
            "--namespace",
            "shop",
        ],
    ));
    let mut files = Vec::new();
    for (i, (spec, flags)) in runs.iter().enumerate() {
        let out = dir.path().join(i.to_string());
        let base = [
            "--spec",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        let pattern = ["--pattern", "service-mesh"];
        parasol(
            &[
                &["bc", "implement-communication"][..],
                &base,
                &pattern,
                flags,
            ]
            .concat(),
        )
        .ok();
        let mesh = std::fs::read_dir(out.join("rust"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        for entry in std::fs::read_dir(&mesh).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".yaml") && name != "kustomization.yaml" {
                files.push(path);
            }
        }
    }
    let mut args = vec![repo().join("tests/toolchain/k8s-check.mjs")];
    args.extend(files.iter().cloned());
    toolchain();
    let output = std::process::Command::new("node")
        .args(&args)
        .output()
        .expect("node runs");
    let run = Run::from(output);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(" 0 failed"), "{}", run.stdout);
    eprintln!("service meshes: {}", run.stdout.trim());
}

/// The JSON Schema `parasol schema` prints (for editors) accepts every spec
/// parasol accepts: the canonical example and every example, read as YAML
/// 1.2 and checked by Ajv (draft 2020-12).
#[test]
fn the_spec_schema_accepts_every_example() {
    let mut specs = vec![canonical_spec()];
    specs.extend(example_names().iter().map(|n| example_spec(n)));
    println!("{}", assert_schema_accepts(&specs).trim_end());
}
