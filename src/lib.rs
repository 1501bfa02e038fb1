//! parasol: reads Parasol bundles and bounded-context specs, validates them,
//! and generates event-driven Rust backends and TypeScript frontends.
//!
//! The pipeline, one module per stage, nothing on disk until the last:
//! `source` (load bundles and specs, parse YAML with positions) → `model`
//! (resolve and type everything) → `validate` (policy and architecture
//! checks, all diagnostics at once) → `plan` (path → rendered text, in
//! memory, via `render` and `targets`) → `emit` (write, check, dry-run, diff).

pub mod cli;
pub mod codes;
mod commands;
pub mod diag;
pub mod emit;
pub mod fingerprint;
pub mod generators;
mod graph;
mod hash;
pub mod incremental;
pub mod load;
pub mod manifest;
pub mod model;
pub mod outdir;
mod par;
pub mod plan;
pub mod policy;
pub mod render;
pub mod report;
mod scaffold;
pub mod schema;
pub mod settings;
pub mod source;
mod spell;
pub mod targets;
pub mod term;
pub mod timings;
pub mod validate;
pub mod visualize;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser as _;

/// Runs the command line and returns the exit code: 0 ok, 1 invalid input
/// or stale output, 2 usage error.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            term::err(&format!("error: {e:#}\n"));
            ExitCode::from(1)
        }
    }
}
