//! The facts a plan needs, taken from what was read of each region.

use anyhow::Result;

use super::read::{RegionRead, Survey};
use super::{SET_TAG, unexpected};
use crate::facts::{ElasticIp, ExistingSubnet, ExistingVpc, Facts, RegionFacts, SCHEMA_VERSION};

/// The facts of the config's enabled regions, in config order.
pub fn from_survey(survey: &Survey) -> Result<Facts> {
    let regions = survey.listed.iter().map(region_facts).collect::<Result<_>>()?;
    Ok(Facts { schema_version: SCHEMA_VERSION, regions })
}

fn region_facts(read: &RegionRead) -> Result<RegionFacts> {
    let holding = &read.holding;
    if holding.vpcs.len() > 1 {
        let ids: Vec<&str> = holding.vpcs.iter().map(|vpc| vpc.id.as_str()).collect();
        let message = format!(
            "the managed set has more than one VPC here ({}); remove all but one, or tag the others out of the set with `{SET_TAG}`",
            ids.join(", ")
        );
        return Err(unexpected("DescribeVpcs", &read.region, message));
    }
    let existing = holding.vpcs.first().map(|vpc| {
        let in_vpc = |vpc_id: &str| vpc_id == vpc.id;
        let subnets = holding
            .subnets
            .iter()
            .filter(|subnet| in_vpc(&subnet.vpc_id))
            .filter_map(|subnet| {
                Some(ExistingSubnet {
                    zone_id: subnet.zone_id.clone(),
                    tier: subnet.tier?,
                    cidr: subnet.cidr,
                })
            })
            .collect();
        let mut zonal_nat_zones: Vec<String> = holding
            .nat_gateways
            .iter()
            .filter(|nat| in_vpc(&nat.vpc_id) && nat.state != crate::state::NatState::Deleting)
            .filter_map(|nat| holding.subnet(nat.subnet_id.as_deref()?))
            .filter_map(|subnet| {
                let zone = read.zones.iter().find(|zone| zone.zone_id == subnet.zone_id)?;
                Some(zone.name.clone())
            })
            .collect();
        zonal_nat_zones.sort();
        zonal_nat_zones.dedup();
        ExistingVpc { cidr: vpc.cidr, subnets, zonal_nat_zones }
    });
    let elastic_ips = holding
        .addresses
        .iter()
        .map(|address| ElasticIp {
            allocation_id: address.allocation_id.clone(),
            public_ip: address.public_ip.clone(),
        })
        .collect();
    Ok(RegionFacts {
        region: read.region.clone(),
        zones: read.zones.clone(),
        other_vpc_cidrs: read.other_vpc_cidrs.clone(),
        existing,
        elastic_ips,
        elastic_ips_allocated: Some(read.addresses_in_region),
        elastic_ip_quota: read.quota.unwrap_or_default(),
    })
}
