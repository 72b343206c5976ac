//! Conversions between the host's types and the plugin interface's.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use super::bindings::host::vpc::types as wit;
use crate::config::Config;
use crate::facts::{self, Facts, Tier, ZoneState, ZoneType};
use crate::plan::{Nat, Plan, RegionPlan, RouteTable, RouteTarget, Subnet, Vpc};

/// The plugin's view of the config.
pub fn config(config: &Config, name: &str, params: &[(String, String)]) -> wit::Config {
    wit::Config {
        name: name.to_string(),
        public_ips: config.public_ips,
        regions: config.regions.clone(),
        tags: pairs(config.tags.iter()),
        params: pairs(params.iter().map(|(k, v)| (k, v))),
    }
}

fn pairs<'a>(items: impl Iterator<Item = (&'a String, &'a String)>) -> Vec<wit::Pair> {
    items.map(|(key, value)| wit::Pair { key: key.clone(), value: value.clone() }).collect()
}

/// Facts for the config's regions that the account has enabled, in config order.
pub fn facts(config: &Config, facts: &Facts) -> Vec<wit::RegionFacts> {
    config.regions.iter().filter_map(|region| facts.region(region)).map(region_facts).collect()
}

fn region_facts(facts: &facts::RegionFacts) -> wit::RegionFacts {
    wit::RegionFacts {
        region: facts.region.clone(),
        zones: facts.zones.iter().map(zone).collect(),
        other_vpc_cidrs: facts.other_vpc_cidrs.iter().map(Ipv4Net::to_string).collect(),
        existing: facts.existing.as_ref().map(|vpc| wit::ExistingVpc {
            cidr: vpc.cidr.to_string(),
            subnets: vpc
                .subnets
                .iter()
                .map(|s| wit::ExistingSubnet {
                    zone_id: s.zone_id.clone(),
                    tier: tier_to_wit(s.tier),
                    cidr: s.cidr.to_string(),
                })
                .collect(),
            zonal_nat_zones: vpc.zonal_nat_zones.clone(),
        }),
        elastic_ips: facts
            .elastic_ips
            .iter()
            .map(|ip| wit::ElasticIp {
                allocation_id: ip.allocation_id.clone(),
                public_ip: ip.public_ip.clone(),
            })
            .collect(),
        elastic_ip_quota: facts.elastic_ip_quota,
    }
}

fn zone(zone: &facts::Zone) -> wit::Zone {
    wit::Zone {
        name: zone.name.clone(),
        zone_id: zone.zone_id.clone(),
        zone_type: match zone.zone_type {
            ZoneType::AvailabilityZone => wit::ZoneType::AvailabilityZone,
            ZoneType::LocalZone => wit::ZoneType::LocalZone,
            ZoneType::WavelengthZone => wit::ZoneType::WavelengthZone,
            ZoneType::Other => wit::ZoneType::Other,
        },
        state: match zone.state {
            ZoneState::Available => wit::ZoneState::Available,
            ZoneState::Information => wit::ZoneState::Information,
            ZoneState::Impaired => wit::ZoneState::Impaired,
            ZoneState::Unavailable => wit::ZoneState::Unavailable,
        },
    }
}

fn tier_to_wit(tier: Tier) -> wit::Tier {
    match tier {
        Tier::Public => wit::Tier::Public,
        Tier::Private => wit::Tier::Private,
        Tier::Isolated => wit::Tier::Isolated,
    }
}

fn tier_from_wit(tier: wit::Tier) -> Tier {
    match tier {
        wit::Tier::Public => Tier::Public,
        wit::Tier::Private => Tier::Private,
        wit::Tier::Isolated => Tier::Isolated,
    }
}

/// The plugin's explanation of why it made no plan.
pub fn plan_error(err: wit::PlanError) -> String {
    match err {
        wit::PlanError::InvalidParameter(text) => format!("invalid parameter: {text}"),
        wit::PlanError::UnsupportedRegion(text) => format!("unsupported region: {text}"),
        wit::PlanError::AddressSpaceExhausted(text) => format!("address space exhausted: {text}"),
        wit::PlanError::Other(text) => text,
    }
}

/// The host's plan from the plugin's; fails on a CIDR that does not parse or a
/// tag given twice.
pub fn plan(plan: wit::Plan) -> Result<Plan, String> {
    let regions = plan.regions.into_iter().map(region_plan).collect::<Result<_, _>>()?;
    Ok(Plan { regions, iam_actions: plan.iam_actions })
}

fn region_plan(region: wit::RegionPlan) -> Result<RegionPlan, String> {
    let name = region.region;
    let at = |message: String| format!("region `{name}`: {message}");
    let vpc = Vpc { cidr: cidr(&region.vpc.cidr, "the VPC").map_err(at)?, name: region.vpc.name };
    let mut tags = BTreeMap::new();
    for pair in region.tags {
        if tags.insert(pair.key.clone(), pair.value).is_some() {
            return Err(at(format!("tag `{}` is given twice", pair.key)));
        }
    }
    let subnets = region.subnets.into_iter().map(subnet).collect::<Result<_, _>>().map_err(at)?;
    Ok(RegionPlan {
        vpc,
        tags,
        subnets,
        internet_gateway: region.internet_gateway,
        nat: match region.nat {
            wit::NatStrategy::None => Nat::None,
            wit::NatStrategy::Regional => Nat::Regional,
            wit::NatStrategy::PerAz => Nat::PerAz,
            wit::NatStrategy::Single(zone) => Nat::Single { zone },
        },
        route_tables: region.route_tables.into_iter().map(route_table).collect(),
        region: name,
    })
}

fn subnet(subnet: wit::Subnet) -> Result<Subnet, String> {
    let cidr = cidr(&subnet.cidr, &format!("subnet `{}`", subnet.name))?;
    Ok(Subnet {
        name: subnet.name,
        zone: subnet.zone,
        zone_id: subnet.zone_id,
        tier: tier_from_wit(subnet.tier),
        cidr,
        map_public_ip: subnet.map_public_ip,
    })
}

fn route_table(table: wit::RouteTable) -> RouteTable {
    RouteTable {
        name: table.name,
        subnets: table.subnets,
        default_route: match table.default_route {
            wit::RouteTarget::None => RouteTarget::None,
            wit::RouteTarget::InternetGateway => RouteTarget::InternetGateway,
            wit::RouteTarget::NatGateway(zone) => RouteTarget::NatGateway { zone },
        },
    }
}

/// Parses a CIDR the way AWS writes them: an IPv4 network with no host bits set.
fn cidr(text: &str, owner: &str) -> Result<Ipv4Net, String> {
    let shown: String = text.chars().take(64).collect();
    let net: Ipv4Net = text
        .parse()
        .map_err(|_| format!("{owner} has CIDR `{shown}`, which is not an IPv4 CIDR"))?;
    if net.trunc() != net {
        return Err(format!(
            "{owner} has CIDR `{shown}` with host bits set; did you mean `{}`?",
            net.trunc()
        ));
    }
    Ok(net)
}
