//! What the host knows about each region before planning: zones, the CIDRs in
//! use, the Elastic IPs held and the Elastic IP quota.
//!
//! Offline runs read the same facts from a JSON file (`--facts FILE`), so CI can
//! plan and validate without AWS credentials.

use std::net::Ipv4Addr;
use std::path::Path;

use anyhow::Result;
use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use crate::error::bad_input;
use crate::regions;

/// The version of the facts file format this host reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Facts for every enabled region of the account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// The format version; must equal [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// One entry per enabled region.
    pub regions: Vec<RegionFacts>,
}

/// Facts about one region.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegionFacts {
    /// The region code.
    pub region: String,
    /// Every zone EC2 lists, local and wavelength zones included.
    pub zones: Vec<Zone>,
    /// CIDR blocks of VPCs this managed set does not own.
    #[serde(default)]
    pub other_vpc_cidrs: Vec<Ipv4Net>,
    /// This managed set's VPC in the region, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing: Option<ExistingVpc>,
    /// Elastic IPs this managed set holds.
    #[serde(default)]
    pub elastic_ips: Vec<ElasticIp>,
    /// Elastic IPs allocated in the region by anyone in the account; at least
    /// `elastic_ips.len()`.
    #[serde(default)]
    pub elastic_ips_allocated: Option<u32>,
    /// How many Elastic IPs the account may hold in the region.
    pub elastic_ip_quota: u32,
}

/// One zone of a region.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// The zone name, such as `us-east-1a`.
    pub name: String,
    /// The zone ID, such as `use1-az4`.
    pub zone_id: String,
    /// The kind of zone.
    pub zone_type: ZoneType,
    /// Its state.
    pub state: ZoneState,
}

/// The kind of an EC2 zone.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ZoneType {
    /// A regular availability zone.
    AvailabilityZone,
    /// A Local Zone.
    LocalZone,
    /// A Wavelength Zone.
    WavelengthZone,
    /// Anything else, such as an Outpost.
    Other,
}

/// The state of an EC2 zone.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ZoneState {
    /// Accepts new resources.
    Available,
    /// Works, with a notice attached.
    Information,
    /// Degraded.
    Impaired,
    /// Accepts no new resources.
    Unavailable,
}

/// The tier of a subnet.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Routed to the internet gateway.
    Public,
    /// Routed to a NAT gateway.
    Private,
    /// No route out of the VPC.
    Isolated,
}

/// The managed set's VPC as it exists.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExistingVpc {
    /// Its primary CIDR block.
    pub cidr: Ipv4Net,
    /// Its subnets.
    #[serde(default)]
    pub subnets: Vec<ExistingSubnet>,
    /// The zones of the zonal NAT gateways it has.
    #[serde(default)]
    pub zonal_nat_zones: Vec<String>,
}

/// One of the managed set's subnets as it exists.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExistingSubnet {
    /// Its zone ID.
    pub zone_id: String,
    /// Its tier.
    pub tier: Tier,
    /// Its CIDR block.
    pub cidr: Ipv4Net,
}

/// An Elastic IP held by the managed set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ElasticIp {
    /// The allocation ID.
    pub allocation_id: String,
    /// The public address.
    pub public_ip: String,
}

impl Facts {
    /// Reads and checks a facts file.
    pub fn load(path: &Path) -> Result<Facts> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| bad_input(format!("cannot read facts `{}`: {err}", path.display())))?;
        Facts::parse(&text, path)
    }

    /// Parses and checks facts text; `path` only names it in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Facts> {
        let shown = path.display();
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let facts: Facts = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
            bad_input(format!("facts `{shown}`: at `{}`: {}", err.path(), err.inner()))
        })?;
        facts.check().map_err(|message| bad_input(format!("facts `{shown}`: {message}")))?;
        Ok(facts)
    }

    /// The facts of `region`, if the region is enabled.
    pub fn region(&self, region: &str) -> Option<&RegionFacts> {
        self.regions.iter().find(|facts| facts.region == region)
    }

    fn check(&self) -> std::result::Result<(), String> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(format!(
                "`schema_version` is {}, but this host reads version {SCHEMA_VERSION}",
                self.schema_version
            ));
        }
        for (index, region) in self.regions.iter().enumerate() {
            if !regions::is_known(&region.region) {
                return Err(format!("`regions[{index}]`: unknown region `{}`", region.region));
            }
            if self.regions[..index].iter().any(|seen| seen.region == region.region) {
                return Err(format!("region `{}` is listed twice", region.region));
            }
            region.check().map_err(|message| format!("region `{}`: {message}", region.region))?;
        }
        Ok(())
    }
}

impl RegionFacts {
    fn check(&self) -> std::result::Result<(), String> {
        for (index, zone) in self.zones.iter().enumerate() {
            let named = is_code(&zone.name) && zone.name.starts_with(self.region.as_str());
            let id_prefix = regions::zone_id_prefix(&self.region).map(|p| format!("{p}-"));
            let identified = is_code(&zone.zone_id)
                && id_prefix.is_some_and(|prefix| zone.zone_id.starts_with(&prefix));
            if !named || !identified {
                return Err(format!(
                    "`zones[{index}]`: `{}` (`{}`) is not a zone name and ID of this region",
                    zone.name.escape_debug(),
                    zone.zone_id.escape_debug()
                ));
            }
            let earlier = &self.zones[..index];
            if earlier.iter().any(|z| z.name == zone.name || z.zone_id == zone.zone_id) {
                return Err(format!("zone `{}` (`{}`) is listed twice", zone.name, zone.zone_id));
            }
        }
        for cidr in &self.other_vpc_cidrs {
            check_network("`other_vpc_cidrs`", cidr)?;
        }
        if let Some(existing) = &self.existing {
            self.check_existing(existing)?;
        }
        for ip in &self.elastic_ips {
            let valid = is_code(&ip.allocation_id) && ip.public_ip.parse::<Ipv4Addr>().is_ok();
            if !valid {
                return Err(format!(
                    "Elastic IP `{}` needs an allocation ID and an IPv4 `public_ip`",
                    ip.allocation_id.escape_debug()
                ));
            }
        }
        Ok(())
    }

    fn check_existing(&self, existing: &ExistingVpc) -> std::result::Result<(), String> {
        check_network("the existing VPC", &existing.cidr)?;
        for subnet in &existing.subnets {
            let owner = "the existing subnet".to_string();
            check_network(&owner, &subnet.cidr)?;
            let owner = format!("{owner} {}", subnet.cidr);
            if !existing.cidr.contains(&subnet.cidr) {
                return Err(format!("{owner} is outside the existing VPC {}", existing.cidr));
            }
            if !self.zones.iter().any(|zone| zone.zone_id == subnet.zone_id) {
                return Err(format!(
                    "{owner} is in zone `{}`, which is not listed",
                    subnet.zone_id
                ));
            }
        }
        for zone in &existing.zonal_nat_zones {
            if !self.zones.iter().any(|listed| &listed.name == zone) {
                return Err(format!(
                    "a zonal NAT gateway is in zone `{zone}`, which is not listed"
                ));
            }
        }
        Ok(())
    }

    /// Elastic IPs allocated in the region, by this set or anyone else.
    pub fn elastic_ips_in_use(&self) -> u32 {
        let held = u32::try_from(self.elastic_ips.len()).unwrap_or(u32::MAX);
        self.elastic_ips_allocated.unwrap_or(held).max(held)
    }
}

/// Whether `text` looks like an AWS identifier: lowercase letters, digits and `-`.
fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A CIDR as EC2 reports it: no host bits set.
fn check_network(owner: &str, cidr: &Ipv4Net) -> std::result::Result<(), String> {
    if cidr.trunc() != *cidr {
        return Err(format!("{owner} {cidr} has host bits set; EC2 reports `{}`", cidr.trunc()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Facts> {
        Facts::parse(text, Path::new("facts.json"))
    }

    #[test]
    fn bad_zone_type_names_the_path() {
        let text = r#"{"schema_version":1,"regions":[{"region":"us-east-1","elastic_ip_quota":5,
            "zones":[{"name":"a","zone_id":"b","zone_type":"moon","state":"available"}]}]}"#;
        let err = load(text).unwrap_err().to_string();
        assert!(err.contains("regions[0].zones[0].zone_type"), "{err}");
    }

    #[test]
    fn bad_cidr_names_the_path() {
        let text = r#"{"schema_version":1,"regions":[{"region":"us-east-1","elastic_ip_quota":5,
            "zones":[],"other_vpc_cidrs":["10.0.0.0/33"]}]}"#;
        let err = load(text).unwrap_err().to_string();
        assert!(err.contains("regions[0].other_vpc_cidrs[0]"), "{err}");
    }

    fn region_with(extra: &str) -> String {
        format!(
            r#"{{"schema_version":1,"regions":[{{"region":"us-east-1","elastic_ip_quota":5,
            "zones":[{{"name":"us-east-1a","zone_id":"use1-az4","zone_type":"availability-zone","state":"available"}}]{extra}}}]}}"#
        )
    }

    #[test]
    fn facts_that_ec2_would_never_report_are_bad_input() {
        let cases = [
            (r#","other_vpc_cidrs":["10.1.2.3/8"]"#, "host bits"),
            (r#","existing":{"cidr":"10.1.0.1/16"}"#, "host bits"),
            (
                r#","existing":{"cidr":"10.1.0.0/16","subnets":[{"zone_id":"use1-az4","tier":"public","cidr":"10.2.0.0/20"}]}"#,
                "outside the existing VPC",
            ),
            (
                r#","existing":{"cidr":"10.1.0.0/16","subnets":[{"zone_id":"use1-az9","tier":"public","cidr":"10.1.0.0/20"}]}"#,
                "`use1-az9`, which is not listed",
            ),
            (
                r#","existing":{"cidr":"10.1.0.0/16","zonal_nat_zones":["us-east-1q"]}"#,
                "us-east-1q",
            ),
            (r#","elastic_ips":[{"allocation_id":"eipalloc-1","public_ip":"nope"}]"#, "IPv4"),
        ];
        for (extra, expected) in cases {
            let err = load(&region_with(extra)).unwrap_err().to_string();
            assert!(err.contains("region `us-east-1`") && err.contains(expected), "{err}");
        }
        let foreign_zone =
            region_with("").replace("\"name\":\"us-east-1a\"", "\"name\":\"eu-west-1a\"");
        assert!(load(&foreign_zone).unwrap_err().to_string().contains("not a zone name"));
        let foreign_id = region_with("").replace("use1-az4", "eun1-az1");
        assert!(load(&foreign_id).unwrap_err().to_string().contains("not a zone name"));
        let control = region_with("").replace("us-east-1a", "us-east-1a\\u001b[31m");
        assert!(load(&control).unwrap_err().to_string().contains("\\u{1b}"));
        load(&region_with("")).unwrap();
    }

    #[test]
    fn duplicate_regions_and_unknown_versions_are_rejected() {
        let region = r#"{"region":"us-east-1","elastic_ip_quota":5,"zones":[]}"#;
        let twice = format!(r#"{{"schema_version":1,"regions":[{region},{region}]}}"#);
        assert!(load(&twice).unwrap_err().to_string().contains("listed twice"));
        let version = format!(r#"{{"schema_version":7,"regions":[{region}]}}"#);
        assert!(load(&version).unwrap_err().to_string().contains("schema_version"));
    }

    mod scenario_10 {
        use proptest::prelude::*;
        use serde_json::{Value, json};

        use super::*;
        use crate::fuzz::{self, or_any};

        const FIXTURE: &str = include_str!("../../tests/fixtures/facts.json");

        fn region() -> impl Strategy<Value = Value> {
            // Most zones generated below are us-east-1's.
            let known = prop::sample::select(regions::KNOWN).prop_map(Value::from);
            let own = Just(Value::from("us-east-1"));
            or_any(prop_oneof![4 => own, 2 => known, 1 => fuzz::text().prop_map(Value::from)])
        }

        fn zone() -> impl Strategy<Value = Value> {
            let letter = "[a-f]|-[a-z]{3}-[0-9][a-z]?";
            let id = "(use1|use1|use1|usw2|xx)-(az|bos1-az|wl1-az)[0-9]";
            let kind = prop::sample::select(vec![
                "availability-zone",
                "local-zone",
                "wavelength-zone",
                "other",
            ]);
            let state =
                prop::sample::select(vec!["available", "information", "impaired", "unavailable"]);
            (letter, id, kind, state).prop_map(|(letter, id, kind, state)| {
                let name = format!("us-east-1{letter}");
                json!({"name": name, "zone_id": id, "zone_type": kind, "state": state})
            })
        }

        fn existing() -> impl Strategy<Value = Value> {
            let tier = prop::sample::select(vec!["public", "private", "isolated"]);
            let subnet = ("use1-az[0-9]", tier, fuzz::cidr()).prop_map(
                |(zone, tier, cidr)| json!({"zone_id": zone, "tier": tier, "cidr": cidr}),
            );
            let zones = prop::collection::vec("us-east-1[a-f]", 0..3);
            (fuzz::cidr(), prop::collection::vec(or_any(subnet), 0..6), zones).prop_map(
                |(cidr, subnets, zones)| {
                    json!({"cidr": cidr, "subnets": subnets, "zonal_nat_zones": zones})
                },
            )
        }

        fn region_facts() -> impl Strategy<Value = Value> {
            let ip = ("eipalloc-[0-9a-f]{1,17}|\\PC{0,8}", any::<[u8; 4]>())
                .prop_map(|(id, ip)| {
                    json!({"allocation_id": id, "public_ip": Ipv4Addr::from(ip).to_string()})
                });
            (
                region(),
                prop::collection::vec(or_any(zone()), 0..8),
                prop::collection::vec(or_any(fuzz::cidr().prop_map(Value::from)), 0..4),
                prop::option::of(or_any(existing())),
                prop::collection::vec(or_any(ip), 0..4),
                prop::option::of(or_any(any::<u32>().prop_map(Value::from))),
                or_any(any::<u32>().prop_map(Value::from)),
            )
                .prop_map(
                    |(region, zones, others, existing, ips, allocated, quota)| {
                        json!({
                            "region": region,
                            "zones": zones,
                            "other_vpc_cidrs": others,
                            "existing": existing,
                            "elastic_ips": ips,
                            "elastic_ips_allocated": allocated,
                            "elastic_ip_quota": quota,
                        })
                    },
                )
        }

        /// A facts document with plausible parts, some of them swapped for
        /// any JSON at all.
        fn document() -> impl Strategy<Value = String> {
            let version =
                or_any(prop_oneof![4 => Just(json!(1)), 1 => any::<u32>().prop_map(Value::from)]);
            let regions = prop::collection::vec(or_any(region_facts()), 0..4);
            (version, regions).prop_map(|(version, regions)| {
                json!({"schema_version": version, "regions": regions}).to_string()
            })
        }

        fn parses_or_names_the_file(text: &str) -> Result<(), TestCaseError> {
            match load(text) {
                Ok(facts) => {
                    for region in &facts.regions {
                        prop_assert!(
                            region.elastic_ips_in_use() >= region.elastic_ips.len() as u32
                        );
                    }
                }
                Err(err) => {
                    prop_assert_eq!(crate::error::kind_of(&err), "bad-input");
                    prop_assert!(err.to_string().contains("`facts.json`"), "{}", err);
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn scenario_10_facts_parser_survives_random_documents(text in document()) {
                parses_or_names_the_file(&text)?;
            }

            #[test]
            fn scenario_10_facts_parser_survives_edited_facts(
                text in fuzz::mutated(FIXTURE.to_string())
            ) {
                parses_or_names_the_file(&text)?;
            }

            #[test]
            fn scenario_10_facts_parser_survives_any_text(text in fuzz::text()) {
                parses_or_names_the_file(&text)?;
            }
        }
    }
}
