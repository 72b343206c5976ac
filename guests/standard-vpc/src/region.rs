//! The plan of one region: its VPC, subnets, NAT gateway and route tables.

use ipnet::Ipv4Net;
use vpc_plugin_kit::types::{Pair, PlanError, RegionFacts, RegionPlan, Tier, Vpc};
use vpc_plugin_kit::{subnets, zones};

use crate::params::NatMode;
use crate::{layout, regions, routes};

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
    let azs = zones::planned(facts)?;
    let cidr = vpc_cidr(shape, facts)?;
    let tiers: &[Tier] =
        if shape.private { &[Tier::Public, Tier::Private] } else { &[Tier::Public] };
    let subnets = subnets::plan(&shape.name, facts, &azs, tiers, &cidr, layout::subnet)?;

    let nat = routes::strategy(shape.nat, facts, &azs, &subnets)?;
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
