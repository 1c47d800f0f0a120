"""`zonefleet doctor` with a PowerDNS target whose API refuses Zonefleet's token: the zone is
never created there (PowerDNS's own API says so), and doctor names the control channel."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.integration.pdns import (  # noqa: F401 - the fixture
    PowerDnsFactory,
    pdns_factory,
    pdns_pool_yaml,
)
from tests.integration.test_propagation_bind import wait_until
from tests.service.factories import make_zone
from tests.stack import Stack
from zonefleet.cli.main import main
from zonefleet.pools.load import parse_pools
from zonefleet.producer.heartbeat import Heartbeat
from zonefleet.service.pools import PoolService
from zonefleet.storage.models import ServiceState, ZoneTarget


def test_a_refused_api_token_is_named_at_the_control_channel(
    stack_factory: Callable[..., Stack],
    pdns_factory: PowerDnsFactory,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pdns = pdns_factory()
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="1")
    mdns = stack.mdns.address
    text = pdns_pool_yaml(pdns, mdns.host, mdns.port, api_token="not-the-key")
    PoolService(stack.database).update_pools(parse_pools(text))
    Heartbeat(stack.database, stack.settings.heartbeat, "worker").beat(ServiceState.UP, {})
    zone = make_zone(stack.services, "token.example.")

    def failed() -> bool:
        with stack.database.read() as session:
            rows = session.query(ZoneTarget).filter(ZoneTarget.zone_id == zone.id).all()
            return any(row.last_error for row in rows)

    wait_until(failed, what="the push to be refused")
    assert pdns.api("GET", "/zones/token.example.")[0] == 404  # PowerDNS's own word
    monkeypatch.setenv("ZONEFLEET_DATABASE__URL", str(stack.database.url))
    monkeypatch.setenv("ZONEFLEET_MDNS__BIND", str(mdns))
    capsys.readouterr()
    assert main(["doctor", "token.example.", "--json", "--timeout", "1"]) == 1
    first = json.loads(capsys.readouterr().out)["first_broken"]
    assert first["link"] == "control channel"
    assert "the API refused the api_token" in first["summary"]
