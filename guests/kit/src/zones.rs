//! The availability zones of a region that hold subnets, keyed and ordered by zone ID number.

use crate::types::{PlanError, RegionFacts, Zone, ZoneState, ZoneType};

/// An availability zone that holds subnets of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Az {
    /// The zone name, such as `us-east-1a`; differs between accounts.
    pub name: String,
    /// The zone ID, such as `use1-az4`; the same in every account.
    pub id: String,
    /// The number after `-az` in the zone ID, which places the zone's subnets.
    pub number: u32,
    /// Whether the zone accepts new resources (its state is available or information). A zone
    /// that does not only keeps the subnets it already has.
    pub open: bool,
}

/// The availability zones of `facts` that hold subnets, ordered by zone ID number; an error
/// when there is none.
///
/// Those are the open ones, which may take new subnets, and those that already hold a subnet
/// of the managed set whatever their state, so that a zone that is impaired or unavailable for
/// a while never loses its subnets. Local and Wavelength zones never hold subnets.
pub fn planned(facts: &RegionFacts) -> Result<Vec<Az>, PlanError> {
    let mut azs = Vec::new();
    for zone in &facts.zones {
        let open = is_open(zone);
        if zone.zone_type != ZoneType::AvailabilityZone || !(open || is_kept(facts, zone)) {
            continue;
        }
        let number = number(&zone.zone_id).map_err(|bad| bad_id(&facts.region, zone, bad))?;
        if azs.iter().any(|az: &Az| az.number == number) {
            return Err(duplicate(&facts.region, zone));
        }
        azs.push(Az { name: zone.name.clone(), id: zone.zone_id.clone(), number, open });
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

/// Whether `zone` accepts new resources.
fn is_open(zone: &Zone) -> bool {
    matches!(zone.state, ZoneState::Available | ZoneState::Information)
}

/// Whether the managed set already has a subnet in `zone`.
fn is_kept(facts: &RegionFacts, zone: &Zone) -> bool {
    let existing = facts.existing.iter().flat_map(|vpc| &vpc.subnets);
    existing.into_iter().any(|subnet| subnet.zone_id == zone.zone_id)
}

/// Why a zone ID gives no zone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BadId {
    /// The ID does not end in `-az` and digits.
    Shape,
    /// The digits make a number too large for a zone.
    Range,
}

/// The number at the end of a zone ID such as `use1-az4`.
fn number(id: &str) -> Result<u32, BadId> {
    let (_, digits) = id.rsplit_once("-az").ok_or(BadId::Shape)?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(BadId::Shape);
    }
    digits.parse().map_err(|_| BadId::Range)
}

/// The error for a zone whose ID gives no zone number.
fn bad_id(region: &str, zone: &Zone, bad: BadId) -> PlanError {
    let why = match bad {
        BadId::Shape => "which does not end in `-az` and a number",
        BadId::Range => "whose number after `-az` is out of range",
    };
    PlanError::Other(format!(
        "zone `{}` in region `{region}` has zone ID `{}`, {why}",
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
    use crate::fixtures::{az, existing, facts, zone};
    use crate::types::Tier;

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
        let azs = planned(&facts("us-west-2", zones)).unwrap();
        assert_eq!(names(&azs), ["us-west-2b", "us-west-2a"]);
        assert_eq!(azs[0].number, 1);
    }

    #[test]
    fn closed_zones_with_existing_subnets_stay_but_take_nothing_new() {
        let zones = vec![
            az("us-west-2a", "usw2-az2"),
            zone("us-west-2c", "usw2-az3", ZoneType::AvailabilityZone, ZoneState::Impaired),
            zone("us-west-2d", "usw2-az4", ZoneType::AvailabilityZone, ZoneState::Unavailable),
            zone("us-west-2-lax-1a", "usw2-lax1-az1", ZoneType::LocalZone, ZoneState::Impaired),
        ];
        let kept = [
            ("usw2-az4", Tier::Public, "10.4.0.0/24"),
            ("usw2-lax1-az1", Tier::Public, "10.4.1.0/24"),
        ];
        let azs = planned(&existing(facts("us-west-2", zones), "10.4.0.0/16", &kept)).unwrap();
        assert_eq!(names(&azs), ["us-west-2a", "us-west-2d"]);
        assert_eq!(azs.iter().map(|az| az.open).collect::<Vec<_>>(), [true, false]);
    }

    #[test]
    fn a_region_of_closed_zones_with_existing_subnets_is_planned() {
        let impaired =
            zone("us-east-1a", "use1-az4", ZoneType::AvailabilityZone, ZoneState::Impaired);
        let kept = [("use1-az4", Tier::Public, "10.1.48.0/20")];
        let facts = existing(facts("us-east-1", vec![impaired]), "10.1.0.0/16", &kept);
        assert_eq!(names(&planned(&facts).unwrap()), ["us-east-1a"]);
    }

    #[test]
    fn parses_zone_id_numbers() {
        assert_eq!(number("use1-az4"), Ok(4));
        assert_eq!(number("apne1-az11"), Ok(11));
        for id in ["use1-az", "use1-azx", "use1az4", "use1-az+4", ""] {
            assert_eq!(number(id), Err(BadId::Shape), "{id}");
        }
        assert_eq!(number("use1-az4294967296"), Err(BadId::Range));
    }

    #[test]
    fn rejects_odd_zone_ids_naming_the_zone() {
        let error = planned(&facts("us-east-1", vec![az("us-east-1a", "use1-a1")])).unwrap_err();
        let PlanError::Other(text) = error else { panic!("{error:?}") };
        assert!(text.contains("`us-east-1a`") && text.contains("`use1-a1`"), "{text}");
    }

    #[test]
    fn out_of_range_zone_number_is_named_as_such() {
        let zones = vec![az("us-east-1a", "use1-az99999999999999999999")];
        let error = planned(&facts("us-east-1", zones)).unwrap_err();
        let PlanError::Other(text) = error else { panic!("{error:?}") };
        assert!(text.contains("`use1-az99999999999999999999`"), "{text}");
        assert!(text.contains("out of range") && !text.contains("does not end"), "{text}");
    }

    #[test]
    fn rejects_repeated_zone_ids() {
        let zones = vec![az("us-east-1a", "use1-az1"), az("us-east-1b", "use1-az1")];
        assert!(planned(&facts("us-east-1", zones)).is_err());
    }

    #[test]
    fn region_without_usable_zones_is_an_error() {
        let local =
            zone("us-east-1-bos-1a", "use1-bos1-az1", ZoneType::LocalZone, ZoneState::Available);
        let error = planned(&facts("us-east-1", vec![local])).unwrap_err();
        assert!(matches!(error, PlanError::Other(text) if text.contains("`us-east-1`")));
    }
}
