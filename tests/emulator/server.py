"""The EC2 emulator host's end-to-end tests run against: moto's server, on
loopback, with the EC2 behaviour host depends on that moto lacks layered on
top of it.

Usage: python server.py PORT

Environment:
  HOST_EMULATOR_DISABLED_REGIONS  comma-separated regions to report as not
                                  enabled for the account ("not-opted-in").

Layered on moto:
  - DescribeRegions lists only the aws partition, as a real account there
    does: moto also lists China and GovCloud regions.
  - Regions named in HOST_EMULATOR_DISABLED_REGIONS are not enabled: moto
    cannot mark a region so.
"""

import os
import sys
import threading

from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend
from moto.server import ThreadedMotoServer

OTHER_PARTITIONS = ("cn-", "us-gov-", "us-iso", "eusc-")


def disabled_regions():
    names = os.environ.get("HOST_EMULATOR_DISABLED_REGIONS", "")
    return {name.strip() for name in names.split(",") if name.strip()}


def layer_regions():
    """DescribeRegions as an account in the aws partition sees it."""
    original = RegionsAndZonesBackend.describe_regions
    disabled = disabled_regions()

    def describe_regions(self, region_names=None):
        regions = original(self, region_names)
        listed = [r for r in regions if not r.name.startswith(OTHER_PARTITIONS)]
        for region in listed:
            if region.name in disabled:
                region.opt_in_status = "not-opted-in"
        return listed

    RegionsAndZonesBackend.describe_regions = describe_regions


def main():
    port = int(sys.argv[1])
    layer_regions()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"emulator listening on 127.0.0.1:{port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
