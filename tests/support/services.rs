//! Real PostgreSQL, Redis and NATS servers for one test: each on 127.0.0.1
//! with an ephemeral port and a temporary data folder, stopped when
//! dropped. `.ci/run` installs them from Debian's packages.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free right now on 127.0.0.1.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn wait_until_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on {port} within 30s");
}

fn stop(child: &mut Child, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn program(candidates: &[&str]) -> PathBuf {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(candidates[candidates.len() - 1]))
}

/// A PostgreSQL 15 cluster. As root, it runs as the `postgres` user.
pub struct Postgres {
    child: Child,
    _data: tempfile::TempDir,
    /// `postgres://postgres@127.0.0.1:PORT/postgres`
    pub url: String,
}

fn postgres_user() -> Option<(u32, u32)> {
    let is_root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
    if !is_root {
        return None;
    }
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn as_postgres(program: &Path, user: Option<(u32, u32)>) -> Command {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(program);
    if let Some((uid, gid)) = user {
        command.uid(uid).gid(gid);
    }
    command
}

pub fn start_postgres() -> Postgres {
    let bin = Path::new("/usr/lib/postgresql/15/bin");
    let data = tempfile::tempdir().unwrap();
    let user = postgres_user();
    if let Some((uid, gid)) = user {
        std::os::unix::fs::chown(data.path(), Some(uid), Some(gid)).unwrap();
    }
    let cluster = data.path().join("cluster");
    let init = as_postgres(&bin.join("initdb"), user)
        .args(["-A", "trust", "-U", "postgres", "-D"])
        .arg(&cluster)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("initdb runs");
    assert!(
        init.status.success(),
        "initdb: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let port = free_port();
    let child = as_postgres(&bin.join("postgres"), user)
        .arg("-D")
        .arg(&cluster)
        .args(["-p", &port.to_string(), "-k"])
        .arg(data.path())
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("postgres starts");
    wait_until_listening(port, "postgres");
    // Accepting TCP comes a moment before accepting queries.
    let ready = bin.join("pg_isready");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let status = Command::new(&ready)
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
            .stdout(Stdio::null())
            .status();
        if status.is_ok_and(|s| s.success()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Postgres {
        child,
        _data: data,
        url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
    }
}

impl Postgres {
    /// Creates database `name` on this server; its URL.
    pub fn create_database(&self, name: &str) -> String {
        let psql = Command::new("/usr/lib/postgresql/15/bin/psql")
            .args([self.url.as_str(), "-c", &format!("CREATE DATABASE {name}")])
            .output()
            .expect("psql runs");
        assert!(
            psql.status.success(),
            "{}",
            String::from_utf8_lossy(&psql.stderr)
        );
        let server = self.url.strip_suffix("/postgres").unwrap();
        format!("{server}/{name}")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT: PostgreSQL's fast shutdown.
        stop(&mut self.child, "-INT");
    }
}

/// A broker (Redis, NATS) whose `stop` and `start` simulate an outage:
/// the same port and data folder each time.
pub struct Broker {
    name: &'static str,
    command: fn(port: u16, data: &Path) -> Command,
    child: Option<Child>,
    data: tempfile::TempDir,
    port: u16,
    /// `redis://127.0.0.1:PORT`, `nats://127.0.0.1:PORT`
    pub url: String,
}

fn start_broker(name: &'static str, scheme: &str, command: fn(u16, &Path) -> Command) -> Broker {
    let port = free_port();
    let mut broker = Broker {
        name,
        command,
        child: None,
        data: tempfile::tempdir().unwrap(),
        port,
        url: format!("{scheme}://127.0.0.1:{port}"),
    };
    broker.start();
    broker
}

/// A Redis server without persistence.
pub fn start_redis() -> Broker {
    start_broker("redis-server", "redis", |port, data| {
        let mut command = Command::new(program(&["/usr/bin/redis-server", "redis-server"]));
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(data);
        command
    })
}

/// A NATS server with JetStream.
pub fn start_nats() -> Broker {
    start_broker("nats-server", "nats", |port, data| {
        let mut command = Command::new(program(&[
            "/usr/sbin/nats-server",
            "/usr/bin/nats-server",
            "nats-server",
        ]));
        command
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(data);
        command
    })
}

impl Broker {
    pub fn start(&mut self) {
        let child = (self.command)(self.port, self.data.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("{} starts: {error}", self.name));
        self.child = Some(child);
        wait_until_listening(self.port, self.name);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child, "-KILL");
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Prometheus server with `config`, on an ephemeral port and a
/// temporary data folder; stopped when dropped.
pub struct Prometheus {
    child: Child,
    _data: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`
    pub url: String,
}

pub fn start_prometheus(config: &Path) -> Prometheus {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = Command::new(program(&["/usr/bin/prometheus", "prometheus"]))
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.path().display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus starts");
    wait_until_listening(port, "prometheus");
    let url = format!("http://127.0.0.1:{port}");
    // Listening comes before the storage is open: until then every query
    // is a 503.
    let deadline = Instant::now() + Duration::from_secs(60);
    while super::http(&url, "GET", "/-/ready", &[], "").0 != 200 {
        assert!(Instant::now() < deadline, "prometheus not ready within 60s");
        std::thread::sleep(Duration::from_millis(100));
    }
    Prometheus {
        child,
        _data: data,
        url,
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        stop(&mut self.child, "-TERM");
    }
}

/// Runs `promtool` with `args` in `dir`, `input` on its standard input:
/// whether it succeeded, and what it printed.
pub fn promtool(dir: &Path, args: &[&str], input: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = Command::new(program(&["/usr/bin/promtool", "promtool"]))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("promtool reads");
    let output = child.wait_with_output().expect("promtool ends");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}
