//! What each command generates: resolved settings and the list of files
//! (path, template, ownership) per output root. Rendering and writing are
//! the plan and emit stages' business.

pub mod rust;
pub mod ts;

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostics;
use crate::model::Context;
use crate::policy::{self, Ask};

/// Generation settings after defaults: flags, then the spec, then the bundle policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub architecture: String,
    /// `lightweight-notifications` | `domain-events` | `event-sourced`.
    pub event_style: String,
    /// `frontend-orchestration` | `backend-orchestration` | `choreography`.
    pub transaction_pattern: String,
    /// `optimistic-updates` | `server-confirmed`.
    pub state_management: String,
    #[serde(default)]
    pub allow_backend_saga: bool,
}

/// What the user asked for on the command line (kebab-case values).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requested {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_style: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_management: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_backend_saga: bool,
}

impl Requested {
    /// The flags that reproduce this request, for headers.
    pub fn flags(&self) -> String {
        let mut out = String::new();
        for (flag, value) in [
            ("--architecture", &self.architecture),
            ("--event-style", &self.event_style),
            ("--transaction-pattern", &self.transaction_pattern),
            ("--state-management", &self.state_management),
        ] {
            if let Some(v) = value {
                out.push_str(&format!(" {flag} {v}"));
            }
        }
        if self.allow_backend_saga {
            out.push_str(" --allow-backend-saga");
        }
        out
    }
}

/// Resolves settings and reports what the bundle policy forbids.
pub fn resolve(ctx: &Context, req: &Requested, diags: &mut Diagnostics) -> Settings {
    let architecture = req
        .architecture
        .clone()
        .unwrap_or_else(|| ctx.architecture.clone());
    let mut refuse = |ask: Ask<'_>, help: Option<&str>| {
        if let Some(refusal) = policy::decide(ctx, &ask, None, help) {
            diags.push(refusal);
        }
    };
    refuse(Ask::Architecture(&architecture), None);
    let event_style = req.event_style.clone().unwrap_or_else(|| {
        if architecture == "cqrs-es" {
            "event-sourced".into()
        } else if ctx.policy.lightweight_events
            || ctx.policy.crud_plus_events
            || architecture == "v5-event-driven"
        {
            "lightweight-notifications".into()
        } else {
            "domain-events".into()
        }
    });
    if event_style == "event-sourced" || architecture == "cqrs-es" {
        let what = if event_style == "event-sourced" {
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
    let transaction_pattern = req.transaction_pattern.clone().unwrap_or_else(|| {
        if ctx
            .workflows
            .iter()
            .any(|w| w.coordination == "orchestration")
        {
            "backend-orchestration".into()
        } else if ctx
            .workflows
            .iter()
            .any(|w| w.coordination == "choreography")
        {
            "choreography".into()
        } else {
            "frontend-orchestration".into()
        }
    });
    if transaction_pattern != "frontend-orchestration" {
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
            .clone()
            .unwrap_or_else(|| "optimistic-updates".into()),
        allow_backend_saga: req.allow_backend_saga,
    }
}

/// `modules[i]` of the serialised context, without serialising it again.
pub fn item(ctx: &minijinja::Value, list: &str, index: usize) -> minijinja::Value {
    ctx.get_attr(list)
        .and_then(|l| l.get_item(&minijinja::Value::from(index)))
        .expect("index comes from the same context")
}
