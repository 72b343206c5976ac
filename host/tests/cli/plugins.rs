//! The plugin sandbox: hostile plugins fail with the right kind of error under a
//! small budget, and nothing else is trusted without checking.

use super::*;

/// Runs the hostile plugin in `mode` with `extra` arguments; returns the
/// process output, after checking that it failed with exit code 2 and printed
/// a JSON error.
fn hostile(mode: &str, extra: &[&str]) -> (String, String) {
    let mode = format!("mode={mode}");
    let mut args = vec!["--set", mode.as_str(), "--output", "json"];
    args.extend_from_slice(extra);
    let output = plan_seed("hostile", &args);
    assert_exit(&output, 2);
    let error = &json(&output)["error"];
    (error["kind"].as_str().unwrap().to_string(), error["message"].as_str().unwrap().to_string())
}

#[test]
fn a_well_behaved_plugin_passes_through_the_same_runtime() {
    let output = plan_seed("hostile", &["--set", "mode=ok", "--no-default-policies"]);
    assert_exit(&output, 0);
    assert!(
        stderr(&output).contains("hostile plugin in ok mode"),
        "the plugin's log reaches stderr"
    );
}

#[test]
fn an_infinite_loop_exhausts_the_time_budget() {
    let (kind, message) = hostile("loop", &["--plugin-timeout", "300ms"]);
    assert_eq!(kind, "plugin-budget");
    assert!(message.contains("hostile.wasm") && message.contains("time (300 ms)"), "{message}");
}

#[test]
fn a_plugin_blocked_in_a_host_call_still_meets_its_time_budget() {
    let started = std::time::Instant::now();
    let (kind, message) = hostile("sleep", &["--plugin-timeout", "300ms"]);
    assert_eq!(kind, "plugin-budget");
    assert!(message.contains("time (300 ms)") && message.contains("blocked"), "{message}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the host did not wait an hour"
    );
}

#[test]
fn allocating_past_the_cap_exhausts_the_memory_budget() {
    let (kind, message) = hostile("alloc", &["--plugin-memory", "32"]);
    assert_eq!(kind, "plugin-budget");
    assert!(message.contains("memory (32 MiB)"), "{message}");
}

#[test]
fn unbounded_recursion_is_a_trap() {
    let (kind, message) = hostile("recurse", &[]);
    assert_eq!(kind, "plugin-trap");
    assert!(message.contains("hostile.wasm") && message.contains("crashed"), "{message}");
}

#[test]
fn a_returned_plan_error_is_the_plugins_own_error() {
    let (kind, message) = hostile("error", &[]);
    assert_eq!(kind, "plugin-error");
    assert!(message.contains("mode `error` always fails"), "{message}");
}

#[test]
fn malformed_plans_are_rejected_naming_what_is_wrong() {
    let cases = [
        ("bad-cidr", "10.0.0.0/33"),
        ("outside-vpc", "is outside the VPC"),
        ("overlap", "overlap"),
        ("unknown-az", "moon-1a"),
        ("homeless-nat", "needs a public subnet in that zone"),
        ("extra-region", "`xx-fake-1` was not asked for"),
    ];
    for (mode, expected) in cases {
        let (kind, message) = hostile(mode, &[]);
        assert_eq!(kind, "plugin-malformed-plan", "{mode}: {message}");
        assert!(
            message.contains("hostile.wasm") && message.contains(expected),
            "{mode}: {message}"
        );
    }
}

#[test]
fn oversized_plans_fail_cleanly() {
    for mode in ["huge-string", "many-subnets"] {
        let (kind, message) = hostile(mode, &["--plugin-timeout", "30s"]);
        assert_eq!(kind, "plugin-budget", "{mode}: {message}");
        assert!(message.contains("data transfer") && message.len() < 1_000, "{mode}: {message}");
    }
}

#[test]
fn a_plugin_for_another_interface_version_is_refused() {
    let output = plan_seed("wrong_version", &["--output", "json"]);
    assert_exit(&output, 2);
    let error = &json(&output)["error"];
    assert_eq!(error["kind"], "plugin-interface");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("host:vpc/planner@0.0.1") && message.contains("host:vpc/planner@0.1.0"),
        "{message}"
    );
}

#[test]
fn a_pinned_digest_must_match() {
    let wasm = std::fs::read(plugin("standard_vpc")).unwrap();
    let digest: String = sha256_hex(&wasm);
    assert_exit(&plan_seed("standard_vpc", &["--plugin-sha256", &digest]), 0);
    let wrong = "0".repeat(64);
    let output = plan_seed("standard_vpc", &["--plugin-sha256", &wrong, "--output", "json"]);
    assert_exit(&output, 2);
    assert_eq!(json(&output)["error"]["kind"], "bad-input");
    assert!(stderr(&output).contains(&digest), "{}", stderr(&output));
}

#[test]
fn a_file_that_is_not_a_component_is_bad_input() {
    let output = host(&["plan", "--config", SEED, "--facts", FACTS, "--plugin", FACTS]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("facts.json` is not a valid WebAssembly component"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_compiled_plugin_is_cached_and_reused() {
    let cache = tempfile::tempdir().unwrap();
    let plugin = plugin("standard_vpc");
    let args =
        ["plan", "--config", SEED, "--facts", FACTS, "-v", "--plugin", plugin.to_str().unwrap()];
    let run = || host_in(cache.path(), &args);
    let first = run();
    assert_exit(&first, 0);
    assert!(!stderr(&first).contains("taken from the cache"));
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 1);
    let second = run();
    assert_exit(&second, 0);
    assert!(stderr(&second).contains("taken from the cache"), "{}", stderr(&second));
    assert_eq!(first.stdout, second.stdout);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_plugin_sees_no_environment_files_clock_or_randomness() {
    let probe = || {
        let output = plan_seed("hostile", &["--set", "mode=sandbox", "--output", "json"]);
        assert_exit(&output, 2);
        json(&output)["error"]["message"].as_str().unwrap().to_string()
    };
    let first = probe();
    assert!(first.contains("env=0 args=0 root=denied clock=0 random="), "{first}");
    assert_eq!(first, probe(), "randomness is fixed, so every run sees the same");
}

#[test]
fn a_cache_others_may_write_to_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let cache = tempfile::tempdir().unwrap();
    std::fs::set_permissions(cache.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let plugin = plugin("standard_vpc");
    let args = ["plan", "--config", SEED, "--facts", FACTS, "--plugin", plugin.to_str().unwrap()];
    let output = host_in(cache.path(), &args);
    assert_exit(&output, 0);
    assert!(stderr(&output).contains("not using the plugin cache"), "{}", stderr(&output));
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
}

#[test]
fn a_damaged_cache_entry_is_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    let plugin = plugin("standard_vpc");
    let args = ["plan", "--config", SEED, "--facts", FACTS, "--plugin", plugin.to_str().unwrap()];
    assert_exit(&host_in(cache.path(), &args), 0);
    let entry = std::fs::read_dir(cache.path()).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&entry, bytes).unwrap();
    let output = host_in(cache.path(), &args);
    assert_exit(&output, 0);
    assert!(stderr(&output).contains("recompiling the plugin"), "{}", stderr(&output));
}

#[test]
fn a_plugins_terminal_control_sequences_are_shown_escaped() {
    let output = plan_seed("hostile", &["--set", "mode=escapes"]);
    assert_exit(&output, 2);
    let shown = stderr(&output);
    assert!(!shown.contains(['\u{1b}', '\u{7}']), "raw control characters on stderr: {shown:?}");
    assert!(shown.contains("malformed") || shown.contains("zone"), "{shown}");
    assert!(shown.contains("\\u{1b}[2J"), "the zone is shown, escaped: {shown}");
}
