//! The failures a user must be able to tell apart, and the exit codes they map to.
//!
//! A plugin that reports an error, a plugin that traps, a plugin that runs out of
//! its budget and a bad input file are different problems with different fixes,
//! so each has its own variant, message and `kind` in JSON output. A plan that a
//! policy denies is not an error: commands report it and exit with
//! [`EXIT_DENIED`].

use std::process::ExitCode;

/// Exit code of a run whose plan passed every deny rule.
pub const EXIT_OK: u8 = 0;
/// Exit code of a run whose plan a policy denied.
pub const EXIT_DENIED: u8 = 1;
/// Exit code of a run that failed for any other reason.
pub const EXIT_ERROR: u8 = 2;

/// A failure the user can act on, with the place it happened named in its message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A config, facts, policy or plugin file is missing, unreadable or invalid.
    #[error("{0}")]
    BadInput(String),
    /// The plugin ran and returned a `plan-error`.
    #[error("plugin `{plugin}` could not make a plan: {message}")]
    Plugin {
        /// The plugin's file name.
        plugin: String,
        /// The plugin's own explanation.
        message: String,
    },
    /// The plugin trapped: it panicked, overflowed its stack or hit `unreachable`.
    #[error("plugin `{plugin}` crashed: {message}")]
    PluginTrap {
        /// The plugin's file name.
        plugin: String,
        /// What the runtime reported.
        message: String,
    },
    /// The plugin ran out of time or memory.
    #[error("plugin `{plugin}` exceeded its {budget} budget; {hint}")]
    PluginBudget {
        /// The plugin's file name.
        plugin: String,
        /// Which budget ran out, with its size.
        budget: String,
        /// What the user can do about it.
        hint: String,
    },
    /// The plugin was built for another version of the plugin interface.
    #[error(
        "plugin `{plugin}` {found}, but this host speaks `{expected}`; rebuild the plugin against the `wit/` of this release"
    )]
    PluginInterface {
        /// The plugin's file name.
        plugin: String,
        /// What the plugin provides instead.
        found: String,
        /// The interface this host expects.
        expected: String,
    },
    /// The plugin returned a plan that breaks the interface's rules.
    #[error("plugin `{plugin}` returned a malformed plan: {message}")]
    MalformedPlan {
        /// The plugin's file name.
        plugin: String,
        /// What is wrong, naming the region and resource.
        message: String,
    },
    /// An EC2 call failed.
    #[error("EC2 `{action}` failed in `{region}`: {message}")]
    Aws {
        /// The API action, such as `DescribeVpcs`.
        action: String,
        /// The region called.
        region: String,
        /// AWS's error code and message.
        message: String,
    },
    /// Resources host does not own keep some of its own from being deleted.
    #[error(
        "cleanup in `{region}` is blocked by resources host does not own, which it never deletes: {}; delete them or move them out of the managed VPC, then run again",
        blockers.join(", ")
    )]
    Blocked {
        /// The region.
        region: String,
        /// Each blocking resource, named with its id.
        blockers: Vec<String>,
    },
    /// The user pressed Ctrl-C while host was changing EC2.
    #[error(
        "interrupted in `{region}`: host stopped between EC2 calls; run the same command again to finish"
    )]
    Interrupted {
        /// The first region that stopped.
        region: String,
    },
    /// A policy rule failed to evaluate.
    #[error("policy rule `{rule}` could not be evaluated: {message}")]
    Policy {
        /// The rule's id.
        rule: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// The stable name of this failure's kind, as `kind` in JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::BadInput(_) => "bad-input",
            Error::Plugin { .. } => "plugin-error",
            Error::PluginTrap { .. } => "plugin-trap",
            Error::PluginBudget { .. } => "plugin-budget",
            Error::PluginInterface { .. } => "plugin-interface",
            Error::MalformedPlan { .. } => "plugin-malformed-plan",
            Error::Policy { .. } => "policy-error",
            Error::Aws { .. } => "aws",
            Error::Blocked { .. } => "blocked",
            Error::Interrupted { .. } => "interrupted",
        }
    }
}

/// The kind of any error: the typed kind when one is in its chain, `internal` otherwise.
pub fn kind_of(error: &anyhow::Error) -> &'static str {
    error.chain().find_map(|cause| cause.downcast_ref::<Error>()).map_or("internal", Error::kind)
}

/// Shorthand for a [`Error::BadInput`] built from a formatted message.
pub fn bad_input(message: impl Into<String>) -> anyhow::Error {
    Error::BadInput(message.into()).into()
}

/// `text` with every control character but the line break written as an
/// escape (`\u{1b}`), so that a name a plugin or a file supplied cannot
/// recolour, retitle or rewrite the user's terminal when an error shows it.
pub fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

/// The process exit code for a command's outcome.
pub fn exit_code(code: u8) -> ExitCode {
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_terminal_controls_but_keeps_lines_and_text() {
        let shown = printable("zone `\u{1b}[2J\u{7}\r` in é€\nnext line\t");
        assert_eq!(shown, "zone `\\u{1b}[2J\\u{7}\\r` in é€\nnext line\\t");
    }
}
