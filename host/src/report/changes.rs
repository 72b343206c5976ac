//! The changes an apply makes, terraform-style: a line per resource marked
//! `+` (create), `~` (update in place), `-` (delete) or `=` (keep), and a
//! summary line.

use std::fmt::Write as _;

use crate::diff::{Change, Op, RegionDiff, Route, Spec, Update};
use crate::ec2::noun;
use crate::term::{self, Stream, Tone};

/// Every region's changes and the summary.
pub fn changes_text(name: &str, diffs: &[RegionDiff]) -> String {
    let mut out = format!("Changes for managed set `{name}`:\n");
    if diffs.is_empty() {
        out.push_str("\n  nothing is planned and nothing is held\n");
    }
    // With nothing planned anywhere (a destroy, or `regions: []`) every region
    // goes, whether the config lists it or not.
    let anything_planned = diffs.iter().any(|diff| diff.planned);
    for diff in diffs {
        let note = match (diff.planned, anything_planned) {
            (true, _) => "",
            (false, true) => "  (not in the config: everything held here goes)",
            (false, false) => "  (everything held here goes)",
        };
        let _ = writeln!(out, "\n{}{note}", diff.region);
        for change in &diff.changes {
            let _ = writeln!(out, "  {}", change_line(change));
        }
    }
    let _ = writeln!(out, "\n{}", summary(diffs));
    out
}

/// `Plan: 3 to create, 1 to update, 0 to delete, 20 unchanged.`
pub fn summary(diffs: &[RegionDiff]) -> String {
    let count = |op: Op| diffs.iter().map(|diff| diff.count(op)).sum::<usize>();
    format!(
        "Plan: {} to create, {} to update, {} to delete, {} unchanged.",
        count(Op::Create),
        count(Op::Update),
        count(Op::Delete),
        count(Op::Keep)
    )
}

/// One change as a line: its mark, kind, name, id and what it does.
pub fn change_line(change: &Change) -> String {
    let (mark, tone) = match change.op {
        Op::Create => ("+", Tone::Create),
        Op::Update => ("~", Tone::Update),
        Op::Delete => ("-", Tone::Delete),
        Op::Keep => ("=", Tone::Quiet),
    };
    let mark = term::paint(Stream::Stdout, tone, mark);
    let id = change.id.as_deref().map(|id| format!(" ({id})")).unwrap_or_default();
    let mut line = format!("{mark} {:<16} {}{id}", noun(change.kind), change.name);
    let detail = match change.op {
        Op::Create => spec_text(&change.spec),
        Op::Update => change.updates.iter().map(update_text).collect::<Vec<_>>().join("; "),
        Op::Keep | Op::Delete => String::new(),
    };
    if !detail.is_empty() {
        let _ = write!(line, "  {detail}");
    }
    line.trim_end().to_string()
}

fn spec_text(spec: &Spec) -> String {
    match spec {
        Spec::Vpc { cidr } => format!("{cidr}, DNS hostnames on"),
        Spec::InternetGateway => "attached to the VPC".to_string(),
        Spec::Subnet { zone, cidr, map_public_ip } => {
            let public = if *map_public_ip { ", public IPs" } else { "" };
            format!("{cidr} in {zone}{public}")
        }
        Spec::RouteTable { route, subnets } => {
            let count = subnets.len();
            let plural = if count == 1 { "" } else { "s" };
            format!("0.0.0.0/0 -> {}, {count} subnet{plural}", route_text(route))
        }
        Spec::ElasticIp => "for the NAT gateway of the same name".to_string(),
        Spec::NatGateway { subnet: Some(subnet), .. } => format!("zonal, in `{subnet}`"),
        Spec::NatGateway { subnet: None, .. } => "regional".to_string(),
    }
}

fn route_text(route: &Route) -> String {
    match route {
        Route::None => "nowhere".to_string(),
        Route::InternetGateway => "internet gateway".to_string(),
        Route::Nat(name) => format!("NAT gateway `{name}`"),
    }
}

fn update_text(update: &Update) -> String {
    match update {
        Update::Tags { set, remove } => {
            let mut parts: Vec<String> = set.iter().map(|(k, v)| format!("+{k}={v}")).collect();
            parts.extend(remove.iter().map(|key| format!("-{key}")));
            format!("tags {}", parts.join(" "))
        }
        Update::MapPublicIp { on: true } => "public IPs on".to_string(),
        Update::MapPublicIp { on: false } => "public IPs off".to_string(),
        Update::DnsHostnames => "DNS hostnames on".to_string(),
        Update::Attach => "attach to the VPC".to_string(),
        Update::Detach { vpc } => format!("detach from {vpc}"),
        Update::Route { route, .. } => format!("0.0.0.0/0 -> {}", route_text(route)),
        Update::Associate { subnet, .. } => format!("associate `{subnet}`"),
        Update::Disassociate { association } => format!("remove association {association}"),
    }
}
