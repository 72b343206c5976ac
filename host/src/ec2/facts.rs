//! Reading the facts a plan needs from EC2: enabled regions, zones, the CIDRs in
//! use, the managed set's own VPC, its Elastic IPs and the Elastic IP quota.

use std::collections::BTreeMap;

use anyhow::Result;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{AccountAttributeName, AvailabilityZoneState, Filter, Tag};
use ipnet::Ipv4Net;

use super::{SET_TAG, TIER_TAG, client, failure, home_region, sdk_config};
use crate::config::Config;
use crate::error::Error;
use crate::facts::{
    ElasticIp, ExistingSubnet, ExistingVpc, Facts, RegionFacts, SCHEMA_VERSION, Tier, Zone,
    ZoneState, ZoneType,
};
use crate::iam::OWNER_TAG;
use crate::regions;

/// The attribute holding the account's Elastic IP quota.
const QUOTA_ATTRIBUTE: &str = "vpc-max-elastic-ips";

/// Reads facts for every config region the account has enabled, in config
/// order; a listed region that is not enabled is left out.
pub async fn read(config: &Config, name: &str) -> Result<Facts> {
    let base = sdk_config(&config.creds).await;
    let home = home_region(&base);
    let enabled = enabled_regions(&client(&base, &home), &home).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for region in config.regions.iter().filter(|r| enabled.contains(r)) {
        let (ec2, region, name) = (client(&base, region), region.clone(), name.to_string());
        tasks.spawn(async move { region_facts(&ec2, &region, &name).await });
    }
    let mut read: BTreeMap<String, RegionFacts> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let facts = joined??;
        read.insert(facts.region.clone(), facts);
    }
    let regions = config.regions.iter().filter_map(|region| read.remove(region)).collect();
    Ok(Facts { schema_version: SCHEMA_VERSION, regions })
}

/// An answer from EC2 that host cannot use, named by action and region.
fn unexpected(action: &str, region: &str, message: String) -> anyhow::Error {
    Error::Aws { action: action.to_string(), region: region.to_string(), message }.into()
}

/// The known regions the account may use: opted in, or needing no opt-in.
async fn enabled_regions(ec2: &Client, home: &str) -> Result<Vec<String>> {
    let output =
        ec2.describe_regions().send().await.map_err(|err| failure("DescribeRegions", home, err))?;
    let enabled = output
        .regions()
        .iter()
        .filter(|region| region.opt_in_status() != Some("not-opted-in"))
        .filter_map(|region| region.region_name())
        .filter(|name| regions::is_known(name))
        .map(str::to_string)
        .collect();
    Ok(enabled)
}

async fn region_facts(ec2: &Client, region: &str, name: &str) -> Result<RegionFacts> {
    let zones = zones(ec2, region).await?;
    let (own, others) = vpcs(ec2, region, name).await?;
    let existing = match own {
        Some((vpc_id, cidr)) => Some(existing(ec2, region, &vpc_id, cidr, &zones).await?),
        None => None,
    };
    let (elastic_ips, allocated) = addresses(ec2, region, name).await?;
    Ok(RegionFacts {
        region: region.to_string(),
        zones,
        other_vpc_cidrs: others,
        existing,
        elastic_ips,
        elastic_ips_allocated: Some(allocated),
        elastic_ip_quota: quota(ec2, region).await?,
    })
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

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|tag| tag.key() == Some(key)).and_then(Tag::value)
}

fn owned(tags: &[Tag], name: &str) -> bool {
    tag(tags, OWNER_TAG) == Some("true") && tag(tags, SET_TAG) == Some(name)
}

/// The managed set's VPC (id and CIDR), and every other VPC's CIDR blocks.
async fn vpcs(
    ec2: &Client,
    region: &str,
    name: &str,
) -> Result<(Option<(String, Ipv4Net)>, Vec<Ipv4Net>)> {
    let vpcs: Vec<_> = ec2
        .describe_vpcs()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|err| failure("DescribeVpcs", region, err))?;
    let (mut own, mut others) = (None, Vec::new());
    for vpc in &vpcs {
        let id = vpc.vpc_id().unwrap_or_default();
        let cidr = parse_cidr(vpc.cidr_block(), region, id)?;
        if !owned(vpc.tags(), name) {
            let blocks = vpc.cidr_block_association_set().iter().filter_map(|b| b.cidr_block());
            for block in blocks {
                others.push(parse_cidr(Some(block), region, id)?);
            }
            others.push(cidr);
        } else if own.replace((id.to_string(), cidr)).is_some() {
            let message = format!("the managed set `{name}` has more than one VPC here");
            return Err(unexpected("DescribeVpcs", region, message));
        }
    }
    others.sort();
    others.dedup();
    Ok((own, others))
}

fn parse_cidr(text: Option<&str>, region: &str, owner: &str) -> Result<Ipv4Net> {
    text.and_then(|text| text.parse().ok()).ok_or_else(|| {
        unexpected("DescribeVpcs", region, format!("`{owner}` reports no IPv4 CIDR EC2 would give"))
    })
}

/// The managed VPC's subnets (by zone ID and tier) and zonal NAT gateways.
async fn existing(
    ec2: &Client,
    region: &str,
    vpc_id: &str,
    cidr: Ipv4Net,
    zones: &[Zone],
) -> Result<ExistingVpc> {
    let in_vpc = Filter::builder().name("vpc-id").values(vpc_id).build();
    let subnets: Vec<_> = ec2
        .describe_subnets()
        .filters(in_vpc.clone())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|err| failure("DescribeSubnets", region, err))?;
    let mut kept = Vec::new();
    for subnet in &subnets {
        let tier = match tag(subnet.tags(), TIER_TAG) {
            Some("public") => Tier::Public,
            Some("private") => Tier::Private,
            Some("isolated") => Tier::Isolated,
            _ => continue,
        };
        let (Some(zone_id), Some(Ok(cidr))) =
            (subnet.availability_zone_id(), subnet.cidr_block().map(str::parse::<Ipv4Net>))
        else {
            continue;
        };
        kept.push(ExistingSubnet { zone_id: zone_id.to_string(), tier, cidr });
    }
    let zone_of = |subnet_id: &str| {
        let subnet = subnets.iter().find(|s| s.subnet_id() == Some(subnet_id))?;
        let zone_id = subnet.availability_zone_id()?;
        zones.iter().find(|zone| zone.zone_id == zone_id).map(|zone| zone.name.clone())
    };
    let gateways: Vec<_> = ec2
        .describe_nat_gateways()
        .filter(in_vpc)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|err| failure("DescribeNatGateways", region, err))?;
    let mut zonal_nat_zones: Vec<String> = gateways
        .iter()
        .filter(|gateway| {
            matches!(gateway.state().map(|s| s.as_str()), Some("pending" | "available"))
        })
        .filter_map(|gateway| gateway.subnet_id().and_then(zone_of))
        .collect();
    zonal_nat_zones.sort();
    zonal_nat_zones.dedup();
    Ok(ExistingVpc { cidr, subnets: kept, zonal_nat_zones })
}

/// The Elastic IPs the set holds, and how many the region has in all.
async fn addresses(ec2: &Client, region: &str, name: &str) -> Result<(Vec<ElasticIp>, u32)> {
    let output = ec2
        .describe_addresses()
        .send()
        .await
        .map_err(|err| failure("DescribeAddresses", region, err))?;
    let all = output.addresses();
    let held = all
        .iter()
        .filter(|address| owned(address.tags(), name))
        .filter_map(|address| {
            Some(ElasticIp {
                allocation_id: address.allocation_id()?.to_string(),
                public_ip: address.public_ip()?.to_string(),
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
