//! One file per subcommand: glue that turns arguments into settings, calls
//! the library and maps the outcome to an exit code and output.

mod bundle;
mod check;
mod generate;
mod init;
mod schema;
mod templates;
mod validate;
mod visualize;

use std::process::ExitCode;

use crate::cli::{
    BcCommand, BundleCommand, Cli, Command, Format, GenerateCommand, SetupCommand, TemplatesCommand,
};
use crate::diag::Diagnostics;

pub const OK: u8 = 0;
pub const FAILED: u8 = 1;

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let project = cli.project.as_deref();
    let code = match cli.command {
        Command::Bc(BcCommand::Validate(args)) => validate::run(project, args),
        Command::Bc(BcCommand::Generate(args)) => generate::run(project, args),
        Command::Bc(BcCommand::Visualize(args)) => visualize::run(project, args)?,
        Command::Check(args) => check::run(project, args),
        Command::Generate(GenerateCommand::EventPatterns(args)) => {
            generate::event_patterns(project, args)
        }
        Command::Setup(SetupCommand::Orchestration(args)) => generate::orchestration(project, args),
        Command::Bundle(BundleCommand::Resolve(args)) => bundle::resolve(args)?,
        Command::Templates(TemplatesCommand::List(args)) => templates::list(project, args),
        Command::Templates(TemplatesCommand::Eject(args)) => templates::eject(project, args)?,
        Command::Init(args) => init::run(args)?,
        Command::Schema => schema::run()?,
    };
    Ok(ExitCode::from(code))
}

/// Prints diagnostics (human: stderr; JSON: stdout) and returns whether they
/// contain errors.
pub fn report(diags: &Diagnostics, format: Format) -> bool {
    match format {
        Format::Human => {
            if !diags.is_empty() {
                eprint!("{}", diags.render_human());
            }
        }
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&diags.to_json()).expect("json")
        ),
    }
    diags.has_errors()
}
