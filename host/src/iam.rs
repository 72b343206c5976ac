//! The one table of EC2 actions the host may call, and the IAM policy made from it.
//!
//! `host permissions` prints a policy generated from [`ACTIONS`]; the EC2 code
//! names its calls through the same table, so the printed policy and what the
//! host does cannot drift apart.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::plan::{Nat, Plan};

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
    /// Tagging: while creating, or on resources carrying [`OWNER_TAG`].
    Tag,
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
    ("ec2:CreateTags", Need::Tag),
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
    /// A value the default plugin would refuse is an error naming it.
    pub fn of_standard_plugin(
        public_ips: bool,
        params: &BTreeMap<String, String>,
    ) -> Result<NatUse, String> {
        if params.keys().any(|key| !STANDARD_PARAMS.contains(&key.as_str())) {
            return Ok(NatUse::Any);
        }
        let always = match params.get("private").map(String::as_str) {
            None | Some("auto") => false,
            Some("always") => true,
            Some(other) => {
                return Err(format!("parameter `private` is `{other}`; use `auto` or `always`"));
            }
        };
        let nat = match params.get("nat").map(String::as_str) {
            Some("none") => NatUse::None,
            Some("per-az" | "single") => NatUse::Zonal,
            Some("regional") | None => NatUse::Regional,
            Some(other) => {
                return Err(format!(
                    "parameter `nat` is `{other}`; use `regional`, `per-az`, `single` or `none`"
                ));
            }
        };
        Ok(if public_ips && !always { NatUse::None } else { nat })
    }

    /// The NAT use of a plan: zonal when any region has a zonal NAT gateway,
    /// regional when any has a regional one.
    pub fn of_plan(plan: &Plan) -> NatUse {
        let modes: Vec<&Nat> = plan.regions.iter().map(|region| &region.nat).collect();
        if modes.iter().any(|nat| matches!(nat, Nat::PerAz | Nat::Single { .. })) {
            NatUse::Zonal
        } else if modes.contains(&&Nat::Regional) {
            NatUse::Regional
        } else {
            NatUse::None
        }
    }

    fn needs(self, need: Need) -> bool {
        match need {
            Need::Read | Need::Write | Need::Tag | Need::Delete => true,
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

/// The IAM policy document granting exactly [`actions`]: reads on any resource;
/// creates on any resource; tags only while creating or on resources that
/// already carry the ownership tag, so no foreign resource can be marked as
/// host's; deletes only on resources carrying the ownership tag.
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
    let creates: Vec<&str> = pick(&[Need::Write, Need::Nat, Need::ZonalNat])
        .into_iter()
        .filter(|a| a.starts_with("ec2:Create") || a.starts_with("ec2:Allocate"))
        .collect();
    let owned = json!({"StringEquals": {format!("aws:ResourceTag/{OWNER_TAG}"): "true"}});
    let on_create: Vec<&str> = creates.iter().map(|action| &action[4..]).collect();
    let statements = vec![
        json!({"Sid": "ReadNetwork", "Effect": "Allow", "Action": pick(&[Need::Read]), "Resource": "*"}),
        json!({"Sid": "CreateManagedNetwork", "Effect": "Allow",
            "Action": pick(&[Need::Write, Need::Nat, Need::ZonalNat]), "Resource": "*"}),
        json!({"Sid": "TagWhileCreating", "Effect": "Allow", "Action": pick(&[Need::Tag]),
            "Resource": "*", "Condition": {"StringEquals": {"ec2:CreateAction": on_create}}}),
        json!({"Sid": "RetagManagedNetwork", "Effect": "Allow", "Action": pick(&[Need::Tag]),
            "Resource": "*", "Condition": owned.clone()}),
        json!({"Sid": "DeleteOnlyManagedNetwork", "Effect": "Allow",
            "Action": pick(&[Need::Delete, Need::NatDelete, Need::ZonalNatDelete]),
            "Resource": "*", "Condition": owned}),
    ];
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
    fn tags_go_only_on_new_or_already_owned_resources() {
        let document = policy(NatUse::Any);
        let tagging: Vec<&Value> = document["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["Action"].as_array().unwrap().iter().any(|a| a == "ec2:CreateTags"))
            .collect();
        assert_eq!(tagging.len(), 2);
        for statement in tagging {
            assert_eq!(statement["Action"], json!(["ec2:CreateTags"]));
            assert!(statement["Condition"].is_object(), "{statement}");
        }
        let creating = &document["Statement"][2]["Condition"]["StringEquals"]["ec2:CreateAction"];
        assert!(creating.as_array().unwrap().contains(&json!("CreateVpc")), "{creating}");
        assert!(creating.as_array().unwrap().contains(&json!("AllocateAddress")), "{creating}");
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
