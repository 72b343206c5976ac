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

/// `facts` with an existing VPC of `cidr` that holds `subnets`, each `(zone ID, tier, CIDR)`.
pub fn existing(facts: RegionFacts, cidr: &str, subnets: &[(&str, Tier, &str)]) -> RegionFacts {
    let subnet = |&(zone_id, tier, cidr): &(&str, Tier, &str)| ExistingSubnet {
        zone_id: zone_id.to_string(),
        tier,
        cidr: cidr.to_string(),
    };
    let subnets = subnets.iter().map(subnet).collect();
    RegionFacts { existing: Some(ExistingVpc { cidr: cidr.to_string(), subnets }), ..facts }
}
