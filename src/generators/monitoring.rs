//! `bc setup-monitoring`: Prometheus monitoring of a context's service, in
//! a folder beside its crate (`<ctx>-monitoring`): the scrape
//! configuration, recording rules and alerts for the chosen signals, unit
//! tests of those alerts for `promtool test rules`, and the environment
//! that sets the service's log format. The series are the ones the
//! service's `src/metrics.rs` serves at `GET /metrics`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Renderer, Request, duration, plan_beside};
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::Context;
use crate::plan::{FileSpec, Plan};
use crate::render::tpl;
use crate::settings::{LogStyle, Signal, Tracing};

pub const SETUP_MONITORING: &str = "bc setup-monitoring";

/// The upper bounds of the service's latency histogram, in milliseconds
/// (`DURATION_BUCKETS` in the generated `src/metrics.rs`; a test compares
/// the two).
pub const LATENCY_BUCKETS_MS: &[u64] = &[
    5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000,
];

/// The p99 latency threshold the spec implies: its `read_timeout`, where
/// callers give up, but no higher than the largest threshold the
/// histogram can tell (a whole bucket above it), and where it came from.
/// A timeout above that (`read_timeout: 1m`) is said as a warning: the
/// alert then fires before callers give up, not never.
pub fn latency_from_spec(ctx: &Context) -> (u64, String, Option<Diagnostic>) {
    let read_timeout_ms = ctx.communication.sync.read_timeout_ms;
    let largest = LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.len() - 2];
    let source = "the spec's `communication.sync.read_timeout`, where callers give up";
    if read_timeout_ms <= largest {
        return (read_timeout_ms, source.to_string(), None);
    }
    let warning = Diagnostic::warning(
        "monitoring-threshold",
        format!(
            "the spec's `read_timeout` of {} s is above the largest p99 latency the service's histogram can tell: the latency alert fires at {} s",
            seconds(read_timeout_ms),
            seconds(largest)
        ),
    )
    .with_help("pass `--latency-p99` to choose the threshold yourself");
    let warning = match ctx.communication.sync.read_timeout_pos {
        Some(pos) => warning.at(crate::diag::Location::in_file(&ctx.file, pos)),
        None => warning,
    };
    (
        largest,
        format!(
            "{source}, {} s, capped at the largest the service's histogram can tell",
            seconds(read_timeout_ms)
        ),
        Some(warning),
    )
}

/// What `bc setup-monitoring` was asked for (recorded in the manifest).
/// Thresholds are resolved when asked (from the flags, else the spec), so
/// `check` replays the same numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monitoring {
    /// Sorted, without repeats.
    pub signals: Vec<Signal>,
    pub logging: LogStyle,
    #[serde(default)]
    pub tracing: Option<Tracing>,
    /// Where traces go (OTLP/HTTP), with `tracing`.
    #[serde(default)]
    pub collector: Option<String>,
    /// `HOST:PORT` of each instance Prometheus scrapes.
    pub targets: Vec<String>,
    /// How often Prometheus scrapes and evaluates the rules.
    pub scrape_interval_ms: u64,
    pub latency_p99_ms: u64,
    /// Where `latency_p99_ms` came from, for the README and alert text.
    pub latency_source: String,
    pub error_rate_percent: u32,
    pub error_rate_source: String,
}

/// The service's default `--addr`: what is scraped unless told otherwise.
pub const DEFAULT_TARGET: &str = "127.0.0.1:8080";

impl Monitoring {
    fn command(&self, ctx: &Context) -> String {
        let signals: Vec<&str> = self.signals.iter().map(|s| s.as_str()).collect();
        let mut command = format!(
            "parasol bc setup-monitoring {} --metrics {} --logging {} --target {} --scrape-interval {} --latency-p99 {}ms --error-rate {}",
            ctx.name.raw,
            signals.join(","),
            self.logging,
            self.targets.join(","),
            duration(self.scrape_interval_ms),
            self.latency_p99_ms,
            self.error_rate_percent
        );
        if let Some(tracing) = self.tracing {
            command.push_str(&format!(" --tracing {tracing}"));
        }
        if let Some(collector) = &self.collector {
            command.push_str(&format!(" --collector {collector}"));
        }
        command
    }

    pub fn folder(ctx: &Context) -> String {
        format!("{}-monitoring", ctx.name.kebab)
    }

    fn has(&self, signal: Signal) -> bool {
        self.signals.contains(&signal)
    }
}

/// Seconds as Prometheus reads them: `0.25`, `5`.
fn seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        (ms / 1000).to_string()
    } else {
        let text = format!("{}.{:03}", ms / 1000, ms % 1000);
        text.trim_end_matches('0').to_string()
    }
}

/// What the monitoring templates see (`monitoring` in every template).
#[derive(Debug, Serialize)]
struct View<'r> {
    /// The Prometheus job: the crate's name.
    job: &'r str,
    /// Prefix of alert names (`OrderManagement`).
    alert_prefix: &'r str,
    latency: bool,
    throughput: bool,
    error_rate: bool,
    structured_logs: bool,
    /// The collector's OTLP/HTTP URL, when traces are exported.
    collector: Option<&'r str>,
    targets: &'r [String],
    /// `scrape_interval` and `evaluation_interval` (`15s`).
    scrape_interval: String,
    /// The p99 threshold in seconds, and where it came from.
    latency_seconds: String,
    latency_source: &'r str,
    /// The 5xx share that fires, as a ratio (`0.05`), and as a percentage.
    error_ratio: String,
    error_rate_percent: u32,
    error_rate_source: &'r str,
    /// Histogram buckets, in seconds, for the alert tests: one wholly
    /// below the threshold, and the first whose lower bound is at or
    /// above it (its p99 is over the threshold).
    buckets: Vec<String>,
    fast_bucket: String,
    slow_bucket: String,
}

/// Checks the thresholds against what the service's histogram can show.
fn check(request: &Monitoring) -> Result<(usize, usize), Diagnostics> {
    let mut diags = Diagnostics::new();
    let latency = request.latency_p99_ms;
    // The p99 of observations in one bucket lies inside it, so a threshold
    // is detectable when a whole bucket lies above it and one below it.
    let slow = LATENCY_BUCKETS_MS
        .windows(2)
        .position(|pair| pair[0] >= latency)
        .map(|i| i + 1);
    let fast = LATENCY_BUCKETS_MS
        .iter()
        .rposition(|&bound| bound < latency);
    if request.has(Signal::Latency) && (slow.is_none() || fast.is_none()) {
        diags.push(
            Diagnostic::error(
                "monitoring-threshold",
                format!(
                    "a p99 latency threshold of {latency} ms ({}) cannot be told from the service's histogram, whose buckets run from {} s to {} s",
                    request.latency_source,
                    seconds(LATENCY_BUCKETS_MS[0]),
                    seconds(LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.len() - 1])
                ),
            )
            .with_help(format!(
                "pass `--latency-p99` between {}ms and {}s",
                LATENCY_BUCKETS_MS[0] + 1,
                LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.len() - 2] / 1000
            )),
        );
    }
    if !(1..=100).contains(&request.error_rate_percent) {
        diags.push(
            Diagnostic::error(
                "monitoring-threshold",
                format!(
                    "an error-rate threshold of {}% ({}) would never fire or always fire",
                    request.error_rate_percent, request.error_rate_source
                ),
            )
            .with_help("pass `--error-rate` between 1 and 100"),
        );
    }
    if request.scrape_interval_ms == 0 {
        diags.push(
            Diagnostic::error(
                "monitoring-threshold",
                "a scrape interval of 0 never scrapes",
            )
            .with_help("pass `--scrape-interval 15s`, or leave it out"),
        );
    }
    for target in &request.targets {
        let port = target
            .rsplit_once(':')
            .map(|(host, port)| (host, port.parse::<u16>()));
        if !matches!(port, Some((host, Ok(_))) if !host.is_empty() && !host.contains(['/', ' ', '"', '\'']))
        {
            diags.push(
                Diagnostic::error(
                    "monitoring-target",
                    format!("scrape target `{target}` is not `HOST:PORT`"),
                )
                .with_help("pass `--target 127.0.0.1:8080` (comma-separated for several)"),
            );
        }
    }
    if let Some(collector) = &request.collector {
        let address = collector
            .strip_prefix("http://")
            .or_else(|| collector.strip_prefix("https://"))
            .map(|rest| rest.trim_end_matches('/'));
        if !matches!(address, Some(a) if !a.is_empty() && !a.contains([' ', '"', '\'', '#'])) {
            diags.push(
                Diagnostic::error(
                    "monitoring-target",
                    format!("collector `{collector}` is not an http:// or https:// URL"),
                )
                .with_help("pass `--collector http://127.0.0.1:4318`, an OTLP/HTTP endpoint"),
            );
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok((fast.unwrap_or(0), slow.unwrap_or(0)))
}

/// Plans `bc setup-monitoring` into `<language_root>/<ctx>-monitoring`.
pub fn plan_monitoring(
    renderer: &Renderer<'_>,
    ctx: &Context,
    request: &Monitoring,
    language_root: &Path,
    spec_path: &Path,
) -> Result<Plan, Diagnostics> {
    let (fast, slow) = check(request)?;
    let buckets: Vec<String> = LATENCY_BUCKETS_MS.iter().map(|&ms| seconds(ms)).collect();
    let view = View {
        job: &ctx.name.kebab,
        alert_prefix: &ctx.name.pascal,
        latency: request.has(Signal::Latency),
        throughput: request.has(Signal::Throughput),
        error_rate: request.has(Signal::ErrorRate),
        structured_logs: request.logging == LogStyle::Structured,
        collector: request.collector.as_deref(),
        targets: &request.targets,
        scrape_interval: duration(request.scrape_interval_ms),
        latency_seconds: seconds(request.latency_p99_ms),
        latency_source: &request.latency_source,
        error_ratio: format!("{}", f64::from(request.error_rate_percent) / 100.0),
        error_rate_percent: request.error_rate_percent,
        error_rate_source: &request.error_rate_source,
        fast_bucket: buckets[fast].clone(),
        slow_bucket: buckets[slow].clone(),
        buckets,
    };
    let root = language_root.join(Monitoring::folder(ctx));
    let files = vec![
        FileSpec::generated("README.md", tpl::MONITORING_README_MD),
        FileSpec::generated("prometheus.yml", tpl::MONITORING_PROMETHEUS_YML),
        FileSpec::generated("rules.yml", tpl::MONITORING_RULES_YML),
        FileSpec::generated("rules.test.yml", tpl::MONITORING_RULES_TEST_YML),
        FileSpec::generated("service.env", tpl::MONITORING_SERVICE_ENV),
    ];
    let extra = [("monitoring", crate::render::value(&view))];
    plan_beside(
        renderer,
        ctx,
        request,
        request.command(ctx),
        root,
        spec_path,
        files,
        &extra,
    )
}

impl Request for Monitoring {
    const COMMAND: &'static str = SETUP_MONITORING;

    fn replan(
        &self,
        renderer: &Renderer<'_>,
        ctx: Context,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics> {
        let language_root = root.parent().unwrap_or(root);
        plan_monitoring(renderer, &ctx, self, language_root, spec_path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_as_prometheus_numbers() {
        assert_eq!(seconds(5_000), "5");
        assert_eq!(seconds(250), "0.25");
        assert_eq!(seconds(1_500), "1.5");
        assert_eq!(seconds(5), "0.005");
        assert_eq!(duration(15_000), "15s");
        assert_eq!(duration(1_500), "1500ms");
    }

    #[test]
    fn the_latency_buckets_are_the_generated_service_s() {
        let template = include_str!("../../templates/rust/src/metrics.rs.j2");
        let listed: Vec<String> = LATENCY_BUCKETS_MS.iter().map(|&ms| seconds(ms)).collect();
        let start = template
            .find("DURATION_BUCKETS: &[f64] = &[")
            .expect("the buckets");
        let end = start + template[start..].find("];").expect("their end");
        let numbers: Vec<String> = template[start..end]
            .split(['[', ',', '\n', ' '])
            .filter_map(|word| word.parse::<f64>().ok())
            .map(|n| seconds((n * 1000.0).round() as u64))
            .collect();
        assert_eq!(numbers, listed);
    }

    fn asked(latency_p99_ms: u64, error_rate_percent: u32, targets: &[&str]) -> Monitoring {
        Monitoring {
            signals: Signal::ALL.to_vec(),
            logging: LogStyle::Structured,
            tracing: None,
            collector: None,
            targets: targets.iter().map(|t| t.to_string()).collect(),
            scrape_interval_ms: 15_000,
            latency_p99_ms,
            latency_source: "--latency-p99".into(),
            error_rate_percent,
            error_rate_source: "--error-rate".into(),
        }
    }

    #[test]
    fn thresholds_pick_a_bucket_below_and_one_wholly_above() {
        // 500 ms: 250 ms is below it; (500, 1000] lies wholly above it.
        assert_eq!(check(&asked(500, 5, &["a:1"])).unwrap(), (5, 7));
        // 700 ms: (1000, 2500] is the first bucket whose lower bound is above it.
        assert_eq!(check(&asked(700, 5, &["a:1"])).unwrap(), (6, 8));
        assert_eq!(check(&asked(30_000, 5, &["a:1"])).unwrap(), (10, 12));
    }

    /// A spec's read timeout beyond the histogram's reach still gives an
    /// alert that can fire: at the largest threshold it can tell, said.
    #[test]
    fn a_read_timeout_beyond_the_histogram_caps_the_latency_threshold() {
        let context = |communication: &str| {
            let yaml = format!(
                "parasol: 1\nbounded_context:\n  name: Relay\n  modules:\n    relay:\n      aggregates:\n        Message: {{ fields: {{ body: string }} }}\n{communication}"
            );
            crate::load::load_text("t.bc.yaml", yaml.as_bytes(), &mut Diagnostics::new())
                .expect("the spec is valid")
        };
        let (ms, source, warning) = latency_from_spec(&context(""));
        assert_eq!((ms, warning.is_none()), (5_000, true));
        assert!(source.contains("read_timeout"), "{source}");
        let slow = context("  communication:\n    sync: { read_timeout: 1m }\n");
        let (ms, source, warning) = latency_from_spec(&slow);
        assert_eq!(ms, 30_000);
        assert!(source.contains("60 s, capped"), "{source}");
        let warning = warning.expect("the cap is said");
        assert!(
            warning.message.contains("fires at 30 s"),
            "{}",
            warning.message
        );
        // At the spec's `read_timeout`, which is what to change.
        let at = warning.location.expect("a location");
        assert_eq!((at.pos.line, at.pos.col), (9, 27));
        assert!(check(&asked(ms, 5, &["127.0.0.1:8080"])).is_ok());
    }

    #[test]
    fn thresholds_the_histogram_cannot_show_and_bad_targets_are_refused() {
        for (latency, error, target) in [
            (5, 5, "a:1"),
            (30_001, 5, "a:1"),
            (500, 0, "a:1"),
            (500, 101, "a:1"),
            (500, 5, "no-port"),
            (500, 5, ":80"),
            (500, 5, "host:http"),
        ] {
            assert!(
                check(&asked(latency, error, &[target])).is_err(),
                "{latency} {error} {target}"
            );
        }
    }
}
