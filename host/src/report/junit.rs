//! JUnit XML: one test case per rule, a failure per denied rule.

use anyhow::Result;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::findings;
use crate::pipeline::Checked;
use crate::policy::Action;

/// The policy results as a JUnit report; warnings pass with their findings in
/// the case's output.
pub fn junit(checked: &Checked) -> Result<String> {
    let mut suite = TestSuite::new("host policies");
    for outcome in &checked.outcomes {
        let status = if !outcome.passed && outcome.action == Action::Deny {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(outcome.message.clone()).set_type("deny");
            status.set_description(findings(outcome).join("\n"));
            status
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(outcome.rule.clone(), status);
        case.set_classname("host.policy");
        if !outcome.passed && outcome.action == Action::Warn {
            case.set_system_out(format!("warning: {}", findings(outcome).join("\nwarning: ")));
        }
        suite.add_test_case(case);
    }
    let mut report = Report::new("host validate");
    report.add_test_suite(suite);
    Ok(report.to_string()?)
}

/// A JUnit report for a run that failed before any rule ran: one errored case.
pub fn junit_error(kind: &str, message: &str) -> Result<String> {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_message(message.to_string()).set_type(kind.to_string());
    let mut case = TestCase::new("host", status);
    case.set_classname("host.policy");
    let mut suite = TestSuite::new("host policies");
    suite.add_test_case(case);
    let mut report = Report::new("host validate");
    report.add_test_suite(suite);
    Ok(report.to_string()?)
}
