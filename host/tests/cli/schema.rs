//! Every JSON document host prints matches `schema/host-output.schema.json`,
//! as a whole and as the document of its command.

use serde_json::{Value, json};

use super::apply::seed_with;
use super::emulator::Emulator;
use super::*;

/// Asserts `document` is valid against the schema and against its `$defs`
/// entry `definition`.
pub fn assert_schema(document: &Value, definition: &str) {
    let text = std::fs::read_to_string(root().join("schema/host-output.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert!(schema["$defs"].get(definition).is_some(), "no `{definition}` in the schema");
    let mut only = schema.clone();
    only.as_object_mut().unwrap().remove("oneOf");
    only["$ref"] = json!(format!("#/$defs/{definition}"));
    // The command's own document first, whose errors point into it.
    for (what, schema) in [(definition, &only), ("the schema", &schema)] {
        let validator = jsonschema::validator_for(schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(document)
            .map(|err| {
                let text = err.to_string();
                let short: String = text.chars().take(300).collect();
                format!("{short} at {}", err.instance_path())
            })
            .take(5)
            .collect();
        assert!(errors.is_empty(), "not valid against {what}: {errors:#?}");
    }
}

#[test]
fn offline_documents_match_the_schema() {
    // Seed's per zone NAT gateways need more Elastic IPs than the fixture's
    // quota, so a policy denies the plan: a plan document all the same.
    let output = plan_seed("standard_vpc", &["--output", "json", "--set", "nat=per-az"]);
    assert_exit(&output, 1);
    assert_schema(&json(&output), "plan_document");
    let output = plan_seed("standard_vpc", &["--output", "json", "--set", "nat=single"]);
    assert_schema(&json(&output), "plan_document");

    // A plugin that plans isolated subnets.
    let cidrs = "cidrs=us-east-1=10.20.0.0/16,eu-north-1=10.21.0.0/16,us-west-2=10.22.0.0/16";
    let output = plan_seed("org_topology", &["--output", "json", "--set", cidrs]);
    assert_exit(&output, 0);
    let document = json(&output);
    assert!(
        document["plan"]["regions"][0]["subnets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["tier"] == "isolated")
    );
    assert_schema(&document, "plan_document");

    let plugin = plugin("standard_vpc");
    let validate = host(&[
        "validate",
        "--config",
        SEED,
        "--plugin",
        plugin.to_str().unwrap(),
        "--facts",
        FACTS,
        "--format",
        "json",
    ]);
    assert_exit(&validate, 0);
    assert_schema(&json(&validate), "validate_document");

    let failed = host(&[
        "plan",
        "--config",
        "no-such.yml",
        "--plugin",
        plugin.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert_exit(&failed, 2);
    assert_schema(&json(&failed), "error_document");
}

#[test]
fn documents_read_from_ec2_match_the_schema() {
    let emulator = Emulator::start(&[]);
    let (_dir, config) = seed_with("[us-east-1, eu-north-1]", false);
    let config = config.to_str().unwrap();
    let plugin = plugin("standard_vpc");
    let plugin = plugin.to_str().unwrap();
    let run = |args: &[&str]| {
        let output = emulator.host(args);
        assert_exit(&output, 0);
        json(&output)
    };
    fn inputs<'a>(config: &'a str, plugin: &'a str, nat: &'a str) -> Vec<&'a str> {
        vec!["--config", config, "--plugin", plugin, "--output", "json", "--set", nat]
    }
    let single = inputs(config, plugin, "nat=single");
    assert_schema(&run(&[&["plan"], &single[..]].concat()), "plan_document");
    assert_schema(&run(&[&["apply", "--yes"], &single[..]].concat()), "change_document");
    // Per zone NAT gateways, with their Elastic IPs, in the changes and the status.
    let mut status = run(&[&["status"], &inputs(config, plugin, "nat=per-az")[..]].concat());
    assert_schema(&status, "status_document");
    assert!(status["drift"].as_u64().unwrap() > 0);
    let (_dir, east) = seed_with("[eu-north-1]", false);
    let east = inputs(east.to_str().unwrap(), plugin, "nat=per-az");
    assert_schema(&run(&[&["apply", "--yes"], &east[..]].concat()), "change_document");
    status = run(&[&["status"], &east[..]].concat());
    assert_schema(&status, "status_document");
    assert_schema(
        &run(&["destroy", "--yes", "--config", config, "--output", "json"]),
        "change_document",
    );
}
