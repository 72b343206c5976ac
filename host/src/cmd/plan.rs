//! `host plan`: the plan per region and the policy results.

use anyhow::Result;

use crate::cli::{PlanCommand, PlanOutput};
use crate::error::{EXIT_DENIED, EXIT_OK};
use crate::{pipeline, report};

/// Plans, checks and prints; exits 1 when a policy denies the plan.
pub fn execute(command: &PlanCommand) -> Result<u8> {
    let checked = pipeline::run(&command.inputs)?;
    let output = match command.output {
        PlanOutput::Text => report::plan_text(&checked),
        PlanOutput::Json => serde_json::to_string_pretty(&report::plan_json(&checked))? + "\n",
    };
    super::emit(&output)?;
    Ok(if checked.denied() { EXIT_DENIED } else { EXIT_OK })
}
