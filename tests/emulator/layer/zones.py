"""Zones that an account has not been given yet.

An account sees a region's zones appear over time (AWS adds zones, and
accounts are mapped to them); host must then add subnets without touching
what exists. moto's zone list is fixed, so a test names the zones to hide in
a file, read on every DescribeAvailabilityZones call: one zone name per line.
"""

from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend


def apply(hidden_file):
    """Leaves the zones listed in `hidden_file` (when it exists) out of
    DescribeAvailabilityZones. Creating a subnet in a hidden zone still works,
    as it does for a zone an account cannot list yet."""
    if not hidden_file:
        return
    original = RegionsAndZonesBackend.describe_availability_zones

    def describe_availability_zones(self, filters=None, zone_names=None, zone_ids=None):
        zones = original(self, filters, zone_names, zone_ids)
        hidden = hidden_zones(hidden_file)
        return [zone for zone in zones if zone.name not in hidden]

    RegionsAndZonesBackend.describe_availability_zones = describe_availability_zones


def hidden_zones(path):
    try:
        with open(path, encoding="utf-8") as lines:
            return {line.strip() for line in lines if line.strip()}
    except FileNotFoundError:
        return set()
