//! `host status`: what the managed set holds in every enabled region (VPC,
//! subnets by tier, internet gateway, NAT gateways and their state, Elastic
//! IPs), and its drift: what `apply` with the same inputs would change.

use std::fmt::Write as _;

use anyhow::{Context as _, Result};
use serde_json::{Value, json};

use crate::cli::{PlanOutput, StatusCommand};
use crate::diff::{Change, Op, RegionDiff};
use crate::ec2::RegionRead;
use crate::error::EXIT_OK;
use crate::pipeline;
use crate::plan::Tier;
use crate::report;
use crate::state::{Holding, Target};

/// Reads EC2, plans, and shows each region's holding and drift.
pub fn execute(command: &StatusCommand) -> Result<u8> {
    let checked = pipeline::run(&command.inputs, None)?;
    let live = checked.live.as_ref().context("status reads EC2, so live facts are expected")?;
    let diffs = live.diffs(&checked.name, Some(&checked.plan))?;
    let regions: Vec<Region> = live
        .survey
        .listed
        .iter()
        .map(|read| (read, true))
        .chain(live.survey.elsewhere.iter().map(|read| (read, false)))
        .map(|(read, listed)| Region {
            read,
            listed,
            drift: diffs
                .iter()
                .find(|diff| diff.region == read.region)
                .map(drifted)
                .unwrap_or_default(),
        })
        .collect();
    let output = match command.output {
        PlanOutput::Text => text(&checked.name, &regions, &checked.skipped),
        PlanOutput::Json => {
            let document = json!({
                "schema_version": report::SCHEMA_VERSION,
                "name": checked.name,
                "skipped_regions": checked.skipped,
                "regions": regions.iter().map(Region::json).collect::<Vec<_>>(),
                "drift": regions.iter().map(|region| region.drift.len()).sum::<usize>(),
            });
            serde_json::to_string_pretty(&document)? + "\n"
        }
    };
    super::emit(&output)?;
    Ok(EXIT_OK)
}

/// One region as status shows it.
struct Region<'a> {
    read: &'a RegionRead,
    /// Whether the config lists it.
    listed: bool,
    /// The changes apply would make here.
    drift: Vec<&'a Change>,
}

impl Region<'_> {
    fn json(&self) -> Value {
        json!({
            "region": self.read.region,
            "in_config": self.listed,
            "holding": self.read.holding,
            "drift": self.drift,
        })
    }
}

fn drifted(diff: &RegionDiff) -> Vec<&Change> {
    diff.changes.iter().filter(|change| change.op != Op::Keep).collect()
}

fn text(name: &str, regions: &[Region], skipped: &[String]) -> String {
    let mut out = format!("Managed set `{name}`:\n");
    for region in regions {
        let holding = &region.read.holding;
        let _ = write!(out, "\n{:<16} ", region.read.region);
        if holding.is_empty() {
            let note =
                if region.listed { "nothing yet; `host apply` creates it" } else { "nothing" };
            let _ = writeln!(out, "{note}");
        } else {
            out.push_str(&held_text(holding));
            if !region.listed {
                out.push_str("  not in the config: `host apply` removes all of it\n");
            }
        }
        let drift: Vec<String> = region.drift.iter().map(|c| report::change_line(c)).collect();
        let drift = if drift.is_empty() { vec!["none".to_string()] } else { drift };
        row(&mut out, "drift", &drift);
    }
    for region in skipped {
        let _ = writeln!(out, "\n{region:<16} not enabled in this account, so not read");
    }
    let total: usize = regions.iter().map(|region| region.drift.len()).sum();
    let _ = if total == 0 {
        writeln!(out, "\nNo drift: EC2 holds what the plan asks for.")
    } else {
        writeln!(out, "\nDrift: {total} changes, which `host apply` would make.")
    };
    out
}

/// A region's holding: the VPC on the region's line, then a row per kind.
fn held_text(holding: &Holding) -> String {
    let mut out = String::new();
    let vpcs: Vec<String> =
        holding.vpcs.iter().map(|vpc| format!("VPC {} {}", vpc.id, vpc.cidr)).collect();
    let _ =
        writeln!(out, "{}", if vpcs.is_empty() { "no VPC".to_string() } else { vpcs.join(", ") });
    let gateways: Vec<String> = holding
        .internet_gateways
        .iter()
        .map(|gateway| {
            let attached = if gateway.attached_to.is_empty() { "detached" } else { "attached" };
            format!("{} {attached}", gateway.id)
        })
        .collect();
    row(&mut out, "internet gateway", &gateways);
    for (tier, label) in [(Tier::Public, "public subnets"), (Tier::Private, "private subnets")] {
        let mut subnets: Vec<_> =
            holding.subnets.iter().filter(|subnet| subnet.tier == Some(tier)).collect();
        subnets.sort_by(|a, b| a.zone.cmp(&b.zone));
        let lines: Vec<String> = subnets
            .iter()
            .map(|subnet| format!("{} {} {}", subnet.zone, subnet.id, subnet.cidr))
            .collect();
        row(&mut out, label, &lines);
    }
    let tables: Vec<String> = holding
        .route_tables
        .iter()
        .map(|table| {
            let route = match &table.default_route {
                Some(Target::Gateway(id) | Target::Nat(id)) => format!("0.0.0.0/0 -> {id}"),
                Some(Target::Other) => "0.0.0.0/0 -> elsewhere".to_string(),
                None => "no default route".to_string(),
            };
            let count = table.associations.len();
            let subnets = if count == 1 { "subnet" } else { "subnets" };
            let name = table.tags.get("Name").map_or("unnamed", String::as_str);
            format!("{name} {} {route}, {count} {subnets}", table.id)
        })
        .collect();
    row(&mut out, "route tables", &tables);
    let nats: Vec<String> = holding
        .nat_gateways
        .iter()
        .map(|nat| {
            let place = match nat.subnet_id.as_deref().and_then(|id| holding.subnet(id)) {
                _ if nat.regional => "regional".to_string(),
                Some(subnet) => format!("in {}", subnet.zone),
                None => "zonal".to_string(),
            };
            let state = serde_json::to_value(nat.state).ok();
            let state = state.as_ref().and_then(Value::as_str).unwrap_or("unknown");
            format!("{} {place}, {state}", nat.id)
        })
        .collect();
    row(&mut out, "NAT gateways", &nats);
    let addresses: Vec<String> = holding
        .addresses
        .iter()
        .map(|address| {
            let used = if address.associated { "in use" } else { "spare" };
            format!("{} {} {used}", address.allocation_id, address.public_ip)
        })
        .collect();
    row(&mut out, "Elastic IPs", &addresses);
    out
}

/// `  label            first`, then the rest below the first, or `none`.
fn row(out: &mut String, label: &str, items: &[String]) {
    let none = ["none".to_string()];
    let items = if items.is_empty() { &none[..] } else { items };
    for (n, item) in items.iter().enumerate() {
        let label = if n == 0 { label } else { "" };
        let _ = writeln!(out, "  {label:<17}{item}");
    }
}
