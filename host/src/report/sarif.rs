//! SARIF 2.1.0 for code scanning, built with `serde-sarif`.

use anyhow::Result;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification,
    PhysicalLocation, Region, ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif,
    Tool, ToolComponent,
};

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::{config_path, findings};
use crate::pipeline::Checked;
use crate::policy::{Action, Outcome};

/// What a relative URI reference may not hold as it is.
const URI_RESERVED: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'[')
    .add(b']');

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The policy results as a SARIF log with one run: every rule as a reporting
/// descriptor, every finding as a result located in the config file.
pub fn sarif(checked: &Checked) -> Result<String> {
    let rules: Vec<ReportingDescriptor> = checked.outcomes.iter().map(descriptor).collect();
    let driver = ToolComponent::builder()
        .name("host")
        .version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();
    let uri = utf8_percent_encode(&config_path(checked), URI_RESERVED).to_string();
    let results: Vec<SarifResult> = checked
        .outcomes
        .iter()
        .filter(|o| !o.passed)
        .flat_map(|o| findings(o).into_iter().map(move |text| (o, text)))
        .map(|(outcome, text)| result(outcome, text, &uri))
        .collect();
    let run = Run::builder().tool(Tool::builder().driver(driver).build()).results(results).build();
    let log = Sarif::builder().schema(SCHEMA).version("2.1.0").runs(vec![run]).build();
    Ok(serde_json::to_string_pretty(&log)?)
}

fn descriptor(outcome: &Outcome) -> ReportingDescriptor {
    let text = |text: &str| MultiformatMessageString::builder().text(text).build();
    let mut descriptor = ReportingDescriptor::builder()
        .id(outcome.rule.clone())
        .short_description(text(&outcome.message))
        .build();
    descriptor.help = outcome.help.as_deref().map(text);
    descriptor
}

fn result(outcome: &Outcome, text: String, uri: &str) -> SarifResult {
    let level = match outcome.action {
        Action::Deny => ResultLevel::Error,
        Action::Warn => ResultLevel::Warning,
    };
    let physical = PhysicalLocation::builder()
        .artifact_location(ArtifactLocation::builder().uri(uri).build())
        .region(Region::builder().start_line(1).build())
        .build();
    // Every finding points at the same file and line, so code scanning tells
    // them apart by this fingerprint of the rule and the finding.
    let digest = Sha256::digest(format!("{}\n{text}", outcome.rule));
    let fingerprint = crate::plugin::hex(&digest[..16]);
    SarifResult::builder()
        .partial_fingerprints(BTreeMap::from([("hostFinding/v1".to_string(), fingerprint)]))
        .rule_id(outcome.rule.clone())
        .level(level)
        .message(Message::builder().text(text).build())
        .locations(vec![Location::builder().physical_location(physical).build()])
        .build()
}

/// A SARIF log for a run that failed before any rule ran: no results, and an
/// unsuccessful invocation carrying the error, so an upload step still gets a
/// valid file that says what went wrong.
pub fn sarif_error(kind: &str, message: &str) -> Result<String> {
    let driver = ToolComponent::builder().name("host").version(env!("CARGO_PKG_VERSION")).build();
    let notification = Notification::builder()
        .level(serde_json::json!("error"))
        .message(Message::builder().text(format!("{kind}: {message}")).build())
        .build();
    let invocation = Invocation::builder()
        .execution_successful(false)
        .tool_execution_notifications(vec![notification])
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![invocation])
        .results(Vec::new())
        .build();
    let log = Sarif::builder().schema(SCHEMA).version("2.1.0").runs(vec![run]).build();
    Ok(serde_json::to_string_pretty(&log)?)
}
