//! The real availability zones of a region, keyed and ordered by zone ID number.

use crate::types::{PlanError, RegionFacts, Zone, ZoneState, ZoneType};

/// A usable availability zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Az {
    /// The zone name, such as `us-east-1a`; differs between accounts.
    pub name: String,
    /// The zone ID, such as `use1-az4`; the same in every account.
    pub id: String,
    /// The number after `-az` in the zone ID, which places the zone's subnets.
    pub number: u32,
}

/// The availability zones of `facts` that can take subnets, ordered by zone ID number; an
/// error when there is none.
///
/// Local and Wavelength zones never take subnets, and neither do impaired or unavailable zones.
pub fn usable(facts: &RegionFacts) -> Result<Vec<Az>, PlanError> {
    let mut azs = Vec::new();
    for zone in facts.zones.iter().filter(|zone| is_usable(zone)) {
        let number = number(&zone.zone_id).ok_or_else(|| bad_id(&facts.region, zone))?;
        if azs.iter().any(|az: &Az| az.number == number) {
            return Err(duplicate(&facts.region, zone));
        }
        azs.push(Az { name: zone.name.clone(), id: zone.zone_id.clone(), number });
    }
    if azs.is_empty() {
        return Err(PlanError::Other(format!(
            "region `{}` has no available availability zone to put subnets in",
            facts.region
        )));
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
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The error for a zone whose ID does not end in `-az` and a number.
fn bad_id(region: &str, zone: &Zone) -> PlanError {
    PlanError::Other(format!(
        "zone `{}` in region `{region}` has zone ID `{}`, which does not end in `-az` and a \
         number",
        zone.name, zone.zone_id
    ))
}

/// The error for two zones that share a zone ID number.
fn duplicate(region: &str, zone: &Zone) -> PlanError {
    PlanError::Other(format!(
        "zone `{}` in region `{region}` repeats the number of zone ID `{}`",
        zone.name, zone.zone_id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{az, facts, zone};

    fn names(azs: &[Az]) -> Vec<&str> {
        azs.iter().map(|az| az.name.as_str()).collect()
    }

    #[test]
    fn keeps_only_real_open_azs_in_id_order() {
        let zones = vec![
            zone("us-west-2-lax-1a", "usw2-lax1-az1", ZoneType::LocalZone, ZoneState::Available),
            az("us-west-2a", "usw2-az2"),
            zone(
                "us-west-2-wl1-las-wlz-1",
                "usw2-wl1-las-wlz1",
                ZoneType::WavelengthZone,
                ZoneState::Available,
            ),
            zone("us-west-2b", "usw2-az1", ZoneType::AvailabilityZone, ZoneState::Information),
            zone("us-west-2c", "usw2-az3", ZoneType::AvailabilityZone, ZoneState::Impaired),
            zone("us-west-2d", "usw2-az4", ZoneType::AvailabilityZone, ZoneState::Unavailable),
        ];
        let azs = usable(&facts("us-west-2", zones)).unwrap();
        assert_eq!(names(&azs), ["us-west-2b", "us-west-2a"]);
        assert_eq!(azs[0].number, 1);
    }

    #[test]
    fn parses_zone_id_numbers() {
        assert_eq!(number("use1-az4"), Some(4));
        assert_eq!(number("apne1-az11"), Some(11));
        for id in ["use1-az", "use1-azx", "use1az4", "use1-az+4", ""] {
            assert_eq!(number(id), None, "{id}");
        }
    }

    #[test]
    fn rejects_odd_zone_ids_naming_the_zone() {
        let error = usable(&facts("us-east-1", vec![az("us-east-1a", "use1-a1")])).unwrap_err();
        let PlanError::Other(text) = error else { panic!("{error:?}") };
        assert!(text.contains("`us-east-1a`") && text.contains("`use1-a1`"), "{text}");
    }

    #[test]
    fn rejects_repeated_zone_ids() {
        let zones = vec![az("us-east-1a", "use1-az1"), az("us-east-1b", "use1-az1")];
        assert!(usable(&facts("us-east-1", zones)).is_err());
    }

    #[test]
    fn region_without_usable_zones_is_an_error() {
        let local =
            zone("us-east-1-bos-1a", "use1-bos1-az1", ZoneType::LocalZone, ZoneState::Available);
        let error = usable(&facts("us-east-1", vec![local])).unwrap_err();
        assert!(matches!(error, PlanError::Other(text) if text.contains("`us-east-1`")));
    }
}
