"""The contract every backend driver passes against its real server (CONVENTIONS, "Backends").

Each driver adds a `<kind>_case` fixture and its kind to DRIVERS. The evidence
is the server's own word and a dnspython SOA query, never the driver's report.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import dns.name
import dns.rcode
import pytest

from tests.integration.conftest import (
    NamedFactory,
    NamedZoneSource,
    bind9_target,
    soa_query,
    wait_for_serial,
)
from tests.integration.knot import knot_case, knot_factory  # noqa: F401 - the fixtures, taken by name
from tests.integration.pdns import pdns4_case, pdns_factory  # noqa: F401 - the fixtures, taken by name
from zonefleet.backends.base import Backend, ZoneRef
from zonefleet.backends.bind9 import Bind9Backend

DRIVERS = ["bind9", "knot", "pdns4"]


@dataclass
class ContractCase:
    """One driver on one real target, the zone source it pulls from, and the target's word."""

    backend: Backend
    nameserver: tuple[str, int]
    configured: Callable[[dns.name.Name], int]  # how many times the server holds the zone
    source: NamedZoneSource

    def zone(self) -> ZoneRef:
        return ZoneRef(str(uuid.uuid4()), self.source.zone, self.source.serial)


@pytest.fixture
def bind9_case(named_factory: NamedFactory, zone_source: NamedZoneSource) -> ContractCase:
    named = named_factory()
    backend = Bind9Backend(bind9_target(named, zone_source.masters))

    def configured(zone: dns.name.Name) -> int:
        return named.added_zones().count(zone.to_text(omit_final_dot=True))

    return ContractCase(backend, (named.host, named.port), configured, zone_source)


@pytest.fixture(params=DRIVERS)
def case(request: pytest.FixtureRequest) -> ContractCase:
    found: ContractCase = request.getfixturevalue(f"{request.param}_case")
    return found


def test_ensure_twice_holds_the_zone_once(case: ContractCase) -> None:
    zone = case.zone()
    case.backend.ensure_zone(zone)
    case.backend.ensure_zone(zone)
    assert case.configured(zone.name) == 1
    wait_for_serial(*case.nameserver, zone.name, zone.serial)


def test_remove_twice_leaves_no_zone(case: ContractCase) -> None:
    zone = case.zone()
    case.backend.ensure_zone(zone)
    wait_for_serial(*case.nameserver, zone.name, zone.serial)
    case.backend.remove_zone(zone)
    case.backend.remove_zone(zone)
    assert case.configured(zone.name) == 0
    assert soa_query(*case.nameserver, zone.name).rcode() == dns.rcode.REFUSED


def test_remove_of_a_zone_never_added_is_success(case: ContractCase) -> None:
    zone = ZoneRef(str(uuid.uuid4()), dns.name.from_text("never-added.test."), 1)
    case.backend.remove_zone(zone)
    assert case.configured(zone.name) == 0


def test_ensure_notify_soa_serves_the_new_serial(case: ContractCase) -> None:
    zone = case.zone()
    case.backend.ensure_zone(zone)
    wait_for_serial(*case.nameserver, zone.name, zone.serial)
    # The source's SOA refresh is an hour: only the NOTIFY can bring the new serial.
    case.source.publish(zone.serial + 1)
    case.backend.request_refresh(zone)
    wait_for_serial(*case.nameserver, zone.name, zone.serial + 1, timeout=5.0)


def test_doctors_questions_read_the_targets_own_word(case: ContractCase) -> None:
    """`control_status` says the control channel answers; `zone_status` says what the server
    holds of the zone (its serial once transferred) and that it holds none once removed."""
    assert case.backend.control_status()
    zone = case.zone()
    case.backend.ensure_zone(zone)
    wait_for_serial(*case.nameserver, zone.name, zone.serial)
    held = case.backend.zone_status(zone)
    assert held is not None and str(zone.serial) in held, held
    case.backend.remove_zone(zone)
    gone = case.backend.zone_status(zone)
    assert gone is not None and "no zone" in gone, gone
