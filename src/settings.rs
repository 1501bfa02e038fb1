//! Generation settings as types. Each is an enum whose serde name is the
//! kebab-case word users type and manifests record (`cqrs-es`,
//! `realtime-sse`), so a manifest reads back into the same value and
//! templates see the same strings. The CLI's value enums convert with
//! `From`; nothing passes settings around as loose strings.

use serde::{Deserialize, Serialize};

use crate::cli;

/// Declares a setting: its variants, their words, and conversions.
macro_rules! setting {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word users type and manifests record.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value a word names.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

setting!(
    /// A language parasol generates.
    Lang {
        Rust = "rust",
        Ts = "ts",
    }
);

setting!(
    /// How a bounded context's service is structured.
    Architecture {
        V5EventDriven = "v5-event-driven",
        Hexagonal = "hexagonal",
        CleanArchitecture = "clean-architecture",
        CqrsEs = "cqrs-es",
        ModularMonolith = "modular-monolith",
    }
);

setting!(
    /// What an event carries and what it is for.
    EventStyle {
        /// V5: state change + fire-and-forget notification.
        LightweightNotifications = "lightweight-notifications",
        DomainEvents = "domain-events",
        EventSourced = "event-sourced",
    }
);

setting!(
    /// Where workflows run.
    TransactionPattern {
        FrontendOrchestration = "frontend-orchestration",
        BackendOrchestration = "backend-orchestration",
        Choreography = "choreography",
    }
);

setting!(
    /// How the frontend applies changes.
    StateManagement {
        OptimisticUpdates = "optimistic-updates",
        ServerConfirmed = "server-confirmed",
    }
);

setting!(
    /// The event layer `generate event-patterns` writes.
    PatternStyle {
        V5Lightweight = "v5-lightweight",
        DomainEvents = "domain-events",
        EventSourced = "event-sourced",
    }
);

setting!(
    /// Who reacts to events in `generate event-patterns`.
    Coordination {
        Frontend = "frontend",
        Backend = "backend",
    }
);

setting!(
    /// Where `setup orchestration` runs a workflow.
    Location {
        Frontend = "frontend",
        Backend = "backend",
    }
);

setting!(
    /// How compensation failures are handled.
    Compensation {
        BestEffort = "best-effort",
        Strict = "strict",
    }
);

setting!(
    /// How the frontend learns of state changes.
    StateSync {
        RealtimeSse = "realtime-sse",
        Polling = "polling",
        None = "none",
    }
);

setting!(
    /// A signal `bc setup-monitoring` records and alerts on.
    Signal {
        /// Request duration per route (p99), alerted above a threshold.
        Latency = "latency",
        /// Requests, published and consumed events per second.
        Throughput = "throughput",
        /// The share of 5xx answers, and dead letters.
        ErrorRate = "error-rate",
    }
);

setting!(
    /// How the service writes its log lines.
    LogStyle {
        /// One JSON object per line (`--log-format json`).
        Structured = "structured",
        /// Text for people (`--log-format text`).
        Text = "text",
    }
);

setting!(
    /// How requests are traced across services.
    Tracing {
        Distributed = "distributed",
    }
);

setting!(
    /// A communication scenario `bc test-communication` runs against the service.
    Scenario {
        /// Calls that succeed, counted by the service's metrics.
        HappyPath = "happy-path",
        /// A call the service answers too late: the client gives up at its timeout.
        Timeout = "timeout",
        /// Calls the service keeps failing: the client's breaker opens.
        CircuitBreak = "circuit-break",
    }
);

/// `From<cli::X>` for a setting whose CLI enum has the same variants.
macro_rules! from_cli {
    ($($name:ident { $($variant:ident),+ $(,)? })+) => {
        $(
            impl From<cli::$name> for $name {
                fn from(value: cli::$name) -> Self {
                    match value {
                        $(cli::$name::$variant => $name::$variant),+
                    }
                }
            }
        )+
    };
}

from_cli! {
    Lang { Rust, Ts }
    Architecture { V5EventDriven, Hexagonal, CleanArchitecture, CqrsEs, ModularMonolith }
    EventStyle { LightweightNotifications, DomainEvents, EventSourced }
    TransactionPattern { FrontendOrchestration, BackendOrchestration, Choreography }
    StateManagement { OptimisticUpdates, ServerConfirmed }
    Coordination { Frontend, Backend }
    Location { Frontend, Backend }
    Signal { Latency, Throughput, ErrorRate }
    LogStyle { Structured, Text }
    Tracing { Distributed }
    Scenario { HappyPath, Timeout, CircuitBreak }
}

impl From<cli::PatternStyle> for PatternStyle {
    fn from(value: cli::PatternStyle) -> Self {
        match value {
            cli::PatternStyle::V5Lightweight => PatternStyle::V5Lightweight,
            cli::PatternStyle::DomainEvents => PatternStyle::DomainEvents,
            cli::PatternStyle::EventSourced => PatternStyle::EventSourced,
        }
    }
}

impl From<cli::CompensationStrategy> for Compensation {
    fn from(value: cli::CompensationStrategy) -> Self {
        match value {
            cli::CompensationStrategy::BestEffort => Compensation::BestEffort,
            cli::CompensationStrategy::Strict => Compensation::Strict,
        }
    }
}

impl From<cli::StateSync> for StateSync {
    fn from(value: cli::StateSync) -> Self {
        match value {
            cli::StateSync::RealtimeSse => StateSync::RealtimeSse,
            cli::StateSync::Polling => StateSync::Polling,
            cli::StateSync::None => StateSync::None,
        }
    }
}

/// The warning for a setting `bc generate` records and names in the output
/// but does not (yet) generate differently from the V5 default.
pub fn not_generated_yet(what: &str, instead: &str) -> crate::diag::Diagnostic {
    crate::diag::Diagnostic::warning(
        "not-generated-yet",
        format!(
            "{what} is not generated yet: the code is the same as for {instead}; the setting is recorded and names the output"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words the CLI accepts are the words manifests record.
    #[test]
    fn cli_words_are_setting_words() {
        fn same<C: clap::ValueEnum + Copy, S: From<C> + std::fmt::Display>() {
            for value in C::value_variants() {
                let word = value.to_possible_value().unwrap().get_name().to_string();
                assert_eq!(S::from(*value).to_string(), word);
            }
        }
        same::<cli::Lang, Lang>();
        same::<cli::Architecture, Architecture>();
        same::<cli::EventStyle, EventStyle>();
        same::<cli::TransactionPattern, TransactionPattern>();
        same::<cli::StateManagement, StateManagement>();
        same::<cli::PatternStyle, PatternStyle>();
        same::<cli::Coordination, Coordination>();
        same::<cli::Location, Location>();
        same::<cli::CompensationStrategy, Compensation>();
        same::<cli::StateSync, StateSync>();
    }

    #[test]
    fn serde_names_are_the_words() {
        for a in Architecture::ALL {
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::json!(a.as_str())
            );
            assert_eq!(Architecture::parse(a.as_str()), Some(*a));
        }
    }
}
