//! `host apply` and `host destroy` against the emulator, checked from outside
//! host with boto3.

use serde_json::Value;

use super::emulator::Emulator;
use super::*;

const REGIONS: [&str; 3] = ["us-east-1", "eu-north-1", "us-west-2"];

pub fn apply(emulator: &Emulator, config: &str, extra: &[&str]) -> Output {
    let plugin = plugin("standard_vpc");
    let mut args = vec!["apply", "--config", config, "--plugin", plugin.to_str().unwrap(), "--yes"];
    args.extend_from_slice(extra);
    let output = emulator.host(&args);
    assert_exit(&output, 0);
    output
}

/// The seed config with other regions and settings.
pub fn seed_with(regions: &str, public_ips: bool) -> (tempfile::TempDir, PathBuf) {
    temp_config(&format!(
        "type: aws\npublic_ips: {public_ips}\nvpc_autocreated: true\nregions: {regions}\ncreds:\n  type: default\n"
    ))
}

pub fn managed(resource: &Value) -> bool {
    resource["tags"]["host:managed"] == "true" && resource["tags"]["host:set"] == "dstack"
}

pub fn managed_in<'a>(region: &'a Value, kind: &str) -> Vec<&'a Value> {
    region[kind].as_array().unwrap().iter().filter(|r| managed(r)).collect()
}

pub fn ids(resources: &[&Value], key: &str) -> Vec<String> {
    let mut ids: Vec<String> =
        resources.iter().map(|r| r[key].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

pub fn mutating(calls: &[Value]) -> Vec<String> {
    calls
        .iter()
        .map(|call| call["action"].as_str().unwrap().to_string())
        .filter(|action| !action.starts_with("Describe"))
        .collect()
}

/// Checks one region holds a working managed VPC: public and private subnets
/// in every zone, an attached internet gateway, a NAT gateway per `nat_zones`
/// (or one regional), every subnet explicitly associated with a table whose
/// default route goes to the internet gateway or to its zone's NAT gateway.
pub fn assert_working(region: &Value, name: &str, private: bool) {
    let vpcs = managed_in(region, "vpcs");
    assert_eq!(vpcs.len(), 1, "{name}: {vpcs:?}");
    let vpc = vpcs[0]["id"].as_str().unwrap();
    assert_eq!(vpcs[0]["dns_hostnames"], true, "{name}");
    let zones: Vec<&str> =
        region["zones"].as_array().unwrap().iter().map(|z| z.as_str().unwrap()).collect();
    let subnets = managed_in(region, "subnets");
    for zone in &zones {
        for tier in ["public", "private"] {
            let count = subnets
                .iter()
                .filter(|s| s["zone"] == *zone && s["tags"]["host:tier"] == tier)
                .count();
            let expected = usize::from(tier == "public" || private);
            assert_eq!(count, expected, "{name}: {tier} subnets in {zone}");
        }
    }
    let gateways = managed_in(region, "internet_gateways");
    assert_eq!(gateways.len(), 1, "{name}");
    assert_eq!(gateways[0]["attached_to"], serde_json::json!([vpc]), "{name}");
    let igw = gateways[0]["id"].as_str().unwrap();
    let nats: Vec<&Value> = managed_in(region, "nat_gateways")
        .into_iter()
        .filter(|n| n["state"] == "available")
        .collect();
    let tables = managed_in(region, "route_tables");
    for subnet in &subnets {
        let id = subnet["id"].as_str().unwrap();
        let table = tables
            .iter()
            .find(|t| t["subnet_ids"].as_array().unwrap().iter().any(|s| s == id))
            .unwrap_or_else(|| panic!("{name}: subnet {id} has no explicit association"));
        let target = table["routes"]["0.0.0.0/0"].as_str().unwrap_or_default();
        if subnet["tags"]["host:tier"] == "public" {
            assert_eq!(target, igw, "{name}: public subnet {id}");
            assert_eq!(subnet["map_public_ip"], true);
        } else {
            let nat = nats.iter().find(|n| n["id"] == target);
            let nat =
                nat.unwrap_or_else(|| panic!("{name}: private subnet {id} routes to {target}"));
            if nat["availability_mode"] == "zonal" {
                let home = subnets.iter().find(|s| s["id"] == nat["subnet_id"]).unwrap();
                assert_eq!(
                    home["tags"]["host:tier"], "public",
                    "{name}: a zonal NAT lives in a public subnet"
                );
            }
        }
    }
    assert_eq!(nats.is_empty(), !private, "{name}: {nats:?}");
}

pub fn assert_nothing_managed(state: &Value) {
    for (region, resources) in state.as_object().unwrap() {
        for kind in ["vpcs", "subnets", "internet_gateways", "route_tables", "addresses"] {
            assert!(managed_in(resources, kind).is_empty(), "{region}: {kind} left");
        }
        let live = managed_in(resources, "nat_gateways")
            .into_iter()
            .filter(|n| n["state"] != "deleted")
            .count();
        assert_eq!(live, 0, "{region}: NAT gateways left");
        assert!(
            resources["addresses"].as_array().unwrap().is_empty(),
            "{region}: Elastic IPs left"
        );
    }
}

#[test]
fn apply_builds_working_vpcs_in_three_regions_and_a_second_apply_changes_nothing() {
    let emulator = Emulator::start(&[]);
    let output = apply(&emulator, SEED, &[]);
    let text = stdout(&output);
    assert!(text.contains("Plan: 41 to create, 0 to update, 0 to delete, 0 unchanged."), "{text}");
    assert!(text.contains("default_vpcs: false") && !text.contains("vpc_autocreated"), "{text}");
    let state = emulator.inspect(&REGIONS);
    for region in REGIONS {
        assert_working(&state[region], region, true);
        let nats = managed_in(&state[region], "nat_gateways");
        assert_eq!(nats.len(), 1, "{region}");
        assert_eq!(nats[0]["availability_mode"], "regional", "{region}");
        assert!(text.contains(managed_in(&state[region], "vpcs")[0]["id"].as_str().unwrap()));
    }

    let before = emulator.calls().len();
    let again = apply(&emulator, SEED, &[]);
    assert!(stdout(&again).contains("Plan: 0 to create, 0 to update, 0 to delete, 41 unchanged."));
    let calls = emulator.calls();
    assert_eq!(mutating(&calls[before..]), Vec::<String>::new());
    assert_eq!(emulator.inspect(&REGIONS), state);
}

#[test]
fn apply_json_gives_ids_by_region_tier_and_zone_and_the_dstack_block() {
    let emulator = Emulator::start(&[]);
    let output = apply(&emulator, SEED, &["--output", "json"]);
    let document = json(&output);
    assert_eq!(document["schema_version"], 1);
    let regions = document["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 3);
    let state = emulator.inspect(&REGIONS);
    for region in regions {
        let name = region["region"].as_str().unwrap();
        let vpc = managed_in(&state[name], "vpcs")[0]["id"].clone();
        assert_eq!(region["vpc_id"], vpc);
        assert_eq!(document["dstack"]["vpc_ids"][name], vpc);
        let subnet_ids: Vec<&Value> =
            region["subnets"].as_array().unwrap().iter().map(|s| &s["id"]).collect();
        assert_eq!(subnet_ids.len(), managed_in(&state[name], "subnets").len());
        assert!(
            region["subnets"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["zone"].is_string() && s["tier"].is_string())
        );
        assert_eq!(region["nat_gateway_ids"].as_array().unwrap().len(), 1);
    }
    assert_eq!(document["dstack"]["public_ips"], false);
    assert_eq!(document["dstack"]["default_vpcs"], false);
    assert!(document["dstack"].get("vpc_autocreated").is_none());
}

#[test]
fn removing_a_region_deletes_only_it_and_an_empty_list_deletes_everything_but_foreign_resources() {
    let emulator = Emulator::start(&[]);
    let foreign: Vec<Value> = REGIONS.iter().map(|region| emulator.foreign(region)).collect();
    apply(&emulator, SEED, &["--set", "nat=single"]);
    let before = emulator.inspect(&REGIONS);

    let (_dir, two) = seed_with("[us-east-1, us-west-2]", false);
    let output = apply(&emulator, two.to_str().unwrap(), &["--set", "nat=single"]);
    assert!(stdout(&output).contains("eu-north-1  (not in the config"), "{}", stdout(&output));
    let after = emulator.inspect(&REGIONS);
    assert_nothing_managed(&serde_json::json!({ "eu-north-1": after["eu-north-1"] }));
    for region in ["us-east-1", "us-west-2"] {
        for kind in
            ["vpcs", "subnets", "route_tables", "internet_gateways", "nat_gateways", "addresses"]
        {
            let key = if kind == "addresses" { "allocation_id" } else { "id" };
            assert_eq!(
                ids(&managed_in(&after[region], kind), key),
                ids(&managed_in(&before[region], kind), key)
            );
        }
    }

    let (_dir, none) = seed_with("[]", false);
    apply(&emulator, none.to_str().unwrap(), &[]);
    let end = emulator.inspect(&REGIONS);
    assert_nothing_managed(&end);
    for (region, made) in REGIONS.iter().zip(&foreign) {
        let has = |kind: &str, id: &Value| {
            end[region][kind].as_array().unwrap().iter().any(|r| &r["id"] == id)
        };
        assert!(has("vpcs", &made["vpc_id"]), "{region}: the foreign VPC is gone");
        assert!(has("subnets", &made["subnet_id"]), "{region}: the foreign subnet is gone");
        assert!(
            has("security_groups", &made["security_group_id"]),
            "{region}: the foreign group is gone"
        );
    }
}

#[test]
fn destroy_deletes_the_whole_set_and_nothing_else() {
    let emulator = Emulator::start(&[]);
    let foreign = emulator.foreign("us-east-1");
    apply(&emulator, SEED, &["--set", "nat=single"]);
    let state = emulator.inspect(&REGIONS);
    for region in REGIONS {
        assert_working(&state[region], region, true);
        assert_eq!(managed_in(&state[region], "nat_gateways").len(), 1, "{region}");
        assert_eq!(managed_in(&state[region], "addresses").len(), 1, "{region}");
    }

    let output = emulator.host(&["destroy", "--config", SEED, "--yes"]);
    assert_exit(&output, 0);
    // The seed lists these regions: destroy does not call them left out.
    let shown = stdout(&output);
    assert!(shown.contains("us-east-1  (everything held here goes)"), "{shown}");
    assert!(!shown.contains("not in the config"), "{shown}");
    let end = emulator.inspect(&REGIONS);
    assert_nothing_managed(&end);
    let vpcs = end["us-east-1"]["vpcs"].as_array().unwrap();
    assert!(vpcs.iter().any(|vpc| vpc["id"] == foreign["vpc_id"]));
    assert!(vpcs.iter().any(|vpc| vpc["default"] == true), "the default VPC stays");

    let again = emulator.host(&["destroy", "--config", SEED, "--yes"]);
    assert_exit(&again, 0);
    assert!(stdout(&again).contains("nothing is planned and nothing is held"));
}

#[test]
fn per_az_nat_gives_each_zone_its_own_gateway_and_public_ips_true_needs_no_nat() {
    let emulator = Emulator::start(&[]);
    // us-east-1 has six zones, one more than the emulator's Elastic IP quota.
    let (_dir, two) = seed_with("[eu-north-1, us-west-2]", false);
    apply(&emulator, two.to_str().unwrap(), &["--set", "nat=per-az"]);
    let state = emulator.inspect(&["eu-north-1", "us-west-2"]);
    for region in ["eu-north-1", "us-west-2"] {
        assert_working(&state[region], region, true);
        let zones = state[region]["zones"].as_array().unwrap().len();
        assert_eq!(managed_in(&state[region], "nat_gateways").len(), zones, "{region}");
        assert_eq!(managed_in(&state[region], "addresses").len(), zones, "{region}");
    }

    let (_dir, public) = seed_with("[us-east-1, eu-north-1, us-west-2]", true);
    apply(&emulator, public.to_str().unwrap(), &[]);
    let state = emulator.inspect(&REGIONS);
    for region in REGIONS {
        assert_working(&state[region], region, false);
        assert!(state[region]["addresses"].as_array().unwrap().is_empty(), "{region}");
    }
}

#[test]
fn a_zone_that_appears_gets_subnets_and_keeps_every_nat_gateway_and_elastic_ip() {
    let emulator = Emulator::start(&[]);
    emulator.hide_zones(&["eu-north-1c"]);
    let (_dir, config) = seed_with("[eu-north-1]", false);
    let config = config.to_str().unwrap();
    apply(&emulator, config, &["--set", "nat=per-az"]);
    let before = emulator.inspect(&["eu-north-1"]);
    assert_eq!(managed_in(&before["eu-north-1"], "nat_gateways").len(), 2);

    emulator.hide_zones(&[]);
    let output = apply(&emulator, config, &["--set", "nat=per-az"]);
    assert!(stdout(&output).contains("0 to delete"), "{}", stdout(&output));
    let after = emulator.inspect(&["eu-north-1"]);
    assert_working(&after["eu-north-1"], "eu-north-1", true);
    let (old, new) = (&before["eu-north-1"], &after["eu-north-1"]);
    for (kind, key) in [("nat_gateways", "id"), ("addresses", "allocation_id"), ("subnets", "id")] {
        let kept = ids(&managed_in(old, kind), key);
        let now = ids(&managed_in(new, kind), key);
        assert!(kept.iter().all(|id| now.contains(id)), "{kind}: {kept:?} not all in {now:?}");
        assert!(now.len() > kept.len(), "{kind}");
    }
}

#[test]
fn without_a_terminal_apply_asks_for_yes_and_changes_nothing() {
    let emulator = Emulator::start(&[]);
    let plugin = plugin("standard_vpc");
    let output = emulator.host(&["apply", "--config", SEED, "--plugin", plugin.to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("pass `--yes`"), "{}", stderr(&output));
    assert_eq!(mutating(&emulator.calls()), Vec::<String>::new());
}

#[test]
fn a_live_plan_shows_the_changes_an_apply_would_make() {
    let emulator = Emulator::start(&[]);
    apply(&emulator, SEED, &[]);
    let applied = emulator.calls().len();
    let (_dir, two) = seed_with("[us-east-1, us-west-2]", false);
    let plugin = plugin("standard_vpc");
    let args = ["plan", "--config", two.to_str().unwrap(), "--plugin", plugin.to_str().unwrap()];
    let output = emulator.host(&args);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("  - VPC              dstack (vpc-"), "{text}");
    assert!(text.contains("Plan: 0 to create, 0 to update, 11 to delete, 30 unchanged."), "{text}");
    let mut json_args = args.to_vec();
    json_args.extend(["--output", "json"]);
    let document = json(&emulator.host(&json_args));
    let deleted: Vec<&Value> =
        document["changes"].as_array().unwrap().iter().filter(|d| d["planned"] == false).collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["region"], "eu-north-1");
    assert!(deleted[0]["changes"].as_array().unwrap().iter().all(|c| c["op"] == "delete"));
    assert_eq!(
        mutating(&emulator.calls()[applied..]),
        Vec::<String>::new(),
        "a plan changes nothing"
    );
}

/// Runs `args` until the emulator has answered `action`, then kills host.
pub fn kill_after(emulator: &Emulator, args: &[&str], action: &str) {
    let before = emulator.calls().len();
    let mut child = emulator.command(args).stdout(std::process::Stdio::null()).spawn().unwrap();
    let started = std::time::Instant::now();
    let called = || emulator.calls()[before..].iter().any(|call| call["action"] == action);
    while !called() {
        assert!(started.elapsed().as_secs() < 60, "host never called {action}");
        if child.try_wait().unwrap().is_some() {
            // The call was the run's last, and it ended on its own meanwhile.
            assert!(called(), "host ended before calling {action}");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_run_killed_while_nat_gateways_come_or_go_is_finished_by_the_next_one() {
    let slow =
        [("HOST_EMULATOR_NAT_PENDING_SECONDS", "3"), ("HOST_EMULATOR_NAT_DELETING_SECONDS", "3")];
    let emulator = Emulator::start_with(&[], &slow);
    let plugin = plugin("standard_vpc");
    let (_dir, config) = seed_with("[eu-north-1]", false);
    let config = config.to_str().unwrap();
    let apply_args = ["apply", "--config", config, "--plugin", plugin.to_str().unwrap(), "--yes"];
    kill_after(&emulator, &apply_args, "CreateNatGateway");
    let state = emulator.inspect(&["eu-north-1"]);
    assert_eq!(managed_in(&state["eu-north-1"], "nat_gateways")[0]["state"], "pending");

    let output = emulator.host(&apply_args);
    assert_exit(&output, 0);
    let state = emulator.inspect(&["eu-north-1"]);
    assert_working(&state["eu-north-1"], "eu-north-1", true);
    assert_eq!(managed_in(&state["eu-north-1"], "nat_gateways").len(), 1, "no second NAT gateway");

    let destroy_args = ["destroy", "--config", config, "--yes"];
    kill_after(&emulator, &destroy_args, "DeleteNatGateway");
    let output = emulator.host(&destroy_args);
    assert_exit(&output, 0);
    assert_nothing_managed(&emulator.inspect(&["eu-north-1"]));
    let deletes =
        emulator.calls().iter().filter(|call| call["action"] == "DeleteNatGateway").count();
    assert_eq!(deletes, 1, "a gateway already being deleted is waited on, not deleted again");
}
