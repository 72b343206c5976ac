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
        let mut traced = emulator.command(&apply);
        let output = traced.env("RUST_LOG", "trace,aws_smithy_runtime=trace").output().unwrap();
        assert_exit(&output, 0);
        assert_secret(&output, &secrets, "apply with RUST_LOG=trace");
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
