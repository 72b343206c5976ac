//! `host completions`: the shell completion script, generated from the same
//! clap definition that parses the command line, so it never falls behind.

use anyhow::Result;
use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionsCommand};
use crate::error::EXIT_OK;

/// Prints the completion script for the chosen shell.
pub fn execute(command: &CompletionsCommand) -> Result<u8> {
    let mut script = Vec::new();
    clap_complete::generate(command.shell, &mut Cli::command(), "host", &mut script);
    super::emit(&String::from_utf8_lossy(&script))?;
    Ok(EXIT_OK)
}
