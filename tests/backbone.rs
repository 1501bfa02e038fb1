//! The generated service on real infrastructure, through its real binary:
//! the SQLite default across a SIGKILL, two instances over one PostgreSQL
//! with Redis and with NATS (shared SSE ids, optimistic locking across
//! instances, a broker outage, a crash between commit and publish), and a
//! failing consumer's dead letters, and Prometheus scraping it with what
//! `bc setup-monitoring` writes, and its traces reaching a stand-in OTLP
//! collector, and an event-sourced (`cqrs-es`) build taking over the
//! records a V5 build stored, over SQLite and PostgreSQL. Every server is
//! started by the test that uses it, on 127.0.0.1 with an ephemeral port,
//! and stopped after.
//!
//! The canonical example is generated once per run with a user-owned
//! `inventory/handlers.rs` (tests/fixtures) that logs every event it handles
//! to `HANDLED_LOG` and fails while `FAIL_FLAG` exists.

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use support::services::{self, start_nats, start_postgres, start_redis};
use support::*;

/// The service binary, built once for every test here.
fn binary() -> &'static Path {
    static BINARY: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, binary) = BINARY.get_or_init(|| {
        let out = tempfile::tempdir().unwrap();
        generate(&canonical_spec(), out.path(), "rust");
        let crate_dir = out.path().join("rust/order-management");
        std::fs::copy(
            repo().join("tests/fixtures/order-management/inventory_handlers.rs"),
            crate_dir.join("src/modules/inventory/handlers.rs"),
        )
        .unwrap();
        cargo(&crate_dir, &["clippy", "--", "-D", "warnings"]);
        let binary = build_binary(&crate_dir, out.path());
        (out, binary)
    });
    binary
}

const PRODUCTS: &str = "/api/catalog/products";

fn product(name: &str) -> String {
    json!({ "name": name, "price": 150, "category": "food", "tags": [], "discontinued": false })
        .to_string()
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("JSON expected, got {body:?}: {e}"))
}

fn create_product(url: &str, name: &str) -> String {
    let (status, body) = http(url, "POST", PRODUCTS, &[], &product(name));
    assert_eq!(status, 201, "{body}");
    json_of(&body)["id"].as_str().unwrap().to_string()
}

fn rename(url: &str, id: &str, version: u64, name: &str) -> (u16, String) {
    let body = json!({ "name": name, "version": version }).to_string();
    http(url, "PATCH", &format!("{PRODUCTS}/{id}"), &[], &body)
}

fn stored_version(url: &str, id: &str) -> u64 {
    let (status, body) = http(url, "GET", &format!("{PRODUCTS}/{id}"), &[], "");
    assert_eq!(status, 200, "{body}");
    json_of(&body)["version"].as_u64().unwrap()
}

/// Cancels a fresh order: one `order.cancelled`, which `inventory` consumes.
fn cancel_an_order(url: &str) -> String {
    let order = json!({ "customerId": "c-1", "lines": [], "total": 0, "paymentId": "p-1" });
    let (status, body) = http(url, "POST", "/api/order/create", &[], &order.to_string());
    assert_eq!(status, 200, "{body}");
    let order_id = json_of(&body)["orderId"].as_str().unwrap().to_string();
    let cancel = json!({ "orderId": order_id }).to_string();
    let (status, body) = http(url, "POST", "/api/order/cancel", &[], &cancel);
    assert_eq!(status, 200, "{body}");
    order_id
}

/// The ids in `log`, one per line (the fixture handler's record).
fn handled(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what}: not within {timeout:?}");
}

/// The run of the service's own CLI (`dead-letters …`) in `dir`.
fn service_cli(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let output = std::process::Command::new(binary())
        .args(args)
        .current_dir(dir)
        .env("EVENT_BUS_URL", "memory:")
        .envs(env.iter().copied())
        .output()
        .expect("the service binary runs");
    Run::from(output)
}

/// The spec's `communication.streaming.broker` (redis) is the service's
/// default event bus.
#[test]
fn the_spec_s_broker_is_the_default_event_bus() {
    let help = std::process::Command::new(binary())
        .arg("--help")
        .env_remove("EVENT_BUS_URL")
        .output()
        .expect("the service binary runs");
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("[default: redis://127.0.0.1:6379]"), "{help}");
}

#[test]
fn the_sqlite_default_survives_sigkill_and_sse_resumes() {
    let folder = tempfile::tempdir().unwrap();
    let server = Server::start_in(binary(), folder.path(), &[]);
    let id = create_product(&server.url, "tea");
    let (status, body) = rename(&server.url, &id, 1, "green tea");
    assert_eq!(status, 200, "{body}");
    let before = read_events(&server.url, "/api/events", 2, Duration::from_secs(10));
    assert_eq!(
        before.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        [1, 2]
    );
    server.kill();

    let server = Server::start_in(binary(), folder.path(), &[]);
    assert!(
        folder.path().join("order-management.db").exists(),
        "the default database is a file in the working folder"
    );
    let (status, body) = http(&server.url, "GET", &format!("{PRODUCTS}/{id}"), &[], "");
    assert_eq!(status, 200, "{body}");
    let stored = json_of(&body);
    assert_eq!(
        (stored["version"].as_u64(), stored["name"].as_str()),
        (Some(2), Some("green tea"))
    );
    // Resuming after event 1 gives event 2, as it was before the restart;
    // the next change continues the numbering.
    let (status, body) = rename(&server.url, &id, 2, "black tea");
    assert_eq!(status, 200, "{body}");
    let resumed = read_events(
        &server.url,
        "/api/events?lastEventId=1",
        2,
        Duration::from_secs(10),
    );
    assert_eq!(resumed[0], before[1]);
    assert_eq!(resumed[1].0, 3);
    assert_eq!(resumed[1].1["type"], "product.updated");
}

/// The fixture handler's fail flag (set) and log in `folder`.
fn failing_consumer(folder: &Path) -> (PathBuf, PathBuf) {
    let flag = folder.join("fail");
    std::fs::write(&flag, "").unwrap();
    (flag, folder.join("handled.log"))
}

/// The environment that points the fixture handler at `flag` and `log`.
fn consumer_env<'p>(flag: &'p Path, log: &'p Path) -> [(&'static str, &'p str); 2] {
    [
        ("FAIL_FLAG", flag.to_str().unwrap()),
        ("HANDLED_LOG", log.to_str().unwrap()),
    ]
}

#[test]
fn a_failing_consumer_dead_letters_and_a_replay_handles_it_once() {
    let folder = tempfile::tempdir().unwrap();
    let (flag, log) = failing_consumer(folder.path());
    let env = consumer_env(&flag, &log);
    let server = Server::start_in(binary(), folder.path(), &env);
    cancel_an_order(&server.url);
    let letters = || -> Vec<Value> {
        let run = service_cli(folder.path(), &env, &["dead-letters", "list"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        json_of(&run.stdout).as_array().unwrap().clone()
    };
    wait_until("a dead letter", Duration::from_secs(30), || {
        !letters().is_empty()
    });
    let letter = letters()[0].clone();
    assert_eq!(letter["consumer"], "inventory");
    assert_eq!(letter["attempts"], 3);
    assert!(handled(&log).is_empty(), "it never succeeded");

    // Fixed: the replay handles it once, and a second replay is refused.
    std::fs::remove_file(&flag).unwrap();
    let id = letter["id"].to_string();
    let run = service_cli(folder.path(), &env, &["dead-letters", "replay", &id]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(handled(&log), [letter["eventId"].as_str().unwrap()]);
    let again = service_cli(folder.path(), &env, &["dead-letters", "replay", &id]);
    assert_ne!(again.code, 0, "a replayed letter is not replayed twice");
    assert_eq!(handled(&log).len(), 1);
    assert!(letters()[0]["replayedAt"].is_string());

    // The consumer went on past it: the next event is handled normally.
    cancel_an_order(&server.url);
    wait_until("the next event handled", Duration::from_secs(30), || {
        handled(&log).len() == 2
    });
}

/// Two instances over one PostgreSQL and the bus at `bus_url`.
fn two_instances(postgres: &services::Postgres, bus_url: &str, log: &Path) -> (Server, Server) {
    let database_url = postgres.create_database("service");
    let env = [
        ("DATABASE_URL", database_url.as_str()),
        ("EVENT_BUS_URL", bus_url),
        ("HANDLED_LOG", log.to_str().unwrap()),
    ];
    (Server::start(binary(), &env), Server::start(binary(), &env))
}

/// What both bus tests check once A and B run: SSE ids shared, one winner
/// among concurrent writers, every consumer event handled once.
fn instances_share_state_and_events(a: &Server, b: &Server, log: &Path) {
    // A change through A reaches an SSE client of B, with A's id.
    let reader = std::thread::spawn({
        let url = b.url.clone();
        move || read_events(&url, "/api/events", 1, Duration::from_secs(20))
    });
    std::thread::sleep(Duration::from_millis(300));
    let id = create_product(&a.url, "tea");
    let on_b = reader.join().unwrap();
    assert_eq!(on_b[0].1["entityId"], id.as_str());
    let on_a = read_events(&a.url, "/api/events", 1, Duration::from_secs(10));
    assert_eq!(
        on_a[0], on_b[0],
        "the same event, with the same id, on both"
    );

    // 20 PATCHes naming version 1, over both instances: exactly one wins.
    let writers: Vec<_> = (0..20)
        .map(|n| {
            let url = if n % 2 == 0 {
                a.url.clone()
            } else {
                b.url.clone()
            };
            let id = id.clone();
            std::thread::spawn(move || rename(&url, &id, 1, &format!("tea {n}")).0)
        })
        .collect();
    let statuses: Vec<u16> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 409),
        "{statuses:?}"
    );
    assert_eq!(stored_version(&b.url, &id), 2);

    // Events a consumer handles: once each, whichever instance took them.
    cancel_an_order(&a.url);
    cancel_an_order(&b.url);
    wait_until(
        "both cancellations handled",
        Duration::from_secs(30),
        || handled(log).len() >= 2,
    );
    std::thread::sleep(Duration::from_millis(1500));
    let ids = handled(log);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((ids.len(), unique.len()), (2, 2), "{ids:?}");
}

/// Changes made through A while the broker is down, then A killed right
/// after a commit the broker never got, then the broker back: B's SSE
/// client sees every event about the product once, in commit order.
fn broker_outage(a: Server, b: &Server, broker: &mut services::Broker) -> Vec<(u64, Value)> {
    let id = create_product(&a.url, "coffee");
    broker.stop();
    let started = std::time::Instant::now();
    let mut version = 1;
    while started.elapsed() < Duration::from_secs(5) {
        let (status, body) = rename(&a.url, &id, version, &format!("coffee {version}"));
        assert_eq!(status, 200, "writes go on while the broker is down: {body}");
        version += 1;
        std::thread::sleep(Duration::from_millis(250));
    }
    let (status, body) = rename(&a.url, &id, version, "last");
    assert_eq!(status, 200, "{body}");
    a.kill();
    broker.start();
    // The creation and one update per rename.
    let expected = version as usize + 1;
    let about = |events: &[(u64, Value)]| -> Vec<(u64, Value)> {
        events
            .iter()
            .filter(|(_, e)| e["entityId"] == id.as_str())
            .cloned()
            .collect()
    };
    let events = read_events_where(&b.url, "/api/events", Duration::from_secs(30), |events| {
        about(events).len() >= expected
    });
    let mine = about(&events);
    assert_eq!(mine.len(), expected, "every event once");
    assert_eq!(mine[0].1["type"], "product.created");
    assert!(
        mine[1..]
            .iter()
            .all(|(_, e)| e["type"] == "product.updated")
    );
    mine
}

fn assert_in_order_once(events: &[(u64, Value)]) {
    let ids: Vec<u64> = events.iter().map(|(seq, _)| *seq).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ids, sorted, "in order, once each");
}

/// Two instances over one PostgreSQL and `broker`: state and events
/// shared, then a broker outage; the events B's client saw are checked in
/// order and once each, and handed to `then` while B and the database
/// still run (B's relay may still be publishing the backlog).
fn scaled_out_over(broker: &mut services::Broker, then: impl FnOnce(&[(u64, Value)])) {
    let folder = tempfile::tempdir().unwrap();
    let log = folder.path().join("handled.log");
    // A server per test: a static one would outlive the test process.
    let postgres = start_postgres();
    let (a, b) = two_instances(&postgres, &broker.url, &log);
    instances_share_state_and_events(&a, &b, &log);
    let events = broker_outage(a, &b, broker);
    assert_in_order_once(&events);
    then(&events);
}

#[test]
fn two_instances_over_postgres_and_redis() {
    let mut redis = start_redis();
    let url = redis.url.clone();
    scaled_out_over(&mut redis, |events| {
        let last = events.last().unwrap().0;
        // The event committed before the crash reached the broker after it.
        wait_until(
            "the last event on the Redis stream",
            Duration::from_secs(30),
            || {
                let out = std::process::Command::new("redis-cli")
                    .args([
                        "-u",
                        &url,
                        "XRANGE",
                        "parasol.order-management.events",
                        "-",
                        "+",
                    ])
                    .output()
                    .expect("redis-cli runs");
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .any(|line| line.trim() == last.to_string())
            },
        );
    });
}

#[test]
fn two_instances_over_postgres_and_nats() {
    scaled_out_over(&mut start_nats(), |_| {});
}

/// No Kafka broker can be installed here: the Kafka bus (cargo feature
/// `kafka`, librdkafka built from source) is tested by the crate's own
/// `tests/service/kafka.rs` against librdkafka's mock cluster, and linted.
#[test]
fn the_kafka_bus_against_the_mock_cluster() {
    // The service binary is copied out first: this build of the same
    // package must not race the one the other tests run.
    binary();
    let out = tempfile::tempdir().unwrap();
    generate(&canonical_spec(), out.path(), "rust");
    let crate_dir = out.path().join("rust/order-management");
    cargo(
        &crate_dir,
        &[
            "test",
            "--features",
            "kafka",
            "--test",
            "service",
            "kafka::",
        ],
    );
    cargo(
        &crate_dir,
        &[
            "clippy",
            "--features",
            "kafka",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    );
}

/// `bc setup-monitoring` on the real service: its alerts pass their own
/// unit tests, the metrics it serves pass `promtool check metrics`,
/// Prometheus scrapes it with the generated configuration, and a dead
/// letter fires the generated alert.
#[test]
fn prometheus_scrapes_the_service_and_a_dead_letter_fires_its_alert() {
    let folder = tempfile::tempdir().unwrap();
    let (flag, log) = failing_consumer(folder.path());
    let env = consumer_env(&flag, &log);
    let server = Server::start_in(binary(), folder.path(), &env);
    let address = server.url.strip_prefix("http://").unwrap();
    let out = folder.path().join("out");
    let spec = canonical_spec();
    let flags = ["--target", address, "--scrape-interval", "1s"];
    bc(&["setup-monitoring"], &spec, &out, &flags).ok();
    let monitoring = out.join("rust/order-management-monitoring");
    let (passed, report) =
        services::promtool(&monitoring, &["test", "rules", "rules.test.yml"], "");
    assert!(passed, "{report}");

    let prometheus = services::start_prometheus(&monitoring.join("prometheus.yml"));
    let query = |expr: &str| -> Vec<Value> {
        let (status, body) = http(
            &prometheus.url,
            "GET",
            &format!("/api/v1/query?query={expr}"),
            &[],
            "",
        );
        assert_eq!(status, 200, "{body}");
        json_of(&body)["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    wait_until("the service scraped", Duration::from_secs(30), || {
        query("up").iter().any(|r| r["value"][1] == "1")
    });

    cancel_an_order(&server.url);
    let consumed = |outcome: &str| {
        format!(r#"events_consumed_total{{consumer="inventory",outcome="{outcome}"}}"#)
    };
    wait_until("a dead letter counted", Duration::from_secs(30), || {
        let (_, metrics) = http(&server.url, "GET", "/metrics", &[], "");
        metrics
            .lines()
            .any(|l| l == format!("{} 1", consumed("dead_lettered")))
    });
    let (status, metrics) = http(&server.url, "GET", "/metrics", &[], "");
    assert_eq!(status, 200);
    assert!(
        metrics
            .lines()
            .any(|l| l == format!("{} 3", consumed("failed"))),
        "three attempts failed:\n{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("events_published_total{event_type=")),
        "{metrics}"
    );
    let (clean, lint) = services::promtool(folder.path(), &["check", "metrics"], &metrics);
    assert!(clean, "{lint}");

    let firing = || -> bool {
        let (_, body) = http(&prometheus.url, "GET", "/api/v1/alerts", &[], "");
        json_of(&body)["data"]["alerts"]
            .as_array()
            .is_some_and(|alerts| {
                alerts.iter().any(|a| {
                    a["labels"]["alertname"] == "OrderManagementDeadLetters"
                        && a["labels"]["consumer"] == "inventory"
                        && a["state"] == "firing"
                })
            })
    };
    wait_until(
        "the dead-letter alert firing",
        Duration::from_secs(60),
        firing,
    );
    // Throughput is recorded per route.
    wait_until("throughput recorded", Duration::from_secs(30), || {
        query("job_route:http_requests:rate5m")
            .iter()
            .any(|r| r["metric"]["route"] == "/api/order/cancel")
    });
}

/// Every example's monitoring, across thresholds at and around bucket
/// bounds: the configuration loads and every alert's unit tests pass
/// (each alert fires above its threshold and stays quiet below it).
#[test]
fn every_example_s_monitoring_passes_promtool() {
    let mut specs: Vec<PathBuf> = example_names().iter().map(|n| example_spec(n)).collect();
    specs.push(canonical_spec());
    let thresholds = [
        ("6ms", "1"),
        ("499ms", "99"),
        ("500ms", "5"),
        ("501ms", "50"),
        ("30s", "33"),
        ("2s", "100"),
    ];
    for (i, spec) in specs.iter().enumerate() {
        let (latency, errors) = thresholds[i % thresholds.len()];
        let out = tempfile::tempdir().unwrap();
        let flags = ["--latency-p99", latency, "--error-rate", errors];
        bc(&["setup-monitoring"], spec, out.path(), &flags).ok();
        let dir = only_child(&out.path().join("rust"));
        for args in [
            &["check", "config", "prometheus.yml"][..],
            &["test", "rules", "rules.test.yml"][..],
        ] {
            let (passed, report) = services::promtool(&dir, args, "");
            assert!(
                passed,
                "{} {latency} {errors}%: {args:?}\n{report}",
                spec.display()
            );
        }
    }
}

/// `--log-format json`: one JSON object per line; each request logged (at
/// debug) with its route pattern, status and correlation id, and each
/// event a consumer handles with the id of the request that caused it.
#[test]
fn json_logs_carry_each_request_s_route_and_correlation_id() {
    use std::io::{BufRead, BufReader};
    let folder = tempfile::tempdir().unwrap();
    let log = folder.path().join("stderr.log");
    let mut child = std::process::Command::new(binary())
        .current_dir(folder.path())
        .env_remove("DATABASE_URL")
        .env("EVENT_BUS_URL", "memory:")
        .env(
            "RUST_LOG",
            "info,order_management::http=debug,order_management::outbox=debug",
        )
        .args(["--addr", "127.0.0.1:0", "--log-format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    let (status, _) = http(
        &url,
        "GET",
        &format!("{PRODUCTS}/no-such-id"),
        &[("x-correlation-id", "trace-me-1")],
        "",
    );
    assert_eq!(status, 404);
    let mut logged = Vec::new();
    wait_until("the request logged", Duration::from_secs(10), || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        logged = text
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}"))
            })
            .collect();
        logged
            .iter()
            .any(|entry| entry["fields"]["correlation_id"] == "trace-me-1")
    });
    let entry = logged
        .iter()
        .find(|entry| entry["fields"]["correlation_id"] == "trace-me-1")
        .unwrap();
    assert_eq!(entry["fields"]["route"], format!("{PRODUCTS}/{{id}}"));
    assert_eq!(entry["fields"]["status"], 404);
    assert_eq!(entry["level"], "DEBUG");

    // The events a request causes carry its id into their consumers' lines.
    let trace = [("x-correlation-id", "trace-me-2")];
    let order = json!({ "customerId": "c-1", "lines": [], "total": 0, "paymentId": "p-1" });
    let (status, body) = http(
        &url,
        "POST",
        "/api/order/create",
        &trace,
        &order.to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let cancel = json!({ "orderId": json_of(&body)["orderId"] }).to_string();
    let (status, body) = http(&url, "POST", "/api/order/cancel", &trace, &cancel);
    assert_eq!(status, 200, "{body}");
    wait_until("the consumer's line", Duration::from_secs(20), || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .any(|entry| {
                entry["fields"]["message"] == "event handled"
                    && entry["fields"]["consumer"] == "inventory"
                    && entry["fields"]["correlation_id"] == "trace-me-2"
            })
    });
    let _ = child.kill();
    let _ = child.wait();
}

/// A stand-in OpenTelemetry collector: accepts OTLP/HTTP JSON posts on a
/// loopback port and keeps every span it receives.
struct Collector {
    url: String,
    spans: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

impl Collector {
    fn start() -> Collector {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let spans = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = spans.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                if let Ok(export) = serde_json::from_slice::<Value>(&body) {
                    let found = export["resourceSpans"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|r| r["scopeSpans"].as_array().into_iter().flatten())
                        .flat_map(|s| s["spans"].as_array().into_iter().flatten())
                        .cloned();
                    kept.lock().unwrap().extend(found);
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                );
            }
        });
        Collector { url, spans }
    }

    fn span(&self, trace_id: &str, name: &str) -> Option<Value> {
        self.spans
            .lock()
            .unwrap()
            .iter()
            .find(|span| span["traceId"] == trace_id && span["name"] == name)
            .cloned()
    }
}

/// `bc setup-monitoring --tracing distributed`: the service started with
/// the `service.env` it writes sends its spans to the collector named. A
/// request that carries a W3C `traceparent` is a server span of the
/// caller's trace, and the consumer that handles the event the request
/// caused continues the same trace, as the request's child.
#[test]
fn traces_follow_a_request_into_the_consumers_of_its_events() {
    let collector = Collector::start();
    let out = tempfile::tempdir().unwrap();
    let spec = canonical_spec();
    let flags = ["--tracing", "distributed", "--collector", &collector.url];
    bc(&["setup-monitoring"], &spec, out.path(), &flags).ok();
    let env_file = out
        .path()
        .join("rust/order-management-monitoring/service.env");
    let mut env: Vec<(String, String)> = std::fs::read_to_string(env_file)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    assert!(
        env.contains(&("OTEL_EXPORTER_OTLP_ENDPOINT".into(), collector.url.clone())),
        "{env:?}"
    );
    // The stand-in reads JSON; the file asks for protobuf, as collectors take.
    env.retain(|(name, _)| name != "OTEL_EXPORTER_OTLP_PROTOCOL");
    env.push(("OTEL_EXPORTER_OTLP_PROTOCOL".into(), "http/json".into()));
    env.push(("OTEL_BSP_SCHEDULE_DELAY".into(), "100".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let server = Server::start(binary(), &env);
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("00-{trace_id}-00f067aa0ba902b7-01");
    let traced = [("traceparent", traceparent.as_str())];
    let order = json!({ "customerId": "c-1", "lines": [], "total": 0, "paymentId": "p-1" });
    let (status, body) = http(
        &server.url,
        "POST",
        "/api/order/create",
        &[],
        &order.to_string(),
    );
    assert_eq!(status, 200, "{body}");
    let cancel = json!({ "orderId": json_of(&body)["orderId"] }).to_string();
    let (status, body) = http(&server.url, "POST", "/api/order/cancel", &traced, &cancel);
    assert_eq!(status, 200, "{body}");

    let (mut request, mut handled) = (None, None);
    wait_until("both spans exported", Duration::from_secs(20), || {
        request = collector.span(trace_id, "POST /api/order/cancel");
        handled = collector.span(trace_id, "inventory order.cancelled");
        request.is_some() && handled.is_some()
    });
    let (request, handled) = (request.unwrap(), handled.unwrap());
    assert_eq!(request["parentSpanId"], "00f067aa0ba902b7", "{request}");
    assert_eq!(request["kind"], 2, "a server span: {request}");
    assert_eq!(handled["parentSpanId"], request["spanId"], "{handled}");
    assert_eq!(handled["kind"], 5, "a consumer span: {handled}");
    let attribute = |span: &Value, key: &str| {
        span["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| a["value"].clone())
    };
    assert_eq!(
        attribute(&request, "http.route"),
        Some(json!({ "stringValue": "/api/order/cancel" }))
    );
    assert!(
        collector.span(trace_id, "POST /api/order/create").is_none(),
        "an untraced call starts a trace of its own"
    );
}

/// An event-sourced service (`cqrs-es`), switched to from a service that
/// was not (`hexagonal`: V5 with ports and adapters) with records stored, over SQLite and over
/// PostgreSQL: the migration that adds the event store starts each stored
/// record's stream, commands load from the stream and append to it, and
/// `rebuild-projections` derives the tables from the streams. Switched
/// back and forth again, a row ahead of its stream is imported once by
/// eight commands racing for it.
#[test]
fn switching_to_cqrs_es_keeps_stored_records() {
    let out = tempfile::tempdir().unwrap();
    let spec = example_spec("ledger");
    let crate_dir = out.path().join("rust/ledger");
    let build = |architecture: &str, keep_in: &str| {
        let flags = ["--lang", "rust", "--architecture", architecture];
        bc_generate(&spec, out.path(), &flags).ok();
        let keep_in = out.path().join(keep_in);
        std::fs::create_dir_all(&keep_in).unwrap();
        build_binary(&crate_dir, &keep_in)
    };
    let v5 = build("hexagonal", "v5");
    let postgres = start_postgres();
    let databases = [
        format!(
            "sqlite://{}?mode=rwc",
            out.path().join("ledger.db").display()
        ),
        postgres.create_database("ledger"),
    ];
    let ids: Vec<String> = databases
        .iter()
        .map(|url| {
            let server = Server::start(&v5, &[("DATABASE_URL", url.as_str())]);
            store_an_account(&server.url)
        })
        .collect();

    let es = build("cqrs-es", "es");
    for dialect in ["sqlite", "postgres"] {
        let migration = format!("migrations/{dialect}/0002_add_event_store.sql");
        assert!(crate_dir.join(&migration).is_file(), "{migration}");
    }
    for (url, id) in databases.iter().zip(&ids) {
        event_sourced_from_then_on(&es, url, id);
    }

    // Back to ports and adapters, which writes rows but no events, then
    // event-sourced again (the same build): the row is ahead of its
    // stream, and commands racing to take it into the stream import it
    // once, the losers answered 409, not 500 (a race on PostgreSQL;
    // SQLite's writes take turns).
    let back = build("hexagonal", "back");
    for (url, id) in databases.iter().zip(&ids) {
        commands_race_to_import(&back, &es, url, id);
    }
}

/// The account `id` changed once by `back`, which writes no events, then
/// by eight commands of `es` at once, all naming version 4.
fn commands_race_to_import(back: &Path, es: &Path, database_url: &str, id: &str) {
    let item = format!("{ACCOUNTS}/{id}");
    {
        let server = Server::start(back, &[("DATABASE_URL", database_url)]);
        let change = json!({ "balance": 40, "version": 3 }).to_string();
        let (status, body) = http(&server.url, "PATCH", &item, &[], &change);
        assert_eq!(status, 200, "{body}");
    }
    let server = Server::start(es, &[("DATABASE_URL", database_url)]);
    let change = json!({ "balance": 50, "version": 4 }).to_string();
    let statuses: Vec<_> = std::thread::scope(|scope| {
        let racers: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| http(&server.url, "PATCH", &item, &[], &change).0))
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let won = statuses.iter().filter(|s| **s == 200).count();
    assert!(
        won == 1 && statuses.iter().all(|s| *s == 200 || *s == 409),
        "{database_url}: {statuses:?}"
    );
    let (status, body) = http(&server.url, "GET", &format!("{item}/history"), &[], "");
    assert_eq!(status, 200, "{body}");
    let kinds: Vec<(String, u64)> = json_of(&body)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().into(),
                e["version"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("imported", 2),
        ("updated", 3),
        ("imported", 4),
        ("updated", 5),
    ];
    let expected: Vec<(String, u64)> = expected.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    assert_eq!(kinds, expected, "{database_url}");
}

const ACCOUNTS: &str = "/api/accounts/accounts";

/// Creates an account and changes it once (version 2); its id.
fn store_an_account(url: &str) -> String {
    let body = json!({ "owner": "ada", "balance": 10, "status": "open" }).to_string();
    let (status, body) = http(url, "POST", ACCOUNTS, &[], &body);
    assert_eq!(status, 201, "{body}");
    let id = json_of(&body)["id"].as_str().unwrap().to_string();
    let change = json!({ "balance": 20, "version": 1 }).to_string();
    let (status, body) = http(url, "PATCH", &format!("{ACCOUNTS}/{id}"), &[], &change);
    assert_eq!(status, 200, "{body}");
    id
}

/// The account `id`, stored before the event store, as the event-sourced
/// `binary` over `database_url` sees and changes it.
fn event_sourced_from_then_on(binary: &Path, database_url: &str, id: &str) {
    let env = [("DATABASE_URL", database_url)];
    let server = Server::start(binary, &env);
    let item = format!("{ACCOUNTS}/{id}");
    let stream = || -> Vec<(String, u64)> {
        let (status, body) = http(&server.url, "GET", &format!("{item}/history"), &[], "");
        assert_eq!(status, 200, "{body}");
        let events = json_of(&body);
        let events = events.as_array().unwrap().iter();
        events
            .map(|e| {
                (
                    e["kind"].as_str().unwrap().into(),
                    e["version"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(stream(), [("imported".to_string(), 2)], "{database_url}");
    let change = json!({ "balance": 30, "version": 2 }).to_string();
    let (status, body) = http(&server.url, "PATCH", &item, &[], &change);
    assert_eq!(status, 200, "{body}");
    let updated = json_of(&body);
    assert_eq!(updated["version"], 3);
    let expected = [("imported".to_string(), 2), ("updated".to_string(), 3)];
    assert_eq!(stream(), expected, "{database_url}");

    let rebuilt = std::process::Command::new(binary)
        .arg("rebuild-projections")
        .env("DATABASE_URL", database_url)
        .env("EVENT_BUS_URL", "memory:")
        .output()
        .expect("the service binary runs");
    let rebuilt = Run::from(rebuilt).ok();
    assert!(rebuilt.stdout.contains(": 1 records"), "{}", rebuilt.stdout);
    let (status, body) = http(&server.url, "GET", &item, &[], "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body), updated, "{database_url}");
}
