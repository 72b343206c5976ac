//! `host policy test`, `host permissions`, and user policy packs.

use super::*;

#[test]
fn the_default_pack_passes_its_inline_tests() {
    let output = host(&["policy", "test"]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains(" 0 failed (15 rules, 0 without tests)"), "{text}");
}

#[test]
fn a_pack_with_a_failing_test_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mine.yaml"),
        "rules:\n  - id: no-regions\n    severity: low\n    action: warn\n    message: m\n    expression: size(plan.regions) == 0\n    tests:\n      - name: wrong expectation\n        input: { plan: { regions: [] } }\n        expect: fail\n",
    )
    .unwrap();
    let output = host(&["policy", "test", dir.path().to_str().unwrap()]);
    assert_exit(&output, 1);
    assert!(stdout(&output).contains("FAIL  no-regions: wrong expectation"), "{}", stdout(&output));
}

#[test]
fn a_rule_with_an_unknown_variable_or_function_is_rejected_when_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |expression: &str| {
        format!(
            "rules:\n  - id: typo\n    severity: low\n    action: deny\n    message: m\n    expression: {expression}\n"
        )
    };
    for (expression, expected) in [
        ("size(plans.regions) == 0", "unknown variable `plans`"),
        ("cidrContain('a', 'b')", "unknown function `cidrContain`"),
    ] {
        std::fs::write(dir.path().join("typo.yaml"), rule(expression)).unwrap();
        let output = host(&["policy", "test", dir.path().to_str().unwrap()]);
        assert_exit(&output, 2);
        let message = stderr(&output);
        assert!(
            message.contains("typo.yaml")
                && message.contains("`typo`")
                && message.contains(expected),
            "{message}"
        );
    }
}

#[test]
fn a_user_pack_adds_to_the_default_pack() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("org.yaml"),
        "rules:\n  - id: team-tag\n    severity: medium\n    action: deny\n    message: every VPC carries a team tag\n    expression: |\n      plan.regions.filter(r, !('team' in r.tags)).map(r, r.region + ': no team tag')\n",
    )
    .unwrap();
    let output = plan_seed("standard_vpc", &["--policies", dir.path().to_str().unwrap()]);
    assert_exit(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("deny team-tag") && text.contains("us-east-1: no team tag"), "{text}");
    assert!(text.contains("15 passed"), "{text}");
}

#[test]
fn permissions_follow_the_nat_mode() {
    let list = |extra: &[&str]| {
        let mut args = vec!["permissions", "--format", "list"];
        args.extend_from_slice(extra);
        let output = host(&args);
        assert_exit(&output, 0);
        stdout(&output)
    };
    let every = list(&[]);
    assert!(every.contains("ec2:AllocateAddress\n") && every.contains("ec2:CreateNatGateway\n"));
    let regional = list(&["--config", "tests/fixtures/seed.yml"]);
    assert!(
        regional.contains("ec2:CreateNatGateway\n") && !regional.contains("ec2:AllocateAddress")
    );
    let zonal = list(&["--config", "tests/fixtures/seed.yml", "--set", "nat=per-az"]);
    assert!(zonal.contains("ec2:AllocateAddress\n") && zonal.contains("ec2:ReleaseAddress\n"));
    let none = list(&["--config", "tests/fixtures/seed.yml", "--set", "nat=none"]);
    assert!(!none.contains("ec2:CreateNatGateway") && !none.contains("ec2:DeleteNatGateway"));
    for text in [&every, &regional] {
        assert!(
            text.contains("ec2:CreateTags\n") && text.contains("ec2:DescribeAccountAttributes\n")
        );
    }
}

#[test]
fn the_permissions_policy_is_an_iam_document() {
    let output = host(&["permissions"]);
    assert_exit(&output, 0);
    let document = json(&output);
    assert_eq!(document["Version"], "2012-10-17");
    let actions: std::collections::BTreeSet<&str> = document["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()))
        .collect();
    let listed = stdout(&host(&["permissions", "--format", "list"])).lines().count();
    assert_eq!(actions.len(), listed);
}

#[test]
fn help_texts_match_golden() {
    for (name, args) in [
        ("help.txt", &["--help"][..]),
        ("help-plan.txt", &["plan", "--help"][..]),
        ("help-validate.txt", &["validate", "--help"][..]),
        ("help-permissions.txt", &["permissions", "--help"][..]),
    ] {
        let output = host(args);
        assert_exit(&output, 0);
        golden::check(name, &stdout(&output));
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_host"))
        .args(["permissions", "--format", "list"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn permissions_refuse_a_nat_mode_the_default_plugin_does_not_know() {
    let output = host(&["permissions", "--config", SEED, "--set", "nat=singel"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("parameter `nat` is `singel`"), "{}", stderr(&output));
}
