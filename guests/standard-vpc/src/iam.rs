//! The IAM actions a plan needs: the whole vocabulary this plugin may ask for.

use std::collections::BTreeSet;

use vpc_plugin_kit::types::{NatStrategy, RegionPlan};

/// Needed by every plan: reading the account, and building or removing VPCs, subnets, route
/// tables and internet gateways.
const ALWAYS: &[&str] = &[
    "ec2:DescribeRegions",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNatGateways",
    "ec2:DescribeAddresses",
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeNetworkInterfaces",
    "ec2:CreateVpc",
    "ec2:ModifyVpcAttribute",
    "ec2:DeleteVpc",
    "ec2:CreateTags",
    "ec2:DeleteTags",
    "ec2:CreateSubnet",
    "ec2:ModifySubnetAttribute",
    "ec2:DeleteSubnet",
    "ec2:CreateRouteTable",
    "ec2:DeleteRouteTable",
    "ec2:AssociateRouteTable",
    "ec2:DisassociateRouteTable",
    "ec2:CreateRoute",
    "ec2:DeleteRoute",
    "ec2:CreateInternetGateway",
    "ec2:AttachInternetGateway",
    "ec2:DetachInternetGateway",
    "ec2:DeleteInternetGateway",
];

/// Needed when any region has a NAT gateway.
const NAT: &[&str] = &["ec2:CreateNatGateway", "ec2:DeleteNatGateway"];

/// Needed when any region has a zonal NAT gateway, which holds an Elastic IP.
const ZONAL_NAT: &[&str] = &["ec2:AllocateAddress", "ec2:ReleaseAddress"];

/// The actions applying `regions` needs, sorted and without duplicates.
pub fn actions(regions: &[RegionPlan]) -> Vec<String> {
    let nat = regions.iter().any(|region| region.nat != NatStrategy::None);
    let zonal = regions
        .iter()
        .any(|region| matches!(region.nat, NatStrategy::PerAz | NatStrategy::Single(_)));
    let mut actions: BTreeSet<&str> = ALWAYS.iter().copied().collect();
    if nat {
        actions.extend(NAT);
    }
    if zonal {
        actions.extend(ZONAL_NAT);
    }
    actions.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use vpc_plugin_kit::types::Vpc;

    fn region(nat: NatStrategy) -> RegionPlan {
        RegionPlan {
            region: "us-east-1".into(),
            vpc: Vpc { cidr: "10.1.0.0/16".into(), name: "dev".into() },
            tags: Vec::new(),
            subnets: Vec::new(),
            internet_gateway: true,
            nat,
            route_tables: Vec::new(),
        }
    }

    #[test]
    fn always_actions_sorted_and_unique() {
        let actions = actions(&[]);
        assert_eq!(actions.len(), ALWAYS.len());
        assert!(actions.is_sorted());
        assert!(
            !actions
                .iter()
                .any(|action| action.contains("Nat") && action.starts_with("ec2:Create"))
        );
    }

    #[test]
    fn regional_nat_adds_nat_actions_only() {
        let actions = actions(&[region(NatStrategy::None), region(NatStrategy::Regional)]);
        assert!(actions.contains(&"ec2:CreateNatGateway".to_string()));
        assert!(!actions.contains(&"ec2:AllocateAddress".to_string()));
    }

    #[test]
    fn zonal_nat_adds_address_actions() {
        for nat in [NatStrategy::PerAz, NatStrategy::Single("us-east-1a".into())] {
            let actions = actions(&[region(nat)]);
            assert!(actions.contains(&"ec2:DeleteNatGateway".to_string()));
            assert!(actions.contains(&"ec2:ReleaseAddress".to_string()));
            assert_eq!(actions.len(), ALWAYS.len() + 4);
        }
    }
}
