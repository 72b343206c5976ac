//! The subnets of a region: one per availability zone and tier, named after the managed set,
//! keeping the CIDRs of those that already exist.

use ipnet::Ipv4Net;

use crate::cidr;
use crate::types::{PlanError, RegionFacts, Subnet, Tier};
use crate::zones::Az;

/// Every subnet of the region that `facts` describes: for each of `azs` in order, one per tier
/// of `tiers`, in order.
///
/// A subnet that already exists with the zone ID and tier keeps its CIDR; a new one takes what
/// `layout` carves for it out of the VPC `vpc_cidr`. Subnets are named `{name}-{tier}-{zone}`,
/// and only public ones give instances public IPs.
pub fn plan(
    name: &str,
    facts: &RegionFacts,
    azs: &[Az],
    tiers: &[Tier],
    vpc_cidr: &str,
    layout: impl Fn(&str, Ipv4Net, &Az, Tier) -> Result<Ipv4Net, PlanError>,
) -> Result<Vec<Subnet>, PlanError> {
    let mut subnets = Vec::new();
    for az in azs {
        for &tier in tiers {
            let cidr = match existing(facts, az, tier) {
                Some(cidr) => cidr,
                None => layout(&facts.region, cidr::vpc(&facts.region, vpc_cidr)?, az, tier)?
                    .to_string(),
            };
            subnets.push(subnet(name, az, tier, cidr));
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

/// The CIDR of the existing subnet in `az` with `tier`, if there is one.
fn existing(facts: &RegionFacts, az: &Az, tier: Tier) -> Option<String> {
    let existing = facts.existing.as_ref()?;
    let same =
        existing.subnets.iter().find(|subnet| subnet.zone_id == az.id && subnet.tier == tier);
    same.map(|subnet| subnet.cidr.clone())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cidr::Block;
    use crate::fixtures::{az, existing, facts};
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
        let azs = zones::usable(facts)?;
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
            existing(us_east_1(), "10.1.0.0/16", &[("use1-az4", Tier::Private, "10.1.9.0/24")]);
        let subnets = carve(&facts, "10.1.0.0/16").unwrap();
        assert_eq!(subnets[3].cidr, "10.1.9.0/24");
        assert_eq!(subnets[2].cidr, "10.1.48.0/20");
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
