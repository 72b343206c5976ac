//! GitHub Actions workflow commands: `::error file=...,title=...::message`.

use std::fmt::Write as _;

use std::path::Path;

use super::{config_path, findings, shown_path};
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

/// A workflow command for a run that failed before any rule ran. A bad
/// config is annotated on `config`, at the line the message names.
pub fn github_error(kind: &str, message: &str, config: Option<&Path>) -> String {
    let title = escape_property(&format!("host {kind}"));
    let named = |path: &Path| message.contains(&format!("`{}`", path.display()));
    let place = match config {
        Some(path) if kind == "bad-input" && named(path) => {
            let line = line_of(message).map(|line| format!(",line={line}")).unwrap_or_default();
            format!(" file={}{line},", escape_property(&shown_path(path)))
        }
        _ => " ".to_string(),
    };
    format!("::error{place}title={title}::{}\n", escape_data(message))
}

/// The line a message names: host's `(line N)`, or the YAML parser's `at line N`.
fn line_of(message: &str) -> Option<u32> {
    ["(line ", " at line "].iter().find_map(|marker| {
        let (_, rest) = message.split_once(marker)?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
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
    fn a_bad_config_is_annotated_on_its_file_and_line() {
        let message = "config `dstack.yml` (line 3): `regions`: unknown region `mars-1`";
        let shown = github_error("bad-input", message, Some(Path::new("dstack.yml")));
        assert!(
            shown.starts_with("::error file=dstack.yml,line=3,title=host bad-input::"),
            "{shown}"
        );
        let parsed = "config `dstack.yml`: unknown field `region` at line 2 column 1";
        let shown = github_error("bad-input", parsed, Some(Path::new("dstack.yml")));
        assert!(shown.starts_with("::error file=dstack.yml,line=2,title="), "{shown}");
        let other =
            github_error("aws", "EC2 `DescribeRegions` failed", Some(Path::new("dstack.yml")));
        assert!(other.starts_with("::error title=host aws::"), "{other}");
    }

    #[test]
    fn escapes_what_the_runner_would_misread() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
