"""Deletes EC2 refuses while something still depends on the resource, which
moto 5.2.5 lets through (or refuses without saying why):

- DeleteVpc with a NAT gateway not yet deleted, an attached internet
  gateway, a subnet, a route table other than the main one (a regional NAT
  gateway's own included) or a security group other than the default one;
- DeleteSubnet with a NAT gateway not yet deleted or any other network
  interface in it;
- DetachInternetGateway while the VPC has a public NAT gateway not yet
  deleted (its public addresses are mapped through the gateway);
- ReleaseAddress of an Elastic IP a NAT gateway not yet deleted holds;
- DeleteRouteTable of a VPC's main route table.

Moto already refuses DeleteInternetGateway while attached and
DeleteRouteTable while associated, each with a DependencyViolation.

EC2 notices a dependency is gone only a while after it went; for the faults
file's dependency_linger_seconds (linger.py) the delete it blocked still
fails as above:
- after a NAT gateway reaches deleted: DeleteVpc, DeleteSubnet,
  DetachInternetGateway and ReleaseAddress (with the faults file's
  release_error: InvalidIPAddress.InUse or AuthFailure);
- after a subnet, route table, security group or network interface is
  deleted or an internet gateway detached: DeleteVpc of its VPC;
- after a network interface is deleted: DeleteSubnet of its subnet.

Also, as in EC2, deleting a subnet drops its route table association: moto
keeps it, and the stale association then blocks DeleteRouteTable.
"""

from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend
from moto.ec2.models.internet_gateways import InternetGatewayBackend
from moto.ec2.models.subnets import SubnetBackend
from moto.ec2.models.vpcs import VPCBackend
from moto.ec2.responses.route_tables import RouteTables
from werkzeug.exceptions import HTTPException

from . import faults
from .linger import gone, lingering_nat_gateways
from .nat_gateways import live_nat_gateways


def vpc_dependencies(backend, vpc_id):
    """What keeps `vpc_id` from being deleted, each as words naming it."""
    found = [
        f"NAT gateway {nat.id}"
        for nat in live_nat_gateways(backend)
        if nat.vpc_id == vpc_id
    ]
    found += [
        f"internet gateway {igw.id} (attached)"
        for igw in backend.internet_gateways.values()
        if igw.vpc is not None and igw.vpc.id == vpc_id
    ]
    found += [
        f"subnet {subnet.id}"
        for subnet in backend.describe_subnets(filters={"vpc-id": [vpc_id]})
    ]
    found += [
        f"route table {route_table.id}"
        for route_table in backend.describe_route_tables(filters={"vpc-id": [vpc_id]})
        if route_table.main_association_id is None
    ]
    found += [
        f"security group {group.id}"
        for group in backend.groups.get(vpc_id, {}).values()
        if group.name != "default"
    ]
    return found + gone(backend, vpc_id=vpc_id)


def _patch_delete_vpc():
    original = VPCBackend.delete_vpc

    def delete_vpc(self, vpc_id):
        self.get_vpc(vpc_id)
        found = vpc_dependencies(self, vpc_id)
        if found:
            # EC2's message stops at "cannot be deleted."; naming what is in
            # the way makes a failing test say why.
            raise DependencyViolationError(
                f"The vpc '{vpc_id}' has dependencies and cannot be deleted: "
                f"{', '.join(found)}."
            )
        return original(self, vpc_id)

    VPCBackend.delete_vpc = delete_vpc


def _patch_delete_subnet():
    original = SubnetBackend.delete_subnet

    def delete_subnet(self, subnet_id):
        self.get_subnet(subnet_id)
        found = [
            f"NAT gateway {nat.id}"
            for nat in live_nat_gateways(self)
            if nat.subnet_id == subnet_id
        ]
        # A NAT gateway's own interface goes with the gateway.
        nat_interfaces = {nat._eni.id for nat in self.nat_gateways.values() if nat._eni}
        found += [
            f"network interface {eni.id}"
            for eni in self.enis.values()
            if eni.subnet.id == subnet_id and eni.id not in nat_interfaces
        ]
        found += gone(self, subnet_id=subnet_id)
        if found:
            raise DependencyViolationError(
                f"The subnet '{subnet_id}' has dependencies and cannot be "
                f"deleted: {', '.join(found)}."
            )
        subnet = original(self, subnet_id)
        for route_table in self.route_tables.values():
            for association_id, target_id in list(route_table._associations.items()):
                if target_id == subnet_id:
                    del route_table._associations[association_id]
        return subnet

    SubnetBackend.delete_subnet = delete_subnet


def _patch_detach_internet_gateway():
    original = InternetGatewayBackend.detach_internet_gateway

    def detach_internet_gateway(self, internet_gateway_id, vpc_id):
        igw = self.get_internet_gateway(internet_gateway_id)
        attached = igw.vpc is not None and igw.vpc.id == vpc_id
        # A private NAT gateway has no public address to map.
        mapped = any(
            nat.vpc_id == vpc_id and nat.connectivity_type != "private"
            for nat in live_nat_gateways(self) + lingering_nat_gateways(self)
        )
        if attached and mapped:
            raise DependencyViolationError(
                f"Network {vpc_id} has some mapped public address(es). Please "
                "unmap those public address(es) before detaching the gateway."
            )
        return original(self, internet_gateway_id, vpc_id)

    InternetGatewayBackend.detach_internet_gateway = detach_internet_gateway


class AddressInUse(EC2ClientError):
    def __init__(self, eip, nat):
        super().__init__(
            "InvalidIPAddress.InUse",
            f"Address {eip.public_ip} is in use by NAT gateway {nat.id}.",
        )


class AuthFailure(HTTPException):
    """EC2's AuthFailure as it answers ReleaseAddress with it: HTTP 400.
    Raised as an EC2ClientError, moto's own EC2 model would make it a 401."""

    code = 400

    def __init__(self):
        super().__init__(
            faults.error_document(
                "AuthFailure",
                "You do not have permission to access the specified resource.",
            )
        )

    def get_headers(self, *args, **kwargs):
        return [("Content-Type", "text/xml")]


def _holds(nat, eip):
    return any(a.get("allocationId") == eip.allocation_id for a in nat.address_set)


def _lingering_release_error(eip, nat):
    """ReleaseAddress's error for an address NAT gateway `nat` held, deleted
    too recently for EC2 to have noticed: either of those EC2 answers then,
    as the faults file's release_error picks."""
    if faults.setting("release_error", "InvalidIPAddress.InUse") == "AuthFailure":
        return AuthFailure()
    return AddressInUse(eip, nat)


def _patch_release_address():
    original = ElasticAddressBackend.release_address

    def release_address(self, address=None, allocation_id=None):
        if address:
            eip = self.address_by_ip([address])[0]
        else:
            eip = self.address_by_allocation([allocation_id])[0]
        for nat in live_nat_gateways(self):
            if _holds(nat, eip):
                raise AddressInUse(eip, nat)
        for nat in lingering_nat_gateways(self):
            if _holds(nat, eip):
                raise _lingering_release_error(eip, nat)
        return original(self, address=address, allocation_id=allocation_id)

    ElasticAddressBackend.release_address = release_address


def _patch_delete_route_table():
    # Refused in the response handler, not the backend: moto's own
    # delete_vpc deletes the main route table through the backend method.
    original = RouteTables.delete_route_table

    def delete_route_table(self):
        route_table = self.ec2_backend.get_route_table(self._get_param("RouteTableId"))
        if route_table.main_association_id is not None:
            raise DependencyViolationError(
                f"The routeTable '{route_table.id}' has dependencies and cannot "
                "be deleted."
            )
        return original(self)

    RouteTables.delete_route_table = delete_route_table


def apply():
    _patch_delete_vpc()
    _patch_delete_subnet()
    _patch_detach_internet_gateway()
    _patch_release_address()
    _patch_delete_route_table()
