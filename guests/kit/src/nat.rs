//! Where a region's one zonal NAT gateway goes, so that a re-plan leaves it where it is.
//!
//! A zonal NAT gateway lives in a public subnet. Moving it replaces it, and with it the address
//! its traffic leaves from, so a plan keeps it in its zone for as long as that zone has a
//! public subnet, impaired or not; only a region without one gets a new gateway.

use crate::types::{PlanError, RegionFacts, Subnet, Tier};
use crate::zones::Az;

/// The zone of the region's one zonal NAT gateway, given the `azs` and planned `subnets` of the
/// region that `facts` describes, both in zone ID order.
///
/// That is the zone of an existing zonal NAT gateway that still has a public subnet (the lowest
/// zone ID number first, should there be several); else the open zone with the lowest zone ID
/// number that has a public subnet. An error when there is neither.
pub fn single(facts: &RegionFacts, azs: &[Az], subnets: &[Subnet]) -> Result<String, PlanError> {
    let existing = facts.existing.iter().flat_map(|vpc| &vpc.zonal_nat_zones);
    let existing: Vec<&String> = existing.collect();
    let public = || subnets.iter().filter(|subnet| subnet.tier == Tier::Public);
    if let Some(kept) = public().find(|subnet| existing.contains(&&subnet.zone)) {
        return Ok(kept.zone.clone());
    }
    let open = |subnet: &&Subnet| azs.iter().any(|az| az.open && az.id == subnet.zone_id);
    match public().find(open) {
        Some(fresh) => Ok(fresh.zone.clone()),
        None => Err(PlanError::Other(format!(
            "region `{}` has no available availability zone with a public subnet to put a new \
             NAT gateway in",
            facts.region
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{az, existing, facts, zonal_nats, zone};
    use crate::types::{ZoneState, ZoneType};
    use crate::{subnets, zones};

    /// `us-east-1c` (`use1-az1`) in `state` and `us-east-1a` (`use1-az4`), with an existing
    /// public subnet in `use1-az1` and NAT gateways in `nats`.
    fn us_east_1(state: ZoneState, nats: &[&str]) -> RegionFacts {
        let zones = vec![
            az("us-east-1a", "use1-az4"),
            zone("us-east-1c", "use1-az1", ZoneType::AvailabilityZone, state),
        ];
        let kept = [("use1-az1", Tier::Public, "10.1.0.0/24")];
        zonal_nats(existing(facts("us-east-1", zones), "10.1.0.0/16", &kept), nats)
    }

    fn place(facts: &RegionFacts, tiers: &[Tier]) -> Result<String, PlanError> {
        let azs = zones::planned(facts)?;
        let layout = |_: &str, vpc: ipnet::Ipv4Net, az: &Az, _: Tier| {
            crate::cidr::subnet("us-east-1", vpc, crate::cidr::Block { bits: 1, index: 1 }, az)
        };
        let subnets = subnets::plan("dev", facts, &azs, tiers, "10.1.0.0/16", layout)?;
        single(facts, &azs, &subnets)
    }

    #[test]
    fn without_a_nat_the_lowest_open_zone_id_takes_it() {
        let public = [Tier::Public];
        assert_eq!(place(&us_east_1(ZoneState::Available, &[]), &public).unwrap(), "us-east-1c");
        assert_eq!(place(&us_east_1(ZoneState::Impaired, &[]), &public).unwrap(), "us-east-1a");
    }

    #[test]
    fn an_existing_nat_stays_while_its_zone_has_a_public_subnet() {
        for state in [ZoneState::Available, ZoneState::Impaired, ZoneState::Unavailable] {
            let facts = us_east_1(state, &["us-east-1a", "us-east-1c"]);
            assert_eq!(place(&facts, &[Tier::Public]).unwrap(), "us-east-1c", "{state:?}");
        }
        let facts = us_east_1(ZoneState::Available, &["us-east-1a"]);
        assert_eq!(place(&facts, &[Tier::Public]).unwrap(), "us-east-1a");
    }

    #[test]
    fn a_nat_in_a_zone_without_a_public_subnet_moves() {
        let facts = us_east_1(ZoneState::Available, &["us-east-1f"]);
        assert_eq!(place(&facts, &[Tier::Public]).unwrap(), "us-east-1c");
    }

    #[test]
    fn no_open_zone_with_a_public_subnet_is_an_error() {
        let mut facts = us_east_1(ZoneState::Impaired, &[]);
        facts.zones.remove(0);
        let error = place(&facts, &[Tier::Private]).unwrap_err();
        assert!(matches!(error, PlanError::Other(text) if text.contains("`us-east-1`")));
    }
}
