//! The Python plugin, `guests/python-vpc`, built with componentize-py against
//! the same WIT world as the Rust plugins: its plans pass the default
//! policies offline, and apply builds working VPCs from them in the emulator.
//! One test, so that the interpreter inside it is compiled only once.

use super::apply::{assert_working, managed_in};
use super::emulator::Emulator;
use super::*;

const CIDRS: &str = "cidrs=us-east-1=10.1.0.0/16,eu-north-1=10.11.0.0/16,us-west-2=10.4.0.0/16";

#[test]
fn the_python_plugin_plans_what_the_policies_accept_and_apply_builds_it() {
    let plugin = plugin("python_vpc");
    let plugin = plugin.to_str().unwrap();
    let offline = ["plan", "--config", SEED, "--facts", FACTS, "--plugin", plugin];

    let output = host(&[&offline[..], &["--set", CIDRS, "--output", "json"]].concat());
    assert_exit(&output, 0);
    let document = json(&output);
    let regions = document["plan"]["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 3);
    let east = &regions[0];
    assert_eq!(east["vpc"]["cidr"], "10.1.0.0/16");
    assert_eq!(east["nat"]["mode"], "regional");
    let subnets = east["subnets"].as_array().unwrap();
    let zones = |tier: &str| subnets.iter().filter(|s| s["tier"] == tier).count();
    assert_eq!((zones("public"), zones("private")), (6, 6), "a pair in every zone");
    let first = subnets.iter().find(|s| s["zone_id"] == "use1-az1").unwrap();
    assert_eq!(first["cidr"], "10.1.0.0/20");
    assert!(document["policy"]["outcomes"].as_array().unwrap().iter().all(|o| o["passed"] == true));

    // Two zones leave the others without a way out: the default pack says so.
    let output = host(&[&offline[..], &["--set", CIDRS, "--set", "zones=2"]].concat());
    assert_exit(&output, 1);
    assert!(stdout(&output).contains("deny private-zones-reach-nat"), "{}", stdout(&output));

    // The plugin's own errors reach the user as such.
    let output = host(&[&offline[..], &["--set", "colour=blue", "--output", "json"]].concat());
    assert_exit(&output, 2);
    let error = &json(&output)["error"];
    assert_eq!(error["kind"], "plugin-error");
    assert!(error["message"].as_str().unwrap().contains("unknown parameter `colour`"), "{error}");

    // Applied, the plan makes working VPCs, and the next run changes nothing.
    let emulator = Emulator::start(&[]);
    let apply = ["apply", "--config", SEED, "--plugin", plugin, "--set", CIDRS, "--yes"];
    assert_exit(&emulator.host(&apply), 0);
    let state = emulator.inspect(&["us-east-1", "eu-north-1", "us-west-2"]);
    for region in ["us-east-1", "eu-north-1", "us-west-2"] {
        assert_working(&state[region], region, true);
    }
    assert_eq!(managed_in(&state["us-east-1"], "vpcs")[0]["cidr"], "10.1.0.0/16");
    let status = ["status", "--config", SEED, "--plugin", plugin, "--set", CIDRS];
    let output = emulator.host(&status);
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("No drift"), "{}", stdout(&output));
}
