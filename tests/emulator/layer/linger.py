"""Dependencies EC2 notices are gone only a while after they went.

For the faults file's dependency_linger_seconds (see faults.py), the deletes
a NAT gateway blocked still fail after it reaches deleted, as do those a
subnet, route table, security group or network interface blocked after it
is deleted and those an internet gateway blocked after it is detached.
dependencies.py asks this module what lingers; this module records when each
of those went, as the emulator sees the deletes (a NAT gateway's time
follows from its own timestamps).
"""

import threading
from datetime import timedelta

from moto.core.utils import utcnow
from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend
from moto.ec2.models.internet_gateways import InternetGatewayBackend
from moto.ec2.models.route_tables import RouteBackend
from moto.ec2.models.security_groups import SecurityGroupBackend
from moto.ec2.models.subnets import SubnetBackend

from . import faults
from .nat_gateways import deleted_at

_lock = threading.Lock()


def _cutoff():
    """The time before which a dependency that went has been noticed gone."""
    linger = faults.setting("dependency_linger_seconds", 0)
    return utcnow() - timedelta(seconds=linger)


def lingering_nat_gateways(backend):
    """The deleted NAT gateways in `backend` EC2 has not yet noticed are."""
    cutoff = _cutoff()
    return [
        nat
        for nat in backend.nat_gateways.values()
        if nat.state == "deleted" and deleted_at(nat) > cutoff
    ]


def gone(backend, vpc_id=None, subnet_id=None):
    """Words naming each dependency of VPC `vpc_id` (or subnet `subnet_id`)
    that went too recently for EC2 to have noticed."""
    with _lock:
        records = list(backend.__dict__.get("_host_emulator_gone", []))
    records += [
        (deleted_at(nat), f"NAT gateway {nat.id}", "deleted", nat.vpc_id, nat.subnet_id)
        for nat in lingering_nat_gateways(backend)
    ]
    now, cutoff = utcnow(), _cutoff()
    return [
        f"{what} ({how} {(now - at).total_seconds():.1f}s ago)"
        for at, what, how, in_vpc, in_subnet in records
        if at > cutoff
        and ((vpc_id and in_vpc == vpc_id) or (subnet_id and in_subnet == subnet_id))
    ]


def _record(backend, what, how, vpc_id, subnet_id=None):
    with _lock:
        records = backend.__dict__.setdefault("_host_emulator_gone", [])
        records.append((utcnow(), what, how, vpc_id, subnet_id))


def _recording(cls, name, removes):
    """Wraps method `name` of `cls` to record what it removes once it has
    succeeded: `removes` takes the method's arguments and gives, before the
    call, _record's (what, how, vpc_id[, subnet_id]), or None."""
    original = getattr(cls, name)

    def recording(self, *args, **kwargs):
        removed = removes(self, *args, **kwargs)
        result = original(self, *args, **kwargs)
        if removed is not None:
            _record(self, *removed)
        return result

    setattr(cls, name, recording)


def _security_group(backend, name=None, group_id=None):
    if group_id:
        group = backend.get_security_group_from_id(group_id)
    else:
        group = backend.get_security_group_by_name_or_id(name)
    if group is None:
        return None  # moto refuses the delete
    return f"security group {group.id}", "deleted", group.vpc_id


def _network_interface(backend, eni_id):
    eni = backend.enis.get(eni_id)
    if eni is None:
        return None  # moto refuses the delete
    subnet = eni.subnet
    return f"network interface {eni_id}", "deleted", subnet.vpc_id, subnet.id


def apply():
    """Records each delete that can hold up another one."""
    _recording(
        SubnetBackend,
        "delete_subnet",
        lambda backend, subnet_id: (
            f"subnet {subnet_id}",
            "deleted",
            backend.get_subnet(subnet_id).vpc_id,
        ),
    )
    _recording(
        RouteBackend,
        "delete_route_table",
        lambda backend, route_table_id: (
            f"route table {route_table_id}",
            "deleted",
            backend.get_route_table(route_table_id).vpc_id,
        ),
    )
    _recording(SecurityGroupBackend, "delete_security_group", _security_group)
    _recording(NetworkInterfaceBackend, "delete_network_interface", _network_interface)
    _recording(
        InternetGatewayBackend,
        "detach_internet_gateway",
        lambda backend, internet_gateway_id, vpc_id: (
            f"internet gateway {internet_gateway_id}",
            "detached",
            vpc_id,
        ),
    )
