//! The subnets of a region: one per availability zone and tier, named after the managed set,
//! keeping those that already exist as they are.

use ipnet::Ipv4Net;

use crate::cidr;
use crate::types::{ExistingSubnet, PlanError, RegionFacts, Subnet, Tier};
use crate::zones::Az;

/// Every subnet of the region that `facts` describes: for each of `azs` in order, one per tier
/// of `tiers`, in order.
///
/// A subnet that already exists with the zone ID and tier is kept with its CIDR, whatever the
/// zone's state; a new one is made only in an open zone, with what `layout` carves for it out
/// of the VPC `vpc_cidr`. Subnets are named `{name}-{tier}-{zone}`, and only public ones give
/// instances public IPs.
///
/// An error when a kept subnet lies outside the VPC, or when a new subnet would overlap a kept
/// one: the layout has no other place for it.
pub fn plan(
    name: &str,
    facts: &RegionFacts,
    azs: &[Az],
    tiers: &[Tier],
    vpc_cidr: &str,
    layout: impl Fn(&str, Ipv4Net, &Az, Tier) -> Result<Ipv4Net, PlanError>,
) -> Result<Vec<Subnet>, PlanError> {
    let mut subnets = Vec::new();
    let mut kept = Vec::new();
    let mut new = Vec::new();
    for az in azs {
        for &tier in tiers {
            if let Some(existing) = existing(facts, az, tier) {
                kept.push((inside(facts, vpc_cidr, existing)?, existing));
                subnets.push(subnet(name, az, tier, existing.cidr.clone()));
            } else if az.open {
                let net = layout(&facts.region, cidr::vpc(&facts.region, vpc_cidr)?, az, tier)?;
                new.push((net, az, tier));
                subnets.push(subnet(name, az, tier, net.to_string()));
            }
        }
    }

    for (net, az, tier) in new {
        if let Some((_, existing)) = kept.iter().find(|(old, _)| overlap(*old, net)) {
            return Err(collision(&facts.region, net, az, tier, existing));
        }
    }
    Ok(subnets)
}

/// The tier as names spell it.
pub fn label(tier: Tier) -> &'static str {
    match tier {
        Tier::Public => "public",
        Tier::Private => "private",
        Tier::Isolated => "isolated",
    }
}

/// The existing subnet in `az` with `tier`, if there is one.
fn existing<'a>(facts: &'a RegionFacts, az: &Az, tier: Tier) -> Option<&'a ExistingSubnet> {
    let existing = facts.existing.as_ref()?;
    existing.subnets.iter().find(|subnet| subnet.zone_id == az.id && subnet.tier == tier)
}

/// The CIDR of the existing subnet `kept`, checked to lie inside the VPC `vpc_cidr`.
fn inside(
    facts: &RegionFacts,
    vpc_cidr: &str,
    kept: &ExistingSubnet,
) -> Result<Ipv4Net, PlanError> {
    let vpc = cidr::vpc(&facts.region, vpc_cidr)?;
    match kept.cidr.parse::<Ipv4Net>() {
        Ok(net) if vpc.contains(&net) => Ok(net),
        _ => Err(PlanError::Other(format!(
            "the existing {} subnet `{}` in zone `{}` of region `{}` lies outside the VPC's CIDR \
             `{vpc_cidr}`, so it cannot be kept",
            label(kept.tier),
            kept.cidr,
            kept.zone_id,
            facts.region
        ))),
    }
}

/// The `tier` subnet of `az` with `cidr`.
fn subnet(name: &str, az: &Az, tier: Tier, cidr: String) -> Subnet {
    Subnet {
        name: format!("{name}-{}-{}", label(tier), az.name),
        zone: az.name.clone(),
        zone_id: az.id.clone(),
        tier,
        cidr,
        map_public_ip: tier == Tier::Public,
    }
}

/// Whether two networks share an address.
fn overlap(one: Ipv4Net, other: Ipv4Net) -> bool {
    one.contains(&other) || other.contains(&one)
}

/// The error for a new subnet of `az` and `tier` at `net` that overlaps the kept `existing`.
fn collision(
    region: &str,
    net: Ipv4Net,
    az: &Az,
    tier: Tier,
    existing: &ExistingSubnet,
) -> PlanError {
    PlanError::AddressSpaceExhausted(format!(
        "the new {} subnet of zone `{}` (`{}`) in region `{region}` would take `{net}`, which \
         overlaps the existing {} subnet `{}` in zone `{}`; the layout has no other place for it",
        label(tier),
        az.name,
        az.id,
        label(existing.tier),
        existing.cidr,
        existing.zone_id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cidr::Block;
    use crate::fixtures::{az, existing, facts, zone};
    use crate::types::{ZoneState, ZoneType};
    use crate::zones;

    /// Public subnets in the lower half, private ones in the upper half.
    fn halves(region: &str, vpc: Ipv4Net, az: &Az, tier: Tier) -> Result<Ipv4Net, PlanError> {
        let index = usize::from(tier != Tier::Public);
        cidr::subnet(region, vpc, Block { bits: 1, index }, az)
    }

    fn us_east_1() -> RegionFacts {
        facts("us-east-1", vec![az("us-east-1a", "use1-az4"), az("us-east-1b", "use1-az1")])
    }

    fn carve(facts: &RegionFacts, vpc_cidr: &str) -> Result<Vec<Subnet>, PlanError> {
        let azs = zones::planned(facts)?;
        plan("dev", facts, &azs, &[Tier::Public, Tier::Private], vpc_cidr, halves)
    }

    fn pairs(subnets: &[Subnet]) -> Vec<(&str, &str, bool)> {
        let pairs = subnets.iter();
        pairs.map(|s| (s.name.as_str(), s.cidr.as_str(), s.map_public_ip)).collect()
    }

    #[test]
    fn by_zone_then_tier_named_after_the_set() {
        let subnets = carve(&us_east_1(), "10.1.0.0/16").unwrap();
        let expected = [
            ("dev-public-us-east-1b", "10.1.0.0/20", true),
            ("dev-private-us-east-1b", "10.1.128.0/20", false),
            ("dev-public-us-east-1a", "10.1.48.0/20", true),
            ("dev-private-us-east-1a", "10.1.176.0/20", false),
        ];
        assert_eq!(pairs(&subnets), expected);
        assert_eq!(subnets[0].zone_id, "use1-az1");
    }

    #[test]
    fn existing_subnets_keep_their_cidrs() {
        let facts =
            existing(us_east_1(), "10.1.0.0/16", &[("use1-az4", Tier::Private, "10.1.250.0/24")]);
        let subnets = carve(&facts, "10.1.0.0/16").unwrap();
        assert_eq!(subnets[3].cidr, "10.1.250.0/24");
        assert_eq!(subnets[2].cidr, "10.1.48.0/20");
    }

    #[test]
    fn closed_zone_keeps_its_subnets_and_gets_no_new_ones() {
        let mut facts =
            existing(us_east_1(), "10.1.0.0/16", &[("use1-az4", Tier::Public, "10.1.48.0/20")]);
        facts.zones[0] =
            zone("us-east-1a", "use1-az4", ZoneType::AvailabilityZone, ZoneState::Unavailable);
        let expected = [
            ("dev-public-us-east-1b", "10.1.0.0/20", true),
            ("dev-private-us-east-1b", "10.1.128.0/20", false),
            ("dev-public-us-east-1a", "10.1.48.0/20", true),
        ];
        assert_eq!(pairs(&carve(&facts, "10.1.0.0/16").unwrap()), expected);
    }

    #[test]
    fn new_subnet_colliding_with_an_existing_one_is_exhausted() {
        let kept = [("use1-az4", Tier::Public, "10.1.0.0/20")];
        let error = carve(&existing(us_east_1(), "10.1.0.0/16", &kept), "10.1.0.0/16").unwrap_err();
        let PlanError::AddressSpaceExhausted(text) = error else { panic!("{error:?}") };
        for part in ["`us-east-1`", "`us-east-1b`", "public", "`10.1.0.0/20`", "`use1-az4`"] {
            assert!(text.contains(part), "{part}: {text}");
        }
    }

    #[test]
    fn existing_subnet_outside_the_vpc_is_an_error() {
        let kept = [("use1-az1", Tier::Private, "10.2.0.0/24")];
        let error = carve(&existing(us_east_1(), "10.1.0.0/16", &kept), "10.1.0.0/16").unwrap_err();
        let PlanError::Other(text) = error else { panic!("{error:?}") };
        for part in ["`us-east-1`", "`10.2.0.0/24`", "`use1-az1`", "`10.1.0.0/16`"] {
            assert!(text.contains(part), "{part}: {text}");
        }
    }

    #[test]
    fn non_ipv4_vpc_fails_new_subnets() {
        assert!(matches!(carve(&us_east_1(), "vpc"), Err(PlanError::Other(_))));
    }

    #[test]
    fn labels_spell_the_tier() {
        let labels = [Tier::Public, Tier::Private, Tier::Isolated].map(label);
        assert_eq!(labels, ["public", "private", "isolated"]);
    }
}
