//! What host trusts, and how little: a hostile plugin changes nothing in EC2
//! and is stopped within its budget, and credentials never reach any output.
//! Each test is one of the scenarios the test script prints as a table.

use serde_json::Value;

use super::apply::{assert_nothing_managed, managed_in, mutating, seed_with};
use super::emulator::Emulator;
use super::*;

/// `command` run under GNU time: its output, and its peak resident memory
/// in MiB.
fn measured(command: &Command) -> (Output, u64) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let mut timed = Command::new("/usr/bin/time");
    timed.args(["--format", "%M", "--output"]).arg(report.path());
    timed.arg(command.get_program()).args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    timed.current_dir(command.get_current_dir().unwrap());
    let output = timed.output().expect("GNU time runs host");
    // A failed command's report starts with a line about its exit status.
    let report = std::fs::read_to_string(report.path()).unwrap();
    let kib: u64 = report.lines().last().unwrap().trim().parse().unwrap();
    (output, kib / 1024)
}

#[test]
fn scenario_09_hostile_plugins_fail_by_kind_in_bounded_memory_and_change_nothing() {
    let emulator = Emulator::start(&[]);
    let (_dir, config) = seed_with("[eu-north-1]", false);
    let plugin = plugin("hostile");
    let (config, plugin) = (config.to_str().unwrap(), plugin.to_str().unwrap());
    let cases: [(&str, &str, &[&str]); 5] = [
        ("loop", "plugin-budget", &["--plugin-timeout", "500ms"]),
        ("alloc", "plugin-budget", &["--plugin-memory", "64"]),
        ("recurse", "plugin-trap", &[]),
        ("many-subnets", "plugin-budget", &["--plugin-timeout", "30s"]),
        ("huge-string", "plugin-budget", &["--plugin-timeout", "30s"]),
    ];
    for (mode, kind, budget) in cases {
        let mode_param = format!("mode={mode}");
        let mut args = vec!["apply", "--config", config, "--plugin", plugin, "--set", &mode_param];
        args.extend_from_slice(&["--yes", "--output", "json"]);
        args.extend_from_slice(budget);
        let (output, peak) = measured(&emulator.command(&args));
        eprintln!("{mode}: host peaked at {peak} MiB");

        assert_exit(&output, 2);
        assert_eq!(json(&output)["error"]["kind"], kind, "{mode}: {}", stderr(&output));
        assert!(peak < 400, "{mode}: host's memory peaked at {peak} MiB");
        assert_eq!(mutating(&emulator.calls()), Vec::<String>::new(), "{mode} changed EC2");
    }
    assert_nothing_managed(&emulator.inspect(&["eu-north-1"]));
}

/// Checks no output of `output` holds any of `secrets`.
fn assert_secret(output: &Output, secrets: &[&str], what: &str) {
    let everything = format!("{}{}", stdout(output), stderr(output));
    for secret in secrets {
        assert!(!everything.contains(secret), "{what} printed `{secret}`:\n{everything}");
    }
}

#[test]
fn scenario_12_access_keys_never_reach_logs_errors_or_json() {
    let emulator = Emulator::start(&[]);
    let (key_id, secret) = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY");
    // The emulator's own credentials, which host finds in the environment.
    let secrets = [key_id, secret, "AKIAEMULATOREXAMPLE", "emulator-secret-never-printed"];
    let from_config = format!(
        "type: aws\npublic_ips: false\nregions: [eu-north-1]\ncreds:\n  type: access_key\n  access_key: {key_id}\n  secret_key: {secret}\n"
    );
    let (_keys, with_keys) = temp_config(&from_config);
    let (_default, with_default) = seed_with("[eu-north-1]", false);
    let plugin = plugin("standard_vpc");
    let plugin = plugin.to_str().unwrap();
    let loud: [&[&str]; 3] = [&["-v"], &["-vv"], &["--output", "json"]];

    for config in [&with_keys, &with_default] {
        let config = config.to_str().unwrap();
        let apply = ["apply", "--config", config, "--plugin", plugin, "--yes"];
        let destroy = ["destroy", "--config", config, "--yes"];
        for extra in loud {
            let output = emulator.host(&[&apply[..], extra].concat());
            assert_exit(&output, 0);
            assert_secret(&output, &secrets, "apply");
        }
        // However specific the directive that asks the SDK for its traces.
        let asked = ["trace,aws_smithy_runtime=trace", "aws_smithy_runtime::client=trace,trace"];
        for directives in asked {
            let mut traced = emulator.command(&apply);
            let output = traced.env("RUST_LOG", directives).output().unwrap();
            assert_exit(&output, 0);
            assert_secret(&output, &secrets, &format!("apply with RUST_LOG={directives}"));
        }
        // An error in the middle of a run: cleanup blocked by a foreign
        // network interface in a managed subnet.
        let state = emulator.inspect(&["eu-north-1"]);
        let vpc = managed_in(&state["eu-north-1"], "vpcs")[0]["id"].as_str().unwrap().to_string();
        let subnets = managed_in(&state["eu-north-1"], "subnets");
        let subnet = subnets[0]["id"].as_str().unwrap().to_string();
        let intruders = emulator.intrude("eu-north-1", &vpc, &subnet);
        for extra in loud {
            let output = emulator.host(&[&destroy[..], extra].concat());
            assert_exit(&output, 2);
            assert_secret(&output, &secrets, "a failed destroy");
        }
        let ids: Vec<&str> = ["network_interface_id", "subnet_id", "security_group_id"]
            .iter()
            .map(|key| intruders[*key].as_str().unwrap())
            .collect();
        emulator.remove("eu-north-1", &ids);
        let output = emulator.host(&[&destroy[..], &["-vv"]].concat());
        assert_exit(&output, 0);
        assert_secret(&output, &secrets, "destroy");
    }
    let state: Value = emulator.inspect(&["eu-north-1"]);
    assert_nothing_managed(&state);
}

/// The printed policy's actions, without their `ec2:` prefix, sorted.
fn actions(policy: &Value) -> Vec<String> {
    let mut actions: Vec<String> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|statement| statement["Action"].as_array().unwrap())
        .map(|action| action.as_str().unwrap().trim_start_matches("ec2:").to_string())
        .collect();
    actions.sort();
    actions.dedup();
    actions
}

/// `policy` as the emulator can judge it, without `action` if one is
/// given: moto has no request context for EC2's condition keys, so every
/// Condition goes (its shape is tested beside the policy's code).
fn as_judged(policy: &Value, action: Option<&str>) -> Value {
    let mut policy = policy.clone();
    let removed = action.map(|action| format!("ec2:{action}"));
    for statement in policy["Statement"].as_array_mut().unwrap() {
        statement.as_object_mut().unwrap().remove("Condition");
        let kept = statement["Action"].as_array().unwrap().iter();
        let kept: Vec<Value> = kept.filter(|a| a.as_str() != removed.as_deref()).cloned().collect();
        statement["Action"] = Value::Array(kept);
    }
    let statements = policy["Statement"].as_array_mut().unwrap();
    statements.retain(|statement| !statement["Action"].as_array().unwrap().is_empty());
    policy
}

/// One IAM user's run through apply (per-AZ NAT gateways), a second apply
/// that changes tags and moves to a single NAT gateway, a third that moves
/// to a regional one, a destroy that foreign resources block, and a
/// destroy: between them, every call host makes.
struct Walk<'a> {
    emulator: &'a Emulator,
    first: &'a str,
    second: &'a str,
    plugin: &'a str,
    /// Foreign resources in the managed VPC, while they are there.
    intruders: Vec<String>,
}

/// The step of a [`Walk`] that did not end as it does with every
/// permission, and what host printed.
type Stopped = (&'static str, Output);

impl Walk<'_> {
    const REGION: &'static str = "eu-north-1";

    fn run(&mut self, user: &str, policy: &Value) -> Result<(), Stopped> {
        let (key, secret) = self.emulator.iam_user(user, policy);
        let as_user = |args: &[&str]| {
            self.emulator.faults(serde_json::json!({"enforce_iam": true}));
            let mut command = self.emulator.command(args);
            let output = command.env("AWS_ACCESS_KEY_ID", &key);
            let output = output.env("AWS_SECRET_ACCESS_KEY", &secret).output().unwrap();
            self.emulator.faults(serde_json::json!({}));
            output
        };
        let expect = |step: &'static str, output: Output, code: i32, saying: &str| {
            let as_planned = output.status.code() == Some(code) && stderr(&output).contains(saying);
            if as_planned { Ok(()) } else { Err((step, output)) }
        };
        let (first, second, plugin) = (self.first, self.second, self.plugin);
        let apply = |config, nat| ["apply", "--config", config, "--plugin", plugin, "--set", nat];
        let output = as_user(&[&apply(first, "nat=per-az")[..], &["--yes"]].concat());
        expect("apply", output, 0, "")?;
        let output = as_user(&[&apply(second, "nat=single")[..], &["--yes"]].concat());
        expect("the second apply", output, 0, "")?;
        let output = as_user(&[&apply(second, "nat=regional")[..], &["--yes"]].concat());
        expect("the third apply", output, 0, "")?;

        let state = self.emulator.inspect(&[Self::REGION]);
        let region = &state[Self::REGION];
        let vpc = managed_in(region, "vpcs")[0]["id"].as_str().unwrap().to_string();
        let subnet = managed_in(region, "subnets")[0]["id"].as_str().unwrap().to_string();
        let intruders = self.emulator.intrude(Self::REGION, &vpc, &subnet);
        self.intruders = ["network_interface_id", "subnet_id", "security_group_id"]
            .map(|key| intruders[key].as_str().unwrap().to_string())
            .to_vec();
        let destroy = ["destroy", "--config", first, "--yes"];
        expect("the blocked destroy", as_user(&destroy), 2, "blocked by resources")?;
        self.clear();
        expect("destroy", as_user(&destroy), 0, "")
    }

    /// Removes the foreign resources, if they are there.
    fn clear(&mut self) {
        if !self.intruders.is_empty() {
            let ids: Vec<&str> = self.intruders.iter().map(String::as_str).collect();
            self.emulator.remove(Self::REGION, &ids);
            self.intruders.clear();
        }
    }
}

#[test]
fn scenario_11_exactly_the_printed_policy_is_enough_and_every_action_in_it_is_needed() {
    let emulator = Emulator::start(&[]);
    let config = |tags: &str| {
        temp_config(&format!(
            "type: aws\npublic_ips: false\nregions: [{}]\ntags: {{{tags}}}\ncreds:\n  type: default\n",
            Walk::REGION
        ))
    };
    let (_first_dir, first) = config("team: ml, stage: one");
    let (_second_dir, second) = config("team: research");
    let plugin = plugin("standard_vpc");
    let (first, second) = (first.to_str().unwrap(), second.to_str().unwrap());
    let printed = host(&["permissions", "--config", first, "--set", "nat=per-az"]);
    assert_exit(&printed, 0);
    let printed = json(&printed);
    let mut walk = Walk {
        emulator: &emulator,
        first,
        second,
        plugin: plugin.to_str().unwrap(),
        intruders: Vec::new(),
    };

    let before = emulator.calls().len();
    if let Err((step, output)) = walk.run("everything", &as_judged(&printed, None)) {
        panic!("with the whole policy, {step} failed:\n{}", stderr(&output));
    }
    let calls = &emulator.calls()[before..];
    let needed = actions(&printed);
    let uncalled: Vec<&String> = needed
        .iter()
        .filter(|action| !calls.iter().any(|call| call["action"] == **action))
        .collect();
    assert_eq!(uncalled, Vec::<&String>::new(), "no step calls these");

    let destroy = ["destroy", "--config", first, "--yes"];
    for action in &needed {
        let stopped = walk.run(&format!("without-{action}"), &as_judged(&printed, Some(action)));
        let Err((step, output)) = stopped else {
            panic!("without {action}, every step still ends as with the whole policy");
        };
        let message = stderr(&output);
        assert!(message.contains(&format!("`{action}`")), "without {action}, {step}: {message}");
        walk.clear();
        assert_exit(&emulator.host(&destroy), 0);
    }
    assert_nothing_managed(&emulator.inspect(&[Walk::REGION]));
}
