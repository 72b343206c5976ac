"""Checks the behaviour server.py layers on moto, with boto3 against running
emulators, and prints one line per check.

Usage: python tests/emulator/selfcheck.py

It starts server.py three times on free loopback ports: once with the
defaults (NAT gateway states switch at once) and a call log, once with
one-second pending and deleting times, and once with a faults file and a call
log, to switch each fault on in turn. Exits non-zero if any check fails. Run
it with the venv's Python (.venv/bin/python); another Python without boto3
hands over to that one.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError:
    if VENV_PYTHON.is_file() and Path(sys.executable) != VENV_PYTHON:
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    sys.exit(
        "boto3 is missing: python3 -m venv .venv && "
        ".venv/bin/pip install -r tests/emulator/requirements.txt"
    )

REGIONS = ("us-east-1", "eu-north-1")
DISABLED_REGION = "ap-south-2"
DURATION = 1.0
# The latency and dependency linger the fault checks set, in seconds.
FAULT_SECONDS = 0.3
# The fault checks' client: standard retry mode, as the Rust SDK's, but one
# attempt, so every fault reaches the check. (botocore's max_attempts counts
# retries, not attempts: {"max_attempts": 1} would retry once.)
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
# Any namespace: moto writes EC2's without the trailing slash AWS uses.
EC2_XMLNS = "{*}"


class Emulator:
    """server.py on a free loopback port with `env` added, until stopped."""

    def __init__(self, env):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "server.py"), str(self.port)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )
        self.requests = 0
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                self.stderr.seek(0)
                raise RuntimeError(f"server.py exited: {self.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("server.py did not start listening") from None
                time.sleep(0.1)

    def client(self, region, config=Config(retries={"total_max_attempts": 1})):
        """An EC2 client for `region` that counts the requests it sends and
        does not retry, so the call log should match the count."""
        ec2 = boto3.client(
            "ec2",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name=region,
            aws_access_key_id="AKIAEMULATOREXAMPLE",
            aws_secret_access_key="emulator-secret",
            config=config,
        )
        ec2.meta.events.register("before-send.ec2.*", self._count)
        return ec2

    def _count(self, **_):
        self.requests += 1

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.stderr.close()


class Checks:
    """Runs checks, printing one line each, and remembers failures."""

    def __init__(self):
        self.failed = 0
        self.total = 0

    def run(self, name, check, *args):
        self.total += 1
        try:
            check(*args)
        except Exception as error:  # noqa: BLE001 - any failure is reported
            self.failed += 1
            print(f"FAIL {name}: {type(error).__name__}: {error}", flush=True)
        else:
            print(f"ok   {name}", flush=True)


def tag_spec(resource_type, name, **more):
    tags = [{"Key": "Name", "Value": name}]
    tags += [{"Key": key, "Value": value} for key, value in more.items()]
    return [{"ResourceType": resource_type, "Tags": tags}]


def tags_of(resource):
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags", [])}


def error_of(call, **params):
    """The (code, message, HTTP status) of a call expected to fail."""
    try:
        call(**params)
    except ClientError as error:
        return (
            error.response["Error"]["Code"],
            error.response["Error"]["Message"],
            error.response["ResponseMetadata"]["HTTPStatusCode"],
        )
    raise AssertionError(f"{call.__name__} succeeded; expected an error")


def expect_error(code, call, mentions=(), **params):
    got_code, message, status = error_of(call, **params)
    assert (got_code, status) == (code, 400), f"got {got_code} {status}: {message}"
    for word in mentions:
        assert word in message, f"{word!r} not in {message!r}"
    return message


def nat_gateway(ec2, nat_gateway_id):
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_gateway_id])["NatGateways"][0]


def nat_ids(ec2, **params):
    return {
        nat["NatGatewayId"]
        for nat in ec2.describe_nat_gateways(**params)["NatGateways"]
    }


class RegionChecks:
    """One region's VPC, built, checked and torn down in EC2's order."""

    def __init__(self, ec2, region):
        self.ec2 = ec2
        self.region = region
        self.ids = {}

    def network(self):
        ec2, ids = self.ec2, self.ids
        vpc = ec2.create_vpc(
            CidrBlock="10.0.0.0/16", TagSpecifications=tag_spec("vpc", "check-vpc")
        )["Vpc"]
        ids["vpc"] = vpc["VpcId"]
        igw = ec2.create_internet_gateway(
            TagSpecifications=tag_spec("internet-gateway", "check-igw")
        )["InternetGateway"]
        ids["igw"] = igw["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=ids["igw"], VpcId=ids["vpc"])
        for index, zone in enumerate("ab"):
            subnet = ec2.create_subnet(
                VpcId=ids["vpc"],
                CidrBlock=f"10.0.{index}.0/24",
                AvailabilityZone=f"{self.region}{zone}",
                TagSpecifications=tag_spec("subnet", f"check-subnet-{zone}"),
            )["Subnet"]
            ids[f"subnet-{zone}"] = subnet["SubnetId"]
        described = ec2.describe_vpcs(VpcIds=[ids["vpc"]])["Vpcs"][0]
        assert tags_of(described) == {"Name": "check-vpc"}, described
        attachments = ec2.describe_internet_gateways(InternetGatewayIds=[ids["igw"]])[
            "InternetGateways"
        ][0]["Attachments"]
        assert [a["VpcId"] for a in attachments] == [ids["vpc"]], attachments

    def route_table(self):
        """CreateRouteTable with a client token, twice: one table."""
        ec2, ids = self.ec2, self.ids
        params = dict(
            VpcId=ids["vpc"],
            ClientToken=f"check-rtb-{self.region}",
            TagSpecifications=tag_spec("route-table", "check-rtb"),
        )
        first = ec2.create_route_table(**params)["RouteTable"]["RouteTableId"]
        again = ec2.create_route_table(**params)["RouteTable"]["RouteTableId"]
        assert first == again, (first, again)
        ids["rtb"] = first
        ec2.create_route(
            RouteTableId=first, DestinationCidrBlock="0.0.0.0/0", GatewayId=ids["igw"]
        )
        ids["rtb-assoc"] = ec2.associate_route_table(
            RouteTableId=first, SubnetId=ids["subnet-a"]
        )["AssociationId"]

    def zonal(self):
        ec2, ids = self.ec2, self.ids
        ids["eip"] = ec2.allocate_address(
            Domain="vpc", TagSpecifications=tag_spec("elastic-ip", "check-eip")
        )["AllocationId"]
        params = dict(
            SubnetId=ids["subnet-a"],
            AllocationId=ids["eip"],
            ClientToken=f"check-zonal-{self.region}",
            TagSpecifications=tag_spec("natgateway", "check-zonal", Mode="zonal"),
        )
        created = ec2.create_nat_gateway(**params)["NatGateway"]
        assert created["State"] == "pending", created
        ids["zonal"] = created["NatGatewayId"]
        again = ec2.create_nat_gateway(**params)["NatGateway"]
        assert again["NatGatewayId"] == ids["zonal"], "ClientToken not honoured"
        listed = nat_ids(ec2, Filters=[{"Name": "vpc-id", "Values": [ids["vpc"]]}])
        assert listed == {ids["zonal"]}, listed
        nat = nat_gateway(ec2, ids["zonal"])
        assert nat["State"] == "available", nat
        assert nat["AvailabilityMode"] == "zonal", nat
        assert (nat["VpcId"], nat["SubnetId"]) == (ids["vpc"], ids["subnet-a"]), nat
        assert nat["NatGatewayAddresses"][0]["AllocationId"] == ids["eip"], nat
        assert tags_of(nat) == {"Name": "check-zonal", "Mode": "zonal"}, nat

    def regional(self):
        ec2, ids = self.ec2, self.ids
        created = ec2.create_nat_gateway(
            AvailabilityMode="regional",
            VpcId=ids["vpc"],
            TagSpecifications=tag_spec("natgateway", "check-regional", Mode="regional"),
        )["NatGateway"]
        assert created["State"] == "pending", created
        ids["regional"] = created["NatGatewayId"]
        nat = nat_gateway(ec2, ids["regional"])
        assert nat["State"] == "available", nat
        assert nat["AvailabilityMode"] == "regional", nat
        assert nat["VpcId"] == ids["vpc"] and "SubnetId" not in nat, nat
        assert tags_of(nat) == {"Name": "check-regional", "Mode": "regional"}, nat
        ids["regional-rtb"] = nat["RouteTableId"]
        table = ec2.describe_route_tables(RouteTableIds=[nat["RouteTableId"]])[
            "RouteTables"
        ][0]
        assert table["VpcId"] == ids["vpc"] and not table.get("Tags"), table
        assert not any(a.get("Main") for a in table["Associations"]), table
        default = [
            r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"
        ]
        assert [r.get("GatewayId") for r in default] == [ids["igw"]], table

    def xml(self):
        """The wire format the Rust SDK reads: availabilityMode and
        routeTableId inside each natGatewaySet item."""
        bodies = []

        def keep(http_response, **_):
            bodies.append(http_response.content)

        event = "after-call.ec2.DescribeNatGateways"
        self.ec2.meta.events.register(event, keep)
        try:
            self.ec2.describe_nat_gateways(
                NatGatewayIds=[self.ids["zonal"], self.ids["regional"]]
            )
        finally:
            self.ec2.meta.events.unregister(event, keep)
        root = ET.fromstring(bodies[0])
        items = root.findall(f"{EC2_XMLNS}natGatewaySet/{EC2_XMLNS}item")
        by_id = {item.findtext(f"{EC2_XMLNS}natGatewayId"): item for item in items}
        zonal, regional = by_id[self.ids["zonal"]], by_id[self.ids["regional"]]
        assert zonal.findtext(f"{EC2_XMLNS}availabilityMode") == "zonal"
        assert zonal.find(f"{EC2_XMLNS}routeTableId") is None
        assert regional.findtext(f"{EC2_XMLNS}availabilityMode") == "regional"
        assert regional.findtext(f"{EC2_XMLNS}routeTableId") == self.ids["regional-rtb"]
        assert regional.find(f"{EC2_XMLNS}subnetId") is None

    def filters(self):
        ec2, ids = self.ec2, self.ids
        both = {ids["zonal"], ids["regional"]}

        def by(name, *values):
            return nat_ids(ec2, Filters=[{"Name": name, "Values": list(values)}]) & both

        assert by("tag:Name", "check-zonal") == {ids["zonal"]}
        assert by("tag:Mode", "regional") == {ids["regional"]}
        assert by("tag:Name", "nothing") == set()
        assert by("tag-key", "Mode") == both
        assert by("tag-key", "Missing") == set()
        assert by("vpc-id", ids["vpc"]) == both
        assert by("vpc-id", "vpc-00000000000000000") == set()
        assert by("subnet-id", ids["subnet-a"]) == {ids["zonal"]}
        assert by("subnet-id", ids["subnet-b"]) == set()
        assert by("state", "available") == both
        assert by("state", "pending", "deleting") == set()
        assert by("nat-gateway-id", ids["regional"]) == {ids["regional"]}
        assert nat_ids(ec2, NatGatewayIds=[ids["zonal"]]) == {ids["zonal"]}
        assert nat_ids(ec2, NatGatewayIds=list(both)) == both
        expect_error(
            "NatGatewayNotFound",
            ec2.describe_nat_gateways,
            NatGatewayIds=["nat-00000000000000000"],
        )
        expect_error(
            "InvalidParameterValue",
            ec2.describe_nat_gateways,
            Filters=[{"Name": "no-such-filter", "Values": ["x"]}],
        )

    def refusals(self):
        """Each delete EC2 refuses while the NAT gateways are up."""
        ec2, ids = self.ec2, self.ids
        expect_error(
            "DependencyViolation",
            ec2.delete_vpc,
            mentions=(ids["zonal"], ids["regional"], ids["igw"], ids["subnet-a"]),
            VpcId=ids["vpc"],
        )
        expect_error(
            "DependencyViolation",
            ec2.delete_subnet,
            mentions=(ids["zonal"],),
            SubnetId=ids["subnet-a"],
        )
        message = expect_error(
            "DependencyViolation",
            ec2.detach_internet_gateway,
            InternetGatewayId=ids["igw"],
            VpcId=ids["vpc"],
        )
        assert message == (
            f"Network {ids['vpc']} has some mapped public address(es). Please "
            "unmap those public address(es) before detaching the gateway."
        ), message
        expect_error(
            "InvalidIPAddress.InUse", ec2.release_address, AllocationId=ids["eip"]
        )
        expect_error(
            "DependencyViolation",
            ec2.delete_internet_gateway,
            InternetGatewayId=ids["igw"],
        )
        expect_error(
            "DependencyViolation", ec2.delete_route_table, RouteTableId=ids["rtb"]
        )
        main = ec2.describe_route_tables(
            Filters=[
                {"Name": "vpc-id", "Values": [ids["vpc"]]},
                {"Name": "association.main", "Values": ["true"]},
            ]
        )["RouteTables"][0]["RouteTableId"]
        expect_error("DependencyViolation", ec2.delete_route_table, RouteTableId=main)

    def nat_deletion(self):
        ec2, ids = self.ec2, self.ids
        expect_error(
            "NatGatewayNotFound",
            ec2.delete_nat_gateway,
            NatGatewayId="nat-00000000000000000",
        )
        for key in ("zonal", "regional"):
            ec2.delete_nat_gateway(NatGatewayId=ids[key])
        for key in ("zonal", "regional"):
            nat = nat_gateway(ec2, ids[key])
            assert nat["State"] == "deleted" and "DeleteTime" in nat, nat
        expect_error(
            "InvalidRouteTableID.NotFound",
            ec2.describe_route_tables,
            RouteTableIds=[ids["regional-rtb"]],
        )
        address = ec2.describe_addresses(AllocationIds=[ids["eip"]])["Addresses"][0]
        assert "AssociationId" not in address, address

    def teardown(self):
        """The VPC's remaining dependencies, named, then removed in order."""
        ec2, ids = self.ec2, self.ids
        group = ec2.create_security_group(
            GroupName="check-sg", Description="check", VpcId=ids["vpc"]
        )["GroupId"]
        expect_error(
            "DependencyViolation",
            ec2.delete_vpc,
            mentions=(ids["igw"], ids["subnet-b"], ids["rtb"], group),
            VpcId=ids["vpc"],
        )
        ec2.release_address(AllocationId=ids["eip"])
        # Deleting subnet-a drops its association with the custom table.
        for key in ("subnet-a", "subnet-b"):
            ec2.delete_subnet(SubnetId=ids[key])
        ec2.delete_route_table(RouteTableId=ids["rtb"])
        ec2.delete_security_group(GroupId=group)
        expect_error(
            "DependencyViolation",
            ec2.delete_vpc,
            mentions=(ids["igw"],),
            VpcId=ids["vpc"],
        )
        ec2.detach_internet_gateway(InternetGatewayId=ids["igw"], VpcId=ids["vpc"])
        ec2.delete_internet_gateway(InternetGatewayId=ids["igw"])
        ec2.delete_vpc(VpcId=ids["vpc"])
        expect_error("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=[ids["vpc"]])
        assert ids["zonal"] in nat_ids(ec2), "deleted NAT gateways stay listed"

    def run(self, checks):
        for name, step in (
            ("VPC, attached internet gateway and tagged subnets", self.network),
            ("CreateRouteTable honours ClientToken", self.route_table),
            ("zonal NAT gateway: pending, available, ClientToken", self.zonal),
            ("regional NAT gateway and its route table", self.regional),
            ("DescribeNatGateways XML element names", self.xml),
            ("DescribeNatGateways filters and NatGatewayIds", self.filters),
            ("deletes refused while NAT gateways live", self.refusals),
            ("deleted NAT gateways give back what they held", self.nat_deletion),
            ("teardown in EC2's order", self.teardown),
        ):
            checks.run(f"{self.region}: {name}", step)


def check_regions(ec2):
    regions = {
        r["RegionName"]: r for r in ec2.describe_regions(AllRegions=True)["Regions"]
    }
    assert not [
        name for name in regions if name.startswith(("cn-", "us-gov-"))
    ], regions
    assert regions[DISABLED_REGION]["OptInStatus"] == "not-opted-in", regions
    assert regions["eu-north-1"]["OptInStatus"] != "not-opted-in", regions


def check_network_interface(ec2):
    """DeleteSubnet refuses while a network interface is in the subnet."""
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.0.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    expect_error(
        "DependencyViolation", ec2.delete_subnet, mentions=(eni,), SubnetId=subnet
    )
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def read_call_log(path, emulator):
    """The call log's entries, checked for one per request and their form."""
    with open(path, encoding="utf-8") as log_file:
        entries = [json.loads(line) for line in log_file]
    assert len(entries) == emulator.requests, (len(entries), emulator.requests)
    for entry in entries:
        keys = {"action", "region", "time", "end", "status", "ids"}
        if entry["status"] >= 400:
            keys.add("error")
        assert set(entry) == keys, entry
        assert isinstance(entry["time"], float) and isinstance(entry["status"], int)
        assert entry["ids"] == sorted(entry["ids"]), entry
        assert all(isinstance(i, str) for i in entry["ids"]), entry
        assert entry["time"] <= entry["end"], entry
    times = [entry["time"] for entry in entries]
    assert times == sorted(times), "entries out of order"
    return entries


def check_call_log(path, emulator):
    entries = read_call_log(path, emulator)
    seen = {(e["action"], e["region"], e["status"], e.get("error")) for e in entries}
    for entry in entries:
        if entry["action"] == "DeleteVpc":
            assert [i[:4] for i in entry["ids"]] == ["vpc-"], entry
        if entry["action"] == "CreateVpc":
            assert entry["ids"] == [], entry
    for region in REGIONS:
        assert ("CreateVpc", region, 200, None) in seen, region
        assert ("DeleteVpc", region, 400, "DependencyViolation") in seen, region
        assert ("DeleteVpc", region, 200, None) in seen, region


def check_durations(emulator):
    """A NAT gateway's pending and deleting last the set time; a gateway
    still deleting keeps its subnet, address and route table."""
    ec2 = emulator.client("us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    zonal = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"]
    regional = ec2.create_nat_gateway(AvailabilityMode="regional", VpcId=vpc)[
        "NatGateway"
    ]
    both = {zonal["NatGatewayId"], regional["NatGatewayId"]}

    def states():
        return {nat_gateway(ec2, nat)["State"] for nat in both}

    assert states() == {"pending"}, states()
    assert nat_ids(ec2, Filters=[{"Name": "state", "Values": ["pending"]}]) == both
    time.sleep(DURATION + 0.2)
    assert states() == {"available"}, states()
    for nat in both:
        ec2.delete_nat_gateway(NatGatewayId=nat)
    assert states() == {"deleting"}, states()
    expect_error("DependencyViolation", ec2.delete_subnet, SubnetId=subnet)
    expect_error("InvalidIPAddress.InUse", ec2.release_address, AllocationId=eip)
    expect_error(
        "DependencyViolation",
        ec2.delete_vpc,
        mentions=(regional["RouteTableId"],),
        VpcId=vpc,
    )
    ec2.describe_route_tables(RouteTableIds=[regional["RouteTableId"]])
    time.sleep(DURATION + 0.2)
    assert states() == {"deleted"}, states()
    ec2.delete_subnet(SubnetId=subnet)
    ec2.release_address(AllocationId=eip)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_vpc(VpcId=vpc)


def fails(call, **params):
    """Whether a call fails (with any error)."""
    try:
        call(**params)
    except ClientError:
        return True
    return False


class FaultChecks:
    """Each fault switched on in turn through the faults file of an emulator
    with a call log, with a client that never retries, so each fault shows."""

    def __init__(self, emulator, faults_path, log_path):
        self.emulator = emulator
        self.ec2 = emulator.client("us-east-1", NO_RETRIES)
        self.faults_path = faults_path
        self.log_path = log_path

    def faults(self, settings):
        """Sets the faults file to `settings` as JSON (text as it is), whole:
        written aside and renamed over it, as a test should."""
        text = settings if isinstance(settings, str) else json.dumps(settings)
        with open(f"{self.faults_path}.new", "w", encoding="utf-8") as new:
            new.write(text)
        os.replace(f"{self.faults_path}.new", self.faults_path)

    def missing_file(self):
        assert not os.path.exists(self.faults_path)
        self.ec2.describe_vpcs()

    def latency(self):
        """DescribeKeyPairs, called here only, slow then quick again."""
        for latency, slow in ((FAULT_SECONDS, True), (0, False)):
            self.faults({"latency_ms": latency * 1000})
            started = time.monotonic()
            self.ec2.describe_key_pairs()
            took = time.monotonic() - started
            assert (took >= FAULT_SECONDS) == slow, (latency, took)

    def throttle(self):
        self.faults({"throttle": {"share": 1, "actions": ["CreateVpc"]}})
        vpcs = len(self.ec2.describe_vpcs()["Vpcs"])
        got = error_of(self.ec2.create_vpc, CidrBlock="10.3.0.0/16")
        assert got == ("RequestLimitExceeded", "Request limit exceeded.", 400), got
        assert len(self.ec2.describe_vpcs()["Vpcs"]) == vpcs, "a throttled call ran"
        self.faults({"throttle": {"share": 1}})
        got = error_of(self.ec2.describe_vpcs)
        assert got[0] == "RequestLimitExceeded", got
        # Other services' requests are never faulted.
        sts = boto3.client(
            "sts",
            endpoint_url=f"http://127.0.0.1:{self.emulator.port}",
            region_name="us-east-1",
            aws_access_key_id="AKIAEMULATOREXAMPLE",
            aws_secret_access_key="emulator-secret",
            config=NO_RETRIES,
        )
        sts.get_caller_identity()

    def seeded_share(self):
        """A share of calls fails, the same ones for the same seed."""

        def outcomes():
            self.faults({"seed": 7, "throttle": {"share": 0.5}})
            return [fails(self.ec2.describe_vpcs) for _ in range(20)]

        first = outcomes()
        assert 0 < sum(first) < len(first), first
        assert outcomes() == first, "the seed does not fix the faulted calls"

    def server_error(self):
        self.faults({"server_error": {"share": 1, "actions": ["DescribeVpcs"]}})
        got = error_of(self.ec2.describe_vpcs)
        assert got == (
            "Unavailable",
            "The service is unavailable. Please try again shortly.",
            503,
        ), got
        self.ec2.describe_subnets()

    def invalid_file(self):
        for settings, mention in (
            ("{not json", "Expecting property name"),
            ({"throttle": {"share": 2}}, "throttle.share"),
            ({"latency": 5}, "latency"),
        ):
            self.faults(settings)
            code, message, status = error_of(self.ec2.describe_vpcs)
            assert (code, status) == ("InvalidFaultsFile", 500), (code, status)
            assert self.faults_path in message and mention in message, message
        self.faults("")
        self.ec2.describe_vpcs()

    def not_found_after_create(self):
        ec2 = self.ec2
        self.faults("")
        earlier = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
        self.faults({"not_found_after_create": {"reads": 2}})
        ec2.describe_vpcs(VpcIds=[earlier])
        vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
        for _ in range(2):
            expect_error(
                "InvalidVpcID.NotFound",
                ec2.describe_vpcs,
                mentions=(f"The vpc ID '{vpc}' does not exist",),
                VpcIds=[vpc],
            )
        ec2.describe_vpcs(VpcIds=[vpc])
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.5.0.0/24")["Subnet"][
            "SubnetId"
        ]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        params = dict(VpcId=vpc, ClientToken="check-hidden")
        rtb = ec2.create_route_table(**params)["RouteTable"]["RouteTableId"]
        reads = (
            (
                "InvalidSubnetID.NotFound",
                ec2.describe_subnets,
                dict(SubnetIds=[subnet]),
            ),
            (
                "InvalidInternetGatewayID.NotFound",
                ec2.attach_internet_gateway,
                dict(InternetGatewayId=igw, VpcId=vpc),
            ),
            (
                "InvalidAllocationID.NotFound",
                ec2.describe_addresses,
                dict(AllocationIds=[eip]),
            ),
            (
                "InvalidRouteTableID.NotFound",
                ec2.describe_route_tables,
                dict(RouteTableIds=[rtb]),
            ),
        )
        for code, call, call_params in reads:
            expect_error(code, call, **call_params)
        again = ec2.create_route_table(**params)["RouteTable"]["RouteTableId"]
        assert again == rtb, "ClientToken not honoured"
        for code, call, call_params in reads:
            expect_error(code, call, **call_params)
        for _, call, call_params in reads:
            call(**call_params)
        nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"][
            "NatGatewayId"
        ]
        for _ in range(2):
            expect_error(
                "NatGatewayNotFound",
                ec2.describe_nat_gateways,
                mentions=(nat,),
                NatGatewayIds=[nat],
            )
        nat_gateway(ec2, nat)

    def linger_nat_gateway(self):
        """Deletes a NAT gateway blocked fail for a while after it is
        deleted; then what they removed holds up DeleteVpc for a while."""
        ec2 = self.ec2
        linger = {"dependency_linger_seconds": FAULT_SECONDS}
        self.faults(linger)
        vpc = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.6.0.0/24")["Subnet"][
            "SubnetId"
        ]
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"][
            "NatGatewayId"
        ]
        ec2.delete_nat_gateway(NatGatewayId=nat)
        assert nat_gateway(ec2, nat)["State"] == "deleted"
        expect_error(
            "DependencyViolation",
            ec2.detach_internet_gateway,
            mentions=("mapped public address(es)",),
            InternetGatewayId=igw,
            VpcId=vpc,
        )
        expect_error("InvalidIPAddress.InUse", ec2.release_address, AllocationId=eip)
        self.faults({**linger, "release_error": "AuthFailure"})
        expect_error("AuthFailure", ec2.release_address, AllocationId=eip)
        expect_error(
            "DependencyViolation", ec2.delete_subnet, mentions=(nat,), SubnetId=subnet
        )
        expect_error("DependencyViolation", ec2.delete_vpc, mentions=(nat,), VpcId=vpc)
        time.sleep(FAULT_SECONDS)
        ec2.release_address(AllocationId=eip)
        ec2.delete_subnet(SubnetId=subnet)
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.delete_internet_gateway(InternetGatewayId=igw)
        expect_error(
            "DependencyViolation", ec2.delete_vpc, mentions=(subnet, igw), VpcId=vpc
        )
        time.sleep(FAULT_SECONDS)
        ec2.delete_vpc(VpcId=vpc)

    def linger_deletes(self):
        """A deleted network interface holds up DeleteSubnet for a while;
        it, the subnet, a route table and a security group hold up DeleteVpc."""
        ec2 = self.ec2
        self.faults({"dependency_linger_seconds": FAULT_SECONDS})
        vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.0.0/24")["Subnet"][
            "SubnetId"
        ]
        eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"][
            "NetworkInterfaceId"
        ]
        rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        group = ec2.create_security_group(
            GroupName="check-linger", Description="check", VpcId=vpc
        )["GroupId"]
        ec2.delete_network_interface(NetworkInterfaceId=eni)
        expect_error(
            "DependencyViolation", ec2.delete_subnet, mentions=(eni,), SubnetId=subnet
        )
        time.sleep(FAULT_SECONDS)
        ec2.delete_subnet(SubnetId=subnet)
        ec2.delete_route_table(RouteTableId=rtb)
        ec2.delete_security_group(GroupId=group)
        expect_error(
            "DependencyViolation",
            ec2.delete_vpc,
            mentions=(subnet, rtb, group),
            VpcId=vpc,
        )
        time.sleep(FAULT_SECONDS)
        ec2.delete_vpc(VpcId=vpc)

    def call_log(self):
        """Faulted requests are logged, with their status and error code."""
        entries = read_call_log(self.log_path, self.emulator)
        seen = {(e["action"], e["status"], e.get("error")) for e in entries}
        for expected in (
            ("CreateVpc", 400, "RequestLimitExceeded"),
            ("DescribeVpcs", 503, "Unavailable"),
            ("DescribeVpcs", 500, "InvalidFaultsFile"),
            ("DescribeVpcs", 400, "InvalidVpcID.NotFound"),
            ("ReleaseAddress", 400, "AuthFailure"),
            ("DeleteVpc", 400, "DependencyViolation"),
        ):
            assert expected in seen, expected
        slow = [
            e["end"] - e["time"] >= FAULT_SECONDS
            for e in entries
            if e["action"] == "DescribeKeyPairs"
        ]
        assert slow == [True, False], slow

    def run(self, checks):
        for name, step in (
            ("no faults file: no faults", self.missing_file),
            ("latency_ms", self.latency),
            ("throttle: RequestLimitExceeded, named actions, EC2 only", self.throttle),
            ("throttle share: the seed picks the calls", self.seeded_share),
            ("server_error: Unavailable", self.server_error),
            ("invalid faults file: InvalidFaultsFile", self.invalid_file),
            ("not_found_after_create", self.not_found_after_create),
            ("dependency_linger_seconds: NAT gateway", self.linger_nat_gateway),
            ("dependency_linger_seconds: other deletes", self.linger_deletes),
            ("call log: faulted requests, end and error", self.call_log),
        ):
            checks.run(f"faults: {name}", step)


def main():
    checks = Checks()
    with tempfile.TemporaryDirectory() as scratch:
        log_path = os.path.join(scratch, "calls.jsonl")
        emulator = Emulator(
            {
                "HOST_EMULATOR_CALL_LOG": log_path,
                "HOST_EMULATOR_DISABLED_REGIONS": DISABLED_REGION,
            }
        )
        try:
            checks.run(
                "DescribeRegions: aws partition, disabled region",
                check_regions,
                emulator.client("us-east-1"),
            )
            for region in REGIONS:
                RegionChecks(emulator.client(region), region).run(checks)
            checks.run(
                "DeleteSubnet refused while a network interface is in it",
                check_network_interface,
                emulator.client("us-east-1"),
            )
            checks.run(
                "call log: one JSON line per EC2 request",
                check_call_log,
                log_path,
                emulator,
            )
        finally:
            emulator.stop()

    emulator = Emulator(
        {
            "HOST_EMULATOR_NAT_PENDING_SECONDS": str(DURATION),
            "HOST_EMULATOR_NAT_DELETING_SECONDS": str(DURATION),
        }
    )
    try:
        checks.run(
            f"NAT gateway pending and deleting last {DURATION}s each",
            check_durations,
            emulator,
        )
    finally:
        emulator.stop()

    with tempfile.TemporaryDirectory() as scratch:
        log_path = os.path.join(scratch, "calls.jsonl")
        faults_path = os.path.join(scratch, "faults.json")
        emulator = Emulator(
            {
                "HOST_EMULATOR_CALL_LOG": log_path,
                "HOST_EMULATOR_FAULTS_FILE": faults_path,
            }
        )
        try:
            FaultChecks(emulator, faults_path, log_path).run(checks)
        finally:
            emulator.stop()

    print(f"{checks.total - checks.failed}/{checks.total} checks passed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
