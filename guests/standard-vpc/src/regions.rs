//! The fixed table that gives every AWS region its own `/16` inside the base range.

use ipnet::Ipv4Net;
use vpc_plugin_kit::types::PlanError;

/// Each region's slot: slot `k` is the `k`-th `/16` of the base range, counting from 0, so with
/// the default base `10.0.0.0/8` `us-east-1` gets `10.1.0.0/16`. Slot 0 is never used.
///
/// This table is append-only, forever. A VPC's CIDR cannot change once it exists, so moving a
/// region to another slot, or reusing a slot, would make every plan for an existing managed VPC
/// disagree with it. New regions get the next free number at the end.
const SLOTS: &[(&str, usize)] = &[
    ("us-east-1", 1),
    ("us-east-2", 2),
    ("us-west-1", 3),
    ("us-west-2", 4),
    ("ca-central-1", 5),
    ("sa-east-1", 6),
    ("eu-west-1", 7),
    ("eu-west-2", 8),
    ("eu-west-3", 9),
    ("eu-central-1", 10),
    ("eu-north-1", 11),
    ("eu-south-1", 12),
    ("ap-northeast-1", 13),
    ("ap-northeast-2", 14),
    ("ap-northeast-3", 15),
    ("ap-southeast-1", 16),
    ("ap-southeast-2", 17),
    ("ap-south-1", 18),
    ("ap-east-1", 19),
    ("me-south-1", 20),
    ("af-south-1", 21),
    ("ap-southeast-3", 22),
    ("ap-south-2", 23),
    ("eu-south-2", 24),
    ("eu-central-2", 25),
    ("me-central-1", 26),
    ("ap-southeast-4", 27),
    ("il-central-1", 28),
    ("ca-west-1", 29),
    ("ap-southeast-5", 30),
    ("mx-central-1", 31),
    ("ap-southeast-7", 32),
    ("ap-east-2", 33),
    ("ap-southeast-6", 34),
    ("us-gov-west-1", 35),
    ("us-gov-east-1", 36),
    ("cn-north-1", 37),
    ("cn-northwest-1", 38),
];

/// The `/16` that `region` gets inside `base`.
pub fn vpc_cidr(region: &str, base: Ipv4Net) -> Result<Ipv4Net, PlanError> {
    let slot = slot(region).ok_or_else(|| {
        PlanError::UnsupportedRegion(format!(
            "region `{region}` has no address slot in this plugin's region table"
        ))
    })?;
    let mut sixteens = base.subnets(16).map_err(|_| exhausted(region, base))?;
    sixteens.nth(slot).ok_or_else(|| exhausted(region, base))
}

/// The slot of `region`, if the table has one.
fn slot(region: &str) -> Option<usize> {
    SLOTS.iter().find(|(name, _)| *name == region).map(|(_, slot)| *slot)
}

/// The error for a region whose slot lies outside `base`.
fn exhausted(region: &str, base: Ipv4Net) -> PlanError {
    PlanError::AddressSpaceExhausted(format!(
        "region `{region}` needs the /16 at slot `{}` of `{base}`, which holds fewer",
        slot(region).unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn base(text: &str) -> Ipv4Net {
        text.parse().unwrap()
    }

    #[test]
    fn slots_are_unique_and_never_zero() {
        let slots: BTreeSet<usize> = SLOTS.iter().map(|(_, slot)| *slot).collect();
        let names: BTreeSet<&str> = SLOTS.iter().map(|(name, _)| *name).collect();
        assert_eq!(slots.len(), SLOTS.len());
        assert_eq!(names.len(), SLOTS.len());
        assert!(!slots.contains(&0));
    }

    #[test]
    fn pins_existing_slots() {
        let cases = [
            ("us-east-1", "10.1.0.0/16"),
            ("eu-north-1", "10.11.0.0/16"),
            ("us-west-2", "10.4.0.0/16"),
            ("cn-northwest-1", "10.38.0.0/16"),
        ];
        for (region, cidr) in cases {
            assert_eq!(vpc_cidr(region, base("10.0.0.0/8")).unwrap().to_string(), cidr);
        }
    }

    #[test]
    fn slot_is_relative_to_the_base() {
        let cidr = vpc_cidr("us-east-2", base("172.16.0.0/12")).unwrap();
        assert_eq!(cidr.to_string(), "172.18.0.0/16");
    }

    #[test]
    fn knows_the_newest_and_partitioned_regions() {
        let newest = ["ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "mx-central-1"];
        let others = ["ca-west-1", "ap-east-2", "us-gov-west-1", "us-gov-east-1", "cn-north-1"];
        for region in newest.into_iter().chain(others) {
            assert!(slot(region).is_some(), "{region}");
        }
    }

    #[test]
    fn unknown_region_is_unsupported() {
        let error = vpc_cidr("xx-nowhere-1", base("10.0.0.0/8")).unwrap_err();
        assert!(
            matches!(error, PlanError::UnsupportedRegion(text) if text.contains("`xx-nowhere-1`"))
        );
    }

    #[test]
    fn what_a_base_holds_is_what_the_readme_says() {
        assert!(SLOTS.iter().all(|(region, _)| vpc_cidr(region, base("10.0.0.0/8")).is_ok()));
        assert!(SLOTS.iter().all(|(region, _)| vpc_cidr(region, base("10.0.0.0/16")).is_err()));
        let twelve =
            SLOTS.iter().filter(|(region, _)| vpc_cidr(region, base("10.0.0.0/12")).is_ok());
        let twelve: Vec<usize> = twelve.map(|(_, slot)| *slot).collect();
        assert_eq!(twelve, (1..=15).collect::<Vec<_>>());
    }

    #[test]
    fn slot_beyond_base_is_exhausted() {
        assert!(vpc_cidr("ap-northeast-3", base("10.0.0.0/12")).is_ok());
        let error = vpc_cidr("ap-southeast-1", base("10.0.0.0/12")).unwrap_err();
        let PlanError::AddressSpaceExhausted(text) = error else { panic!("{error:?}") };
        assert!(text.contains("`ap-southeast-1`") && text.contains("`10.0.0.0/12`"), "{text}");
    }
}
