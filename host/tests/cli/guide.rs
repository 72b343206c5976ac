//! The plugin authors' guide, `docs/plugins.md`: the minimal plugin it shows
//! is the one in `guests/minimal`, byte for byte, and that plugin plans what
//! the guide says.

use super::*;

/// The body of the first fenced block of `language` after `heading`.
fn block<'a>(text: &'a str, heading: &str, language: &str) -> &'a str {
    let after = &text[text.find(heading).unwrap_or_else(|| panic!("no `{heading}`"))..];
    let fence = format!("```{language}\n");
    let start = after.find(&fence).unwrap() + fence.len();
    let end = after[start..].find("```").unwrap();
    &after[start..start + end]
}

#[test]
fn the_guide_shows_the_minimal_plugin_as_it_is() {
    let guide = std::fs::read_to_string(root().join("docs/plugins.md")).unwrap();
    let file = |path: &str| std::fs::read_to_string(root().join(path)).unwrap();
    assert_eq!(block(&guide, "`Cargo.toml`:", "toml"), file("guests/minimal/Cargo.toml"));
    assert_eq!(block(&guide, "`src/lib.rs`:", "rust"), file("guests/minimal/src/lib.rs"));
    let wit = file("wit/plugin.wit");
    let world = block(&guide, "## The world", "wit");
    assert!(wit.contains(world.trim_end()), "the guide's world is the WIT's:\n{world}");
}

#[test]
fn the_minimal_plugin_plans_public_subnets_and_refuses_private_ones() {
    let plugin = plugin("minimal_vpc");
    let plugin = plugin.to_str().unwrap();
    let (_dir, public) =
        temp_config("type: aws\npublic_ips: true\nregions: [us-east-1, eu-north-1]\n");
    let public = public.to_str().unwrap();
    let args = ["plan", "--config", public, "--facts", FACTS, "--plugin", plugin];
    let output = host(&[&args[..], &["--set", "cidr=10.8.0.0/16", "--output", "json"]].concat());
    assert_exit(&output, 0);
    let document = json(&output);
    let east = &document["plan"]["regions"][0];
    assert_eq!(east["vpc"]["cidr"], "10.8.0.0/16");
    let subnets = east["subnets"].as_array().unwrap();
    assert_eq!(subnets.len(), 6, "one per availability zone, no Local or Wavelength zone");
    assert!(subnets.iter().all(|s| s["tier"] == "public" && s["map_public_ip"] == true));
    let az4 = subnets.iter().find(|s| s["zone_id"] == "use1-az4").unwrap();
    assert_eq!(az4["cidr"], "10.8.48.0/20");
    assert_eq!(east["nat"]["mode"], "none");

    // The guide's own command, and the seed config, whose instances get no public IPs.
    let guide = std::fs::read_to_string(root().join("docs/plugins.md")).unwrap();
    let command = block(&guide, "## Testing a plugin", "sh").replace("\\\n", " ");
    let words: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(words[0], "host");
    let output = host(&words[1..]);
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("10.8.48.0/20"), "{}", stdout(&output));
    let seed = ["plan", "--config", SEED, "--facts", FACTS, "--plugin", plugin];
    let output = host(&seed);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("plans public subnets only"), "{}", stderr(&output));
}
