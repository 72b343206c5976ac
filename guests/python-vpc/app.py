"""python-vpc: a host plugin written in Python, built with componentize-py
against the same WIT world (`wit/plugin.wit`) as the Rust plugins.

It plans a small layout: in every configured region, a VPC whose CIDR the
`cidrs` parameter gives, a public subnet in every availability zone (or in
the first `zones` of them) and, when instances get no public IPs, a private
subnet beside each behind one regional NAT gateway.
"""

import ipaddress

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import logging
from wit_world.imports.types import (
    Config,
    LogLevel,
    NatStrategy_None_,
    NatStrategy_Regional,
    Pair,
    Plan,
    PlanError_AddressSpaceExhausted,
    PlanError_InvalidParameter,
    PlanError_Other,
    RegionFacts,
    RegionPlan,
    RouteTable,
    RouteTarget_InternetGateway,
    RouteTarget_NatGateway,
    Subnet,
    Tier,
    Vpc,
    ZoneState,
    ZoneType,
)

# Reading the account, and making and removing what the plan holds.
ALWAYS = [
    "ec2:DescribeRegions",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNatGateways",
    "ec2:DescribeAddresses",
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeNetworkInterfaces",
    "ec2:CreateVpc",
    "ec2:ModifyVpcAttribute",
    "ec2:DeleteVpc",
    "ec2:CreateTags",
    "ec2:DeleteTags",
    "ec2:CreateSubnet",
    "ec2:ModifySubnetAttribute",
    "ec2:DeleteSubnet",
    "ec2:CreateRouteTable",
    "ec2:DeleteRouteTable",
    "ec2:AssociateRouteTable",
    "ec2:DisassociateRouteTable",
    "ec2:CreateRoute",
    "ec2:DeleteRoute",
    "ec2:CreateInternetGateway",
    "ec2:AttachInternetGateway",
    "ec2:DetachInternetGateway",
    "ec2:DeleteInternetGateway",
]
# A regional NAT gateway needs no Elastic IP of its own.
NAT = ["ec2:CreateNatGateway", "ec2:DeleteNatGateway"]

# The VPC splits into 16 parts: public subnets take parts 0 to 7 and private
# subnets parts 8 to 15, by zone ID number, so adding a zone moves nothing.
PARTS_BITS = 4
PRIVATE_OFFSET = 8


def fail(error):
    """Ends the plan with a plan-error, which host reports to the user."""
    raise Err(error)


def params(config: Config):
    """The `cidrs` and `zones` parameters; any other key is an error."""
    given = {pair.key: pair.value for pair in config.params}
    unknown = sorted(set(given) - {"cidrs", "zones"})
    if unknown:
        fail(PlanError_InvalidParameter(f"unknown parameter `{unknown[0]}`; this plugin takes `cidrs` and `zones`"))
    cidrs = {}
    for entry in filter(None, (part.strip() for part in given.get("cidrs", "").split(","))):
        region, _, cidr = entry.partition("=")
        try:
            network = ipaddress.IPv4Network(cidr)
        except ValueError:
            fail(PlanError_InvalidParameter(f"`cidrs`: `{entry}` is not `region=cidr` with a network CIDR"))
        if not 16 <= network.prefixlen <= 24:
            fail(PlanError_InvalidParameter(f"`cidrs`: `{cidr}` must be a /16 to a /24"))
        cidrs[region] = network
    text = given.get("zones", "all")
    if text == "all":
        return cidrs, None
    if not text.isdigit() or not 1 <= int(text) <= 8:
        fail(PlanError_InvalidParameter(f"`zones` is `{text}`; use `all` or a number from 1 to 8"))
    return cidrs, int(text)


def zone_number(zone_id: str) -> int:
    """The number at the end of a zone ID such as `use1-az4`."""
    _, _, digits = zone_id.rpartition("-az")
    if not digits.isdigit():
        fail(PlanError_Other(f"zone ID `{zone_id}` does not end in `-az` and a number"))
    return int(digits)


def planned_zones(facts: RegionFacts, wanted):
    """Zones that already hold a subnet of the set, then the open availability
    zones with the lowest numbers, up to `wanted` (all of them when None);
    sorted by zone number."""
    kept = {subnet.zone_id for subnet in (facts.existing.subnets if facts.existing else [])}
    real = [zone for zone in facts.zones if zone.zone_type == ZoneType.AVAILABILITY_ZONE]
    chosen = [zone for zone in real if zone.zone_id in kept]
    open_zones = [zone for zone in real if zone.state in (ZoneState.AVAILABLE, ZoneState.INFORMATION)]
    for zone in sorted(open_zones, key=lambda zone: zone_number(zone.zone_id)):
        if wanted is not None and len(chosen) >= wanted:
            break
        if zone not in chosen:
            chosen.append(zone)
    if not chosen:
        fail(PlanError_Other(f"region `{facts.region}` has no available availability zone"))
    return sorted(chosen, key=lambda zone: zone_number(zone.zone_id))


def subnet_cidr(region: str, vpc, zone, tier: Tier, existing) -> str:
    """The subnet's CIDR: the existing subnet's, or its part of the VPC."""
    for subnet in existing:
        if subnet.zone_id == zone.zone_id and subnet.tier == tier:
            return subnet.cidr
    number = zone_number(zone.zone_id)
    if number > PRIVATE_OFFSET:
        fail(PlanError_AddressSpaceExhausted(f"{region}: zone `{zone.zone_id}` is past the 8 zones a VPC has room for"))
    parts = list(vpc.subnets(new_prefix=vpc.prefixlen + PARTS_BITS))
    offset = PRIVATE_OFFSET if tier == Tier.PRIVATE else 0
    return str(parts[offset + number - 1])


def region_plan(config: Config, facts: RegionFacts, cidrs, wanted) -> RegionPlan:
    name = config.name
    if facts.existing:
        vpc = ipaddress.IPv4Network(facts.existing.cidr)
    elif facts.region in cidrs:
        vpc = cidrs[facts.region]
    else:
        fail(PlanError_InvalidParameter(f"`cidrs` gives no CIDR for `{facts.region}`; add `{facts.region}=10.x.0.0/16`"))
    private = not config.public_ips
    tiers = [Tier.PUBLIC, Tier.PRIVATE] if private else [Tier.PUBLIC]
    existing = facts.existing.subnets if facts.existing else []
    subnets = []
    for zone in planned_zones(facts, wanted):
        for tier in tiers:
            label = "public" if tier == Tier.PUBLIC else "private"
            subnets.append(
                Subnet(
                    name=f"{name}-{label}-{zone.name}",
                    zone=zone.name,
                    zone_id=zone.zone_id,
                    tier=tier,
                    cidr=subnet_cidr(facts.region, vpc, zone, tier, existing),
                    map_public_ip=tier == Tier.PUBLIC,
                )
            )
    tables = [
        RouteTable(
            name=f"{name}-public",
            subnets=[subnet.name for subnet in subnets if subnet.tier == Tier.PUBLIC],
            default_route=RouteTarget_InternetGateway(),
        )
    ]
    if private:
        tables.append(
            RouteTable(
                name=f"{name}-private",
                subnets=[subnet.name for subnet in subnets if subnet.tier == Tier.PRIVATE],
                default_route=RouteTarget_NatGateway(None),
            )
        )
    tags = [tag for tag in config.tags if tag.key != "Name"] + [Pair(key="Name", value=name)]
    logging.log(LogLevel.DEBUG, f"{facts.region}: {len(subnets)} subnets in {vpc}")
    return RegionPlan(
        region=facts.region,
        vpc=Vpc(cidr=str(vpc), name=name),
        tags=tags,
        subnets=subnets,
        internet_gateway=True,
        nat=NatStrategy_Regional() if private else NatStrategy_None_(),
        route_tables=tables,
    )


class Planner(exports.Planner):
    def make_plan(self, config: Config, facts: list[RegionFacts]) -> Plan:
        cidrs, wanted = params(config)
        by_region = {region.region: region for region in facts}
        regions = [region_plan(config, by_region[r], cidrs, wanted) for r in config.regions if r in by_region]
        private = any(isinstance(region.nat, NatStrategy_Regional) for region in regions)
        actions = sorted(set(ALWAYS + (NAT if private else [])))
        return Plan(regions=regions, iam_actions=actions)
