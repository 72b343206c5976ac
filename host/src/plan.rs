//! The plan a plugin returns, as the host holds it, and the structural checks
//! every plan must pass before policies see it.
//!
//! A plan that breaks these rules is not something a policy should weigh: it is
//! a broken plugin, reported as [`Error::MalformedPlan`](crate::error::Error).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::Serialize;

pub use crate::facts::Tier;
use crate::facts::{Facts, RegionFacts};

/// Most subnets one region may hold; AWS's default quota is 200 per VPC.
pub const MAX_SUBNETS_PER_REGION: usize = 1_000;
/// Longest name or tag value a plan may carry, in characters, as AWS allows for
/// tag values.
pub const MAX_TEXT: usize = 256;
/// Longest tag key, in characters, as AWS allows.
pub const MAX_TAG_KEY: usize = 128;
/// Ranges no VPC may use: this network, loopback, link-local, multicast and
/// reserved space.
const REFUSED_RANGES: &[Ipv4Net] = &[
    Ipv4Net::new_assert(Ipv4Addr::new(0, 0, 0, 0), 8),
    Ipv4Net::new_assert(Ipv4Addr::new(127, 0, 0, 0), 8),
    Ipv4Net::new_assert(Ipv4Addr::new(169, 254, 0, 0), 16),
    Ipv4Net::new_assert(Ipv4Addr::new(224, 0, 0, 0), 4),
    Ipv4Net::new_assert(Ipv4Addr::new(240, 0, 0, 0), 4),
];

/// The whole plan.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Plan {
    /// One entry per planned region, in config order.
    pub regions: Vec<RegionPlan>,
    /// The IAM actions applying the plan needs.
    pub iam_actions: Vec<String>,
}

/// Everything planned for one region.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionPlan {
    /// The region code.
    pub region: String,
    /// The VPC.
    pub vpc: Vpc,
    /// Tags for every resource, besides each one's `Name`.
    pub tags: BTreeMap<String, String>,
    /// The subnets.
    pub subnets: Vec<Subnet>,
    /// Whether the VPC gets an internet gateway.
    pub internet_gateway: bool,
    /// How private subnets reach the internet.
    pub nat: Nat,
    /// The route tables.
    pub route_tables: Vec<RouteTable>,
}

/// A region's VPC.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Vpc {
    /// Its primary CIDR block.
    pub cidr: Ipv4Net,
    /// Its `Name` tag.
    pub name: String,
}

/// A planned subnet.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Subnet {
    /// Its `Name` tag, unique in the region.
    pub name: String,
    /// The zone name.
    pub zone: String,
    /// The zone ID.
    pub zone_id: String,
    /// Its tier.
    pub tier: Tier,
    /// Its CIDR block.
    pub cidr: Ipv4Net,
    /// Whether instances get a public IPv4 address at launch.
    pub map_public_ip: bool,
}

/// The NAT strategy of a region.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Nat {
    /// No NAT gateway.
    None,
    /// One regional NAT gateway for every zone.
    Regional,
    /// One zonal NAT gateway per zone with private subnets.
    PerAz,
    /// One zonal NAT gateway in `zone`.
    Single {
        /// The zone name.
        zone: String,
    },
}

/// Where a route table's `0.0.0.0/0` goes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "target", rename_all = "kebab-case")]
pub enum RouteTarget {
    /// Nowhere.
    None,
    /// The internet gateway.
    InternetGateway,
    /// The regional NAT gateway (`zone` absent) or the zonal one in `zone`.
    NatGateway {
        /// The zonal NAT's zone name.
        #[serde(skip_serializing_if = "Option::is_none")]
        zone: Option<String>,
    },
}

/// A route table and its explicitly associated subnets.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RouteTable {
    /// Its `Name` tag, unique in the region.
    pub name: String,
    /// Names of the subnets associated with it.
    pub subnets: Vec<String>,
    /// Where its default route goes.
    pub default_route: RouteTarget,
}

impl Nat {
    /// The zones that get a zonal NAT gateway under this strategy.
    pub fn zonal_zones(&self, subnets: &[Subnet]) -> Vec<String> {
        match self {
            Nat::None | Nat::Regional => Vec::new(),
            Nat::Single { zone } => vec![zone.clone()],
            Nat::PerAz => {
                let zones: BTreeSet<&str> = subnets
                    .iter()
                    .filter(|subnet| subnet.tier == Tier::Private)
                    .map(|subnet| subnet.zone.as_str())
                    .collect();
                zones.into_iter().map(str::to_string).collect()
            }
        }
    }
}

/// Checks a plan's structure against what was asked: only requested regions,
/// each once; valid, disjoint subnet CIDRs inside their VPC; known zones; every
/// subnet in exactly one route table; routes only to gateways the plan has.
pub fn check(plan: &Plan, requested: &[String], facts: &Facts) -> Result<(), String> {
    for (index, region) in plan.regions.iter().enumerate() {
        if !requested.contains(&region.region) {
            return Err(format!("region `{}` was not asked for", region.region));
        }
        if plan.regions[..index].iter().any(|seen| seen.region == region.region) {
            return Err(format!("region `{}` is planned twice", region.region));
        }
        let Some(region_facts) = facts.region(&region.region) else {
            return Err(format!("region `{}` is not enabled for the account", region.region));
        };
        check_region(region, region_facts)
            .map_err(|msg| format!("region `{}`: {msg}", region.region))?;
    }
    for action in &plan.iam_actions {
        if !action.starts_with("ec2:") || action.len() > 64 {
            return Err(format!("IAM action `{action}` is not an EC2 action"));
        }
    }
    Ok(())
}

fn check_region(region: &RegionPlan, facts: &RegionFacts) -> Result<(), String> {
    check_text("VPC name", &region.vpc.name, 1)?;
    check_cidr("the VPC", &region.vpc.cidr)?;
    for (key, value) in &region.tags {
        check_tag(key, value)?;
    }
    if region.subnets.len() > MAX_SUBNETS_PER_REGION {
        return Err(format!(
            "{} subnets planned; at most {MAX_SUBNETS_PER_REGION} are allowed",
            region.subnets.len()
        ));
    }
    check_subnets(region, facts)?;
    check_route_tables(region)?;
    check_nat(region, facts)
}

fn check_text(what: &str, text: &str, min: usize) -> Result<(), String> {
    let length = text.chars().count();
    if !(min..=MAX_TEXT).contains(&length) {
        let shown: String = text.chars().take(40).collect();
        return Err(format!(
            "{what} `{shown}` must have {min} to {MAX_TEXT} characters, not {length}"
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("{what} `{}` holds control characters", text.escape_debug()));
    }
    Ok(())
}

/// Tags as AWS takes them, minus the prefixes AWS and host keep for themselves.
pub fn check_tag(key: &str, value: &str) -> Result<(), String> {
    check_text("tag key", key, 1)?;
    if key.chars().count() > MAX_TAG_KEY {
        return Err(format!("tag key `{key}` is longer than {MAX_TAG_KEY} characters"));
    }
    let lower = key.to_ascii_lowercase();
    if lower.starts_with("aws:") || key.starts_with(crate::config::RESERVED_TAG_PREFIX) {
        return Err(format!("tag key `{key}` uses a prefix reserved for AWS or for host itself"));
    }
    check_text(&format!("tag `{key}`"), value, 0)
}

/// A block AWS accepts for a VPC or subnet: between /16 and /28, outside the
/// ranges AWS refuses.
fn check_cidr(owner: &str, cidr: &Ipv4Net) -> Result<(), String> {
    if !(16..=28).contains(&cidr.prefix_len()) {
        return Err(format!("{owner} has CIDR {cidr}; AWS takes /16 to /28 blocks"));
    }
    let refused = REFUSED_RANGES
        .iter()
        .find(|range| range.contains(&cidr.network()) || cidr.contains(&range.network()));
    match refused {
        Some(range) => Err(format!("{owner} has CIDR {cidr}, inside {range}, which AWS refuses")),
        None => Ok(()),
    }
}

fn check_subnets(region: &RegionPlan, facts: &RegionFacts) -> Result<(), String> {
    let mut by_start: Vec<&Subnet> = region.subnets.iter().collect();
    by_start.sort_by_key(|subnet| (subnet.cidr.network(), subnet.cidr.prefix_len()));
    for (index, subnet) in region.subnets.iter().enumerate() {
        check_text("subnet name", &subnet.name, 1)?;
        check_cidr(&format!("subnet `{}`", subnet.name), &subnet.cidr)?;
        if region.subnets[..index].iter().any(|seen| seen.name == subnet.name) {
            return Err(format!("subnet name `{}` is used twice", subnet.name));
        }
        if !region.vpc.cidr.contains(&subnet.cidr) {
            return Err(format!(
                "subnet `{}` ({}) is outside the VPC's {}",
                subnet.name, subnet.cidr, region.vpc.cidr
            ));
        }
        let known =
            facts.zones.iter().any(|z| z.name == subnet.zone && z.zone_id == subnet.zone_id);
        if !known {
            return Err(format!(
                "subnet `{}` is in zone `{}` (`{}`), which the region does not have",
                subnet.name, subnet.zone, subnet.zone_id
            ));
        }
    }
    for pair in by_start.windows(2) {
        if pair[0].cidr.contains(&pair[1].cidr.network()) {
            return Err(format!(
                "subnets `{}` ({}) and `{}` ({}) overlap",
                pair[0].name, pair[0].cidr, pair[1].name, pair[1].cidr
            ));
        }
    }
    Ok(())
}

fn check_route_tables(region: &RegionPlan) -> Result<(), String> {
    let mut associated: BTreeMap<&str, &str> = BTreeMap::new();
    for (index, table) in region.route_tables.iter().enumerate() {
        check_text("route table name", &table.name, 1)?;
        if table.default_route == RouteTarget::InternetGateway && !region.internet_gateway {
            return Err(format!(
                "route table `{}` routes to an internet gateway, which the plan lacks",
                table.name
            ));
        }
        if region.route_tables[..index].iter().any(|seen| seen.name == table.name) {
            return Err(format!("route table name `{}` is used twice", table.name));
        }
        for subnet in &table.subnets {
            if !region.subnets.iter().any(|s| &s.name == subnet) {
                return Err(format!(
                    "route table `{}` lists unknown subnet `{subnet}`",
                    table.name
                ));
            }
            if let Some(other) = associated.insert(subnet, &table.name) {
                return Err(format!(
                    "subnet `{subnet}` is associated with both `{other}` and `{}`",
                    table.name
                ));
            }
        }
    }
    match region.subnets.iter().find(|s| !associated.contains_key(s.name.as_str())) {
        Some(orphan) => Err(format!("subnet `{}` is in no route table", orphan.name)),
        None => Ok(()),
    }
}

fn check_nat(region: &RegionPlan, facts: &RegionFacts) -> Result<(), String> {
    if let Nat::Single { zone } = &region.nat
        && !facts.zones.iter().any(|z| &z.name == zone)
    {
        return Err(format!("the NAT gateway's zone `{zone}` is not in the region"));
    }
    let zonal = region.nat.zonal_zones(&region.subnets);
    let homeless = zonal
        .iter()
        .find(|zone| !region.subnets.iter().any(|s| &s.zone == *zone && s.tier == Tier::Public));
    if let Some(zone) = homeless {
        return Err(format!(
            "the zonal NAT gateway in `{zone}` needs a public subnet in that zone to live in"
        ));
    }
    for table in &region.route_tables {
        let RouteTarget::NatGateway { zone } = &table.default_route else { continue };
        let served = match zone {
            None => region.nat == Nat::Regional,
            Some(zone) => zonal.contains(zone),
        };
        if !served {
            let target = zone.as_deref().map_or("the regional NAT gateway".into(), |z| {
                format!("a zonal NAT gateway in `{z}`")
            });
            return Err(format!(
                "route table `{}` routes to {target}, which the plan lacks",
                table.name
            ));
        }
    }
    Ok(())
}
