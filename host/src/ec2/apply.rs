//! The executor: runs each region's changes against EC2, regions in parallel,
//! and inside a region in dependency order.
//!
//! Creates and in-place changes run first, in stages (the VPC, its internet
//! gateway, subnets, directly routed tables, Elastic IPs, NAT gateways, then
//! the tables routed through them); the changes of one stage run together.
//! Deletions follow: routes and associations, NAT gateways (waited out),
//! Elastic IPs, internet gateways, subnets, route tables, the VPC. Every
//! resource is tagged in its create call, so a run that stops anywhere leaves
//! nothing the next run cannot find.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Result;
use aws_config::SdkConfig;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AvailabilityMode, ConnectivityType, DomainType, ResourceType, Tag,
    TagSpecification,
};
use futures_util::StreamExt as _;
use futures_util::future::join_all;
use serde::Serialize;

use super::wait::{NatWait, wait_nats};
use super::{TIER_TAG, client, failure};
use crate::diff::{Change, Kind, Op, RegionDiff, Route, Spec, Update};
use crate::state::{NatState, Tags};

/// The result of applying one region.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    /// The region code.
    pub region: String,
    /// The managed VPC, unless the region was cleaned up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Its subnets.
    pub subnets: Vec<AppliedSubnet>,
    /// Its NAT gateways' ids.
    pub nat_gateway_ids: Vec<String>,
    /// How many resources were created, updated and deleted.
    pub changed: usize,
}

/// A subnet of an applied region.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedSubnet {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its tier.
    pub tier: String,
    /// Its zone.
    pub zone: String,
}

/// Applies every region's diff, at most `concurrency` regions at a time.
/// `token` makes this run's client tokens unique, so a retried create call
/// cannot make a second resource.
pub async fn apply(
    base: &SdkConfig,
    diffs: &[RegionDiff],
    concurrency: usize,
    token: &str,
) -> Result<Vec<Applied>> {
    let runs = diffs.iter().map(|diff| {
        let executor = Executor::new(client(base, &diff.region), &diff.region, token);
        async move { executor.run(diff).await }
    });
    let results: Vec<Result<Applied>> =
        futures_util::stream::iter(runs).buffered(concurrency.max(1)).collect().await;
    results.into_iter().collect()
}

/// Resource ids by kind and name, as they become known.
type Ids = BTreeMap<(Kind, String), String>;

struct Executor<'a> {
    ec2: Client,
    region: &'a str,
    token: &'a str,
}

/// The stage of a non-deleting change: changes of one stage do not depend on
/// each other, and each stage depends only on earlier ones.
fn stage(change: &Change) -> u8 {
    match (&change.kind, &change.spec) {
        (Kind::Vpc, _) => 0,
        (Kind::InternetGateway, _) => 1,
        (Kind::Subnet, _) => 2,
        (Kind::RouteTable, Spec::RouteTable { route: Route::Nat(_), .. }) => 6,
        (Kind::RouteTable, _) => 3,
        (Kind::ElasticIp, _) => 4,
        (Kind::NatGateway, _) => 5,
    }
}

impl<'a> Executor<'a> {
    fn new(ec2: Client, region: &'a str, token: &'a str) -> Executor<'a> {
        Executor { ec2, region, token }
    }

    async fn run(&self, diff: &RegionDiff) -> Result<Applied> {
        let mut ids: Ids = diff
            .changes
            .iter()
            .filter(|change| change.op != Op::Delete)
            .filter_map(|change| Some(((change.kind, change.name.clone()), change.id.clone()?)))
            .collect();
        let ensure: Vec<&Change> = diff.changes.iter().filter(|c| c.op != Op::Delete).collect();
        let mut pending: Vec<String> = ensure
            .iter()
            .filter(|c| matches!(c.spec, Spec::NatGateway { state: Some(NatState::Pending), .. }))
            .filter_map(|change| change.id.clone())
            .collect();
        for number in 0..=6 {
            let changes: Vec<&&Change> = ensure.iter().filter(|c| stage(c) == number).collect();
            if number == 6 && !pending.is_empty() {
                let wait = NatWait::Available;
                wait_nats(&self.ec2, self.region, &pending, wait).await?;
            }
            let made = join_all(changes.iter().map(|change| self.ensure(change, &ids))).await;
            for (change, made) in changes.iter().zip(made) {
                if let Some(id) = made? {
                    if change.kind == Kind::NatGateway {
                        pending.push(id.clone());
                    }
                    ids.insert((change.kind, change.name.clone()), id);
                }
            }
        }
        let deletions: Vec<&Change> = diff.changes.iter().filter(|c| c.op == Op::Delete).collect();
        self.delete(&deletions).await?;
        Ok(self.applied(diff, &ids))
    }

    fn applied(&self, diff: &RegionDiff, ids: &Ids) -> Applied {
        let live = |change: &&Change| change.op != Op::Delete;
        let id_of = |change: &Change| ids.get(&(change.kind, change.name.clone())).cloned();
        let subnets = diff
            .changes
            .iter()
            .filter(live)
            .filter_map(|change| match &change.spec {
                Spec::Subnet { zone, .. } => Some(AppliedSubnet {
                    id: id_of(change)?,
                    name: change.name.clone(),
                    tier: change.tags.get(TIER_TAG).cloned().unwrap_or_default(),
                    zone: zone.clone(),
                }),
                _ => None,
            })
            .collect();
        let of_kind = |kind: Kind| diff.changes.iter().filter(live).filter(move |c| c.kind == kind);
        Applied {
            region: diff.region.clone(),
            vpc_id: of_kind(Kind::Vpc).find_map(id_of),
            subnets,
            nat_gateway_ids: of_kind(Kind::NatGateway).filter_map(id_of).collect(),
            changed: diff.changes.iter().filter(|change| change.op != Op::Keep).count(),
        }
    }

    /// Creates or updates one resource; returns the id of a created one.
    async fn ensure(&self, change: &Change, ids: &Ids) -> Result<Option<String>> {
        match change.op {
            Op::Keep => Ok(None),
            Op::Update => {
                let id = change.id.as_deref().unwrap_or_default();
                self.update(change, id, ids).await?;
                tracing::info!(target: "ec2", "updated {} `{}` ({id}) in {}", noun(change.kind), change.name, self.region);
                Ok(None)
            }
            Op::Create => {
                let id = self.create(change, ids).await?;
                tracing::info!(target: "ec2", "created {} `{}` ({id}) in {}", noun(change.kind), change.name, self.region);
                let follow_up: Vec<Update> = change.updates.clone();
                let mut ids = ids.clone();
                ids.insert((change.kind, change.name.clone()), id.clone());
                for update in &follow_up {
                    self.apply_update(change, &id, update, &ids).await?;
                }
                Ok(Some(id))
            }
            Op::Delete => Ok(None),
        }
    }

    fn lookup<'i>(&self, ids: &'i Ids, kind: Kind, name: &str) -> Result<&'i str> {
        ids.get(&(kind, name.to_string())).map(String::as_str).ok_or_else(|| {
            anyhow::anyhow!(
                "{} `{name}` in `{}` is not known; this is a bug in host's diff",
                noun(kind),
                self.region
            )
        })
    }

    fn vpc_id<'i>(&self, ids: &'i Ids) -> Result<&'i str> {
        ids.iter().find(|((kind, _), _)| *kind == Kind::Vpc).map(|(_, id)| id.as_str()).ok_or_else(
            || {
                anyhow::anyhow!(
                    "no VPC is known in `{}`; this is a bug in host's diff",
                    self.region
                )
            },
        )
    }

    fn client_token(&self, name: &str) -> String {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(format!("{}/{}/{name}", self.token, self.region));
        digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
    }

    async fn create(&self, change: &Change, ids: &Ids) -> Result<String> {
        let region = self.region;
        let tags = |kind: ResourceType| tag_specification(kind, &change.tags);
        let id = match &change.spec {
            Spec::Vpc { cidr } => {
                let output = self
                    .ec2
                    .create_vpc()
                    .cidr_block(cidr.to_string())
                    .tag_specifications(tags(ResourceType::Vpc))
                    .send()
                    .await
                    .map_err(|err| failure("CreateVpc", region, err))?;
                let id = output.vpc().and_then(|vpc| vpc.vpc_id()).unwrap_or_default().to_string();
                self.dns_hostnames(&id).await?;
                id
            }
            Spec::InternetGateway => {
                let output = self
                    .ec2
                    .create_internet_gateway()
                    .tag_specifications(tags(ResourceType::InternetGateway))
                    .send()
                    .await
                    .map_err(|err| failure("CreateInternetGateway", region, err))?;
                let id = output
                    .internet_gateway()
                    .and_then(|g| g.internet_gateway_id())
                    .unwrap_or_default()
                    .to_string();
                self.attach(&id, self.vpc_id(ids)?).await?;
                id
            }
            Spec::Subnet { zone, cidr, map_public_ip } => {
                let output = self
                    .ec2
                    .create_subnet()
                    .vpc_id(self.vpc_id(ids)?)
                    .cidr_block(cidr.to_string())
                    .availability_zone(zone)
                    .tag_specifications(tags(ResourceType::Subnet))
                    .send()
                    .await
                    .map_err(|err| failure("CreateSubnet", region, err))?;
                let id =
                    output.subnet().and_then(|s| s.subnet_id()).unwrap_or_default().to_string();
                if *map_public_ip {
                    self.map_public_ip(&id, true).await?;
                }
                id
            }
            Spec::RouteTable { route, .. } => {
                let output = self
                    .ec2
                    .create_route_table()
                    .vpc_id(self.vpc_id(ids)?)
                    .client_token(self.client_token(&change.name))
                    .tag_specifications(tags(ResourceType::RouteTable))
                    .send()
                    .await
                    .map_err(|err| failure("CreateRouteTable", region, err))?;
                let id = output
                    .route_table()
                    .and_then(|t| t.route_table_id())
                    .unwrap_or_default()
                    .to_string();
                if *route != Route::None {
                    self.route(&id, route, false, ids).await?;
                }
                id
            }
            Spec::ElasticIp => {
                let output = self
                    .ec2
                    .allocate_address()
                    .domain(DomainType::Vpc)
                    .tag_specifications(tags(ResourceType::ElasticIp))
                    .send()
                    .await
                    .map_err(|err| failure("AllocateAddress", region, err))?;
                output.allocation_id().unwrap_or_default().to_string()
            }
            Spec::NatGateway { subnet, address, .. } => {
                let mut call = self
                    .ec2
                    .create_nat_gateway()
                    .client_token(self.client_token(&change.name))
                    .connectivity_type(ConnectivityType::Public)
                    .tag_specifications(tags(ResourceType::Natgateway));
                call = match (subnet, address) {
                    (Some(subnet), Some(address)) => call
                        .subnet_id(self.lookup(ids, Kind::Subnet, subnet)?)
                        .allocation_id(self.lookup(ids, Kind::ElasticIp, address)?),
                    _ => {
                        call.availability_mode(AvailabilityMode::Regional).vpc_id(self.vpc_id(ids)?)
                    }
                };
                let output =
                    call.send().await.map_err(|err| failure("CreateNatGateway", region, err))?;
                output
                    .nat_gateway()
                    .and_then(|n| n.nat_gateway_id())
                    .unwrap_or_default()
                    .to_string()
            }
        };
        if id.is_empty() {
            let action = format!("Create {}", noun(change.kind));
            return Err(super::unexpected(&action, region, "EC2 returned no id".to_string()));
        }
        Ok(id)
    }

    async fn update(&self, change: &Change, id: &str, ids: &Ids) -> Result<()> {
        for update in &change.updates {
            self.apply_update(change, id, update, ids).await?;
        }
        Ok(())
    }

    async fn apply_update(
        &self,
        change: &Change,
        id: &str,
        update: &Update,
        ids: &Ids,
    ) -> Result<()> {
        let region = self.region;
        match update {
            Update::Tags { set, remove } => {
                if !set.is_empty() {
                    self.ec2
                        .create_tags()
                        .resources(id)
                        .set_tags(Some(tag_list(set)))
                        .send()
                        .await
                        .map_err(|err| failure("CreateTags", region, err))?;
                }
                if !remove.is_empty() {
                    let keys = remove.iter().map(|key| Tag::builder().key(key).build()).collect();
                    self.ec2
                        .delete_tags()
                        .resources(id)
                        .set_tags(Some(keys))
                        .send()
                        .await
                        .map_err(|err| failure("DeleteTags", region, err))?;
                }
            }
            Update::MapPublicIp { on } => self.map_public_ip(id, *on).await?,
            Update::DnsHostnames => self.dns_hostnames(id).await?,
            Update::Attach => self.attach(id, self.vpc_id(ids)?).await?,
            Update::Route { route, replace } => self.route(id, route, *replace, ids).await?,
            Update::Associate { subnet, replacing } => {
                let subnet_id = self.lookup(ids, Kind::Subnet, subnet)?;
                match replacing {
                    Some(association) => {
                        self.ec2
                            .replace_route_table_association()
                            .association_id(association)
                            .route_table_id(id)
                            .send()
                            .await
                            .map_err(|err| failure("ReplaceRouteTableAssociation", region, err))?;
                    }
                    None => {
                        self.ec2
                            .associate_route_table()
                            .route_table_id(id)
                            .subnet_id(subnet_id)
                            .send()
                            .await
                            .map_err(|err| failure("AssociateRouteTable", region, err))?;
                    }
                }
                tracing::debug!(target: "ec2", "associated subnet `{subnet}` with route table `{}` in {region}", change.name);
            }
            Update::Disassociate { association } => {
                self.ec2
                    .disassociate_route_table()
                    .association_id(association)
                    .send()
                    .await
                    .map_err(|err| failure("DisassociateRouteTable", region, err))?;
            }
            Update::Detach { vpc } => {
                self.ec2
                    .detach_internet_gateway()
                    .internet_gateway_id(id)
                    .vpc_id(vpc)
                    .send()
                    .await
                    .map_err(|err| failure("DetachInternetGateway", region, err))?;
            }
        }
        Ok(())
    }

    async fn dns_hostnames(&self, vpc: &str) -> Result<()> {
        let on = AttributeBooleanValue::builder().value(true).build();
        self.ec2
            .modify_vpc_attribute()
            .vpc_id(vpc)
            .enable_dns_hostnames(on)
            .send()
            .await
            .map_err(|err| failure("ModifyVpcAttribute", self.region, err))?;
        Ok(())
    }

    async fn attach(&self, gateway: &str, vpc: &str) -> Result<()> {
        self.ec2
            .attach_internet_gateway()
            .internet_gateway_id(gateway)
            .vpc_id(vpc)
            .send()
            .await
            .map_err(|err| failure("AttachInternetGateway", self.region, err))?;
        Ok(())
    }

    async fn map_public_ip(&self, subnet: &str, on: bool) -> Result<()> {
        let value = AttributeBooleanValue::builder().value(on).build();
        self.ec2
            .modify_subnet_attribute()
            .subnet_id(subnet)
            .map_public_ip_on_launch(value)
            .send()
            .await
            .map_err(|err| failure("ModifySubnetAttribute", self.region, err))?;
        Ok(())
    }

    /// Points a table's `0.0.0.0/0` at `route`: a new route, a replaced one,
    /// or none.
    async fn route(&self, table: &str, route: &Route, replace: bool, ids: &Ids) -> Result<()> {
        let region = self.region;
        const DEFAULT: &str = "0.0.0.0/0";
        let (gateway, nat) = match route {
            Route::None => {
                self.ec2
                    .delete_route()
                    .route_table_id(table)
                    .destination_cidr_block(DEFAULT)
                    .send()
                    .await
                    .map_err(|err| failure("DeleteRoute", region, err))?;
                return Ok(());
            }
            Route::InternetGateway => {
                let gateway = ids
                    .iter()
                    .find(|((kind, _), _)| *kind == Kind::InternetGateway)
                    .map(|(_, id)| id.clone());
                (gateway, None)
            }
            Route::Nat(name) => (None, Some(self.lookup(ids, Kind::NatGateway, name)?.to_string())),
        };
        if replace {
            self.ec2
                .replace_route()
                .route_table_id(table)
                .destination_cidr_block(DEFAULT)
                .set_gateway_id(gateway)
                .set_nat_gateway_id(nat)
                .send()
                .await
                .map_err(|err| failure("ReplaceRoute", region, err))?;
        } else {
            self.ec2
                .create_route()
                .route_table_id(table)
                .destination_cidr_block(DEFAULT)
                .set_gateway_id(gateway)
                .set_nat_gateway_id(nat)
                .send()
                .await
                .map_err(|err| failure("CreateRoute", region, err))?;
        }
        Ok(())
    }

    /// Deletes in dependency order; each step's deletions run together.
    async fn delete(&self, changes: &[&Change]) -> Result<()> {
        let of = |kind: Kind| changes.iter().filter(move |change| change.kind == kind).copied();
        let none = Ids::new();
        let unroute = of(Kind::RouteTable)
            .flat_map(|table| table.updates.iter().map(move |update| (table, update)));
        let unrouted = join_all(unroute.map(|(table, update)| {
            let none = &none;
            async move { self.apply_update(table, held_id(table), update, none).await }
        }))
        .await;
        unrouted.into_iter().collect::<Result<Vec<()>>>()?;

        let steps = [
            Kind::NatGateway,
            Kind::ElasticIp,
            Kind::InternetGateway,
            Kind::Subnet,
            Kind::RouteTable,
            Kind::Vpc,
        ];
        for kind in steps {
            let removed = join_all(of(kind).map(|change| self.remove(change))).await;
            removed.into_iter().collect::<Result<Vec<()>>>()?;
            let nats: Vec<String> = of(Kind::NatGateway).map(|c| held_id(c).to_string()).collect();
            if kind == Kind::NatGateway && !nats.is_empty() {
                wait_nats(&self.ec2, self.region, &nats, NatWait::Deleted).await?;
            }
        }
        Ok(())
    }

    /// Deletes one resource; an internet gateway is detached first.
    async fn remove(&self, change: &Change) -> Result<()> {
        let (region, id) = (self.region, held_id(change));
        match change.kind {
            Kind::NatGateway if is_deleting(change) => return Ok(()),
            Kind::NatGateway => {
                let call = self.ec2.delete_nat_gateway().nat_gateway_id(id);
                call.send().await.map_err(|err| failure("DeleteNatGateway", region, err))?;
                tracing::info!(target: "ec2", "deleting NAT gateway `{}` ({id}) in {region}", change.name);
                return Ok(());
            }
            Kind::ElasticIp => {
                let call = self.ec2.release_address().allocation_id(id);
                call.send().await.map_err(|err| failure("ReleaseAddress", region, err))?;
            }
            Kind::InternetGateway => {
                for update in &change.updates {
                    self.apply_update(change, id, update, &Ids::new()).await?;
                }
                let call = self.ec2.delete_internet_gateway().internet_gateway_id(id);
                call.send().await.map_err(|err| failure("DeleteInternetGateway", region, err))?;
            }
            Kind::Subnet => {
                let call = self.ec2.delete_subnet().subnet_id(id);
                call.send().await.map_err(|err| failure("DeleteSubnet", region, err))?;
            }
            Kind::RouteTable => {
                let call = self.ec2.delete_route_table().route_table_id(id);
                call.send().await.map_err(|err| failure("DeleteRouteTable", region, err))?;
            }
            Kind::Vpc => {
                let call = self.ec2.delete_vpc().vpc_id(id);
                call.send().await.map_err(|err| failure("DeleteVpc", region, err))?;
            }
        }
        self.deleted(change);
        Ok(())
    }

    fn deleted(&self, change: &Change) {
        let id = change.id.as_deref().unwrap_or_default();
        tracing::info!(target: "ec2", "deleted {} `{}` ({id}) in {}", noun(change.kind), change.name, self.region);
    }
}

/// Whether a NAT gateway is already being deleted, by an earlier run.
fn is_deleting(change: &Change) -> bool {
    matches!(change.spec, Spec::NatGateway { state: Some(NatState::Deleting), .. })
}

/// The id of a held resource.
fn held_id(change: &Change) -> &str {
    change.id.as_deref().unwrap_or_default()
}

/// A resource kind as messages name it.
pub fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::Vpc => "VPC",
        Kind::InternetGateway => "internet gateway",
        Kind::Subnet => "subnet",
        Kind::RouteTable => "route table",
        Kind::ElasticIp => "Elastic IP",
        Kind::NatGateway => "NAT gateway",
    }
}

fn tag_list(tags: &Tags) -> Vec<Tag> {
    tags.iter().map(|(key, value)| Tag::builder().key(key).value(value).build()).collect()
}

fn tag_specification(kind: ResourceType, tags: &Tags) -> TagSpecification {
    TagSpecification::builder().resource_type(kind).set_tags(Some(tag_list(tags))).build()
}

/// Most time to wait for NAT gateways to become available or deleted.
pub const NAT_WAIT: Duration = Duration::from_secs(20 * 60);
