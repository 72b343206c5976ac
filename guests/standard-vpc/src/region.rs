//! The plan of one region: its VPC, subnets, NAT gateway and route tables.

use ipnet::Ipv4Net;

use crate::bindings::host::vpc::types::{
    Pair, PlanError, RegionFacts, RegionPlan, Subnet, Tier, Vpc,
};
use crate::params::NatMode;
use crate::zones::Az;
use crate::{layout, regions, routes, zones};

/// What every region of a plan shares.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The managed set's name: the VPC's name and the stem of every other name.
    pub name: String,
    /// The tags of every resource, `Name` included.
    pub tags: Vec<Pair>,
    /// The range region VPCs are carved from.
    pub base: Ipv4Net,
    /// Whether regions get private subnets.
    pub private: bool,
    /// The NAT mode, already reconciled with `private`.
    pub nat: NatMode,
}

/// Plans the region that `facts` describes.
pub fn plan(shape: &Shape, facts: &RegionFacts) -> Result<RegionPlan, PlanError> {
    let azs = zones::usable(facts)?;
    if azs.is_empty() {
        return Err(PlanError::Other(format!(
            "region `{}` has no available availability zone to put subnets in",
            facts.region
        )));
    }
    let cidr = vpc_cidr(shape, facts)?;
    let subnets = subnets(shape, facts, &azs, &cidr)?;

    let nat = routes::strategy(shape.nat, &azs);
    let route_tables = routes::tables(&shape.name, &subnets, &nat);
    Ok(RegionPlan {
        region: facts.region.clone(),
        vpc: Vpc { cidr, name: shape.name.clone() },
        tags: shape.tags.clone(),
        subnets,
        internet_gateway: true,
        nat,
        route_tables,
    })
}

/// The VPC's CIDR: the existing VPC's, whatever it is, or the region's slot in the base.
fn vpc_cidr(shape: &Shape, facts: &RegionFacts) -> Result<String, PlanError> {
    match &facts.existing {
        Some(existing) => Ok(existing.cidr.clone()),
        None => regions::vpc_cidr(&facts.region, shape.base).map(|net| net.to_string()),
    }
}

/// Every subnet of the region, by zone ID number, then tier.
fn subnets(
    shape: &Shape,
    facts: &RegionFacts,
    azs: &[Az],
    cidr: &str,
) -> Result<Vec<Subnet>, PlanError> {
    let tiers: &[Tier] =
        if shape.private { &[Tier::Public, Tier::Private] } else { &[Tier::Public] };
    let mut subnets = Vec::new();
    for az in azs {
        for &tier in tiers {
            subnets.push(subnet(&shape.name, facts, az, tier, cidr)?);
        }
    }
    Ok(subnets)
}

/// The `tier` subnet of `az`, keeping the CIDR of an existing one.
fn subnet(
    name: &str,
    facts: &RegionFacts,
    az: &Az,
    tier: Tier,
    vpc_cidr: &str,
) -> Result<Subnet, PlanError> {
    let cidr = match kept(facts, az, tier) {
        Some(cidr) => cidr,
        None => {
            let vpc = layout::vpc(&facts.region, vpc_cidr)?;
            layout::subnet(&facts.region, vpc, az, tier)?.to_string()
        }
    };
    Ok(Subnet {
        name: format!("{name}-{}-{}", label(tier), az.name),
        zone: az.name.clone(),
        zone_id: az.id.clone(),
        tier,
        cidr,
        map_public_ip: tier == Tier::Public,
    })
}

/// The CIDR of the existing subnet in `az` with `tier`, if there is one.
fn kept(facts: &RegionFacts, az: &Az, tier: Tier) -> Option<String> {
    let existing = facts.existing.as_ref()?;
    let same =
        existing.subnets.iter().find(|subnet| subnet.zone_id == az.id && subnet.tier == tier);
    same.map(|subnet| subnet.cidr.clone())
}

/// The tier as subnet names spell it.
fn label(tier: Tier) -> &'static str {
    match tier {
        Tier::Public => "public",
        Tier::Private => "private",
        Tier::Isolated => "isolated",
    }
}
