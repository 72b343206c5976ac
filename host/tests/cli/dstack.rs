//! The round trip through dstack's server config: host takes a project's aws
//! backend as its config, and `--write` points that backend at the managed
//! VPCs, checked with dstack's own config model from PyPI.

use serde_json::Value;

use super::apply::{managed_in, mutating};
use super::emulator::Emulator;
use super::*;

/// A server config as a dstack user keeps it: comments, another backend,
/// another project, and dstack keys host knows nothing of.
const SERVER: &str = "\
# dstack server config
projects:
- name: main
  backends:
  # GPUs from GCP too
  - type: gcp
    project_id: my-project
    creds:
      type: default
  - type: aws   # the VPCs come from host
    regions: [us-east-1, eu-north-1]
    public_ips: false
    iam_instance_profile: dstack-instance
    tags:
      team: ml
    creds:
      type: default
- name: research
  backends: []
";

/// The config as dstack reads it, or dstack's refusal.
fn dstack_reads(path: &Path) -> Value {
    let python = root().join(".venv-dstack/bin/python");
    assert!(
        python.is_file(),
        "missing {}; scripts/test sets up dstack with scripts/setup-dstack",
        python.display()
    );
    let output = Command::new(python)
        .arg(root().join("tests/dstack/validate.py"))
        .arg(path)
        .output()
        .expect("dstack's validator runs");
    assert!(output.status.success(), "dstack refuses the file: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn run(emulator: &Emulator, command: &str, path: &Path, extra: &[&str]) -> Output {
    let plugin = plugin("standard_vpc");
    let mut args = vec![command, "--dstack-config", path.to_str().unwrap(), "--project", "main"];
    if command == "apply" {
        args.extend_from_slice(&["--plugin", plugin.to_str().unwrap()]);
    }
    args.push("--yes");
    args.extend_from_slice(extra);
    let output = emulator.host(&args);
    assert_exit(&output, 0);
    output
}

#[test]
fn apply_points_the_dstack_project_at_the_vpcs_and_destroy_takes_it_back() {
    let emulator = Emulator::start(&[]);
    let (dir, path) = temp_config(SERVER);
    let backup = dir.path().join("config.yml.bak");

    // Without --write the change is shown and the file is left alone.
    let shown = stdout(&run(&emulator, "apply", &path, &[]));
    assert!(shown.contains("The change to make in"), "{shown}");
    assert!(
        shown.contains("+    vpc_ids:") && shown.contains("+    default_vpcs: false"),
        "{shown}"
    );
    assert!(!shown.contains("dstack backend block"), "the diff stands in for the block: {shown}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), SERVER);
    assert!(!backup.exists());

    // The regions, public_ips and tags came from the project's backend.
    let state = emulator.inspect(&["us-east-1", "eu-north-1", "us-west-2"]);
    assert!(managed_in(&state["us-west-2"], "vpcs").is_empty());
    let vpc_of = |region: &str| {
        let vpcs = managed_in(&state[region], "vpcs");
        assert_eq!(vpcs.len(), 1, "{region}");
        assert_eq!(vpcs[0]["tags"]["team"], "ml");
        vpcs[0]["id"].as_str().unwrap().to_string()
    };
    let private = managed_in(&state["us-east-1"], "subnets")
        .iter()
        .any(|subnet| subnet["tags"]["host:tier"] == "private");
    assert!(private, "public_ips: false asks for private subnets");

    // --write makes the change, keeps the old file, and dstack accepts the result.
    let written = stdout(&run(&emulator, "apply", &path, &["--write"]));
    assert!(written.contains("Updated") && written.contains("config.yml.bak"), "{written}");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), SERVER);
    let after = std::fs::read_to_string(&path).unwrap();
    for line in SERVER.lines() {
        assert!(after.contains(line), "`{line}` was lost:\n{after}");
    }
    let read = dstack_reads(&path);
    let aws = &read["projects"][0]["backends"][1];
    assert_eq!(aws["type"], "aws");
    assert_eq!(aws["vpc_ids"]["us-east-1"], vpc_of("us-east-1").as_str());
    assert_eq!(aws["vpc_ids"]["eu-north-1"], vpc_of("eu-north-1").as_str());
    assert_eq!(aws["default_vpcs"], false);
    assert_eq!(aws["iam_instance_profile"], "dstack-instance");
    assert_eq!(read["projects"][0]["backends"][0]["project_id"], "my-project");

    // Once the file points at the VPCs, a run changes neither EC2 nor the file.
    let before = emulator.calls().len();
    let again = stdout(&run(&emulator, "apply", &path, &["--write"]));
    assert!(again.contains("already points dstack at these VPCs"), "{again}");
    assert!(mutating(&emulator.calls()[before..]).is_empty());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), after);

    // destroy takes the VPCs away and the file back to what the user wrote.
    let destroyed = stdout(&run(&emulator, "destroy", &path, &["--write", "--output", "json"]));
    let document: Value = serde_json::from_str(&destroyed).unwrap();
    assert_eq!(document["dstack_config"]["written"], true, "{destroyed}");
    assert!(document["dstack_config"]["diff"].as_str().unwrap().contains("-    vpc_ids:"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), SERVER);
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), after);
    dstack_reads(&path);
}

#[test]
fn plan_reads_the_project_offline_and_bad_choices_are_named() {
    let (_dir, path) = temp_config(SERVER);
    let path = path.to_str().unwrap();
    let plugin = plugin("standard_vpc");
    let plugin = plugin.to_str().unwrap();
    let plan = ["plan", "--dstack-config", path, "--plugin", plugin, "--facts", FACTS];
    let output = host(&[&plan[..], &["--output", "json"]].concat());
    assert_exit(&output, 0);
    let document = json(&output);
    let regions: Vec<&str> = document["plan"]["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|region| region["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["us-east-1", "eu-north-1"]);

    let output = host(&[&plan[..], &["--project", "research"]].concat());
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("project `research` has no `type: aws` entry"),
        "{}",
        stderr(&output)
    );

    // `--project` and `--write` belong to `--dstack-config`.
    let output = host(&["plan", "--config", SEED, "--project", "main", "--plugin", plugin]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("cannot be used with '--project"), "{}", stderr(&output));
    let output = host(&["apply", "--config", SEED, "--plugin", plugin, "--write"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("cannot be used with '--write'"), "{}", stderr(&output));
}

#[test]
fn a_set_another_project_uses_is_refused_and_a_failed_edit_still_shows_the_result() {
    let emulator = Emulator::start(&[]);
    let (dir, path) = temp_config(SERVER);
    run(&emulator, "apply", &path, &["--write"]);
    let written = std::fs::read_to_string(&path).unwrap();

    // `research` gets an aws backend of its own, in another region, and the
    // same default set name: applying it would delete `main`'s VPCs.
    let shared = written.replace(
        "- name: research\n  backends: []\n",
        "- name: research\n  backends:\n  - type: aws\n    regions: [us-west-2]\n    creds:\n      type: default\n",
    );
    std::fs::write(&path, &shared).unwrap();
    let before = emulator.calls().len();
    let plugin = plugin("standard_vpc");
    let research = [
        "apply",
        "--dstack-config",
        path.to_str().unwrap(),
        "--project",
        "research",
        "--plugin",
        plugin.to_str().unwrap(),
        "--yes",
        "--write",
    ];
    let output = emulator.host(&research);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("project `main`") && stderr(&output).contains("--name"),
        "{}",
        stderr(&output)
    );
    assert!(mutating(&emulator.calls()[before..]).is_empty(), "nothing changed in EC2");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), shared);
    // With a set of its own it goes ahead.
    let output = emulator.host(&[&research[..], &["--name", "research"]].concat());
    assert_exit(&output, 0);

    // A backend that is an alias of another cannot be edited alone: the
    // change is made in EC2, and the result and the block are shown all the same.
    let aliased = "projects:\n- name: main\n  backends:\n  - &aws\n    type: aws\n    regions: [eu-north-1]\n    public_ips: false\n    creds:\n      type: default\n- name: copy\n  backends:\n  - *aws\n";
    let copy = dir.path().join("copy.yml");
    std::fs::write(&copy, aliased).unwrap();
    let args = [
        "apply",
        "--dstack-config",
        copy.to_str().unwrap(),
        "--project",
        "copy",
        "--plugin",
        plugin.to_str().unwrap(),
        "--yes",
        "--name",
        "copy",
    ];
    let output = emulator.host(&args);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("was not changed") && stdout(&output).contains("vpc_ids:"),
        "{}",
        stdout(&output)
    );
    let output = emulator.host(&[&args[..], &["--write", "--output", "json"]].concat());
    assert_exit(&output, 2);
    let document = json(&output);
    assert!(document["dstack_config"]["error"].as_str().unwrap().contains("by hand"), "{document}");
    assert!(document["dstack"]["vpc_ids"]["eu-north-1"].is_string(), "{document}");
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), aliased);
    schema::assert_schema(&document, "change_document");
}
