//! Where each subnet sits inside its VPC.
//!
//! The VPC splits into quarters: public subnets take the first quarter, isolated subnets the
//! second, and private subnets the upper half (the last two quarters), so that they are the
//! largest. Each of these blocks splits into eight equal parts, one per zone ID number 1 to 8.
//! In a `/16` that makes public and isolated subnets `/21` and private subnets `/20`. A
//! subnet's place depends only on its zone ID and tier, so adding a zone moves nothing.

use ipnet::Ipv4Net;
use vpc_plugin_kit::cidr::{self, Block};
use vpc_plugin_kit::types::{PlanError, Tier};
use vpc_plugin_kit::zones::Az;

/// The CIDR of the `tier` subnet of `az`, in the VPC `vpc` of `region`.
pub fn subnet(region: &str, vpc: Ipv4Net, az: &Az, tier: Tier) -> Result<Ipv4Net, PlanError> {
    let block = match tier {
        Tier::Public => Block { bits: 2, index: 0 },
        Tier::Isolated => Block { bits: 2, index: 1 },
        Tier::Private => Block { bits: 1, index: 1 },
    };
    cidr::subnet(region, vpc, block, az)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carve(vpc_cidr: &str, number: u32, tier: Tier) -> Result<String, PlanError> {
        let az = Az { name: "zone".into(), id: format!("use1-az{number}"), number, open: true };
        subnet("us-east-1", cidr::vpc("us-east-1", vpc_cidr)?, &az, tier).map(|net| net.to_string())
    }

    #[test]
    fn sixteen_gives_public_isolated_21s_and_private_20s() {
        assert_eq!(carve("10.20.0.0/16", 1, Tier::Public).unwrap(), "10.20.0.0/21");
        assert_eq!(carve("10.20.0.0/16", 8, Tier::Public).unwrap(), "10.20.56.0/21");
        assert_eq!(carve("10.20.0.0/16", 1, Tier::Isolated).unwrap(), "10.20.64.0/21");
        assert_eq!(carve("10.20.0.0/16", 1, Tier::Private).unwrap(), "10.20.128.0/20");
        assert_eq!(carve("10.20.0.0/16", 8, Tier::Private).unwrap(), "10.20.240.0/20");
    }

    #[test]
    fn twenty_carves_proportionally() {
        assert_eq!(carve("10.21.0.0/20", 2, Tier::Public).unwrap(), "10.21.0.128/25");
        assert_eq!(carve("10.21.0.0/20", 2, Tier::Isolated).unwrap(), "10.21.4.128/25");
        assert_eq!(carve("10.21.0.0/20", 2, Tier::Private).unwrap(), "10.21.9.0/24");
    }

    #[test]
    fn limits_are_address_space_errors() {
        for (cidr, number) in [("10.0.0.0/24", 1), ("10.0.0.0/16", 9)] {
            let error = carve(cidr, number, Tier::Public).unwrap_err();
            assert!(matches!(error, PlanError::AddressSpaceExhausted(_)), "{cidr} {number}");
        }
    }
}
