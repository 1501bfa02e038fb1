//! Names, normalised once: every case form a template may need, and
//! identifiers that are valid Rust and TypeScript whatever the spec says
//! (`type` becomes `r#type` in Rust, `type_` as a TypeScript variable).

use heck::{ToKebabCase, ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use serde::Serialize;

/// Rust keywords (strict and reserved, 2024 edition).
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers (`r#self` is invalid).
const RUST_NON_RAW: &[&str] = &["crate", "self", "Self", "super", "_"];

/// TypeScript/JavaScript reserved words (plus strict-mode and contextual
/// words that break as binding names).
const TS_KEYWORDS: &[&str] = &[
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "undefined",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// Crates the generated Rust crates use (and Rust's own): a context's
/// crate of the same name would make every `use` of it ambiguous.
pub const DEPENDENCY_CRATES: &[&str] = &[
    "alloc",
    "async_nats",
    "async_trait",
    "axum",
    "chrono",
    "clap",
    "core",
    "http_body_util",
    "humantime",
    "proc_macro",
    "prometheus",
    "rdkafka",
    "redis",
    "reqwest",
    "rust_decimal",
    "serde",
    "serde_json",
    "sqlx",
    "std",
    "tempfile",
    "test",
    "thiserror",
    "tokio",
    "tokio_stream",
    "tower",
    "tower_http",
    "tracing",
    "tracing_subscriber",
    "uuid",
];

/// Members the generated `App` has (`App::metrics()`, and `clone` from
/// `Clone`) and fields every module's `Ctx` has (`ctx.request`): a module
/// of one of these names is reached as `<name>_module` there.
pub const TAKEN_MODULE_ACCESSORS: &[&str] = &[
    "bus",
    "clone",
    "consumers",
    "database",
    "default",
    "emit",
    "faults",
    "from_env",
    "from_ref",
    "hub",
    "http_config",
    "in_memory",
    "is_closing",
    "metrics",
    "new",
    "outbox_config",
    "pending",
    "read_models",
    "ready",
    "receipts",
    "request",
    "router",
    "shutdown",
    "tx",
];

/// How generated code reaches a module's service: `app.<accessor>()`, and
/// `ctx.<accessor>` in a module that depends on it.
pub fn module_accessor(snake: &str, rust: &str) -> String {
    if TAKEN_MODULE_ACCESSORS.contains(&snake) {
        format!("{snake}_module")
    } else {
        rust.to_string()
    }
}

/// Type names generated code relies on: a spec type with one of these
/// names would shadow them in Rust or TypeScript, so its identifier in both
/// is prefixed (`type_ident`: `State` -> `DomainState`). JSON, routes and
/// events keep the spec's name.
pub const RESERVED_TYPE_NAMES: &[&str] = &[
    "Aggregate",
    "ApiError",
    "ApiResponse",
    "App",
    "AppConfig",
    "Arc",
    "Array",
    "AsMut",
    "AsRef",
    "Audit",
    "Awaited",
    "Boolean",
    "Box",
    "BusError",
    "CallOptions",
    "CircuitBreaker",
    "CircuitBreakerOptions",
    "CircuitOpenError",
    "Clients",
    "Clone",
    "CompensationOutcome",
    "CompensationStrategy",
    "ConcurrencyError",
    "ConflictError",
    "Copy",
    "Date",
    "DateTime",
    "Debug",
    "Decimal",
    "Default",
    "Deserialize",
    "DomainEvent",
    "DomainEventBus",
    "DomainEventRecord",
    "DoubleEndedIterator",
    "Drop",
    "EdgeTransaction",
    "EdgeTransactionCoordinator",
    "Entity",
    "EntityApi",
    "EntityStore",
    "Eq",
    "Err",
    "Error",
    "EventBus",
    "EventEnvelope",
    "EventHub",
    "EventOfType",
    "EventSourceFactory",
    "EventSourceLike",
    "EventStream",
    "EventStreamOptions",
    "EventType",
    "ExactSizeIterator",
    "Exclude",
    "Extend",
    "Extract",
    "Fault",
    "Faults",
    "FetchLike",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "FromIterator",
    "FromRef",
    "FromStr",
    "Handler",
    "Hash",
    "HttpClient",
    "HttpOptions",
    "InMemoryEventStore",
    "InMemoryProcessedEvents",
    "InMemoryStore",
    "InProcessBus",
    "Injected",
    "Into",
    "IntoIterator",
    "IntoResponse",
    "Iterator",
    "Json",
    "JsonRejection",
    "Map",
    "NetworkError",
    "NonNullable",
    "None",
    "NotFoundError",
    "Notifier",
    "Number",
    "Object",
    "Ok",
    "Omit",
    "Op",
    "OperationError",
    "OptimisticLockError",
    "Option",
    "Ord",
    "Parameters",
    "Partial",
    "PartialEq",
    "PartialOrd",
    "Pick",
    "ProcessedEvents",
    "ProjectionRunner",
    "Promise",
    "Published",
    "ReadModels",
    "Readonly",
    "Record",
    "Repositories",
    "RequestContext",
    "RequestSpec",
    "Required",
    "Result",
    "ReturnType",
    "Router",
    "Run",
    "Self",
    "Send",
    "Serialize",
    "ServiceError",
    "Set",
    "Sized",
    "Some",
    "State",
    "Step",
    "StepFailed",
    "StoreListener",
    "StoreOptions",
    "StoredEvent",
    "StreamQuery",
    "String",
    "Symbol",
    "Sync",
    "TimeoutError",
    "ToOwned",
    "ToString",
    "TransactionOptions",
    "TransactionStep",
    "TryFrom",
    "TryInto",
    "Unpin",
    "Utc",
    "Uuid",
    "ValidationError",
    "Value",
    "Vec",
    "Versioned",
    "ViewStore",
    "Workflow",
    "WorkflowLogger",
    "WorkflowResult",
];

/// The camelCase values the TypeScript package's index exports from its
/// shared files, beside each workflow's function (`placeOrder`) and each
/// aggregate's store (`productStore`). Two `export *` of one name fail
/// `tsc` (TS2308), so a workflow whose function would be one of these is
/// refused. A unit test (`the_values_the_ts_index_exports_are_listed`)
/// reads the templates and fails when one exports a name this misses.
pub const TS_PACKAGE_VALUES: &[&str] = &[
    "createClients",
    "describe",
    "isDomainEvent",
    "newId",
    "runSaga",
    "sagaResult",
    "toError",
    "traceIdOf",
];

/// The names a module's own files (`src/modules/<module>/*.rs`,
/// `src/modules/<module>.ts`) import by name that an operation's types
/// (`<Op>Input`, `<Op>Output`, `<Op>Error`) could take: those types are
/// declared in the module and glob-imported beside the named imports, so
/// operation `service` (`ServiceError`) would meet the crate's error. A unit
/// test (`the_names_module_files_import_are_kept_off_operation_types`)
/// reads the templates and fails when one imports a name this misses.
pub const RESERVED_FOR_OPERATION_TYPES: &[&str] = &["ServiceError"];

/// The tables the service keeps beside the aggregates' (the outbox, the
/// consumers' positions, the dead letters, the receipts of idempotent
/// requests, the event store of `cqrs-es`). An aggregate's table is named
/// by its plural (`src/targets/sql.rs`), so aggregate `ParasolEvent` would
/// meet the outbox. A unit test (`parasol_s_own_tables_are_listed`) reads
/// the migration templates and fails when one creates a table this misses.
pub const SERVICE_TABLES: &[&str] = &[
    "parasol_consumers",
    "parasol_dead_letters",
    "parasol_event_store",
    "parasol_events",
    "parasol_receipts",
];

/// More type names the generated code declares or imports beside the
/// spec's declared types (the paged lists, the read models' queries, the
/// CQRS gateways, the event streams of `cqrs-es`, and what the Rust files
/// that glob-import the declared types import by name, which would win
/// over the glob, and the TypeScript runs of backend sagas): an aggregate,
/// value object, enum or read model of one
/// of these names gets the `Domain` prefix too. A workflow may have them:
/// none of its code meets them.
pub const RESERVED_FOR_DECLARED_TYPES: &[&str] = &[
    "BTreeMap",
    "Bound",
    "CommandGateway",
    "CommandGatewayOptions",
    "CommandName",
    "Commands",
    "Conn",
    "Consumer",
    "Page",
    "PageQuery",
    "Path",
    "PhantomData",
    "PoisonError",
    "Query",
    "QueryGateway",
    "QueryGatewayOptions",
    "QueryRejection",
    "Receipts",
    "Recorded",
    "Response",
    "RwLock",
    "SagaRun",
    "SagaRunStatus",
    "SagaStepError",
    "SagaStepRun",
    "SeenQuery",
    "StatusCode",
    "Table",
    "Tx",
    "ViewName",
    "ViewPageQuery",
    "ViewReadOptions",
    "ViewTypes",
    "ViewsApi",
];

/// A name in every form the generated code needs. Cheap to clone: large
/// specs repeat names (every aggregate with a `status` field), and each
/// distinct name's forms are computed and stored once.
#[derive(Debug, Clone)]
pub struct Name(std::sync::Arc<Shared>);

/// One distinct name: its forms, and (made on first use) the template
/// value every use of the name shares.
#[derive(Debug)]
struct Shared {
    forms: NameForms,
    template_value: std::sync::OnceLock<minijinja::Value>,
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.0.forms == other.0.forms
    }
}

impl Eq for Name {}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.forms.cmp(&other.0.forms)
    }
}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.forms.hash(state);
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NameForms {
    /// As written in the spec (also the JSON name).
    pub raw: String,
    pub snake: String,
    pub pascal: String,
    pub camel: String,
    pub kebab: String,
    pub screaming: String,
    /// Rust value identifier (fields, functions, modules): keyword-safe snake_case.
    pub rust: String,
    /// The identifier of the type this name declares, in Rust: PascalCase,
    /// keyword-safe, and `Domain`-prefixed where the generated code already
    /// uses the name (`type_ident`).
    pub rust_type: String,
    /// The same identifier in TypeScript (always equal to `rust_type`, so a
    /// type reads the same on both sides).
    pub ts_type: String,
    /// TypeScript binding identifier (variables, functions, parameters): keyword-safe camelCase.
    pub ts: String,
}

impl std::ops::Deref for Name {
    type Target = NameForms;

    fn deref(&self) -> &NameForms {
        &self.0.forms
    }
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Made into a template value once per distinct name and shared by
        // every use: a large context repeats its names tens of thousands of
        // times, and a copy each would be most of its template values.
        if minijinja::value::serializing_for_value() {
            return self
                .0
                .template_value
                .get_or_init(|| minijinja::Value::from(minijinja::value::Serde(&self.0.forms)))
                .serialize(serializer);
        }
        self.0.forms.serialize(serializer)
    }
}

impl Name {
    /// All the forms of `raw`, computed once per distinct name and thread.
    pub fn new(raw: &str) -> Self {
        thread_local! {
            static SEEN: std::cell::RefCell<rustc_hash::FxHashMap<String, Name>> =
                std::cell::RefCell::new(rustc_hash::FxHashMap::default());
        }
        SEEN.with(|seen| {
            if let Some(name) = seen.borrow().get(raw) {
                return name.clone();
            }
            let name = Name(std::sync::Arc::new(Shared {
                forms: NameForms::compute(raw),
                template_value: std::sync::OnceLock::new(),
            }));
            let mut seen = seen.borrow_mut();
            // Bounded, for long-lived processes (tests, fuzzing).
            if seen.len() >= 1 << 16 {
                seen.clear();
            }
            seen.insert(raw.to_string(), name.clone());
            name
        })
    }
}

impl NameForms {
    fn compute(raw: &str) -> Self {
        let cases = if raw.is_ascii() {
            Cases::ascii(raw)
        } else {
            Cases::heck(raw)
        };
        NameForms {
            raw: raw.to_string(),
            rust: rust_ident(&cases.snake),
            rust_type: type_ident(&cases.pascal),
            ts_type: type_ident(&cases.pascal),
            ts: ts_ident(&cases.camel),
            kebab: cases.kebab,
            screaming: cases.screaming,
            snake: cases.snake,
            pascal: cases.pascal,
            camel: cases.camel,
        }
    }
}

/// The case forms of a name, exactly as `heck` spells them.
#[derive(Debug, PartialEq)]
struct Cases {
    snake: String,
    pascal: String,
    camel: String,
    kebab: String,
    screaming: String,
}

impl Cases {
    fn heck(raw: &str) -> Self {
        Cases {
            snake: raw.to_snake_case(),
            pascal: raw.to_upper_camel_case(),
            camel: raw.to_lower_camel_case(),
            kebab: raw.to_kebab_case(),
            screaming: raw.to_shouty_snake_case(),
        }
    }

    /// For ASCII names (nearly all): the words found once, by heck's own
    /// rules, and every form joined from them. heck finds the words again
    /// for each form and formats char by char, which made case mapping the
    /// largest cost of resolving a large spec.
    fn ascii(raw: &str) -> Self {
        let words = ascii_words(raw);
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        // Words are never empty: each has a first letter to raise.
        let capitalized: Vec<String> = lower
            .iter()
            .map(|w| {
                let mut out = w.clone();
                out[..1].make_ascii_uppercase();
                out
            })
            .collect();
        let mut camel = lower.first().cloned().unwrap_or_default();
        for word in capitalized.iter().skip(1) {
            camel.push_str(word);
        }
        Cases {
            snake: lower.join("_"),
            kebab: lower.join("-"),
            screaming: words
                .iter()
                .map(|w| w.to_ascii_uppercase())
                .collect::<Vec<_>>()
                .join("_"),
            pascal: capitalized.concat(),
            camel,
        }
    }
}

/// The words of an ASCII name as heck's `transform` splits them: runs of
/// letters and digits, cut before an uppercase letter that follows a
/// lowercase one, and before the last capital of a run of capitals that
/// a lowercase letter follows (`HTTPServer` -> `HTTP`, `Server`).
fn ascii_words(raw: &str) -> Vec<&str> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Boundary,
        Lowercase,
        Uppercase,
    }
    let mut words = Vec::new();
    for run in raw.split(|c: char| !c.is_ascii_alphanumeric()) {
        let bytes = run.as_bytes();
        let mut start = 0;
        let mut mode = Mode::Boundary;
        for (i, &c) in bytes.iter().enumerate() {
            let Some(&next) = bytes.get(i + 1) else {
                words.push(&run[start..]);
                break;
            };
            let next_mode = if c.is_ascii_lowercase() {
                Mode::Lowercase
            } else if c.is_ascii_uppercase() {
                Mode::Uppercase
            } else {
                mode
            };
            if next_mode == Mode::Lowercase && next.is_ascii_uppercase() {
                words.push(&run[start..=i]);
                start = i + 1;
                mode = Mode::Boundary;
            } else if mode == Mode::Uppercase && c.is_ascii_uppercase() && next.is_ascii_lowercase()
            {
                words.push(&run[start..i]);
                start = i;
                mode = Mode::Boundary;
            } else {
                mode = next_mode;
            }
        }
    }
    words
}

/// `type` -> `r#type`; `self` -> `self_`; leading digits get a `_`.
pub fn rust_ident(snake: &str) -> String {
    if snake.is_empty() {
        return "_unnamed".into();
    }
    if snake.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("_{snake}");
    }
    if RUST_NON_RAW.contains(&snake) {
        format!("{snake}_")
    } else if RUST_KEYWORDS.contains(&snake) {
        format!("r#{snake}")
    } else {
        snake.to_string()
    }
}

/// The identifier a declared type (aggregate, value object, enum, read
/// model) gets in every target: `rust_type_ident`, with `Domain` in front
/// of a name the generated code already uses, so that a spec may call an
/// aggregate `State` or `Record` without shadowing anything.
pub fn type_ident(pascal: &str) -> String {
    if !is_reserved_for_declared_types(pascal) {
        return rust_type_ident(pascal);
    }
    // Until it is free: `EventBus` -> `DomainEventBus` is taken too.
    let mut ident = format!("Domain{pascal}");
    while is_reserved_for_declared_types(&ident) {
        ident = format!("Domain{ident}");
    }
    ident
}

/// Whether a declared type of this name would shadow one the generated
/// code uses, and so gets the `Domain` prefix.
pub fn is_reserved_for_declared_types(name: &str) -> bool {
    RESERVED_TYPE_NAMES.contains(&name) || RESERVED_FOR_DECLARED_TYPES.contains(&name)
}

/// A PascalCase identifier that is not a keyword (enum variants, which
/// live inside their enum and shadow nothing).
pub fn rust_type_ident(pascal: &str) -> String {
    if pascal.is_empty() {
        return "Unnamed".into();
    }
    if pascal.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("T{pascal}");
    }
    if RUST_KEYWORDS.contains(&pascal) {
        format!("{pascal}_")
    } else {
        pascal.to_string()
    }
}

pub fn ts_ident(camel: &str) -> String {
    if camel.is_empty() {
        return "_unnamed".into();
    }
    if camel.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("_{camel}");
    }
    if TS_KEYWORDS.contains(&camel) {
        format!("{camel}_")
    } else {
        camel.to_string()
    }
}

/// The JSON name serde's `rename_all = "camelCase"` gives a snake_case
/// Rust field; when it differs from the spec's name the field needs an
/// explicit `#[serde(rename)]`.
pub fn serde_camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for (i, c) in snake.trim_start_matches("r#").chars().enumerate() {
        if c == '_' && i > 0 {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// English plural for route and collection names (`stock_item` -> `stock_items`).
pub fn pluralize(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with('z')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        format!("{word}es")
    } else if lower.ends_with('y')
        && !matches!(
            lower.chars().rev().nth(1),
            Some('a' | 'e' | 'i' | 'o' | 'u')
        )
    {
        format!("{}ies", &word[..word.len() - 1])
    } else {
        format!("{word}s")
    }
}

/// Names Windows reserves for devices: a file or folder so named cannot be created there.
pub fn is_windows_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").to_ascii_lowercase();
    matches!(
        stem.as_str(),
        "con" | "prn" | "aux" | "nul" | "conin$" | "conout$"
    ) || ((stem.starts_with("com") || stem.starts_with("lpt"))
        && stem.len() == 4
        && stem.as_bytes()[3].is_ascii_digit())
}

/// A plain identifier: ASCII letter first, then letters, digits or `_`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to five characters over letters of both cases,
    /// digits and separators: the word rules look at three characters at
    /// a time, so these meet every case of them.
    #[test]
    fn ascii_case_forms_are_hecks() {
        const ALPHABET: &[u8] = b"abAB09_- ";
        let mut checked = 0;
        let mut current: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            let mut longer = Vec::new();
            for prefix in &current {
                for &c in ALPHABET {
                    let mut s = prefix.clone();
                    s.push(c);
                    let text = std::str::from_utf8(&s).expect("ASCII");
                    assert_eq!(Cases::ascii(text), Cases::heck(text), "{text:?}");
                    checked += 1;
                    longer.push(s);
                }
            }
            current = longer;
        }
        for text in [
            "HTTPServer",
            "placeOrder",
            "order_line2",
            "XMLHttpRequest",
            "a1B2c3",
            "",
        ] {
            assert_eq!(Cases::ascii(text), Cases::heck(text), "{text:?}");
        }
        assert!(checked > 60_000);
    }

    #[test]
    fn keywords_are_escaped_per_language() {
        let n = Name::new("type");
        assert_eq!(
            (n.rust.as_str(), n.ts.as_str(), n.rust_type.as_str()),
            ("r#type", "type", "Type")
        );
        assert_eq!(Name::new("class").ts, "class_");
        assert_eq!(Name::new("self").rust, "self_");
        assert_eq!(Name::new("default").ts, "default_");
        assert_eq!(rust_type_ident("Self"), "Self_");
        assert_eq!(rust_type_ident("Some"), "Some");
        assert_eq!(Name::new("updatePrice").rust, "update_price");
    }

    #[test]
    fn a_type_named_like_the_generated_code_s_own_is_prefixed_in_both_languages() {
        for (raw, ident) in [
            ("State", "DomainState"),
            ("Record", "DomainRecord"),
            ("Self", "DomainSelf"),
            ("Order", "Order"),
            ("state", "DomainState"),
        ] {
            let n = Name::new(raw);
            assert_eq!(
                (n.rust_type.as_str(), n.ts_type.as_str()),
                (ident, ident),
                "{raw}"
            );
        }
        // Prefixed names are never reserved themselves.
        for reserved in RESERVED_TYPE_NAMES
            .iter()
            .chain(RESERVED_FOR_DECLARED_TYPES)
        {
            assert!(!RESERVED_TYPE_NAMES.contains(&type_ident(reserved).as_str()));
            assert!(!RESERVED_FOR_DECLARED_TYPES.contains(&type_ident(reserved).as_str()));
        }
    }

    #[test]
    fn serde_camel_matches_serde() {
        assert_eq!(serde_camel("placed_at"), "placedAt");
        assert_eq!(serde_camel("r#type"), "type");
        assert_eq!(serde_camel("order2_items"), "order2Items");
    }

    #[test]
    fn plurals() {
        assert_eq!(pluralize("stock_item"), "stock_items");
        assert_eq!(pluralize("category"), "categories");
        assert_eq!(pluralize("day"), "days");
        assert_eq!(pluralize("address"), "addresses");
    }

    #[test]
    fn device_names() {
        assert!(is_windows_device_name("con"));
        assert!(is_windows_device_name("COM1"));
        assert!(is_windows_device_name("nul.rs"));
        assert!(!is_windows_device_name("console"));
        assert!(!is_windows_device_name("com"));
    }
}
