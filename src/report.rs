//! The one JSON report every command prints with `--format json`
//! (`bc validate`, `bc generate`, `generate …`, `setup orchestration`,
//! `check`): the same fields everywhere, versioned. Its JSON Schema is
//! printed by `parasol schema report` and kept in `docs/report.schema.json`
//! (a test keeps the two equal).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostics, Severity};
use crate::emit::{Action, Mode, Report};

/// The report format's version: raised on any change that could break a
/// reader (a field removed, renamed or retyped). New fields do not raise it.
pub const VERSION: u32 = 1;

/// What a command found and did.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonReport {
    /// The report format's version (`1`).
    pub version: u32,
    /// The command that ran, as typed after `parasol` (`bc validate`, `check`, ...).
    pub command: String,
    /// `true` when the command succeeded: exit code 0.
    pub ok: bool,
    /// How many diagnostics are errors.
    pub errors: usize,
    /// How many diagnostics are warnings.
    pub warnings: usize,
    /// Every problem found, sorted by file and position.
    pub diagnostics: Vec<JsonDiagnostic>,
    /// The bounded contexts validated (`bc validate`); empty for other commands.
    pub contexts: Vec<JsonContext>,
    /// One entry per output folder written, checked or compared.
    pub outputs: Vec<JsonOutput>,
}

/// One problem, at the place it is about.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonDiagnostic {
    pub severity: Severity,
    /// A stable kebab-case identifier of the rule (`unknown-type`, `manifest-unsafe`, ...).
    pub code: String,
    pub message: String,
    /// The file, as the human report shows it (relative to the working folder where possible).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub col: Option<u32>,
    /// What to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A bounded context that validated.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonContext {
    pub name: String,
    /// The spec file.
    pub spec: String,
    pub modules: usize,
    pub operations: usize,
    pub events: usize,
    pub workflows: usize,
}

/// One output folder.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonOutput {
    /// The output folder.
    pub root: String,
    /// `check` and `--check`: the manifest differs from what a write would record.
    pub manifest_drift: bool,
    /// How many files got each label (the `label` of `files`).
    pub summary: BTreeMap<String, usize>,
    /// Every file considered, sorted by path.
    pub files: Vec<JsonFile>,
}

/// One file of an output folder.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonFile {
    /// Relative to the output folder, `/`-separated.
    pub path: String,
    /// What the plan asks for this file.
    pub action: Action,
    /// What happened, in the words of the human report: `created`,
    /// `updated`, `deleted`, `forced`, `failed` (write); the action itself
    /// (dry run, diff); `missing`, `stale`, `obsolete`, `conflict` (check);
    /// `unchanged`, `skipped-user-edited` and `conflict` anywhere.
    pub label: String,
    /// Whether the action was carried out (write mode).
    pub done: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A unified diff from the disk to the plan (`--diff`, `--check`, `check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl JsonReport {
    pub fn new(command: &str, ok: bool, diags: &Diagnostics) -> Self {
        JsonReport {
            version: VERSION,
            command: command.to_string(),
            ok,
            errors: diags.error_count(),
            warnings: diags.warning_count(),
            diagnostics: diags
                .sorted()
                .into_iter()
                .map(|d| JsonDiagnostic {
                    severity: d.severity,
                    code: d.code.to_string(),
                    message: d.message.clone(),
                    file: d.location.as_ref().map(|l| l.file.to_string()),
                    line: d.location.as_ref().map(|l| l.pos.line),
                    col: d.location.as_ref().map(|l| l.pos.col),
                    help: d.help.clone(),
                    notes: d.notes.clone(),
                })
                .collect(),
            contexts: Vec::new(),
            outputs: Vec::new(),
        }
    }

    pub fn with_outputs(mut self, reports: &[Report], mode: Mode) -> Self {
        self.outputs = reports.iter().map(|r| output(r, mode)).collect();
        self
    }

    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("report serialises");
        text.push('\n');
        text
    }
}

fn output(report: &Report, mode: Mode) -> JsonOutput {
    let mut summary = BTreeMap::new();
    let files = report
        .files
        .iter()
        .map(|f| {
            let label = f.label(mode);
            *summary.entry(label.to_string()).or_default() += 1;
            JsonFile {
                path: f.path.clone(),
                action: f.action,
                label: label.to_string(),
                done: f.done,
                reason: f.reason.clone(),
                diff: f.diff.clone(),
            }
        })
        .collect();
    JsonOutput {
        root: report.root.clone(),
        manifest_drift: report.manifest_drift,
        summary,
        files,
    }
}

/// The JSON Schema of the report, as `parasol schema report` prints it.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(JsonReport)).expect("schema serialises")
}
