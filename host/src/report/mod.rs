//! How commands print plans and policy results: text for people, JSON for
//! programs, a Mermaid flowchart for documents, and JUnit, SARIF and GitHub
//! workflow commands for CI.

mod changes;
mod github;
mod junit;
mod mermaid;
mod sarif;
mod text;

use serde_json::{Value, json};

use crate::pipeline::Checked;
use crate::policy::Outcome;

pub use changes::{change_line, changes_text};
pub use github::{github, github_error};
pub use junit::{junit, junit_error};
pub use mermaid::plan_mermaid;
pub use sarif::{sarif, sarif_error};
pub use text::{plan_text, policy_text};

/// The version of every JSON document host prints; bumped on any change that
/// could break a reader.
pub const SCHEMA_VERSION: u32 = 1;

/// `host plan --output json`.
pub fn plan_json(checked: &Checked) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "name": checked.name,
        "plugin": checked.plugin,
        "params": checked.params,
        "skipped_regions": checked.skipped,
        "plan": checked.plan,
        "permissions": checked.permissions,
        "policy": policy_json(&checked.outcomes),
    })
}

/// `host validate --format json`.
pub fn validate_json(checked: &Checked) -> Value {
    let mut document = policy_json(&checked.outcomes);
    document["schema_version"] = json!(SCHEMA_VERSION);
    document
}

fn policy_json(outcomes: &[Outcome]) -> Value {
    let denied = outcomes.iter().any(is_denial);
    json!({ "denied": denied, "outcomes": outcomes })
}

/// An error for `--output json`, so scripts can branch on `kind`.
pub fn error_json(kind: &str, message: &str) -> Value {
    json!({ "schema_version": SCHEMA_VERSION, "error": { "kind": kind, "message": message } })
}

/// Whether an outcome stops the run.
fn is_denial(outcome: &Outcome) -> bool {
    !outcome.passed && outcome.action == crate::policy::Action::Deny
}

/// The lines an outcome reports: the rule's message with each violation, or
/// the bare message when the rule named none.
fn findings(outcome: &Outcome) -> Vec<String> {
    if outcome.violations.is_empty() {
        vec![outcome.message.clone()]
    } else {
        outcome.violations.iter().map(|v| format!("{}: {v}", outcome.message)).collect()
    }
}

/// The config path as reports name it: relative to the working directory
/// when it lies under it, with `/` separators.
fn config_path(checked: &Checked) -> String {
    shown_path(&checked.config.path)
}

/// A path as reports name it: relative to the working directory when it lies
/// below it, with `/` separators.
fn shown_path(path: &std::path::Path) -> String {
    let path = path.to_path_buf();
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(std::path::Path::to_path_buf))
        .unwrap_or_else(|| path.clone());
    relative.to_string_lossy().replace('\\', "/")
}
