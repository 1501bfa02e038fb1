//! What each command generates: resolved settings and the list of files
//! (path, template, ownership) per output root. Rendering and writing are
//! the plan and emit stages' business.

pub mod rust;
pub mod sql;
pub mod ts;
mod view;

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostics;
use crate::model::Context;
use crate::policy::Ask;
use crate::settings::{Architecture, EventStyle, StateManagement, TransactionPattern};

/// Generation settings after defaults: flags, then the spec, then the bundle policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub architecture: Architecture,
    pub event_style: EventStyle,
    pub transaction_pattern: TransactionPattern,
    pub state_management: StateManagement,
    #[serde(default)]
    pub allow_backend_saga: bool,
    /// Aggregates are event-sourced (`cqrs-es`, or the `event-sourced`
    /// event style): every write appends to the event store, commands load
    /// from it, and the tables are projections rebuilt from it.
    #[serde(default)]
    pub event_sourced: bool,
    /// Ports and adapters (`hexagonal`, `clean-architecture`): the business
    /// logic reaches storage through the `ports::Records` trait, served by
    /// the SQL adapter (`Table`) or the in-memory one (`adapters::Memory`).
    #[serde(default)]
    pub ports: bool,
}

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requested {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Architecture>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_style: Option<EventStyle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_pattern: Option<TransactionPattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_management: Option<StateManagement>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_backend_saga: bool,
    /// Not asked for but recorded beside: the migrations earlier runs
    /// wrote (Rust only), so a rerun writes new ones after them.
    #[serde(default, skip_serializing_if = "sql::Schema::is_empty")]
    pub schema: sql::Schema,
}

/// Resolves settings and reports what the bundle policy forbids.
pub fn resolve(ctx: &Context, req: &Requested, diags: &mut Diagnostics) -> Settings {
    // The model's architecture was validated against the same words.
    let architecture = req.architecture.unwrap_or_else(|| {
        Architecture::parse(&ctx.architecture).unwrap_or(Architecture::V5EventDriven)
    });
    let mut refuse = |ask: Ask<'_>, help: Option<&str>| {
        if let Some(refusal) = ctx.refusal(&ask, None, help) {
            diags.push(refusal);
        }
    };
    refuse(Ask::Architecture(architecture.as_str()), None);
    let event_style = req.event_style.unwrap_or({
        if architecture == Architecture::CqrsEs {
            EventStyle::EventSourced
        } else if ctx.policy.lightweight_events
            || ctx.policy.crud_plus_events
            || architecture == Architecture::V5EventDriven
        {
            EventStyle::LightweightNotifications
        } else {
            EventStyle::DomainEvents
        }
    });
    if event_style == EventStyle::EventSourced || architecture == Architecture::CqrsEs {
        let what = if event_style == EventStyle::EventSourced {
            "event style `event-sourced`"
        } else {
            "architecture `cqrs-es`"
        };
        let ask = Ask::EventSourcing {
            what: format!("{what} is refused"),
            refused_by_flag: false,
        };
        refuse(ask, None);
    }
    let transaction_pattern = req.transaction_pattern.unwrap_or({
        if ctx
            .workflows
            .iter()
            .any(|w| w.coordination == "orchestration")
        {
            TransactionPattern::BackendOrchestration
        } else if ctx
            .workflows
            .iter()
            .any(|w| w.coordination == "choreography")
        {
            TransactionPattern::Choreography
        } else {
            TransactionPattern::FrontendOrchestration
        }
    });
    if transaction_pattern != TransactionPattern::FrontendOrchestration {
        let ask = Ask::BackendSaga {
            what: format!("transaction pattern `{transaction_pattern}` runs a backend saga"),
            allowed_by_flag: req.allow_backend_saga,
        };
        refuse(
            ask,
            Some(
                "coordinate workflows at the edge, or pass `--allow-backend-saga` to override the bundle",
            ),
        );
    }
    Settings {
        architecture,
        event_style,
        transaction_pattern,
        state_management: req
            .state_management
            .unwrap_or(StateManagement::OptimisticUpdates),
        allow_backend_saga: req.allow_backend_saga,
        event_sourced: architecture == Architecture::CqrsEs
            || event_style == EventStyle::EventSourced,
        ports: matches!(
            architecture,
            Architecture::Hexagonal | Architecture::CleanArchitecture
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which architectures put storage behind a port, and which event-source
    /// it: each setting changes the code it names and nothing else.
    #[test]
    fn each_architecture_decides_its_layout() {
        let spec = "parasol: 1\nbounded_context:\n  name: Shop\n  modules:\n    sales:\n      aggregates:\n        Order: { fields: { total: int } }\n";
        let mut diags = Diagnostics::new();
        let raw = crate::source::load_spec_text("shop.bc.yaml", spec.as_bytes(), &mut diags);
        let bundles = std::sync::Arc::new(crate::source::bundle::BundleSet::default());
        let ctx = crate::model::lower::lower(&raw.unwrap(), bundles, "shop.bc.yaml", &mut diags);
        let ctx = ctx.unwrap();
        let mut layout = |architecture: Architecture, event_style: Option<EventStyle>| {
            let requested = Requested {
                architecture: Some(architecture),
                event_style,
                ..Requested::default()
            };
            let settings = resolve(&ctx, &requested, &mut diags);
            (settings.ports, settings.event_sourced)
        };
        assert_eq!(layout(Architecture::V5EventDriven, None), (false, false));
        assert_eq!(layout(Architecture::ModularMonolith, None), (false, false));
        assert_eq!(layout(Architecture::Hexagonal, None), (true, false));
        assert_eq!(layout(Architecture::CleanArchitecture, None), (true, false));
        assert_eq!(layout(Architecture::CqrsEs, None), (false, true));
        let sourced = Some(EventStyle::EventSourced);
        assert_eq!(layout(Architecture::Hexagonal, sourced), (true, true));
        assert!(!diags.has_errors(), "{diags:?}");
    }
}
