//! One module per subcommand, each with an `execute` function that returns the
//! process exit code.

pub mod apply;
pub mod completions;
pub mod destroy;
pub mod facts;
pub mod man;
pub mod permissions;
pub mod plan;
pub mod policy;
pub mod status;
pub mod validate;

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::cli::{Command, PlanFormat, PlanOutput, ValidateFormat};
use crate::report;

/// Runs a subcommand.
pub fn execute(command: &Command) -> Result<u8> {
    match command {
        Command::Plan(command) => plan::execute(command),
        Command::Validate(command) => validate::execute(command),
        Command::Policy(command) => policy::execute(command),
        Command::Permissions(command) => permissions::execute(command),
        Command::Apply(command) => apply::execute(command),
        Command::Destroy(command) => destroy::execute(command),
        Command::Status(command) => status::execute(command),
        Command::Facts(command) => facts::execute(command),
        Command::Completions(command) => completions::execute(command),
        Command::Man(command) => man::execute(command),
    }
}

/// The error in the command's machine-readable output format, when it has
/// one, so that a script or a CI upload step reading stdout learns of it too.
pub fn error_document(command: &Command, kind: &str, message: &str) -> Option<String> {
    let json = || format!("{}\n", report::error_json(kind, message));
    match command {
        Command::Plan(command) if command.output == PlanFormat::Json => Some(json()),
        Command::Apply(command) if command.change.output == PlanOutput::Json => Some(json()),
        Command::Destroy(command) if command.change.output == PlanOutput::Json => Some(json()),
        Command::Status(command) if command.output == PlanOutput::Json => Some(json()),
        Command::Validate(command) => match command.format {
            ValidateFormat::Text => None,
            ValidateFormat::Json => Some(json()),
            ValidateFormat::Junit => report::junit_error(kind, message).ok(),
            ValidateFormat::Sarif => report::sarif_error(kind, message).ok().map(|s| s + "\n"),
            ValidateFormat::Github => {
                let source = &command.inputs.source;
                let config = source.config.as_ref().or(source.dstack_config.as_ref());
                Some(report::github_error(kind, message, config.map(PathBuf::as_path)))
            }
        },
        _ => None,
    }
}

/// Writes a command's output to stdout. A reader that went away, as `head`
/// does, is not an error: there is simply no one left to tell.
pub fn emit(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write the output"),
    }
}
