//! Every refusal the bundles can make, decided in one place. `validate`
//! and every generator ask here; nothing else reads the policy keys.
//! The semantics are written down in `docs/policy.md`:
//!
//! - `architecture_patterns` is a **catalogue**: each bundle that has one
//!   lists the architectures it makes available, and an architecture is
//!   allowed when any bundle in the include tree lists it. A bundle with
//!   `v5_principles` declares `v5-event-driven` itself, and a catalogue
//!   listing `event-driven` covers `v5-event-driven` (V5 is an
//!   event-driven architecture), as `ports-and-adapters` covers
//!   `hexagonal` (the layout it generates). With no catalogue anywhere, every
//!   architecture parasol knows is allowed.
//! - `communication_styles` is a catalogue in the same way, for workflow
//!   coordinations other than `frontend` (which is always allowed), and
//!   for infrastructure that carries one style (the service mesh:
//!   `synchronous`).
//! - Principles (`v5_principles`) then restrict what the catalogues allow:
//!   `no_event_sourcing` refuses `cqrs-es` and the `event-sourced` style;
//!   `frontend_orchestration` refuses anything that runs a backend saga
//!   unless `--allow-backend-saga` overrides it.

use serde::Serialize;

use crate::diag::{Diagnostic, Location};
use crate::settings::Architecture;
use crate::source::bundle::BundleSet;

/// What the bundles decide, read once from the include tree.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Policy {
    pub no_event_sourcing: bool,
    pub frontend_orchestration: bool,
    pub crud_plus_events: bool,
    pub lightweight_events: bool,
    pub forbid_cycles: bool,
    pub public_api_only: bool,
    /// Architectures the catalogues make available (`None`: no catalogue).
    pub architecture_patterns: Option<Vec<String>>,
    /// Coordinations the catalogues make available (`None`: no catalogue).
    pub communication_styles: Option<Vec<String>>,
}

impl Policy {
    pub fn from_bundles(bundles: &BundleSet) -> Policy {
        let principle = |p: &str| bundles.list_contains("v5_principles", p);
        let rule = |key: &str| {
            bundles
                .config
                .get("module_rules")
                .and_then(|r| r.get(key))
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false)
        };
        let declares_v5 = bundles
            .bundles
            .iter()
            .any(|b| b.config.get("v5_principles").is_some());
        let mut architectures = catalogue(bundles, "architecture_patterns");
        if let Some(list) = &mut architectures {
            let covers_v5 = declares_v5 || list.iter().any(|a| a == "event-driven");
            if covers_v5 && !list.iter().any(|a| a == "v5-event-driven") {
                list.push("v5-event-driven".into());
            }
            // The layout `hexagonal` generates is ports and adapters.
            let covers_ports = list.iter().any(|a| a == "ports-and-adapters");
            if covers_ports && !list.iter().any(|a| a == "hexagonal") {
                list.push("hexagonal".into());
            }
        }
        Policy {
            no_event_sourcing: principle("no_event_sourcing"),
            frontend_orchestration: principle("frontend_orchestration"),
            crud_plus_events: principle("crud_plus_events"),
            lightweight_events: principle("lightweight_events"),
            forbid_cycles: rule("forbid_cycles"),
            public_api_only: rule("public_api_only"),
            architecture_patterns: architectures,
            communication_styles: catalogue(bundles, "communication_styles"),
        }
    }

    /// The architecture when the spec names none: V5 when it is allowed,
    /// else the first allowed architecture parasol knows.
    pub fn default_architecture(&self) -> String {
        let v5 = "v5-event-driven".to_string();
        match &self.architecture_patterns {
            Some(allowed) if !allowed.contains(&v5) => allowed
                .iter()
                .find(|a| Architecture::parse(a).is_some())
                .cloned()
                .unwrap_or(v5),
            _ => v5,
        }
    }
}

/// The union, in include order, of every bundle's own list under `key`.
fn catalogue(bundles: &BundleSet, key: &str) -> Option<Vec<String>> {
    let mut found = false;
    let mut all: Vec<String> = Vec::new();
    for bundle in &bundles.bundles {
        if let Some(list) = bundle.config.get(key).and_then(|v| v.as_array()) {
            found = true;
            for item in list {
                let item = match item {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if !all.contains(&item) {
                    all.push(item);
                }
            }
        }
    }
    found.then_some(all)
}

/// Something a command or a spec asks for that the bundles may refuse.
#[derive(Debug, Clone)]
pub enum Ask<'a> {
    /// An architecture, from the spec or `--architecture`.
    Architecture(&'a str),
    /// Event sourcing: an architecture (`cqrs-es`) or an event style.
    EventSourcing {
        /// The message, before the reason (`event style `event-sourced` is refused`).
        what: String,
        /// `--no-event-sourcing` was given.
        refused_by_flag: bool,
    },
    /// Anything that runs a saga in the backend.
    BackendSaga {
        /// The message, before the reason.
        what: String,
        /// `--allow-backend-saga` was given.
        allowed_by_flag: bool,
    },
    /// A workflow coordination other than `frontend`.
    CommunicationStyle { style: &'a str, workflow: &'a str },
    /// Infrastructure for one communication style (the service mesh
    /// carries `synchronous` calls), allowed when a catalogue lists the style.
    Infrastructure { what: &'a str, style: &'a str },
}

/// The refusal of `ask`, if the bundles (or the flags) refuse it. `at` is
/// where the ask was written (a spec node); without one, the refusal
/// points at the bundle line that decides it. `help` replaces the default
/// advice.
pub fn decide(
    policy: &Policy,
    bundles: &BundleSet,
    ask: &Ask<'_>,
    at: Option<Location>,
    help: Option<&str>,
) -> Option<Diagnostic> {
    let refusal = match ask {
        Ask::Architecture(name) => {
            let allowed = policy.architecture_patterns.as_ref()?;
            if allowed.iter().any(|a| a == name) {
                return None;
            }
            Diagnostic::error(
                "policy",
                format!(
                    "architecture `{name}` is in no bundle's `architecture_patterns` ({})",
                    sources(bundles, "architecture_patterns")
                ),
            )
            .with_help(format!("allowed: {}", allowed.join(", ")))
        }
        Ask::EventSourcing {
            what,
            refused_by_flag,
        } => {
            if *refused_by_flag {
                Diagnostic::error("policy", format!("{what}: `--no-event-sourcing` was given"))
            } else if policy.no_event_sourcing {
                principle(bundles, "no_event_sourcing", what.clone())
                    .with_help("use `v5-event-driven` (CRUD + notifications) or change the bundle")
            } else {
                return None;
            }
        }
        Ask::BackendSaga {
            what,
            allowed_by_flag,
        } => {
            if !policy.frontend_orchestration || *allowed_by_flag {
                return None;
            }
            principle(bundles, "frontend_orchestration", what.clone()).with_help(
                "coordinate at the edge, or pass `--allow-backend-saga` to override the bundle",
            )
        }
        Ask::CommunicationStyle { style, workflow } => uncatalogued(
            policy,
            bundles,
            style,
            format!("communication style `{style}` of workflow `{workflow}` is"),
        )?,
        Ask::Infrastructure { what, style } => uncatalogued(
            policy,
            bundles,
            style,
            format!("{what} carries `{style}` communication, which is"),
        )?,
    };
    let refusal = match help {
        Some(help) => refusal.with_help(help),
        None => refusal,
    };
    Some(match at {
        Some(location) => refusal.at(location),
        None => refusal,
    })
}

/// The refusal of communication style `style` when a catalogue exists and
/// lists it nowhere: "`subject` in no bundle's `communication_styles`".
fn uncatalogued(
    policy: &Policy,
    bundles: &BundleSet,
    style: &str,
    subject: String,
) -> Option<Diagnostic> {
    let allowed = policy.communication_styles.as_ref()?;
    // `saga-orchestration` and `saga-choreography`, the words of `bc
    // implement-communication --pattern`, catalogue the coordinations too.
    if allowed
        .iter()
        .any(|s| s == style || s.strip_prefix("saga-") == Some(style))
    {
        return None;
    }
    let refusal = Diagnostic::error(
        "policy",
        format!(
            "{subject} in no bundle's `communication_styles` ({})",
            sources(bundles, "communication_styles")
        ),
    )
    .with_help(format!("allowed: {}", allowed.join(", ")));
    // Asked for by a flag, it points at the catalogue that leaves it out.
    let key = "communication_styles";
    Some(match bundles.locate(key, key) {
        Some(location) => refusal.at(location),
        None => refusal,
    })
}

/// A refusal by a `v5_principles` entry, at its line in the bundle.
fn principle(bundles: &BundleSet, name: &str, message: String) -> Diagnostic {
    let key = "v5_principles";
    let source = bundles.describe_source(key);
    let diagnostic = Diagnostic::error(
        "policy",
        format!("{message}: {source} sets `{key}: {name}`"),
    );
    match bundles.locate(key, name) {
        Some(location) => diagnostic.at(location),
        None => diagnostic,
    }
}

/// "bundle `a` (a.md), bundle `b` (b.md)": the bundles with their own `key`.
fn sources(bundles: &BundleSet, key: &str) -> String {
    let named: Vec<String> = bundles
        .bundles
        .iter()
        .filter(|b| b.config.get(key).is_some())
        .map(|b| format!("bundle `{}` ({})", b.name, b.file.display))
        .collect();
    named.join(", ")
}
