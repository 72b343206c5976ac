//! `host plan`: the plan per region and the policy results, and, when the
//! facts come from EC2, the changes an apply would make.

use anyhow::Result;

use crate::cli::{PlanCommand, PlanFormat};
use crate::error::{EXIT_DENIED, EXIT_OK};
use crate::{pipeline, report};

/// Plans, checks and prints; exits 1 when a policy denies the plan.
pub fn execute(command: &PlanCommand) -> Result<u8> {
    let checked = pipeline::run(&command.inputs, command.facts.as_deref())?;
    let diffs = match &checked.live {
        Some(live) => Some(live.diffs(&checked.name, Some(&checked.plan))?),
        None => None,
    };
    let output = match command.output {
        PlanFormat::Text => {
            let mut text = report::plan_text(&checked);
            if let Some(diffs) = &diffs {
                text.push('\n');
                text.push_str(&report::changes_text(&checked.name, diffs));
            }
            text
        }
        PlanFormat::Json => {
            let mut document = report::plan_json(&checked);
            if let Some(diffs) = &diffs {
                document["changes"] = serde_json::to_value(diffs)?;
            }
            serde_json::to_string_pretty(&document)? + "\n"
        }
        PlanFormat::Mermaid => report::plan_mermaid(&checked.plan),
    };
    super::emit(&output)?;
    Ok(if checked.denied() { EXIT_DENIED } else { EXIT_OK })
}
