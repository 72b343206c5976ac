//! `host policy test`: runs a pack's inline tests.

use anyhow::Result;

use crate::cli::PolicyCommand;
use crate::error::{EXIT_DENIED, EXIT_OK};
use crate::pipeline::RULE_BUDGET;
use crate::policy::{Pack, run_tests};

/// Runs the tests and prints one line per test; exits 1 when any fails.
pub fn execute(command: &PolicyCommand) -> Result<u8> {
    let PolicyCommand::Test(test) = command;
    let pack = match &test.dir {
        Some(dir) => {
            let mut pack = Pack::default();
            pack.add_dir(dir)?;
            pack
        }
        None => Pack::default_pack()?,
    };
    let results = run_tests(&pack, RULE_BUDGET);
    let mut output = String::new();
    for result in &results {
        match &result.problem {
            None => output += &format!("ok    {}: {}\n", result.rule, result.test),
            Some(problem) => {
                output += &format!("FAIL  {}: {}: {problem}\n", result.rule, result.test)
            }
        }
    }
    let failed = results.iter().filter(|r| !r.ok).count();
    let untested = pack.rules.iter().filter(|rule| rule.tests.is_empty()).count();
    let rules = pack.rules.len();
    output += &format!(
        "{} passed, {failed} failed ({rules} rule{}, {untested} without tests)\n",
        results.len() - failed,
        if rules == 1 { "" } else { "s" }
    );
    super::emit(&output)?;
    Ok(if failed == 0 { EXIT_OK } else { EXIT_DENIED })
}
