//! One module per subcommand, each with an `execute` function that returns the
//! process exit code.

pub mod permissions;
pub mod plan;
pub mod policy;
pub mod validate;

use std::io::Write as _;

use anyhow::{Context as _, Result};

use crate::cli::{Command, PlanOutput, ValidateFormat};

/// Runs a subcommand.
pub fn execute(command: &Command) -> Result<u8> {
    match command {
        Command::Plan(command) => plan::execute(command),
        Command::Validate(command) => validate::execute(command),
        Command::Policy(command) => policy::execute(command),
        Command::Permissions(command) => permissions::execute(command),
    }
}

/// Whether the command prints JSON, so that its errors should too.
pub fn prints_json(command: &Command) -> bool {
    match command {
        Command::Plan(command) => command.output == PlanOutput::Json,
        Command::Validate(command) => command.format == ValidateFormat::Json,
        Command::Policy(_) | Command::Permissions(_) => false,
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
