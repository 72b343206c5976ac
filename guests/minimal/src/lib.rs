//! The smallest useful host plugin: in every region, a VPC with a public subnet in each
//! availability zone, routed to an internet gateway. It plans no private subnets, so it is for
//! configs with `public_ips: true`. The VPC's CIDR is the existing VPC's, or the `cidr`
//! parameter (`10.0.0.0/16` by default); each zone gets the `/20` its zone ID number picks.

// A component only: natively the export's symbol names do not link, so there is nothing here.
#![cfg(target_arch = "wasm32")]

use ipnet::Ipv4Net;
use vpc_plugin_kit::bindings::exports::host::vpc::planner::Guest;
use vpc_plugin_kit::bindings::host::vpc::logging::log;
use vpc_plugin_kit::types::{
    Config, LogLevel, NatStrategy, Pair, Plan, PlanError, RegionFacts, RegionPlan, RouteTable,
    RouteTarget, Subnet, Tier, Vpc, ZoneState, ZoneType,
};

/// What applying a plan of this plugin calls: reading the account, and making and removing
/// VPCs, subnets, route tables and internet gateways.
#[rustfmt::skip]
const IAM_ACTIONS: &[&str] = &[
    "ec2:AssociateRouteTable", "ec2:AttachInternetGateway", "ec2:CreateInternetGateway",
    "ec2:CreateRoute", "ec2:CreateRouteTable", "ec2:CreateSubnet", "ec2:CreateTags",
    "ec2:CreateVpc", "ec2:DeleteInternetGateway", "ec2:DeleteRoute", "ec2:DeleteRouteTable",
    "ec2:DeleteSubnet", "ec2:DeleteTags", "ec2:DeleteVpc", "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones", "ec2:DescribeInternetGateways",
    "ec2:DescribeNatGateways", "ec2:DescribeNetworkInterfaces", "ec2:DescribeRegions",
    "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
    "ec2:DescribeVpcs", "ec2:DetachInternetGateway", "ec2:DisassociateRouteTable",
    "ec2:ModifySubnetAttribute", "ec2:ModifyVpcAttribute",
];

/// The planner the host calls.
struct Minimal;

impl Guest for Minimal {
    fn make_plan(config: Config, facts: Vec<RegionFacts>) -> Result<Plan, PlanError> {
        if !config.public_ips {
            let why = "this plugin plans public subnets only; set `public_ips: true`";
            return Err(PlanError::Other(why.to_string()));
        }
        let mut cidr = "10.0.0.0/16".to_string();
        for pair in &config.params {
            match pair.key.as_str() {
                "cidr" => cidr = pair.value.clone(),
                other => return Err(PlanError::InvalidParameter(format!("unknown `{other}`"))),
            }
        }
        let regions: Result<Vec<RegionPlan>, PlanError> =
            facts.iter().map(|facts| region(&config, facts, &cidr)).collect();
        let iam_actions = IAM_ACTIONS.iter().map(|action| action.to_string()).collect();
        Ok(Plan { regions: regions?, iam_actions })
    }
}

/// One region's plan.
fn region(config: &Config, facts: &RegionFacts, cidr: &str) -> Result<RegionPlan, PlanError> {
    let cidr = facts.existing.as_ref().map_or(cidr, |vpc| vpc.cidr.as_str());
    let vpc: Ipv4Net = cidr.parse().map_err(|_| bad_cidr(cidr))?;
    let parts: Vec<Ipv4Net> =
        vpc.subnets(vpc.prefix_len() + 4).map_err(|_| bad_cidr(cidr))?.collect();
    let mut subnets = Vec::new();
    for zone in &facts.zones {
        let open = matches!(zone.state, ZoneState::Available | ZoneState::Information);
        if zone.zone_type != ZoneType::AvailabilityZone || !open {
            continue;
        }
        // `use1-az4` is zone number 4, whose subnet is the fourth part of the VPC.
        let number: usize = zone
            .zone_id
            .rsplit_once("-az")
            .and_then(|(_, n)| n.parse().ok())
            .ok_or_else(|| PlanError::Other(format!("odd zone ID `{}`", zone.zone_id)))?;
        let part = parts.get(number.wrapping_sub(1)).ok_or_else(|| {
            PlanError::AddressSpaceExhausted(format!("no room for zone `{}`", zone.zone_id))
        })?;
        subnets.push(Subnet {
            name: format!("{}-public-{}", config.name, zone.name),
            zone: zone.name.clone(),
            zone_id: zone.zone_id.clone(),
            tier: Tier::Public,
            cidr: part.to_string(),
            map_public_ip: true,
        });
    }
    log(LogLevel::Info, &format!("{}: {} public subnets", facts.region, subnets.len()));
    let table = RouteTable {
        name: format!("{}-public", config.name),
        subnets: subnets.iter().map(|subnet| subnet.name.clone()).collect(),
        default_route: RouteTarget::InternetGateway,
    };
    let mut tags: Vec<Pair> = config.tags.iter().filter(|tag| tag.key != "Name").cloned().collect();
    tags.push(Pair { key: "Name".to_string(), value: config.name.clone() });
    Ok(RegionPlan {
        region: facts.region.clone(),
        vpc: Vpc { cidr: vpc.to_string(), name: config.name.clone() },
        tags,
        subnets,
        internet_gateway: true,
        nat: NatStrategy::None,
        route_tables: vec![table],
    })
}

/// The error for a `cidr` that is not a network AWS could use.
fn bad_cidr(cidr: &str) -> PlanError {
    PlanError::InvalidParameter(format!("`cidr`: `{cidr}` is not an IPv4 network of /16 to /24"))
}

vpc_plugin_kit::bindings::export!(Minimal with_types_in vpc_plugin_kit::bindings);
