"""DescribeRegions as an account in the aws partition sees it."""

from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

OTHER_PARTITIONS = ("cn-", "us-gov-", "us-iso", "eusc-")


def apply(disabled):
    """Lists only the aws partition (moto also lists China and GovCloud
    regions) and reports the regions in `disabled` as not enabled."""
    original = RegionsAndZonesBackend.describe_regions

    def describe_regions(self, region_names=None):
        regions = original(self, region_names)
        listed = [r for r in regions if not r.name.startswith(OTHER_PARTITIONS)]
        for region in listed:
            if region.name in disabled:
                region.opt_in_status = "not-opted-in"
        return listed

    RegionsAndZonesBackend.describe_regions = describe_regions
