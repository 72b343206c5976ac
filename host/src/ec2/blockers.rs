//! Finding the resources host does not own that keep one of its own from
//! being deleted: someone's security group, network interface, subnet, NAT
//! gateway, internet gateway or route table in a managed VPC. They are named
//! to the user and never touched.

use anyhow::Result;
use aws_sdk_ec2::types::{Filter, NatGatewayState};

use super::apply::Executor;
use super::failure;

/// Where a refused delete looks for what blocks it.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Deleting this VPC: anything left in it blocks.
    Vpc(&'a str),
    /// Deleting this subnet: network interfaces and NAT gateways in it block.
    Subnet(&'a str),
    /// Detaching the internet gateway of this VPC: public addresses mapped
    /// through it (network interfaces with one, NAT gateways) block.
    Gateway(&'a str),
}

impl Scope<'_> {
    fn filter(self) -> Filter {
        let (name, value) = match self {
            Scope::Vpc(vpc) | Scope::Gateway(vpc) => ("vpc-id", vpc),
            Scope::Subnet(subnet) => ("subnet-id", subnet),
        };
        Filter::builder().name(name).values(value).build()
    }
}

impl Executor<'_> {
    /// Whether the managed set holds `id`, or this run created it.
    fn owns(&self, id: &str) -> bool {
        self.held.contains(id) || self.fresh.contains(id)
    }

    /// The resources host does not own in `scope` that block a delete there,
    /// each named with its id and what identifies it to the user.
    pub(super) async fn foreign(&self, scope: Scope<'_>) -> Result<Vec<String>> {
        let (interfaces, nats) = tokio::try_join!(self.interfaces(scope), self.nats(scope))?;
        let mut found = [interfaces, nats.foreign].concat();
        if let Scope::Vpc(vpc) = scope {
            let (subnets, groups, gateways, tables) = tokio::try_join!(
                self.subnets(vpc),
                self.groups(vpc),
                self.gateways(vpc),
                self.tables(vpc, &nats.own_tables),
            )?;
            found.extend([subnets, groups, gateways, tables].concat());
        }
        Ok(found)
    }

    async fn interfaces(&self, scope: Scope<'_>) -> Result<Vec<String>> {
        let call = self.ec2.describe_network_interfaces().filters(scope.filter());
        let output = call
            .send()
            .await
            .map_err(|err| failure("DescribeNetworkInterfaces", self.region, err))?;
        let mut found = Vec::new();
        for interface in output.network_interfaces() {
            let id = interface.network_interface_id().unwrap_or_default();
            let description = interface.description().unwrap_or_default();
            // A NAT gateway's own interface goes with it.
            let of_own_nat = self
                .held
                .iter()
                .any(|held| held.starts_with("nat-") && description.contains(held.as_str()));
            let public = interface.association().is_some_and(|a| a.public_ip().is_some());
            if self.owns(id) || of_own_nat || matches!(scope, Scope::Gateway(_)) && !public {
                continue;
            }
            let subnet = interface.subnet_id().unwrap_or_default();
            let what =
                if description.is_empty() { String::new() } else { format!(" (`{description}`)") };
            found.push(format!("network interface `{id}`{what} in subnet `{subnet}`"));
        }
        Ok(found)
    }

    async fn nats(&self, scope: Scope<'_>) -> Result<Nats> {
        let call = self.ec2.describe_nat_gateways().filter(scope.filter());
        let output =
            call.send().await.map_err(|err| failure("DescribeNatGateways", self.region, err))?;
        let mut nats = Nats::default();
        for gateway in output.nat_gateways() {
            let id = gateway.nat_gateway_id().unwrap_or_default();
            if self.owns(id) {
                nats.own_tables.extend(gateway.route_table_id().map(str::to_string));
            } else if !matches!(
                gateway.state(),
                Some(NatGatewayState::Deleted | NatGatewayState::Failed)
            ) {
                nats.foreign.push(format!("NAT gateway `{id}`"));
            }
        }
        Ok(nats)
    }

    async fn subnets(&self, vpc: &str) -> Result<Vec<String>> {
        let call = self.ec2.describe_subnets().filters(Scope::Vpc(vpc).filter());
        let output =
            call.send().await.map_err(|err| failure("DescribeSubnets", self.region, err))?;
        let foreign = output.subnets().iter().filter(|s| !self.owns(s.subnet_id().unwrap_or("")));
        let named = foreign.map(|subnet| {
            let (id, cidr) =
                (subnet.subnet_id().unwrap_or_default(), subnet.cidr_block().unwrap_or_default());
            format!("subnet `{id}` ({cidr}) in VPC `{vpc}`")
        });
        Ok(named.collect())
    }

    async fn groups(&self, vpc: &str) -> Result<Vec<String>> {
        let call = self.ec2.describe_security_groups().filters(Scope::Vpc(vpc).filter());
        let output =
            call.send().await.map_err(|err| failure("DescribeSecurityGroups", self.region, err))?;
        let foreign = output.security_groups().iter().filter(|group| {
            group.group_name() != Some("default") && !self.owns(group.group_id().unwrap_or(""))
        });
        let named = foreign.map(|group| {
            let (id, name) =
                (group.group_id().unwrap_or_default(), group.group_name().unwrap_or_default());
            format!("security group `{id}` (`{name}`) in VPC `{vpc}`")
        });
        Ok(named.collect())
    }

    async fn gateways(&self, vpc: &str) -> Result<Vec<String>> {
        let attached = Filter::builder().name("attachment.vpc-id").values(vpc).build();
        let call = self.ec2.describe_internet_gateways().filters(attached);
        let output = call
            .send()
            .await
            .map_err(|err| failure("DescribeInternetGateways", self.region, err))?;
        let ids = output.internet_gateways().iter().filter_map(|g| g.internet_gateway_id());
        let named = ids.filter(|id| !self.owns(id));
        Ok(named.map(|id| format!("internet gateway `{id}` attached to VPC `{vpc}`")).collect())
    }

    async fn tables(&self, vpc: &str, own_tables: &[String]) -> Result<Vec<String>> {
        let call = self.ec2.describe_route_tables().filters(Scope::Vpc(vpc).filter());
        let output =
            call.send().await.map_err(|err| failure("DescribeRouteTables", self.region, err))?;
        let foreign = output.route_tables().iter().filter(|table| {
            let id = table.route_table_id().unwrap_or_default();
            let main = table.associations().iter().any(|a| a.main() == Some(true));
            !main && !self.owns(id) && !own_tables.iter().any(|own| own == id)
        });
        let named = foreign.map(|table| {
            format!("route table `{}` in VPC `{vpc}`", table.route_table_id().unwrap_or_default())
        });
        Ok(named.collect())
    }
}

/// The NAT gateways in a scope.
#[derive(Debug, Default)]
struct Nats {
    /// Those host does not own and that are not yet deleted, named.
    foreign: Vec<String>,
    /// The route tables EC2 made for host's own regional NAT gateways.
    own_tables: Vec<String>,
}
