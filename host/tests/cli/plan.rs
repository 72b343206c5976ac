//! `host plan` on the fixtures: golden plans, determinism, stability of CIDRs,
//! real zones only, and exit codes.

use std::collections::BTreeMap;

use std::process::Output;

use serde_json::Value;

use super::*;

const ORG_CIDRS: &str =
    "cidrs=us-east-1=10.20.0.0/16,eu-north-1=10.21.0.0/16,us-west-2=10.22.0.0/16";

#[test]
fn seed_plan_matches_golden_text_and_json() {
    let text = plan_seed("standard_vpc", &[]);
    assert_exit(&text, 0);
    golden::check("seed-standard.txt", &stdout(&text));
    let json = plan_seed("standard_vpc", &["--output", "json"]);
    assert_exit(&json, 0);
    golden::check("seed-standard.json", &stdout(&json));
}

#[test]
fn seed_plan_has_public_and_private_subnets_in_every_real_zone_and_a_regional_nat() {
    let plan = json(&plan_seed("standard_vpc", &["--output", "json"]));
    let regions = plan["plan"]["regions"].as_array().unwrap();
    let names: Vec<&str> = regions.iter().map(|r| r["region"].as_str().unwrap()).collect();
    assert_eq!(names, ["us-east-1", "eu-north-1", "us-west-2"]);
    let expected_zones = BTreeMap::from([("us-east-1", 6), ("eu-north-1", 3), ("us-west-2", 4)]);
    for region in regions {
        let zones = expected_zones[region["region"].as_str().unwrap()];
        assert_eq!(region["nat"]["mode"], "regional");
        assert_eq!(region["internet_gateway"], true);
        for tier in ["public", "private"] {
            let count = subnets(region).filter(|s| s["tier"] == tier).count();
            assert_eq!(count, zones, "{tier} subnets in {}", region["region"]);
        }
    }
    assert_eq!(plan["policy"]["denied"], false);
}

#[test]
fn org_topology_plan_matches_golden_and_only_warns_about_its_single_nat() {
    let output = plan_seed("org_topology", &["--set", ORG_CIDRS, "--output", "json"]);
    assert_exit(&output, 0);
    golden::check("seed-org-topology.json", &stdout(&output));
    let plan = json(&output);
    let failed: Vec<&Value> = plan["policy"]["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["passed"] == false)
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["rule"], "zonal-nat-cross-zone");
    assert_eq!(failed[0]["action"], "warn");
    let region = &plan["plan"]["regions"][0];
    assert!(subnets(region).any(|s| s["tier"] == "isolated"));
}

#[test]
fn the_same_input_gives_the_same_plan_byte_for_byte() {
    for nat in ["nat=regional", "nat=single"] {
        let first = plan_seed("standard_vpc", &["--output", "json", "--set", nat]);
        let second = plan_seed("standard_vpc", &["--output", "json", "--set", nat]);
        assert_exit(&first, 0);
        assert_eq!(first.stdout, second.stdout, "{nat}");
    }
}

#[test]
fn zonal_nat_gateways_past_the_elastic_ip_quota_are_denied() {
    let output = plan_seed("standard_vpc", &["--set", "nat=per-az"]);
    assert_exit(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("deny elastic-ip-quota"), "{text}");
    assert!(text.contains("us-east-1: new zonal NAT gateways need 6 more Elastic IPs"), "{text}");
    assert!(!text.contains("eu-north-1: new"), "three fit the quota of five:\n{text}");
}

#[test]
fn adding_regions_never_changes_an_existing_regions_cidrs() {
    let three = cidrs(&plan_seed("standard_vpc", &["--output", "json"]));
    let (_dir, config) = temp_config(
        "type: aws\npublic_ips: false\nregions: [ap-south-1, us-east-1, eu-west-1, eu-north-1, sa-east-1, us-west-2]\n",
    );
    let six = cidrs(&plan_with(&config, FACTS, "standard_vpc", &["--output", "json"]));
    assert!(six.len() > three.len());
    for (key, cidr) in &three {
        assert_eq!(six.get(key), Some(cidr), "{key} moved");
    }
    let all: Vec<&String> = six.values().collect();
    let unique: std::collections::BTreeSet<&&String> = all.iter().collect();
    assert_eq!(all.len(), unique.len(), "two resources share a CIDR");
}

#[test]
fn adding_a_zone_never_moves_an_existing_subnet() {
    let before = cidrs(&plan_seed("standard_vpc", &["--output", "json"]));
    let after = cidrs(&plan_with(
        Path::new("tests/fixtures/seed.yml"),
        "tests/fixtures/facts-more-azs.json",
        "standard_vpc",
        &["--output", "json"],
    ));
    assert_eq!(after.len(), before.len() + 2, "eu-north-1 gains a public and a private subnet");
    for (key, cidr) in &before {
        assert_eq!(after.get(key), Some(cidr), "{key} moved");
    }
}

#[test]
fn local_and_wavelength_zones_get_no_subnets() {
    let plan = json(&plan_seed("standard_vpc", &["--output", "json"]));
    for region in plan["plan"]["regions"].as_array().unwrap() {
        for subnet in subnets(region) {
            let zone = subnet["zone"].as_str().unwrap();
            let region_name = region["region"].as_str().unwrap();
            let suffix = zone.strip_prefix(region_name).unwrap();
            assert_eq!(suffix.len(), 1, "subnet in non-AZ zone {zone}");
        }
    }
}

#[test]
fn nat_none_is_denied_naming_the_rule_and_regions() {
    let output = plan_seed("standard_vpc", &["--set", "nat=none"]);
    assert_exit(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("deny private-zones-reach-nat"), "{text}");
    for region in ["us-east-1", "eu-north-1", "us-west-2"] {
        assert!(text.contains(&format!("{region}: zone")), "{region} not named:\n{text}");
    }
}

#[test]
fn public_only_and_private_without_nat_are_accepted_with_public_ips() {
    let (_dir, config) =
        temp_config("type: aws\npublic_ips: true\nregions: [us-east-1, us-west-2]\n");
    let run = |extra: &[&str]| {
        let mut args = vec!["--output", "json"];
        args.extend_from_slice(extra);
        plan_with(&config, FACTS, "standard_vpc", &args)
    };
    let public_only = run(&[]);
    assert_exit(&public_only, 0);
    let plan = json(&public_only);
    assert!(subnets(&plan["plan"]["regions"][0]).all(|s| s["tier"] == "public"));
    assert_eq!(plan["plan"]["regions"][0]["nat"]["mode"], "none");
    let private = run(&["--set", "private=always", "--set", "nat=none"]);
    assert_exit(&private, 0);
    assert!(subnets(&json(&private)["plan"]["regions"][0]).any(|s| s["tier"] == "private"));
}

#[test]
fn a_bad_config_exits_2_naming_the_key_and_line() {
    let (_dir, config) = temp_config("type: aws\npublic_ips: false\nregion: [us-east-1]\n");
    let output = plan_with(&config, FACTS, "standard_vpc", &["--output", "json"]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(message.contains("region") && message.contains("line 3"), "{message}");
    assert_eq!(json(&output)["error"]["kind"], "bad-input");
}

#[test]
fn an_unknown_region_exits_2_naming_it() {
    let (_dir, config) = temp_config("type: aws\nregions:\n  - us-east-1\n  - eu-nowhere-1\n");
    let output = plan_with(&config, FACTS, "standard_vpc", &[]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(message.contains("`eu-nowhere-1`") && message.contains("line 4"), "{message}");
}

#[test]
fn a_region_missing_from_the_facts_is_skipped_with_a_warning() {
    let (_dir, config) =
        temp_config("type: aws\npublic_ips: false\nregions: [us-east-1, af-south-1]\n");
    let output = plan_with(&config, FACTS, "standard_vpc", &["--output", "json"]);
    assert_exit(&output, 0);
    assert!(stderr(&output).contains("`af-south-1` is not in the facts"), "{}", stderr(&output));
    let plan = json(&output);
    assert_eq!(plan["skipped_regions"], serde_json::json!(["af-south-1"]));
    assert_eq!(plan["plan"]["regions"].as_array().unwrap().len(), 1);
}

#[test]
fn empty_regions_plan_nothing() {
    let (_dir, config) = temp_config("type: aws\nregions: []\n");
    let output = plan_with(&config, FACTS, "standard_vpc", &["--output", "json"]);
    assert_exit(&output, 0);
    assert_eq!(json(&output)["plan"]["regions"], serde_json::json!([]));
}

fn subnets(region: &Value) -> impl Iterator<Item = &Value> {
    region["subnets"].as_array().unwrap().iter()
}

/// Every VPC and subnet CIDR of a plan, keyed by region and name.
fn cidrs(output: &Output) -> BTreeMap<String, String> {
    assert_exit(output, 0);
    let plan = json(output);
    let mut cidrs = BTreeMap::new();
    for region in plan["plan"]["regions"].as_array().unwrap() {
        let name = region["region"].as_str().unwrap();
        cidrs.insert(format!("{name} vpc"), region["vpc"]["cidr"].as_str().unwrap().to_string());
        for subnet in subnets(region) {
            let key = format!("{name} {}", subnet["name"].as_str().unwrap());
            cidrs.insert(key, subnet["cidr"].as_str().unwrap().to_string());
        }
    }
    cidrs
}

#[test]
fn vpc_ranges_aws_refuses_are_a_malformed_plan() {
    let cidrs = "cidrs=us-east-1=127.0.0.0/16,eu-north-1=10.21.0.0/16,us-west-2=10.22.0.0/16";
    let output = plan_seed("org_topology", &["--set", cidrs, "--output", "json"]);
    assert_exit(&output, 2);
    let error = &json(&output)["error"];
    assert_eq!(error["kind"], "plugin-malformed-plan");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("us-east-1") && message.contains("127.0.0.0/8"), "{message}");
}

#[test]
fn secrets_in_the_config_never_reach_any_output() {
    let secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
    let key_id = "AKIAIOSFODNN7EXAMPLE";
    let valid = format!(
        "type: aws\npublic_ips: false\nregions: [eu-north-1]\ncreds:\n  type: access_key\n  access_key: {key_id}\n  secret_key: {secret}\n"
    );
    let broken = format!(
        "type: aws\ncreds:\n  type: access_key\n  access_key: [{key_id}]\n  secret_key: {secret}\n  extra: 1\n"
    );
    for text in [valid, broken] {
        let (_dir, config) = temp_config(&text);
        for extra in [&["-vv"][..], &["--output", "json"][..]] {
            let output = plan_with(&config, FACTS, "standard_vpc", extra);
            let everything = format!("{}{}", stdout(&output), stderr(&output));
            assert!(!everything.contains(secret) && !everything.contains(key_id), "{everything}");
        }
    }
}

#[test]
fn mermaid_draws_every_zone_subnet_gateway_and_route() {
    let output = plan_seed("standard_vpc", &["--output", "mermaid", "--set", "nat=single"]);
    assert_exit(&output, 0);
    let chart = stdout(&output);
    golden::check("seed-single-nat.mmd", &chart);
    assert!(chart.starts_with("flowchart LR\n"), "{chart}");

    // Well formed: every subgraph ends, and every edge joins declared nodes.
    let lines: Vec<&str> = chart.lines().map(str::trim).collect();
    let opened = lines.iter().filter(|l| l.starts_with("subgraph ")).count();
    assert_eq!(opened, lines.iter().filter(|l| **l == "end").count());
    let declared: Vec<&str> = lines
        .iter()
        .filter(|l| !l.starts_with("subgraph ") && l.contains(['[', '(', '{']))
        .map(|l| l.split(['[', '(', '{']).next().unwrap())
        .collect();
    let edges: Vec<Vec<&str>> = lines
        .iter()
        .filter(|l| l.contains("-->") || l.contains("-.-"))
        .map(|l| l.split_whitespace().filter(|w| !w.starts_with("--") && *w != "-.-").collect())
        .collect();
    for edge in &edges {
        for node in edge {
            assert!(declared.contains(node), "edge to undeclared node `{node}`");
        }
    }

    // What it draws: three regions, each subnet routed, each private table
    // to the NAT gateway of its zone, and that gateway in a public subnet.
    assert_eq!(lines.iter().filter(|l| l.contains("· VPC dstack")).count(), 3);
    let plan = json(&plan_seed("standard_vpc", &["--output", "json", "--set", "nat=single"]));
    for region in plan["plan"]["regions"].as_array().unwrap() {
        for subnet in region["subnets"].as_array().unwrap() {
            let name = subnet["name"].as_str().unwrap();
            assert!(chart.contains(&format!("[\"{name}<br/>")), "{name} is drawn");
        }
    }
    let to_nat = edges.iter().filter(|e| e[1].contains("nat_")).count();
    let homes = lines.iter().filter(|l| l.contains(" -.- ")).count();
    assert!(to_nat > 0 && to_nat == homes, "{to_nat} tables to NAT gateways, {homes} homes");
}
