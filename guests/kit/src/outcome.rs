//! What a planner returns: the plan, and the notes for the host's log.

use crate::types::{LogLevel, Plan};

/// A plan with the decisions worth logging on the way to it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The plan for the host.
    pub plan: Plan,
    /// Messages for the host's log, in the order the decisions were made.
    pub notes: Vec<Note>,
}

/// One message for the host's log.
#[derive(Debug, Clone)]
pub struct Note {
    /// How important it is.
    pub level: LogLevel,
    /// The message.
    pub message: String,
}

impl Note {
    /// A debug note: a decision the user sees with `-v`.
    pub fn debug(message: impl Into<String>) -> Self {
        Self { level: LogLevel::Debug, message: message.into() }
    }
}
