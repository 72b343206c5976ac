"""The EC2 emulator host's end-to-end tests run against: moto's server, on
loopback, with the EC2 behaviour host depends on that moto lacks layered on
top of it (the modules in layer/).

Usage: python server.py PORT

Environment:
  HOST_EMULATOR_DISABLED_REGIONS      comma-separated regions to report as
                                      not enabled for the account
                                      ("not-opted-in").
  HOST_EMULATOR_NAT_PENDING_SECONDS   how long a new NAT gateway stays
                                      pending before it is available
                                      (seconds, a float; default 0).
  HOST_EMULATOR_NAT_DELETING_SECONDS  how long a NAT gateway stays deleting
                                      after DeleteNatGateway before it is
                                      deleted (seconds, a float; default 0).
  HOST_EMULATOR_HIDDEN_ZONES_FILE     a file naming zones, one per line, that
                                      DescribeAvailabilityZones leaves out,
                                      read on every call; a test edits it to
                                      make a zone appear.
  HOST_EMULATOR_CALL_LOG              a file to append one JSON line to per
                                      EC2 request: {"action", "region",
                                      "time", "end", "status", "error"};
                                      unset, no log.
  HOST_EMULATOR_FAULTS_FILE           a JSON file setting the faults to
                                      inject (see Faults below), re-read
                                      when it changes; a test edits it to
                                      switch faults on and off. Missing or
                                      empty, no faults; unset, no faults
                                      layer.

Layered on moto:
  Regions (layer/regions.py)
  - DescribeRegions lists only the aws partition, as a real account there
    does: moto also lists China and GovCloud regions.
  - Regions named in HOST_EMULATOR_DISABLED_REGIONS are not enabled: moto
    cannot mark a region so.

  Zones (layer/zones.py)
  - Zones named in HOST_EMULATOR_HIDDEN_ZONES_FILE are not listed, as zones
    an account has not been given yet: moto's zone list is fixed.

  NAT gateways (layer/nat_gateways.py)
  - CreateNatGateway with AvailabilityMode=regional and a VpcId (no subnet,
    no AllocationId) creates a regional NAT gateway: in the VPC, without a
    subnet or addresses, with its tags and a routeTableId. Like AWS, the
    emulator creates that route table in the VPC, untagged, with a 0.0.0.0/0
    route to the VPC's attached internet gateway if it has one, and removes
    it when the gateway is deleted.
  - DescribeNatGateways reports availabilityMode: "regional" or "zonal".
  - CreateNatGateway honours ClientToken: a repeated call returns the
    gateway the first one created (IdempotentParameterMismatch if its
    parameters differ).
  - A new gateway is pending (CreateNatGateway answers so) until
    HOST_EMULATOR_NAT_PENDING_SECONDS have passed, then available; after
    DeleteNatGateway it is deleting for HOST_EMULATOR_NAT_DELETING_SECONDS,
    then deleted and still listed, with its deleteTime. States follow from
    timestamps, checked at the start of every EC2 request; with 0 the next
    request sees the new state.
  - A gateway reaching deleted gives back what it held, as in EC2: its
    Elastic IP is disassociated and its network interface deleted.
  - DescribeNatGateways filters by nat-gateway-id, vpc-id, subnet-id, state,
    tag:<key>, tag-key and tag-value (moto ignores the tag filters); any
    other filter is InvalidParameterValue (moto: a 500).
  - An unknown id in DescribeNatGateways' NatGatewayIds or in
    DeleteNatGateway is NatGatewayNotFound (moto: nothing, or a 500).

  Client tokens (layer/client_tokens.py)
  - CreateRouteTable honours ClientToken as CreateNatGateway does.

  Dependencies (layer/dependencies.py): DependencyViolation (HTTP 400)
  naming what is in the way, where moto lets the call through or does not
  say why:
  - DeleteVpc while the VPC has a NAT gateway not yet deleted, an attached
    internet gateway, a subnet, a route table other than its main one (a
    regional NAT gateway's own included) or a security group other than its
    default one.
  - DeleteSubnet while a NAT gateway not yet deleted or any other network
    interface is in the subnet.
  - DetachInternetGateway while the VPC has a public NAT gateway not yet
    deleted, with EC2's message ("Network vpc-... has some mapped public
    address(es). ...").
  - ReleaseAddress of an Elastic IP a NAT gateway not yet deleted holds:
    InvalidIPAddress.InUse.
  - DeleteRouteTable of a VPC's main route table.
  - DeleteSubnet drops the subnet's route table association, as EC2 does
    (moto keeps it, which blocks DeleteRouteTable).
  Moto itself refuses DeleteInternetGateway while attached and
  DeleteRouteTable while the table has associations.
  With the faults file's dependency_linger_seconds, EC2's delay in noticing
  a dependency is gone (layer/linger.py records when each went): for that
  long after a NAT gateway reaches deleted, DeleteVpc, DeleteSubnet,
  DetachInternetGateway and ReleaseAddress still fail as if it were there
  (ReleaseAddress with release_error: "InvalidIPAddress.InUse", the default,
  or "AuthFailure", as EC2 also answers for a just-freed address); after a
  subnet, route table, security group or network interface is deleted or
  an internet gateway detached, DeleteVpc of its VPC does; after a network
  interface is deleted, DeleteSubnet of its subnet does.

  Faults (layer/faults.py): with HOST_EMULATOR_FAULTS_FILE set, EC2
  requests are answered as that JSON file says when they arrive, every key
  optional:
    {"seed": 7,
     "latency_ms": 50,
     "throttle": {"share": 0.33, "actions": ["CreateVpc"]},
     "server_error": {"share": 0.1, "actions": ["DeleteVpc"]},
     "not_found_after_create": {"reads": 2},
     "dependency_linger_seconds": 3,
     "release_error": "AuthFailure",
     "enforce_iam": true}
  - enforce_iam: every request (of any service, from when it arrives) has
    its signature checked against an IAM user's access key and its action
    against that user's policies, as moto does with
    INITIAL_NO_AUTH_ACTION_COUNT=0. moto has no request context for EC2's
    condition keys (aws:RequestTag, aws:ResourceTag, ec2:CreateAction), so
    a statement with a Condition never allows anything here.
  - latency_ms: every EC2 request is answered that much later.
  - throttle: that share of EC2 requests (of those actions only, if given)
    is refused with RequestLimitExceeded (HTTP 400); server_error: that
    share with Unavailable (HTTP 503). Drawn from a random.Random seeded
    with seed (unseeded without one), started again whenever the file
    changes; a request throttle picks is not also drawn for server_error.
  - not_found_after_create: the id a successful CreateVpc, CreateSubnet,
    CreateInternetGateway, CreateRouteTable, CreateNatGateway or
    AllocateAddress answers with is unknown to the next `reads` EC2
    requests with a parameter equal to it: each is refused with EC2's
    NotFound error for the kind (InvalidVpcID.NotFound, ...,
    NatGatewayNotFound, InvalidAllocationID.NotFound; HTTP 400). Only ids
    created while the key is set count, each once (a create repeated with
    its ClientToken does not start the count again), and only while it is
    set; a request throttle or server_error refuses is not a read.
  - A file that is not JSON or breaks these rules (unknown key, share
    outside 0..1, ...) has every EC2 request refused with InvalidFaultsFile
    (HTTP 500) naming the file and what is wrong.
  Faults apply to EC2 requests only; the call log logs faulted ones too.

  Call log (layer/call_log.py)
  - With HOST_EMULATOR_CALL_LOG set, each EC2 request (one naming an Action
    and signed for ec2) appends {"action": "CreateVpc", "region":
    "us-east-1", "time": <unix seconds>, "end": <unix seconds>, "status":
    <HTTP status>} and a newline, flushed at once; time is when the request
    arrived, end when its response started, region the SigV4 credential
    scope's. An error response (status 400 or more) adds "error": the EC2
    error code in its body ("RequestLimitExceeded", ...), null if none.
"""

import math
import os
import sys
import threading

from layer import (
    call_log,
    client_tokens,
    dependencies,
    faults,
    linger,
    nat_gateways,
    regions,
    zones,
)


def disabled_regions():
    names = os.environ.get("HOST_EMULATOR_DISABLED_REGIONS", "")
    return {name.strip() for name in names.split(",") if name.strip()}


def seconds(name):
    """The duration environment variable `name` sets, 0 if unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        sys.exit(f"{name} must be a number of seconds, not {raw!r}")
    return value


def middleware(call_log_path, faults_path):
    """A function adding the call log and faults layers to moto's app, the
    faults inside the log so that faulted requests are logged too."""

    def wrap(app):
        if faults_path:
            app = faults.Faults(app)
        if call_log_path:
            app = call_log.CallLog(app, call_log_path)
        return app

    return wrap


def main():
    port = int(sys.argv[1])
    regions.apply(disabled_regions())
    nat_gateways.apply(
        pending_seconds=seconds("HOST_EMULATOR_NAT_PENDING_SECONDS"),
        deleting_seconds=seconds("HOST_EMULATOR_NAT_DELETING_SECONDS"),
    )
    client_tokens.apply()
    zones.apply(os.environ.get("HOST_EMULATOR_HIDDEN_ZONES_FILE") or None)
    dependencies.apply()
    linger.apply()
    faults_path = os.environ.get("HOST_EMULATOR_FAULTS_FILE")
    if faults_path:
        faults.apply(faults_path)
    server = call_log.Server(
        port, middleware(os.environ.get("HOST_EMULATOR_CALL_LOG"), faults_path)
    )
    server.start()
    print(f"emulator listening on 127.0.0.1:{port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
