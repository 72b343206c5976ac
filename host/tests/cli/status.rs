//! `host status` against the emulator: what the set holds, and its drift
//! from the plan the same inputs make.

use serde_json::Value;

use super::apply::{apply, managed_in, seed_with};
use super::emulator::Emulator;
use super::*;

fn status(emulator: &Emulator, config: &str, extra: &[&str]) -> Output {
    let plugin = plugin("standard_vpc");
    let mut args = vec!["status", "--config", config, "--plugin", plugin.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = emulator.host(&args);
    assert_exit(&output, 0);
    output
}

#[test]
fn status_shows_the_holding_by_tier_and_the_drift_apply_would_repair() {
    let emulator = Emulator::start(&[]);
    let (_dir, one) = seed_with("[us-east-1]", false);
    let one = one.to_str().unwrap();
    let before = status(&emulator, one, &[]);
    let shown = stdout(&before);
    assert!(shown.contains("us-east-1        nothing yet; `host apply` creates it"), "{shown}");
    assert!(shown.contains("Drift: ") && shown.contains("+ VPC"), "{shown}");

    apply(&emulator, SEED, &["--set", "nat=single"]);
    let state = emulator.inspect(&["us-east-1", "eu-north-1"]);
    let vpc = managed_in(&state["us-east-1"], "vpcs")[0]["id"].as_str().unwrap().to_string();
    let calls = emulator.calls().len();
    let converged = stdout(&status(&emulator, SEED, &["--set", "nat=single"]));
    assert!(emulator.calls()[calls..].iter().all(|call| {
        call["action"].as_str().is_some_and(|action| action.starts_with("Describe"))
    }));
    assert!(converged.contains(&format!("us-east-1        VPC {vpc} 10.1.0.0/16")), "{converged}");
    for row in ["public subnets   us-east-1", "private subnets  us-east-1", "route tables"] {
        assert!(converged.contains(row), "{row}: {converged}");
    }
    assert!(converged.contains(", available") && converged.contains(" in use"), "{converged}");
    assert!(converged.contains("No drift: EC2 holds what the plan asks for."), "{converged}");

    // A subnet deleted behind host's back, and a region left out of the config.
    let subnet = managed_in(&state["us-east-1"], "subnets")
        .into_iter()
        .find(|subnet| subnet["tags"]["host:tier"] == "public")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    emulator.remove("us-east-1", &[&subnet]);
    let drifted = status(&emulator, one, &["--set", "nat=single", "--output", "json"]);
    let document = json(&drifted);
    assert_eq!(document["schema_version"], 1);
    let regions = document["regions"].as_array().unwrap();
    let region = |name: &str| regions.iter().find(|r| r["region"] == name).unwrap();
    let east = region("us-east-1");
    assert_eq!(east["in_config"], true);
    assert_eq!(east["holding"]["vpcs"][0]["id"], vpc.as_str());
    let nats = east["holding"]["nat_gateways"].as_array().unwrap();
    assert!(nats.iter().all(|nat| nat["state"] == "available"), "{nats:?}");
    let created: Vec<&Value> =
        east["drift"].as_array().unwrap().iter().filter(|c| c["op"] == "create").collect();
    assert!(created.iter().any(|c| c["kind"] == "subnet"), "{east}");
    let north = region("eu-north-1");
    assert_eq!(north["in_config"], false);
    assert!(north["drift"].as_array().unwrap().iter().all(|change| change["op"] == "delete"));
    let total: usize = regions.iter().map(|r| r["drift"].as_array().unwrap().len()).sum();
    assert_eq!(document["drift"], total);
}
