//! Zones and region facts for plugins' native unit tests, with the `fixtures` feature.

use crate::types::{ExistingSubnet, ExistingVpc, RegionFacts, Tier, Zone, ZoneState, ZoneType};

/// A zone of the given kind and state.
pub fn zone(name: &str, id: &str, zone_type: ZoneType, state: ZoneState) -> Zone {
    Zone { name: name.to_string(), zone_id: id.to_string(), zone_type, state }
}

/// An available availability zone.
pub fn az(name: &str, id: &str) -> Zone {
    zone(name, id, ZoneType::AvailabilityZone, ZoneState::Available)
}

/// Facts for `region` with `zones` and nothing else.
pub fn facts(region: &str, zones: Vec<Zone>) -> RegionFacts {
    RegionFacts {
        region: region.to_string(),
        zones,
        other_vpc_cidrs: Vec::new(),
        existing: None,
        elastic_ips: Vec::new(),
        elastic_ip_quota: 5,
    }
}

/// `facts` with an existing VPC of `cidr` that holds `subnets`, each `(zone ID, tier, CIDR)`,
/// and no zonal NAT gateway.
pub fn existing(facts: RegionFacts, cidr: &str, subnets: &[(&str, Tier, &str)]) -> RegionFacts {
    let subnet = |&(zone_id, tier, cidr): &(&str, Tier, &str)| ExistingSubnet {
        zone_id: zone_id.to_string(),
        tier,
        cidr: cidr.to_string(),
    };
    let subnets = subnets.iter().map(subnet).collect();
    let vpc = ExistingVpc { cidr: cidr.to_string(), subnets, zonal_nat_zones: Vec::new() };
    RegionFacts { existing: Some(vpc), ..facts }
}

/// `facts`, which has an existing VPC, with zonal NAT gateways in the zones named `zones`.
///
/// Panics when `facts` has no existing VPC: a NAT gateway needs one.
pub fn zonal_nats(mut facts: RegionFacts, zones: &[&str]) -> RegionFacts {
    let vpc = facts.existing.as_mut().expect("zonal NAT gateways need an existing VPC");
    vpc.zonal_nat_zones = zones.iter().map(|zone| zone.to_string()).collect();
    facts
}
