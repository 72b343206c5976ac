//! `host plan --output mermaid`: the plan as a Mermaid flowchart, which
//! GitHub renders in Markdown. Each region is a box holding its VPC's zones
//! and their subnets; each subnet points at its route table, and each table's
//! default route at the internet gateway or the NAT gateway it uses.

use std::fmt::Write as _;

use crate::plan::{Nat, Plan, RegionPlan, RouteTarget, Tier};

/// The flowchart of every planned region.
pub fn plan_mermaid(plan: &Plan) -> String {
    let mut chart = String::from("flowchart LR\n");
    for (number, region) in plan.regions.iter().enumerate() {
        region_chart(&mut chart, &format!("r{number}"), region);
    }
    chart
}

fn region_chart(chart: &mut String, id: &str, region: &RegionPlan) {
    let vpc = format!("{} · VPC {} {}", region.region, region.vpc.name, region.vpc.cidr);
    line(chart, 1, &format!("subgraph {id}[\"{}\"]", label(&vpc)));
    line(chart, 2, "direction LR");
    let mut zones: Vec<&str> = region.subnets.iter().map(|s| s.zone.as_str()).collect();
    zones.sort_unstable();
    zones.dedup();
    for (number, zone) in zones.iter().enumerate() {
        line(chart, 2, &format!("subgraph {id}z{number}[\"{}\"]", label(zone)));
        for (index, subnet) in region.subnets.iter().enumerate() {
            if subnet.zone == *zone {
                let tier = match subnet.tier {
                    Tier::Public => "public",
                    Tier::Private => "private",
                    Tier::Isolated => "isolated",
                };
                let text = format!("{}<br/>{tier} {}", label(&subnet.name), subnet.cidr);
                line(chart, 3, &format!("{id}s{index}[\"{text}\"]"));
            }
        }
        line(chart, 2, "end");
    }
    if region.internet_gateway {
        line(chart, 2, &format!("{id}igw([\"internet gateway\"])"));
    }
    for zone in nat_zones(region) {
        let text = match &zone {
            Some(zone) => format!("NAT gateway in {}", label(zone)),
            None => "regional NAT gateway".to_string(),
        };
        let node = nat_node(id, zone.as_deref());
        line(chart, 2, &format!("{node}{{{{\"{text}\"}}}}"));
    }
    for (number, table) in region.route_tables.iter().enumerate() {
        line(chart, 2, &format!("{id}t{number}[/\"{}\"/]", label(&table.name)));
    }
    line(chart, 1, "end");
    edges(chart, id, region);
}

/// The zones of the region's NAT gateways: `None` for the regional one.
fn nat_zones(region: &RegionPlan) -> Vec<Option<String>> {
    match &region.nat {
        Nat::None => Vec::new(),
        Nat::Regional => vec![None],
        Nat::PerAz | Nat::Single { .. } => {
            region.nat.zonal_zones(&region.subnets).into_iter().map(Some).collect()
        }
    }
}

fn nat_node(id: &str, zone: Option<&str>) -> String {
    match zone {
        None => format!("{id}nat"),
        Some(zone) => {
            format!("{id}nat_{}", zone.replace(|c: char| !c.is_ascii_alphanumeric(), "_"))
        }
    }
}

fn edges(chart: &mut String, id: &str, region: &RegionPlan) {
    for (number, table) in region.route_tables.iter().enumerate() {
        for name in &table.subnets {
            if let Some(index) = region.subnets.iter().position(|s| &s.name == name) {
                line(chart, 1, &format!("{id}s{index} --> {id}t{number}"));
            }
        }
        let target = match &table.default_route {
            RouteTarget::None => continue,
            RouteTarget::InternetGateway => format!("{id}igw"),
            RouteTarget::NatGateway { zone } => nat_node(id, zone.as_deref()),
        };
        line(chart, 1, &format!("{id}t{number} -->|0.0.0.0/0| {target}"));
    }
    for zone in nat_zones(region) {
        let node = nat_node(id, zone.as_deref());
        // A zonal NAT gateway lives in its zone's public subnet.
        let home = zone.as_ref().and_then(|zone| {
            region.subnets.iter().position(|s| &s.zone == zone && s.tier == Tier::Public)
        });
        if let Some(index) = home {
            line(chart, 1, &format!("{node} -.- {id}s{index}"));
        }
        if region.internet_gateway {
            line(chart, 1, &format!("{node} --> {id}igw"));
        }
    }
}

fn line(chart: &mut String, depth: usize, text: &str) {
    // Writing to a String cannot fail.
    let _ = writeln!(chart, "{:width$}{text}", "", width = depth * 2);
}

/// Text as a Mermaid label takes it: quotes and angle brackets as entities.
fn label(text: &str) -> String {
    text.replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_end_a_node_or_open_markup() {
        assert_eq!(label(r#"a "b" <c>"#), "a #quot;b#quot; #lt;c#gt;");
        assert_eq!(nat_node("r0", Some("us-east-1-bos-1a")), "r0nat_us_east_1_bos_1a");
    }
}
