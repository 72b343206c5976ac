//! The real availability zones of a region, keyed and ordered by zone ID number.

use crate::bindings::host::vpc::types::{PlanError, RegionFacts, Zone, ZoneState, ZoneType};

/// A usable availability zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Az {
    /// The zone name, such as `us-east-1a`.
    pub name: String,
    /// The zone ID, such as `use1-az4`.
    pub id: String,
    /// The number after `-az` in the zone ID.
    pub number: u32,
}

/// The regular, open availability zones of `facts`, ordered by zone ID number.
pub fn usable(facts: &RegionFacts) -> Result<Vec<Az>, PlanError> {
    let mut azs = Vec::new();
    for zone in facts.zones.iter().filter(|zone| is_usable(zone)) {
        let Some(number) = number(&zone.zone_id) else {
            return Err(PlanError::Other(format!(
                "zone `{}` in region `{}` has zone ID `{}`, which does not end in `-az` and a \
                 number",
                zone.name, facts.region, zone.zone_id
            )));
        };
        if azs.iter().any(|az: &Az| az.number == number) {
            return Err(PlanError::Other(format!(
                "zone `{}` in region `{}` repeats the number of zone ID `{}`",
                zone.name, facts.region, zone.zone_id
            )));
        }
        azs.push(Az { name: zone.name.clone(), id: zone.zone_id.clone(), number });
    }
    azs.sort_by_key(|az| az.number);
    Ok(azs)
}

/// Whether `zone` is a regular availability zone that accepts new resources.
fn is_usable(zone: &Zone) -> bool {
    let open = matches!(zone.state, ZoneState::Available | ZoneState::Information);
    zone.zone_type == ZoneType::AvailabilityZone && open
}

/// The number at the end of a zone ID such as `use1-az4`.
fn number(id: &str) -> Option<u32> {
    let (_, digits) = id.rsplit_once("-az")?;
    let all_digits = !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit());
    all_digits.then(|| digits.parse().ok()).flatten()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

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

    #[test]
    fn keeps_only_real_open_azs_in_id_order() {
        let local = ZoneType::LocalZone;
        let zones = vec![
            zone("us-west-2-lax-1a", "usw2-lax1-az1", local, ZoneState::Available),
            az("us-west-2a", "usw2-az2"),
            zone("us-west-2b", "usw2-az1", ZoneType::AvailabilityZone, ZoneState::Information),
            zone("us-west-2c", "usw2-az3", ZoneType::AvailabilityZone, ZoneState::Impaired),
        ];
        let azs = usable(&facts("us-west-2", zones)).unwrap();
        let names: Vec<&str> = azs.iter().map(|az| az.name.as_str()).collect();
        assert_eq!(names, ["us-west-2b", "us-west-2a"]);
    }

    #[test]
    fn odd_zone_ids_are_rejected() {
        assert_eq!(number("use1-az12"), Some(12));
        assert_eq!(number("use1-az"), None);
        assert!(usable(&facts("us-east-1", vec![az("us-east-1a", "a1")])).is_err());
    }
}
