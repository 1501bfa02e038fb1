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

use clap::CommandFactory as _;

use crate::cli::{BcCommand, BundleCommand, Cli, Command, Format, SetupCommand, TemplatesCommand};
use crate::diag::Diagnostics;
use crate::report::JsonReport;

pub const OK: u8 = 0;
pub const FAILED: u8 = 1;

/// The command running, as the JSON report names it.
static COMMAND: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();

pub fn command_name() -> &'static str {
    COMMAND.get().copied().unwrap_or("")
}

fn name_of(command: &Command) -> &'static str {
    match command {
        Command::Bc(BcCommand::Validate(_)) => "bc validate",
        Command::Bc(BcCommand::Generate(_)) => "bc generate",
        Command::Bc(BcCommand::Visualize(_)) => "bc visualize",
        Command::Bc(BcCommand::SetupMonitoring(_)) => "bc setup-monitoring",
        Command::Bc(BcCommand::TestCommunication(_)) => "bc test-communication",
        Command::Bc(BcCommand::ImplementCommunication(_)) => "bc implement-communication",
        Command::Check(_) => "check",
        Command::Generate(group) if group.command.is_none() => "generate --all",
        Command::Generate(_) => "generate event-patterns",
        Command::Setup(_) => "setup orchestration",
        Command::Bundle(_) => "bundle resolve",
        Command::Templates(_) => "templates",
        Command::Init(_) => "init",
        Command::Schema(_) => "schema",
        Command::Completions(_) => "completions",
    }
}

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    crate::term::set_quiet(cli.quiet);
    let _ = COMMAND.set(name_of(&cli.command));
    let project = cli.project.as_deref();
    let code = match cli.command {
        Command::Bc(BcCommand::Validate(args)) => validate::run(project, args),
        Command::Bc(BcCommand::Generate(args)) => generate::run(project, args),
        Command::Bc(BcCommand::Visualize(args)) => visualize::run(project, args)?,
        Command::Bc(BcCommand::SetupMonitoring(args)) => generate::monitoring(project, args),
        Command::Bc(BcCommand::TestCommunication(args)) => {
            generate::communication_tests(project, args)
        }
        Command::Bc(BcCommand::ImplementCommunication(args)) => {
            generate::implement_communication(project, args)
        }
        Command::Check(args) => check::run(project, args),
        Command::Generate(group) => match group.command {
            Some(crate::cli::GenerateCommand::EventPatterns(args)) => {
                generate::event_patterns(project, args)
            }
            None if group.all => generate::all(project, &group.output),
            None => {
                let mut command = Cli::command();
                let help = command
                    .find_subcommand_mut("generate")
                    .map(|c| c.render_help().to_string())
                    .unwrap_or_default();
                crate::term::err(&format!(
                    "error: `parasol generate` needs `--all` or a generator\n\n{help}"
                ));
                2
            }
        },
        Command::Setup(SetupCommand::Orchestration(args)) => generate::orchestration(project, args),
        Command::Bundle(BundleCommand::Resolve(args)) => bundle::resolve(args)?,
        Command::Templates(TemplatesCommand::List(args)) => templates::list(project, args),
        Command::Templates(TemplatesCommand::Eject(args)) => templates::eject(project, args)?,
        Command::Init(args) => init::run(args)?,
        Command::Schema(args) => schema::run(args.kind),
        Command::Completions(args) => {
            let mut buffer = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "parasol", &mut buffer);
            crate::term::out(&String::from_utf8_lossy(&buffer));
            OK
        }
    };
    Ok(ExitCode::from(code))
}

/// Prints diagnostics on standard error: all of them, or under `--quiet`
/// only the errors, unless `warnings_fail` (`--deny-warnings`) makes the
/// warnings what failed.
pub fn print_diagnostics(diags: &Diagnostics, warnings_fail: bool) {
    if !diags.is_empty() {
        crate::term::err(
            &diags.render_styled(crate::term::quiet() && !warnings_fail, warnings_fail),
        );
    }
}

/// Prints diagnostics (human: stderr) and returns whether they contain
/// errors. For JSON, see `json`.
pub fn report(diags: &Diagnostics, format: Format) -> bool {
    match format {
        Format::Human => {
            print_diagnostics(diags, false);
        }
        Format::Json => {
            // Commands that print a JSON report call `json` themselves;
            // here only failures before any result end the command.
            if diags.has_errors() {
                json(&JsonReport::new(command_name(), false, diags));
            }
        }
    }
    diags.has_errors()
}

/// Prints the JSON report on standard output.
pub fn json(report: &JsonReport) {
    crate::term::out(&report.to_text());
}
