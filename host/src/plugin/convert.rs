//! Conversions between the host's types and the plugin interface's.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;

use super::bindings::host::vpc::types as wit;
use crate::config::Config;
use crate::facts::{self, Facts, Tier, ZoneState, ZoneType};
use crate::plan::{Nat, Plan, RegionPlan, RouteTable, RouteTarget, Subnet, Vpc};

/// The plugin's view of the config.
pub fn config(config: &Config, name: &str, params: &[(String, String)]) -> wit::Config {
    wit::Config {
        name: name.to_string(),
        public_ips: config.public_ips,
        regions: config.regions.clone(),
        tags: pairs(config.tags.iter()),
        params: pairs(params.iter().map(|(k, v)| (k, v))),
    }
}

fn pairs<'a>(items: impl Iterator<Item = (&'a String, &'a String)>) -> Vec<wit::Pair> {
    items.map(|(key, value)| wit::Pair { key: key.clone(), value: value.clone() }).collect()
}

/// Facts for the config's regions that the account has enabled, in config order.
pub fn facts(config: &Config, facts: &Facts) -> Vec<wit::RegionFacts> {
    config.regions.iter().filter_map(|region| facts.region(region)).map(region_facts).collect()
}

fn region_facts(facts: &facts::RegionFacts) -> wit::RegionFacts {
    wit::RegionFacts {
        region: facts.region.clone(),
        zones: facts.zones.iter().map(zone).collect(),
        other_vpc_cidrs: facts.other_vpc_cidrs.iter().map(Ipv4Net::to_string).collect(),
        existing: facts.existing.as_ref().map(|vpc| wit::ExistingVpc {
            cidr: vpc.cidr.to_string(),
            subnets: vpc
                .subnets
                .iter()
                .map(|s| wit::ExistingSubnet {
                    zone_id: s.zone_id.clone(),
                    tier: tier_to_wit(s.tier),
                    cidr: s.cidr.to_string(),
                })
                .collect(),
            zonal_nat_zones: vpc.zonal_nat_zones.clone(),
        }),
        elastic_ips: facts
            .elastic_ips
            .iter()
            .map(|ip| wit::ElasticIp {
                allocation_id: ip.allocation_id.clone(),
                public_ip: ip.public_ip.clone(),
            })
            .collect(),
        elastic_ip_quota: facts.elastic_ip_quota,
    }
}

fn zone(zone: &facts::Zone) -> wit::Zone {
    wit::Zone {
        name: zone.name.clone(),
        zone_id: zone.zone_id.clone(),
        zone_type: match zone.zone_type {
            ZoneType::AvailabilityZone => wit::ZoneType::AvailabilityZone,
            ZoneType::LocalZone => wit::ZoneType::LocalZone,
            ZoneType::WavelengthZone => wit::ZoneType::WavelengthZone,
            ZoneType::Other => wit::ZoneType::Other,
        },
        state: match zone.state {
            ZoneState::Available => wit::ZoneState::Available,
            ZoneState::Information => wit::ZoneState::Information,
            ZoneState::Impaired => wit::ZoneState::Impaired,
            ZoneState::Unavailable => wit::ZoneState::Unavailable,
        },
    }
}

fn tier_to_wit(tier: Tier) -> wit::Tier {
    match tier {
        Tier::Public => wit::Tier::Public,
        Tier::Private => wit::Tier::Private,
        Tier::Isolated => wit::Tier::Isolated,
    }
}

fn tier_from_wit(tier: wit::Tier) -> Tier {
    match tier {
        wit::Tier::Public => Tier::Public,
        wit::Tier::Private => Tier::Private,
        wit::Tier::Isolated => Tier::Isolated,
    }
}

/// The plugin's explanation of why it made no plan.
pub fn plan_error(err: wit::PlanError) -> String {
    match err {
        wit::PlanError::InvalidParameter(text) => format!("invalid parameter: {text}"),
        wit::PlanError::UnsupportedRegion(text) => format!("unsupported region: {text}"),
        wit::PlanError::AddressSpaceExhausted(text) => format!("address space exhausted: {text}"),
        wit::PlanError::Other(text) => text,
    }
}

/// The host's plan from the plugin's; fails on a CIDR that does not parse or a
/// tag given twice.
pub fn plan(plan: wit::Plan) -> Result<Plan, String> {
    let regions = plan.regions.into_iter().map(region_plan).collect::<Result<_, _>>()?;
    Ok(Plan { regions, iam_actions: plan.iam_actions })
}

fn region_plan(region: wit::RegionPlan) -> Result<RegionPlan, String> {
    let name = region.region;
    let at = |message: String| format!("region `{name}`: {message}");
    let vpc = Vpc { cidr: cidr(&region.vpc.cidr, "the VPC").map_err(at)?, name: region.vpc.name };
    let mut tags = BTreeMap::new();
    for pair in region.tags {
        if tags.insert(pair.key.clone(), pair.value).is_some() {
            return Err(at(format!("tag `{}` is given twice", pair.key)));
        }
    }
    let subnets = region.subnets.into_iter().map(subnet).collect::<Result<_, _>>().map_err(at)?;
    Ok(RegionPlan {
        vpc,
        tags,
        subnets,
        internet_gateway: region.internet_gateway,
        nat: match region.nat {
            wit::NatStrategy::None => Nat::None,
            wit::NatStrategy::Regional => Nat::Regional,
            wit::NatStrategy::PerAz => Nat::PerAz,
            wit::NatStrategy::Single(zone) => Nat::Single { zone },
        },
        route_tables: region.route_tables.into_iter().map(route_table).collect(),
        region: name,
    })
}

fn subnet(subnet: wit::Subnet) -> Result<Subnet, String> {
    let cidr = cidr(&subnet.cidr, &format!("subnet `{}`", subnet.name))?;
    Ok(Subnet {
        name: subnet.name,
        zone: subnet.zone,
        zone_id: subnet.zone_id,
        tier: tier_from_wit(subnet.tier),
        cidr,
        map_public_ip: subnet.map_public_ip,
    })
}

fn route_table(table: wit::RouteTable) -> RouteTable {
    RouteTable {
        name: table.name,
        subnets: table.subnets,
        default_route: match table.default_route {
            wit::RouteTarget::None => RouteTarget::None,
            wit::RouteTarget::InternetGateway => RouteTarget::InternetGateway,
            wit::RouteTarget::NatGateway(zone) => RouteTarget::NatGateway { zone },
        },
    }
}

/// Parses a CIDR the way AWS writes them: an IPv4 network with no host bits set.
fn cidr(text: &str, owner: &str) -> Result<Ipv4Net, String> {
    let shown: String = text.chars().take(64).collect();
    let net: Ipv4Net = text
        .parse()
        .map_err(|_| format!("{owner} has CIDR `{shown}`, which is not an IPv4 CIDR"))?;
    if net.trunc() != net {
        return Err(format!(
            "{owner} has CIDR `{shown}` with host bits set; did you mean `{}`?",
            net.trunc()
        ));
    }
    Ok(net)
}

#[cfg(test)]
mod tests {
    mod scenario_10 {
        //! Plans as a plugin might return them, most of them coherent, some
        //! with one string swapped for anything: the host converts and checks
        //! each without panicking, and every plan it accepts goes through the
        //! default policies and the diff without an error.

        use std::path::Path;
        use std::sync::OnceLock;

        use proptest::prelude::*;
        use proptest::sample::Index;

        use super::super::*;
        use crate::fuzz;
        use crate::pipeline::{RULE_BUDGET, policy_input};
        use crate::policy::{self, Pack};
        use crate::{diff, iam, plan, state};

        fn facts() -> &'static Facts {
            static FACTS: OnceLock<Facts> = OnceLock::new();
            FACTS.get_or_init(|| {
                let text = include_str!("../../../tests/fixtures/facts.json");
                Facts::parse(text, Path::new("facts.json")).unwrap()
            })
        }

        fn tier() -> impl Strategy<Value = wit::Tier> {
            prop_oneof![
                Just(wit::Tier::Public),
                Just(wit::Tier::Private),
                Just(wit::Tier::Isolated)
            ]
        }

        /// A subnet's zone, tier and public-IP flag.
        type SubnetSeed = (Index, wit::Tier, bool);

        /// Where a route table's default route goes: 0 to 3 pick a kind of
        /// target, anything else the target the NAT strategy serves.
        type TargetSeed = (u8, Index);

        /// A region plan whose parts refer to each other the way a working
        /// plugin's do, though not always in ways the checks accept.
        fn region_plan() -> impl Strategy<Value = wit::RegionPlan> {
            let subnet = (any::<Index>(), tier(), any::<bool>());
            let target = (0..8_u8, any::<Index>());
            let nat = (0..4_u8, any::<Index>());
            let tags = prop::collection::vec(("[a-z]{1,8}", "[a-z0-9 ]{0,8}"), 0..3);
            (
                (any::<Index>(), any::<u8>(), 0..16_u8),
                prop::collection::vec(subnet, 0..8),
                prop::collection::vec(target, 1..4),
                nat,
                tags,
                prop::bool::weighted(0.85),
            )
                .prop_map(
                    |((region, octet, slot), subnets, targets, nat, tags, igw)| {
                        let region = region.get(&facts().regions);
                        let vpc = (octet, slot);
                        build(region, vpc, &subnets, &targets, nat, tags, igw)
                    },
                )
        }

        fn build(
            facts: &facts::RegionFacts,
            (octet, first_slot): (u8, u8),
            seeds: &[SubnetSeed],
            targets: &[TargetSeed],
            nat: (u8, Index),
            tags: Vec<(String, String)>,
            internet_gateway: bool,
        ) -> wit::RegionPlan {
            let zone = |index: &Index| index.get(&facts.zones);
            let nat = match nat.0 {
                0 => wit::NatStrategy::None,
                1 => wit::NatStrategy::Regional,
                2 => wit::NatStrategy::PerAz,
                _ => wit::NatStrategy::Single(zone(&nat.1).name.clone()),
            };
            let subnets: Vec<wit::Subnet> = (seeds.iter().zip(0_u16..))
                .map(|((at, tier, map_public_ip), index)| {
                    let slot = (u16::from(first_slot) + index) % 16;
                    wit::Subnet {
                        name: format!("{tier:?}-{}-{slot}", zone(at).name),
                        zone: zone(at).name.clone(),
                        zone_id: zone(at).zone_id.clone(),
                        tier: *tier,
                        cidr: format!("10.{octet}.{}.0/20", slot * 16),
                        map_public_ip: *map_public_ip,
                    }
                })
                .collect();
            let served = match &nat {
                wit::NatStrategy::None => wit::RouteTarget::InternetGateway,
                wit::NatStrategy::Regional => wit::RouteTarget::NatGateway(None),
                wit::NatStrategy::Single(zone) => wit::RouteTarget::NatGateway(Some(zone.clone())),
                wit::NatStrategy::PerAz => {
                    let private = subnets.iter().find(|s| matches!(s.tier, wit::Tier::Private));
                    wit::RouteTarget::NatGateway(private.map(|subnet| subnet.zone.clone()))
                }
            };
            let route_tables = targets
                .iter()
                .enumerate()
                .map(|(index, (kind, at))| wit::RouteTable {
                    name: format!("table-{index}"),
                    subnets: (subnets.iter().skip(index).step_by(targets.len()))
                        .map(|subnet| subnet.name.clone())
                        .collect(),
                    default_route: match kind {
                        0 => wit::RouteTarget::None,
                        1 => wit::RouteTarget::InternetGateway,
                        2 => wit::RouteTarget::NatGateway(None),
                        3 => wit::RouteTarget::NatGateway(Some(zone(at).name.clone())),
                        _ => served.clone(),
                    },
                })
                .collect();
            wit::RegionPlan {
                region: facts.region.clone(),
                vpc: wit::Vpc { cidr: format!("10.{octet}.0.0/16"), name: "vpc".to_string() },
                tags: tags.into_iter().map(|(key, value)| wit::Pair { key, value }).collect(),
                subnets,
                internet_gateway,
                nat,
                route_tables,
            }
        }

        /// Every string of a region plan, to swap one for anything.
        fn strings(region: &mut wit::RegionPlan) -> Vec<&mut String> {
            let mut strings = vec![&mut region.region, &mut region.vpc.cidr, &mut region.vpc.name];
            for subnet in &mut region.subnets {
                strings.extend([&mut subnet.name, &mut subnet.zone, &mut subnet.zone_id]);
                strings.push(&mut subnet.cidr);
            }
            for table in &mut region.route_tables {
                strings.push(&mut table.name);
                strings.extend(table.subnets.iter_mut());
            }
            for pair in &mut region.tags {
                strings.extend([&mut pair.key, &mut pair.value]);
            }
            strings
        }

        /// A plan of up to three regions, with one string swapped for a CIDR
        /// or any text half the time.
        fn plan() -> impl Strategy<Value = wit::Plan> {
            let swap = prop::option::of((any::<Index>(), prop_oneof![fuzz::cidr(), fuzz::text()]));
            let action = prop_oneof![4 => "ec2:[A-Za-z]{1,20}", 1 => "\\PC{0,8}"];
            let actions = prop::collection::vec(action, 0..3);
            (prop::collection::vec(region_plan(), 1..4), swap, actions).prop_map(
                |(mut regions, swap, iam_actions)| {
                    if let (Some((at, text)), Some(region)) = (swap, regions.first_mut()) {
                        let mut strings = strings(region);
                        let slot = at.index(strings.len());
                        *strings[slot] = text;
                    }
                    wit::Plan { regions, iam_actions }
                },
            )
        }

        fn pack() -> &'static Pack {
            static PACK: OnceLock<Pack> = OnceLock::new();
            PACK.get_or_init(|| Pack::default_pack().unwrap())
        }

        /// The steps after a plan passes the checks: the policies and the diff
        /// against an empty set.
        fn judge_and_diff(plan: &Plan) -> Result<(), TestCaseError> {
            let regions: Vec<&str> = plan.regions.iter().map(|r| r.region.as_str()).collect();
            let text = format!("type: aws\npublic_ips: false\nregions: {regions:?}\n");
            let config = Config::parse(&text, Path::new("c.yml")).unwrap();
            let permissions = iam::actions(iam::NatUse::of_plan(plan));
            let input =
                policy_input(&config, "fuzz", &config.params, facts(), plan, &permissions).unwrap();
            let outcomes = policy::evaluate(&pack().rules, &input, RULE_BUDGET);
            prop_assert!(outcomes.is_ok(), "{:#}", outcomes.unwrap_err());
            for region in &plan.regions {
                let held = state::Holding::default();
                let diff = diff::region(&region.region, "fuzz", Some(region), &held);
                prop_assert!(diff.is_ok(), "{}: {:?}", region.region, diff.unwrap_err());
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn scenario_10_plan_checks_survive_random_plans(wit_plan in plan()) {
                let requested: Vec<String> =
                    facts().regions.iter().map(|r| r.region.clone()).collect();
                let checked = super::super::plan(wit_plan)
                    .and_then(|plan| plan::check(&plan, &requested, facts()).map(|()| plan));
                match checked {
                    Ok(plan) => judge_and_diff(&plan)?,
                    Err(message) => {
                        let shown = crate::error::printable(&message);
                        let control = shown.chars().any(|c| c.is_control() && c != '\n');
                        prop_assert!(!control, "an error shows control characters: {shown:?}");
                    }
                }
            }
        }
    }
}
