//! Shell completions and manual pages, generated from the command line's own
//! definition: they load in the tools that read them and know every
//! subcommand.

use super::*;

const SUBCOMMANDS: [&str; 9] = [
    "plan",
    "validate",
    "policy",
    "apply",
    "destroy",
    "facts",
    "permissions",
    "completions",
    "man",
];

#[test]
fn bash_completes_subcommands_and_their_flags() {
    let output = host(&["completions", "bash"]);
    assert_exit(&output, 0);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("host.bash");
    std::fs::write(&script, output.stdout).unwrap();
    // What bash offers after `host ` and after `host apply --co`.
    let complete = |words: &str, index: usize| {
        let program = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD={index}; COMP_LINE='{words}'; \
             COMP_POINT=${{#COMP_LINE}}; _host host; echo \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let done = Command::new("bash").args(["--norc", "-c", &program]).output().unwrap();
        assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
        String::from_utf8(done.stdout).unwrap()
    };
    let offered = complete("host ''", 1);
    for subcommand in SUBCOMMANDS {
        assert!(offered.split_whitespace().any(|w| w == subcommand), "{subcommand}: {offered}");
    }
    let flags = complete("host apply --co", 2);
    assert!(flags.contains("--config") && flags.contains("--concurrency"), "{flags}");
}

#[test]
fn zsh_fish_elvish_and_powershell_scripts_name_the_subcommands() {
    for (shell, marker) in [
        ("zsh", "#compdef host"),
        ("fish", "complete -c host"),
        ("elvish", "edit:completion:arg-completer[host]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = host(&["completions", shell]);
        assert_exit(&output, 0);
        let script = stdout(&output);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        assert!(script.contains("apply") && script.contains("destroy"), "{shell}");
    }
}

#[test]
fn the_manual_page_renders_with_every_subcommand() {
    let output = host(&["man"]);
    assert_exit(&output, 0);
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("host.1");
    std::fs::write(&page, &output.stdout).unwrap();
    // `-P-bcou`: plain text, without overstrike bold and underline.
    let rendered =
        Command::new("groff").args(["-man", "-Tutf8", "-P-bcou"]).arg(&page).output().unwrap();
    assert!(rendered.status.success());
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(text.contains("SYNOPSIS") && text.contains("Exit codes"), "{text}");
    for subcommand in SUBCOMMANDS {
        assert!(text.contains(&format!("host-{subcommand}(1)")), "{subcommand}: {text}");
    }
}

#[test]
fn man_writes_a_page_per_subcommand_into_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let output = host(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_exit(&output, 0);
    assert!(dir.path().join("host.1").is_file());
    for subcommand in SUBCOMMANDS {
        let page = std::fs::read_to_string(dir.path().join(format!("host-{subcommand}.1")));
        assert!(page.unwrap().contains(".TH host-"), "{subcommand}");
    }
    let apply = std::fs::read_to_string(dir.path().join("host-apply.1")).unwrap();
    assert!(apply.contains("concurrency"), "the apply page lists its flags");

    let missing = dir.path().join("no-such-dir");
    let output = host(&["man", "--dir", missing.to_str().unwrap()]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("no-such-dir"), "{}", stderr(&output));
}
