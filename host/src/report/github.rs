//! GitHub Actions workflow commands: `::error file=...,title=...::message`.

use std::fmt::Write as _;

use super::{config_path, findings};
use crate::pipeline::Checked;
use crate::policy::Action;

/// One `::error` (deny) or `::warning` (warn) command per finding, annotating
/// the config file.
pub fn github(checked: &Checked) -> String {
    let file = escape_property(&config_path(checked));
    let mut out = String::new();
    for outcome in checked.outcomes.iter().filter(|o| !o.passed) {
        let command = match outcome.action {
            Action::Deny => "error",
            Action::Warn => "warning",
        };
        let title = escape_property(&format!("host policy {}", outcome.rule));
        for finding in findings(outcome) {
            let _ =
                writeln!(out, "::{command} file={file},title={title}::{}", escape_data(&finding));
        }
    }
    out
}

/// A workflow command for a run that failed before any rule ran.
pub fn github_error(kind: &str, message: &str) -> String {
    let title = escape_property(&format!("host {kind}"));
    format!("::error title={title}::{}\n", escape_data(message))
}

/// Escapes a command's message as the runner expects.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command property, which also may not hold `:` or `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_the_runner_would_misread() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
