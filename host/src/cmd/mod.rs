//! One module per subcommand, each with an `execute` function that returns the
//! process exit code.

pub mod permissions;
pub mod plan;
pub mod policy;
pub mod validate;

use anyhow::Result;

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
