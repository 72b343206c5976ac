//! Text for people.

use std::fmt::Write as _;

use crate::pipeline::Checked;
use crate::plan::{Nat, RegionPlan, RouteTarget, Tier};
use crate::policy::{Action, Outcome};

/// The plan, region by region, followed by the policy results.
pub fn plan_text(checked: &Checked) -> String {
    let plan = &checked.plan;
    let mut out = String::new();
    let count = plan.regions.len();
    let _ = writeln!(
        out,
        "Plan by `{}` for managed set `{}`: {count} region{}",
        checked.plugin,
        checked.name,
        if count == 1 { "" } else { "s" }
    );
    for region in &checked.skipped {
        let _ = writeln!(out, "  skipped {region}: not enabled for this account");
    }
    for region in &plan.regions {
        out.push('\n');
        region_text(&mut out, region);
    }
    out.push('\n');
    out.push_str(&policy_text(&checked.outcomes));
    out
}

fn region_text(out: &mut String, region: &RegionPlan) {
    let igw = if region.internet_gateway { ", internet gateway" } else { "" };
    let _ = writeln!(
        out,
        "{}  VPC `{}` {}{igw}, {}",
        region.region,
        region.vpc.name,
        region.vpc.cidr,
        nat_text(&region.nat)
    );
    for subnet in &region.subnets {
        let public_ip = if subnet.map_public_ip { "  public IPs" } else { "" };
        let _ = writeln!(
            out,
            "  subnet       {:<8} {:<16} {:<10} {:<18} {}{public_ip}",
            tier_text(subnet.tier),
            subnet.zone,
            subnet.zone_id,
            subnet.cidr.to_string(),
            subnet.name
        );
    }
    for table in &region.route_tables {
        let _ = writeln!(
            out,
            "  route table  {:<28} 0.0.0.0/0 -> {:<28} {} subnet{}",
            table.name,
            route_text(&table.default_route),
            table.subnets.len(),
            if table.subnets.len() == 1 { "" } else { "s" }
        );
    }
    let tags: Vec<String> = region.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !tags.is_empty() {
        let _ = writeln!(out, "  tags         {}", tags.join(", "));
    }
}

fn tier_text(tier: Tier) -> &'static str {
    match tier {
        Tier::Public => "public",
        Tier::Private => "private",
        Tier::Isolated => "isolated",
    }
}

fn nat_text(nat: &Nat) -> String {
    match nat {
        Nat::None => "no NAT gateway".to_string(),
        Nat::Regional => "regional NAT gateway".to_string(),
        Nat::PerAz => "a zonal NAT gateway in every zone".to_string(),
        Nat::Single { zone } => format!("one zonal NAT gateway in {zone}"),
    }
}

fn route_text(target: &RouteTarget) -> String {
    match target {
        RouteTarget::None => "nothing (no internet)".to_string(),
        RouteTarget::InternetGateway => "internet gateway".to_string(),
        RouteTarget::NatGateway { zone: None } => "regional NAT gateway".to_string(),
        RouteTarget::NatGateway { zone: Some(zone) } => format!("NAT gateway in {zone}"),
    }
}

/// A summary line, then one block per rule that found something.
pub fn policy_text(outcomes: &[Outcome]) -> String {
    let failed = |action| outcomes.iter().filter(|o| !o.passed && o.action == action).count();
    let (denied, warned) = (failed(Action::Deny), failed(Action::Warn));
    let passed = outcomes.iter().filter(|o| o.passed).count();
    let mut out = format!(
        "Policies: {passed} passed, {warned} warning{}, {denied} denied\n",
        if warned == 1 { "" } else { "s" }
    );
    for outcome in outcomes.iter().filter(|o| !o.passed) {
        let label = match outcome.action {
            Action::Deny => "deny",
            Action::Warn => "warn",
        };
        let _ = writeln!(out, "  {label} {}: {}", outcome.rule, outcome.message);
        for violation in &outcome.violations {
            let _ = writeln!(out, "       {}", violation.escape_debug());
        }
        if let Some(help) = &outcome.help {
            let _ = writeln!(out, "       help: {}", help.trim());
        }
    }
    if denied > 0 {
        out.push_str("The plan is denied; nothing may be applied until the rules above pass.\n");
    }
    out
}
