//! Deleting what a region no longer needs, in dependency order: routes and
//! associations, NAT gateways (waited out), Elastic IPs, internet gateways,
//! subnets, route tables, the VPC.
//!
//! EC2 refuses a delete while something still depends on the resource. When
//! that something was host's own and is gone, EC2 is only slow to notice, and
//! the delete is tried again for a bounded time. When it is a resource host
//! does not own (someone's security group, network interface or subnet in a
//! managed VPC), host leaves it alone, deletes everything else it can, and
//! stops with an error naming each such resource.

use std::fmt::Debug;
use std::future::Future;

use anyhow::Result;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use futures_util::StreamExt as _;

use super::apply::{Executor, Ids, PER_REGION, noun};
use super::blockers::Scope;
use super::failure;
use super::retry::{self, Lingering};
use super::stop;
use super::wait::{NatWait, wait_nats};
use crate::diff::{Change, Kind, Spec, Update};
use crate::error::Error;
use crate::state::NatState;

/// The order deletions run in, after routes and associations are removed.
const STEPS: [Kind; 6] = [
    Kind::NatGateway,
    Kind::ElasticIp,
    Kind::InternetGateway,
    Kind::Subnet,
    Kind::RouteTable,
    Kind::Vpc,
];

impl Executor<'_> {
    /// Deletes `changes` in dependency order; the deletions of one step run
    /// together. Resources host does not own that keep something from being
    /// deleted are named in an [`Error::Blocked`], after every other deletion.
    pub(super) async fn delete(&self, changes: &[&Change]) -> Result<()> {
        let of = |kind: Kind| changes.iter().filter(move |change| change.kind == kind).copied();
        self.unroute(of(Kind::RouteTable)).await?;

        let mut blockers: Vec<String> = Vec::new();
        for kind in STEPS {
            let removed: Vec<Result<Vec<String>>> =
                futures_util::stream::iter(of(kind).map(|change| self.remove(change)))
                    .buffered(PER_REGION)
                    .collect()
                    .await;
            for found in removed {
                for blocker in found? {
                    if !blockers.contains(&blocker) {
                        blockers.push(blocker);
                    }
                }
            }
            let nats: Vec<String> = of(Kind::NatGateway).map(|c| held_id(c).to_string()).collect();
            if kind == Kind::NatGateway && !nats.is_empty() {
                wait_nats(&self.ec2, self.region, &nats, NatWait::Deleted, &self.fresh).await?;
            }
        }
        if blockers.is_empty() {
            return Ok(());
        }
        Err(Error::Blocked { region: self.region.to_string(), blockers }.into())
    }

    /// Removes the default routes and subnet associations of tables about to
    /// be deleted.
    async fn unroute<'c>(&self, tables: impl Iterator<Item = &'c Change>) -> Result<()> {
        let none = Ids::new();
        let updates = tables.flat_map(|table| table.updates.iter().map(move |u| (table, u)));
        let unrouted: Vec<Result<()>> = futures_util::stream::iter(
            updates.map(|(table, update)| self.apply_update(table, held_id(table), update, &none)),
        )
        .buffered(PER_REGION)
        .collect()
        .await;
        unrouted.into_iter().collect()
    }

    /// Deletes one resource; returns the foreign resources that keep it from
    /// being deleted, if any.
    async fn remove(&self, change: &Change) -> Result<Vec<String>> {
        let (region, id) = (self.region, held_id(change));
        let blockers = match change.kind {
            Kind::NatGateway if is_deleting(change) => return Ok(Vec::new()),
            Kind::NatGateway => {
                let call = self.ec2.delete_nat_gateway().nat_gateway_id(id);
                self.call("DeleteNatGateway", &[id], || call.clone().send()).await?;
                tracing::info!(target: "ec2", "deleting NAT gateway `{}` ({id}) in {region}", change.name);
                return Ok(Vec::new());
            }
            Kind::ElasticIp => {
                let call = self.ec2.release_address().allocation_id(id);
                let release = || call.clone().send();
                retry::let_go("ReleaseAddress", region, Lingering::Address, release).await?;
                Vec::new()
            }
            Kind::InternetGateway => self.remove_gateway(change).await?,
            Kind::Subnet => {
                let call = self.ec2.delete_subnet().subnet_id(id);
                self.settle("DeleteSubnet", Scope::Subnet(id), || call.clone().send()).await?
            }
            Kind::RouteTable => {
                let call = self.ec2.delete_route_table().route_table_id(id);
                let delete = || call.clone().send();
                retry::let_go("DeleteRouteTable", region, Lingering::Dependency, delete).await?;
                Vec::new()
            }
            Kind::Vpc => {
                let call = self.ec2.delete_vpc().vpc_id(id);
                self.settle("DeleteVpc", Scope::Vpc(id), || call.clone().send()).await?
            }
        };
        if blockers.is_empty() {
            tracing::info!(target: "ec2", "deleted {} `{}` ({id}) in {region}", noun(change.kind), change.name);
        }
        Ok(blockers)
    }

    /// Detaches an internet gateway from its VPC, then deletes it.
    async fn remove_gateway(&self, change: &Change) -> Result<Vec<String>> {
        let id = held_id(change);
        for update in &change.updates {
            if let Update::Detach { vpc } = update {
                let call = self.ec2.detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc);
                let detach = || call.clone().send();
                let blockers = self.settle("DetachInternetGateway", Scope::Gateway(vpc), detach);
                let blockers = blockers.await?;
                if !blockers.is_empty() {
                    return Ok(blockers);
                }
            }
        }
        let call = self.ec2.delete_internet_gateway().internet_gateway_id(id);
        self.call("DeleteInternetGateway", &[id], || call.clone().send()).await?;
        Ok(Vec::new())
    }

    /// Sends a delete EC2 may refuse with `DependencyViolation`. If resources
    /// host does not own are in `scope`, they are what blocks it, and they
    /// are returned; otherwise EC2 is still letting go of something host
    /// removed, and the delete is tried again for a bounded time.
    async fn settle<T, E, R, F, Fut>(
        &self,
        action: &str,
        scope: Scope<'_>,
        mut call: F,
    ) -> Result<Vec<String>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: Debug + Send + Sync + 'static,
    {
        stop::check(self.region)?;
        match call().await {
            Ok(_) => return Ok(Vec::new()),
            Err(err) if retry::code(&err) == Some("DependencyViolation") => {}
            Err(err) => return Err(failure(action, self.region, err).into()),
        }
        let foreign = self.foreign(scope).await?;
        if !foreign.is_empty() {
            return Ok(foreign);
        }
        tracing::debug!(target: "ec2", "{action} in {}: EC2 still sees a dependency host removed; trying again", self.region);
        match retry::let_go(action, self.region, Lingering::Dependency, &mut call).await {
            Ok(_) => Ok(Vec::new()),
            Err(err) => {
                let foreign = self.foreign(scope).await?;
                if foreign.is_empty() { Err(err.into()) } else { Ok(foreign) }
            }
        }
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
