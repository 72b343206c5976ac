//! The one table of EC2 actions the host may call, and the IAM policy made from it.
//!
//! `host permissions` prints a policy generated from [`ACTIONS`]; the EC2 code
//! names its calls through the same table, so the printed policy and what the
//! host does cannot drift apart.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::plan::{Nat, Plan};

/// The tag that marks a resource as created by host. The printed policy lets
/// host change, tag or delete only resources that carry it.
pub const OWNER_TAG: &str = "host:managed";

/// Which NAT modes need an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every run.
    Always,
    /// Plans with any NAT gateway.
    Nat,
    /// Plans with zonal NAT gateways, which hold Elastic IPs.
    ZonalNat,
}

/// Which resources an action may touch, and so the condition it is granted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Reads: any resource.
    Read,
    /// Creates a resource, which must be tagged with [`OWNER_TAG`] in the same call.
    Create,
    /// Tags: only while creating, or resources that carry [`OWNER_TAG`].
    Tag,
    /// Changes or deletes a resource that carries [`OWNER_TAG`].
    Owned,
}

/// One EC2 action the host may call.
#[derive(Debug, Clone, Copy)]
pub struct Action {
    /// The IAM action, such as `ec2:CreateVpc`.
    pub name: &'static str,
    /// When it is needed.
    pub mode: Mode,
    /// What it may touch.
    pub scope: Scope,
}

const fn action(name: &'static str, mode: Mode, scope: Scope) -> Action {
    Action { name, mode, scope }
}

/// Every EC2 action the host may call.
pub const ACTIONS: &[Action] = &[
    action("ec2:DescribeAccountAttributes", Mode::Always, Scope::Read),
    action("ec2:DescribeAddresses", Mode::Always, Scope::Read),
    action("ec2:DescribeAvailabilityZones", Mode::Always, Scope::Read),
    action("ec2:DescribeInternetGateways", Mode::Always, Scope::Read),
    action("ec2:DescribeNatGateways", Mode::Always, Scope::Read),
    action("ec2:DescribeNetworkInterfaces", Mode::Always, Scope::Read),
    action("ec2:DescribeRegions", Mode::Always, Scope::Read),
    action("ec2:DescribeRouteTables", Mode::Always, Scope::Read),
    action("ec2:DescribeSecurityGroups", Mode::Always, Scope::Read),
    action("ec2:DescribeSubnets", Mode::Always, Scope::Read),
    action("ec2:DescribeVpcAttribute", Mode::Always, Scope::Read),
    action("ec2:DescribeVpcs", Mode::Always, Scope::Read),
    action("ec2:CreateInternetGateway", Mode::Always, Scope::Create),
    action("ec2:CreateRouteTable", Mode::Always, Scope::Create),
    action("ec2:CreateSubnet", Mode::Always, Scope::Create),
    action("ec2:CreateVpc", Mode::Always, Scope::Create),
    action("ec2:CreateTags", Mode::Always, Scope::Tag),
    action("ec2:AssociateRouteTable", Mode::Always, Scope::Owned),
    action("ec2:AttachInternetGateway", Mode::Always, Scope::Owned),
    action("ec2:CreateRoute", Mode::Always, Scope::Owned),
    action("ec2:ModifySubnetAttribute", Mode::Always, Scope::Owned),
    action("ec2:ReplaceRoute", Mode::Always, Scope::Owned),
    action("ec2:ReplaceRouteTableAssociation", Mode::Always, Scope::Owned),
    action("ec2:ModifyVpcAttribute", Mode::Always, Scope::Owned),
    action("ec2:DeleteInternetGateway", Mode::Always, Scope::Owned),
    action("ec2:DeleteRoute", Mode::Always, Scope::Owned),
    action("ec2:DeleteRouteTable", Mode::Always, Scope::Owned),
    action("ec2:DeleteSubnet", Mode::Always, Scope::Owned),
    action("ec2:DeleteTags", Mode::Always, Scope::Owned),
    action("ec2:DeleteVpc", Mode::Always, Scope::Owned),
    action("ec2:DetachInternetGateway", Mode::Always, Scope::Owned),
    action("ec2:DisassociateRouteTable", Mode::Always, Scope::Owned),
    action("ec2:CreateNatGateway", Mode::Nat, Scope::Create),
    action("ec2:DeleteNatGateway", Mode::Nat, Scope::Owned),
    action("ec2:AllocateAddress", Mode::ZonalNat, Scope::Create),
    action("ec2:ReleaseAddress", Mode::ZonalNat, Scope::Owned),
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

    fn needs(self, mode: Mode) -> bool {
        match mode {
            Mode::Always => true,
            Mode::Nat => self != NatUse::None,
            Mode::ZonalNat => matches!(self, NatUse::Zonal | NatUse::Any),
        }
    }
}

/// The actions needed for `nat`, sorted.
pub fn actions(nat: NatUse) -> Vec<&'static str> {
    picked(nat, &[Scope::Read, Scope::Create, Scope::Tag, Scope::Owned])
}

fn picked(nat: NatUse, scopes: &[Scope]) -> Vec<&'static str> {
    let mut names: Vec<&str> = ACTIONS
        .iter()
        .filter(|action| nat.needs(action.mode) && scopes.contains(&action.scope))
        .map(|action| action.name)
        .collect();
    names.sort_unstable();
    names
}

/// The IAM policy document granting exactly [`actions`]: reads on any resource;
/// creates only with the ownership tag in the same call; tags only while
/// creating or on resources that already carry it, so no foreign resource can
/// be marked as host's; every change and delete only on resources carrying it.
pub fn policy(nat: NatUse) -> Value {
    let owner_key = |kind: &str| format!("aws:{kind}/{OWNER_TAG}");
    let creates = picked(nat, &[Scope::Create]);
    let create_calls: Vec<&str> = creates.iter().map(|name| &name[4..]).collect();
    let statements = vec![
        json!({"Sid": "ReadNetwork", "Effect": "Allow",
            "Action": picked(nat, &[Scope::Read]), "Resource": "*"}),
        json!({"Sid": "CreateTaggedNetwork", "Effect": "Allow", "Action": creates,
            "Resource": "*", "Condition": {"StringEquals": {owner_key("RequestTag"): "true"}}}),
        json!({"Sid": "TagWhileCreating", "Effect": "Allow", "Action": picked(nat, &[Scope::Tag]),
            "Resource": "*", "Condition": {"StringEquals": {"ec2:CreateAction": create_calls}}}),
        json!({"Sid": "ManageOwnedNetwork", "Effect": "Allow",
            "Action": picked(nat, &[Scope::Owned, Scope::Tag]), "Resource": "*",
            "Condition": {"StringEquals": {owner_key("ResourceTag"): "true"}}}),
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
    fn only_reads_are_granted_without_the_ownership_tag() {
        let document = policy(NatUse::Any);
        for statement in document["Statement"].as_array().unwrap() {
            let names = statement["Action"].as_array().unwrap();
            let reads = names.iter().all(|a| a.as_str().unwrap().starts_with("ec2:Describe"));
            if !reads {
                assert!(statement["Condition"].is_object(), "{statement}");
            }
        }
        let owned = &document["Statement"][3];
        assert_eq!(
            owned["Condition"]["StringEquals"][format!("aws:ResourceTag/{OWNER_TAG}")],
            "true"
        );
        for name in
            ["ec2:DeleteVpc", "ec2:ModifyVpcAttribute", "ec2:CreateRoute", "ec2:ReleaseAddress"]
        {
            assert!(owned["Action"].as_array().unwrap().contains(&json!(name)), "{name}");
        }
        let creating = &document["Statement"][1];
        assert!(creating["Action"].as_array().unwrap().contains(&json!("ec2:CreateVpc")));
        assert_eq!(
            creating["Condition"]["StringEquals"][format!("aws:RequestTag/{OWNER_TAG}")],
            "true"
        );
    }

    #[test]
    fn tags_go_only_on_new_or_already_owned_resources() {
        let document = policy(NatUse::Any);
        let while_creating = &document["Statement"][2];
        assert_eq!(while_creating["Action"], json!(["ec2:CreateTags"]));
        let calls =
            while_creating["Condition"]["StringEquals"]["ec2:CreateAction"].as_array().unwrap();
        assert!(calls.contains(&json!("CreateVpc")) && calls.contains(&json!("AllocateAddress")));
        assert!(!calls.contains(&json!("CreateRoute")), "routes carry no tags");
    }

    #[test]
    fn every_action_appears_in_exactly_one_statement_except_tagging() {
        let document = policy(NatUse::Any);
        for action in ACTIONS {
            let count = document["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["Action"].as_array().unwrap().contains(&json!(action.name)))
                .count();
            let expected = if action.scope == Scope::Tag { 2 } else { 1 };
            assert_eq!(count, expected, "{}", action.name);
        }
    }
}
