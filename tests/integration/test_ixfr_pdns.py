"""IXFR to a real PowerDNS: what it asked for and how it applied the answer are read from its
own log and its own API, not from mdns's account of itself."""

from __future__ import annotations

import socket
from collections.abc import Callable

import dns.message
import dns.name
import dns.query
import pytest
from sqlalchemy import delete

from tests.integration.conftest import wait_for_serial
from tests.integration.pdns import (  # noqa: F401
    PowerDns,
    PowerDnsFactory,
    pdns_factory,
    pdns_pool_yaml,
)
from tests.mdns.conftest import bulk_a_records
from tests.service.factories import ctx, make_zone, rs_request
from tests.stack import Stack
from zonefleet.pools.load import parse_pools
from zonefleet.service.pools import PoolService
from zonefleet.storage.models import JournalEntry, Status

ZONE = "large.example."
RECORDS = 3000


@pytest.fixture
def pdns(pdns_factory: PowerDnsFactory) -> PowerDns:  # noqa: F811 - the fixture imported above
    return pdns_factory()


@pytest.fixture
def large_stack(stack_factory: Callable[..., Stack], pdns: PowerDns) -> Stack:
    stack = stack_factory(
        ZONEFLEET_WORKER__POLL_TIMEOUT="2",
        ZONEFLEET_WORKER__QUERY_TIMEOUT="0.3",
        ZONEFLEET_QUOTAS__ZONE_RECORDS="-1",
        ZONEFLEET_QUOTAS__ZONE_RECORDSETS="-1",
    )
    mdns = stack.mdns.address
    PoolService(stack.database).update_pools(
        parse_pools(pdns_pool_yaml(pdns, mdns.host, mdns.port))
    )
    return stack


def soa_rows(pdns: PowerDns) -> int:
    """How many SOA records PowerDNS holds for the zone, in its API's words."""
    status, detail = pdns.api("GET", f"/zones/{ZONE}")
    assert status == 200, detail
    return sum(len(rrset["records"]) for rrset in detail["rrsets"] if rrset["type"] == "SOA")


def soa_answer_count(pdns: PowerDns) -> int:
    """ANCOUNT of PowerDNS's answer to the zone's SOA, read from the wire (dnspython's parser
    merges duplicate records)."""
    query = dns.message.make_query(ZONE, "SOA")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(query.to_wire(), (pdns.host, pdns.port))
        wire = sock.recv(65535)
    return int.from_bytes(wire[6:8], "big")


def served_txt(pdns: PowerDns, name: str) -> list[bytes]:
    query = dns.message.make_query(name, "TXT")
    response = dns.query.udp(query, pdns.host, port=pdns.port, timeout=2)
    return [b"".join(rdata.strings) for rrset in response.answer for rdata in rrset]


def change(stack: Stack, pdns: PowerDns, zone_id: str, label: str) -> int:
    """One TXT recordset created; its serial once PowerDNS has committed it and answers it."""
    stack.services.recordsets.create_recordset(
        ctx(), zone_id, rs_request(f"{label}.{ZONE}", "TXT", f'"{label}"')
    )
    serial = stack.wait_for(zone_id, Status.ACTIVE, timeout=30).serial
    wait_for_serial(pdns.host, pdns.port, dns.name.from_text(ZONE), serial)
    pdns.wait_for_log(f"zone committed with serial {serial}")
    assert served_txt(pdns, f"{label}.{ZONE}") == [label.encode()]
    return serial


def test_powerdns_takes_a_change_as_ixfr_and_a_pruned_one_whole(
    large_stack: Stack, pdns: PowerDns
) -> None:
    zone = make_zone(large_stack.services, ZONE)
    bulk_a_records(large_stack.database, zone, RECORDS)
    large_stack.wait_for(zone.id, Status.ACTIVE, timeout=20)
    wait_for_serial(pdns.host, pdns.port, dns.name.from_text(ZONE), zone.serial)
    # The driver read PowerDNS's configuration (gsqlite3, no DNSSEC queries) and set this.
    status, metadata = pdns.api("GET", f"/zones/{ZONE}/metadata/IXFR")
    assert (status, metadata["metadata"]) == (200, ["1"])

    serial = change(large_stack, pdns, zone.id, "first")
    assert f"got 1 delta, zone committed with serial {serial}" in pdns.log()
    assert pdns.log().count("starting IXFR") == 1

    # PowerDNS away for a change, and the whole journal pruned meanwhile: mdns answers its
    # IXFR with the whole zone.
    pdns.stop()
    large_stack.services.recordsets.create_recordset(
        ctx(), zone.id, rs_request(f"second.{ZONE}", "TXT", '"second"')
    )
    whole = large_stack.zone(zone.id).serial
    with large_stack.database.write() as session:
        session.execute(delete(JournalEntry).where(JournalEntry.zone_id == zone.id))
    pdns.start()
    large_stack.wait_for(zone.id, Status.ACTIVE, timeout=30)
    wait_for_serial(pdns.host, pdns.port, dns.name.from_text(ZONE), whole)
    pdns.wait_for_log(f"zone committed with serial {whole}")
    assert "IXFR turned into an AXFR" in pdns.log()
    assert served_txt(pdns, f"second.{ZONE}") == [b"second"]
    status, detail = pdns.api("GET", f"/zones/{ZONE}")
    assert len([rrset for rrset in detail["rrsets"] if rrset["type"] == "A"]) == RECORDS
    # PowerDNS 4.7 stores the closing SOA of such an answer as a second row (PowerDNS issue
    # 12984). It still answers with one SOA, and the next incremental change replaces the SOA
    # set and leaves one row.
    assert soa_rows(pdns) == 2
    assert soa_answer_count(pdns) == 1
    latest = change(large_stack, pdns, zone.id, "third")
    assert f"got 1 delta, zone committed with serial {latest}" in pdns.log()
    assert soa_rows(pdns) == 1
