//! The NAT strategy of a region and the route tables that follow from it.

use vpc_plugin_kit::nat;
use vpc_plugin_kit::types::{
    NatStrategy, PlanError, RegionFacts, RouteTable, RouteTarget, Subnet, Tier,
};
use vpc_plugin_kit::zones::Az;

use crate::params::NatMode;

/// The NAT mode that applies, given the one asked for and whether private subnets exist.
///
/// Without private subnets a NAT gateway has nothing to serve, so the mode is then `None`.
pub fn mode(asked: Option<NatMode>, private: bool) -> NatMode {
    match asked {
        _ if !private => NatMode::None,
        Some(mode) => mode,
        None => NatMode::Regional,
    }
}

/// The NAT strategy of the region that `facts` describes, whose availability zones are `azs`
/// and planned subnets `subnets`, both in zone ID order.
///
/// A single NAT gateway stays in the zone it is in while that zone has a public subnet, and
/// otherwise goes to the open zone with the lowest zone ID number.
pub fn strategy(
    mode: NatMode,
    facts: &RegionFacts,
    azs: &[Az],
    subnets: &[Subnet],
) -> Result<NatStrategy, PlanError> {
    Ok(match mode {
        NatMode::Regional => NatStrategy::Regional,
        NatMode::PerAz => NatStrategy::PerAz,
        NatMode::Single => NatStrategy::Single(nat::single(facts, azs, subnets)?),
        NatMode::None => NatStrategy::None,
    })
}

/// The route tables of a region: `{name}-public`, then the private ones.
pub fn tables(name: &str, subnets: &[Subnet], nat: &NatStrategy) -> Vec<RouteTable> {
    let mut tables = vec![table(
        format!("{name}-public"),
        names(subnets, Tier::Public),
        RouteTarget::InternetGateway,
    )];
    let private = names(subnets, Tier::Private);
    if private.is_empty() {
        return tables;
    }
    match nat {
        NatStrategy::PerAz => tables.extend(per_zone(name, subnets)),
        NatStrategy::Regional => tables.push(private_table(name, private, None)),
        NatStrategy::Single(zone) => tables.push(private_table(name, private, Some(zone))),
        NatStrategy::None => {
            tables.push(table(format!("{name}-private"), private, RouteTarget::None))
        }
    }
    tables
}

/// One `{name}-private-{zone}` table per private subnet, routed to its zone's NAT gateway.
///
/// A zone without a public subnet has no room for a NAT gateway: that happens only to a zone
/// that is impaired or unavailable and kept just its private subnet. Its table routes to the
/// gateway of the first zone that has one, or nowhere when no zone has.
fn per_zone(name: &str, subnets: &[Subnet]) -> Vec<RouteTable> {
    let has_nat = |zone: &str| {
        let tiers = |tier| subnets.iter().any(|s| s.zone == zone && s.tier == tier);
        tiers(Tier::Public) && tiers(Tier::Private)
    };
    let fallback = subnets.iter().map(|subnet| &subnet.zone).find(|zone| has_nat(zone));
    let private = subnets.iter().filter(|subnet| subnet.tier == Tier::Private);
    let zonal = |subnet: &Subnet| {
        let zone = if has_nat(&subnet.zone) { Some(&subnet.zone) } else { fallback };
        let target =
            zone.map_or(RouteTarget::None, |zone| RouteTarget::NatGateway(Some(zone.clone())));
        table(format!("{name}-private-{}", subnet.zone), vec![subnet.name.clone()], target)
    };
    private.map(zonal).collect()
}

/// The shared `{name}-private` table, routed to the regional NAT or the one in `zone`.
fn private_table(name: &str, subnets: Vec<String>, zone: Option<&String>) -> RouteTable {
    let target = RouteTarget::NatGateway(zone.cloned());
    table(format!("{name}-private"), subnets, target)
}

/// A route table.
fn table(name: String, subnets: Vec<String>, default_route: RouteTarget) -> RouteTable {
    RouteTable { name, subnets, default_route }
}

/// The names of the `tier` subnets, in plan order.
fn names(subnets: &[Subnet], tier: Tier) -> Vec<String> {
    let of_tier = subnets.iter().filter(|subnet| subnet.tier == tier);
    of_tier.map(|subnet| subnet.name.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vpc_plugin_kit::fixtures::facts;

    fn subnet(zone: &str, tier: Tier) -> Subnet {
        let label = if tier == Tier::Public { "public" } else { "private" };
        Subnet {
            name: format!("dev-{label}-{zone}"),
            zone: zone.to_string(),
            zone_id: String::new(),
            tier,
            cidr: String::new(),
            map_public_ip: tier == Tier::Public,
        }
    }

    fn both(zones: &[&str]) -> Vec<Subnet> {
        let pair = |zone: &&str| [subnet(zone, Tier::Public), subnet(zone, Tier::Private)];
        zones.iter().flat_map(pair).collect()
    }

    fn az(name: &str, number: u32) -> Az {
        Az { name: name.to_string(), id: format!("use1-az{number}"), number, open: true }
    }

    #[test]
    fn default_mode_depends_on_private_subnets() {
        assert_eq!(mode(None, true), NatMode::Regional);
        assert_eq!(mode(None, false), NatMode::None);
        assert_eq!(mode(Some(NatMode::PerAz), false), NatMode::None);
        assert_eq!(mode(Some(NatMode::Single), true), NatMode::Single);
    }

    #[test]
    fn single_nat_takes_the_first_zone_by_id() {
        let azs = [az("us-east-1c", 1), az("us-east-1a", 2)];
        let mut subnets = both(&["us-east-1c", "us-east-1a"]);
        subnets[0].zone_id = "use1-az1".into();
        subnets[2].zone_id = "use1-az2".into();
        let facts = facts("us-east-1", Vec::new());
        let nat = |mode| strategy(mode, &facts, &azs, &subnets).unwrap();
        assert_eq!(nat(NatMode::Single), NatStrategy::Single("us-east-1c".into()));
        assert_eq!(nat(NatMode::PerAz), NatStrategy::PerAz);
    }

    #[test]
    fn regional_nat_shares_one_private_table() {
        let tables = tables("dev", &both(&["a", "b"]), &NatStrategy::Regional);
        assert_eq!(tables.len(), 2);
        assert_eq!(tables[0].name, "dev-public");
        assert_eq!(tables[0].subnets, ["dev-public-a", "dev-public-b"]);
        assert_eq!(tables[0].default_route, RouteTarget::InternetGateway);
        assert_eq!(tables[1].name, "dev-private");
        assert_eq!(tables[1].subnets, ["dev-private-a", "dev-private-b"]);
        assert_eq!(tables[1].default_route, RouteTarget::NatGateway(None));
    }

    #[test]
    fn single_nat_routes_to_its_zone() {
        let tables = tables("dev", &both(&["a", "b"]), &NatStrategy::Single("b".into()));
        assert_eq!(tables[1].default_route, RouteTarget::NatGateway(Some("b".into())));
    }

    #[test]
    fn per_az_nat_gets_a_table_per_zone() {
        let tables = tables("dev", &both(&["a", "b"]), &NatStrategy::PerAz);
        let names: Vec<&str> = tables.iter().map(|table| table.name.as_str()).collect();
        assert_eq!(names, ["dev-public", "dev-private-a", "dev-private-b"]);
        assert_eq!(tables[2].subnets, ["dev-private-b"]);
        assert_eq!(tables[2].default_route, RouteTarget::NatGateway(Some("b".into())));
    }

    #[test]
    fn per_az_private_subnet_in_a_zone_without_a_public_one_borrows_a_nat() {
        let mut subnets = both(&["a", "b"]);
        subnets.remove(2);
        let zonal = tables("dev", &subnets, &NatStrategy::PerAz);
        assert_eq!(zonal[2].name, "dev-private-b");
        assert_eq!(zonal[2].default_route, RouteTarget::NatGateway(Some("a".into())));
        let lone = tables("dev", &subnets[2..], &NatStrategy::PerAz);
        assert_eq!(lone[1].default_route, RouteTarget::None);
    }

    #[test]
    fn no_nat_leaves_private_subnets_without_a_route() {
        let tables = tables("dev", &both(&["a"]), &NatStrategy::None);
        assert_eq!(tables[1].default_route, RouteTarget::None);
    }

    #[test]
    fn no_private_subnets_means_only_the_public_table() {
        let public = vec![subnet("a", Tier::Public)];
        assert_eq!(tables("dev", &public, &NatStrategy::None).len(), 1);
    }
}
