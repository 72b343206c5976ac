"""Looks at the emulator from outside host, with boto3, so that tests check
what EC2 holds rather than what host says it did.

Usage:
  python probe.py ENDPOINT dump REGION...      print every region's network
                                                 resources as JSON
  python probe.py ENDPOINT foreign REGION      create a VPC, a subnet and a
                                                 security group host does not
                                                 own, and print their ids
  python probe.py ENDPOINT intrude REGION VPC SUBNET
                                               create, inside a managed VPC, a
                                                 security group and a subnet
                                                 host does not own, and a
                                                 network interface in the
                                                 managed SUBNET; print their ids
  python probe.py ENDPOINT remove REGION ID... delete network interfaces,
                                                 subnets and security groups
  python probe.py ENDPOINT iam-user NAME POLICY_FILE
                                               create IAM user NAME with the
                                                 policy document in
                                                 POLICY_FILE as its only
                                                 policy, and print its new
                                                 access key
"""

import ipaddress
import json
import sys

import boto3


def client(endpoint, region):
    return boto3.client(
        "ec2",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="AKIAINSPECTOREXAMPLE",
        aws_secret_access_key="inspector",
    )


def tags(resource):
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags", [])}


def dump_region(ec2):
    nats = [
        {
            "id": nat["NatGatewayId"],
            "vpc_id": nat.get("VpcId"),
            "subnet_id": nat.get("SubnetId"),
            "state": nat["State"],
            "availability_mode": nat.get("AvailabilityMode", "zonal"),
            "allocation_ids": [
                a["AllocationId"] for a in nat.get("NatGatewayAddresses", []) if "AllocationId" in a
            ],
            "tags": tags(nat),
        }
        for nat in ec2.describe_nat_gateways()["NatGateways"]
    ]
    tables = [
        {
            "id": table["RouteTableId"],
            "vpc_id": table["VpcId"],
            "main": any(a.get("Main") for a in table.get("Associations", [])),
            "subnet_ids": [a["SubnetId"] for a in table.get("Associations", []) if "SubnetId" in a],
            "routes": {
                route.get("DestinationCidrBlock", ""): route.get("GatewayId")
                or route.get("NatGatewayId")
                for route in table.get("Routes", [])
            },
            "tags": tags(table),
        }
        for table in ec2.describe_route_tables()["RouteTables"]
    ]
    return {
        "vpcs": [
            {
                "id": vpc["VpcId"],
                "cidr": vpc["CidrBlock"],
                "default": vpc["IsDefault"],
                "dns_hostnames": ec2.describe_vpc_attribute(
                    VpcId=vpc["VpcId"], Attribute="enableDnsHostnames"
                )["EnableDnsHostnames"]["Value"],
                "tags": tags(vpc),
            }
            for vpc in ec2.describe_vpcs()["Vpcs"]
        ],
        "subnets": [
            {
                "id": subnet["SubnetId"],
                "vpc_id": subnet["VpcId"],
                "zone": subnet["AvailabilityZone"],
                "cidr": subnet["CidrBlock"],
                "map_public_ip": subnet["MapPublicIpOnLaunch"],
                "tags": tags(subnet),
            }
            for subnet in ec2.describe_subnets()["Subnets"]
        ],
        "internet_gateways": [
            {
                "id": gateway["InternetGatewayId"],
                "attached_to": [a["VpcId"] for a in gateway.get("Attachments", [])],
                "tags": tags(gateway),
            }
            for gateway in ec2.describe_internet_gateways()["InternetGateways"]
        ],
        "route_tables": tables,
        "nat_gateways": nats,
        "addresses": [
            {"allocation_id": a["AllocationId"], "tags": tags(a)}
            for a in ec2.describe_addresses()["Addresses"]
        ],
        "security_groups": [
            {"id": group["GroupId"], "vpc_id": group.get("VpcId"), "name": group["GroupName"]}
            for group in ec2.describe_security_groups()["SecurityGroups"]
        ],
        "zones": [
            zone["ZoneName"]
            for zone in ec2.describe_availability_zones()["AvailabilityZones"]
            if zone.get("ZoneType", "availability-zone") == "availability-zone"
        ],
    }


def foreign(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.200.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.200.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="foreign", Description="not host's", VpcId=vpc)
    return {"vpc_id": vpc, "subnet_id": subnet, "security_group_id": group["GroupId"]}


def intrude(ec2, vpc, subnet):
    """Someone else's resources inside a managed VPC: a security group, a
    subnet in the VPC's last free /28 and a network interface in `subnet`."""
    cidr = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"]
    taken = [
        ipaddress.ip_network(s["CidrBlock"])
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    ]
    free = next(
        block
        for block in reversed(list(ipaddress.ip_network(cidr).subnets(new_prefix=28)))
        if not any(block.overlaps(t) for t in taken)
    )
    group = ec2.create_security_group(GroupName="intruder", Description="not host's", VpcId=vpc)
    own_subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=str(free))["Subnet"]["SubnetId"]
    interface = ec2.create_network_interface(SubnetId=subnet, Description="someone's instance")
    return {
        "security_group_id": group["GroupId"],
        "subnet_id": own_subnet,
        "network_interface_id": interface["NetworkInterface"]["NetworkInterfaceId"],
    }


def remove(ec2, ids):
    for resource in ids:
        if resource.startswith("eni-"):
            ec2.delete_network_interface(NetworkInterfaceId=resource)
    for resource in ids:
        if resource.startswith("subnet-"):
            ec2.delete_subnet(SubnetId=resource)
        elif resource.startswith("sg-"):
            ec2.delete_security_group(GroupId=resource)
    return {"removed": ids}


def iam_user(endpoint, name, policy_file):
    iam = boto3.client(
        "iam",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="AKIAINSPECTOREXAMPLE",
        aws_secret_access_key="inspector",
    )
    with open(policy_file, encoding="utf-8") as policy:
        document = policy.read()
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="host", PolicyDocument=document)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}


def main():
    endpoint, command, *regions = sys.argv[1:]
    if command == "dump":
        result = {region: dump_region(client(endpoint, region)) for region in regions}
    elif command == "foreign":
        result = foreign(client(endpoint, regions[0]))
    elif command == "intrude":
        region, vpc, subnet = regions
        result = intrude(client(endpoint, region), vpc, subnet)
    elif command == "remove":
        region, *ids = regions
        result = remove(client(endpoint, region), ids)
    elif command == "iam-user":
        name, policy_file = regions
        result = iam_user(endpoint, name, policy_file)
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
