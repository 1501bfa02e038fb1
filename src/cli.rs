//! Command-line surface (clap). Only argument shapes live here; commands
//! turn them into settings and call the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "parasol",
    version,
    about = "Validate Parasol bundles and bounded-context specs; generate event-driven Rust backends and TypeScript frontends.",
    after_help = "Examples:\n  parasol init shop --name Shop\n  parasol bc validate Shop\n  parasol bc generate Shop\n  parasol check\n\nExit codes: 0 ok, 1 invalid input or stale output, 2 usage error.\nDocs: README.md and docs/ in the parasol repository."
)]
pub struct Cli {
    /// Project file to use (default: `parasol.yaml` in this folder or the nearest above).
    #[arg(long, global = true, value_name = "FILE")]
    pub project: Option<PathBuf>,

    /// Print only errors (and what failed): no progress, no summaries.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with one bounded context: validate, generate, visualize.
    #[command(
        subcommand,
        after_help = "Examples:\n  parasol bc validate OrderManagement\n  parasol bc generate OrderManagement --lang rust\n  parasol bc visualize OrderManagement"
    )]
    Bc(BcCommand),
    /// Regenerate every output in memory and fail (exit 1) when any file differs; for CI.
    #[command(after_help = EXAMPLES_CHECK)]
    Check(CheckArgs),
    /// Generate one part of the code on its own, or everything (`--all`).
    #[command(args_conflicts_with_subcommands = true, after_help = EXAMPLES_GENERATE)]
    Generate(GenerateGroup),
    /// Set up how a workflow is coordinated.
    #[command(
        subcommand,
        after_help = "Examples:\n  parasol setup orchestration PlaceOrder --location frontend"
    )]
    Setup(SetupCommand),
    /// Inspect bundles.
    #[command(
        subcommand,
        after_help = "Examples:\n  parasol bundle resolve bundles/v5-event-driven.md"
    )]
    Bundle(BundleCommand),
    /// List and customise the built-in templates.
    #[command(
        subcommand,
        after_help = "Examples:\n  parasol templates list\n  parasol templates eject rust/src/main.rs.j2"
    )]
    Templates(TemplatesCommand),
    /// Lay out a new project: parasol.yaml, a spec and a bundle.
    #[command(
        after_help = "Examples:\n  parasol init shop --name Shop\n  parasol init --name OrderManagement"
    )]
    Init(InitArgs),
    /// Print a JSON Schema: of the spec format (`*.bc.yaml`, for editors) or of the JSON report.
    #[command(after_help = "Examples:\n  parasol schema > bc.schema.json\n  parasol schema report")]
    Schema(SchemaArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  parasol completions bash > ~/.local/share/bash-completion/completions/parasol\n  parasol completions zsh > ~/.zfunc/_parasol\n  parasol completions fish > ~/.config/fish/completions/parasol.fish"
    )]
    Completions(CompletionsArgs),
}

const EXAMPLES_CHECK: &str =
    "Examples:\n  parasol check\n  parasol check --out generated --format json";
const EXAMPLES_GENERATE: &str = "Examples:\n  parasol generate --all\n  parasol generate --all --check\n  parasol generate event-patterns OrderManagement --style domain-events\n  parasol generate event-patterns PlaceOrder --coordination backend --allow-backend-saga";

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum, default_value_t = SchemaKind::Spec)]
    pub kind: SchemaKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// The spec format (`*.bc.yaml`).
    Spec,
    /// The report `--format json` prints.
    Report,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `parasol generate`: `--all`, or one generator.
#[derive(Debug, Args)]
pub struct GenerateGroup {
    /// Regenerate every recorded output of the project and generate every spec that has none.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(subcommand)]
    pub command: Option<GenerateCommand>,
}

#[derive(Debug, Subcommand)]
pub enum BcCommand {
    /// Report every problem in a spec and its bundles at once.
    #[command(
        after_help = "Examples:\n  parasol bc validate OrderManagement\n  parasol bc validate --all --deny-warnings\n  parasol bc validate --spec specs/shop.bc.yaml --format json"
    )]
    Validate(ValidateArgs),
    /// Generate the Rust backend and/or TypeScript frontend of a context.
    #[command(
        after_help = "Examples:\n  parasol bc generate OrderManagement\n  parasol bc generate --spec shop.bc.yaml --out generated --lang rust\n  parasol bc generate OrderManagement --dry-run\n  parasol bc generate OrderManagement --check"
    )]
    Generate(GenerateArgs),
    /// Draw module dependencies, events, APIs and workflows (Mermaid or Graphviz).
    #[command(
        after_help = "Examples:\n  parasol bc visualize OrderManagement > ARCHITECTURE.md\n  parasol bc visualize OrderManagement --format dot --show dependencies | dot -Tsvg > deps.svg"
    )]
    Visualize(VisualizeArgs),
    /// Generate Prometheus monitoring for a context's service: scrape
    /// config, recording rules, alerts with their unit tests, log settings.
    #[command(
        after_help = "Examples:\n  parasol bc setup-monitoring OrderManagement\n  parasol bc setup-monitoring OrderManagement --metrics latency,throughput,error-rate --logging structured\n  parasol bc setup-monitoring OrderManagement --latency-p99 750ms --error-rate 5 --target 10.0.0.5:8080,10.0.0.6:8080"
    )]
    SetupMonitoring(MonitoringArgs),
    /// Generate communication tests of a context's service: scenarios run by
    /// its TypeScript client against the real service binary, and a load test.
    #[command(
        after_help = "Examples:\n  parasol bc test-communication OrderManagement\n  parasol bc test-communication OrderManagement --scenarios happy-path,timeout,circuit-break --load-test 1000-rps"
    )]
    TestCommunication(CommunicationTestsArgs),
    /// Implement how modules coordinate in a workflow: a backend saga,
    /// choreography over events, or frontend orchestration.
    #[command(
        after_help = "Examples:\n  parasol bc implement-communication OrderManagement --pattern frontend-orchestration --modules order,inventory,payment\n  parasol bc implement-communication OrderManagement --pattern saga-orchestration --workflow PlaceOrder --allow-backend-saga\n  parasol bc implement-communication OrderManagement --pattern service-mesh --replicas 3 --host shop.example.com"
    )]
    ImplementCommunication(ImplementCommunicationArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SpecArgs {
    /// Bounded context name (`bounded_context.name`); optional when the project has one spec.
    #[arg(value_name = "BC")]
    pub bc: Option<String>,
    /// The spec file, instead of finding it by name under the project's `specs:`.
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum CheckName {
    CircularDependencies,
    ModuleBoundaries,
    PublicApiUsage,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Validate every spec under the project's `specs:`.
    #[arg(long, conflicts_with_all = ["bc", "spec"])]
    pub all: bool,
    /// Architecture checks to run (repeatable; default: all).
    #[arg(long = "check", value_enum, value_name = "CHECK")]
    pub checks: Vec<CheckName>,
    /// Treat warnings as errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Accept backend sagas even when a bundle asks for frontend orchestration.
    #[arg(long)]
    pub allow_backend_saga: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output folder: languages go to `<DIR>/rust` and `<DIR>/ts`, each context in its own folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Template folder overriding built-in templates file by file.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Show what would change, per file, without writing.
    #[arg(long, conflicts_with_all = ["diff", "check"])]
    pub dry_run: bool,
    /// Show what would change as a unified diff, without writing.
    #[arg(long, conflicts_with = "check")]
    pub diff: bool,
    /// Write nothing; exit 1 if the output differs from what the spec generates
    /// (every file rendered and compared: no hash in the manifest is believed).
    #[arg(long)]
    pub check: bool,
    /// Overwrite generated files edited by hand, and delete edited stale ones
    /// (every file rendered: no hash in the manifest is believed).
    #[arg(long)]
    pub force: bool,
    /// Report format (JSON for CI; `parasol schema report` describes it).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// List every file, unchanged ones included.
    #[arg(long, short, conflicts_with = "quiet")]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Lang {
    Rust,
    Ts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Architecture {
    /// CRUD + notifications, SSE, edge orchestration.
    #[value(name = "v5-event-driven")]
    V5EventDriven,
    /// V5 with ports and adapters: logic reaches storage through a port (SQL or in-memory adapter).
    Hexagonal,
    /// As hexagonal: use cases (`ops.rs`) depend on the storage port, not on SQL.
    CleanArchitecture,
    /// V5 with event-sourced aggregates: an event store the tables project.
    CqrsEs,
    /// Modules with public APIs and checked boundaries: the V5 layout.
    ModularMonolith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventStyle {
    /// V5: state change + fire-and-forget notification.
    LightweightNotifications,
    /// Events that also name their aggregate, the version the change made, and their cause
    /// (the request or the handled event).
    DomainEvents,
    /// Events as the source of truth: event-sourced aggregates (refused under `no_event_sourcing`).
    EventSourced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TransactionPattern {
    /// Workflows run at the edge (TypeScript) with compensation.
    FrontendOrchestration,
    /// A backend saga orchestrator (refused under `frontend_orchestration` unless overridden).
    BackendOrchestration,
    /// Modules react to each other's events (a backend saga too).
    Choreography,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateManagement {
    /// Apply changes in the UI at once, roll back on failure or conflict.
    OptimisticUpdates,
    /// Apply changes only after the server confirms them.
    ServerConfirmed,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Languages to generate (comma-separated; default: rust,ts).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LANG")]
    pub lang: Vec<Lang>,
    /// Architecture (default: the spec's, then the bundle's).
    #[arg(long, value_enum)]
    pub architecture: Option<Architecture>,
    /// Event style (default: lightweight-notifications under V5).
    #[arg(long, value_enum)]
    pub event_style: Option<EventStyle>,
    /// Where workflows run (default: from the bundle policy and workflows).
    #[arg(long, value_enum)]
    pub transaction_pattern: Option<TransactionPattern>,
    /// How the frontend applies changes (default: optimistic-updates).
    #[arg(long, value_enum)]
    pub state_management: Option<StateManagement>,
    /// Accept backend sagas even when a bundle asks for frontend orchestration.
    #[arg(long)]
    pub allow_backend_saga: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    Mermaid,
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum DiagramPart {
    Dependencies,
    Events,
    Apis,
    Workflows,
}

#[derive(Debug, Args)]
pub struct VisualizeArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Mermaid (as Markdown that renders on GitHub) or Graphviz dot.
    #[arg(long, value_enum, default_value_t = DiagramFormat::Mermaid)]
    pub format: DiagramFormat,
    /// Which diagrams (comma-separated; default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub show: Vec<DiagramPart>,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Output folders to check (default: the project's `out:` folders).
    #[arg(long = "out", value_name = "DIR")]
    pub outs: Vec<PathBuf>,
    /// Template folder the outputs were generated with.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Believe the hashes the manifests record: skip outputs whose inputs
    /// are unchanged and files recorded as unchanged. Much faster on large
    /// contexts, but a file edited together with its recorded hash passes;
    /// without it every file is rendered and compared (use that in CI).
    #[arg(long)]
    pub quick: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// The event layer alone, for a context or one of its workflows.
    #[command(
        after_help = "Examples:\n  parasol generate event-patterns OrderManagement\n  parasol generate event-patterns Ledger --style event-sourced\n  parasol generate event-patterns PlaceOrder --coordination backend --allow-backend-saga"
    )]
    EventPatterns(EventPatternsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PatternStyle {
    #[value(name = "v5-lightweight")]
    V5Lightweight,
    DomainEvents,
    EventSourced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Coordination {
    Frontend,
    Backend,
}

#[derive(Debug, Args)]
pub struct EventPatternsArgs {
    /// A bounded context, or a workflow of one (then its context is used).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The spec file (default: found under the project's `specs:`).
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = PatternStyle::V5Lightweight)]
    pub style: PatternStyle,
    #[arg(long, value_enum, default_value_t = Coordination::Frontend)]
    pub coordination: Coordination,
    /// Refuse event sourcing whatever the bundle says.
    #[arg(long)]
    pub no_event_sourcing: bool,
    /// Leave out saga (choreography) handlers.
    #[arg(long)]
    pub no_saga: bool,
    /// Accept backend coordination even when a bundle asks for frontend orchestration.
    #[arg(long)]
    pub allow_backend_saga: bool,
    /// Languages to generate (comma-separated; default: rust,ts).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LANG")]
    pub lang: Vec<Lang>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum SetupCommand {
    /// Generate (or regenerate) the orchestration of one workflow.
    #[command(
        after_help = "Examples:\n  parasol setup orchestration PlaceOrder --location frontend --state-sync realtime-sse\n  parasol setup orchestration PlaceOrder --location backend --allow-backend-saga --compensation-strategy strict"
    )]
    Orchestration(OrchestrationArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Signal {
    Latency,
    Throughput,
    ErrorRate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogStyle {
    Structured,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tracing {
    Distributed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    HappyPath,
    Timeout,
    CircuitBreak,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CommunicationPattern {
    /// A Rust saga service runs the workflow (`setup orchestration --location backend`).
    SagaOrchestration,
    /// Modules react to each other's events, with compensation events
    /// (`generate event-patterns --coordination backend`).
    SagaChoreography,
    /// The V5 way: the frontend runs the workflow (`setup orchestration --location frontend`).
    FrontendOrchestration,
    /// Kubernetes and Istio manifests for the context's processes, carrying
    /// `communication.sync` (timeouts, retries, circuit breaking) with mutual TLS.
    ServiceMesh,
}

/// `bc implement-communication`.
#[derive(Debug, Args)]
pub struct ImplementCommunicationArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// How the modules coordinate.
    #[arg(long, value_enum)]
    pub pattern: CommunicationPattern,
    /// The modules that take part (comma-separated): picks the workflow whose
    /// steps call exactly these.
    #[arg(long, value_delimiter = ',', value_name = "MODULE")]
    pub modules: Vec<String>,
    /// The workflow, instead of finding it by `--modules`.
    #[arg(long, value_name = "WORKFLOW")]
    pub workflow: Option<String>,
    /// Accept backend coordination even when a bundle asks for frontend orchestration.
    #[arg(long)]
    pub allow_backend_saga: bool,
    /// `service-mesh`: the Kubernetes namespace (default: the context's name).
    #[arg(long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// `service-mesh`: the image the processes run from (default: `<crate>:<version>`).
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// `service-mesh`: instances of each process (default: 1).
    #[arg(long, value_name = "N")]
    pub replicas: Option<u32>,
    /// `service-mesh`: the host name the ingress answers for (default: `*`, any).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `bc test-communication`.
#[derive(Debug, Args)]
pub struct CommunicationTestsArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Scenarios to test (comma-separated; default: every one the spec allows).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "SCENARIO")]
    pub scenarios: Vec<Scenario>,
    /// Add a load test at this rate: `1000-rps` (or `1000`).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub load_test: Option<u32>,
    /// How long the load test runs.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub load_duration: std::time::Duration,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `1000-rps` or `1000`: requests per second, at least 1.
fn parse_rate(text: &str) -> Result<u32, String> {
    let number = text.strip_suffix("-rps").unwrap_or(text);
    match number.parse::<u32>() {
        Ok(rate) if rate > 0 => Ok(rate),
        _ => Err(format!("`{text}` is not a rate such as `1000-rps`")),
    }
}

/// `bc setup-monitoring`.
#[derive(Debug, Args)]
pub struct MonitoringArgs {
    #[command(flatten)]
    pub spec: SpecArgs,
    /// Signals to record and alert on (comma-separated; default: all three).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "SIGNAL")]
    pub metrics: Vec<Signal>,
    /// The service's log lines: `structured` (JSON) or `text`.
    #[arg(long, value_enum, default_value_t = LogStyle::Structured)]
    pub logging: LogStyle,
    /// `distributed`: the service exports its traces (OpenTelemetry, OTLP
    /// over HTTP) to `--collector`; `service.env` sets where.
    #[arg(long, value_enum)]
    pub tracing: Option<Tracing>,
    /// The OpenTelemetry collector (or Jaeger, Tempo...) that receives the
    /// traces, as an OTLP/HTTP base URL; needs `--tracing distributed`.
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://127.0.0.1:4318",
        requires = "tracing"
    )]
    pub collector: String,
    /// Service instances Prometheus scrapes, `HOST:PORT` (comma-separated;
    /// default: the service's own default address, 127.0.0.1:8080).
    #[arg(long = "target", value_delimiter = ',', value_name = "HOST:PORT")]
    pub targets: Vec<String>,
    /// How often Prometheus scrapes the service and evaluates the rules.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = humantime::parse_duration)]
    pub scrape_interval: std::time::Duration,
    /// Alert when a route's p99 latency exceeds this (`500ms`, `2s`;
    /// default: the spec's `communication.sync.timeout.read`).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub latency_p99: Option<std::time::Duration>,
    /// Alert when at least this percentage of answers are 5xx, as the
    /// breaker opens (default: the spec's circuit-breaker `failure_threshold`).
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub error_rate: Option<u32>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Location {
    Frontend,
    Backend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompensationStrategy {
    BestEffort,
    Strict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateSync {
    RealtimeSse,
    Polling,
    None,
}

#[derive(Debug, Args)]
pub struct OrchestrationArgs {
    /// The workflow (as named under `workflows:`).
    #[arg(value_name = "WORKFLOW")]
    pub workflow: String,
    /// The spec file (default: the spec under `specs:` that has this workflow).
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Where the workflow runs (default: the spec's coordination).
    #[arg(long, value_enum)]
    pub location: Option<Location>,
    /// How compensation failures are handled (default: the spec's).
    #[arg(long, value_enum)]
    pub compensation_strategy: Option<CompensationStrategy>,
    /// How the frontend learns of state changes (default: the spec's).
    #[arg(long, value_enum)]
    pub state_sync: Option<StateSync>,
    /// Accept a backend saga even when a bundle asks for frontend orchestration.
    #[arg(long)]
    pub allow_backend_saga: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Print a bundle's include tree and merged config.
    #[command(
        after_help = "Examples:\n  parasol bundle resolve bundles/v5-event-driven.md\n  parasol bundle resolve bundles/v5-event-driven.md --format json"
    )]
    Resolve(ResolveArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigFormat {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The bundle (a Markdown file with YAML front matter).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[arg(long, value_enum, default_value_t = ConfigFormat::Yaml)]
    pub format: ConfigFormat,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List the built-in templates (and which are overridden).
    #[command(
        after_help = "Examples:\n  parasol templates list\n  parasol templates list --templates my-templates"
    )]
    List(TemplatesListArgs),
    /// Copy a built-in template into the override folder to customise it.
    #[command(
        after_help = "Examples:\n  parasol templates eject rust/src/main.rs.j2\n  parasol templates eject ts/src/http.ts.j2 --to templates --force"
    )]
    Eject(EjectArgs),
}

#[derive(Debug, Args)]
pub struct TemplatesListArgs {
    /// Override folder to compare with (default: the project's `templates:`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EjectArgs {
    /// Template name as `parasol templates list` shows it (e.g. `rust/src/main.rs.j2`).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Override folder (default: the project's `templates:`, else `templates/`).
    #[arg(long, value_name = "DIR")]
    pub to: Option<PathBuf>,
    /// Replace an existing override.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder for the new project (default: this folder).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Name of the first bounded context (PascalCase).
    #[arg(long, default_value = "Shop")]
    pub name: String,
}
