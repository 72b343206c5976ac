//! Running the inline tests of a pack's rules.

use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use super::{Expect, Pack, eval};

/// The result of one inline test.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    /// The rule's id.
    pub rule: String,
    /// The test's name.
    pub test: String,
    /// Whether the rule behaved as the test expects.
    pub ok: bool,
    /// What went wrong, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Runs every inline test of every rule in `pack`.
pub fn run_tests(pack: &Pack, budget: Duration) -> Vec<TestResult> {
    let mut results = Vec::new();
    for rule in &pack.rules {
        for test in &rule.tests {
            let problem = check(rule, &test.input, test.expect, budget).err();
            results.push(TestResult {
                rule: rule.id.clone(),
                test: test.name.clone(),
                ok: problem.is_none(),
                problem,
            });
        }
    }
    results
}

fn check(
    rule: &super::Rule,
    input: &serde_json::Map<String, serde_json::Value>,
    expect: Expect,
    budget: Duration,
) -> Result<(), String> {
    let unknown: Vec<&String> =
        input.keys().filter(|key| !super::references::VARIABLES.contains(&key.as_str())).collect();
    if let Some(key) = unknown.first() {
        return Err(format!("the test's input has unknown variable `{key}`"));
    }
    let value = |name: &str, empty: serde_json::Value| input.get(name).cloned().unwrap_or(empty);
    let empty_map = || serde_json::Value::Object(serde_json::Map::new());
    let input = eval::Input {
        config: value("config", empty_map()),
        facts: value("facts", empty_map()),
        plan: value("plan", empty_map()),
        permissions: value("permissions", serde_json::Value::Array(Vec::new())),
    };
    let outcome = eval::evaluate(std::slice::from_ref(rule), &input, budget)
        .map_err(|err| format!("{err:#}"))?
        .remove(0);
    match (expect, outcome.passed) {
        (Expect::Pass, true) | (Expect::Fail, false) => Ok(()),
        (Expect::Pass, false) => Err(format!("expected a pass, found {:?}", outcome.violations)),
        (Expect::Fail, true) => Err("expected a violation, found none".to_string()),
    }
}
