//! The IAM actions a plan of this plugin needs. Every region has a zonal NAT gateway, so any
//! plan with a region needs the same list.

use std::collections::BTreeSet;

/// Needed by every plan: reading the account, and building or removing VPCs, subnets, route
/// tables and internet gateways.
const ALWAYS: &[&str] = &[
    "ec2:AssociateRouteTable",
    "ec2:AttachInternetGateway",
    "ec2:CreateInternetGateway",
    "ec2:CreateRoute",
    "ec2:CreateRouteTable",
    "ec2:CreateSubnet",
    "ec2:CreateTags",
    "ec2:CreateVpc",
    "ec2:DeleteInternetGateway",
    "ec2:DeleteRoute",
    "ec2:DeleteRouteTable",
    "ec2:DeleteSubnet",
    "ec2:DeleteTags",
    "ec2:DeleteVpc",
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRegions",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
    "ec2:DetachInternetGateway",
    "ec2:DisassociateRouteTable",
    "ec2:ModifySubnetAttribute",
    "ec2:ModifyVpcAttribute",
];

/// Needed for a zonal NAT gateway and its Elastic IP.
const ZONAL_NAT: &[&str] =
    &["ec2:AllocateAddress", "ec2:CreateNatGateway", "ec2:DeleteNatGateway", "ec2:ReleaseAddress"];

/// The actions a plan needs, sorted and without duplicates; `nat` says whether it has a region,
/// and so a NAT gateway.
pub fn actions(nat: bool) -> Vec<String> {
    let mut actions: BTreeSet<&str> = ALWAYS.iter().copied().collect();
    if nat {
        actions.extend(ZONAL_NAT);
    }
    actions.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zonal_nat_actions_only_with_a_nat() {
        assert_eq!(actions(false).len(), 29);
        let actions = actions(true);
        assert_eq!(actions.len(), 33);
        assert!(actions.is_sorted());
        assert!(actions.contains(&"ec2:ReleaseAddress".to_string()));
    }
}
