//! Helpers shared by parasol's integration tests: running the real binary,
//! generating into temporary folders, and building what was generated with
//! the real toolchains (cargo, and TypeScript from `tests/toolchain`).
// Each test binary uses a different subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn canonical_spec() -> PathBuf {
    repo().join("../shared/examples/order-management/order-management.bc.yaml")
}

pub fn example_spec(name: &str) -> PathBuf {
    repo()
        .join("examples")
        .join(name)
        .join(format!("{name}.bc.yaml"))
}

/// Every `examples/<name>/<name>.bc.yaml` in the repository.
pub fn example_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("examples"))
        .expect("examples folder")
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .path()
                .join(format!("{}.bc.yaml", entry.file_name().to_string_lossy()))
                .is_file()
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

pub fn parasol_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_parasol"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("parasol runs");
    Run::from(output)
}

pub fn parasol(args: &[&str]) -> Run {
    parasol_in(&repo(), args)
}

/// `parasol bc generate --spec SPEC --out OUT --lang LANGS`; panics on failure.
pub fn generate(spec: &Path, out: &Path, langs: &str) -> Run {
    parasol(&[
        "bc",
        "generate",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--lang",
        langs,
    ])
    .ok()
}

/// The target folder every generated crate builds into, so dependencies
/// compile once per machine rather than once per crate.
pub fn shared_target_dir() -> PathBuf {
    repo().join("target").join("generated")
}

/// Runs cargo in `dir` against the shared target folder; panics with the output on failure.
#[track_caller]
pub fn cargo(dir: &Path, args: &[&str]) {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let run = Run::from(output);
    assert_eq!(
        run.code,
        0,
        "`cargo {}` failed in {}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        dir.display(),
        run.stdout,
        run.stderr
    );
}

/// Builds, tests, lints and format-checks a generated crate.
pub fn check_rust_crate(dir: &Path) {
    cargo(dir, &["build", "--all-targets"]);
    cargo(dir, &["test"]);
    cargo(dir, &["clippy", "--all-targets", "--", "-D", "warnings"]);
    cargo(dir, &["fmt", "--check"]);
}

/// The TypeScript toolchain `.ci/run` installs with `npm ci`.
pub fn toolchain() -> PathBuf {
    let modules = repo().join("tests/toolchain/node_modules");
    assert!(
        modules.join(".bin/tsc").exists(),
        "the TypeScript toolchain is missing: run `npm ci --prefix tests/toolchain`"
    );
    modules
}

/// Makes `tests/toolchain/node_modules` visible to a generated package.
pub fn link_toolchain(package: &Path) {
    let link = package.join("node_modules");
    if !link.exists() {
        #[cfg(unix)]
        std::os::unix::fs::symlink(toolchain(), &link).expect("symlink node_modules");
    }
}

#[track_caller]
pub fn tool(dir: &Path, program: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(program);
    command.args(args).current_dir(dir);
    for (name, value) in env {
        command.env(name, value);
    }
    let run = Run::from(
        command
            .output()
            .unwrap_or_else(|e| panic!("{} runs: {e}", program.display())),
    );
    assert_eq!(
        run.code,
        0,
        "`{} {}` failed in {}\nstdout:\n{}\nstderr:\n{}",
        program.display(),
        args.join(" "),
        dir.display(),
        run.stdout,
        run.stderr
    );
    run
}

pub fn tsc(package: &Path, args: &[&str]) -> Run {
    tool(package, &toolchain().join(".bin/tsc"), args, &[])
}

/// Runs node's test runner on compiled test files.
pub fn node_test(package: &Path, files: &[PathBuf], env: &[(&str, &str)]) -> Run {
    let mut args = vec!["--test".to_string()];
    args.extend(files.iter().map(|f| f.to_string_lossy().into_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    tool(package, Path::new("node"), &args, env)
}

/// Type-checks a generated package (strict), builds its tests and runs them.
pub fn check_ts_package(dir: &Path) {
    link_toolchain(dir);
    tsc(dir, &["-p", "tsconfig.json", "--noEmit"]);
    tsc(dir, &["-p", "tsconfig.test.json"]);
    let mut tests: Vec<PathBuf> = std::fs::read_dir(dir.join("dist-test/test"))
        .expect("compiled tests")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".test.js"))
        .collect();
    tests.sort();
    assert!(!tests.is_empty(), "no generated tests in {}", dir.display());
    let run = node_test(dir, &tests, &[]);
    assert!(run.stdout.contains("# fail 0"), "{}", run.stdout);
}
