//! Reading an account: the enabled regions, and in each region the facts a
//! plan needs and what the managed set holds there, in as few calls as the
//! API allows (each Describe is one call, filtered by tag where it can be).

use std::collections::BTreeMap;

use anyhow::Result;
use aws_config::SdkConfig;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    AccountAttributeName, AvailabilityZoneState, Filter, NatGatewayState, Tag, VpcAttributeName,
};
use ipnet::Ipv4Net;

use super::{SET_TAG, TIER_TAG, client, failure, home_region, unexpected};
use crate::facts::{Tier, Zone, ZoneState, ZoneType};
use crate::iam::OWNER_TAG;
use crate::regions;
use crate::state::{
    Association, HeldAddress, HeldGateway, HeldNat, HeldSubnet, HeldTable, HeldVpc, Holding,
    NatState, Tags, Target,
};

/// The attribute holding the account's Elastic IP quota.
const QUOTA_ATTRIBUTE: &str = "vpc-max-elastic-ips";

/// Everything read from one region.
#[derive(Debug, Clone)]
pub struct RegionRead {
    /// The region code.
    pub region: String,
    /// Its zones, sorted by name; empty where no plan is made.
    pub zones: Vec<Zone>,
    /// CIDR blocks of VPCs outside the managed set.
    pub other_vpc_cidrs: Vec<Ipv4Net>,
    /// Elastic IPs allocated in the region, whoever holds them.
    pub addresses_in_region: u32,
    /// The Elastic IP quota; read only where a plan is made.
    pub quota: Option<u32>,
    /// What the managed set holds.
    pub holding: Holding,
}

/// An account as host sees it.
#[derive(Debug, Clone)]
pub struct Survey {
    /// The config's enabled regions, in config order, read in full.
    pub listed: Vec<RegionRead>,
    /// Other enabled regions where the managed set holds something.
    pub elsewhere: Vec<RegionRead>,
}

/// Reads `listed` regions in full; with `everywhere`, also every other
/// enabled region, keeping those where the set named `name` holds anything.
pub async fn survey(
    base: &SdkConfig,
    listed: &[String],
    name: &str,
    everywhere: bool,
) -> Result<Survey> {
    let home = home_region(base);
    let enabled = enabled_regions(&client(base, &home), &home).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for region in &enabled {
        let full = listed.contains(region);
        if !full && !everywhere {
            continue;
        }
        let (ec2, region, name) = (client(base, region), region.clone(), name.to_string());
        tasks.spawn(async move {
            if full {
                read_region(&ec2, &region, &name).await.map(Some)
            } else {
                scan(&ec2, &region, &name).await
            }
        });
    }
    let mut read: BTreeMap<String, RegionRead> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        if let Some(region) = joined?? {
            read.insert(region.region.clone(), region);
        }
    }
    let listed: Vec<RegionRead> = listed.iter().filter_map(|region| read.remove(region)).collect();
    let elsewhere = read.into_values().collect();
    Ok(Survey { listed, elsewhere })
}

/// The known regions the account may use: opted in, or needing no opt-in.
async fn enabled_regions(ec2: &Client, home: &str) -> Result<Vec<String>> {
    let output =
        ec2.describe_regions().send().await.map_err(|err| failure("DescribeRegions", home, err))?;
    let mut enabled: Vec<String> = output
        .regions()
        .iter()
        .filter(|region| region.opt_in_status() != Some("not-opted-in"))
        .filter_map(|region| region.region_name())
        .filter(|name| regions::is_known(name))
        .map(str::to_string)
        .collect();
    enabled.sort();
    Ok(enabled)
}

/// A region where no plan is made: two filtered calls show whether the set
/// holds anything there, and only then is the rest read.
async fn scan(ec2: &Client, region: &str, name: &str) -> Result<Option<RegionRead>> {
    let (vpcs, addresses) = tokio::try_join!(
        async {
            let call = ec2.describe_vpcs().set_filters(Some(owned_filters(name)));
            call.send().await.map_err(|err| failure("DescribeVpcs", region, err))
        },
        async {
            let call = ec2.describe_addresses().set_filters(Some(owned_filters(name)));
            call.send().await.map_err(|err| failure("DescribeAddresses", region, err))
        },
    )?;
    if vpcs.vpcs().is_empty() && addresses.addresses().is_empty() {
        return Ok(None);
    }
    let mut read = read_region(ec2, region, name).await?;
    read.zones.clear();
    read.quota = None;
    Ok(Some(read))
}

/// Everything about one region, in parallel calls.
async fn read_region(ec2: &Client, region: &str, name: &str) -> Result<RegionRead> {
    let (zones, (vpcs, others), subnets, gateways, tables, nats, (addresses, count), quota) = tokio::try_join!(
        zones(ec2, region),
        vpcs(ec2, region, name),
        subnets(ec2, region, name),
        gateways(ec2, region, name),
        tables(ec2, region, name),
        nats(ec2, region, name),
        addresses(ec2, region, name),
        quota(ec2, region),
    )?;
    let mut holding = Holding {
        vpcs,
        internet_gateways: gateways,
        subnets,
        route_tables: tables,
        nat_gateways: nats,
        addresses,
    };
    for vpc in &mut holding.vpcs {
        vpc.dns_hostnames = Some(dns_hostnames(ec2, region, &vpc.id).await?);
    }
    Ok(RegionRead {
        region: region.to_string(),
        zones,
        other_vpc_cidrs: others,
        addresses_in_region: count,
        quota: Some(quota),
        holding,
    })
}

/// The filters that find the set's own resources.
fn owned_filters(name: &str) -> Vec<Filter> {
    vec![
        Filter::builder().name(format!("tag:{OWNER_TAG}")).values("true").build(),
        Filter::builder().name(format!("tag:{SET_TAG}")).values(name).build(),
    ]
}

fn tag_map(tags: &[Tag]) -> Tags {
    tags.iter().filter_map(|tag| Some((tag.key()?.to_string(), tag.value()?.to_string()))).collect()
}

/// Whether tags mark a resource as the set's. Checked on every resource read,
/// whether or not the call was filtered: ownership is never taken on trust.
fn owned(tags: &Tags, name: &str) -> bool {
    tags.get(OWNER_TAG).map(String::as_str) == Some("true")
        && tags.get(SET_TAG).map(String::as_str) == Some(name)
}

async fn zones(ec2: &Client, region: &str) -> Result<Vec<Zone>> {
    let output = ec2
        .describe_availability_zones()
        .all_availability_zones(true)
        .send()
        .await
        .map_err(|err| failure("DescribeAvailabilityZones", region, err))?;
    let mut zones: Vec<Zone> = output
        .availability_zones()
        .iter()
        .filter_map(|zone| {
            Some(Zone {
                name: zone.zone_name()?.to_string(),
                zone_id: zone.zone_id()?.to_string(),
                zone_type: match zone.zone_type() {
                    Some("availability-zone") => ZoneType::AvailabilityZone,
                    Some("local-zone") => ZoneType::LocalZone,
                    Some("wavelength-zone") => ZoneType::WavelengthZone,
                    _ => ZoneType::Other,
                },
                state: match zone.state() {
                    Some(AvailabilityZoneState::Available) => ZoneState::Available,
                    Some(AvailabilityZoneState::Information) => ZoneState::Information,
                    Some(AvailabilityZoneState::Impaired) => ZoneState::Impaired,
                    _ => ZoneState::Unavailable,
                },
            })
        })
        .collect();
    zones.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(zones)
}

/// The set's VPCs, and every other VPC's CIDR blocks.
async fn vpcs(ec2: &Client, region: &str, name: &str) -> Result<(Vec<HeldVpc>, Vec<Ipv4Net>)> {
    let vpcs: Vec<_> = ec2
        .describe_vpcs()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|err| failure("DescribeVpcs", region, err))?;
    let (mut own, mut others) = (Vec::new(), Vec::new());
    for vpc in &vpcs {
        let id = vpc.vpc_id().unwrap_or_default();
        let cidr = parse_cidr("DescribeVpcs", vpc.cidr_block(), region, id)?;
        let tags = tag_map(vpc.tags());
        if owned(&tags, name) {
            own.push(HeldVpc { id: id.to_string(), cidr, dns_hostnames: None, tags });
            continue;
        }
        let blocks = vpc.cidr_block_association_set().iter().filter_map(|b| b.cidr_block());
        for block in blocks {
            others.push(parse_cidr("DescribeVpcs", Some(block), region, id)?);
        }
        others.push(cidr);
    }
    others.sort();
    others.dedup();
    Ok((own, others))
}

fn parse_cidr(action: &str, text: Option<&str>, region: &str, owner: &str) -> Result<Ipv4Net> {
    text.and_then(|text| text.parse().ok()).ok_or_else(|| {
        unexpected(action, region, format!("`{owner}` reports no IPv4 CIDR EC2 would give"))
    })
}

async fn dns_hostnames(ec2: &Client, region: &str, vpc_id: &str) -> Result<bool> {
    let output = ec2
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .map_err(|err| failure("DescribeVpcAttribute", region, err))?;
    Ok(output.enable_dns_hostnames().and_then(|value| value.value()).unwrap_or(false))
}

async fn subnets(ec2: &Client, region: &str, name: &str) -> Result<Vec<HeldSubnet>> {
    let subnets: Vec<_> = ec2
        .describe_subnets()
        .set_filters(Some(owned_filters(name)))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|err| failure("DescribeSubnets", region, err))?;
    let mut held = Vec::new();
    for subnet in &subnets {
        let tags = tag_map(subnet.tags());
        if !owned(&tags, name) {
            continue;
        }
        let id = subnet.subnet_id().unwrap_or_default();
        let tier = match tags.get(TIER_TAG).map(String::as_str) {
            Some("public") => Some(Tier::Public),
            Some("private") => Some(Tier::Private),
            Some("isolated") => Some(Tier::Isolated),
            _ => None,
        };
        held.push(HeldSubnet {
            id: id.to_string(),
            vpc_id: subnet.vpc_id().unwrap_or_default().to_string(),
            zone: subnet.availability_zone().unwrap_or_default().to_string(),
            zone_id: subnet.availability_zone_id().unwrap_or_default().to_string(),
            cidr: parse_cidr("DescribeSubnets", subnet.cidr_block(), region, id)?,
            tier,
            map_public_ip: subnet.map_public_ip_on_launch().unwrap_or(false),
            tags,
        });
    }
    held.sort_by(|a, b| (&a.zone_id, a.cidr).cmp(&(&b.zone_id, b.cidr)));
    Ok(held)
}

async fn gateways(ec2: &Client, region: &str, name: &str) -> Result<Vec<HeldGateway>> {
    let gateways: Vec<_> = ec2
        .describe_internet_gateways()
        .set_filters(Some(owned_filters(name)))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|err| failure("DescribeInternetGateways", region, err))?;
    let held = gateways
        .iter()
        .map(|gateway| (gateway, tag_map(gateway.tags())))
        .filter(|(_, tags)| owned(tags, name))
        .map(|(gateway, tags)| HeldGateway {
            id: gateway.internet_gateway_id().unwrap_or_default().to_string(),
            attached_to: gateway
                .attachments()
                .iter()
                .filter_map(|attachment| attachment.vpc_id().map(str::to_string))
                .collect(),
            tags,
        })
        .collect();
    Ok(held)
}

async fn tables(ec2: &Client, region: &str, name: &str) -> Result<Vec<HeldTable>> {
    let tables: Vec<_> = ec2
        .describe_route_tables()
        .set_filters(Some(owned_filters(name)))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|err| failure("DescribeRouteTables", region, err))?;
    let mut held = Vec::new();
    for table in &tables {
        let tags = tag_map(table.tags());
        if !owned(&tags, name) {
            continue;
        }
        let associations = table
            .associations()
            .iter()
            .filter(|association| association.main() != Some(true))
            .filter_map(|association| {
                Some(Association {
                    id: association.route_table_association_id()?.to_string(),
                    subnet_id: association.subnet_id()?.to_string(),
                })
            })
            .collect();
        let default_route = table
            .routes()
            .iter()
            .find(|route| route.destination_cidr_block() == Some("0.0.0.0/0"))
            .map(|route| match (route.gateway_id(), route.nat_gateway_id()) {
                (_, Some(nat)) => Target::Nat(nat.to_string()),
                (Some(gateway), None) if gateway.starts_with("igw-") => {
                    Target::Gateway(gateway.to_string())
                }
                _ => Target::Other,
            });
        held.push(HeldTable {
            id: table.route_table_id().unwrap_or_default().to_string(),
            vpc_id: table.vpc_id().unwrap_or_default().to_string(),
            associations,
            default_route,
            tags,
        });
    }
    Ok(held)
}

/// The set's NAT gateways that still exist. EC2 lists a deleted gateway for a
/// while, and a failed one until it is cleaned up; neither is held.
async fn nats(ec2: &Client, region: &str, name: &str) -> Result<Vec<HeldNat>> {
    let gateways: Vec<_> = ec2
        .describe_nat_gateways()
        .set_filter(Some(owned_filters(name)))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|err| failure("DescribeNatGateways", region, err))?;
    let mut held = Vec::new();
    for gateway in &gateways {
        let tags = tag_map(gateway.tags());
        let state = match gateway.state() {
            Some(NatGatewayState::Pending) => NatState::Pending,
            Some(NatGatewayState::Available) => NatState::Available,
            Some(NatGatewayState::Deleting) => NatState::Deleting,
            _ => continue,
        };
        if !owned(&tags, name) {
            continue;
        }
        held.push(HeldNat {
            id: gateway.nat_gateway_id().unwrap_or_default().to_string(),
            vpc_id: gateway.vpc_id().unwrap_or_default().to_string(),
            subnet_id: gateway.subnet_id().filter(|id| !id.is_empty()).map(str::to_string),
            regional: gateway.availability_mode().map(|mode| mode.as_str()) == Some("regional"),
            state,
            allocation_ids: gateway
                .nat_gateway_addresses()
                .iter()
                .filter_map(|address| address.allocation_id().map(str::to_string))
                .collect(),
            route_table_id: gateway.route_table_id().map(str::to_string),
            tags,
        });
    }
    Ok(held)
}

/// The set's Elastic IPs, and how many the region has in all.
async fn addresses(ec2: &Client, region: &str, name: &str) -> Result<(Vec<HeldAddress>, u32)> {
    let output = ec2
        .describe_addresses()
        .send()
        .await
        .map_err(|err| failure("DescribeAddresses", region, err))?;
    let all = output.addresses();
    let held = all
        .iter()
        .filter_map(|address| {
            let tags = tag_map(address.tags());
            owned(&tags, name).then_some(())?;
            Some(HeldAddress {
                allocation_id: address.allocation_id()?.to_string(),
                public_ip: address.public_ip()?.to_string(),
                associated: address.association_id().is_some(),
                tags,
            })
        })
        .collect();
    Ok((held, u32::try_from(all.len()).unwrap_or(u32::MAX)))
}

/// The account's Elastic IP quota in the region. Not being allowed to read it
/// is an error: guessing could let a plan past the quota.
async fn quota(ec2: &Client, region: &str) -> Result<u32> {
    let action = "DescribeAccountAttributes";
    let output = ec2
        .describe_account_attributes()
        .attribute_names(AccountAttributeName::from(QUOTA_ATTRIBUTE))
        .send()
        .await
        .map_err(|err| failure(action, region, err))?;
    output
        .account_attributes()
        .iter()
        .filter(|attribute| attribute.attribute_name() == Some(QUOTA_ATTRIBUTE))
        .flat_map(|attribute| attribute.attribute_values())
        .find_map(|value| value.attribute_value()?.parse().ok())
        .ok_or_else(|| unexpected(action, region, format!("EC2 reported no `{QUOTA_ATTRIBUTE}`")))
}
