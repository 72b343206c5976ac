//! The plan of one region: its VPC, three tiers of subnets, the NAT gateway and route tables.

use vpc_plugin_kit::nat;
use vpc_plugin_kit::subnets::{self, label};
use vpc_plugin_kit::types::{
    NatStrategy, Pair, PlanError, RegionFacts, RegionPlan, RouteTable, RouteTarget, Subnet, Tier,
    Vpc,
};
use vpc_plugin_kit::zones::{self, Az};

use crate::layout;
use crate::params::Params;

/// The tiers every availability zone gets, in plan order.
const TIERS: [Tier; 3] = [Tier::Public, Tier::Private, Tier::Isolated];

/// What every region of a plan shares.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The managed set's name: the VPC's name and the stem of every other name.
    pub name: String,
    /// The tags of every resource.
    pub tags: Vec<Pair>,
    /// The checked parameters.
    pub params: Params,
}

/// Plans the region that `facts` describes.
pub fn plan(shape: &Shape, facts: &RegionFacts) -> Result<RegionPlan, PlanError> {
    let region = &facts.region;
    let table_cidr = shape.params.cidr(region)?.to_string();
    let azs = zones::planned(facts)?;
    let asked = asked_nat_zone(&shape.params, region, &azs)?;
    let cidr = facts.existing.as_ref().map_or(table_cidr, |existing| existing.cidr.clone());
    let subnets = subnets::plan(&shape.name, facts, &azs, &TIERS, &cidr, layout::subnet)?;
    let nat_zone = match asked {
        Some(zone) => zone,
        None => nat::single(facts, &azs, &subnets)?,
    };

    let route_tables = route_tables(&shape.name, &subnets, &nat_zone);
    Ok(RegionPlan {
        region: region.clone(),
        vpc: Vpc { cidr, name: shape.name.clone() },
        tags: shape.tags.clone(),
        subnets,
        internet_gateway: true,
        nat: NatStrategy::Single(nat_zone),
        route_tables,
    })
}

/// The zone that `nat_zone` names for the region's NAT gateway, if it names one.
///
/// The user asked for it, so it wins over the zone the gateway is in; without it the gateway
/// stays where it is, or a new one goes to the open zone with the lowest zone ID number.
fn asked_nat_zone(params: &Params, region: &str, azs: &[Az]) -> Result<Option<String>, PlanError> {
    let mut named = params.nat_zones.iter().filter(|zone| zone.starts_with(region));
    let Some(zone) = named.next() else {
        return Ok(None);
    };
    if let Some(other) = named.next() {
        return Err(PlanError::InvalidParameter(format!(
            "parameter `nat_zone` names both `{zone}` and `{other}` for region `{region}`"
        )));
    }
    if !azs.iter().any(|az| az.open && az.name == *zone) {
        return Err(PlanError::InvalidParameter(format!(
            "parameter `nat_zone` names `{zone}`, which is not an available availability zone \
             of region `{region}`"
        )));
    }
    Ok(Some(zone.clone()))
}

/// One route table per tier: public to the internet gateway, private to the NAT gateway in
/// `nat_zone`, isolated nowhere.
fn route_tables(name: &str, subnets: &[Subnet], nat_zone: &str) -> Vec<RouteTable> {
    let target = |tier| match tier {
        Tier::Public => RouteTarget::InternetGateway,
        Tier::Private => RouteTarget::NatGateway(Some(nat_zone.to_string())),
        Tier::Isolated => RouteTarget::None,
    };
    let table = |tier| RouteTable {
        name: format!("{name}-{}", label(tier)),
        subnets: of_tier(subnets, tier),
        default_route: target(tier),
    };
    TIERS.into_iter().map(table).collect()
}

/// The names of the `tier` subnets, in plan order.
fn of_tier(subnets: &[Subnet], tier: Tier) -> Vec<String> {
    let matching = subnets.iter().filter(|subnet| subnet.tier == tier);
    matching.map(|subnet| subnet.name.clone()).collect()
}
