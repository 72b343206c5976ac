//! The diff: the ordered changes that turn what a managed set holds in a region
//! into what the plan asks for there.
//!
//! Resources are matched by what they are, not by id: the VPC of the set, the
//! internet gateway attached to it, a subnet by zone and CIDR, a route table by
//! name, a NAT gateway by where it serves, an Elastic IP by the NAT gateway it
//! belongs to. What matches is kept, and a differing tag or attribute is
//! changed in place; nothing is replaced to change a tag. Held resources the
//! plan no longer wants are deleted, in the reverse of the order they were
//! made in.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::Ipv4Net;
use serde::Serialize;

use crate::ec2::{SET_TAG, TIER_TAG};
use crate::iam::OWNER_TAG;
use crate::plan::{Nat, RegionPlan, RouteTable, RouteTarget, Tier};
use crate::state::{HeldNat, HeldTable, Holding, NatState, Tags, Target};

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// Make the resource.
    Create,
    /// Leave it as it is.
    Keep,
    /// Change tags or attributes in place.
    Update,
    /// Remove it.
    Delete,
}

/// The kinds of resource host manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A VPC.
    Vpc,
    /// An internet gateway.
    InternetGateway,
    /// A subnet.
    Subnet,
    /// A route table.
    RouteTable,
    /// An Elastic IP for a zonal NAT gateway.
    ElasticIp,
    /// A NAT gateway.
    NatGateway,
}

/// Where a planned route table's `0.0.0.0/0` goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "target", content = "name", rename_all = "kebab-case")]
pub enum Route {
    /// Nowhere.
    None,
    /// The VPC's internet gateway.
    InternetGateway,
    /// The NAT gateway of this name.
    Nat(String),
}

/// What a resource is: enough to create it, or to say what is deleted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Spec {
    /// A VPC.
    Vpc {
        /// Its CIDR block.
        cidr: Ipv4Net,
    },
    /// An internet gateway.
    InternetGateway,
    /// A subnet.
    Subnet {
        /// Its zone name.
        zone: String,
        /// Its CIDR block.
        cidr: Ipv4Net,
        /// Whether instances get public IPv4 addresses.
        map_public_ip: bool,
    },
    /// A route table.
    RouteTable {
        /// Its default route.
        route: Route,
        /// The subnets associated with it, by name.
        subnets: Vec<String>,
    },
    /// An Elastic IP.
    ElasticIp,
    /// A NAT gateway: regional without a subnet, zonal in a public subnet
    /// with an Elastic IP, both named.
    NatGateway {
        /// The subnet of a zonal gateway.
        subnet: Option<String>,
        /// The Elastic IP of a zonal gateway.
        address: Option<String>,
        /// The state of a held gateway: one still pending is waited on
        /// before routes point at it, one already deleting is only waited on.
        #[serde(skip_serializing_if = "Option::is_none")]
        state: Option<NatState>,
    },
}

/// One in-place change to a kept resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum Update {
    /// Set these tags and remove those.
    Tags {
        /// Tags to add or overwrite.
        set: Tags,
        /// Tag keys to remove.
        remove: Vec<String>,
    },
    /// Turn public IPv4 addresses at launch on or off.
    MapPublicIp {
        /// The new setting.
        on: bool,
    },
    /// Give instances DNS hostnames.
    DnsHostnames,
    /// Attach the internet gateway to the VPC.
    Attach,
    /// Point the default route elsewhere.
    Route {
        /// The new target.
        route: Route,
        /// Whether a default route exists to replace.
        replace: bool,
    },
    /// Associate a subnet, taking it over from another table when `replacing`
    /// names that association.
    Associate {
        /// The subnet's name.
        subnet: String,
        /// The association to move here.
        replacing: Option<String>,
    },
    /// Detach the internet gateway from a VPC before deleting it.
    Detach {
        /// The VPC's id.
        vpc: String,
    },
    /// Remove an association.
    Disassociate {
        /// The association's id.
        association: String,
    },
}

/// One change to one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// What happens.
    pub op: Op,
    /// The resource's kind.
    pub kind: Kind,
    /// Its `Name` tag.
    pub name: String,
    /// Its id, when it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What it is.
    pub spec: Spec,
    /// The tags it is created with.
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// In-place changes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<Update>,
}

/// The changes for one region, in the order they run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionDiff {
    /// The region code.
    pub region: String,
    /// Whether the region is in the plan; if not, everything held goes.
    pub planned: bool,
    /// The changes.
    pub changes: Vec<Change>,
}

impl RegionDiff {
    /// How many changes do `op`.
    pub fn count(&self, op: Op) -> usize {
        self.changes.iter().filter(|change| change.op == op).count()
    }

    /// Whether applying changes nothing.
    pub fn is_noop(&self) -> bool {
        self.changes.iter().all(|change| change.op == Op::Keep)
    }
}

/// A plan that cannot be reached from what is held without destroying data.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Conflict(String);

/// The changes in one region: towards `plan`, or deleting everything held
/// there when the region is not planned.
pub fn region(
    region: &str,
    set: &str,
    plan: Option<&RegionPlan>,
    held: &Holding,
) -> Result<RegionDiff, Conflict> {
    let changes = match plan {
        Some(plan) => Differ::new(set, plan, held).changes()?,
        None => deletions(held, &BTreeSet::new()),
    };
    Ok(RegionDiff { region: region.to_string(), planned: plan.is_some(), changes })
}

/// The tags host sets on every resource of the set, besides `Name`.
pub fn base_tags(set: &str, plan_tags: &BTreeMap<String, String>) -> Tags {
    let mut tags: Tags =
        plan_tags.iter().filter(|(key, _)| *key != "Name").map(clone_pair).collect();
    tags.insert(OWNER_TAG.to_string(), "true".to_string());
    tags.insert(SET_TAG.to_string(), set.to_string());
    tags
}

fn clone_pair((key, value): (&String, &String)) -> (String, String) {
    (key.clone(), value.clone())
}

/// The name of a NAT gateway, and of its Elastic IP: the VPC's name, then
/// `nat`, then the zone of a zonal gateway.
pub fn nat_name(vpc: &str, zone: Option<&str>) -> String {
    match zone {
        Some(zone) => format!("{vpc}-nat-{zone}"),
        None => format!("{vpc}-nat"),
    }
}

struct Differ<'a> {
    plan: &'a RegionPlan,
    held: &'a Holding,
    base: Tags,
    /// Held ids that a change keeps, so that the rest are deleted.
    kept: BTreeSet<String>,
    /// Planned subnet name → held subnet id.
    subnet_ids: BTreeMap<String, String>,
    /// Associations a planned table takes over, so no deleted table drops them.
    moved: BTreeSet<String>,
    /// Planned NAT name → held id, for those kept.
    nat_ids: BTreeMap<String, String>,
    /// The kept internet gateway's id.
    gateway_id: Option<String>,
}

impl<'a> Differ<'a> {
    fn new(set: &str, plan: &'a RegionPlan, held: &'a Holding) -> Differ<'a> {
        Differ {
            plan,
            held,
            base: base_tags(set, &plan.tags),
            kept: BTreeSet::new(),
            subnet_ids: BTreeMap::new(),
            moved: BTreeSet::new(),
            nat_ids: BTreeMap::new(),
            gateway_id: None,
        }
    }

    fn changes(mut self) -> Result<Vec<Change>, Conflict> {
        let mut changes = vec![self.vpc()?];
        changes.extend(self.gateway());
        changes.extend(self.subnets());
        let (direct, via_nat): (Vec<_>, Vec<_>) =
            self.plan.route_tables.iter().partition(|table| !routes_to_nat(table));
        let nats = self.nats();
        changes.extend(self.tables(&direct));
        changes.extend(nats);
        changes.extend(self.tables(&via_nat));
        let mut deleted = deletions(self.held, &self.kept);
        for change in &mut deleted {
            if change.kind == Kind::RouteTable {
                change.updates.retain(|update| match update {
                    Update::Disassociate { association } => !self.moved.contains(association),
                    _ => true,
                });
            }
        }
        changes.extend(deleted);
        Ok(changes)
    }

    fn tags(&self, name: &str, tier: Option<Tier>) -> Tags {
        let mut tags = self.base.clone();
        tags.insert("Name".to_string(), name.to_string());
        if let Some(tier) = tier {
            tags.insert(TIER_TAG.to_string(), tier_name(tier).to_string());
        }
        tags
    }

    /// A change to make the resource, or to keep the held one with `id`.
    fn change(
        &mut self,
        kind: Kind,
        name: &str,
        spec: Spec,
        tags: Tags,
        held: Option<(&str, &Tags)>,
    ) -> Change {
        let Some((id, held_tags)) = held else {
            return Change {
                op: Op::Create,
                kind,
                name: name.to_string(),
                id: None,
                spec,
                tags,
                updates: Vec::new(),
            };
        };
        self.kept.insert(id.to_string());
        let updates: Vec<Update> = tag_update(held_tags, &tags).into_iter().collect();
        let op = if updates.is_empty() { Op::Keep } else { Op::Update };
        Change { op, kind, name: name.to_string(), id: Some(id.to_string()), spec, tags, updates }
    }

    fn vpc(&mut self) -> Result<Change, Conflict> {
        let planned = &self.plan.vpc;
        let tags = self.tags(&planned.name, None);
        let spec = Spec::Vpc { cidr: planned.cidr };
        let Some(held) = self.held.vpcs.first() else {
            return Ok(self.change(Kind::Vpc, &planned.name, spec, tags, None));
        };
        if held.cidr != planned.cidr {
            return Err(Conflict(format!(
                "the managed VPC `{}` has CIDR {}, but the plan gives it {}; a VPC's CIDR cannot change, so destroy the region first or plan {}",
                held.id, held.cidr, planned.cidr, held.cidr
            )));
        }
        let mut change =
            self.change(Kind::Vpc, &planned.name, spec, tags, Some((&held.id, &held.tags)));
        if held.dns_hostnames == Some(false) {
            change.updates.push(Update::DnsHostnames);
            change.op = Op::Update;
        }
        Ok(change)
    }

    fn vpc_id(&self) -> Option<&str> {
        self.held.vpcs.first().map(|vpc| vpc.id.as_str())
    }

    fn gateway(&mut self) -> Option<Change> {
        if !self.plan.internet_gateway {
            return None;
        }
        let vpc_id = self.vpc_id().map(str::to_string);
        let attached = |gateway: &&crate::state::HeldGateway| {
            vpc_id.as_ref().is_some_and(|vpc| gateway.attached_to.contains(vpc))
        };
        let held = self.held.internet_gateways.iter().find(attached).or_else(|| {
            self.held.internet_gateways.iter().find(|gateway| gateway.attached_to.is_empty())
        });
        let name = self.plan.vpc.name.clone();
        let tags = self.tags(&name, None);
        let mut change = self.change(
            Kind::InternetGateway,
            &name,
            Spec::InternetGateway,
            tags,
            held.map(|gateway| (gateway.id.as_str(), &gateway.tags)),
        );
        if let Some(gateway) = held {
            self.gateway_id = Some(gateway.id.clone());
            if !attached(&gateway) {
                change.updates.push(Update::Attach);
                change.op = Op::Update;
            }
        }
        Some(change)
    }

    fn subnets(&mut self) -> Vec<Change> {
        let mut changes = Vec::new();
        for planned in &self.plan.subnets {
            let held = self.held.subnets.iter().find(|subnet| {
                Some(subnet.vpc_id.as_str()) == self.vpc_id()
                    && subnet.zone_id == planned.zone_id
                    && subnet.cidr == planned.cidr
                    && !self.kept.contains(&subnet.id)
            });
            let spec = Spec::Subnet {
                zone: planned.zone.clone(),
                cidr: planned.cidr,
                map_public_ip: planned.map_public_ip,
            };
            let tags = self.tags(&planned.name, Some(planned.tier));
            let pair = held.map(|subnet| (subnet.id.as_str(), &subnet.tags));
            let mut change = self.change(Kind::Subnet, &planned.name, spec, tags, pair);
            if let Some(subnet) = held {
                self.subnet_ids.insert(planned.name.clone(), subnet.id.clone());
                if subnet.map_public_ip != planned.map_public_ip {
                    change.updates.push(Update::MapPublicIp { on: planned.map_public_ip });
                    change.op = Op::Update;
                }
            }
            changes.push(change);
        }
        changes
    }

    /// The planned NAT gateways, with the Elastic IPs of zonal ones first.
    fn nats(&mut self) -> Vec<Change> {
        let vpc = self.plan.vpc.name.clone();
        let (mut addresses, mut gateways) = (Vec::new(), Vec::new());
        let zones: Vec<Option<String>> = match &self.plan.nat {
            Nat::None => Vec::new(),
            Nat::Regional => vec![None],
            Nat::PerAz | Nat::Single { .. } => {
                self.plan.nat.zonal_zones(&self.plan.subnets).into_iter().map(Some).collect()
            }
        };
        for zone in zones {
            let name = nat_name(&vpc, zone.as_deref());
            let held = self.held_nat(zone.as_deref()).cloned();
            let address = zone.is_some().then(|| {
                let change = self.address(&name, held.as_ref());
                addresses.push(change);
                name.clone()
            });
            let subnet = zone.as_deref().and_then(|zone| {
                let public =
                    self.plan.subnets.iter().find(|s| s.tier == Tier::Public && s.zone == zone);
                public.map(|subnet| subnet.name.clone())
            });
            if let Some(held) = &held {
                self.nat_ids.insert(name.clone(), held.id.clone());
            }
            let tags = self.tags(&name, None);
            let spec =
                Spec::NatGateway { subnet, address, state: held.as_ref().map(|nat| nat.state) };
            let pair = held.as_ref().map(|nat| (nat.id.as_str(), &nat.tags));
            gateways.push(self.change(Kind::NatGateway, &name, spec, tags, pair));
        }
        addresses.extend(gateways);
        addresses
    }

    /// The held NAT gateway serving `zone`, or the regional one.
    fn held_nat(&self, zone: Option<&str>) -> Option<&'a HeldNat> {
        let held = self.held;
        held.nat_gateways.iter().filter(|nat| nat.state != NatState::Deleting).find(
            |nat| match zone {
                None => nat.regional,
                Some(zone) => {
                    let subnet = nat.subnet_id.as_deref().and_then(|id| held.subnet(id));
                    !nat.regional && subnet.is_some_and(|subnet| subnet.zone == zone)
                }
            },
        )
    }

    /// The Elastic IP of the zonal NAT gateway `name`: the one it uses, else a
    /// free one a crashed run allocated for it, else a new one.
    fn address(&mut self, name: &str, nat: Option<&HeldNat>) -> Change {
        let held = self.held.addresses.iter().find(|address| match nat {
            Some(nat) => nat.allocation_ids.contains(&address.allocation_id),
            None => {
                !address.associated
                    && address.tags.get("Name").map(String::as_str) == Some(name)
                    && !self.kept.contains(&address.allocation_id)
            }
        });
        let tags = self.tags(name, None);
        let pair = held.map(|address| (address.allocation_id.as_str(), &address.tags));
        self.change(Kind::ElasticIp, name, Spec::ElasticIp, tags, pair)
    }

    fn tables(&mut self, planned: &[&RouteTable]) -> Vec<Change> {
        planned.iter().map(|table| self.table(table)).collect()
    }

    fn table(&mut self, planned: &RouteTable) -> Change {
        let route = match &planned.default_route {
            RouteTarget::None => Route::None,
            RouteTarget::InternetGateway => Route::InternetGateway,
            RouteTarget::NatGateway { zone } => {
                Route::Nat(nat_name(&self.plan.vpc.name, zone.as_deref()))
            }
        };
        let held = self.held.route_tables.iter().find(|table| {
            table.tags.get("Name") == Some(&planned.name) && !self.kept.contains(&table.id)
        });
        let spec = Spec::RouteTable { route: route.clone(), subnets: planned.subnets.clone() };
        let tags = self.tags(&planned.name, None);
        let pair = held.map(|table| (table.id.as_str(), &table.tags));
        let mut change = self.change(Kind::RouteTable, &planned.name, spec, tags, pair);
        if let Some(update) = held.and_then(|table| self.route_update(table, &route)) {
            change.updates.push(update);
        }
        for subnet in &planned.subnets {
            let current = self.association_of(subnet);
            match current {
                Some((table_id, _)) if Some(table_id) == held.map(|t| t.id.as_str()) => {}
                Some((_, association)) => {
                    self.moved.insert(association.clone());
                    let replacing = Some(association);
                    change.updates.push(Update::Associate { subnet: subnet.clone(), replacing });
                }
                None => change
                    .updates
                    .push(Update::Associate { subnet: subnet.clone(), replacing: None }),
            }
        }
        if let Some(table) = held {
            for association in &table.associations {
                let wanted = planned
                    .subnets
                    .iter()
                    .any(|name| self.subnet_ids.get(name) == Some(&association.subnet_id));
                let elsewhere = self.plan.route_tables.iter().any(|other| {
                    other.name != planned.name
                        && other
                            .subnets
                            .iter()
                            .any(|name| self.subnet_ids.get(name) == Some(&association.subnet_id))
                });
                if !wanted && !elsewhere {
                    change
                        .updates
                        .push(Update::Disassociate { association: association.id.clone() });
                }
            }
        }
        if change.op == Op::Keep && !change.updates.is_empty() {
            change.op = Op::Update;
        }
        if change.op == Op::Create {
            change.updates.retain(|update| matches!(update, Update::Associate { .. }));
        }
        change
    }

    /// The held table and association id a planned subnet has now.
    fn association_of(&self, subnet: &str) -> Option<(&'a str, String)> {
        let id = self.subnet_ids.get(subnet)?;
        self.held.route_tables.iter().find_map(|table: &'a HeldTable| {
            let association = table.associations.iter().find(|a| &a.subnet_id == id)?;
            Some((table.id.as_str(), association.id.clone()))
        })
    }

    /// How a kept table's default route must change to reach `route`.
    fn route_update(&self, table: &HeldTable, route: &Route) -> Option<Update> {
        let current = table.default_route.as_ref();
        let wanted = match route {
            Route::None => None,
            Route::InternetGateway => self.gateway_id.clone().map(Target::Gateway),
            Route::Nat(name) => self.nat_ids.get(name).cloned().map(Target::Nat),
        };
        match (current, route) {
            (None, Route::None) => None,
            (Some(_), Route::None) => Some(Update::Route { route: Route::None, replace: true }),
            (current, _) if current.is_some() && current == wanted.as_ref() => None,
            (current, route) => {
                Some(Update::Route { route: route.clone(), replace: current.is_some() })
            }
        }
    }
}

fn routes_to_nat(table: &RouteTable) -> bool {
    matches!(table.default_route, RouteTarget::NatGateway { .. })
}

/// The tag changes that make `held` carry `wanted`. Tags AWS reserves
/// (`aws:`) cannot be changed and are left alone.
fn tag_update(held: &Tags, wanted: &Tags) -> Option<Update> {
    let set: Tags = wanted
        .iter()
        .filter(|(key, value)| held.get(*key) != Some(*value))
        .map(clone_pair)
        .collect();
    let remove: Vec<String> = held
        .keys()
        .filter(|key| !wanted.contains_key(*key) && !key.starts_with("aws:"))
        .cloned()
        .collect();
    (!set.is_empty() || !remove.is_empty()).then_some(Update::Tags { set, remove })
}

fn tier_name(tier: Tier) -> &'static str {
    match tier {
        Tier::Public => "public",
        Tier::Private => "private",
        Tier::Isolated => "isolated",
    }
}

fn name_of(tags: &Tags, id: &str) -> String {
    tags.get("Name").cloned().unwrap_or_else(|| id.to_string())
}

fn delete(kind: Kind, id: &str, tags: &Tags, spec: Spec) -> Change {
    Change {
        op: Op::Delete,
        kind,
        name: name_of(tags, id),
        id: Some(id.to_string()),
        spec,
        tags: Tags::new(),
        updates: Vec::new(),
    }
}

/// Deletions of everything held but not kept, in the order they run: NAT
/// gateways, Elastic IPs, internet gateways, subnets, route tables, VPCs.
/// A route table's deletion lists the associations to remove first.
fn deletions(held: &Holding, kept: &BTreeSet<String>) -> Vec<Change> {
    let gone = |id: &String| !kept.contains(id);
    let mut changes = Vec::new();
    for nat in held.nat_gateways.iter().filter(|nat| gone(&nat.id)) {
        let spec = Spec::NatGateway {
            subnet: nat.subnet_id.clone(),
            address: None,
            state: Some(nat.state),
        };
        changes.push(delete(Kind::NatGateway, &nat.id, &nat.tags, spec));
    }
    for address in held.addresses.iter().filter(|address| gone(&address.allocation_id)) {
        changes.push(delete(
            Kind::ElasticIp,
            &address.allocation_id,
            &address.tags,
            Spec::ElasticIp,
        ));
    }
    for gateway in held.internet_gateways.iter().filter(|gateway| gone(&gateway.id)) {
        let mut change =
            delete(Kind::InternetGateway, &gateway.id, &gateway.tags, Spec::InternetGateway);
        change.updates =
            gateway.attached_to.iter().map(|vpc| Update::Detach { vpc: vpc.clone() }).collect();
        changes.push(change);
    }
    for subnet in held.subnets.iter().filter(|subnet| gone(&subnet.id)) {
        let spec = Spec::Subnet {
            zone: subnet.zone.clone(),
            cidr: subnet.cidr,
            map_public_ip: subnet.map_public_ip,
        };
        changes.push(delete(Kind::Subnet, &subnet.id, &subnet.tags, spec));
    }
    for table in held.route_tables.iter().filter(|table| gone(&table.id)) {
        let spec = Spec::RouteTable { route: Route::None, subnets: Vec::new() };
        let mut change = delete(Kind::RouteTable, &table.id, &table.tags, spec);
        change.updates = table
            .associations
            .iter()
            .map(|association| Update::Disassociate { association: association.id.clone() })
            .collect();
        if table.default_route.is_some() {
            change.updates.push(Update::Route { route: Route::None, replace: true });
        }
        changes.push(change);
    }
    for vpc in held.vpcs.iter().filter(|vpc| gone(&vpc.id)) {
        changes.push(delete(Kind::Vpc, &vpc.id, &vpc.tags, Spec::Vpc { cidr: vpc.cidr }));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Subnet, Vpc};
    use crate::state::{Association, HeldGateway, HeldNat, HeldSubnet, HeldTable, HeldVpc};

    fn plan(nat: Nat) -> RegionPlan {
        let subnet = |tier: Tier, zone: &str, cidr: &str| Subnet {
            name: format!("dstack-{}-{zone}", tier_name(tier)),
            zone: zone.to_string(),
            zone_id: format!("use1-az{}", if zone.ends_with('a') { 1 } else { 2 }),
            tier,
            cidr: cidr.parse().unwrap(),
            map_public_ip: tier == Tier::Public,
        };
        let private_route = match &nat {
            Nat::Single { zone } => RouteTarget::NatGateway { zone: Some(zone.clone()) },
            _ => RouteTarget::NatGateway { zone: None },
        };
        RegionPlan {
            region: "us-east-1".to_string(),
            vpc: Vpc { cidr: "10.1.0.0/16".parse().unwrap(), name: "dstack".to_string() },
            tags: BTreeMap::from([("Name".to_string(), "dstack".to_string())]),
            subnets: vec![
                subnet(Tier::Public, "us-east-1a", "10.1.0.0/20"),
                subnet(Tier::Private, "us-east-1a", "10.1.128.0/20"),
            ],
            internet_gateway: true,
            nat,
            route_tables: vec![
                RouteTable {
                    name: "dstack-public".to_string(),
                    subnets: vec!["dstack-public-us-east-1a".to_string()],
                    default_route: RouteTarget::InternetGateway,
                },
                RouteTable {
                    name: "dstack-private".to_string(),
                    subnets: vec!["dstack-private-us-east-1a".to_string()],
                    default_route: private_route,
                },
            ],
        }
    }

    /// What a finished apply of `plan(Nat::Regional)` holds.
    fn converged() -> Holding {
        let plan = plan(Nat::Regional);
        let base = base_tags("dstack", &plan.tags);
        let tags = |name: &str, tier: Option<&str>| {
            let mut tags = base.clone();
            tags.insert("Name".to_string(), name.to_string());
            if let Some(tier) = tier {
                tags.insert(TIER_TAG.to_string(), tier.to_string());
            }
            tags
        };
        let subnet = |id: &str, planned: &Subnet| HeldSubnet {
            id: id.to_string(),
            vpc_id: "vpc-1".to_string(),
            zone: planned.zone.clone(),
            zone_id: planned.zone_id.clone(),
            cidr: planned.cidr,
            tier: Some(planned.tier),
            map_public_ip: planned.map_public_ip,
            tags: tags(&planned.name, Some(tier_name(planned.tier))),
        };
        let table = |id: &str, name: &str, subnet: &str, target: Target| HeldTable {
            id: id.to_string(),
            vpc_id: "vpc-1".to_string(),
            associations: vec![Association {
                id: format!("{id}-assoc"),
                subnet_id: subnet.to_string(),
            }],
            default_route: Some(target),
            tags: tags(name, None),
        };
        Holding {
            vpcs: vec![HeldVpc {
                id: "vpc-1".to_string(),
                cidr: plan.vpc.cidr,
                dns_hostnames: Some(true),
                tags: tags("dstack", None),
            }],
            internet_gateways: vec![HeldGateway {
                id: "igw-1".to_string(),
                attached_to: vec!["vpc-1".to_string()],
                tags: tags("dstack", None),
            }],
            subnets: vec![
                subnet("subnet-pub", &plan.subnets[0]),
                subnet("subnet-priv", &plan.subnets[1]),
            ],
            route_tables: vec![
                table(
                    "rtb-pub",
                    "dstack-public",
                    "subnet-pub",
                    Target::Gateway("igw-1".to_string()),
                ),
                table(
                    "rtb-priv",
                    "dstack-private",
                    "subnet-priv",
                    Target::Nat("nat-1".to_string()),
                ),
            ],
            nat_gateways: vec![HeldNat {
                id: "nat-1".to_string(),
                vpc_id: "vpc-1".to_string(),
                subnet_id: None,
                regional: true,
                state: NatState::Available,
                allocation_ids: Vec::new(),
                route_table_id: Some("rtb-nat".to_string()),
                tags: tags("dstack-nat", None),
            }],
            addresses: Vec::new(),
        }
    }

    fn ops(diff: &RegionDiff) -> Vec<(Op, Kind, &str)> {
        diff.changes.iter().map(|c| (c.op, c.kind, c.name.as_str())).collect()
    }

    #[test]
    fn a_converged_region_is_all_keeps() {
        let diff = region("us-east-1", "dstack", Some(&plan(Nat::Regional)), &converged()).unwrap();
        assert!(diff.is_noop(), "{:#?}", ops(&diff));
        assert_eq!(diff.count(Op::Keep), 7);
    }

    #[test]
    fn a_new_tag_is_set_in_place_and_a_foreign_aws_tag_is_left_alone() {
        let mut plan = plan(Nat::Regional);
        plan.tags.insert("team".to_string(), "ml".to_string());
        let mut held = converged();
        held.vpcs[0].tags.insert("aws:cloudformation:stack".to_string(), "x".to_string());
        let diff = region("us-east-1", "dstack", Some(&plan), &held).unwrap();
        assert_eq!(diff.count(Op::Update), 7);
        assert_eq!(diff.count(Op::Create) + diff.count(Op::Delete), 0);
        let set = BTreeMap::from([("team".to_string(), "ml".to_string())]);
        assert_eq!(diff.changes[0].updates, vec![Update::Tags { set, remove: Vec::new() }]);
    }

    #[test]
    fn switching_to_a_single_zonal_nat_reroutes_before_deleting_the_regional_one() {
        let zone = "us-east-1a".to_string();
        let diff =
            region("us-east-1", "dstack", Some(&plan(Nat::Single { zone })), &converged()).unwrap();
        let order = ops(&diff);
        let position = |wanted: (Op, Kind)| {
            order.iter().position(|(op, kind, _)| (*op, *kind) == wanted).unwrap()
        };
        assert!(position((Op::Create, Kind::ElasticIp)) < position((Op::Create, Kind::NatGateway)));
        assert!(
            position((Op::Create, Kind::NatGateway)) < position((Op::Update, Kind::RouteTable))
        );
        assert!(
            position((Op::Update, Kind::RouteTable)) < position((Op::Delete, Kind::NatGateway))
        );
        let reroute =
            diff.changes.iter().find(|c| c.op == Op::Update && c.kind == Kind::RouteTable).unwrap();
        let route = Route::Nat("dstack-nat-us-east-1a".to_string());
        assert_eq!(reroute.updates, vec![Update::Route { route, replace: true }]);
        assert_eq!(diff.count(Op::Delete), 1, "only the regional NAT gateway goes");
    }

    #[test]
    fn an_unplanned_region_deletes_everything_in_dependency_order() {
        let diff = region("us-east-1", "dstack", None, &converged()).unwrap();
        let kinds: Vec<Kind> = diff.changes.iter().map(|c| c.kind).collect();
        use Kind::*;
        assert_eq!(
            kinds,
            [NatGateway, InternetGateway, Subnet, Subnet, RouteTable, RouteTable, Vpc]
        );
        assert!(diff.changes.iter().all(|c| c.op == Op::Delete));
        let table = &diff.changes[4];
        assert_eq!(
            table.updates,
            vec![
                Update::Disassociate { association: "rtb-pub-assoc".to_string() },
                Update::Route { route: Route::None, replace: true },
            ]
        );
    }

    #[test]
    fn a_vpc_whose_cidr_differs_from_the_plan_is_a_conflict_not_a_replacement() {
        let mut held = converged();
        held.vpcs[0].cidr = "10.9.0.0/16".parse().unwrap();
        let error = region("us-east-1", "dstack", Some(&plan(Nat::Regional)), &held).unwrap_err();
        assert!(error.to_string().contains("cannot change"), "{error}");
    }
}
