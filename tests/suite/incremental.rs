//! Incremental regeneration (`src/incremental.rs`): after a spec edit only
//! the files whose inputs changed are rendered, and the result is exactly
//! what a run from scratch writes. `PARASOL_TIMINGS` reports how many files
//! each plan rendered; the property test in `regeneration.rs` compares
//! every clean regeneration with a run from scratch.

use std::path::{Path, PathBuf};

use crate::support::*;

/// `(rendered, planned)` of each plan of a `bc generate` run, Rust first.
fn rendered(dir: &Path, args: &[&str]) -> (Run, Vec<(usize, usize)>) {
    let run = parasol_with_env(dir, args, &[("PARASOL_TIMINGS", "1")]);
    let counts = run
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("timing: rendered "))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            (words[0].parse().unwrap(), words[2].parse().unwrap())
        })
        .collect();
    (run, counts)
}

/// A folder with a copy of the canonical example (`spec/`) and where it
/// generates to (`out/`), and the `bc generate` arguments for them.
struct Project {
    dir: tempfile::TempDir,
    spec: PathBuf,
    out: PathBuf,
}

impl Project {
    fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        let spec = canonical_copy(&dir.path().join("spec"));
        let out = dir.path().join("out");
        Project { dir, spec, out }
    }

    /// The folder, the spec, the output and the `bc generate` arguments.
    fn parts(&self) -> (&Path, &Path, &Path, Vec<&str>) {
        let args = vec![
            "bc",
            "generate",
            "--spec",
            self.spec.to_str().unwrap(),
            "--out",
            self.out.to_str().unwrap(),
        ];
        (self.dir.path(), &self.spec, &self.out, args)
    }
}

/// Adds an optional `sku` to the catalog's `Product` (the first module).
fn add_a_field(spec: &Path) {
    let (after, field) = (
        "            discontinued: bool\n",
        "            sku: string?\n",
    );
    let text = std::fs::read_to_string(spec).unwrap();
    assert!(
        text.contains(after),
        "{after:?} is not in {}",
        spec.display()
    );
    std::fs::write(spec, text.replacen(after, &format!("{after}{field}"), 1)).unwrap();
}

#[test]
fn a_field_added_to_one_module_renders_only_what_reads_it() {
    let project = Project::new();
    let (dir, spec, out, args) = project.parts();
    let (first, counts) = rendered(dir, &args);
    first.ok();
    assert!(counts.iter().all(|(n, of)| n == of), "{counts:?}");

    add_a_field(spec);
    let (run, counts) = rendered(dir, &args);
    let run = run.ok();
    let [(rust, rust_all), (ts, ts_all)] = counts[..] else {
        panic!("two plans: {counts:?}");
    };
    // The catalog module's files and the context-wide files that list
    // every module; the other modules' files are kept.
    assert!(rust < rust_all / 2 && ts < ts_all / 2, "{counts:?}");
    assert!(
        run.stdout.contains("src/modules/catalog/model.rs"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("src/modules/inventory/"),
        "{}",
        run.stdout
    );

    // Of the files with a part per module, only the catalog's part is
    // rendered; the other three are copied from the file.
    for file in [
        "tests/service/http.rs",
        "tests/service/crud_and_faults.rs",
        "tests/ops.rs",
        "src/stores.ts",
    ] {
        assert!(
            run.stderr
                .contains(&format!("timing: {file}: rendered 1 of 4 parts")),
            "{file}: {}",
            run.stderr
        );
    }

    // What the run was about to write was recorded beside the manifest
    // and removed once the manifest was written after it.
    let intents: Vec<_> = walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "intent.json")
        .collect();
    assert!(intents.is_empty(), "left behind: {intents:?}");

    // The same files a run from scratch writes (headers name the spec
    // relative to the output, so the scratch output sits beside it).
    let scratch = dir.join("scratch");
    generate(spec, &scratch, "rust,ts");
    assert_eq!(output_tree(out), output_tree(&scratch));

    // Nothing changed since: nothing is rendered or written.
    let (again, _) = rendered(dir, &args);
    let again = again.ok();
    assert!(!again.stdout.contains("updated"), "{}", again.stdout);
}

/// A template override may place the parts as it likes (here: in reverse,
/// inside a filter block); where they went cannot then be told, so none is
/// recorded and an edit renders them all. The output is still exactly a
/// run from scratch's.
#[test]
fn parts_placed_out_of_order_are_rendered_and_never_copied() {
    let project = Project::new();
    let (dir, spec, out, mut args) = project.parts();
    let templates = dir.join("templates");
    let frame = templates.join("rust/tests/service/http.rs.j2");
    std::fs::create_dir_all(frame.parent().unwrap()).unwrap();
    std::fs::write(
        &frame,
        "// every module, last first\n{% filter upper %}{% for m in ctx.modules | reverse %}{{ part(ctx.modules | length - loop.index) }}{% endfor %}{% endfilter %}\n",
    )
    .unwrap();
    let templates_arg = templates.to_str().unwrap().to_string();
    args.extend(["--templates", &templates_arg]);
    parasol_in(dir, &args).ok();
    let manifest =
        std::fs::read_to_string(out.join("rust/order-management/.parasol/manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert!(
        manifest["inputs"]["parts"]
            .get("tests/service/http.rs")
            .is_none(),
        "{manifest:#}"
    );
    assert!(manifest["inputs"]["parts"].get("tests/ops.rs").is_some());

    add_a_field(spec);
    let (run, _) = rendered(dir, &args);
    run.ok();
    let scratch = dir.join("scratch");
    let mut scratch_args = args.clone();
    let out_at = scratch_args.iter().position(|a| *a == "--out").unwrap() + 1;
    let scratch_arg = scratch.to_str().unwrap().to_string();
    scratch_args[out_at] = &scratch_arg;
    parasol_in(dir, &scratch_args).ok();
    assert_eq!(output_tree(out), output_tree(&scratch));
    let http =
        std::fs::read_to_string(out.join("rust/order-management/tests/service/http.rs")).unwrap();
    assert!(http.contains("ASYNC FN ROUTES_PRODUCTS()"), "{http}");
}

#[test]
fn a_kept_file_edited_by_hand_is_still_a_conflict() {
    let project = Project::new();
    let (dir, spec, out, args) = project.parts();
    parasol_in(dir, &args).ok();
    // A file the next edit does not touch, edited by hand.
    let model = out.join("rust/order-management/src/modules/inventory/model.rs");
    let mut text = std::fs::read_to_string(&model).unwrap();
    text.push_str("// hand edit\n");
    std::fs::write(&model, &text).unwrap();

    add_a_field(spec);
    let (run, _) = rendered(dir, &args);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("conflict") && l.contains("inventory/model.rs")),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read_to_string(&model).unwrap(), text);
    // `--force` renders it again: back to what the spec says.
    let mut forced = args.clone();
    forced.push("--force");
    parasol_in(dir, &forced).ok();
    assert!(
        !std::fs::read_to_string(&model)
            .unwrap()
            .contains("hand edit")
    );
}

#[test]
fn a_changed_template_renders_every_file_again() {
    let project = Project::new();
    let (dir, _, out, args) = project.parts();
    parasol_in(dir, &args).ok();

    let templates = dir.join("templates");
    let id = "rust/src/error.rs.j2";
    std::fs::create_dir_all(templates.join(id).parent().unwrap()).unwrap();
    let builtin = std::fs::read_to_string(repo().join("templates").join(id)).unwrap();
    std::fs::write(templates.join(id), format!("{builtin}// house style\n")).unwrap();
    let mut with_templates = args.clone();
    with_templates.extend(["--templates", templates.to_str().unwrap()]);
    let (run, counts) = rendered(dir, &with_templates);
    run.ok();
    assert!(counts.iter().all(|(n, of)| n == of), "{counts:?}");
    let error_rs = out.join("rust/order-management/src/error.rs");
    assert!(
        std::fs::read_to_string(error_rs)
            .unwrap()
            .ends_with("// house style\n")
    );
}
