//! What a managed set holds in one region, as read back from EC2 by its
//! ownership tags. There is no state file: this is the state the diff compares
//! a plan with, and everything in it carries the set's tags.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;
use serde::Serialize;

use crate::facts::Tier;

/// A resource's tags, by key.
pub type Tags = BTreeMap<String, String>;

/// The managed set's resources in one region.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Holding {
    /// VPCs: one, unless a run was interrupted in an unusual place.
    pub vpcs: Vec<HeldVpc>,
    /// Internet gateways.
    pub internet_gateways: Vec<HeldGateway>,
    /// Subnets.
    pub subnets: Vec<HeldSubnet>,
    /// Route tables host created (not the VPC's main table, nor a NAT gateway's own).
    pub route_tables: Vec<HeldTable>,
    /// NAT gateways that are pending, available or being deleted.
    pub nat_gateways: Vec<HeldNat>,
    /// Elastic IPs host allocated.
    pub addresses: Vec<HeldAddress>,
}

/// A managed VPC.
#[derive(Debug, Clone, Serialize)]
pub struct HeldVpc {
    /// Its id.
    pub id: String,
    /// Its primary CIDR block.
    pub cidr: Ipv4Net,
    /// Whether instances get DNS hostnames; unknown when not read.
    pub dns_hostnames: Option<bool>,
    /// Its tags.
    pub tags: Tags,
}

/// A managed internet gateway.
#[derive(Debug, Clone, Serialize)]
pub struct HeldGateway {
    /// Its id.
    pub id: String,
    /// The VPCs it is attached to.
    pub attached_to: Vec<String>,
    /// Its tags.
    pub tags: Tags,
}

/// A managed subnet.
#[derive(Debug, Clone, Serialize)]
pub struct HeldSubnet {
    /// Its id.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its zone name.
    pub zone: String,
    /// Its zone ID.
    pub zone_id: String,
    /// Its CIDR block.
    pub cidr: Ipv4Net,
    /// Its tier, from its tier tag.
    pub tier: Option<Tier>,
    /// Whether instances launched in it get a public IPv4 address.
    pub map_public_ip: bool,
    /// Its tags.
    pub tags: Tags,
}

/// A managed route table.
#[derive(Debug, Clone, Serialize)]
pub struct HeldTable {
    /// Its id.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its explicit subnet associations.
    pub associations: Vec<Association>,
    /// Where its `0.0.0.0/0` route goes, if it has one.
    pub default_route: Option<Target>,
    /// Its tags.
    pub tags: Tags,
}

/// An explicit association of a subnet with a route table.
#[derive(Debug, Clone, Serialize)]
pub struct Association {
    /// The association's id.
    pub id: String,
    /// The subnet.
    pub subnet_id: String,
}

/// Where a route goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "kebab-case")]
pub enum Target {
    /// An internet gateway.
    Gateway(String),
    /// A NAT gateway.
    Nat(String),
    /// Something host never routes to, such as a peering connection.
    Other,
}

/// A managed NAT gateway.
#[derive(Debug, Clone, Serialize)]
pub struct HeldNat {
    /// Its id.
    pub id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its subnet: only zonal gateways have one.
    pub subnet_id: Option<String>,
    /// Whether it is a regional NAT gateway.
    pub regional: bool,
    /// Its state.
    pub state: NatState,
    /// The Elastic IPs it uses, by allocation id.
    pub allocation_ids: Vec<String>,
    /// The route table AWS made for a regional gateway, which goes with it.
    pub route_table_id: Option<String>,
    /// Its tags.
    pub tags: Tags,
}

/// The states of a NAT gateway that host still sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NatState {
    /// Being created.
    Pending,
    /// Ready.
    Available,
    /// Being deleted.
    Deleting,
}

/// A managed Elastic IP.
#[derive(Debug, Clone, Serialize)]
pub struct HeldAddress {
    /// Its allocation id.
    pub allocation_id: String,
    /// Its public address.
    pub public_ip: String,
    /// Whether something uses it, such as a NAT gateway.
    pub associated: bool,
    /// Its tags.
    pub tags: Tags,
}

impl Holding {
    /// Whether the set holds nothing here that host could still delete.
    pub fn is_empty(&self) -> bool {
        self.vpcs.is_empty()
            && self.internet_gateways.is_empty()
            && self.subnets.is_empty()
            && self.route_tables.is_empty()
            && self.nat_gateways.iter().all(|nat| nat.state == NatState::Deleting)
            && self.addresses.is_empty()
    }

    /// The subnet with this id.
    pub fn subnet(&self, id: &str) -> Option<&HeldSubnet> {
        self.subnets.iter().find(|subnet| subnet.id == id)
    }
}
