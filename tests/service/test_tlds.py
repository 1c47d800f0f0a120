"""The TLD rule of zone creates on every engine: one statement finds whether any TLD exists
and which of the zone's suffixes are TLDs."""

from __future__ import annotations

import pytest

from tests.service.factories import admin, ctx, zone_request
from zonefleet.api.deps import ApiServices
from zonefleet.errors import InvalidZoneNameError


def test_zones_sit_under_a_tld_once_any_exists(services: ApiServices) -> None:
    services.zones.create_zone(ctx(), zone_request("before.example."))
    for name in ("uk", "co.uk", "net"):
        services.tlds.create_tld(admin(), name, None)
    assert services.zones.create_zone(ctx(), zone_request("shop.co.uk.")).name == "shop.co.uk."
    assert services.zones.create_zone(ctx(), zone_request("a.b.net.")).name == "a.b.net."
    with pytest.raises(InvalidZoneNameError, match="Invalid TLD"):
        services.zones.create_zone(ctx(), zone_request("shop.example."))
    with pytest.raises(InvalidZoneNameError, match="the same as a TLD"):
        services.zones.create_zone(ctx(), zone_request("co.uk."))
