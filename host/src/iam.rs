//! The one table of EC2 actions the host may call, and the IAM policy made from it.
//!
//! `host permissions` prints a policy generated from [`ACTIONS`]; the EC2 code
//! names its calls through the same table, so the printed policy and what the
//! host does cannot drift apart.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// The tag that marks a resource as created by host; deletes are allowed only
/// on resources that carry it.
pub const OWNER_TAG: &str = "host:managed";

/// When the host needs an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// Reading what exists; every run.
    Read,
    /// Creating and changing resources; every apply.
    Write,
    /// Deleting and detaching; only ever on resources carrying [`OWNER_TAG`].
    Delete,
    /// Creating any NAT gateway.
    Nat,
    /// Deleting a NAT gateway.
    NatDelete,
    /// Allocating Elastic IPs for zonal NAT gateways.
    ZonalNat,
    /// Releasing those Elastic IPs.
    ZonalNatDelete,
}

/// Every EC2 action the host may call, with when it needs it.
pub const ACTIONS: &[(&str, Need)] = &[
    ("ec2:DescribeAccountAttributes", Need::Read),
    ("ec2:DescribeAddresses", Need::Read),
    ("ec2:DescribeAvailabilityZones", Need::Read),
    ("ec2:DescribeInternetGateways", Need::Read),
    ("ec2:DescribeNatGateways", Need::Read),
    ("ec2:DescribeNetworkInterfaces", Need::Read),
    ("ec2:DescribeRegions", Need::Read),
    ("ec2:DescribeRouteTables", Need::Read),
    ("ec2:DescribeSecurityGroups", Need::Read),
    ("ec2:DescribeSubnets", Need::Read),
    ("ec2:DescribeVpcs", Need::Read),
    ("ec2:AssociateRouteTable", Need::Write),
    ("ec2:AttachInternetGateway", Need::Write),
    ("ec2:CreateInternetGateway", Need::Write),
    ("ec2:CreateRoute", Need::Write),
    ("ec2:CreateRouteTable", Need::Write),
    ("ec2:CreateSubnet", Need::Write),
    ("ec2:CreateTags", Need::Write),
    ("ec2:CreateVpc", Need::Write),
    ("ec2:ModifySubnetAttribute", Need::Write),
    ("ec2:ModifyVpcAttribute", Need::Write),
    ("ec2:DeleteInternetGateway", Need::Delete),
    ("ec2:DeleteRoute", Need::Delete),
    ("ec2:DeleteRouteTable", Need::Delete),
    ("ec2:DeleteSubnet", Need::Delete),
    ("ec2:DeleteTags", Need::Delete),
    ("ec2:DeleteVpc", Need::Delete),
    ("ec2:DetachInternetGateway", Need::Delete),
    ("ec2:DisassociateRouteTable", Need::Delete),
    ("ec2:CreateNatGateway", Need::Nat),
    ("ec2:DeleteNatGateway", Need::NatDelete),
    ("ec2:AllocateAddress", Need::ZonalNat),
    ("ec2:ReleaseAddress", Need::ZonalNatDelete),
];

/// The parameters of the default plugin.
const STANDARD_PARAMS: &[&str] = &["cidr_base", "nat", "private"];

/// Which NAT gateways a config's plans will have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatUse {
    /// No NAT gateway.
    None,
    /// Regional NAT gateways only: no Elastic IPs to manage.
    Regional,
    /// Zonal NAT gateways, each with an Elastic IP.
    Zonal,
    /// Unknown, so every NAT mode is covered.
    Any,
}

impl NatUse {
    /// The NAT use of the default plugin for a config and its parameters:
    /// `nat` when given, otherwise regional when there are private subnets.
    /// Parameters the default plugin does not take mean another plugin, whose
    /// NAT use cannot be known here, so every mode is covered.
    pub fn of_standard_plugin(public_ips: bool, params: &BTreeMap<String, String>) -> NatUse {
        if params.keys().any(|key| !STANDARD_PARAMS.contains(&key.as_str())) {
            return NatUse::Any;
        }
        let private = !public_ips || params.get("private").is_some_and(|v| v == "always");
        match params.get("nat").map(String::as_str) {
            _ if !private => NatUse::None,
            Some("none") => NatUse::None,
            Some("per-az" | "single") => NatUse::Zonal,
            Some("regional") | None => NatUse::Regional,
            Some(_) => NatUse::Any,
        }
    }

    fn needs(self, need: Need) -> bool {
        match need {
            Need::Read | Need::Write | Need::Delete => true,
            Need::Nat | Need::NatDelete => self != NatUse::None,
            Need::ZonalNat | Need::ZonalNatDelete => matches!(self, NatUse::Zonal | NatUse::Any),
        }
    }
}

/// The actions needed for `nat`, sorted.
pub fn actions(nat: NatUse) -> Vec<&'static str> {
    let mut actions: Vec<&str> =
        ACTIONS.iter().filter(|(_, need)| nat.needs(*need)).map(|(action, _)| *action).collect();
    actions.sort_unstable();
    actions
}

/// The IAM policy document granting exactly [`actions`]: reads and creates on
/// any resource, deletes only on resources carrying the ownership tag.
pub fn policy(nat: NatUse) -> Value {
    let pick = |wanted: &[Need]| -> Vec<&str> {
        let mut picked: Vec<&str> = ACTIONS
            .iter()
            .filter(|(_, need)| wanted.contains(need) && nat.needs(*need))
            .map(|(action, _)| *action)
            .collect();
        picked.sort_unstable();
        picked
    };
    let mut statements = vec![
        json!({"Sid": "ReadNetwork", "Effect": "Allow", "Action": pick(&[Need::Read]), "Resource": "*"}),
        json!({"Sid": "CreateManagedNetwork", "Effect": "Allow",
            "Action": pick(&[Need::Write, Need::Nat, Need::ZonalNat]), "Resource": "*"}),
    ];
    statements.push(json!({
        "Sid": "DeleteOnlyManagedNetwork",
        "Effect": "Allow",
        "Action": pick(&[Need::Delete, Need::NatDelete, Need::ZonalNatDelete]),
        "Resource": "*",
        "Condition": {"StringEquals": {format!("aws:ResourceTag/{OWNER_TAG}"): "true"}},
    }));
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zonal_nat_adds_elastic_ip_actions_and_none_drops_nat_actions() {
        let zonal = actions(NatUse::Zonal);
        assert!(zonal.contains(&"ec2:AllocateAddress") && zonal.contains(&"ec2:ReleaseAddress"));
        let regional = actions(NatUse::Regional);
        assert!(regional.contains(&"ec2:CreateNatGateway"));
        assert!(!regional.contains(&"ec2:AllocateAddress"));
        assert!(!actions(NatUse::None).contains(&"ec2:CreateNatGateway"));
        assert_eq!(actions(NatUse::Any).len(), ACTIONS.len());
    }

    #[test]
    fn tagging_and_the_quota_read_are_listed() {
        let all = actions(NatUse::None);
        assert!(all.contains(&"ec2:CreateTags") && all.contains(&"ec2:DescribeAccountAttributes"));
    }

    #[test]
    fn every_delete_is_conditioned_on_the_ownership_tag() {
        let document = policy(NatUse::Any);
        for statement in document["Statement"].as_array().unwrap() {
            let deletes = statement["Action"].as_array().unwrap().iter().any(|a| {
                let a = a.as_str().unwrap();
                a.contains(":Delete") || a.contains(":Detach") || a.contains(":Release")
            });
            if deletes {
                assert!(statement["Condition"].to_string().contains(OWNER_TAG), "{statement}");
            }
        }
    }
}
