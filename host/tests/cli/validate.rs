//! `host validate` in every CI format.

use super::*;

fn validate(format: &str, extra: &[&str]) -> Output {
    let plugin = plugin("standard_vpc");
    let mut args = vec![
        "validate",
        "--config",
        "tests/fixtures/seed.yml",
        "--facts",
        "tests/fixtures/facts.json",
        "--plugin",
        plugin.to_str().unwrap(),
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    host(&args)
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let schema_text =
        std::fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for (extra, code) in
        [(&[][..], 0), (&["--set", "nat=none"][..], 1), (&["--set", "nat=single"][..], 0)]
    {
        let output = validate("sarif", extra);
        assert_exit(&output, code);
        let log = json(&output);
        let errors: Vec<String> =
            validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{extra:?}: {errors:#?}");
        assert_eq!(log["version"], "2.1.0");
        let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        assert!(rules.iter().any(|r| r["id"] == "private-zones-reach-nat"));
    }
    let denied = json(&validate("sarif", &["--set", "nat=none"]));
    let results = denied["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().all(|r| r["ruleId"] == "private-zones-reach-nat" && r["level"] == "error")
    );
    assert_eq!(results.len(), 13, "one result per zone of the three regions");
    let uri = &results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "tests/fixtures/seed.yml");
}

#[test]
fn github_output_is_workflow_commands() {
    let output = validate("github", &["--set", "nat=none"]);
    assert_exit(&output, 1);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 13);
    for line in lines {
        assert!(
            line.starts_with(
                "::error file=tests/fixtures/seed.yml,title=host policy private-zones-reach-nat::"
            ),
            "{line}"
        );
        assert!(line.contains(": zone `"), "{line}");
    }
    let warned = stdout(&validate("github", &["--set", "nat=single"]));
    assert!(warned.lines().all(|line| line.starts_with("::warning file=")), "{warned}");
    assert!(stdout(&validate("github", &[])).is_empty(), "a clean plan prints no annotation");

    // A config host refuses is annotated on the config's line.
    let (_dir, config) = temp_config("type: aws\nregions:\n  - us-east-1\n  - mars-1\n");
    let bad = config.to_str().unwrap();
    let plugin = plugin("standard_vpc");
    let args =
        ["validate", "--config", bad, "--facts", FACTS, "--plugin", plugin.to_str().unwrap()];
    let output = host(&[&args[..], &["--format", "github"]].concat());
    assert_exit(&output, 2);
    let text = stdout(&output);
    assert!(
        text.starts_with(&format!("::error file={bad},line=4,title=host bad-input::")),
        "{text}"
    );
}

#[test]
fn junit_output_has_one_case_per_rule_and_fails_denials() {
    let output = validate("junit", &["--set", "nat=none"]);
    assert_exit(&output, 1);
    let xml = stdout(&output);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 15, "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    assert!(xml.contains("name=\"private-zones-reach-nat\""), "{xml}");
}

#[test]
fn json_and_text_output_report_the_same_verdict() {
    let output = validate("json", &["--set", "nat=none"]);
    assert_exit(&output, 1);
    let report = json(&output);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["denied"], true);
    let text = validate("text", &[]);
    assert_exit(&text, 0);
    assert!(
        stdout(&text).starts_with("Policies: 15 passed, 0 warnings, 0 denied"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn a_failed_run_still_prints_a_document_in_the_asked_format() {
    let (_dir, config) = temp_config("type: aws\nregion: [us-east-1]\n");
    let wasm = plugin("standard_vpc");
    let run = |format: &str| {
        host(&[
            "validate",
            "--config",
            config.to_str().unwrap(),
            "--facts",
            FACTS,
            "--plugin",
            wasm.to_str().unwrap(),
            "--format",
            format,
        ])
    };
    let sarif = run("sarif");
    assert_exit(&sarif, 2);
    let log = json(&sarif);
    let schema =
        std::fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&serde_json::from_str(&schema).unwrap()).unwrap();
    assert!(validator.is_valid(&log), "{log}");
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let note = invocation["toolExecutionNotifications"][0]["message"]["text"].as_str().unwrap();
    assert!(note.starts_with("bad-input: ") && note.contains("region"), "{note}");
    let github = stdout(&run("github"));
    let annotated =
        format!("::error file={},line=2,title=host bad-input::config ", config.display());
    assert!(github.starts_with(&annotated), "{github}");
    let junit = stdout(&run("junit"));
    assert!(junit.contains("<error ") && junit.contains("type=\"bad-input\""), "{junit}");
}
