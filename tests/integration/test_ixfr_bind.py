"""IXFR to real BIND9: what BIND asked for and what it received are read from BIND's own log
(at debug level 3, set with `rndc trace`), not from mdns's account of itself."""

from __future__ import annotations

import re
from collections.abc import Callable

import dns.name
import pytest
from sqlalchemy import delete

from tests.integration.conftest import NamedFactory, wait_for_serial
from tests.integration.named import Named
from tests.integration.test_propagation_bind import answer, load_pool
from tests.mdns.conftest import bulk_a_records
from tests.service.factories import ctx, make_zone, rs_request
from tests.stack import Stack
from zonefleet.storage.models import JournalEntry, Status

ZONE = "large.example."
RECORDS = 3000
COMPLETED = re.compile(r"Transfer completed: \d+ messages, (\d+) records.*\(serial (\d+)\)")


@pytest.fixture
def bind(named_factory: NamedFactory) -> Named:
    return named_factory()


@pytest.fixture
def large_stack(stack_factory: Callable[..., Stack]) -> Stack:
    return stack_factory(
        ZONEFLEET_WORKER__POLL_TIMEOUT="1",
        ZONEFLEET_WORKER__QUERY_TIMEOUT="0.3",
        ZONEFLEET_QUOTAS__ZONE_RECORDS="-1",
        ZONEFLEET_QUOTAS__ZONE_RECORDSETS="-1",
    )


def transfers(named: Named, serial: int) -> list[str]:
    """BIND's log lines about the transfer that brought it `serial`: from its request on."""
    lines = [line for line in named.log().splitlines() if "large.example/IN" in line]
    done = max(i for i, line in enumerate(lines) if f"(serial {serial})" in line)
    start = max(i for i, line in enumerate(lines[:done]) if "Transfer started" in line)
    return lines[start : done + 1]


def records_received(lines: list[str]) -> int:
    match = COMPLETED.search(lines[-1])
    assert match is not None, lines[-1]
    return int(match.group(1))


def test_bind_takes_one_change_to_a_large_zone_as_ixfr_and_a_pruned_one_as_axfr(
    large_stack: Stack, bind: Named
) -> None:
    services = large_stack.services
    zone = make_zone(services, ZONE)
    bulk_a_records(large_stack.database, zone, RECORDS)
    load_pool(large_stack, [bind])
    large_stack.wait_for(zone.id, Status.ACTIVE, timeout=20)
    wait_for_serial(bind.host, bind.port, dns.name.from_text(ZONE), zone.serial)
    bind.rndc("trace", "3")

    services.recordsets.create_recordset(
        ctx(), zone.id, rs_request(f"new.{ZONE}", "AAAA", "2001:db8::1")
    )
    changed = large_stack.wait_for(zone.id, Status.ACTIVE, timeout=20)
    assert answer(bind, f"new.{ZONE}", "AAAA").answer[0][0].address == "2001:db8::1"
    ixfr = transfers(bind, changed.serial)
    assert any(f"requesting IXFR for serial {zone.serial}" in line for line in ixfr)
    assert any("got incremental response" in line for line in ixfr)
    assert records_received(ixfr) == 5  # four SOAs and the new AAAA

    # BIND away for two changes, and the journal step it would need pruned meanwhile.
    bind.stop()
    records = services.recordsets
    records.create_recordset(ctx(), zone.id, rs_request(f"a.{ZONE}", "TXT", '"first"'))
    records.create_recordset(ctx(), zone.id, rs_request(f"b.{ZONE}", "TXT", '"second"'))
    latest = large_stack.zone(zone.id)
    with large_stack.database.write() as session:
        session.execute(
            delete(JournalEntry).where(
                JournalEntry.zone_id == zone.id, JournalEntry.serial < latest.serial
            )
        )
    bind.start()
    bind.rndc("trace", "3")
    large_stack.wait_for(zone.id, Status.ACTIVE, timeout=30)
    wait_for_serial(bind.host, bind.port, dns.name.from_text(ZONE), latest.serial)
    axfr = transfers(bind, latest.serial)
    assert any(f"requesting IXFR for serial {changed.serial}" in line for line in axfr)
    assert any("got nonincremental response" in line for line in axfr)
    assert records_received(axfr) == RECORDS + 6  # every record, the SOA at both ends
    assert answer(bind, f"b.{ZONE}", "TXT").answer[0][0].strings == (b"second",)
