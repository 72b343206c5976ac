//! Evaluating rules against one input, each within a time budget.

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::Result;
use cel::Program;
use cel::objects::Value;
use serde::Serialize;

use super::{Action, Rule, Severity, cidr};
use crate::error::Error;

/// Stack of the evaluating thread: CEL evaluation recurses on the expression's
/// depth, which pack loading bounds.
const WORKER_STACK: usize = 32 << 20;

/// The values a rule sees, as JSON.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// The config as the plugin saw it.
    pub config: serde_json::Value,
    /// The facts, with `regions` keyed by region code.
    pub facts: serde_json::Value,
    /// The plan.
    pub plan: serde_json::Value,
    /// The IAM actions host grants itself for the plan's NAT use, as `host
    /// permissions` prints them.
    pub permissions: serde_json::Value,
}

/// What one rule found.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Outcome {
    /// The rule's id.
    pub rule: String,
    /// Deny or warn.
    pub action: Action,
    /// The rule's severity.
    pub severity: Severity,
    /// What the rule requires.
    pub message: String,
    /// Longer help, when the rule has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Whether the plan complies.
    pub passed: bool,
    /// One entry per violation, naming region and resource; may be empty for a
    /// rule that only says true or false.
    pub violations: Vec<String>,
}

/// Evaluates every rule on `input`. A rule that fails to evaluate, yields the
/// wrong type or takes longer than `budget` is an error naming it.
pub fn evaluate(rules: &[Rule], input: &Input, budget: Duration) -> Result<Vec<Outcome>> {
    // Each rule's program, compiled when its pack loaded, or here for a rule
    // that was not loaded from a pack.
    let programs: Vec<(String, Result<Arc<Program>, String>)> = rules
        .iter()
        .map(|rule| {
            let program = match &rule.program {
                Some(program) => Ok(Arc::clone(program)),
                None => {
                    super::env().compile(&rule.expression).map(Arc::new).map_err(|e| e.to_string())
                }
            };
            (rule.id.clone(), program)
        })
        .collect();
    let input = input.clone();
    let (send, receive) = mpsc::channel();
    // The worker owns everything it touches, so a rule that overruns its budget
    // can be abandoned: the command fails and the process exits.
    let worker = std::thread::Builder::new().stack_size(WORKER_STACK).spawn(move || {
        let context = match context(&input) {
            Ok(context) => context,
            Err(message) => return drop(send.send(Err(message))),
        };
        for (id, program) in programs {
            let started = Instant::now();
            let result = program.and_then(|program| run(&program, &context));
            tracing::debug!(rule = %id, elapsed = ?started.elapsed(), "rule evaluated");
            if send.send(result).is_err() {
                return;
            }
        }
    });
    if let Err(err) = worker {
        anyhow::bail!("cannot start the policy evaluator: {err}");
    }
    rules.iter().map(|rule| outcome(rule, receive.recv_timeout(budget), budget)).collect()
}

fn outcome(
    rule: &Rule,
    received: Result<Result<Vec<String>, String>, mpsc::RecvTimeoutError>,
    budget: Duration,
) -> Result<Outcome> {
    let failure = |message: String| Error::Policy { rule: rule.id.clone(), message };
    let violations = match received {
        Ok(result) => result.map_err(failure)?,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            return Err(failure(format!("it ran longer than {} ms", budget.as_millis())).into());
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            return Err(failure("the evaluator stopped unexpectedly".to_string()).into());
        }
    };
    Ok(Outcome {
        rule: rule.id.clone(),
        action: rule.action,
        severity: rule.severity,
        message: rule.message.clone(),
        help: rule.help.clone(),
        passed: violations.is_empty(),
        violations: violations.into_iter().filter(|v| !v.is_empty()).collect(),
    })
}

fn context(input: &Input) -> Result<cel::Context<'static, 'static>, String> {
    let mut context = cel::Context::with_env(super::env());
    cidr::register(&mut context).map_err(|err| err.to_string())?;
    let variables = [
        ("config", &input.config),
        ("facts", &input.facts),
        ("plan", &input.plan),
        ("permissions", &input.permissions),
    ];
    for (name, value) in variables {
        let value = cel::to_value(value).map_err(|err| format!("cannot pass `{name}`: {err}"))?;
        context.add_variable_from_value(name, value);
    }
    Ok(context)
}

/// Runs one expression: `Ok(vec![])` when it complies, one entry per violation
/// otherwise (a single empty entry for a plain `false`).
fn run(program: &Program, context: &cel::Context<'_, '_>) -> Result<Vec<String>, String> {
    match program.execute(context).map_err(|err| err.to_string())? {
        Value::Bool(true) => Ok(Vec::new()),
        Value::Bool(false) => Ok(vec![String::new()]),
        Value::List(items) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => Ok(text.to_string()),
                other => Err(format!("its list holds {}, not only strings", type_name(other))),
            })
            .collect(),
        other => Err(format!("it yields {}, not a bool or a list of strings", type_name(&other))),
    }
}

/// The CEL name of a value's type, for messages.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::List(_) => "a list",
        Value::Map(_) => "a map",
        Value::Int(_) => "an int",
        Value::UInt(_) => "a uint",
        Value::Float(_) => "a double",
        Value::String(_) => "a string",
        Value::Bytes(_) => "bytes",
        Value::Bool(_) => "a bool",
        Value::Null => "null",
        _ => "a value of another type",
    }
}
