//! `host validate`: the policy results only, in a format CI understands.

use anyhow::Result;

use crate::cli::{ValidateCommand, ValidateFormat};
use crate::error::{EXIT_DENIED, EXIT_OK};
use crate::{pipeline, report};

/// Plans, checks and prints the results; exits 1 when a policy denies the plan.
pub fn execute(command: &ValidateCommand) -> Result<u8> {
    let checked = pipeline::run(&command.inputs, command.facts.as_deref())?;
    let output = match command.format {
        ValidateFormat::Text => report::policy_text(&checked.outcomes),
        ValidateFormat::Json => {
            serde_json::to_string_pretty(&report::validate_json(&checked))? + "\n"
        }
        ValidateFormat::Junit => report::junit(&checked)?,
        ValidateFormat::Sarif => report::sarif(&checked)? + "\n",
        ValidateFormat::Github => report::github(&checked),
    };
    super::emit(&output)?;
    Ok(if checked.denied() { EXIT_DENIED } else { EXIT_OK })
}
