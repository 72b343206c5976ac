//! Reading facts from EC2, against the emulator.

use super::emulator::Emulator;
use super::*;

#[test]
fn facts_are_read_from_ec2_for_the_configs_regions_in_order() {
    let emulator = Emulator::start(&[]);
    let output = emulator.host(&["facts", "--config", SEED]);
    assert_exit(&output, 0);
    let facts = json(&output);
    assert_eq!(facts["schema_version"], 1);
    let regions = facts["regions"].as_array().unwrap();
    let names: Vec<&str> = regions.iter().map(|r| r["region"].as_str().unwrap()).collect();
    assert_eq!(names, ["us-east-1", "eu-north-1", "us-west-2"]);
    for region in regions {
        let zones = region["zones"].as_array().unwrap();
        assert!(zones.len() >= 3, "{region}");
        assert!(
            zones
                .iter()
                .all(|z| z["zone_type"] == "availability-zone" && z["state"] == "available")
        );
        assert!(region["other_vpc_cidrs"].as_array().unwrap().contains(&"172.31.0.0/16".into()));
        assert_eq!(region["elastic_ip_quota"], 5);
        assert!(region.get("existing").is_none(), "nothing is managed yet");
    }
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(!text.contains("emulator-secret-never-printed") && !text.contains("AKIAEMULATOR"));
}

#[test]
fn a_region_the_account_has_not_enabled_is_skipped_with_a_warning() {
    let emulator = Emulator::start(&["eu-north-1"]);
    let plugin = plugin("standard_vpc");
    let output = emulator.host(&[
        "plan",
        "--config",
        SEED,
        "--plugin",
        plugin.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_exit(&output, 0);
    assert!(stderr(&output).contains("`eu-north-1`"), "{}", stderr(&output));
    let plan = json(&output);
    assert_eq!(plan["skipped_regions"], serde_json::json!(["eu-north-1"]));
    let planned: Vec<&str> = plan["plan"]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(planned, ["us-east-1", "us-west-2"]);
}

#[test]
fn a_live_plan_equals_the_plan_on_the_facts_host_facts_wrote() {
    let emulator = Emulator::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.json");
    assert_exit(
        &emulator.host(&["facts", "--config", SEED, "--output", facts.to_str().unwrap()]),
        0,
    );
    let plugin = plugin("standard_vpc");
    let plan = ["plan", "--config", SEED, "--plugin", plugin.to_str().unwrap(), "--output", "json"];
    let live = emulator.host(&plan);
    assert_exit(&live, 0);
    let mut offline_args = plan.to_vec();
    offline_args.extend(["--facts", facts.to_str().unwrap()]);
    let offline = emulator.host(&offline_args);
    let mut live = json(&live);
    let changes = live.as_object_mut().unwrap().remove("changes").unwrap();
    assert_eq!(live, json(&offline), "the same plan, and offline no changes");
    assert!(changes.as_array().unwrap().iter().all(|region| region["changes"].is_array()));
}

#[test]
fn without_credentials_the_aws_error_is_reported_not_guessed_around() {
    let emulator = Emulator::start(&[]);
    let output = emulator
        .command(&["facts", "--config", SEED])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .output()
        .unwrap();
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(message.contains("EC2 `DescribeRegions` failed in `us-east-1`"), "{message}");
}
