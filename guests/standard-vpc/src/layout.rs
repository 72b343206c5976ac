//! Where each subnet sits inside its VPC.
//!
//! The VPC splits into two halves: public subnets in the lower one, private subnets in the
//! upper one. Each half splits into eight equal parts, one per zone ID number 1 to 8, so in a
//! `/16` every subnet is a `/20`. A subnet's place depends only on its zone ID and tier, which
//! is why adding an availability zone never moves an existing subnet.

use ipnet::Ipv4Net;
use vpc_plugin_kit::cidr::{self, Block};
use vpc_plugin_kit::types::{PlanError, Tier};
use vpc_plugin_kit::zones::Az;

/// The CIDR of the `tier` subnet of `az`, in the VPC `vpc` of `region`.
///
/// This plugin plans no isolated subnets; were it asked, they would share the upper half.
pub fn subnet(region: &str, vpc: Ipv4Net, az: &Az, tier: Tier) -> Result<Ipv4Net, PlanError> {
    let half = match tier {
        Tier::Public => 0,
        Tier::Private | Tier::Isolated => 1,
    };
    cidr::subnet(region, vpc, Block { bits: 1, index: half }, az)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn az(number: u32) -> Az {
        Az { name: format!("zone-{number}"), id: format!("use1-az{number}"), number, open: true }
    }

    fn carve(vpc_cidr: &str, number: u32, tier: Tier) -> Result<String, PlanError> {
        let vpc = cidr::vpc("us-east-1", vpc_cidr)?;
        subnet("us-east-1", vpc, &az(number), tier).map(|net| net.to_string())
    }

    #[test]
    fn sixteen_gives_twenties_by_zone_number() {
        assert_eq!(carve("10.1.0.0/16", 1, Tier::Public).unwrap(), "10.1.0.0/20");
        assert_eq!(carve("10.1.0.0/16", 4, Tier::Public).unwrap(), "10.1.48.0/20");
        assert_eq!(carve("10.1.0.0/16", 8, Tier::Public).unwrap(), "10.1.112.0/20");
        assert_eq!(carve("10.1.0.0/16", 1, Tier::Private).unwrap(), "10.1.128.0/20");
        assert_eq!(carve("10.1.0.0/16", 8, Tier::Private).unwrap(), "10.1.240.0/20");
    }

    #[test]
    fn other_prefixes_carve_proportionally() {
        assert_eq!(carve("172.31.0.0/20", 2, Tier::Public).unwrap(), "172.31.1.0/24");
        assert_eq!(carve("172.31.0.0/20", 2, Tier::Private).unwrap(), "172.31.9.0/24");
        assert_eq!(carve("10.9.0.0/24", 3, Tier::Private).unwrap(), "10.9.0.160/28");
    }

    #[test]
    fn too_small_vpc_is_exhausted() {
        let error = carve("10.9.0.0/25", 1, Tier::Public).unwrap_err();
        let PlanError::AddressSpaceExhausted(text) = error else { panic!("{error:?}") };
        assert!(text.contains("`10.9.0.0/25`"), "{text}");
    }
}
