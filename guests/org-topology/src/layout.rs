//! Where each subnet sits inside its VPC.
//!
//! The VPC splits into quarters: public subnets take the first quarter, isolated subnets the
//! second, and private subnets the upper half (the last two quarters), so that they are the
//! largest. Each of these blocks splits into eight equal parts, one per zone ID number 1 to 8.
//! In a `/16` that makes public and isolated subnets `/21` and private subnets `/20`. A
//! subnet's place depends only on its zone ID and tier, so adding a zone moves nothing.

use ipnet::Ipv4Net;

use crate::bindings::host::vpc::types::{PlanError, Tier};
use crate::zones::Az;

/// Extra prefix bits that split a block into its eight zone parts.
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
pub fn subnet(region: &str, vpc: Ipv4Net, az: &Az, tier: Tier) -> Result<Ipv4Net, PlanError> {
    let slot = zone_slot(region, az)?;
    let (block_len, block) = match tier {
        Tier::Public => (vpc.prefix_len() + 2, 0),
        Tier::Isolated => (vpc.prefix_len() + 2, 1),
        Tier::Private => (vpc.prefix_len() + 1, 1),
    };
    let part_len = block_len + ZONE_BITS;
    if part_len > LONGEST_PREFIX {
        return Err(PlanError::AddressSpaceExhausted(format!(
            "the VPC `{vpc}` of region `{region}` is too small to hold a /{part_len} subnet per \
             zone and tier"
        )));
    }
    Ok(nth(nth(vpc, block_len, block), part_len, slot))
}

/// The part of each block that zone `az` owns: its zone ID number minus one.
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

    fn carve(vpc_cidr: &str, number: u32, tier: Tier) -> Result<String, PlanError> {
        let az = Az { name: "zone".into(), id: format!("use1-az{number}"), number };
        subnet("us-east-1", vpc("us-east-1", vpc_cidr)?, &az, tier).map(|net| net.to_string())
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
