//! How `host apply` and `host destroy` ride out what real EC2 does to them:
//! throttling, server errors, lag after its own writes, dependencies that
//! linger, resources host does not own in its VPCs, regions not enabled, and
//! quotas. Each test is one scenario the README's guarantees rest on; the
//! test script prints them as a table.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::apply::{
    apply, assert_nothing_managed, assert_working, kill_after, managed_in, mutating, seed_with,
};
use super::emulator::Emulator;
use super::*;

fn errors<'a>(calls: &'a [Value], code: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    calls.iter().filter(move |call| call["error"] == code)
}

/// The most calls one region had in flight at once, by region.
fn overlap<'a>(calls: impl Iterator<Item = &'a Value>) -> BTreeMap<String, usize> {
    let mut by_region: BTreeMap<String, Vec<(f64, i32)>> = BTreeMap::new();
    for call in calls {
        let region = call["region"].as_str().unwrap_or_default().to_string();
        let (start, end) = (call["time"].as_f64().unwrap(), call["end"].as_f64().unwrap());
        let events = by_region.entry(region).or_default();
        events.extend([(start, 1), (end, -1)]);
    }
    by_region
        .into_iter()
        .map(|(region, mut events)| {
            events.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let mut now = 0;
            let most = events.iter().map(|(_, step)| {
                now += step;
                now
            });
            (region, most.max().unwrap_or(0) as usize)
        })
        .collect()
}

#[test]
fn scenario_01_a_third_of_calls_throttled_in_five_regions_still_converges() {
    let emulator = Emulator::start(&[]);
    emulator.faults(json!({"latency_ms": 20, "throttle": {"share": 0.33}}));
    let regions = ["us-east-1", "eu-north-1", "us-west-2", "eu-west-1", "ap-southeast-2"];
    let (_dir, config) = seed_with(&format!("[{}]", regions.join(", ")), false);
    apply(&emulator, config.to_str().unwrap(), &[]);

    let calls = emulator.calls();
    let throttled = errors(&calls, "RequestLimitExceeded").count();
    assert!(throttled > 20, "only {throttled} of {} calls were throttled", calls.len());
    emulator.faults(json!({}));
    let state = emulator.inspect(&regions);
    for region in regions {
        assert_working(&state[region], region, true);
        let nats = managed_in(&state[region], "nat_gateways");
        assert_eq!(nats.len(), 1, "{region}: exactly the planned NAT gateway: {nats:?}");
    }
    // A region's changes go out at most four at once; its reads, a fixed
    // set of eight Describe calls, together.
    let changes =
        calls.iter().filter(|call| !call["action"].as_str().unwrap().starts_with("Describe"));
    for (region, most) in overlap(changes) {
        assert!(most <= 4, "{region} had {most} changes in flight at once");
    }
    for (region, most) in overlap(calls.iter()) {
        assert!(most <= 8, "{region} had {most} calls in flight at once");
    }
}

#[test]
fn scenario_02_a_just_created_id_not_found_at_first_is_retried() {
    let emulator = Emulator::start(&[]);
    emulator.faults(json!({"not_found_after_create": {"reads": 2}}));
    let (_dir, config) = seed_with("[eu-north-1]", false);
    let config = config.to_str().unwrap();
    apply(&emulator, config, &["--set", "nat=per-az"]);

    // Each kind of resource host creates was unknown to the calls that
    // first named it, and host rode that out.
    let calls = emulator.calls();
    let lagged: Vec<&str> = calls
        .iter()
        .filter_map(|call| call["error"].as_str())
        .filter(|code| code.contains("NotFound"))
        .collect();
    let kinds = [
        "InvalidVpcID.NotFound",
        "InvalidInternetGatewayID.NotFound",
        "InvalidSubnetID.NotFound",
        "InvalidRouteTableID.NotFound",
        "InvalidAllocationID.NotFound",
        "NatGatewayNotFound",
    ];
    for code in kinds {
        assert!(lagged.contains(&code), "no call met {code}: {lagged:?}");
    }
    let state = emulator.inspect(&["eu-north-1"]);
    assert_working(&state["eu-north-1"], "eu-north-1", true);

    let before = emulator.calls().len();
    apply(&emulator, config, &["--set", "nat=per-az"]);
    let again = &emulator.calls()[before..];
    assert_eq!(mutating(again), Vec::<String>::new(), "the second apply changes nothing");
}

/// Checks a region holds exactly what the per-AZ plan asks for: one of each
/// resource, nothing twice.
fn assert_exactly_planned(region: &Value, step: &str) {
    assert_working(region, step, true);
    let zones = region["zones"].as_array().unwrap().len();
    let live_nats = managed_in(region, "nat_gateways")
        .into_iter()
        .filter(|nat| nat["state"] != "deleted")
        .count();
    let counts = [
        ("vpcs", managed_in(region, "vpcs").len(), 1),
        ("internet_gateways", managed_in(region, "internet_gateways").len(), 1),
        ("subnets", managed_in(region, "subnets").len(), 2 * zones),
        ("route_tables", managed_in(region, "route_tables").len(), 1 + zones),
        ("nat_gateways", live_nats, zones),
        ("addresses", managed_in(region, "addresses").len(), zones),
    ];
    for (kind, found, planned) in counts {
        assert_eq!(found, planned, "{kind} after a run killed after {step}");
    }
}

#[test]
fn scenario_03_a_run_killed_after_any_step_is_finished_by_the_next() {
    let quick =
        [("HOST_EMULATOR_NAT_PENDING_SECONDS", "1"), ("HOST_EMULATOR_NAT_DELETING_SECONDS", "1")];
    let emulator = Emulator::start_with(&[], &quick);
    let plugin = plugin("standard_vpc");
    let (_dir, config) = seed_with("[eu-north-1]", false);
    let config = config.to_str().unwrap();
    let plugin = plugin.to_str().unwrap();
    let apply = ["apply", "--config", config, "--plugin", plugin, "--set", "nat=per-az", "--yes"];
    let destroy = ["destroy", "--config", config, "--yes"];
    let apply_steps = [
        "CreateVpc",
        "ModifyVpcAttribute",
        "CreateInternetGateway",
        "AttachInternetGateway",
        "CreateSubnet",
        "ModifySubnetAttribute",
        "CreateRouteTable",
        "CreateRoute",
        "AssociateRouteTable",
        "AllocateAddress",
        "CreateNatGateway",
    ];
    let destroy_steps = [
        "DisassociateRouteTable",
        "DeleteNatGateway",
        "ReleaseAddress",
        "DetachInternetGateway",
        "DeleteInternetGateway",
        "DeleteSubnet",
        "DeleteRouteTable",
        "DeleteVpc",
    ];
    for (number, step) in apply_steps.iter().enumerate() {
        kill_after(&emulator, &apply, step);
        assert_exit(&emulator.host(&apply), 0);
        assert_exactly_planned(&emulator.inspect(&["eu-north-1"])["eu-north-1"], step);

        let undo = destroy_steps[number % destroy_steps.len()];
        kill_after(&emulator, &destroy, undo);
        assert_exit(&emulator.host(&destroy), 0);
        let state = emulator.inspect(&["eu-north-1"]);
        assert_nothing_managed(&state);
    }
}

#[test]
fn scenario_04_foreign_resources_in_a_managed_vpc_stop_cleanup_by_name() {
    let emulator = Emulator::start(&[]);
    let (_dir, config) = seed_with("[eu-north-1]", false);
    apply(&emulator, config.to_str().unwrap(), &[]);
    let state = emulator.inspect(&["eu-north-1"]);
    let vpc = managed_in(&state["eu-north-1"], "vpcs")[0]["id"].as_str().unwrap().to_string();
    let subnet = managed_in(&state["eu-north-1"], "subnets")[0]["id"].as_str().unwrap().to_string();
    let intruders = emulator.intrude("eu-north-1", &vpc, &subnet);
    let intruder = |key: &str| intruders[key].as_str().unwrap().to_string();

    let (_dir, empty) = seed_with("[]", false);
    let plugin = plugin("standard_vpc");
    let args = ["apply", "--config", empty.to_str().unwrap(), "--plugin", plugin.to_str().unwrap()];
    let output = emulator.host(&[&args[..], &["--yes"]].concat());
    assert_exit(&output, 2);
    let message = stderr(&output);
    for key in ["security_group_id", "subnet_id", "network_interface_id"] {
        assert!(message.contains(&intruder(key)), "{key} is not named:\n{message}");
    }
    let state = emulator.inspect(&["eu-north-1"]);
    let region = &state["eu-north-1"];
    assert!(managed_in(region, "nat_gateways").iter().all(|nat| nat["state"] == "deleted"));
    for kind in ["internet_gateways", "route_tables", "addresses"] {
        assert_eq!(managed_in(region, kind), Vec::<&Value>::new(), "{kind} are all deleted");
    }
    let left: Vec<&str> =
        managed_in(region, "subnets").iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(left, [subnet.as_str()], "only the subnet holding the interface stays");
    let groups = region["security_groups"].as_array().unwrap();
    assert!(groups.iter().any(|group| group["id"] == intruder("security_group_id")));

    let ids = ["network_interface_id", "subnet_id", "security_group_id"].map(intruder);
    emulator.remove("eu-north-1", &ids.each_ref().map(String::as_str));
    let output = emulator.host(&[&args[..], &["--yes"]].concat());
    assert_exit(&output, 0);
    assert_nothing_managed(&emulator.inspect(&["eu-north-1"]));
}

/// When the emulator answered the first and the last of `action` in `calls`.
fn span(calls: &[Value], action: &str) -> (f64, f64) {
    let times = calls.iter().filter(|call| call["action"] == action).map(|c| c["time"].as_f64());
    times.fold((f64::MAX, f64::MIN), |(first, last), time| {
        let time = time.unwrap();
        (first.min(time), last.max(time))
    })
}

#[test]
fn scenario_05_deletes_wait_out_a_nat_gateway_and_the_addresses_it_held() {
    let deleting = 1.0;
    let slow = [("HOST_EMULATOR_NAT_DELETING_SECONDS", "1")];
    let emulator = Emulator::start_with(&[], &slow);
    let (_dir, config) = seed_with("[eu-north-1]", false);
    let config = config.to_str().unwrap();
    let destroy = ["destroy", "--config", config, "--yes"];
    // A regional NAT gateway holds no address host released, so the internet
    // gateway's detach is what meets EC2's lag; zonal ones hold addresses,
    // whose release meets it first, with either of EC2's answers.
    let runs = [
        ("regional", "DetachInternetGateway", "DependencyViolation"),
        ("per-az", "ReleaseAddress", "AuthFailure"),
        ("per-az", "ReleaseAddress", "InvalidIPAddress.InUse"),
    ];
    for (nat, action, code) in runs {
        emulator.faults(json!({}));
        apply(&emulator, config, &["--set", &format!("nat={nat}")]);
        let mut faults = json!({"dependency_linger_seconds": 2});
        if action == "ReleaseAddress" {
            faults["release_error"] = json!(code);
        }
        emulator.faults(faults);
        let before = emulator.calls().len();
        assert_exit(&emulator.host(&destroy), 0);
        assert_nothing_managed(&emulator.inspect(&["eu-north-1"]));

        let calls = &emulator.calls()[before..];
        let (_, nat_deleted) = span(calls, "DeleteNatGateway");
        let (detached, _) = span(calls, "DetachInternetGateway");
        assert!(detached >= nat_deleted + deleting, "{nat}: detached before the NAT was gone");
        let refused = errors(calls, code).filter(|call| call["action"] == action).count();
        assert!(refused > 0, "{nat}: {action} never met {code}");
        let attempts = calls.iter().filter(|call| call["action"] == action).count();
        assert!(attempts < 20, "{nat}: {attempts} attempts of {action}: the retry has no backoff");
    }
}

#[test]
fn scenario_06_a_listed_region_not_enabled_is_skipped_with_a_warning() {
    let emulator = Emulator::start(&["ap-east-1"]);
    let (_dir, config) = seed_with("[eu-north-1, ap-east-1]", false);
    let output = apply(&emulator, config.to_str().unwrap(), &[]);
    let message = stderr(&output);
    assert!(message.contains("ap-east-1"), "no warning names the region:\n{message}");
    let state = emulator.inspect(&["eu-north-1"]);
    assert_working(&state["eu-north-1"], "eu-north-1", true);
    let calls = emulator.calls();
    let there: Vec<&Value> = calls.iter().filter(|call| call["region"] == "ap-east-1").collect();
    assert_eq!(mutating(&there.into_iter().cloned().collect::<Vec<_>>()), Vec::<String>::new());
}

#[test]
fn scenario_07_more_elastic_ips_than_the_quota_are_denied_before_any_change() {
    let emulator = Emulator::start(&[]);
    // us-east-1 has six zones, one more than the emulator's Elastic IP quota.
    let (_dir, config) = seed_with("[us-east-1]", false);
    let plugin = plugin("standard_vpc");
    let output = emulator.host(&[
        "apply",
        "--config",
        config.to_str().unwrap(),
        "--plugin",
        plugin.to_str().unwrap(),
        "--set",
        "nat=per-az",
        "--yes",
    ]);
    assert_exit(&output, 1);
    assert!(stdout(&output).contains("elastic-ip-quota"), "{}", stdout(&output));
    assert_eq!(mutating(&emulator.calls()), Vec::<String>::new(), "nothing changed in EC2");
}

/// Seconds since the Unix epoch, as the call log gives them.
fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

#[test]
fn scenario_08_ctrl_c_stops_between_calls_and_a_rerun_finishes() {
    let emulator = Emulator::start_with(&[], &[("HOST_EMULATOR_NAT_PENDING_SECONDS", "1")]);
    emulator.faults(json!({"latency_ms": 100}));
    let regions = ["eu-north-1", "us-west-2"];
    let (_dir, config) = seed_with(&format!("[{}]", regions.join(", ")), false);
    let plugin = plugin("standard_vpc");
    let (config, plugin) = (config.to_str().unwrap(), plugin.to_str().unwrap());
    let args = ["apply", "--config", config, "--plugin", plugin, "--set", "nat=per-az", "--yes"];

    let before = emulator.calls().len();
    let piped = std::process::Stdio::piped;
    let child = emulator.command(&args).stdout(piped()).stderr(piped()).spawn().unwrap();
    let started = std::time::Instant::now();
    while !emulator.calls()[before..].iter().any(|call| call["action"] == "CreateSubnet") {
        assert!(started.elapsed().as_secs() < 60, "host never created a subnet");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let signalled = now();
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let output = child.wait_with_output().unwrap();

    assert_exit(&output, 2);
    assert!(stderr(&output).contains("interrupted in"), "{}", stderr(&output));
    let shown = stdout(&output);
    let remaining =
        shown.split("Interrupted. What exists now").nth(1).expect("what exists is shown");
    assert!(remaining.contains("\n  = "), "the kept resources are listed:\n{remaining}");
    assert!(remaining.contains("\n  + "), "what is left to create is listed:\n{remaining}");
    // The calls under way were answered; no new change went out after them.
    let late: Vec<Value> = emulator.calls()[before..]
        .iter()
        .filter(|call| call["time"].as_f64().unwrap() > signalled + 0.5)
        .cloned()
        .collect();
    assert_eq!(mutating(&late), Vec::<String>::new(), "changes sent after Ctrl-C");

    emulator.faults(json!({}));
    assert_exit(&emulator.host(&args), 0);
    let state = emulator.inspect(&regions);
    for region in regions {
        assert_exactly_planned(&state[region], "Ctrl-C");
    }
}
