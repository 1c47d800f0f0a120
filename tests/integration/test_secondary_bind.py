"""SECONDARY zones against a real BIND 9 acting as the external primary: the worker's
refresher transfers the zone from it, mdns serves it, and a second BIND (the pool's target)
takes it from mdns; a NOTIFY from the primary and the `xfr` task bring new serials; a
master that cannot be reached leaves the zone unserved and says so in its timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.integration.conftest import NamedFactory, served_serial
from tests.integration.named import Named, PrimaryZone, TsigSecret, free_port
from tests.integration.test_propagation_bind import load_pool, wait_until
from tests.stack import Stack
from zonefleet.api.app import create_app
from zonefleet.storage.models import Status, Zone, utcnow

ZONE = "sec.example."
MEMBER = {"X-Auth-Project-ID": "p1", "X-Roles": "member"}


@pytest.fixture
def primary(named_factory: NamedFactory) -> tuple[Named, PrimaryZone]:
    zone = PrimaryZone(ZONE, 1000, ixfr=True)
    return named_factory("127.0.0.2", zones=[zone]), zone


def create_secondary(client: TestClient, masters: list[str]) -> dict[str, Any]:
    body = {"name": ZONE, "type": "SECONDARY", "masters": masters}
    response = client.post("/v2/zones", json=body, headers=MEMBER)
    assert response.status_code == 202, response.text
    created: dict[str, Any] = response.json()
    return created


def soa_serial(stack: Stack) -> int | None:
    address = stack.mdns.address
    return served_serial(address.host, address.port, dns.name.from_text(ZONE))


def notify(stack: Stack, source: str) -> dns.message.Message:
    query = dns.message.make_query(ZONE, "SOA")
    query.set_opcode(dns.opcode.NOTIFY)
    query.flags |= dns.flags.AA
    address = stack.mdns.address
    return dns.query.udp(query, address.host, port=address.port, timeout=2, source=source)


def test_a_secondary_zone_comes_from_its_primary_and_follows_it(
    stack_factory: Callable[..., Stack],
    named_factory: NamedFactory,
    primary: tuple[Named, PrimaryZone],
) -> None:
    source, zone_file = primary
    target = named_factory("127.0.0.1")
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="2")
    load_pool(stack, [target])
    with TestClient(create_app(stack.services)) as client:
        zone = create_secondary(client, [f"{source.host}:{source.port}"])
        assert (zone["type"], zone["masters"], zone["email"]) == (
            "SECONDARY", [f"{source.host}:{source.port}"], "hostmaster@example.com")  # fmt: skip
        active = stack.wait_for(zone["id"], Status.ACTIVE)
        assert active.serial == 1000  # the primary's serial, not one of ours
        address = stack.mdns.address
        www = dns.query.udp(dns.message.make_query(f"www.{ZONE}", "A"), address.host,
                            port=address.port, timeout=2)  # fmt: skip
        assert www.answer[0][0].address == "192.0.2.80"
        assert served_serial(target.host, target.port, dns.name.from_text(ZONE)) == 1000
        # Tenants may not write into it: the next transfer would replace what they wrote.
        record = {"name": f"x.{ZONE}", "type": "A", "records": ["192.0.2.1"]}
        denied = client.post(f"/v2/zones/{zone['id']}/recordsets", json=record, headers=MEMBER)
        assert (denied.status_code, denied.json()["type"]) == (403, "forbidden")

        # A NOTIFY from the primary (BIND here is told `notify no`, so the test sends it
        # from the primary's address); one from elsewhere is refused.
        source.set_serial(zone_file, 1001)
        assert notify(stack, "127.0.0.3").rcode() == dns.rcode.REFUSED
        answered = notify(stack, source.host)
        assert answered.rcode() == dns.rcode.NOERROR and answered.flags & dns.flags.AA
        wait_until(lambda: soa_serial(stack) == 1001, what="the NOTIFY'd serial in mdns")
        # BIND's own word: it sent the change as an incremental transfer.
        assert "IXFR ended" in source.log()
        stack.wait_for(zone["id"], Status.ACTIVE)
        wait_for_target = lambda: served_serial(  # noqa: E731
            target.host, target.port, dns.name.from_text(ZONE)) == 1001  # fmt: skip
        wait_until(wait_for_target, what="the target to take 1001")

        # The xfr task: a refresh now.
        source.set_serial(zone_file, 1002)
        xfr = client.post(f"/v2/zones/{zone['id']}/tasks/xfr", headers=MEMBER)
        assert xfr.status_code == 202
        wait_until(lambda: soa_serial(stack) == 1002, what="the xfr task's serial in mdns")
        steps = client.get(f"/v2/zones/{zone['id']}/timeline?limit=1000", headers=MEMBER).json()
        events = [step["event"] for step in steps["timeline"]]
        assert events.count("transferred in") == 3
        assert "notified" in events and "transfer asked" in events


def test_a_master_out_of_reach_leaves_the_zone_unserved_and_says_why(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory()
    nowhere = f"127.0.0.1:{free_port('127.0.0.1')}"
    with TestClient(create_app(stack.services)) as client:
        zone = create_secondary(client, [nowhere])

        def failed() -> bool:
            return ("worker", None, "transfer in failed") in stack.events(zone["id"])

        wait_until(failed, what="the failed transfer in the timeline")
        address = stack.mdns.address
        query = dns.message.make_query(ZONE, "SOA")
        refused = dns.query.udp(query, address.host, port=address.port, timeout=2)
        assert refused.rcode() == dns.rcode.REFUSED  # nothing to serve before a transfer
        assert stack.zone(zone["id"]).status == Status.PENDING


def test_a_primary_that_wants_tsig_is_transferred_from_with_the_zones_key(
    stack_factory: Callable[..., Stack], named_factory: NamedFactory
) -> None:
    secret = TsigSecret.generate("sec-key.")
    zone_file = PrimaryZone(ZONE, 2000, allow_transfer=f'key "{secret.name}";')
    source = named_factory("127.0.0.2", keys=[secret], zones=[zone_file])
    stack = stack_factory()
    with TestClient(create_app(stack.services)) as client:
        zone = create_secondary(client, [f"{source.host}:{source.port}"])

        def refused() -> bool:
            return ("worker", None, "transfer in failed") in stack.events(zone["id"])

        wait_until(refused, what="the unsigned transfer to be refused")
        key = {"name": secret.name, "algorithm": secret.algorithm, "secret": secret.secret,
               "scope": "ZONE", "resource_id": zone["id"]}  # fmt: skip
        made = client.post("/v2/tsigkeys", json=key, headers={"X-Auth-Project-ID": "p1"})
        assert made.status_code == 201, made.text
        assert client.post(f"/v2/zones/{zone['id']}/tasks/xfr", headers=MEMBER).status_code == 202
        wait_until(lambda: soa_serial(stack) == 2000, what="the signed transfer")
        assert f"TSIG {secret.name.rstrip('.')}" in source.log()


def test_a_zone_whose_masters_stay_silent_past_its_expire_is_no_longer_served(
    stack_factory: Callable[..., Stack], primary: tuple[Named, PrimaryZone]
) -> None:
    source, _ = primary
    stack = stack_factory()
    with TestClient(create_app(stack.services)) as client:
        zone = create_secondary(client, [f"{source.host}:{source.port}"])
        stack.wait_for(zone["id"], Status.ACTIVE)
        assert soa_serial(stack) == 1000
        source.stop()
        # The last answer from a master, longer ago than the SOA expire (86400 s here).
        with stack.database.write() as session:
            session.execute(update(Zone).where(Zone.id == zone["id"])
                            .values(refreshed_at=utcnow() - timedelta(days=2)))  # fmt: skip
        assert client.post(f"/v2/zones/{zone['id']}/tasks/xfr", headers=MEMBER).status_code == 202
        stack.wait_for(zone["id"], Status.ERROR)
        assert ("worker", None, "expired") in stack.events(zone["id"])
        address = stack.mdns.address
        query = dns.message.make_query(ZONE, "SOA")
        assert dns.query.udp(query, address.host, port=address.port, timeout=2).rcode() == (
            dns.rcode.REFUSED
        )
