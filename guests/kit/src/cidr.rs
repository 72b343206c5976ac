//! CIDR carving: a VPC splits into blocks, and every block into eight parts, one per zone ID
//! number 1 to 8.
//!
//! A subnet's place then depends only on its block and zone ID, which is why adding an
//! availability zone never moves an existing subnet. Which tier takes which block is the
//! plugin's layout.

use ipnet::Ipv4Net;

use crate::types::PlanError;
use crate::zones::Az;

/// Extra prefix bits that split a block into its eight zone parts.
const ZONE_BITS: u8 = 3;

/// The smallest subnet EC2 accepts is a `/28`.
const LONGEST_PREFIX: u8 = 28;

/// A block of a VPC: the `index`-th of the `2^bits` equal parts the VPC splits into, so
/// `Block { bits: 1, index: 1 }` is the upper half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// How many extra prefix bits split the VPC into blocks.
    pub bits: u8,
    /// Which block, counting from 0; below `2^bits`.
    pub index: usize,
}

/// Parses the VPC CIDR of `region` into a network.
pub fn vpc(region: &str, cidr: &str) -> Result<Ipv4Net, PlanError> {
    cidr.parse::<Ipv4Net>().map(|net| net.trunc()).map_err(|_| {
        PlanError::Other(format!(
            "the VPC of region `{region}` has CIDR `{cidr}`, which is not IPv4"
        ))
    })
}

/// The part of `block` that zone `az` owns, in the VPC `vpc` of `region`.
///
/// An error when the zone ID number is past 8 or the part would be longer than a `/28`.
pub fn subnet(region: &str, vpc: Ipv4Net, block: Block, az: &Az) -> Result<Ipv4Net, PlanError> {
    let slot = zone_slot(region, az)?;
    let block_len = vpc.prefix_len() + block.bits;
    let part_len = block_len + ZONE_BITS;
    if part_len > LONGEST_PREFIX {
        return Err(PlanError::AddressSpaceExhausted(format!(
            "the VPC `{vpc}` of region `{region}` is too small to hold a /{part_len} subnet per \
             zone and tier"
        )));
    }
    Ok(nth(nth(vpc, block_len, block.index), part_len, slot))
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

    fn carve(vpc_cidr: &str, number: u32, block: Block) -> Result<String, PlanError> {
        let (name, id) = (format!("zone-{number}"), format!("use1-az{number}"));
        let az = Az { name, id, number, open: true };
        let vpc = vpc("us-east-1", vpc_cidr)?;
        subnet("us-east-1", vpc, block, &az).map(|net| net.to_string())
    }

    #[test]
    fn blocks_split_by_zone_number() {
        let upper = Block { bits: 1, index: 1 };
        assert_eq!(carve("10.1.0.0/16", 1, upper).unwrap(), "10.1.128.0/20");
        assert_eq!(carve("10.1.0.0/16", 8, upper).unwrap(), "10.1.240.0/20");
        let second_quarter = Block { bits: 2, index: 1 };
        assert_eq!(carve("10.1.0.0/16", 2, second_quarter).unwrap(), "10.1.72.0/21");
    }

    #[test]
    fn host_bits_of_the_vpc_are_ignored() {
        assert_eq!(vpc("us-east-1", "10.1.2.3/16").unwrap().to_string(), "10.1.0.0/16");
    }

    #[test]
    fn too_small_vpc_is_exhausted() {
        let error = carve("10.9.0.0/25", 1, Block { bits: 1, index: 0 }).unwrap_err();
        let PlanError::AddressSpaceExhausted(text) = error else { panic!("{error:?}") };
        assert!(text.contains("`10.9.0.0/25`") && text.contains("/29"), "{text}");
    }

    #[test]
    fn zone_numbers_past_eight_are_exhausted() {
        for number in [0, 9] {
            let error = carve("10.1.0.0/16", number, Block { bits: 1, index: 0 }).unwrap_err();
            let PlanError::AddressSpaceExhausted(text) = error else { panic!("{error:?}") };
            assert!(text.contains(&format!("`use1-az{number}`")), "{text}");
        }
    }

    #[test]
    fn non_ipv4_vpc_is_an_error() {
        let error = vpc("us-east-1", "fd00::/56").unwrap_err();
        assert!(matches!(error, PlanError::Other(text) if text.contains("`us-east-1`")));
    }
}
