//! What host shows on a terminal and nowhere else: progress for the long
//! waits, and colour unless `NO_COLOR` is set. A terminal is made with
//! `script`, which runs host on a pseudo-terminal and copies what it shows.

use super::emulator::Emulator;
use super::*;

/// Runs `command` on a pseudo-terminal; stdout holds what the terminal showed.
fn on_terminal(command: &Command) -> Output {
    let quote =
        |text: &std::ffi::OsStr| format!("'{}'", text.to_str().unwrap().replace('\'', r"'\''"));
    let line: Vec<String> =
        std::iter::once(command.get_program()).chain(command.get_args()).map(quote).collect();
    let mut outer = Command::new("script");
    outer.args(["-qfec", &line.join(" "), "/dev/null"]).current_dir(root());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => outer.env(key, value),
            None => outer.env_remove(key),
        };
    }
    outer.output().expect("script runs")
}

/// A spinner of a NAT gateway wait: region, gateway, goal, time waited.
fn shows_wait(text: &str, goal: &str) -> bool {
    let shown = "us-east-1: waiting for NAT gateway nat-";
    let waited = format!(" to become {goal} (");
    text.match_indices(&shown).any(|(at, _)| {
        let rest = &text[at + shown.len()..];
        let Some(after) = rest.find(&waited).map(|end| &rest[end + waited.len()..]) else {
            return false;
        };
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && after[digits..].starts_with("s)")
    })
}

/// Whether `text` holds a colour or other SGR escape (`ESC [ ... m`).
fn coloured(text: &str) -> bool {
    text.split('\u{1b}').skip(1).any(|rest| {
        let rest = rest.strip_prefix('[').unwrap_or("");
        let end = rest.find(|c: char| !c.is_ascii_digit() && c != ';');
        end.is_some_and(|end| rest[end..].starts_with('m'))
    })
}

#[test]
fn progress_and_colour_appear_only_on_a_terminal_and_colour_never_with_no_color() {
    let emulator = Emulator::start_with(
        &[],
        &[("HOST_EMULATOR_NAT_PENDING_SECONDS", "2"), ("HOST_EMULATOR_NAT_DELETING_SECONDS", "2")],
    );
    let (_dir, config) = apply::seed_with("[us-east-1]", false);
    let config = config.to_str().unwrap();
    let plugin = plugin("standard_vpc");
    let apply = ["apply", "--config", config, "--plugin", plugin.to_str().unwrap(), "--yes"];

    let shown = on_terminal(&emulator.command(&apply));
    assert_exit(&shown, 0);
    let screen = stdout(&shown);
    assert!(shows_wait(&screen, "available"), "{screen}");
    assert!(screen.contains("\u{1b}[32m+\u{1b}[0m NAT gateway"), "creates are green: {screen}");

    // Piped, the same wait shows no progress and no colour.
    let piped = emulator.host(&["destroy", "--config", config, "--yes"]);
    assert_exit(&piped, 0);
    let (out, err) = (stdout(&piped), stderr(&piped));
    assert!(err.contains("waiting for NAT gateway"), "the log still says it: {err}");
    assert!(!shows_wait(&err, "deleted") && !err.contains('\u{1b}') && !out.contains('\u{1b}'));

    let mut plain = emulator.command(&apply);
    plain.env("NO_COLOR", "1");
    let shown = on_terminal(&plain);
    assert_exit(&shown, 0);
    let screen = stdout(&shown);
    assert!(shows_wait(&screen, "available"), "progress stays with NO_COLOR: {screen}");
    assert!(!coloured(&screen), "{screen}");
}

#[test]
fn verbosity_follows_v_and_rust_log_overrides_it() {
    let plugin = plugin("standard_vpc");
    let plan = ["plan", "--config", SEED, "--facts", FACTS, "--plugin", plugin.to_str().unwrap()];
    let run = |extra: &[&str], rust_log: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_host"));
        command.args(plan).args(extra).current_dir(root()).env_remove("RUST_LOG");
        command.env("HOST_CACHE_DIR", root().join("target/test-plugin-cache"));
        if let Some(directives) = rust_log {
            command.env("RUST_LOG", directives);
        }
        let output = command.output().unwrap();
        assert_exit(&output, 0);
        stderr(&output)
    };
    let levels = |text: &str| (text.contains("DEBUG"), text.contains("TRACE"));
    assert_eq!(levels(&run(&[], None)), (false, false));
    assert_eq!(levels(&run(&["-v"], None)), (true, false));
    assert!(levels(&run(&["-vv"], None)).0);
    assert_eq!(levels(&run(&["-vv"], Some("error"))), (false, false));
    assert!(levels(&run(&[], Some("debug"))).0);
}
