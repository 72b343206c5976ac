//! The whole plan: every configured region that has facts, and the IAM actions they need.

use vpc_plugin_kit::types::{Config, Pair, Plan, PlanError, RegionFacts};
use vpc_plugin_kit::{Note, Outcome, regions};

use crate::params::Params;
use crate::region::{self, Shape};
use crate::{iam, routes};

/// Plans every region of `config` that `facts` describes, in config order.
pub fn plan(config: &Config, facts: &[RegionFacts]) -> Result<Outcome, PlanError> {
    let params = Params::parse(&config.params)?;
    let mut notes = Vec::new();
    let shape = shape(config, &params, &mut notes);
    let regions = regions::plan(config, facts, &mut notes, |facts| region::plan(&shape, facts))?;
    let iam_actions = iam::actions(&regions);
    Ok(Outcome { plan: Plan { regions, iam_actions }, notes })
}

/// What every region shares, with the NAT mode reconciled with the private subnets.
fn shape(config: &Config, params: &Params, notes: &mut Vec<Note>) -> Shape {
    let private = params.private.wanted(config.public_ips);
    let nat = routes::mode(params.nat, private);
    if params.nat.is_some_and(|asked| asked != nat) {
        notes
            .push(Note::debug("parameter `nat` is ignored: there are no private subnets to serve"));
    }
    let name = config.name.clone();
    Shape { name, tags: tags(config), base: params.base, private, nat }
}

/// The config's tags in config order, with `Name` set to the managed set's name.
fn tags(config: &Config) -> Vec<Pair> {
    let name = Pair { key: "Name".to_string(), value: config.name.clone() };
    let mut tags: Vec<Pair> = Vec::new();
    for tag in &config.tags {
        match tag.key.as_str() {
            "Name" if tags.iter().any(|kept| kept.key == "Name") => {}
            "Name" => tags.push(name.clone()),
            _ => tags.push(tag.clone()),
        }
    }
    if !tags.iter().any(|tag| tag.key == "Name") {
        tags.push(name);
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use vpc_plugin_kit::fixtures::{az, existing, facts, zonal_nats, zone};
    use vpc_plugin_kit::types::{
        NatStrategy, RegionPlan, RouteTarget, Subnet, Tier, ZoneState, ZoneType,
    };

    fn config(public_ips: bool, regions: &[&str], params: &[(&str, &str)]) -> Config {
        let pair =
            |(key, value): &(&str, &str)| Pair { key: key.to_string(), value: value.to_string() };
        Config {
            name: "dev".to_string(),
            public_ips,
            regions: regions.iter().map(|region| region.to_string()).collect(),
            tags: vec![pair(&("team", "ml"))],
            params: params.iter().map(pair).collect(),
        }
    }

    fn us_east_1() -> RegionFacts {
        let zones = vec![
            zone("us-east-1-bos-1a", "use1-bos1-az1", ZoneType::LocalZone, ZoneState::Available),
            az("us-east-1a", "use1-az4"),
            az("us-east-1b", "use1-az6"),
            az("us-east-1c", "use1-az1"),
        ];
        facts("us-east-1", zones)
    }

    fn eu_north_1() -> RegionFacts {
        facts("eu-north-1", vec![az("eu-north-1a", "eun1-az1"), az("eu-north-1b", "eun1-az2")])
    }

    fn only(config: &Config, facts: &[RegionFacts]) -> RegionPlan {
        let mut regions = plan(config, facts).unwrap().plan.regions;
        assert_eq!(regions.len(), 1);
        regions.remove(0)
    }

    fn cidrs(region: &RegionPlan) -> Vec<(String, String)> {
        let pair = |subnet: &Subnet| (subnet.name.clone(), subnet.cidr.clone());
        region.subnets.iter().map(pair).collect()
    }

    #[test]
    fn private_region_with_default_nat() {
        let region = only(&config(false, &["us-east-1"], &[]), &[us_east_1()]);
        assert_eq!(region.vpc.cidr, "10.1.0.0/16");
        assert_eq!(region.vpc.name, "dev");
        let expected = [
            ("dev-public-us-east-1c", "10.1.0.0/20"),
            ("dev-private-us-east-1c", "10.1.128.0/20"),
            ("dev-public-us-east-1a", "10.1.48.0/20"),
            ("dev-private-us-east-1a", "10.1.176.0/20"),
            ("dev-public-us-east-1b", "10.1.80.0/20"),
            ("dev-private-us-east-1b", "10.1.208.0/20"),
        ];
        let expected: Vec<_> =
            expected.iter().map(|(n, c)| (n.to_string(), c.to_string())).collect();
        assert_eq!(cidrs(&region), expected);
        assert!(
            region
                .subnets
                .iter()
                .all(|subnet| subnet.map_public_ip == (subnet.tier == Tier::Public))
        );
        assert!(region.internet_gateway);
        assert_eq!(region.nat, NatStrategy::Regional);
        assert_eq!(region.route_tables.len(), 2);
        assert_eq!(region.route_tables[1].default_route, RouteTarget::NatGateway(None));
    }

    #[test]
    fn public_ips_make_public_subnets_only() {
        let outcome = plan(&config(true, &["us-east-1"], &[]), &[us_east_1()]).unwrap();
        let region = &outcome.plan.regions[0];
        assert!(region.subnets.iter().all(|subnet| subnet.tier == Tier::Public));
        assert_eq!(region.nat, NatStrategy::None);
        assert_eq!(region.route_tables.len(), 1);
        assert!(!outcome.plan.iam_actions.contains(&"ec2:CreateNatGateway".to_string()));
    }

    #[test]
    fn private_always_adds_private_subnets_despite_public_ips() {
        let region = only(&config(true, &["us-east-1"], &[("private", "always")]), &[us_east_1()]);
        assert_eq!(region.subnets.len(), 6);
        assert_eq!(region.nat, NatStrategy::Regional);
    }

    #[test]
    fn single_nat_sits_in_the_lowest_zone_id() {
        let outcome = plan(&config(false, &["us-east-1"], &[("nat", "single")]), &[us_east_1()]);
        let outcome = outcome.unwrap();
        let region = &outcome.plan.regions[0];
        assert_eq!(region.nat, NatStrategy::Single("us-east-1c".to_string()));
        let target = RouteTarget::NatGateway(Some("us-east-1c".to_string()));
        assert_eq!(region.route_tables[1].default_route, target);
        assert!(outcome.plan.iam_actions.contains(&"ec2:AllocateAddress".to_string()));
    }

    #[test]
    fn nat_without_private_subnets_becomes_none_with_a_note() {
        let outcome = plan(&config(true, &["us-east-1"], &[("nat", "per-az")]), &[us_east_1()]);
        let outcome = outcome.unwrap();
        assert_eq!(outcome.plan.regions[0].nat, NatStrategy::None);
        assert!(outcome.notes.iter().any(|note| note.message.contains("`nat`")));
    }

    #[test]
    fn follows_config_order_and_skips_regions_without_facts() {
        let config = config(false, &["eu-north-1", "ap-south-1", "us-east-1", "eu-north-1"], &[]);
        let outcome = plan(&config, &[us_east_1(), eu_north_1()]).unwrap();
        let names: Vec<&str> = outcome.plan.regions.iter().map(|r| r.region.as_str()).collect();
        assert_eq!(names, ["eu-north-1", "us-east-1"]);
        assert!(outcome.notes.iter().any(|note| note.message.contains("`ap-south-1`")));
    }

    #[test]
    fn adding_a_region_keeps_the_others() {
        let alone = only(&config(false, &["us-east-1"], &[]), &[us_east_1()]);
        let both =
            plan(&config(false, &["eu-north-1", "us-east-1"], &[]), &[eu_north_1(), us_east_1()]);
        let both = both.unwrap().plan.regions;
        assert_eq!(both[1].vpc.cidr, alone.vpc.cidr);
        assert_eq!(cidrs(&both[1]), cidrs(&alone));
        assert_eq!(both[0].vpc.cidr, "10.11.0.0/16");
    }

    #[test]
    fn adding_a_zone_keeps_existing_subnets() {
        let mut fewer = us_east_1();
        fewer.zones.truncate(3);
        let before = cidrs(&only(&config(false, &["us-east-1"], &[]), &[fewer]));
        let after = cidrs(&only(&config(false, &["us-east-1"], &[]), &[us_east_1()]));
        assert_eq!(before.len(), 4);
        assert!(before.iter().all(|subnet| after.contains(subnet)));
    }

    #[test]
    fn existing_vpc_and_subnets_keep_their_cidrs() {
        let kept = [("use1-az4", Tier::Public, "172.31.7.0/24")];
        let facts = existing(us_east_1(), "172.31.0.0/20", &kept);
        let region = only(&config(false, &["us-east-1"], &[]), &[facts]);
        assert_eq!(region.vpc.cidr, "172.31.0.0/20");
        let cidrs = cidrs(&region);
        assert!(cidrs.contains(&("dev-public-us-east-1a".into(), "172.31.7.0/24".into())));
        assert!(cidrs.contains(&("dev-private-us-east-1a".into(), "172.31.11.0/24".into())));
        assert!(cidrs.contains(&("dev-public-us-east-1c".into(), "172.31.0.0/24".into())));
    }

    /// `us_east_1` with `use1-az6` (`us-east-1b`) in `state`, planned before: a VPC with both
    /// tiers in every zone and, when `nat` names one, a zonal NAT gateway there.
    fn replanned(state: ZoneState, nat: &[&str]) -> RegionFacts {
        let mut facts = us_east_1();
        facts.zones[2].state = state;
        let kept = [
            ("use1-az1", Tier::Public, "10.1.0.0/20"),
            ("use1-az1", Tier::Private, "10.1.128.0/20"),
            ("use1-az4", Tier::Public, "10.1.48.0/20"),
            ("use1-az4", Tier::Private, "10.1.176.0/20"),
            ("use1-az6", Tier::Public, "10.1.80.0/20"),
            ("use1-az6", Tier::Private, "10.1.208.0/20"),
        ];
        zonal_nats(existing(facts, "10.1.0.0/16", &kept), nat)
    }

    #[test]
    fn impaired_zone_keeps_its_existing_subnets() {
        let config = config(false, &["us-east-1"], &[]);
        let healthy = only(&config, &[replanned(ZoneState::Available, &[])]);
        for state in [ZoneState::Impaired, ZoneState::Unavailable, ZoneState::Information] {
            let region = only(&config, &[replanned(state, &[])]);
            assert_eq!(region, healthy, "{state:?}");
        }
        let private = &healthy.route_tables[1].subnets;
        assert!(private.contains(&"dev-private-us-east-1b".to_string()));
    }

    #[test]
    fn impaired_zone_gets_no_new_subnets() {
        let mut facts = replanned(ZoneState::Impaired, &[]);
        let vpc = facts.existing.as_mut().unwrap();
        vpc.subnets.retain(|subnet| subnet.zone_id != "use1-az6" || subnet.tier == Tier::Public);
        let region = only(&config(false, &["us-east-1"], &[]), &[facts.clone()]);
        let names: Vec<&str> = region.subnets.iter().map(|s| s.name.as_str()).collect();
        assert!(names.contains(&"dev-public-us-east-1b"));
        assert!(!names.contains(&"dev-private-us-east-1b"));
        facts.zones.remove(2);
        let region = only(&config(false, &["us-east-1"], &[]), &[facts]);
        assert!(region.subnets.iter().all(|subnet| subnet.zone != "us-east-1b"));
    }

    #[test]
    fn single_nat_stays_where_it_is() {
        let config = config(false, &["us-east-1"], &[("nat", "single")]);
        for state in [ZoneState::Available, ZoneState::Impaired] {
            let region = only(&config, &[replanned(state, &["us-east-1b"])]);
            assert_eq!(region.nat, NatStrategy::Single("us-east-1b".into()), "{state:?}");
            let target = RouteTarget::NatGateway(Some("us-east-1b".into()));
            assert_eq!(region.route_tables[1].default_route, target);
        }
        let mut gone = replanned(ZoneState::Available, &["us-east-1b"]);
        gone.zones.remove(2);
        assert_eq!(only(&config, &[gone]).nat, NatStrategy::Single("us-east-1c".into()));
    }

    #[test]
    fn single_nat_moves_off_a_zone_without_a_public_subnet() {
        let mut facts = replanned(ZoneState::Impaired, &["us-east-1b"]);
        let vpc = facts.existing.as_mut().unwrap();
        vpc.subnets.retain(|subnet| subnet.zone_id != "use1-az6" || subnet.tier == Tier::Private);
        let region = only(&config(false, &["us-east-1"], &[("nat", "single")]), &[facts]);
        assert_eq!(region.nat, NatStrategy::Single("us-east-1c".into()));
    }

    #[test]
    fn per_az_nat_of_an_impaired_zone_is_kept() {
        let config = config(false, &["us-east-1"], &[("nat", "per-az")]);
        let region = only(&config, &[replanned(ZoneState::Impaired, &[])]);
        let table = region.route_tables.iter().find(|t| t.name == "dev-private-us-east-1b");
        let table = table.expect("the impaired zone keeps its private route table");
        assert_eq!(table.subnets, ["dev-private-us-east-1b"]);
        assert_eq!(table.default_route, RouteTarget::NatGateway(Some("us-east-1b".into())));
    }

    #[test]
    fn per_az_private_subnet_without_a_public_one_uses_another_zones_nat() {
        let mut facts = replanned(ZoneState::Impaired, &[]);
        let vpc = facts.existing.as_mut().unwrap();
        vpc.subnets.retain(|subnet| subnet.zone_id != "use1-az6" || subnet.tier == Tier::Private);
        let region = only(&config(false, &["us-east-1"], &[("nat", "per-az")]), &[facts]);
        let table = region.route_tables.iter().find(|t| t.name == "dev-private-us-east-1b");
        let target = RouteTarget::NatGateway(Some("us-east-1c".into()));
        assert_eq!(table.unwrap().default_route, target);
    }

    #[test]
    fn name_tag_is_derived_and_replaces_the_users() {
        let mut config = config(false, &["us-east-1"], &[]);
        config.tags.insert(0, Pair { key: "Name".into(), value: "mine".into() });
        let region = only(&config, &[us_east_1()]);
        let tags: Vec<(&str, &str)> =
            region.tags.iter().map(|t| (t.key.as_str(), t.value.as_str())).collect();
        assert_eq!(tags, [("Name", "dev"), ("team", "ml")]);
        let plain = only(&self::config(false, &["us-east-1"], &[]), &[us_east_1()]);
        assert_eq!(plain.tags.last().map(|tag| tag.value.as_str()), Some("dev"));
    }

    #[test]
    fn region_without_usable_zones_is_an_error() {
        let local =
            zone("us-east-1-bos-1a", "use1-bos1-az1", ZoneType::LocalZone, ZoneState::Available);
        let error = plan(&config(false, &["us-east-1"], &[]), &[facts("us-east-1", vec![local])]);
        assert!(
            matches!(error.unwrap_err(), PlanError::Other(text) if text.contains("`us-east-1`"))
        );
    }

    #[test]
    fn custom_base_and_exhaustion() {
        let params = [("cidr_base", "172.16.0.0/12")];
        let region = only(&config(false, &["us-east-1"], &params), &[us_east_1()]);
        assert_eq!(region.vpc.cidr, "172.17.0.0/16");
        let error = plan(
            &config(false, &["ap-southeast-1"], &params),
            &[facts("ap-southeast-1", vec![az("ap-southeast-1a", "apse1-az1")])],
        );
        assert!(matches!(error.unwrap_err(), PlanError::AddressSpaceExhausted(_)));
    }

    #[test]
    fn empty_regions_give_an_empty_plan() {
        let outcome = plan(&config(false, &[], &[]), &[us_east_1()]).unwrap();
        assert!(outcome.plan.regions.is_empty());
        assert!(outcome.plan.iam_actions.contains(&"ec2:DeleteVpc".to_string()));
    }

    #[test]
    fn same_input_gives_the_same_plan() {
        let config = config(false, &["us-east-1", "eu-north-1"], &[("nat", "per-az")]);
        let facts = [eu_north_1(), us_east_1()];
        assert_eq!(plan(&config, &facts).unwrap().plan, plan(&config, &facts).unwrap().plan);
    }
}
