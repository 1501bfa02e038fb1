//! Helpers shared by parasol's integration tests: running the real binary,
//! generating into temporary folders, and building what was generated with
//! the real toolchains (cargo, and TypeScript from `tests/toolchain`).
// Each test binary uses a different subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod services;

/// Every file under `dir`, sorted; links are listed, never followed.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => files.extend(files_under(&path)),
            _ => files.push(path),
        }
    }
    files.sort();
    files
}

/// Every regular file under `dir` (links aside): its path relative to `dir`,
/// with `/`, and its content (lossy UTF-8).
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, String> {
    files_under(dir)
        .into_iter()
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_default();
            (
                p.strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        })
        .collect()
}

/// `tree` without parasol's own state (the `.parasol` folders).
pub fn output_tree(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut files = tree(dir);
    files.retain(|path, _| !path.split('/').any(|part| part == ".parasol"));
    files
}

/// A snapshot of a folder: every file's relative path and the SHA-256 of
/// its bytes (a link's target is not read).
pub fn tree_hashes(dir: &Path) -> std::collections::BTreeMap<String, String> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_default();
            (
                p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(),
                parasol::manifest::sha256(&bytes),
            )
        })
        .collect()
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn canonical_spec() -> PathBuf {
    repo().join("../shared/examples/order-management/order-management.bc.yaml")
}

/// A copy of the canonical example (spec and bundles) in `dir`, to change
/// at will; the copy's spec.
pub fn canonical_copy(dir: &Path) -> PathBuf {
    let from = canonical_spec().parent().unwrap().to_path_buf();
    for entry in walkdir::WalkDir::new(&from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let to = dir.join(entry.path().strip_prefix(&from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    dir.join(canonical_spec().file_name().unwrap())
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
    pub fn from(output: Output) -> Run {
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
    parasol_with_env(dir, args, &[])
}

/// The real binary in `dir` with extra environment variables.
pub fn parasol_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_parasol"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("parasol runs");
    Run::from(output)
}

pub fn parasol(args: &[&str]) -> Run {
    parasol_in(&repo(), args)
}

/// `parasol bc generate --spec SPEC --out OUT --lang LANGS`; panics on failure.
pub fn generate(spec: &Path, out: &Path, langs: &str) -> Run {
    try_generate(spec, out, langs).ok()
}

/// `parasol bc generate --spec SPEC --out OUT --lang LANGS`, however it ends.
pub fn try_generate(spec: &Path, out: &Path, langs: &str) -> Run {
    bc_generate(spec, out, &["--lang", langs])
}

/// `parasol bc generate --spec SPEC --out OUT` and `flags`, however it ends.
pub fn bc_generate(spec: &Path, out: &Path, flags: &[&str]) -> Run {
    bc(&["generate"], spec, out, flags)
}

/// `parasol WORDS... --spec SPEC --out OUT FLAGS...`, however it ends.
fn with_spec(words: &[&str], spec: &Path, out: &Path, flags: &[&str]) -> Run {
    let base = [
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    parasol(&[words, &base[..], flags].concat())
}

/// `parasol bc VERB... --spec SPEC --out OUT` and `flags`, however it ends.
pub fn bc(verb: &[&str], spec: &Path, out: &Path, flags: &[&str]) -> Run {
    with_spec(&[&["bc"][..], verb].concat(), spec, out, flags)
}

/// `parasol setup orchestration WORKFLOW --spec SPEC --out OUT FLAGS...`.
pub fn setup_orchestration(spec: &Path, out: &Path, workflow: &str, flags: &[&str]) -> Run {
    with_spec(&["setup", "orchestration", workflow], spec, out, flags)
}

/// `parasol generate event-patterns NAME --spec SPEC --out OUT FLAGS...`.
pub fn event_patterns(spec: &Path, out: &Path, name: &str, flags: &[&str]) -> Run {
    with_spec(&["generate", "event-patterns", name], spec, out, flags)
}

/// `setup orchestration`'s flags for a backend saga that compensates
/// strictly, allowed under a bundle that prefers the edge.
pub const BACKEND_SAGA: &[&str] = &[
    "--location",
    "backend",
    "--compensation-strategy",
    "strict",
    "--allow-backend-saga",
];

/// The target folder every generated crate builds into, so dependencies
/// compile once per machine rather than once per crate.
pub fn shared_target_dir() -> PathBuf {
    repo().join("target").join("generated")
}

/// Runs cargo in `dir` against the shared target folder; panics with the output on failure.
#[track_caller]
pub fn cargo(dir: &Path, args: &[&str]) {
    let _turn = turn(dir);
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .env("CARGO_INCREMENTAL", "0")
        // Dozens of crates link test binaries into one folder: without
        // debug info each is a fifth of the size (and links faster), which
        // keeps a full run within a CI machine's disk.
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
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

/// Builds, tests, lints and format-checks a generated crate, in one turn
/// (`turn`).
pub fn check_rust_crate(dir: &Path) {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let _turn = turn(dir);
    cargo(dir, &["build", "--all-targets"]);
    {
        // `cargo clean --package` removes test binaries by target name, and
        // every service crate has a test target `service`: no crate's tests
        // may run while another crate is cleaned.
        let _running = artifacts()
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cargo(dir, &["test"]);
    }
    cargo(dir, &["clippy", "--all-targets", "--", "-D", "warnings"]);
    cargo(dir, &["fmt", "--check"]);
    // The crate's own binaries are never used again; its dependencies are.
    let _cleaning = artifacts()
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cargo(dir, &["clean", "--package", &name]);
}

/// Guards the shared target folder's binaries: read while tests run,
/// written while a package is cleaned.
fn artifacts() -> &'static std::sync::RwLock<()> {
    static ARTIFACTS: std::sync::RwLock<()> = std::sync::RwLock::new(());
    &ARTIFACTS
}

/// Builds the binary of the crate in `dir` and copies it into `keep_in`:
/// checks of the same package (in this test binary) clean their artifacts
/// when they finish, so a test runs its own copy.
pub fn build_binary(dir: &Path, keep_in: &Path) -> PathBuf {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let _turn = turn(dir);
    cargo(dir, &["build"]);
    let binary = keep_in.join(&name);
    std::fs::copy(shared_target_dir().join("debug").join(&name), &binary).unwrap();
    binary
}

/// A test's hold on the crates it builds in the shared target folder.
///
/// There cargo knows a path package by its name, and whether it changed by
/// the age of its files, not by where they are. So two tests that generate
/// `ledger` (with different hand-written operations, say) would mix: the
/// one building second, whose files were written before the first one's
/// build, looks unchanged and gets the other's library and binary. Cargo
/// therefore runs only while the test holds the turn of every crate beside
/// the one it builds (its dependencies among them), and taking the turn
/// marks their files as changed now. A thread already holding a turn
/// takes nested ones for free.
pub struct Turn {
    names: Vec<String>,
}

thread_local! {
    static TURNS_HELD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

struct Taken {
    names: std::sync::Mutex<std::collections::BTreeSet<String>>,
    freed: std::sync::Condvar,
}

fn taken() -> &'static Taken {
    static TAKEN: std::sync::OnceLock<Taken> = std::sync::OnceLock::new();
    TAKEN.get_or_init(|| Taken {
        names: Default::default(),
        freed: std::sync::Condvar::new(),
    })
}

/// Takes the turn of the crate in `dir` and of the crates beside it.
pub fn turn(dir: &Path) -> Turn {
    let nested = TURNS_HELD.with(|held| {
        held.set(held.get() + 1);
        held.get() > 1
    });
    if nested {
        return Turn { names: Vec::new() };
    }
    let mut crates: Vec<PathBuf> = dir
        .parent()
        .and_then(|parent| std::fs::read_dir(parent).ok())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join("Cargo.toml").is_file())
        .collect();
    if !crates.iter().any(|c| c == dir) {
        crates.push(dir.to_path_buf());
    }
    let names: Vec<String> = crates
        .iter()
        .map(|c| c.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let taken = taken();
    let mut busy = taken
        .names
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    while names.iter().any(|name| busy.contains(name)) {
        busy = taken
            .freed
            .wait(busy)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
    busy.extend(names.iter().cloned());
    drop(busy);
    let now = std::time::SystemTime::now();
    for file in crates.iter().flat_map(|c| files_under(c)) {
        if let Ok(handle) = std::fs::File::options().write(true).open(&file) {
            handle.set_modified(now).ok();
        }
    }
    Turn { names }
}

impl Drop for Turn {
    fn drop(&mut self) {
        TURNS_HELD.with(|held| held.set(held.get() - 1));
        if self.names.is_empty() {
            return;
        }
        let taken = taken();
        let mut busy = taken
            .names
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for name in &self.names {
            busy.remove(name);
        }
        taken.freed.notify_all();
    }
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

/// Checks specs against the JSON Schema `parasol schema` prints (for
/// editors), read as YAML 1.2 by Ajv (draft 2020-12): panics unless it
/// accepts every one. Returns what the checker printed.
pub fn assert_schema_accepts(specs: &[PathBuf]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("bc.schema.json");
    std::fs::write(&schema, parasol(&["schema"]).ok().stdout).unwrap();
    let mut args = vec![repo().join("tests/toolchain/schema-check.mjs"), schema];
    args.extend(specs.iter().cloned());
    toolchain();
    let run = Run::from(
        std::process::Command::new("node")
            .args(&args)
            .output()
            .expect("node runs"),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(&format!("specs: {}, failed: 0", specs.len())),
        "{}",
        run.stdout
    );
    run.stdout
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

/// Builds the `bc test-communication` package in `package` and runs its
/// compiled tests `files` (under `dist-test/test/`) against the service
/// binary `binary`, which they start themselves.
pub fn communication_tests(package: &Path, binary: &Path, files: &[&str]) -> Run {
    link_toolchain(package);
    tsc(package, &["-p", "tsconfig.json", "--noEmit"]);
    tsc(package, &["-p", "tsconfig.test.json"]);
    let files: Vec<PathBuf> = files
        .iter()
        .map(|f| package.join("dist-test/test").join(f))
        .collect();
    node_test(
        package,
        &files,
        &[("SERVICE_BIN", binary.to_str().unwrap())],
    )
}

/// Type-checks a generated package (strict), builds its tests and runs them.
pub fn check_ts_package(dir: &Path) {
    link_toolchain(dir);
    tsc(dir, &["-p", "tsconfig.json", "--noEmit"]);
    // As the package's `test` script does: tests a regeneration removed
    // must not run from an earlier build.
    let _ = std::fs::remove_dir_all(dir.join("dist-test"));
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

/// The package's generated `test/service.test.ts` (compiled by
/// `check_ts_package`) against the crate's real service: the clients'
/// CRUD round trips, versions, notifications and every operation. Every
/// test runs (none skipped) and passes.
pub fn check_clients_against_service(crate_dir: &Path, package: &Path, keep_in: &Path) {
    let binary = build_binary(crate_dir, keep_in);
    let server = Server::start(&binary, &[]);
    let run = node_test(
        package,
        &[package.join("dist-test/test/service.test.js")],
        &[("PARASOL_SERVICE_URL", server.url.as_str())],
    );
    assert!(
        run.stdout.contains("# fail 0") && run.stdout.contains("# skipped 0"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// Where started servers log: nowhere, unless `PARASOL_TEST_SERVER_LOGS`
/// is set (then to the test's standard error, for `--nocapture`).
fn server_logs() -> std::process::Stdio {
    if std::env::var_os("PARASOL_TEST_SERVER_LOGS").is_some() {
        std::process::Stdio::inherit()
    } else {
        std::process::Stdio::null()
    }
}

/// A generated server binary, running; killed when dropped.
pub struct Server {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The working folder of a server started by `start` (its default
    /// SQLite database lives there).
    _folder: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts `binary --addr 127.0.0.1:0` in a folder of its own with `env`
    /// (and no inherited `PARASOL_*` or `DATABASE_URL`; `EVENT_BUS_URL` is
    /// `memory:` unless `env` says otherwise, since a spec's broker makes
    /// its default a server on a fixed port), and waits for its
    /// `listening on URL` line.
    pub fn start(binary: &Path, env: &[(&str, &str)]) -> Server {
        let folder = tempfile::tempdir().unwrap();
        let mut server = Server::start_in(binary, folder.path(), env);
        server._folder = Some(folder);
        server
    }

    /// Like `start`, in the working folder `dir`.
    pub fn start_in(binary: &Path, dir: &Path, env: &[(&str, &str)]) -> Server {
        use std::io::{BufRead, BufReader};
        let mut command = Command::new(binary);
        command
            .current_dir(dir)
            .env_remove("DATABASE_URL")
            .env("EVENT_BUS_URL", "memory:")
            .args(["--addr", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .stderr(server_logs());
        for (name, _) in std::env::vars() {
            if name.starts_with("PARASOL_") {
                command.env_remove(name);
            }
        }
        command.envs(env.iter().copied());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", binary.display()));
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("a first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        Server {
            child,
            url,
            _folder: None,
        }
    }

    /// Sends SIGTERM and waits up to `within` for the process to exit;
    /// its exit code, or `None` if it was still running.
    pub fn terminate(mut self, within: std::time::Duration) -> Option<i32> {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }

    /// Stops the process at once (SIGKILL): no shutdown code runs.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 client for talking to generated servers (no
/// dependency needed): `(status, body)`.
pub fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let (status, _, body) = http_with_head(base, method, path, headers, body);
    (status, body)
}

/// Like `http`, with the response head too (status line and headers, as
/// sent). A body goes as JSON unless `headers` name a content type.
pub fn http_with_head(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut stream = connect(base);
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    let typed = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if !body.is_empty() && !typed {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).expect("request sent");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("response read");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, rest) = response.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    (status, head.to_string(), body)
}

fn connect(base: &str) -> std::net::TcpStream {
    let address = base.strip_prefix("http://").expect("an http:// URL");
    let stream = std::net::TcpStream::connect(address).expect("the server accepts");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    stream
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

/// What reading an event stream came to.
enum StreamEnd {
    /// `until` was satisfied by what was read.
    Found(String),
    /// The server closed the stream.
    Closed(String),
    /// Neither happened in time.
    TimedOut(String),
}

/// Opens the event stream at `path` and reads until `until(everything
/// read)` holds, the server closes it, or `timeout` passes.
fn read_stream(
    base: &str,
    path: &str,
    timeout: std::time::Duration,
    until: impl Fn(&str) -> bool,
) -> StreamEnd {
    use std::io::{Read, Write};
    let mut stream = connect(base);
    stream
        .set_read_timeout(Some(std::time::Duration::from_millis(200)))
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let deadline = std::time::Instant::now() + timeout;
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    let text = |seen: &[u8]| String::from_utf8_lossy(seen).into_owned();
    while std::time::Instant::now() < deadline {
        match stream.read(&mut buffer) {
            Ok(0) => return StreamEnd::Closed(text(&seen)),
            Ok(n) => seen.extend_from_slice(&buffer[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return StreamEnd::Closed(text(&seen)),
        }
        if until(&text(&seen)) {
            return StreamEnd::Found(text(&seen));
        }
    }
    StreamEnd::TimedOut(text(&seen))
}

/// Reads the server-sent events at `path` until one contains `needle`;
/// returns everything read, or panics after `timeout`.
pub fn read_events_until(
    base: &str,
    path: &str,
    needle: &str,
    timeout: std::time::Duration,
) -> String {
    match read_stream(base, path, timeout, |seen| seen.contains(needle)) {
        StreamEnd::Found(seen) => seen,
        StreamEnd::Closed(seen) | StreamEnd::TimedOut(seen) => {
            panic!("no event with {needle:?} within {timeout:?}; read:\n{seen}")
        }
    }
}

/// The first `count` server-sent events at `path`: `(id, data as JSON)`;
/// panics after `timeout`.
pub fn read_events(
    base: &str,
    path: &str,
    count: usize,
    timeout: std::time::Duration,
) -> Vec<(u64, serde_json::Value)> {
    let mut events = read_events_where(base, path, timeout, |events| events.len() >= count);
    events.truncate(count);
    events
}

/// The server-sent events at `path`, read until `enough(what was read)`;
/// panics after `timeout`.
pub fn read_events_where(
    base: &str,
    path: &str,
    timeout: std::time::Duration,
    enough: impl Fn(&[(u64, serde_json::Value)]) -> bool,
) -> Vec<(u64, serde_json::Value)> {
    let parse = |seen: &str| -> Vec<(u64, serde_json::Value)> {
        let body = seen.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        dechunk(body)
            .split("\n\n")
            .filter_map(|message| {
                let mut id = None;
                let mut data = None;
                for line in message.lines() {
                    if let Some(value) = line.strip_prefix("id:") {
                        id = value.trim().parse().ok();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data = serde_json::from_str(value.trim()).ok();
                    }
                }
                id.zip(data)
            })
            .collect()
    };
    match read_stream(base, path, timeout, |seen| enough(&parse(seen))) {
        StreamEnd::Found(seen) => parse(&seen),
        StreamEnd::Closed(seen) | StreamEnd::TimedOut(seen) => {
            panic!("not the events expected within {timeout:?}; read:\n{seen}")
        }
    }
}

/// Opens the event stream at `path` and reads until the server closes it:
/// whether it did within `timeout`.
pub fn events_end_within(base: &str, path: &str, timeout: std::time::Duration) -> bool {
    matches!(
        read_stream(base, path, timeout, |_| false),
        StreamEnd::Closed(_)
    )
}

/// The one folder under `dir` (the crate or package a run generated).
pub fn only_child(dir: &Path) -> PathBuf {
    let mut entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok);
    let first = entries
        .next()
        .unwrap_or_else(|| panic!("{} is empty", dir.display()));
    assert!(
        entries.next().is_none(),
        "{} holds more than one folder",
        dir.display()
    );
    first.path()
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after `timeout`.
#[track_caller]
pub fn wait_for<T>(
    what: &str,
    timeout: std::time::Duration,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// SplitMix64: small, seedable, and the same on every platform.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The seed in `var`, or a fresh one from the clock.
pub fn seed_from_env(var: &str) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            use std::time::{SystemTime, UNIX_EPOCH};
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}
