//! Where each subnet sits inside its VPC.
//!
//! The VPC splits into two halves: public subnets in the lower one, private subnets in the
//! upper one. Each half splits into eight equal parts, one per zone ID number 1 to 8, so in a
//! `/16` every subnet is a `/20`. A subnet's place depends only on its zone ID and tier, which
//! is why adding an availability zone never moves an existing subnet.

use ipnet::Ipv4Net;

use crate::bindings::host::vpc::types::{PlanError, Tier};
use crate::zones::Az;

/// Extra prefix bits that split a half into its eight zone parts.
const ZONE_BITS: u8 = 3;

/// The smallest subnet EC2 accepts is a `/28`.
const LONGEST_PREFIX: u8 = 28;

/// Parses the VPC CIDR of `region` into a network.
pub fn vpc(region: &str, cidr: &str) -> Result<Ipv4Net, PlanError> {
    cidr.parse::<Ipv4Net>().map(|net| net.trunc()).map_err(|_| {
        PlanError::Other(format!(
            "the VPC of region `{region}` has CIDR `{cidr}`, which is not IPv4"
        ))
    })
}

/// The CIDR of the `tier` subnet of `az`, in the VPC `vpc` of `region`.
///
/// This plugin plans no isolated subnets; were it asked, they would share the upper half.
pub fn subnet(region: &str, vpc: Ipv4Net, az: &Az, tier: Tier) -> Result<Ipv4Net, PlanError> {
    let slot = zone_slot(region, az)?;
    let half_len = vpc.prefix_len() + 1;
    let part_len = half_len + ZONE_BITS;
    if part_len > LONGEST_PREFIX {
        return Err(PlanError::AddressSpaceExhausted(format!(
            "the VPC `{vpc}` of region `{region}` is too small to hold a /{part_len} subnet per \
             zone and tier"
        )));
    }
    let half = match tier {
        Tier::Public => 0,
        Tier::Private | Tier::Isolated => 1,
    };
    Ok(nth(nth(vpc, half_len, half), part_len, slot))
}

/// The part of the VPC halves that zone `az` owns: its zone ID number minus one.
fn zone_slot(region: &str, az: &Az) -> Result<usize, PlanError> {
    match az.number {
        1..=8 => Ok(az.number as usize - 1),
        _ => Err(PlanError::AddressSpaceExhausted(format!(
            "zone `{}` (`{}`) of region `{region}` is past the 8 zones a VPC has room for",
            az.name, az.id
        ))),
    }
}

/// The `index`-th `/len` network inside `net`; callers keep both within range.
fn nth(net: Ipv4Net, len: u8, index: usize) -> Ipv4Net {
    let mut parts = net.subnets(len).expect("the caller checked the prefix length");
    parts.nth(index).expect("the caller checked the index")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn az(number: u32) -> Az {
        Az { name: format!("zone-{number}"), id: format!("use1-az{number}"), number }
    }

    fn carve(vpc_cidr: &str, number: u32, tier: Tier) -> Result<String, PlanError> {
        let vpc = vpc("us-east-1", vpc_cidr)?;
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

    #[test]
    fn zone_numbers_past_eight_are_exhausted() {
        for number in [0, 9] {
            let error = carve("10.1.0.0/16", number, Tier::Public).unwrap_err();
            let PlanError::AddressSpaceExhausted(text) = error else { panic!("{error:?}") };
            assert!(text.contains(&format!("`use1-az{number}`")), "{text}");
        }
    }

    #[test]
    fn non_ipv4_vpc_is_an_error() {
        assert!(matches!(carve("vpc", 1, Tier::Public), Err(PlanError::Other(_))));
    }
}
