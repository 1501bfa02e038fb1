//! `bc test-communication`: a TypeScript package (`<ctx>-communication-tests`)
//! whose tests start the context's real service binary on loopback, with
//! injected faults where a scenario needs them, and call it through the
//! generated client with the spec's `communication.sync` settings: a happy
//! path counted by the service's own metrics, a timeout, a circuit breaker
//! that opens and stops calls reaching the service, and a load test at a
//! fixed rate with limits taken from the spec.

use std::path::Path;

use minijinja::Value;
use serde::{Deserialize, Serialize};

use super::{Renderer, Request, plan_beside};
use crate::diag::{Diagnostic, Diagnostics};
use crate::model::Context;
use crate::plan::{FileSpec, Plan};
use crate::render::tpl;
use crate::settings::Scenario;
use crate::targets;

pub const TEST_COMMUNICATION: &str = "bc test-communication";

/// What `bc test-communication` was asked for (recorded in the manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunicationTests {
    /// Sorted, without repeats.
    pub scenarios: Vec<Scenario>,
    /// Requests per second of the load test, if one was asked for.
    #[serde(default)]
    pub load_rps: Option<u32>,
    pub load_duration_ms: u64,
}

impl CommunicationTests {
    fn command(&self, ctx: &Context) -> String {
        let scenarios: Vec<&str> = self.scenarios.iter().map(|s| s.as_str()).collect();
        let mut command = format!(
            "parasol bc test-communication {} --scenarios {}",
            ctx.name.raw,
            scenarios.join(",")
        );
        if let Some(rps) = self.load_rps {
            command.push_str(&format!(
                " --load-test {rps}-rps --load-duration {}ms",
                self.load_duration_ms
            ));
        }
        command
    }

    pub fn folder(ctx: &Context) -> String {
        format!("{}-communication-tests", ctx.name.kebab)
    }

    /// The scenarios `ctx` allows when none are named: faults target
    /// operations, so `timeout` and `circuit-break` need one.
    pub fn possible(ctx: &Context) -> Vec<Scenario> {
        let has_operation = ctx.modules.iter().any(|m| !m.ops.is_empty());
        Scenario::ALL
            .iter()
            .copied()
            .filter(|&s| s == Scenario::HappyPath || has_operation)
            .collect()
    }
}

/// What the templates see (`comm`).
#[derive(Debug, Serialize)]
struct View {
    happy_path: bool,
    timeout: bool,
    circuit_break: bool,
    /// The first aggregate: its collection route and a valid new record.
    aggregate: Option<Call>,
    /// The operation faults target: its key, route and a valid input.
    operation: Option<Call>,
    /// How long the service stalls in the timeout scenario: past both the
    /// connect and the read timeout of the client.
    delay_ms: u64,
    load_rps: Option<u32>,
    load_duration_ms: u64,
}

/// A route the tests call, with a body the service accepts.
#[derive(Debug, Serialize)]
struct Call {
    /// The operation's key (`catalog.updatePrice`), which faults name;
    /// empty for an aggregate.
    key: String,
    route: String,
    body: serde_json::Value,
}

/// Plans `bc test-communication` into `<language_root>/<ctx>-communication-tests`.
pub fn plan_communication_tests(
    renderer: &Renderer<'_>,
    ctx: &Context,
    request: &CommunicationTests,
    language_root: &Path,
    spec_path: &Path,
) -> Result<Plan, Diagnostics> {
    let possible = CommunicationTests::possible(ctx);
    let mut diags = Diagnostics::new();
    for scenario in &request.scenarios {
        if !possible.contains(scenario) {
            diags.push(
                Diagnostic::error(
                    "unsupported-scenario",
                    format!(
                        "scenario `{scenario}` needs an operation to inject a fault into, and context `{}` declares none",
                        ctx.name.raw
                    ),
                )
                .with_help("declare an operation under a module's `api:`, or leave the scenario out"),
            );
        }
    }
    if request.load_duration_ms < 1000 && request.load_rps.is_some() {
        diags.push(
            Diagnostic::error(
                "unsupported-scenario",
                format!(
                    "a load test of {} ms measures no steady rate",
                    request.load_duration_ms
                ),
            )
            .with_help("pass `--load-duration 1s` or longer"),
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let aggregate = ctx
        .modules
        .iter()
        .flat_map(|m| &m.aggregates)
        .next()
        .map(|a| Call {
            key: String::new(),
            route: a.route.clone(),
            body: a.sample_new.clone(),
        });
    let operation = ctx
        .modules
        .iter()
        .flat_map(|m| &m.ops)
        .next()
        .map(|o| Call {
            key: o.key.clone(),
            route: o.route.clone(),
            body: o.sample_input.clone(),
        });
    let sync = &ctx.communication.sync;
    let view = View {
        happy_path: request.scenarios.contains(&Scenario::HappyPath),
        timeout: request.scenarios.contains(&Scenario::Timeout),
        circuit_break: request.scenarios.contains(&Scenario::CircuitBreak),
        aggregate,
        operation,
        delay_ms: sync.connect_timeout_ms + sync.read_timeout_ms + 1000,
        load_rps: request.load_rps,
        load_duration_ms: request.load_duration_ms,
    };
    let root = language_root.join(CommunicationTests::folder(ctx));
    let mut files = targets::ts::files(ctx);
    files.extend([
        FileSpec::generated("COMMUNICATION.md", tpl::TS_COMMUNICATION_COMMUNICATION_MD),
        FileSpec::generated("test/harness.ts", tpl::TS_COMMUNICATION_HARNESS_TS),
        FileSpec::generated(
            "test/communication.test.ts",
            tpl::TS_COMMUNICATION_COMMUNICATION_TEST_TS,
        ),
    ]);
    if request.load_rps.is_some() {
        files.push(FileSpec::generated(
            "test/load.test.ts",
            tpl::TS_COMMUNICATION_LOAD_TEST_TS,
        ));
    }
    let package = CommunicationTests::folder(ctx);
    let extra = [
        ("comm", crate::render::value(&view)),
        ("package", Value::from(package.as_str())),
        ("lang", Value::from("ts")),
    ];
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

impl Request for CommunicationTests {
    const COMMAND: &'static str = TEST_COMMUNICATION;

    fn replan(
        &self,
        renderer: &Renderer<'_>,
        ctx: Context,
        root: &Path,
        spec_path: &Path,
    ) -> Result<Plan, Diagnostics> {
        let language_root = root.parent().unwrap_or(root);
        plan_communication_tests(renderer, &ctx, self, language_root, spec_path)
    }
}
