//! The whole plan: every configured region that has facts, and the IAM actions they need.

use vpc_plugin_kit::types::{Config, Pair, Plan, PlanError, RegionFacts};
use vpc_plugin_kit::{Outcome, regions};

use crate::iam;
use crate::params::Params;
use crate::region::{self, Shape};

/// Plans every region of `config` that `facts` describes, in config order.
pub fn plan(config: &Config, facts: &[RegionFacts]) -> Result<Outcome, PlanError> {
    let params = Params::parse(&config.params)?;
    check_nat_zones(config, &params)?;
    let shape = Shape { name: config.name.clone(), tags: tags(config), params };

    let mut notes = Vec::new();
    let regions = regions::plan(config, facts, &mut notes, |facts| region::plan(&shape, facts))?;

    let iam_actions = iam::actions(!regions.is_empty());
    Ok(Outcome { plan: Plan { regions, iam_actions }, notes })
}

/// Rejects a `nat_zone` entry that lies in none of the configured regions.
fn check_nat_zones(config: &Config, params: &Params) -> Result<(), PlanError> {
    let in_config = |zone: &&String| config.regions.iter().any(|region| zone.starts_with(region));
    match params.nat_zones.iter().find(|zone| !in_config(zone)) {
        Some(zone) => Err(PlanError::InvalidParameter(format!(
            "parameter `nat_zone` names `{zone}`, which is in none of the configured regions"
        ))),
        None => Ok(()),
    }
}

/// The config's tags in config order, with `Name` set to the managed set's name and
/// `topology` to `org`; a user's tag with either key is replaced.
fn tags(config: &Config) -> Vec<Pair> {
    let derived = [("Name", config.name.as_str()), ("topology", "org")];
    let derived =
        derived.map(|(key, value)| Pair { key: key.to_string(), value: value.to_string() });
    let mut tags: Vec<Pair> = Vec::new();
    for tag in &config.tags {
        let replacement = derived.iter().find(|pair| pair.key == tag.key).unwrap_or(tag);
        if !tags.iter().any(|kept| kept.key == tag.key) {
            tags.push(replacement.clone());
        }
    }
    for pair in derived {
        if !tags.iter().any(|kept| kept.key == pair.key) {
            tags.push(pair);
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use vpc_plugin_kit::fixtures::{az, existing, facts, zonal_nats, zone};
    use vpc_plugin_kit::types::{NatStrategy, RegionPlan, RouteTarget, Tier, ZoneState, ZoneType};

    const CIDRS: &str = "us-east-1=10.20.0.0/16,eu-north-1=10.21.0.0/20";

    fn config(regions: &[&str], params: &[(&str, &str)]) -> Config {
        let pair =
            |(key, value): &(&str, &str)| Pair { key: key.to_string(), value: value.to_string() };
        let mut params: Vec<Pair> = params.iter().map(pair).collect();
        params.insert(0, pair(&("cidrs", CIDRS)));
        Config {
            name: "org".into(),
            public_ips: false,
            regions: regions.iter().map(|region| region.to_string()).collect(),
            tags: vec![pair(&("topology", "flat")), pair(&("team", "ml"))],
            params,
        }
    }

    fn us_east_1() -> RegionFacts {
        let local = ZoneType::LocalZone;
        let zones = vec![
            zone("us-east-1-bos-1a", "use1-bos1-az1", local, ZoneState::Available),
            az("us-east-1a", "use1-az4"),
            az("us-east-1b", "use1-az2"),
        ];
        facts("us-east-1", zones)
    }

    fn only(config: &Config, facts: &[RegionFacts]) -> RegionPlan {
        let mut regions = plan(config, facts).unwrap().plan.regions;
        assert_eq!(regions.len(), 1);
        regions.remove(0)
    }

    fn subnets(region: &RegionPlan) -> Vec<(&str, &str)> {
        let pairs = region.subnets.iter();
        pairs.map(|subnet| (subnet.name.as_str(), subnet.cidr.as_str())).collect()
    }

    #[test]
    fn three_tiers_per_real_zone_in_zone_id_order() {
        let region = only(&config(&["us-east-1"], &[]), &[us_east_1()]);
        assert_eq!(region.vpc.cidr, "10.20.0.0/16");
        let expected = [
            ("org-public-us-east-1b", "10.20.8.0/21"),
            ("org-private-us-east-1b", "10.20.144.0/20"),
            ("org-isolated-us-east-1b", "10.20.72.0/21"),
            ("org-public-us-east-1a", "10.20.24.0/21"),
            ("org-private-us-east-1a", "10.20.176.0/20"),
            ("org-isolated-us-east-1a", "10.20.88.0/21"),
        ];
        assert_eq!(subnets(&region), expected);
        let public: Vec<bool> = region.subnets.iter().map(|s| s.map_public_ip).collect();
        assert_eq!(public, [true, false, false, true, false, false]);
    }

    #[test]
    fn one_zonal_nat_in_the_lowest_zone_id() {
        let region = only(&config(&["us-east-1"], &[]), &[us_east_1()]);
        assert_eq!(region.nat, NatStrategy::Single("us-east-1b".into()));
        let routes: Vec<(&str, &RouteTarget)> =
            region.route_tables.iter().map(|t| (t.name.as_str(), &t.default_route)).collect();
        let nat = RouteTarget::NatGateway(Some("us-east-1b".into()));
        let expected = [
            ("org-public", &RouteTarget::InternetGateway),
            ("org-private", &nat),
            ("org-isolated", &RouteTarget::None),
        ];
        assert_eq!(routes, expected);
        assert_eq!(
            region.route_tables[2].subnets,
            ["org-isolated-us-east-1b", "org-isolated-us-east-1a"]
        );
    }

    #[test]
    fn nat_zone_picks_the_zone() {
        let region = only(&config(&["us-east-1"], &[("nat_zone", "us-east-1a")]), &[us_east_1()]);
        assert_eq!(region.nat, NatStrategy::Single("us-east-1a".into()));
    }

    #[test]
    fn nat_zone_must_be_a_real_zone_of_a_configured_region() {
        for zone in ["us-east-1-bos-1a", "us-east-1f", "eu-west-1a"] {
            let error = plan(&config(&["us-east-1"], &[("nat_zone", zone)]), &[us_east_1()]);
            let Err(PlanError::InvalidParameter(text)) = error else { panic!("{error:?}") };
            assert!(text.contains(&format!("`{zone}`")), "{text}");
        }
    }

    #[test]
    fn region_missing_from_the_table_is_unsupported() {
        let error = plan(
            &config(&["us-west-2"], &[]),
            &[facts("us-west-2", vec![az("us-west-2a", "usw2-az1")])],
        );
        assert!(
            matches!(error, Err(PlanError::UnsupportedRegion(text)) if text.contains("`us-west-2`"))
        );
    }

    #[test]
    fn tags_replace_name_and_topology() {
        let region = only(&config(&["us-east-1"], &[]), &[us_east_1()]);
        let tags: Vec<(&str, &str)> =
            region.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect();
        assert_eq!(tags, [("topology", "org"), ("team", "ml"), ("Name", "org")]);
    }

    #[test]
    fn existing_cidrs_are_kept_and_new_ones_take_their_slots() {
        let kept = [("use1-az2", Tier::Isolated, "10.99.3.128/25")];
        let facts = existing(us_east_1(), "10.99.0.0/20", &kept);
        let region = only(&config(&["us-east-1"], &[]), &[facts]);
        assert_eq!(region.vpc.cidr, "10.99.0.0/20");
        assert!(subnets(&region).contains(&("org-isolated-us-east-1b", "10.99.3.128/25")));
        assert!(subnets(&region).contains(&("org-public-us-east-1a", "10.99.1.128/25")));
        assert!(subnets(&region).contains(&("org-private-us-east-1b", "10.99.9.0/24")));
    }

    /// `us_east_1` with `use1-az2` (`us-east-1b`) in `state`, planned before with its NAT
    /// gateway in `nat`.
    fn replanned(state: ZoneState, nat: &str) -> RegionFacts {
        let mut facts = us_east_1();
        facts.zones[2].state = state;
        let kept = [
            ("use1-az2", Tier::Public, "10.20.8.0/21"),
            ("use1-az2", Tier::Private, "10.20.144.0/20"),
            ("use1-az2", Tier::Isolated, "10.20.72.0/21"),
            ("use1-az4", Tier::Public, "10.20.24.0/21"),
            ("use1-az4", Tier::Private, "10.20.176.0/20"),
            ("use1-az4", Tier::Isolated, "10.20.88.0/21"),
        ];
        zonal_nats(existing(facts, "10.20.0.0/16", &kept), &[nat])
    }

    #[test]
    fn impaired_zone_keeps_its_subnets_and_nat() {
        let config = config(&["us-east-1"], &[]);
        let healthy = only(&config, &[replanned(ZoneState::Available, "us-east-1b")]);
        for state in [ZoneState::Impaired, ZoneState::Unavailable, ZoneState::Information] {
            let region = only(&config, &[replanned(state, "us-east-1b")]);
            assert_eq!(region, healthy, "{state:?}");
        }
        assert_eq!(healthy.subnets.len(), 6);
        assert_eq!(healthy.nat, NatStrategy::Single("us-east-1b".into()));
    }

    #[test]
    fn existing_nat_stays_unless_nat_zone_moves_it() {
        let facts = replanned(ZoneState::Available, "us-east-1a");
        let region = only(&config(&["us-east-1"], &[]), std::slice::from_ref(&facts));
        assert_eq!(region.nat, NatStrategy::Single("us-east-1a".into()));
        let target = RouteTarget::NatGateway(Some("us-east-1a".into()));
        assert_eq!(region.route_tables[1].default_route, target);
        let moved = only(&config(&["us-east-1"], &[("nat_zone", "us-east-1b")]), &[facts]);
        assert_eq!(moved.nat, NatStrategy::Single("us-east-1b".into()));
    }

    #[test]
    fn new_subnet_on_an_existing_ones_cidr_is_exhausted() {
        let kept = [("use1-az2", Tier::Isolated, "10.99.1.0/24")];
        let facts = existing(us_east_1(), "10.99.0.0/20", &kept);
        let error = plan(&config(&["us-east-1"], &[]), &[facts]).unwrap_err();
        let PlanError::AddressSpaceExhausted(text) = error else { panic!("{error:?}") };
        for part in ["`us-east-1a`", "`10.99.1.128/25`", "`10.99.1.0/24`", "`use1-az2`"] {
            assert!(text.contains(part), "{part}: {text}");
        }
    }

    #[test]
    fn regions_in_config_order_with_nat_actions() {
        let north = facts("eu-north-1", vec![az("eu-north-1a", "eun1-az1")]);
        let outcome =
            plan(&config(&["eu-north-1", "us-east-1", "ap-south-1"], &[]), &[us_east_1(), north]);
        let outcome = outcome.unwrap();
        let names: Vec<&str> = outcome.plan.regions.iter().map(|r| r.region.as_str()).collect();
        assert_eq!(names, ["eu-north-1", "us-east-1"]);
        assert_eq!(outcome.plan.regions[0].subnets[1].cidr, "10.21.8.0/24");
        assert!(outcome.plan.iam_actions.contains(&"ec2:AllocateAddress".to_string()));
        assert_eq!(outcome.notes.len(), 1);
    }

    #[test]
    fn empty_regions_need_no_nat_actions() {
        let outcome = plan(&config(&[], &[]), &[]).unwrap();
        assert!(outcome.plan.regions.is_empty());
        assert!(!outcome.plan.iam_actions.contains(&"ec2:CreateNatGateway".to_string()));
    }
}
