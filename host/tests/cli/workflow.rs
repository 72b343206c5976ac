//! The GitHub Actions workflow in `.github/workflows/host-validate.yml`: its
//! shape is checked, and every command in it is run, as the runner runs it,
//! on a plan that passes and on one that a policy denies.

use serde_norway::Value;

use super::*;

const WORKFLOW: &str = ".github/workflows/host-validate.yml";

fn workflow() -> Value {
    let text = std::fs::read_to_string(root().join(WORKFLOW)).unwrap();
    serde_norway::from_str(&text).unwrap()
}

fn steps(workflow: &Value) -> &Vec<Value> {
    workflow["jobs"]["validate"]["steps"].as_sequence().unwrap()
}

fn named<'a>(workflow: &'a Value, name: &str) -> &'a Value {
    steps(workflow).iter().find(|step| step["name"] == name).unwrap()
}

/// Runs a step's script as the runner does (`bash -e`), in the repository
/// root, with the workflow's env and `overrides`.
fn run_step(workflow: &Value, step: &Value, overrides: &[(&str, &str)]) -> Output {
    let mut command = Command::new("bash");
    command.arg("-e").arg("-c").arg(step["run"].as_str().unwrap()).current_dir(root());
    for (key, value) in workflow["env"].as_mapping().unwrap() {
        command.env(key.as_str().unwrap(), value.as_str().unwrap());
    }
    command
        .envs(overrides.iter().copied())
        .env("HOST_CACHE_DIR", root().join("target/test-plugin-cache"));
    command.env_remove("RUST_LOG").output().unwrap()
}

#[test]
fn the_workflow_runs_on_pull_requests_and_uploads_the_sarif_it_writes() {
    let workflow = workflow();
    assert!(workflow["on"].get("pull_request").is_some(), "runs on pull requests");
    assert_eq!(workflow["permissions"]["security-events"], "write", "may upload SARIF");
    let check = named(&workflow, "Check the plan against the policies");
    assert!(check["run"].as_str().unwrap().contains("--format github"));
    let sarif = named(&workflow, "Write the results as SARIF");
    let upload = named(&workflow, "Upload the SARIF to code scanning");
    let file = upload["with"]["sarif_file"].as_str().unwrap();
    assert!(upload["uses"].as_str().unwrap().starts_with("github/codeql-action/upload-sarif@"));
    assert!(sarif["run"].as_str().unwrap().contains(&format!("--format sarif > {file}")));
    // A failed check must not keep the findings from code scanning, but a
    // failed build has no findings to give.
    let build = steps(&workflow).iter().find(|step| step["id"] == "build").unwrap();
    assert!(build["run"].as_str().unwrap().contains("cargo build"));
    for step in [sarif, upload] {
        let condition = step["if"].as_str().unwrap();
        assert!(condition.starts_with("always() && steps.build.outcome == 'success'"), "{step:?}");
    }
    let order: Vec<&Value> = steps(&workflow).iter().collect();
    let at = |step: &Value| order.iter().position(|s| *s == step).unwrap();
    assert!(at(check) < at(sarif) && at(sarif) < at(upload));
}

#[test]
fn every_command_of_the_workflow_runs_and_reports_a_denial_both_ways() {
    let workflow = workflow();
    let sarif_file = root().join("host.sarif");
    let host = env!("CARGO_BIN_EXE_host");
    let plugin = plugin("standard_vpc");
    // The built binary and plugin stand in for the workflow's paths, which
    // differ only where CARGO_TARGET_DIR moves the target directory.
    let paths = [("HOST", host), ("PLUGIN", plugin.to_str().unwrap())];
    for step in steps(&workflow).iter().filter(|step| step.get("run").is_some()) {
        let output = run_step(&workflow, step, &paths);
        assert_exit(&output, 0);
    }
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_file).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");

    // Per zone NAT gateways need more Elastic IPs than the facts' quota.
    let (_dir, denied) = temp_config(
        "type: aws\npublic_ips: false\nregions: [us-east-1]\nplugin_params:\n  nat: per-az\n",
    );
    let denied = [("CONFIG", denied.to_str().unwrap()), paths[0], paths[1]];
    let check =
        run_step(&workflow, named(&workflow, "Check the plan against the policies"), &denied);
    assert_exit(&check, 1);
    assert!(stdout(&check).contains("::error file="), "{}", stdout(&check));
    assert!(stdout(&check).contains("title=host policy elastic-ip-quota"), "{}", stdout(&check));
    let written = run_step(&workflow, named(&workflow, "Write the results as SARIF"), &denied);
    assert_exit(&written, 0);
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_file).unwrap()).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "elastic-ip-quota"), "{results:?}");
    std::fs::remove_file(sarif_file).unwrap();
}
