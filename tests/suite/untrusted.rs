//! The output folder and the inputs are untrusted, and parasol behaves as
//! a Unix tool should (issue 10). Each test here failed before the fix:
//! a manifest naming files outside the output folder, a linked `.parasol`,
//! concurrent runs, runs killed mid-way, templates that never end,
//! includes of files outside the project, closed pipes, and misleading
//! messages. All on the real binary.
//!
//! `PARASOL_KILL_CASES` sets how many killed runs the property test tries
//! (default 16); `PARASOL_KILL_SEED` repeats a run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// The canonical spec with a field and an operation more.
fn changed_spec_text() -> String {
    let text = std::fs::read_to_string(canonical_spec()).unwrap();
    let changed = text.replacen(
        "            discontinued: bool\n",
        "            discontinued: bool\n            sku: string?\n",
        1,
    );
    let changed = changed.replacen(
        "        release:\n",
        "        recount:\n          input: { productId: Product }\n          output: { onHand: int }\n        release:\n",
        1,
    );
    assert_ne!(changed, text);
    changed
}

fn temp_files(dir: &Path) -> Vec<String> {
    files_under(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".parasol-tmp"))
        .map(|p| p.display().to_string())
        .collect()
}

fn generate_args<'a>(spec: &'a str, out: &'a str) -> Vec<&'a str> {
    vec!["bc", "generate", "--spec", spec, "--out", out]
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    parasol_in(dir, args)
}

/// A copy of the canonical spec in a temporary folder, generated into its
/// `out/`: the folder, the spec and the output.
fn generated_canonical() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(&dir.path().join("spec"));
    let out = dir.path().join("out");
    let (spec_s, out_s) = (spec.to_str().unwrap(), out.to_str().unwrap());
    run_in(dir.path(), &generate_args(spec_s, out_s)).ok();
    (dir, spec, out)
}

fn manifest_path(out: &Path) -> PathBuf {
    out.join("rust/order-management/.parasol/manifest.json")
}

/// Rewrites the Rust output's manifest with `edit`.
fn edit_manifest(out: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = manifest_path(out);
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

#[test]
fn an_unsafe_manifest_in_one_output_leaves_the_others_without_so_much_as_a_lock_file() {
    let (dir, spec, out) = generated_canonical();
    let (spec_s, out_s) = (spec.to_str().unwrap(), out.to_str().unwrap());
    // The Rust output as a clone brings it (the lock is not in version
    // control); the TypeScript one, opened after it, with a bad entry.
    let state = out.join("rust/order-management/.parasol");
    std::fs::remove_file(state.join("lock")).unwrap();
    std::fs::remove_file(state.join(".gitignore")).unwrap();
    let ts_manifest = out.join("ts/order-management/.parasol/manifest.json");
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ts_manifest).unwrap()).unwrap();
    value["files"]["../outside.ts"] = serde_json::json!({ "owner": "generated" });
    std::fs::write(&ts_manifest, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    std::fs::write(&spec, changed_spec_text()).unwrap();
    let before = tree_hashes(&out);
    let run = run_in(dir.path(), &generate_args(spec_s, out_s));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("../outside.ts"), "{}", run.stderr);
    assert_eq!(tree_hashes(&out), before, "nothing in any output changed");
    assert!(!state.join("lock").exists(), "no lock file created");
}

#[test]
fn a_manifest_naming_files_outside_the_output_folder_is_refused_and_nothing_is_touched() {
    let (dir, spec, out) = generated_canonical();
    let (spec_s, out_s) = (spec.to_str().unwrap(), out.to_str().unwrap());
    // A file beside the project, and a manifest entry whose hash matches it.
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let hash = parasol::manifest::sha256(b"precious\n");
    for traversal in ["../../../victim.txt", "/tmp/../../victim.txt"] {
        edit_manifest(&out, |m| {
            m["files"][traversal] = serde_json::json!({ "owner": "generated", "sha256": hash });
        });
        let before = tree_hashes(&out);
        for force in [false, true] {
            let mut args = generate_args(spec_s, out_s);
            // Changed spec: the run would delete and update files if it went on.
            std::fs::write(&spec, changed_spec_text()).unwrap();
            if force {
                args.push("--force");
            }
            let run = run_in(dir.path(), &args);
            assert_eq!(run.code, 1, "{traversal} force={force}: {}", run.stderr);
            assert!(
                run.stderr.contains("the manifest names") && run.stderr.contains(traversal),
                "{}",
                run.stderr
            );
            // Located at the entry's line in the manifest.
            let line = std::fs::read_to_string(manifest_path(&out))
                .unwrap()
                .lines()
                .position(|l| l.contains(&serde_json::to_string(traversal).unwrap()))
                .unwrap()
                + 1;
            assert!(
                run.stderr
                    .contains(&format!(".parasol/manifest.json:{line}:")),
                "{}",
                run.stderr
            );
            assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
            assert_eq!(
                tree_hashes(&out),
                before,
                "nothing in the output folder changed"
            );
            // `check` refuses it too, before reading anything it names.
            let check = run_in(dir.path(), &["check", "--out", out_s]);
            assert_eq!(check.code, 1);
            assert!(
                check.stderr.contains("the manifest names"),
                "{}",
                check.stderr
            );
            std::fs::write(&spec, std::fs::read(canonical_spec()).unwrap()).unwrap();
        }
        edit_manifest(&out, |m| {
            m["files"].as_object_mut().unwrap().remove(traversal);
        });
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[test]
fn a_manifest_naming_a_non_spec_is_never_read_by_check() {
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(&dir.path().join("spec"));
    let out = dir.path().join("out");
    run_in(
        dir.path(),
        &generate_args(spec.to_str().unwrap(), out.to_str().unwrap()),
    )
    .ok();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "TOPSECRET: do not print\n").unwrap();
    edit_manifest(&out, |m| {
        m["spec"] = serde_json::json!("../../../secret.txt");
        m.as_object_mut().unwrap().remove("inputs");
    });
    let check = run_in(dir.path(), &["check", "--out", out.to_str().unwrap()]);
    assert_eq!(check.code, 1);
    assert!(!check.stderr.contains("TOPSECRET"), "{}", check.stderr);
    assert!(
        check.stderr.contains("not a `*.bc.yaml` file"),
        "{}",
        check.stderr
    );
}

/// Whoever can edit a generated file can also write its hash into the
/// manifest. `check` (what CI runs) and `--force` believe none of it; a
/// plain write and `check --quick` do, as documented.
#[test]
fn a_generated_file_edited_with_its_recorded_hash_fails_check_and_force_restores_it() {
    let (dir, spec, out) = generated_canonical();
    let (spec, out_arg) = (spec.to_str().unwrap(), out.to_str().unwrap());
    let events = out.join("rust/order-management/src/events.rs");
    let generated = std::fs::read_to_string(&events).unwrap();
    let injected = format!("{generated}pub fn backdoor() {{}}\n");
    std::fs::write(&events, &injected).unwrap();
    let forged = parasol::manifest::sha256(injected.as_bytes());
    edit_manifest(&out, |m| {
        m["files"]["src/events.rs"]["sha256"] = forged.into()
    });

    let check = run_in(dir.path(), &["check", "--out", out_arg]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    assert!(
        check.stdout.contains("stale                src/events.rs"),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("-pub fn backdoor() {}"),
        "{}",
        check.stdout
    );
    let mut generate_check = generate_args(spec, out_arg);
    generate_check.push("--check");
    assert_eq!(run_in(dir.path(), &generate_check).code, 1);
    let quick = run_in(dir.path(), &["check", "--quick", "--out", out_arg]);
    assert_eq!(
        quick.code, 0,
        "--quick believes the manifest: {}",
        quick.stdout
    );
    assert_eq!(std::fs::read_to_string(&events).unwrap(), injected);

    let mut force = generate_args(spec, out_arg);
    force.push("--force");
    let forced = run_in(dir.path(), &force).ok();
    assert!(forced.stdout.contains("src/events.rs"), "{}", forced.stdout);
    assert_eq!(std::fs::read_to_string(&events).unwrap(), generated);
    run_in(dir.path(), &["check", "--out", out_arg]).ok();
}

#[cfg(unix)]
#[test]
fn a_linked_state_folder_is_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(&dir.path().join("spec"));
    let out = dir.path().join("out");
    let root = out.join("rust/order-management");
    std::fs::create_dir_all(&root).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("manifest.json"), "someone else's\n").unwrap();
    std::os::unix::fs::symlink(&elsewhere, root.join(".parasol")).unwrap();
    let run = run_in(
        dir.path(),
        &[
            "bc",
            "generate",
            "--spec",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--lang",
            "rust",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("manifest.json")).unwrap(),
        "someone else's\n"
    );
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        1,
        "no lock or temporary file was made through the link"
    );
    // Only the link itself is in the output folder: nothing was generated.
    assert_eq!(std::fs::read_dir(&root).unwrap().count(), 1);
}

/// The folders parasol adds below `--out` (`rust/`, the context's folder,
/// a generator's folder beside it) are its own: a link planted at one,
/// pointing outside, stops the run before anything is written anywhere,
/// with or without `--force`. The folder the user names may be a link.
#[cfg(unix)]
#[test]
fn a_linked_context_or_language_folder_is_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(&dir.path().join("spec"));
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let generate_into = |out: &Path, flags: &[&str]| {
        let base = [
            "bc",
            "generate",
            "--spec",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        run_in(dir.path(), &[&base[..], flags].concat())
    };
    for (case, link) in [
        ("context", "rust/order-management"),
        ("language", "rust"),
        ("typescript context", "ts/order-management"),
    ] {
        let out = dir.path().join(format!("out-{}", case.replace(' ', "-")));
        let link_path = out.join(link);
        std::fs::create_dir_all(link_path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &link_path).unwrap();
        for flags in [&[][..], &["--force"][..]] {
            let run = generate_into(&out, flags);
            assert_eq!(run.code, 1, "{case} {flags:?}: {}", run.stderr);
            assert!(
                run.stderr.contains(&format!(
                    "`{}` is a symbolic link",
                    link_path.strip_prefix(dir.path()).unwrap().display()
                )),
                "{case}: {}",
                run.stderr
            );
            assert_eq!(
                std::fs::read_dir(&elsewhere).unwrap().count(),
                0,
                "{case}: nothing written through the link"
            );
            // Nothing written anywhere: the other language's folder neither.
            let written: Vec<PathBuf> = files_under(&out)
                .into_iter()
                .filter(|p| p != &link_path)
                .collect();
            assert!(written.is_empty(), "{case}: {written:?}");
        }
    }
    // `--out` itself may be a link: the run writes where it points.
    let target = dir.path().join("target-folder");
    std::fs::create_dir_all(&target).unwrap();
    let named = dir.path().join("named");
    std::os::unix::fs::symlink(&target, &named).unwrap();
    generate_into(&named, &["--lang", "rust"]).ok();
    assert!(target.join("rust/order-management/Cargo.toml").is_file());
    // Then a plain run recognises the tree, through the named link.
    let again = generate_into(&named, &["--lang", "rust"]).ok();
    assert!(again.stdout.contains("unchanged"), "{}", again.stdout);
    assert!(!again.stdout.contains("created"), "{}", again.stdout);
}

#[test]
fn concurrent_runs_into_one_folder_leave_it_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let spec_a = canonical_copy(&dir.path().join("spec"));
    let spec_b = spec_a.with_file_name("changed.bc.yaml");
    std::fs::write(&spec_b, changed_spec_text()).unwrap();
    let spawn = |spec: &Path, out: &Path| {
        Command::new(env!("CARGO_BIN_EXE_parasol"))
            .args(generate_args(spec.to_str().unwrap(), out.to_str().unwrap()))
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // 20 pairs with one spec, 10 with two specs of the same context.
    let pairs: Vec<(&Path, &Path)> = (0..20)
        .map(|_| (spec_a.as_path(), spec_a.as_path()))
        .chain((0..10).map(|_| (spec_a.as_path(), spec_b.as_path())))
        .collect();
    for (i, (first, second)) in pairs.into_iter().enumerate() {
        let out = dir.path().join(format!("out{i}"));
        let a = spawn(first, &out);
        let b = spawn(second, &out);
        for child in [a, b] {
            let run = Run::from(child.wait_with_output().unwrap());
            assert_eq!(run.code, 0, "pair {i}: {}\n{}", run.stdout, run.stderr);
        }
        assert_eq!(temp_files(&out), Vec::<String>::new(), "pair {i}");
        let check = run_in(dir.path(), &["check", "--out", out.to_str().unwrap()]);
        assert_eq!(
            check.code, 0,
            "pair {i}: {}\n{}",
            check.stdout, check.stderr
        );
    }
}

/// A small seeded generator, so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn a_killed_regeneration_never_leaves_a_false_conflict_a_lost_edit_or_a_temp_file() {
    let cases: u64 = std::env::var("PARASOL_KILL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let seed: u64 = std::env::var("PARASOL_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("kill test: PARASOL_KILL_SEED={seed} PARASOL_KILL_CASES={cases}");
    let mut rng = Rng(seed);
    let original = std::fs::read_to_string(canonical_spec()).unwrap();
    let changed = changed_spec_text();
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(&dir.path().join("spec"));
    let spec_s = spec.to_str().unwrap().to_string();
    // How long a full regeneration takes here: kills land anywhere in it.
    let timing_out = dir.path().join("timing");
    let started = Instant::now();
    run_in(
        dir.path(),
        &generate_args(&spec_s, timing_out.to_str().unwrap()),
    )
    .ok();
    std::fs::write(&spec, &changed).unwrap();
    run_in(
        dir.path(),
        &generate_args(&spec_s, timing_out.to_str().unwrap()),
    )
    .ok();
    let span = (started.elapsed() / 2).as_micros() as u64 + 1;
    let mut killed_mid_run = 0;
    for case in 0..cases {
        let out = dir.path().join(format!("out{case}"));
        let out_s = out.to_str().unwrap().to_string();
        std::fs::write(&spec, &original).unwrap();
        run_in(dir.path(), &generate_args(&spec_s, &out_s)).ok();
        // Hand edits: always one in a user-owned file, sometimes one in a
        // generated file (which must stay a conflict, with its content).
        let user_file = out.join("rust/order-management/src/modules/catalog/ops.rs");
        let mut user_text = std::fs::read_to_string(&user_file).unwrap();
        user_text.push_str("// my own code\n");
        std::fs::write(&user_file, &user_text).unwrap();
        let edited_generated = rng.below(2) == 0;
        let generated_file = out.join("ts/order-management/src/types.ts");
        let generated_text = format!(
            "{}// edited by hand\n",
            std::fs::read_to_string(&generated_file).unwrap()
        );
        if edited_generated {
            std::fs::write(&generated_file, &generated_text).unwrap();
        }
        // The change, killed after a random delay.
        std::fs::write(&spec, &changed).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_parasol"))
            .args(generate_args(&spec_s, &out_s))
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(span)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if status.code().is_none() {
            killed_mid_run += 1;
        }
        // Then the spec is reverted, or kept changed.
        let revert = rng.below(2) == 0;
        if revert {
            std::fs::write(&spec, &original).unwrap();
        }
        let rerun = run_in(dir.path(), &generate_args(&spec_s, &out_s));
        let context =
            format!("case {case} (seed {seed}), revert={revert}, edited={edited_generated}");
        let conflicts: Vec<&str> = rerun
            .stdout
            .lines()
            .filter(|l| l.trim_start().starts_with("conflict"))
            .collect();
        if edited_generated {
            assert_eq!(
                rerun.code, 1,
                "{context}: {}\n{}",
                rerun.stdout, rerun.stderr
            );
            assert_eq!(conflicts.len(), 1, "{context}: {}", rerun.stdout);
            assert!(
                conflicts[0].contains("src/types.ts"),
                "{context}: {}",
                rerun.stdout
            );
            assert_eq!(
                std::fs::read_to_string(&generated_file).unwrap(),
                generated_text,
                "{context}: the hand edit was lost"
            );
            // Resolved by hand: the edit undone by deleting the file.
            std::fs::remove_file(&generated_file).unwrap();
            run_in(dir.path(), &generate_args(&spec_s, &out_s)).ok();
        } else {
            assert_eq!(
                rerun.code, 0,
                "{context}: {}\n{}",
                rerun.stdout, rerun.stderr
            );
            assert!(conflicts.is_empty(), "{context}: {}", rerun.stdout);
        }
        assert_eq!(
            std::fs::read_to_string(&user_file).unwrap(),
            user_text,
            "{context}: the user-owned file changed"
        );
        assert_eq!(temp_files(&out), Vec::<String>::new(), "{context}");
        let check = run_in(dir.path(), &["check", "--out", &out_s]);
        assert_eq!(
            check.code, 0,
            "{context}: {}\n{}",
            check.stdout, check.stderr
        );
    }
    eprintln!("kill test: {killed_mid_run} of {cases} runs were killed before they finished");
    assert!(
        cases < 8 || killed_mid_run > 0,
        "no run was killed mid-way: the delays are too long"
    );
}

#[test]
fn a_template_that_never_ends_is_stopped_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates/rust/src");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("main.rs.j2"),
        "fn main() {}\n{% for a in range(100000) %}\n{% for b in range(100000) %}{{ a }}{% endfor %}\n{% endfor %}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let generate_with_templates = || {
        run_in(
            dir.path(),
            &[
                "bc",
                "generate",
                "--spec",
                canonical_spec().to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--lang",
                "rust",
                "--templates",
                "templates",
            ],
        )
    };
    let run = generate_with_templates();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("ran out of fuel"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--> templates/rust/src/main.rs.j2:3:"),
        "{}",
        run.stderr
    );
    assert!(!out.exists(), "nothing is written");

    // Output that grows without end stops at the size cap.
    std::fs::write(
        templates.join("main.rs.j2"),
        "fn main() {}\n{% for a in range(100000) %}{{ \"x\" * 100000 }}{% endfor %}\n",
    )
    .unwrap();
    let run = generate_with_templates();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("larger than 128 MiB"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--> templates/rust/src/main.rs.j2:"),
        "{}",
        run.stderr
    );
    assert!(!out.exists(), "nothing is written");
}

/// Runs `command` in bash with the binary as `$P`; returns its exit code
/// and stderr.
fn piped(command: &str) -> (i32, String) {
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!("set -o pipefail; {command}"))
        .env("P", env!("CARGO_BIN_EXE_parasol"))
        .current_dir(repo())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    let spec = canonical_spec();
    let spec = spec.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    for command in [
        "\"$P\" templates list | head -1".to_string(),
        format!("\"$P\" bc visualize --spec {spec} | head -1"),
        format!("\"$P\" bc generate --spec {spec} --out {out} --diff | head -1"),
        "\"$P\" schema | head -1".to_string(),
        "\"$P\" completions bash | head -1".to_string(),
    ] {
        let (code, stderr) = piped(&format!("{command} > /dev/null"));
        assert_eq!(code, 0, "{command}: {stderr}");
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
        assert!(stderr.is_empty(), "{command}: {stderr}");
    }
}

#[test]
fn includes_outside_the_project_are_refused_at_their_line_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir_all(project.join("bundles")).unwrap();
    std::fs::write(project.join("parasol.yaml"), "specs: specs\n").unwrap();
    let outside = dir.path().join("outside.md");
    std::fs::write(
        &outside,
        "---\nbundle: { name: secret, version: 1.0.0 }\nconfig: { TOPSECRET: 1 }\n---\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, project.join("bundles/linked.md")).unwrap();
    let cases = [
        ("../../../../../../../../etc/passwd", "outside the project"),
        ("../outside.md", "outside the project"),
        ("/dev/zero", "outside the project"),
        ("bundles/linked.md", "outside the project"),
        ("bundles", "is a folder"),
        ("\"\"", "names no file"),
    ];
    for (include, expect) in cases {
        let spec = format!(
            "parasol: 1\nbundle: {include}\nbounded_context:\n  name: Shop\n  modules: {{ catalog: {{}} }}\n"
        );
        std::fs::write(project.join("shop.bc.yaml"), &spec).unwrap();
        let run = run_in(&project, &["bc", "validate", "--spec", "shop.bc.yaml"]);
        assert_eq!(run.code, 1, "{include}: {}", run.stderr);
        assert!(run.stderr.contains(expect), "{include}: {}", run.stderr);
        assert!(
            run.stderr.contains("--> shop.bc.yaml:2:9"),
            "{include}: located at the `bundle:` line\n{}",
            run.stderr
        );
        for secret in ["root:", "TOPSECRET"] {
            assert!(!run.stderr.contains(secret), "{include}: {}", run.stderr);
        }
    }
    // Listed under `bundle_roots:`, the folder is allowed.
    std::fs::write(
        project.join("parasol.yaml"),
        "specs: specs\nbundle_roots: [..]\n",
    )
    .unwrap();
    std::fs::write(
        project.join("shop.bc.yaml"),
        "parasol: 1\nbundle: ../outside.md\nbounded_context:\n  name: Shop\n  modules: { catalog: {} }\n",
    )
    .unwrap();
    let run = run_in(&project, &["bc", "validate", "--spec", "shop.bc.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn messages_say_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(&dir.path().join("spec"));
    let spec_s = spec.to_str().unwrap();

    // An output folder that is a file: one error, no list of conflicts.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let run = run_in(
        dir.path(),
        &[
            "bc",
            "generate",
            "--spec",
            spec_s,
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("is a file"), "{}", run.stderr);
    assert!(!run.stdout.contains("conflict"), "{}", run.stdout);
    assert!(run.stdout.lines().count() <= 4, "{}", run.stdout);

    // Forced deletions and overwrites say so; the summary counts them.
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    run_in(dir.path(), &generate_args(spec_s, out_s)).ok();
    let lib = out.join("rust/order-management/src/lib.rs");
    std::fs::write(&lib, "// mine\n").unwrap();
    let forced = run_in(
        dir.path(),
        &[&generate_args(spec_s, out_s)[..], &["--force"]].concat(),
    )
    .ok();
    assert!(forced.stdout.contains("forced"), "{}", forced.stdout);
    assert!(!forced.stdout.contains("conflict"), "{}", forced.stdout);
    assert!(!forced.stderr.contains("--force"), "{}", forced.stderr);

    // A link in the way with --force: no advice to use --force.
    #[cfg(unix)]
    {
        std::fs::remove_file(&lib).unwrap();
        std::os::unix::fs::symlink(dir.path().join("file"), &lib).unwrap();
        let run = run_in(
            dir.path(),
            &[&generate_args(spec_s, out_s)[..], &["--force"]].concat(),
        );
        assert_eq!(run.code, 1);
        assert!(run.stderr.contains("even with --force"), "{}", run.stderr);
        assert!(
            !run.stderr.contains("re-run with --force"),
            "{}",
            run.stderr
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("file")).unwrap(),
            "x"
        );
    }

    // Outside a project: says no parasol.yaml was found, and where it looked.
    let empty = tempfile::tempdir().unwrap();
    let run = run_in(empty.path(), &["bc", "validate"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no `parasol.yaml` in"),
        "{}",
        run.stderr
    );
    // A missing spec is not given a line and column it does not have.
    let run = run_in(empty.path(), &["bc", "validate", "--spec", "nope.bc.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("cannot read `nope.bc.yaml`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("nope.bc.yaml:1:1"), "{}", run.stderr);
}

#[test]
fn one_json_report_for_every_command_matching_its_documented_schema() {
    let documented = std::fs::read_to_string(repo().join("docs/report.schema.json")).unwrap();
    let printed = parasol(&["schema", "report"]).ok().stdout;
    assert_eq!(
        documented, printed,
        "docs/report.schema.json is stale: `parasol schema report > docs/report.schema.json`"
    );
    let dir = tempfile::tempdir().unwrap();
    let spec = canonical_copy(&dir.path().join("spec"));
    let (spec_s, out) = (spec.to_str().unwrap(), dir.path().join("out"));
    let out_s = out.to_str().unwrap();
    let runs = [
        (
            "bc validate",
            vec!["bc", "validate", "--spec", spec_s, "--format", "json"],
            true,
        ),
        (
            "bc generate",
            vec![
                "bc", "generate", "--spec", spec_s, "--out", out_s, "--format", "json",
            ],
            true,
        ),
        (
            "check",
            vec!["check", "--out", out_s, "--format", "json"],
            true,
        ),
        (
            "bc validate",
            vec![
                "bc",
                "validate",
                "--spec",
                "missing.bc.yaml",
                "--format",
                "json",
            ],
            false,
        ),
        (
            "generate event-patterns",
            vec![
                "generate",
                "event-patterns",
                "OrderManagement",
                "--spec",
                spec_s,
                "--out",
                out_s,
                "--format",
                "json",
            ],
            true,
        ),
    ];
    for (command, args, ok) in runs {
        let run = run_in(dir.path(), &args);
        let report: parasol::report::JsonReport = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", run.stdout));
        assert_eq!(report.version, parasol::report::VERSION);
        assert_eq!(report.command, command);
        assert_eq!(report.ok, ok, "{args:?}: {}", run.stdout);
        assert_eq!(run.code == 0, ok);
        if command == "bc validate" && ok {
            assert_eq!(report.contexts.len(), 1);
        }
        if command == "bc generate" {
            let files: usize = report.outputs.iter().map(|o| o.files.len()).sum();
            assert!(files > 50, "{}", run.stdout);
            assert!(
                report
                    .outputs
                    .iter()
                    .all(|o| o.summary.contains_key("created"))
            );
        }
    }
}

#[test]
fn the_command_line_behaves_like_a_unix_tool() {
    use clap::CommandFactory as _;
    parasol::cli::Cli::command().debug_assert();
    // Every command's --help has an example.
    fn leaves(cmd: &clap::Command, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for sub in cmd.get_subcommands() {
            let mut next = path.clone();
            next.push(sub.get_name().to_string());
            leaves(sub, next, out);
        }
    }
    let mut all = Vec::new();
    leaves(&parasol::cli::Cli::command(), Vec::new(), &mut all);
    for path in all {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        if args.last() == Some(&"help") {
            continue;
        }
        args.push("--help");
        let run = parasol(&args).ok();
        assert!(
            run.stdout.contains("Examples:"),
            "{args:?}:\n{}",
            run.stdout
        );
    }
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = parasol(&["completions", shell]).ok();
        assert!(run.stdout.contains("parasol"), "{shell}");
        assert!(run.stdout.contains("orchestration"), "{shell}");
    }
    // --quiet: nothing on stdout when all is well.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = parasol(&[
        "bc",
        "generate",
        "--spec",
        canonical_spec().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ])
    .ok();
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "");
    let run = parasol(&["check", "--out", out.to_str().unwrap(), "-q"]).ok();
    assert_eq!(run.stdout, "");
    // --quiet keeps errors only: a spec's warnings go, unless
    // --deny-warnings makes them what fails.
    let warned = dir.path().join("warned.bc.yaml");
    std::fs::write(
        &warned,
        "parasol: 1\nbounded_context:\n  name: Shelf\n  modules:\n    shelves:\n      aggregates:\n        Shelf: { fields: { label: string } }\n  events:\n    shelf.dusted: { entity: Shelf }\n",
    )
    .unwrap();
    let warned_spec = warned.to_str().unwrap();
    let loud = parasol(&["bc", "validate", "--spec", warned_spec]).ok();
    assert!(loud.stderr.contains("warning: "), "{}", loud.stderr);
    let quiet = parasol(&["bc", "validate", "--spec", warned_spec, "-q"]).ok();
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""));
    let quiet_generate = parasol(&[
        "bc",
        "generate",
        "--spec",
        warned_spec,
        "--out",
        out.to_str().unwrap(),
        "-q",
        "--dry-run",
    ])
    .ok();
    assert_eq!(quiet_generate.stderr, "");
    let denied = parasol(&[
        "bc",
        "validate",
        "--spec",
        warned_spec,
        "-q",
        "--deny-warnings",
    ]);
    assert_eq!(denied.code, 1);
    assert!(denied.stderr.contains("warning: "), "{}", denied.stderr);
    assert!(
        denied.stderr.contains("failed: 0 errors,"),
        "{}",
        denied.stderr
    );
    // Colour only when asked for (not a terminal here).
    let plain = parasol(&["bc", "validate", "--spec", "nope.bc.yaml"]);
    assert!(!plain.stderr.contains('\u{1b}'), "{}", plain.stderr);
    let coloured = parasol_with_env(
        &repo(),
        &["bc", "validate", "--spec", "nope.bc.yaml"],
        &[("CLICOLOR_FORCE", "1")],
    );
    // NO_COLOR (set by the helper) wins over CLICOLOR_FORCE, as the convention says.
    assert!(!coloured.stderr.contains('\u{1b}'), "{}", coloured.stderr);
    let output = Command::new(env!("CARGO_BIN_EXE_parasol"))
        .args(["bc", "validate", "--spec", "nope.bc.yaml"])
        .current_dir(repo())
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("\u{1b}[1m\u{1b}[31merror")
            || String::from_utf8_lossy(&output.stderr).contains('\u{1b}')
    );
}

#[test]
fn validate_all_and_generate_all_cover_the_whole_project() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path();
    run_in(project, &["init", ".", "--name", "Shop"]).ok();
    let second = std::fs::read_to_string(project.join("specs/shop.bc.yaml"))
        .unwrap()
        .replace("name: Shop", "name: Billing");
    std::fs::write(project.join("specs/billing.bc.yaml"), second).unwrap();
    let run = run_in(project, &["bc", "validate", "--all"]).ok();
    assert!(run.stdout.contains("Shop is valid"), "{}", run.stdout);
    assert!(run.stdout.contains("Billing is valid"), "{}", run.stdout);
    // Shop recorded with one setting, Billing not generated yet.
    run_in(project, &["bc", "generate", "Shop", "--lang", "rust"]).ok();
    let all = run_in(project, &["generate", "--all"]).ok();
    for root in ["rust/shop", "rust/billing", "ts/billing"] {
        assert!(all.stdout.contains(root), "{root}: {}", all.stdout);
    }
    assert!(
        !project.join("generated/ts/shop").exists(),
        "recorded outputs keep their settings"
    );
    run_in(project, &["check"]).ok();
    let again = run_in(project, &["generate", "--all"]).ok();
    assert!(!again.stdout.contains("created"), "{}", again.stdout);
    // A broken spec fails `validate --all` and names its file.
    std::fs::write(
        project.join("specs/broken.bc.yaml"),
        "parasol: 1\nbounded_context: 3\n",
    )
    .unwrap();
    let run = run_in(project, &["bc", "validate", "--all"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("specs/broken.bc.yaml:2:"),
        "{}",
        run.stderr
    );
}
