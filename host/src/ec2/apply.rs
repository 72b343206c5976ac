//! The executor: runs each region's changes against EC2, regions in parallel,
//! and inside a region in dependency order.
//!
//! Creates and in-place changes run first, in stages that start each NAT
//! gateway as early as its dependencies allow, since its minutes of `pending`
//! set an apply's time: the VPC; its internet gateway, Elastic IPs and DNS
//! hostnames; subnets
//! and a regional NAT gateway; route tables and zonal NAT gateways; then,
//! once the NAT gateways are available, the routes through them. The changes
//! of one stage run together, at most [`PER_REGION`] at once. Deletions follow
//! (`delete.rs`). Every resource
//! is tagged in its create call, so a run that stops anywhere leaves nothing
//! the next run cannot find.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::time::Duration;

use anyhow::Result;
use aws_config::SdkConfig;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AvailabilityMode, ConnectivityType, DomainType, ResourceType, Tag,
    TagSpecification,
};
use futures_util::StreamExt as _;
use serde::Serialize;

use super::retry::{self, Fresh};
use super::wait::{NatWait, wait_nats};
use super::{TIER_TAG, client};
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

/// Applies every region's diff, at most `concurrency` regions at a time. From
/// here on, Ctrl-C stops every region between calls.
/// `token` makes this run's client tokens unique, so a retried create call
/// cannot make a second resource.
pub async fn apply(
    base: &SdkConfig,
    diffs: &[RegionDiff],
    concurrency: usize,
    token: &str,
) -> Result<Vec<Applied>> {
    super::stop::listen();
    let runs = diffs.iter().map(|diff| {
        let executor = Executor::new(client(base, &diff.region), diff, token);
        async move { executor.run(diff).await }
    });
    let results: Vec<Result<Applied>> =
        futures_util::stream::iter(runs).buffered(concurrency.max(1)).collect().await;
    results.into_iter().collect()
}

/// Most changes one region makes at once, so that a region with many zones
/// does not spend the account's request rate in one burst.
pub(super) const PER_REGION: usize = 4;

/// Resource ids by kind and name, as they become known.
pub(super) type Ids = BTreeMap<(Kind, String), String>;

/// Runs one region's changes.
pub(super) struct Executor<'a> {
    pub(super) ec2: Client,
    pub(super) region: &'a str,
    token: &'a str,
    /// Ids this run created here.
    pub(super) fresh: Fresh,
    /// Ids of everything the managed set holds here, which no foreign
    /// resource can have.
    pub(super) held: HashSet<String>,
}

/// The stage of a non-deleting change: changes of one stage do not depend on
/// each other, and each stage depends only on earlier ones. A regional NAT
/// gateway needs the VPC and its attached internet gateway; a zonal one its
/// subnet and Elastic IP. A table routed through a NAT gateway is created with
/// the others and gets that route in the last stage ([`ROUTES_TO_NAT`]); a
/// held one changed to route there changes wholly in the last stage.
fn stage(change: &Change) -> u8 {
    let nat_routed = matches!(change.spec, Spec::RouteTable { route: Route::Nat(_), .. });
    match (change.kind, &change.spec) {
        (Kind::Vpc, _) => 0,
        (Kind::InternetGateway | Kind::ElasticIp, _) => 1,
        (Kind::Subnet, _) | (Kind::NatGateway, Spec::NatGateway { subnet: None, .. }) => 2,
        (Kind::RouteTable, _) if nat_routed && change.op != Op::Create => ROUTES_TO_NAT,
        (Kind::RouteTable | Kind::NatGateway, _) => 3,
    }
}

/// The stage that waits for the NAT gateways, then routes through them.
const ROUTES_TO_NAT: u8 = 4;

/// A new table's route through a NAT gateway, made in [`ROUTES_TO_NAT`].
fn deferred_route(change: &Change) -> Option<&Route> {
    match &change.spec {
        Spec::RouteTable { route: route @ Route::Nat(_), .. } if change.op == Op::Create => {
            Some(route)
        }
        _ => None,
    }
}

impl<'a> Executor<'a> {
    fn new(ec2: Client, diff: &'a RegionDiff, token: &'a str) -> Executor<'a> {
        let held = diff.changes.iter().filter_map(|change| change.id.clone()).collect();
        Executor { ec2, region: &diff.region, token, fresh: Fresh::default(), held }
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
        for number in 0..=ROUTES_TO_NAT {
            let mut changes: Vec<&&Change> = ensure.iter().filter(|c| stage(c) == number).collect();
            // A NAT gateway's pending time starts when it is created: first.
            changes.sort_by_key(|change| change.kind != Kind::NatGateway);
            if number == ROUTES_TO_NAT {
                if !pending.is_empty() {
                    wait_nats(&self.ec2, self.region, &pending, NatWait::Available, &self.fresh)
                        .await?;
                }
                self.route_to_nats(&ensure, &ids).await?;
            }
            // A new VPC's DNS hostnames are turned on beside the next stage,
            // which does not depend on them, within the same limit.
            let new_vpc = ensure.iter().find(|c| c.kind == Kind::Vpc && c.op == Op::Create);
            let new_vpc = new_vpc.and_then(|vpc| ids.get(&(Kind::Vpc, vpc.name.clone())));
            let new_vpc = new_vpc.filter(|_| number == 1);
            let limit = PER_REGION - usize::from(new_vpc.is_some());
            let work = futures_util::stream::iter(changes.iter().map(|c| self.ensure(c, &ids)))
                .buffered(limit)
                .collect::<Vec<Result<Option<String>>>>();
            let hostnames = async {
                match new_vpc {
                    Some(vpc) => self.dns_hostnames(vpc).await,
                    None => Ok(()),
                }
            };
            let (hostnames, made) = futures_util::future::join(hostnames, work).await;
            hostnames?;
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

    /// Gives the tables this run created their routes through NAT gateways,
    /// which are available by now.
    async fn route_to_nats(&self, ensure: &[&Change], ids: &Ids) -> Result<()> {
        let routes = ensure.iter().filter_map(|change| {
            let route = deferred_route(change)?;
            let table = self.lookup(ids, Kind::RouteTable, &change.name);
            Some(async move { self.route(table?, route, false, ids).await })
        });
        let routed: Vec<Result<()>> =
            futures_util::stream::iter(routes).buffered(PER_REGION).collect().await;
        routed.into_iter().collect()
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

    /// Sends one EC2 call naming the resources `refs`; a `NotFound` about one
    /// this run has just created is EC2 catching up, and is tried again.
    pub(super) async fn call<T, E, R, F, Fut>(
        &self,
        action: &str,
        refs: &[&str],
        call: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let lagging = |code: &str| self.fresh.lagging(code, refs);
        Ok(retry::catch_up(action, self.region, lagging, call).await?)
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
                self.fresh.add(&id);
                tracing::info!(target: "ec2", "created {} `{}` ({id}) in {}", noun(change.kind), change.name, self.region);
                let mut ids = ids.clone();
                ids.insert((change.kind, change.name.clone()), id.clone());
                self.update(change, &id, &ids).await?;
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
        let tags = |kind: ResourceType| tag_specification(kind, &change.tags);
        let id = match &change.spec {
            Spec::Vpc { cidr } => {
                let call = self.ec2.create_vpc().cidr_block(cidr.to_string());
                let call = call.tag_specifications(tags(ResourceType::Vpc));
                let output = self.call("CreateVpc", &[], || call.clone().send()).await?;
                let id = output.vpc().and_then(|vpc| vpc.vpc_id()).unwrap_or_default().to_string();
                self.fresh.add(&id);
                id
            }
            Spec::InternetGateway => {
                let call = self.ec2.create_internet_gateway();
                let call = call.tag_specifications(tags(ResourceType::InternetGateway));
                let output =
                    self.call("CreateInternetGateway", &[], || call.clone().send()).await?;
                let gateway = output.internet_gateway().and_then(|g| g.internet_gateway_id());
                let id = gateway.unwrap_or_default().to_string();
                self.fresh.add(&id);
                self.attach(&id, self.vpc_id(ids)?).await?;
                id
            }
            Spec::Subnet { zone, cidr, map_public_ip } => {
                let vpc = self.vpc_id(ids)?;
                let call = self.ec2.create_subnet().vpc_id(vpc).cidr_block(cidr.to_string());
                let call =
                    call.availability_zone(zone).tag_specifications(tags(ResourceType::Subnet));
                let output = self.call("CreateSubnet", &[vpc], || call.clone().send()).await?;
                let id =
                    output.subnet().and_then(|s| s.subnet_id()).unwrap_or_default().to_string();
                self.fresh.add(&id);
                if *map_public_ip {
                    self.map_public_ip(&id, true).await?;
                }
                id
            }
            Spec::RouteTable { route, .. } => {
                let vpc = self.vpc_id(ids)?;
                let call = self.ec2.create_route_table().vpc_id(vpc);
                let call = call
                    .client_token(self.client_token(&change.name))
                    .tag_specifications(tags(ResourceType::RouteTable));
                let output = self.call("CreateRouteTable", &[vpc], || call.clone().send()).await?;
                let table = output.route_table().and_then(|t| t.route_table_id());
                let id = table.unwrap_or_default().to_string();
                self.fresh.add(&id);
                if *route != Route::None && deferred_route(change).is_none() {
                    self.route(&id, route, false, ids).await?;
                }
                id
            }
            Spec::ElasticIp => {
                let call = self.ec2.allocate_address().domain(DomainType::Vpc);
                let call = call.tag_specifications(tags(ResourceType::ElasticIp));
                let output = self.call("AllocateAddress", &[], || call.clone().send()).await?;
                output.allocation_id().unwrap_or_default().to_string()
            }
            Spec::NatGateway { subnet, address, .. } => {
                let call = self
                    .ec2
                    .create_nat_gateway()
                    .client_token(self.client_token(&change.name))
                    .connectivity_type(ConnectivityType::Public)
                    .tag_specifications(tags(ResourceType::Natgateway));
                let (call, refs) = match (subnet, address) {
                    (Some(subnet), Some(address)) => {
                        let subnet = self.lookup(ids, Kind::Subnet, subnet)?;
                        let address = self.lookup(ids, Kind::ElasticIp, address)?;
                        (call.subnet_id(subnet).allocation_id(address), [subnet, address])
                    }
                    (None, None) => {
                        let vpc = self.vpc_id(ids)?;
                        (call.availability_mode(AvailabilityMode::Regional).vpc_id(vpc), [vpc, vpc])
                    }
                    _ => anyhow::bail!(
                        "NAT gateway `{}` in `{}` has a subnet or an Elastic IP but not both; this is a bug in host's diff",
                        change.name,
                        self.region
                    ),
                };
                let output = self.call("CreateNatGateway", &refs, || call.clone().send()).await?;
                let gateway = output.nat_gateway().and_then(|n| n.nat_gateway_id());
                gateway.unwrap_or_default().to_string()
            }
        };
        if id.is_empty() {
            let action = format!("Create {}", noun(change.kind));
            return Err(super::unexpected(&action, self.region, "EC2 returned no id".to_string()));
        }
        Ok(id)
    }

    /// Makes a change's in-place updates to the resource `id`.
    async fn update(&self, change: &Change, id: &str, ids: &Ids) -> Result<()> {
        for update in &change.updates {
            self.apply_update(change, id, update, ids).await?;
        }
        Ok(())
    }

    pub(super) async fn apply_update(
        &self,
        change: &Change,
        id: &str,
        update: &Update,
        ids: &Ids,
    ) -> Result<()> {
        match update {
            Update::Tags { set, remove } => self.tags(id, set, remove).await?,
            Update::MapPublicIp { on } => self.map_public_ip(id, *on).await?,
            Update::DnsHostnames => self.dns_hostnames(id).await?,
            Update::Attach => self.attach(id, self.vpc_id(ids)?).await?,
            Update::Route { route, replace } => self.route(id, route, *replace, ids).await?,
            Update::Associate { subnet, replacing } => {
                let subnet_id = self.lookup(ids, Kind::Subnet, subnet)?;
                self.associate(id, subnet_id, replacing.as_deref()).await?;
                tracing::debug!(target: "ec2", "associated subnet `{subnet}` with route table `{}` in {}", change.name, self.region);
            }
            Update::Disassociate { association } => {
                let call = self.ec2.disassociate_route_table().association_id(association);
                self.call("DisassociateRouteTable", &[], || call.clone().send()).await?;
            }
            Update::Detach { vpc } => {
                let call = self.ec2.detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc);
                self.call("DetachInternetGateway", &[id, vpc], || call.clone().send()).await?;
            }
        }
        Ok(())
    }

    async fn tags(&self, id: &str, set: &Tags, remove: &[String]) -> Result<()> {
        if !set.is_empty() {
            let call = self.ec2.create_tags().resources(id).set_tags(Some(tag_list(set)));
            self.call("CreateTags", &[id], || call.clone().send()).await?;
        }
        if !remove.is_empty() {
            let keys = remove.iter().map(|key| Tag::builder().key(key).build()).collect();
            let call = self.ec2.delete_tags().resources(id).set_tags(Some(keys));
            self.call("DeleteTags", &[id], || call.clone().send()).await?;
        }
        Ok(())
    }

    async fn associate(&self, table: &str, subnet: &str, replacing: Option<&str>) -> Result<()> {
        if let Some(association) = replacing {
            let call = self.ec2.replace_route_table_association().association_id(association);
            let call = call.route_table_id(table);
            self.call("ReplaceRouteTableAssociation", &[table], || call.clone().send()).await?;
        } else {
            let call = self.ec2.associate_route_table().route_table_id(table).subnet_id(subnet);
            self.call("AssociateRouteTable", &[table, subnet], || call.clone().send()).await?;
        }
        Ok(())
    }

    async fn dns_hostnames(&self, vpc: &str) -> Result<()> {
        let on = AttributeBooleanValue::builder().value(true).build();
        let call = self.ec2.modify_vpc_attribute().vpc_id(vpc).enable_dns_hostnames(on);
        self.call("ModifyVpcAttribute", &[vpc], || call.clone().send()).await?;
        Ok(())
    }

    async fn attach(&self, gateway: &str, vpc: &str) -> Result<()> {
        let call = self.ec2.attach_internet_gateway().internet_gateway_id(gateway).vpc_id(vpc);
        self.call("AttachInternetGateway", &[gateway, vpc], || call.clone().send()).await?;
        Ok(())
    }

    async fn map_public_ip(&self, subnet: &str, on: bool) -> Result<()> {
        let value = AttributeBooleanValue::builder().value(on).build();
        let call = self.ec2.modify_subnet_attribute().subnet_id(subnet);
        let call = call.map_public_ip_on_launch(value);
        self.call("ModifySubnetAttribute", &[subnet], || call.clone().send()).await?;
        Ok(())
    }

    /// Points a table's `0.0.0.0/0` at `route`: a new route, a replaced one,
    /// or none.
    async fn route(&self, table: &str, route: &Route, replace: bool, ids: &Ids) -> Result<()> {
        const DEFAULT: &str = "0.0.0.0/0";
        let (gateway, nat) = match route {
            Route::None => {
                let call = self.ec2.delete_route().route_table_id(table);
                let call = call.destination_cidr_block(DEFAULT);
                self.call("DeleteRoute", &[table], || call.clone().send()).await?;
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
        let target = gateway.clone().or_else(|| nat.clone()).unwrap_or_default();
        let refs = [table, target.as_str()];
        if replace {
            let call = self.ec2.replace_route().route_table_id(table);
            let call = call.destination_cidr_block(DEFAULT);
            let call = call.set_gateway_id(gateway).set_nat_gateway_id(nat);
            self.call("ReplaceRoute", &refs, || call.clone().send()).await?;
        } else {
            let call = self.ec2.create_route().route_table_id(table);
            let call = call.destination_cidr_block(DEFAULT);
            let call = call.set_gateway_id(gateway).set_nat_gateway_id(nat);
            self.call("CreateRoute", &refs, || call.clone().send()).await?;
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn change(op: Op, kind: Kind, spec: Spec) -> Change {
        let name = format!("{kind:?}");
        Change { op, kind, name, id: None, spec, tags: Tags::new(), updates: Vec::new() }
    }

    #[test]
    fn each_nat_gateway_starts_as_soon_as_what_it_needs_exists() {
        let nat = |subnet: Option<&str>| Spec::NatGateway {
            subnet: subnet.map(str::to_string),
            address: subnet.map(|_| "address".to_string()),
            state: None,
        };
        let table = |route| Spec::RouteTable { route, subnets: Vec::new() };
        let to_nat = || table(Route::Nat("nat".to_string()));
        let stages = [
            (change(Op::Create, Kind::Vpc, Spec::Vpc { cidr: "10.0.0.0/16".parse().unwrap() }), 0),
            (change(Op::Create, Kind::InternetGateway, Spec::InternetGateway), 1),
            (change(Op::Create, Kind::ElasticIp, Spec::ElasticIp), 1),
            (change(Op::Create, Kind::NatGateway, nat(None)), 2),
            (change(Op::Create, Kind::NatGateway, nat(Some("public-a"))), 3),
            (change(Op::Create, Kind::RouteTable, table(Route::InternetGateway)), 3),
            (change(Op::Create, Kind::RouteTable, to_nat()), 3),
            (change(Op::Update, Kind::RouteTable, to_nat()), ROUTES_TO_NAT),
        ];
        for (change, expected) in &stages {
            assert_eq!(stage(change), *expected, "{change:?}");
        }
        let created = change(Op::Create, Kind::RouteTable, to_nat());
        assert_eq!(deferred_route(&created), Some(&Route::Nat("nat".to_string())));
        assert_eq!(deferred_route(&stages[5].0), None, "routes to the gateway are made at once");
    }
}
