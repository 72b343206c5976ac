//! The AWS regions the host knows by name, and dstack's default region list.

/// Every AWS region code, in the commercial, GovCloud and China partitions.
///
/// A config naming a region outside this list is rejected, which catches typos
/// such as `us-east1` before anything asks EC2.
pub const KNOWN: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// The regions dstack's AWS backend uses when its config has no `regions` key.
pub const DSTACK_DEFAULT: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ap-southeast-1",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-north-1",
];

/// The prefix of the zone IDs of a region, as EC2 writes them: `use1` for
/// `us-east-1`, `apse2` for `ap-southeast-2`, `usgw1` for `us-gov-west-1`.
pub fn zone_id_prefix(code: &str) -> Option<String> {
    let mut parts = code.split('-');
    let mut prefix = parts.next()?.to_string();
    let parts: Vec<&str> = parts.collect();
    let (number, words) = parts.split_last()?;
    for word in words {
        prefix.push_str(match *word {
            "north" => "n",
            "south" => "s",
            "east" => "e",
            "west" => "w",
            "central" => "c",
            "northeast" => "ne",
            "northwest" => "nw",
            "southeast" => "se",
            "southwest" => "sw",
            "gov" => "g",
            _ => return None,
        });
    }
    prefix.push_str(number);
    Some(prefix)
}

/// Whether `code` names a known AWS region.
pub fn is_known(code: &str) -> bool {
    KNOWN.binary_search(&code).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_regions_are_sorted_for_binary_search() {
        assert!(KNOWN.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn zone_id_prefixes_follow_ec2s_abbreviations() {
        let cases = [
            ("us-east-1", "use1"),
            ("ap-southeast-2", "apse2"),
            ("us-gov-west-1", "usgw1"),
            ("cn-northwest-1", "cnnw1"),
            ("eu-central-2", "euc2"),
        ];
        for (region, prefix) in cases {
            assert_eq!(zone_id_prefix(region).as_deref(), Some(prefix));
        }
        assert!(KNOWN.iter().all(|region| zone_id_prefix(region).is_some()));
    }

    #[test]
    fn dstack_defaults_are_known() {
        assert!(DSTACK_DEFAULT.iter().all(|region| is_known(region)));
    }
}
