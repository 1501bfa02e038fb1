//! The `parasol` command line, on the real binary: validation, bundles,
//! the write/dry-run/diff/check modes of generation, and what makes
//! regeneration safe (user-owned files, edit protection, stale files,
//! containment, determinism).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::*;

fn spec_arg() -> String {
    canonical_spec().to_string_lossy().into_owned()
}

/// Replaces temporary folders in output so snapshots are stable.
fn scrub(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "<tmp>")
}

#[test]
fn the_canonical_example_validates_clean() {
    let run = parasol(&["bc", "validate", "--spec", &spec_arg()]).ok();
    assert_eq!(
        run.stdout,
        "OrderManagement is valid: 4 modules, 9 operations, 8 events, 1 workflow\n"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn diagnostics_are_available_as_json() {
    let run = parasol(&[
        "bc",
        "validate",
        "--spec",
        "tests/errors/unknown-type.bc.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["errors"], 1);
    let first = &json["diagnostics"][0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["code"], "unknown-type");
    assert_eq!(first["file"], "tests/errors/unknown-type.bc.yaml");
    assert_eq!(first["line"], 10);
    assert_eq!(first["col"], 27);
    assert_eq!(first["help"], "did you mean `string`?");
}

#[test]
fn architecture_checks_can_be_chosen_and_warnings_denied() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("s.bc.yaml");
    std::fs::write(
        &spec,
        "parasol: 1\nbounded_context:\n  name: S\n  modules:\n    a:\n      aggregates: { Thing: { fields: { n: int } } }\n  events:\n    thing.happened: { entity: Thing }\n",
    )
    .unwrap();
    let spec = spec.to_str().unwrap();
    let all = parasol(&["bc", "validate", "--spec", spec]).ok();
    assert!(
        all.stderr
            .contains("warning: event `thing.happened` is declared but no module publishes it"),
        "{}",
        all.stderr
    );
    let only_cycles = parasol(&[
        "bc",
        "validate",
        "--spec",
        spec,
        "--check",
        "circular-dependencies",
    ])
    .ok();
    assert!(
        !only_cycles.stderr.contains("warning"),
        "{}",
        only_cycles.stderr
    );
    let strict = parasol(&["bc", "validate", "--spec", spec, "--deny-warnings"]);
    assert_eq!(strict.code, 1);
}

#[test]
fn usage_errors_exit_2() {
    let run = parasol(&["bc", "frobnicate"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unrecognized subcommand"),
        "{}",
        run.stderr
    );
    let run = parasol(&["bc", "generate", "--lang", "cobol"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        parasol(&["--version"]).ok().stdout,
        format!("parasol {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bundle_resolve_prints_the_tree_and_merged_config() {
    let bundle = repo().join("../shared/examples/order-management/bundles/v5-event-driven.md");
    let dir = bundle.parent().unwrap().to_path_buf();
    let run = parasol_in(&dir, &["bundle", "resolve", "v5-event-driven.md"]).ok();
    insta::assert_snapshot!("bundle_resolve_yaml", run.stdout);
    let json = parasol_in(
        &dir,
        &[
            "bundle",
            "resolve",
            "v5-event-driven.md",
            "--format",
            "json",
        ],
    )
    .ok();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["tree"][0]["name"], "parasol-v5-event-driven");
    assert_eq!(
        value["tree"][0]["includes"][1]["includes"][0]["repeated"],
        true
    );
    assert_eq!(value["config"]["module_rules"]["forbid_cycles"], true);
    assert_eq!(value["config"]["v5_principles"][5], "no_event_sourcing");
}

#[test]
fn dry_run_lists_every_file_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = parasol(&[
        "bc",
        "generate",
        "--spec",
        &spec_arg(),
        "--out",
        out.to_str().unwrap(),
        "--dry-run",
    ])
    .ok();
    assert!(!out.exists());
    insta::assert_snapshot!("dry_run_fresh", scrub(&run.stdout, dir.path()));
}

/// Generates the canonical example into a fresh folder; returns (tempdir, out).
fn generated() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&canonical_spec(), &out, "rust,ts");
    (dir, out)
}

fn check(out: &Path) -> Run {
    parasol(&["check", "--out", out.to_str().unwrap()])
}

#[test]
fn check_is_clean_after_generate_and_reports_drift() {
    let (dir, out) = generated();
    let clean = check(&out).ok();
    assert_eq!(
        clean.stdout.lines().last(),
        Some("ok: 2 generated outputs up to date")
    );

    let lib = out.join("rust/order-management/src/lib.rs");
    let original = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(
        &lib,
        original.replace("pub mod sse;", "pub mod sse;\npub mod extra;"),
    )
    .unwrap();
    std::fs::remove_file(out.join("ts/order-management/src/sync.ts")).unwrap();
    let drift = check(&out);
    assert_eq!(drift.code, 1);
    insta::assert_snapshot!("check_drift", scrub(&drift.stdout, dir.path()));
    assert!(
        drift.stderr.contains("generated output is stale"),
        "{}",
        drift.stderr
    );

    let json = parasol(&["check", "--out", out.to_str().unwrap(), "--format", "json"]);
    assert_eq!(json.code, 1);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["ok"], false);
    let files = value["outputs"][0]["files"].as_array().unwrap();
    assert!(
        files
            .iter()
            .any(|f| f["path"] == "src/lib.rs" && f["action"] == "conflict")
    );
}

#[test]
fn bc_generate_check_mode_matches_parasol_check() {
    let (_dir, out) = generated();
    let args = [
        "bc",
        "generate",
        "--spec",
        &spec_arg(),
        "--out",
        out.to_str().unwrap(),
        "--check",
    ];
    parasol(&args).ok();
    std::fs::write(out.join("ts/order-management/src/types.ts"), "// edited\n").unwrap();
    assert_eq!(parasol(&args).code, 1);
}

#[test]
fn user_owned_files_survive_regeneration() {
    let (_dir, out) = generated();
    let ops = out.join("rust/order-management/src/modules/payment/ops.rs");
    // An edit that keeps what the generated code calls is the user's.
    let default = std::fs::read_to_string(&ops).unwrap();
    let mine = format!("{default}\n// my payment logic\n");
    std::fs::write(&ops, &mine).unwrap();
    let run = generate(&canonical_spec(), &out, "rust");
    assert!(
        run.stdout.contains("1 skipped-user-edited"),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read_to_string(&ops).unwrap(), mine);
    // Editing a user-owned file is not drift.
    check(&out).ok();
    // Deleting it brings the default back.
    std::fs::remove_file(&ops).unwrap();
    generate(&canonical_spec(), &out, "rust");
    assert_eq!(std::fs::read_to_string(&ops).unwrap(), default);
}

/// Whether a rerun takes the shortcut for unchanged inputs or renders
/// everything, a user-owned file without what the generated code calls is
/// reported, with exit 1, and left as it is.
#[test]
fn a_user_file_missing_what_the_code_calls_needs_an_edit_on_every_path() {
    let (_dir, out) = generated();
    let root = out.join("rust/order-management");
    let ops = root.join("src/modules/payment/ops.rs");
    let mine = "// my payment logic\n";
    std::fs::write(&ops, mine).unwrap();
    let needs = "needs-edit           src/modules/payment/ops.rs  (operation `payment.charge` needs `pub async fn charge(";

    let shortcut = try_generate(&canonical_spec(), &out, "rust");
    assert_eq!(shortcut.code, 1, "{}", shortcut.stdout);
    assert!(shortcut.stdout.contains(needs), "{}", shortcut.stdout);
    let checked = check(&out);
    assert_eq!(checked.code, 1, "{}", checked.stdout);
    assert!(checked.stdout.contains(needs), "{}", checked.stdout);

    // Without recorded inputs nothing can be skipped: the full pipeline.
    let manifest_path = root.join(".parasol/manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    assert!(manifest.as_object_mut().unwrap().remove("inputs").is_some());
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let full = try_generate(&canonical_spec(), &out, "rust");
    assert_eq!(full.code, 1, "{}", full.stdout);
    assert_eq!(full.stdout, shortcut.stdout);
    assert_eq!(std::fs::read_to_string(&ops).unwrap(), mine);
}

#[test]
fn an_edited_generated_file_is_never_overwritten_silently() {
    let (_dir, out) = generated();
    let events = out.join("rust/order-management/src/events.rs");
    std::fs::write(&events, "// hand edit\n").unwrap();
    let run = parasol(&[
        "bc",
        "generate",
        "--spec",
        &spec_arg(),
        "--out",
        out.to_str().unwrap(),
        "--lang",
        "rust",
    ]);
    assert_eq!(run.code, 1, "a kept conflict is reported with exit 1");
    assert!(
        run.stdout.contains(
            "conflict             src/events.rs  (edited by hand; `--force` overwrites it)"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&events).unwrap(), "// hand edit\n");
    // Other files were still brought up to date, and the edit stays visible to `check`.
    assert_eq!(check(&out).code, 1);

    let forced = parasol(&[
        "bc",
        "generate",
        "--spec",
        &spec_arg(),
        "--out",
        out.to_str().unwrap(),
        "--lang",
        "rust",
        "--force",
    ])
    .ok();
    assert!(forced.stdout.contains("forced"), "{}", forced.stdout);
    assert!(
        std::fs::read_to_string(&events)
            .unwrap()
            .contains("pub enum DomainEvent")
    );
    check(&out).ok();
}

#[test]
fn files_the_spec_no_longer_produces_are_deleted_unless_edited() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("shop.bc.yaml");
    let two_modules = "parasol: 1\nbounded_context:\n  name: Shop\n  modules:\n    catalog:\n      aggregates: { Product: { fields: { name: string } } }\n    billing:\n      aggregates: { Invoice: { fields: { total: int } } }\n    shipping:\n      aggregates: { Parcel: { fields: { weight: int } } }\n";
    std::fs::write(&spec, two_modules).unwrap();
    let out = dir.path().join("out");
    generate(&spec, &out, "rust");
    let root = out.join("rust/shop");
    assert!(root.join("src/modules/billing/service.rs").exists());
    std::fs::write(root.join("src/modules/shipping/http.rs"), "// edited\n").unwrap();
    let mut edited_ops = std::fs::read_to_string(root.join("src/modules/shipping/ops.rs")).unwrap();
    edited_ops.push_str("// my rules\n");
    std::fs::write(root.join("src/modules/shipping/ops.rs"), &edited_ops).unwrap();

    let one_module = "parasol: 1\nbounded_context:\n  name: Shop\n  modules:\n    catalog:\n      aggregates: { Product: { fields: { name: string } } }\n";
    std::fs::write(&spec, one_module).unwrap();
    let run = parasol(&[
        "bc",
        "generate",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--lang",
        "rust",
    ]);
    assert_eq!(run.code, 1, "the edited stale file is a conflict");
    // Unedited generated files of removed modules are gone.
    for file in ["mod.rs", "model.rs", "service.rs", "http.rs"] {
        assert!(
            !root.join("src/modules/billing").join(file).exists(),
            "billing/{file}"
        );
    }
    assert!(!root.join("src/modules/shipping/service.rs").exists());
    // The edited ones stay, and the report says so; a user-owned file
    // still as parasol wrote it holds nothing of the user's and goes.
    assert_eq!(
        std::fs::read_to_string(root.join("src/modules/shipping/http.rs")).unwrap(),
        "// edited\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("src/modules/shipping/ops.rs")).unwrap(),
        edited_ops
    );
    assert!(!root.join("src/modules/billing/ops.rs").exists());
    assert!(
        run.stdout
            .contains("no longer generated, but edited by hand"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("src/modules/shipping/ops.rs  (user-owned and no longer used"),
        "{}",
        run.stdout
    );
    // Said once: the next run no longer mentions it.
    let again = parasol(&[
        "bc",
        "generate",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--lang",
        "rust",
    ]);
    assert!(
        !again.stdout.contains("shipping/ops.rs"),
        "{}",
        again.stdout
    );
}

#[cfg(unix)]
#[test]
fn symlinks_inside_the_output_are_never_followed() {
    let (dir, out) = generated();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("error.rs"), "// outside\n").unwrap();
    let crate_root = out.join("rust/order-management");
    std::fs::remove_file(crate_root.join("src/error.rs")).unwrap();
    std::os::unix::fs::symlink(outside.join("error.rs"), crate_root.join("src/error.rs")).unwrap();
    // A whole folder replaced by a link to elsewhere.
    std::fs::remove_dir_all(crate_root.join("tests")).unwrap();
    std::os::unix::fs::symlink(&outside, crate_root.join("tests")).unwrap();
    let run = parasol(&[
        "bc",
        "generate",
        "--spec",
        &spec_arg(),
        "--out",
        out.to_str().unwrap(),
        "--lang",
        "rust",
        "--force",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("`src/error.rs` is a symbolic link"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("`tests` is a symbolic link"),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("error.rs")).unwrap(),
        "// outside\n"
    );
    assert_eq!(
        std::fs::read_dir(&outside).unwrap().count(),
        1,
        "nothing written outside"
    );
}

/// The context's folder is parasol's to make: one that is a symbolic link
/// (to an empty folder, say) is refused, not followed, and nothing is
/// written there. Linking the folder named with `--out` is how to write
/// elsewhere (`tests/suite/untrusted.rs`).
#[cfg(unix)]
#[test]
fn an_output_root_that_is_a_symlink_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::create_dir_all(dir.path().join("out/rust")).unwrap();
    std::os::unix::fs::symlink(&real, dir.path().join("out/rust/order-management")).unwrap();
    let run = try_generate(&canonical_spec(), &dir.path().join("out"), "rust");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("is a symbolic link"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0);
}

#[test]
fn output_is_byte_for_byte_deterministic_whatever_the_map_order() {
    let (_a, first) = generated();
    let (_b, second) = generated();
    assert_eq!(tree(&first.join("rust")), tree(&second.join("rust")));
    assert_eq!(tree(&first.join("ts")), tree(&second.join("ts")));

    // The same spec with every map written in reverse order.
    let text = std::fs::read_to_string(canonical_spec()).unwrap();
    let value: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let reversed = reverse_maps(value);
    let dir = tempfile::tempdir().unwrap();
    let examples = canonical_spec().parent().unwrap().to_path_buf();
    let spec = examples.join(".reversed-order-management.bc.yaml");
    std::fs::write(&spec, serde_yaml::to_string(&reversed).unwrap()).unwrap();
    let out = dir.path().join("out");
    let run = generate(&spec, &out, "rust,ts");
    std::fs::remove_file(&spec).unwrap();
    drop(run);
    let strip = |files: BTreeMap<String, String>| -> BTreeMap<String, String> {
        files
            .into_iter()
            .filter(|(path, _)| !path.ends_with("manifest.json"))
            .map(|(path, text)| {
                (
                    path,
                    text.replace(
                        ".reversed-order-management.bc.yaml",
                        "order-management.bc.yaml",
                    ),
                )
            })
            .collect()
    };
    assert_eq!(
        strip(tree(&first.join("rust"))),
        strip(tree(&out.join("rust")))
    );
    assert_eq!(strip(tree(&first.join("ts"))), strip(tree(&out.join("ts"))));
    for (path, text) in tree(&first) {
        assert!(
            !text.contains(&first.display().to_string()),
            "{path} holds an absolute path"
        );
    }
}

fn reverse_maps(value: serde_yaml::Value) -> serde_yaml::Value {
    match value {
        serde_yaml::Value::Mapping(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.reverse();
            serde_yaml::Value::Mapping(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, reverse_maps(v)))
                    .collect(),
            )
        }
        serde_yaml::Value::Sequence(items) => {
            serde_yaml::Value::Sequence(items.into_iter().map(reverse_maps).collect())
        }
        other => other,
    }
}

#[test]
fn a_project_file_finds_specs_by_context_name() {
    let dir = tempfile::tempdir().unwrap();
    parasol_in(dir.path(), &["init", "--name", "Bakery"]).ok();
    let validate = parasol_in(dir.path(), &["bc", "validate", "Bakery"]).ok();
    assert!(
        validate.stdout.starts_with("Bakery is valid"),
        "{}",
        validate.stdout
    );
    let misspelt = parasol_in(dir.path(), &["bc", "validate", "Bakey"]);
    assert_eq!(misspelt.code, 1);
    assert!(
        misspelt.stderr.contains("did you mean `Bakery`?"),
        "{}",
        misspelt.stderr
    );
    parasol_in(dir.path(), &["bc", "generate", "Bakery"]).ok();
    assert!(dir.path().join("generated/rust/bakery/Cargo.toml").exists());
    assert!(dir.path().join("generated/ts/bakery/package.json").exists());
    parasol_in(dir.path(), &["check"]).ok();
    let again = parasol_in(dir.path(), &["init", "--name", "Bakery"]);
    assert_eq!(again.code, 1, "init never overwrites");
}

#[test]
fn templates_can_be_listed_ejected_and_overridden() {
    let dir = tempfile::tempdir().unwrap();
    let list = parasol_in(dir.path(), &["templates", "list"]).ok();
    assert!(
        list.stdout.lines().any(|l| l == "rust/src/main.rs.j2"),
        "{}",
        list.stdout
    );
    parasol_in(
        dir.path(),
        &["templates", "eject", "rust/src/main.rs.j2", "--to", "tpl"],
    )
    .ok();
    let ejected = dir.path().join("tpl/rust/src/main.rs.j2");
    let text = std::fs::read_to_string(&ejected).unwrap();
    std::fs::write(
        &ejected,
        text.replace(
            "default_value = \"127.0.0.1:8080\"",
            "default_value = \"127.0.0.1:9090\"",
        ),
    )
    .unwrap();
    let list = parasol_in(dir.path(), &["templates", "list", "--templates", "tpl"]).ok();
    assert!(
        list.stdout
            .contains("rust/src/main.rs.j2  (overridden: tpl/rust/src/main.rs.j2)"),
        "{}",
        list.stdout
    );
    let out = dir.path().join("out");
    parasol_in(
        dir.path(),
        &[
            "bc",
            "generate",
            "--spec",
            &spec_arg(),
            "--out",
            out.to_str().unwrap(),
            "--lang",
            "rust",
            "--templates",
            "tpl",
        ],
    )
    .ok();
    let main = std::fs::read_to_string(out.join("rust/order-management/src/main.rs")).unwrap();
    assert!(main.contains("127.0.0.1:9090"));
    // The check replays with the same templates.
    parasol_in(
        dir.path(),
        &[
            "check",
            "--out",
            out.to_str().unwrap(),
            "--templates",
            "tpl",
        ],
    )
    .ok();
    let unknown = parasol_in(dir.path(), &["templates", "eject", "rust/src/mian.rs.j2"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("did you mean `rust/src/main.rs.j2`?"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn every_generated_file_starts_with_its_header() {
    let (_dir, out) = generated();
    for (path, text) in tree(&out) {
        if path.contains(".parasol/") {
            continue;
        }
        let first = text.lines().next().unwrap_or_default();
        let header = if path.ends_with("package.json") {
            text.lines().nth(1).unwrap_or_default()
        } else {
            first
        };
        assert!(
            header.contains("by parasol from order-management.bc.yaml")
                || header.contains("Generated by parasol from order-management.bc.yaml"),
            "{path} starts with {first:?}"
        );
    }
}

#[test]
fn the_schema_describes_the_spec_format() {
    let run = parasol(&["schema"]).ok();
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        schema["required"],
        serde_json::json!(["parasol", "bounded_context"])
    );
    let context = &schema["properties"]["bounded_context"]["properties"];
    for key in [
        "name",
        "modules",
        "events",
        "read_models",
        "workflows",
        "communication",
    ] {
        assert!(context.get(key).is_some(), "schema lacks `{key}`");
    }
    assert!(schema["$defs"]["module"]["properties"]["api"].is_object());
}

#[test]
fn visualize_draws_mermaid_and_dot() {
    let mermaid = parasol(&["bc", "visualize", "--spec", &spec_arg()]).ok();
    assert!(
        mermaid.stdout.starts_with(
            "# OrderManagement\n\n## Module dependencies\n\n```mermaid\nflowchart LR\n"
        )
    );
    assert!(mermaid.stdout.contains("m_order --> m_inventory"));
    let dot = parasol(&[
        "bc",
        "visualize",
        "--spec",
        &spec_arg(),
        "--format",
        "dot",
        "--show",
        "workflows",
    ])
    .ok();
    assert!(dot.stdout.starts_with("digraph \"OrderManagement\" {"));
    assert!(
        dot.stdout
            .contains("label=\"inventory.release\", style=dashed")
    );
}

/// Runs with `PARASOL_TIMINGS`, which names the stages run: an unchanged
/// output is recognised (`fresh`) without loading the spec (`parse`).
fn timed(dir: &Path, args: &[&str]) -> Run {
    parasol_with_env(dir, args, &[("PARASOL_TIMINGS", "1")])
}

#[test]
fn an_unchanged_output_is_recognised_without_rendering_and_any_change_is_not() {
    // A copy of the example, so its spec and bundles can change.
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(dir.path());
    let args = [
        "bc",
        "generate",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        "out",
    ];
    let first = timed(dir.path(), &args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("timing: parse"));
    let tree_before = tree(&dir.path().join("out"));

    let again = timed(dir.path(), &args);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("timing: fresh"), "{}", again.stderr);
    assert!(!again.stderr.contains("timing: parse"), "{}", again.stderr);
    assert_eq!(tree(&dir.path().join("out")), tree_before);
    let checked = timed(dir.path(), &["check", "--out", "out"]);
    assert_eq!(checked.code, 0, "{}", checked.stderr);

    // A bundle is an input: changing a principle regenerates.
    let bundle = dir.path().join("bundles/v5-event-driven.md");
    let text = std::fs::read_to_string(&bundle).unwrap();
    std::fs::write(&bundle, text.replace("    - crud_plus_events\n", "")).unwrap();
    let changed = timed(dir.path(), &args);
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    assert!(
        changed.stderr.contains("timing: parse"),
        "{}",
        changed.stderr
    );
    assert!(changed.stdout.contains("updated"), "{}", changed.stdout);
    assert!(timed(dir.path(), &args).stderr.contains("timing: fresh"));

    // A template override is an input too.
    let templates = dir.path().join("templates/rust");
    std::fs::create_dir_all(&templates).unwrap();
    let gitignore = parasol_in(
        dir.path(),
        &[
            "templates",
            "eject",
            "rust/gitignore.j2",
            "--to",
            "templates",
        ],
    );
    assert_eq!(
        gitignore.code, 0,
        "{}{}",
        gitignore.stdout, gitignore.stderr
    );
    let ejected = templates.join("gitignore.j2");
    let source = std::fs::read_to_string(&ejected).unwrap();
    std::fs::write(&ejected, format!("{source}/scratch\n")).unwrap();
    let mut with_templates = args.to_vec();
    with_templates.extend(["--templates", "templates"]);
    let overridden = timed(dir.path(), &with_templates);
    assert_eq!(overridden.code, 0, "{}", overridden.stderr);
    assert!(!overridden.stderr.contains("timing: fresh"));
    let ignore =
        std::fs::read_to_string(dir.path().join("out/rust/order-management/.gitignore")).unwrap();
    assert!(ignore.ends_with("/scratch\n"), "{ignore}");

    // A hand edit is never taken for fresh: it is reported as before.
    let app = dir.path().join("out/rust/order-management/src/app.rs");
    std::fs::write(&app, "// mine\n").unwrap();
    let edited = timed(dir.path(), &with_templates);
    assert_eq!(edited.code, 1);
    assert!(edited.stdout.contains("conflict"), "{}", edited.stdout);
    assert_eq!(std::fs::read_to_string(&app).unwrap(), "// mine\n");
}

/// The user's own bundle chain (seed 000 including a catalogue that does
/// not list `v5-event-driven`): the seed's V5 command is accepted, `cqrs-es`
/// stays refused under `no_event_sourcing`, and the other catalogued
/// architectures are allowed (docs/policy.md).
#[test]
fn an_included_catalogue_of_architectures_is_not_a_whitelist() {
    let fixture = repo().join("tests/fixtures/policy-chain");
    let dir = tempfile::tempdir().unwrap();
    for entry in ["order-management.bc.yaml", "bundles"] {
        let from = fixture.join(entry);
        if from.is_dir() {
            std::fs::create_dir_all(dir.path().join(entry)).unwrap();
            for file in std::fs::read_dir(&from).unwrap() {
                let file = file.unwrap();
                std::fs::copy(file.path(), dir.path().join(entry).join(file.file_name())).unwrap();
            }
        } else {
            std::fs::copy(&from, dir.path().join(entry)).unwrap();
        }
    }
    let spec = dir.path().join("order-management.bc.yaml");
    let spec_s = spec.to_str().unwrap();
    let out = dir.path().join("out");
    // The seed's own command.
    parasol(&[
        "bc",
        "generate",
        "OrderManagement",
        "--spec",
        spec_s,
        "--out",
        out.to_str().unwrap(),
        "--architecture",
        "v5-event-driven",
        "--event-style",
        "lightweight-notifications",
        "--transaction-pattern",
        "frontend-orchestration",
        "--state-management",
        "optimistic-updates",
    ])
    .ok();
    let refused = parasol(&[
        "bc",
        "generate",
        "--spec",
        spec_s,
        "--out",
        out.to_str().unwrap(),
        "--architecture",
        "cqrs-es",
        "--dry-run",
    ]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("sets `v5_principles: no_event_sourcing`")
            && refused.stderr.contains("bundles/v5-event-driven.md:17:7"),
        "{}",
        refused.stderr
    );
    let text = std::fs::read_to_string(&spec).unwrap();
    for architecture in [
        "hexagonal",
        "clean-architecture",
        "modular-monolith",
        "v5-event-driven",
    ] {
        let with = text.replace(
            "  name: OrderManagement\n",
            &format!("  name: OrderManagement\n  architecture: {architecture}\n"),
        );
        std::fs::write(&spec, with).unwrap();
        parasol(&["bc", "validate", "--spec", spec_s]).ok();
    }
    let with = text.replace(
        "  name: OrderManagement\n",
        "  name: OrderManagement\n  architecture: cqrs-es\n",
    );
    std::fs::write(&spec, with).unwrap();
    let run = parasol(&["bc", "validate", "--spec", spec_s]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("uses event sourcing"), "{}", run.stderr);
    // A catalogue that names neither V5 nor `event-driven`, with no V5 bundle: refused.
    std::fs::write(
        dir.path().join("bundles/v5-event-driven.md"),
        "---\nbundle: { name: plain, version: 1.0.0 }\nincludes: [./bc-architecture-patterns.md]\n---\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bundles/bc-architecture-patterns.md"),
        "---\nbundle: { name: catalogue, version: 1.0.0 }\nconfig: { architecture_patterns: [hexagonal] }\n---\n",
    )
    .unwrap();
    std::fs::write(
        &spec,
        text.replace(
            "  name: OrderManagement\n",
            "  name: OrderManagement\n  architecture: v5-event-driven\n",
        ),
    )
    .unwrap();
    let run = parasol(&["bc", "validate", "--spec", spec_s]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("is in no bundle's `architecture_patterns`"),
        "{}",
        run.stderr
    );
    // `ports-and-adapters` names the layout `hexagonal` generates.
    std::fs::write(
        dir.path().join("bundles/bc-architecture-patterns.md"),
        "---\nbundle: { name: catalogue, version: 1.0.0 }\nconfig: { architecture_patterns: [ports-and-adapters] }\n---\n",
    )
    .unwrap();
    for (architecture, allowed) in [("hexagonal", true), ("clean-architecture", false)] {
        let with = text.replace(
            "  name: OrderManagement\n",
            &format!("  name: OrderManagement\n  architecture: {architecture}\n"),
        );
        std::fs::write(&spec, with).unwrap();
        let run = parasol(&["bc", "validate", "--spec", spec_s]);
        assert_eq!(run.code == 0, allowed, "{architecture}: {}", run.stderr);
    }
}

/// The command line as users read it: a change to any flag or text shows
/// up in review.
#[test]
fn help_texts() {
    for (name, args) in [
        ("help_top", vec!["--help"]),
        ("help_bc_generate", vec!["bc", "generate", "--help"]),
        ("help_generate", vec!["generate", "--help"]),
    ] {
        let run = parasol_with_env(&repo(), &args, &[("COLUMNS", "100")]).ok();
        insta::assert_snapshot!(name, run.stdout);
    }
}

/// Settings outlive flags: a run with the seed's explicit V5 flags, then a
/// plain run, rewrites nothing; the flags are kept in the manifest, not in
/// file headers.
#[test]
fn a_plain_rerun_keeps_the_settings_of_the_last_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let spec = canonical_spec();
    let base = [
        "bc",
        "generate",
        "OrderManagement",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let flags = [
        "--architecture",
        "v5-event-driven",
        "--event-style",
        "lightweight-notifications",
        "--transaction-pattern",
        "frontend-orchestration",
        "--state-management",
        "server-confirmed",
    ];
    parasol(&[&base[..], &flags[..]].concat()).ok();
    let lib = std::fs::read_to_string(out.join("rust/order-management/src/lib.rs")).unwrap();
    assert!(!lib.contains("--state-management"), "{lib}");
    let plain = parasol(&base).ok();
    assert!(!plain.stdout.contains("updated"), "{}", plain.stdout);
    parasol(&[&base[..], &["--check"][..]].concat()).ok();
    let manifest =
        std::fs::read_to_string(out.join("ts/order-management/.parasol/manifest.json")).unwrap();
    assert!(manifest.contains("server-confirmed"), "{manifest}");
    // A flag given again with another value changes the setting.
    let changed =
        parasol(&[&base[..], &["--state-management", "optimistic-updates"][..]].concat()).ok();
    let manifest =
        std::fs::read_to_string(out.join("ts/order-management/.parasol/manifest.json")).unwrap();
    assert!(
        manifest.contains("optimistic-updates"),
        "{}",
        changed.stdout
    );
}

/// A workflow whose steps read nothing of its input (found by the compile
/// property: `tsc --noUnusedParameters` refused the unread `input`).
#[test]
fn a_workflow_that_reads_none_of_its_input_names_it_unused() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("s.bc.yaml");
    std::fs::write(
        &spec,
        "parasol: 1\nbounded_context:\n  name: S\n  modules:\n    desk:\n      api:\n        ping:\n          input: {}\n          output: { ok: bool }\n  workflows:\n    Probe:\n      input: {}\n      steps:\n        - name: first\n          call: desk.ping\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    generate(&spec, &out, "ts");
    let flow = std::fs::read_to_string(out.join("ts/s/src/workflows/probe.ts")).unwrap();
    assert!(
        flow.contains("export async function probe(clients: Clients, _input: ProbeInput, "),
        "{flow}"
    );
    // One that reads it keeps the name.
    let canonical = dir.path().join("canonical");
    generate(&canonical_spec(), &canonical, "ts");
    let place_order =
        std::fs::read_to_string(canonical.join("ts/order-management/src/workflows/place-order.ts"))
            .unwrap();
    assert!(
        place_order.contains(", input: PlaceOrderInput, "),
        "{place_order}"
    );
}

/// An event style or transaction pattern `bc generate` does not lay out
/// differently yet is said so, once, where it was asked for: a workflow's
/// `coordination:`, or a flag; what it does generate (every architecture)
/// passes without a word.
#[test]
fn settings_that_change_only_labels_are_warned_about() {
    let validated = parasol(&[
        "bc",
        "validate",
        "--spec",
        repo()
            .join("examples/long-names/long-names.bc.yaml")
            .to_str()
            .unwrap(),
        "--format",
        "json",
    ])
    .ok();
    let report: serde_json::Value = serde_json::from_str(&validated.stdout).unwrap();
    let warnings: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "not-generated-yet")
        .collect();
    // `architecture: hexagonal` is generated (ports and adapters).
    assert_eq!(warnings, Vec::<&serde_json::Value>::new());

    // A workflow the backend orchestrates runs in the saga `setup
    // orchestration` writes: its TypeScript function is generated, and the
    // missing saga is said, once, at the workflow's `coordination:`.
    let ledger = repo().join("examples/ledger/ledger.bc.yaml");
    let out = tempfile::tempdir().unwrap();
    let generated = bc_generate(&ledger, &out.path().join("ledger"), &["--dry-run"]).ok();
    assert!(
        !generated.stderr.contains("not generated yet")
            && generated.stderr.contains(
                "workflow `TransferFunds` runs in a backend saga (`coordination: orchestration`), and `ledger-transfer-funds-saga` is not in"
            )
            && generated.stderr.contains("ledger.bc.yaml:86:21")
            && generated.stderr.contains(
                "`parasol setup orchestration TransferFunds --location backend`"
            ),
        "{}",
        generated.stderr
    );
    assert_eq!(generated.stderr.matches("is not in").count(), 1);
    // Only the TypeScript output has the function that needs the saga.
    let rust_only = bc_generate(
        &ledger,
        &out.path().join("ledger"),
        &["--dry-run", "--lang", "rust"],
    )
    .ok();
    assert!(
        !rust_only.stderr.contains("is not in"),
        "{}",
        rust_only.stderr
    );
    // The command that writes the saga does not warn that it is not written.
    let saga = parasol(&[
        "setup",
        "orchestration",
        "TransferFunds",
        "--location",
        "backend",
        "--spec",
        ledger.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
        "--dry-run",
    ])
    .ok();
    assert!(
        !saga.stderr.contains("not generated yet"),
        "{}",
        saga.stderr
    );
    // A choreography still gets the edge coordinator, and is pointed at the
    // command that writes it.
    let permits = repo().join("examples/permits/permits.bc.yaml");
    let generated = bc_generate(&permits, &out.path().join("permits"), &["--dry-run"]).ok();
    assert!(
        generated.stderr.contains(
            "`coordination: choreography` of workflow `Inspect` is not generated yet"
        ) && generated.stderr.contains(
            "`parasol bc implement-communication --pattern saga-choreography --workflow Inspect`"
        ),
        "{}",
        generated.stderr
    );
    assert_eq!(generated.stderr.matches("not generated yet").count(), 1);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let spec = canonical_spec();
    let generate =
        |flags: &[&str]| bc_generate(&spec, &out, &[&["--dry-run"][..], flags].concat()).ok();
    let generated_flags = [
        ["--architecture", "modular-monolith"],
        ["--architecture", "hexagonal"],
        ["--architecture", "clean-architecture"],
        ["--event-style", "domain-events"],
    ];
    for flags in generated_flags {
        let quiet = generate(&flags);
        assert!(
            !quiet.stderr.contains("not generated yet"),
            "{flags:?}: {}",
            quiet.stderr
        );
    }
    // No workflow of the canonical example is coordinated by the backend.
    let warned = generate(&[
        "--transaction-pattern",
        "backend-orchestration",
        "--allow-backend-saga",
    ]);
    assert_eq!(
        warned
            .stderr
            .matches("`--transaction-pattern backend-orchestration` is not generated yet")
            .count(),
        1,
        "{}",
        warned.stderr
    );
}

/// `bc validate --format json` of `spec`, and its diagnostics with `code`:
/// message, line and column.
fn validated_with(spec: &std::path::Path, code: &str) -> (Run, Vec<(String, u64, u64)>) {
    let run = parasol(&[
        "bc",
        "validate",
        "--spec",
        spec.to_str().unwrap(),
        "--format",
        "json",
    ])
    .ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let found = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| {
            (
                d["message"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["col"].as_u64().unwrap(),
            )
        })
        .collect();
    (run, found)
}

/// A read model keyed by a field some of its events do not carry is warned
/// about at each such event: its rows for them would be keyed by another
/// record's id, written into a field named for something else. That holds
/// when no event carries the key too (`riderRef` would hold trip ids). A
/// key that names the event's aggregate, or `id`, is the entity's id and
/// is fine.
#[test]
fn a_view_keyed_by_what_an_event_does_not_carry_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("rides.bc.yaml");
    std::fs::write(
        &spec,
        "parasol: 1
bounded_context:
  name: Rides
  modules:
    trips:
      aggregates:
        Driver: { fields: { zone: string } }
        Trip: { fields: { rider: string } }
      publishes: [driver.joined, trip.requested]
  events:
    driver.joined: { entity: Driver, metadata: { zone: string } }
    trip.requested: { entity: Trip, metadata: { rider: string } }
  read_models:
    ZoneDemand:
      key: zone
      fields: { zone: string, waiting: int }
      on: [driver.joined, trip.requested]
    DriverLog:
      key: driverId
      fields: { driverId: Driver, zone: string? }
      on: [driver.joined]
    ByRider:
      key: riderRef
      fields: { riderRef: string }
      on: [trip.requested]
    TripLog:
      key: id
      fields: { id: string, rider: string }
      on: [trip.requested]
",
    )
    .unwrap();
    let (run, warned) = validated_with(&spec, "view-keyed-by-entity");
    assert_eq!(warned.len(), 2, "{}", run.stdout);
    assert!(
        warned[0]
            .0
            .contains("`ZoneDemand` is keyed by `zone`, which `trip.requested` does not carry"),
        "{}",
        run.stdout
    );
    assert_eq!((warned[0].1, warned[0].2), (17, 27), "{}", run.stdout);
    assert!(
        warned[1].0.contains(
            "`ByRider` is keyed by `riderRef`, which `trip.requested` does not carry: its rows for that event are keyed by the `Trip` id instead"
        ),
        "{}",
        run.stdout
    );
    assert_eq!((warned[1].1, warned[1].2), (25, 12), "{}", run.stdout);
    assert!(
        run.stdout.contains("key the view by `tripId`"),
        "{}",
        run.stdout
    );
}

/// A name listed twice in one list is warned about at the second, and
/// generated once: two projections or error variants of one name would not
/// compile.
#[test]
fn a_name_listed_twice_is_warned_about_and_generated_once() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("odd.bc.yaml");
    std::fs::write(
        &spec,
        "parasol: 1
bounded_context:
  name: Odd
  modules:
    things:
      aggregates:
        Thing: { fields: { count: int } }
      api:
        bump:
          input: { thingId: Thing }
          emits: [thing.bumped, thing.bumped]
          errors: [thing_not_found, thing_not_found]
  events:
    thing.bumped: { entity: Thing, metadata: { count: int } }
  read_models:
    Counts:
      key: thingId
      fields: { thingId: Thing, count: int }
      on: [thing.bumped, thing.bumped]
",
    )
    .unwrap();
    let (run, warned) = validated_with(&spec, "listed-twice");
    let at: Vec<(u64, u64)> = warned.iter().map(|w| (w.1, w.2)).collect();
    assert_eq!(at, [(11, 33), (12, 37), (19, 26)], "{}", run.stdout);
    let out = dir.path().join("out");
    bc_generate(&spec, &out, &[]).ok();
    let projections = std::fs::read_to_string(out.join("rust/odd/src/projections.rs")).unwrap();
    assert_eq!(
        projections
            .matches("pub fn counts_on_thing_bumped(")
            .count(),
        1,
        "{projections}"
    );
}

/// Generates a copy of the canonical example, makes the user-owned `file`
/// the user's by an edit that keeps its default (which holds `kept`),
/// replaces `from` with `to` in the spec and regenerates: exit 1, naming
/// the file and each of `needs`.
fn a_spec_edit_asks_to_fix(file: &str, kept: &str, from: &str, to: &str, needs: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(dir.path());
    let out = dir.path().join("out");
    generate(&spec, &out, "rust");
    let path = out.join("rust/order-management").join(file);
    let default = std::fs::read_to_string(&path).unwrap();
    assert!(default.contains(kept), "{default}");
    std::fs::write(&path, format!("// mine\n{default}")).unwrap();

    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(&spec, text.replace(from, to)).unwrap();
    let run = try_generate(&spec, &out, "rust");
    assert_eq!(run.code, 1, "{}", run.stdout);
    let named = format!("needs-edit           {file}  (");
    assert!(run.stdout.contains(&named), "{named}\n{}", run.stdout);
    for need in needs {
        assert!(run.stdout.contains(need), "{need}\n{}", run.stdout);
    }
}

/// A user's copy of a stock body (counts kept on another aggregate's
/// records) still naming a count the spec renamed is reported, so the
/// user is told which file to fix rather than finding the build broken.
#[test]
fn a_kept_stock_body_naming_a_renamed_count_needs_an_edit() {
    // `reserved` becomes `allocated`: the default bodies now hold that.
    a_spec_edit_asks_to_fix(
        "src/modules/inventory/ops.rs",
        "s.reserved",
        "            reserved: int\n",
        "            allocated: int\n",
        &[
            "operation `inventory.reserve`: `s.reserved` no longer exists",
            "operation `inventory.release`: `s.reserved` no longer exists",
        ],
    );
}

/// A user's copy of a default body that builds an event (or an output)
/// with a field the spec renamed is reported with the field to remove and
/// the one to set, rather than left to fail the build.
#[test]
fn a_kept_event_literal_naming_a_renamed_field_needs_an_edit() {
    a_spec_edit_asks_to_fix(
        "src/modules/payment/ops.rs",
        "PaymentProcessed {",
        "metadata: { orderId: string, amount: int }",
        "metadata: { orderId: string, charged: int }",
        &[
            "operation `payment.charge`: `PaymentProcessed` no longer has `amount`: remove it",
            "operation `payment.charge`: `PaymentProcessed` now has `charged`: set it",
        ],
    );
}

/// A user's copy of the operation tests still reading an output the spec
/// renamed (the reservation id a test hands to the release) is reported.
#[test]
fn a_kept_test_reading_a_renamed_output_needs_an_edit() {
    a_spec_edit_asks_to_fix(
        "tests/ops.rs",
        "json!(output.reservation_id)",
        "reservationId",
        "holdId",
        &["the test of operation `inventory.reserve`: `output.reservation_id` no longer exists"],
    );
}

/// A user's projection still reading an event field the spec renamed is
/// reported, kept default or the user's own line alike.
#[test]
fn a_kept_projection_reading_a_renamed_event_field_needs_an_edit() {
    a_spec_edit_asks_to_fix(
        "src/projections.rs",
        "view.customer_id = event.customer_id",
        "metadata: { customerId: string, total: int }",
        "metadata: { buyerId: string, total: int }",
        &["read model `OrderSummaryView` on `order.placed`: `event.customer_id` no longer exists"],
    );
}

/// A handler the user wrote that reads a field of its event is reported
/// once the spec renames the field, rather than left to fail the build.
#[test]
fn a_handler_reading_a_renamed_event_field_needs_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(dir.path());
    let out = dir.path().join("out");
    generate(&spec, &out, "rust");
    let path = out.join("rust/order-management/src/modules/inventory/handlers.rs");
    let default = std::fs::read_to_string(&path).unwrap();
    let mine = default
        .replace("_event: &OrderCancelled", "event: &OrderCancelled")
        .replace(
            "    Ok(())\n",
            "    tracing::info!(reason = ?event.reason, \"cancelled\");\n    Ok(())\n",
        );
    assert!(
        mine.contains("event.reason") && mine.contains("event: &OrderCancelled"),
        "{default}"
    );
    std::fs::write(&path, mine).unwrap();

    let text = std::fs::read_to_string(&spec).unwrap();
    let from = "metadata: { reason: string? }\n    order.status_changed";
    assert!(text.contains(from));
    std::fs::write(
        &spec,
        text.replace(from, "metadata: { why: string? }\n    order.status_changed"),
    )
    .unwrap();
    let run = try_generate(&spec, &out, "rust");
    assert_eq!(run.code, 1, "{}", run.stdout);
    let want = "needs-edit           src/modules/inventory/handlers.rs  (the subscription of `inventory` to `order.cancelled`: `event.reason` no longer exists)";
    assert!(run.stdout.contains(want), "{}", run.stdout);
}

/// The user's copy of `tests/ops.rs` reaches each operation through its
/// module (`app.payment()`, `modules::payment::ChargeInput`): once the spec
/// renames the module it is reported, although an operation of the same
/// name is still there, rather than left to fail the build.
#[test]
fn operation_tests_of_a_renamed_module_need_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(dir.path());
    let out = dir.path().join("out");
    generate(&spec, &out, "rust");
    let path = out.join("rust/order-management/tests/ops.rs");
    let default = std::fs::read_to_string(&path).unwrap();
    assert!(
        default.contains("app.payment()") && default.contains("modules::payment::ChargeInput"),
        "{default}"
    );
    std::fs::write(&path, format!("// mine\n{default}")).unwrap();

    let text = std::fs::read_to_string(&spec).unwrap();
    let renamed = text
        .replace("    payment:\n", "    billing:\n")
        .replace("[inventory, payment]", "[inventory, billing]")
        .replace("call: payment.charge", "call: billing.charge")
        .replace("compensate: payment.refund", "compensate: billing.refund");
    assert_eq!(renamed.matches("billing").count(), 4);
    std::fs::write(&spec, renamed).unwrap();
    let run = try_generate(&spec, &out, "rust");
    assert_eq!(run.code, 1, "{}", run.stdout);
    for want in [
        "needs-edit           tests/ops.rs  (the test of operation `payment.charge` is no longer in the spec: remove `app.payment()`",
        "the test of operation `payment.refund` is no longer in the spec: remove `app.payment()`",
    ] {
        assert!(run.stdout.contains(want), "{want}\n{}", run.stdout);
    }
}

/// A kept default line setting a state the spec no longer has a type for
/// (`status` from an enum to text) is reported: the default no longer
/// writes it, and the old line no longer builds.
#[test]
fn a_kept_state_line_whose_field_changed_type_needs_an_edit() {
    a_spec_edit_asks_to_fix(
        "src/modules/payment/ops.rs",
        "entity.status = PaymentStatus::Refunded;",
        "status: { enum: [pending, captured, refunded, failed] }",
        "status: string",
        &[
            "operation `payment.refund`: `entity.status = PaymentStatus::Refunded` no longer fits the spec (a type changed)",
        ],
    );
}

/// A kept `if let Some(value) = input.holder.clone() { .. }` (the default
/// for an optional input) is reported once the input is required: the
/// block no longer builds, and the default now sets the field outright.
#[test]
fn a_kept_block_for_an_optional_input_made_required_needs_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("desk.bc.yaml");
    let text = "parasol: 1
bounded_context:
  name: Desk
  modules:
    passes:
      aggregates:
        Pass: { fields: { holder: string, zone: int } }
      api:
        updateHolder:
          input: { passId: uuid, holder: string? }
";
    std::fs::write(&spec, text).unwrap();
    let out = dir.path().join("out");
    generate(&spec, &out, "rust");
    let path = out.join("rust/desk/src/modules/passes/ops.rs");
    let default = std::fs::read_to_string(&path).unwrap();
    assert!(
        default.contains("if let Some(value) = input.holder.clone() {"),
        "{default}"
    );
    std::fs::write(&path, format!("// mine\n{default}")).unwrap();

    std::fs::write(&spec, text.replace("holder: string? }", "holder: string }")).unwrap();
    let run = try_generate(&spec, &out, "rust");
    assert_eq!(run.code, 1, "{}", run.stdout);
    let want = "needs-edit           src/modules/passes/ops.rs  (operation `passes.updateHolder`: `if let Some(value) = input.holder.clone() { entity.holder = value; }` no longer fits the spec (a type changed): the default now writes `entity.holder = input.holder.clone()`)";
    assert!(run.stdout.contains(want), "{}", run.stdout);
}

/// A kept default projection line copying an event field whose type the
/// spec changed is reported with the line the default now writes.
#[test]
fn a_kept_projection_copying_a_retyped_event_field_needs_an_edit() {
    a_spec_edit_asks_to_fix(
        "src/projections.rs",
        "view.customer_id = event.customer_id.clone()",
        "metadata: { customerId: string, total: int }",
        "metadata: { customerId: uuid, total: int }",
        &[
            "read model `OrderSummaryView` on `order.placed`: `view.customer_id = event.customer_id.clone()` no longer fits the spec (a type changed): the default now writes `view.customer_id = event.customer_id.to_string()`",
        ],
    );
}

/// A kept default line whose two ends are still there but whose types no
/// longer meet (the default stopped writing it) is reported: a view field
/// retyped under a projection, an input retyped under an update.
#[test]
fn a_kept_line_the_default_no_longer_writes_needs_an_edit() {
    a_spec_edit_asks_to_fix(
        "src/projections.rs",
        "view.customer_id = event.customer_id.clone()",
        "fields: { orderId: string, customerId: string,",
        "fields: { orderId: string, customerId: int,",
        &[
            "read model `OrderSummaryView` on `order.placed`: `view.customer_id = event.customer_id.clone()` no longer fits the spec (a type changed): the default no longer sets `view.customer_id` from `event.customer_id`",
        ],
    );
    a_spec_edit_asks_to_fix(
        "src/modules/catalog/ops.rs",
        "entity.price = input.new_price",
        "input: { productId: Product, newPrice: int, reason: string? }",
        "input: { productId: Product, newPrice: bool, reason: string? }",
        &[
            "operation `catalog.updatePrice`: `entity.price = input.new_price` no longer fits the spec (a type changed): the default no longer sets `entity.price` from `input.new_price`",
        ],
    );
}
