"""NAT gateways as EC2 has them, where moto 5.2.5 falls short:

- regional NAT gateways (AvailabilityMode=regional, VpcId, no subnet), with
  the route table EC2 creates for one;
- availabilityMode on every gateway (zonal ones report "zonal");
- ClientToken idempotency on CreateNatGateway;
- the pending and deleting states, each lasting a set time, after which a
  deleted gateway gives back what it held (its addresses, network interface
  and, for a regional one, its route table) and stays listed as deleted;
- every DescribeNatGateways filter, tags included; InvalidParameterValue
  for a filter EC2 does not have and NatGatewayNotFound for unknown ids in
  NatGatewayIds or DeleteNatGateway (moto answers those with nothing or an
  internal error).
"""

import threading
from datetime import timedelta

from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds, utcnow
from moto.ec2.exceptions import (
    EC2ClientError,
    InvalidParameterCombination,
    InvalidParameterValueError,
    MissingParameterError,
)
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend
from moto.ec2.responses import EC2Response
from moto.ec2.responses.nat_gateways import NatGateways
from moto.ec2.utils import add_tag_specification, generic_filter, random_nat_gateway_id

from . import client_tokens

# How long a gateway stays pending after creation and deleting after
# DeleteNatGateway; set by apply().
_durations = {"pending": timedelta(0), "deleting": timedelta(0)}

# Settling runs at the start of every EC2 request and the server is threaded.
_settle_lock = threading.Lock()

# DescribeNatGateways' filters besides the tag ones (TaggedEC2Resource's),
# each with the attribute it reads.
FILTER_ATTRIBUTES = {
    "nat-gateway-id": "id",
    "state": "state",
    "subnet-id": "subnet_id",
    "vpc-id": "vpc_id",
}


class NatGatewayNotFound(EC2ClientError):
    def __init__(self, nat_gateway_id):
        super().__init__(
            "NatGatewayNotFound", f"NAT gateway {nat_gateway_id} was not found"
        )


class RegionalNatGateway(NatGateway):
    """A NAT gateway serving every availability zone of its VPC.

    NatGateway.__init__ creates the gateway's network interface in a subnet;
    a regional gateway has no subnet (AWS places and addresses its interfaces
    itself), so this sets up the same attributes without one."""

    availability_mode = "regional"

    def __init__(self, backend, vpc_id, tags, connectivity_type):
        self.id = random_nat_gateway_id()
        self.ec2_backend = backend
        self.vpc_id = vpc_id
        self.subnet_id = None
        self.address_set = []
        self.private_ip = None
        self.connectivity_type = connectivity_type
        self.state = "pending"
        self._created_at = utcnow()
        self._eni = None
        self.add_tags(tags)


def live_nat_gateways(backend):
    """The gateways in `backend` not yet deleted (pending, available or
    deleting): those that still hold their subnet, addresses and VPC."""
    return [nat for nat in backend.nat_gateways.values() if nat.state != "deleted"]


def attached_internet_gateway(backend, vpc_id):
    for igw in backend.internet_gateways.values():
        if igw.vpc is not None and igw.vpc.id == vpc_id:
            return igw
    return None


def deleted_at(nat):
    """When `nat` reaches (or reached) deleted, None before DeleteNatGateway."""
    if nat._deleted_at is None:
        return None
    return nat._deleted_at + _durations["deleting"]


def _state_at(nat, now):
    if nat._deleted_at is not None:
        return "deleting" if now < deleted_at(nat) else "deleted"
    if now < nat._created_at + _durations["pending"]:
        return "pending"
    return "available"


def settle(backend):
    """Brings every gateway in `backend` to the state its timestamps give
    and has those that just reached `deleted` give back what they held, as
    EC2 does: their Elastic IPs are disassociated, their network interface is
    deleted and a regional gateway's route table is removed."""
    now = utcnow()
    with _settle_lock:
        for nat in backend.nat_gateways.values():
            nat.state = _state_at(nat, now)
            if nat.state == "deleted" and not nat._released:
                _release(backend, nat)
                nat._released = True


def _release(backend, nat):
    for address in nat.address_set:
        association_id = address.pop("associationId", None)
        # The user cannot disassociate or release a gateway's address, but
        # skip it if that happened anyway rather than fail every request.
        if association_id and any(
            eip.association_id == association_id for eip in backend.addresses
        ):
            backend.disassociate_address(association_id=association_id)
    if nat._eni is not None:
        backend.enis.pop(nat._eni.id, None)
    if nat.route_table_id is not None:
        backend.route_tables.pop(nat.route_table_id, None)


def _create_zonal(backend, subnet_id, allocation_id, tags, connectivity_type):
    if not subnet_id:
        raise MissingParameterError("SubnetId")
    nat = backend.create_nat_gateway(
        subnet_id=subnet_id,
        allocation_id=allocation_id,
        tags=tags,
        connectivity_type=connectivity_type,
    )
    # EC2 answers CreateNatGateway with a pending gateway; settle() moves it
    # on once the pending time has passed.
    nat.state = "pending"
    return nat


def _create_regional(backend, vpc_id, subnet_id, tags, connectivity_type):
    if subnet_id:
        raise InvalidParameterCombination(
            "A regional NAT gateway takes VpcId, not SubnetId."
        )
    if not vpc_id:
        raise MissingParameterError("VpcId")
    backend.get_vpc(vpc_id)
    nat = RegionalNatGateway(backend, vpc_id, tags, connectivity_type)
    backend.nat_gateways[nat.id] = nat
    # AWS creates a route table in the VPC for a regional gateway, routing
    # the gateway's traffic out through the VPC's internet gateway, and
    # reports it as the gateway's routeTableId.
    route_table = backend.create_route_table(vpc_id)
    igw = attached_internet_gateway(backend, vpc_id)
    if igw is not None:
        backend.create_route(route_table.id, "0.0.0.0/0", gateway_id=igw.id)
    nat.route_table_id = route_table.id
    return nat


def create_nat_gateway(self):
    """CreateNatGateway, replacing moto's handler: that one reads neither
    AvailabilityMode, VpcId nor ClientToken."""
    self.error_on_dryrun()
    mode = self._get_param("AvailabilityMode") or "zonal"
    subnet_id = self._get_param("SubnetId")
    vpc_id = self._get_param("VpcId")
    allocation_id = self._get_param("AllocationId")
    connectivity_type = self._get_param("ConnectivityType") or "public"
    tag_specifications = self._get_param("TagSpecifications", [])
    tags = add_tag_specification(tag_specifications)
    token = self._get_param("ClientToken")
    backend = self.ec2_backend

    def create():
        if mode == "zonal":
            return _create_zonal(
                backend, subnet_id, allocation_id, tags, connectivity_type
            )
        if mode == "regional":
            return _create_regional(backend, vpc_id, subnet_id, tags, connectivity_type)
        raise InvalidParameterValueError(mode)

    request = (
        mode,
        subnet_id,
        vpc_id,
        allocation_id,
        connectivity_type,
        client_tokens.tag_summary(tag_specifications),
    )
    nat = client_tokens.idempotent(backend, "CreateNatGateway", token, request, create)
    return ActionResult({"ClientToken": token, "NatGateway": nat})


def delete_nat_gateway(self, nat_gateway_id):
    """DeleteNatGateway: the gateway is deleting from now on (moto makes it
    deleted at once); deleting it again changes nothing."""
    nat = self.nat_gateways.get(nat_gateway_id)
    if nat is None:
        raise NatGatewayNotFound(nat_gateway_id)
    if nat._deleted_at is None:
        nat._deleted_at = utcnow()
        nat.delete_time = iso_8601_datetime_with_milliseconds(nat._deleted_at)
        nat.state = "deleting"
    return nat


def _is_tag_filter(filter_name):
    return filter_name.startswith("tag:") or filter_name in ("tag-key", "tag-value")


def describe_nat_gateways(self, filters, nat_gateway_ids):
    """DescribeNatGateways with every filter EC2 documents for it."""
    for filter_name in filters or {}:
        if filter_name not in FILTER_ATTRIBUTES and not _is_tag_filter(filter_name):
            # moto answers a filter it does not know with a 500.
            raise EC2ClientError(
                "InvalidParameterValue", f"The filter '{filter_name}' is invalid"
            )
    gateways = list(self.nat_gateways.values())
    if nat_gateway_ids:
        for nat_gateway_id in nat_gateway_ids:
            if nat_gateway_id not in self.nat_gateways:
                raise NatGatewayNotFound(nat_gateway_id)
        gateways = [nat for nat in gateways if nat.id in nat_gateway_ids]
    return generic_filter(filters, gateways)


def get_filter_value(self, filter_name, method_name=None):
    if filter_name in FILTER_ATTRIBUTES:
        return getattr(self, FILTER_ATTRIBUTES[filter_name])
    return TaggedEC2Resource.get_filter_value(self, filter_name, "DescribeNatGateways")


def apply(pending_seconds, deleting_seconds):
    """Patches moto's NAT gateways; a new gateway is pending for
    `pending_seconds` and a deleted one deleting for `deleting_seconds`."""
    _durations["pending"] = timedelta(seconds=pending_seconds)
    _durations["deleting"] = timedelta(seconds=deleting_seconds)

    # Defaults for every gateway, including those moto creates itself. The
    # serializer reads availability_mode, route_table_id and delete_time as
    # the API's availabilityMode, routeTableId and deleteTime.
    NatGateway.availability_mode = "zonal"
    NatGateway.route_table_id = None
    NatGateway.delete_time = None
    NatGateway._deleted_at = None
    NatGateway._released = False
    NatGateway.get_filter_value = get_filter_value

    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway
    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways
    NatGateways.create_nat_gateway = create_nat_gateway

    # States are computed from timestamps, not moved by a background thread:
    # every EC2 request first brings the region's gateways up to date, so
    # each action (DescribeNatGateways, DeleteSubnet, ReleaseAddress, ...)
    # sees the state a gateway has at that moment.
    original_call_action = EC2Response.call_action

    def call_action(self):
        settle(self.ec2_backend)
        return original_call_action(self)

    EC2Response.call_action = call_action
