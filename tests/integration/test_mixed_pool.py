"""One pool of a real BIND9, a real PowerDNS and a real Knot: a zone is ACTIVE only once all
three serve its serial (each asked with dnspython), and the propagation view shows each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import dns.message
import dns.name
import dns.query
import pytest

from tests.integration.conftest import NamedFactory, served_serial, wait_for_serial
from tests.integration.knot import Knot, KnotFactory, knot_factory, knot_program  # noqa: F401
from tests.integration.named import Named
from tests.integration.pdns import PowerDns, PowerDnsFactory, pdns_factory  # noqa: F401
from tests.integration.test_propagation_bind import wait_until
from tests.service.factories import ctx, make_zone, rs_request
from tests.stack import Stack
from zonefleet.doctor.chain import Doctor, DoctorOptions
from zonefleet.doctor.findings import Link, Report
from zonefleet.pools.load import parse_pools
from zonefleet.producer.heartbeat import Heartbeat
from zonefleet.service.pools import PoolService
from zonefleet.service.recordsets import RecordsetUpdate
from zonefleet.storage.models import ServiceState, Status

ZONE = "mixed.example."


def mixed_pool_yaml(bind: Named, pdns: PowerDns, knot: Knot, mdns: tuple[str, int]) -> str:
    """The default pool with one target and one nameserver of each kind, mdns their master."""
    master = f"masters: [{{host: {mdns[0]}, port: {mdns[1]}}}]"
    return f"""
- name: default
  description: BIND 9, PowerDNS and Knot under test
  ns_records:
    - {{hostname: ns1.zonefleet.test., priority: 1}}
  nameservers:
    - {{host: {bind.host}, port: {bind.port}}}
    - {{host: {pdns.host}, port: {pdns.port}}}
    - {{host: {knot.host}, port: {knot.port}}}
  targets:
    - type: bind9
      description: bind
      {master}
      options: {{host: {bind.host}, port: {bind.port}, rndc_host: {bind.host},
                 rndc_port: {bind.rndc_port}, rndc_key_file: {bind.rndc_key_file}}}
    - type: pdns4
      description: pdns
      {master}
      options: {{host: {pdns.host}, port: {pdns.port}, api_endpoint: "{pdns.endpoint}",
                 api_token: {pdns.api_key}, api_timeout: 3}}
    - type: knot
      description: knot
      {master}
      options: {{host: {knot.host}, port: {knot.port}, knotc_path: {knot_program("knotc")},
                 socket: "{knot.socket}", timeout: 5}}
"""


def doctor(stack: Stack, zone: str) -> Report:
    """One `zonefleet doctor` walk of the zone, with the stack's worker heartbeating."""
    Heartbeat(stack.database, stack.settings.heartbeat, "worker").beat(ServiceState.UP, {})
    mdns = stack.settings.mdns.model_copy(update={"bind": stack.mdns.address})
    settings = stack.settings.model_copy(update={"mdns": mdns})
    walk = Doctor(stack.database, settings, DoctorOptions(timeout=1.0, grace=0))
    try:
        return asyncio.run(walk.check(zone))
    finally:
        walk.close()


def txt(server: tuple[str, int], name: str) -> list[bytes]:
    response = dns.query.udp(dns.message.make_query(name, "TXT"), server[0], port=server[1],
                             timeout=2)  # fmt: skip
    return [b"".join(rdata.strings) for rrset in response.answer for rdata in rrset]


@pytest.fixture
def servers(
    named_factory: NamedFactory, request: pytest.FixtureRequest
) -> tuple[Named, PowerDns, Knot]:
    pdns: PowerDnsFactory = request.getfixturevalue("pdns_factory")
    knot: KnotFactory = request.getfixturevalue("knot_factory")
    return named_factory(), pdns(), knot()


def test_a_mixed_pool_converges_on_every_change_and_waits_for_its_slowest_member(
    stack_factory: Callable[..., Stack], servers: tuple[Named, PowerDns, Knot]
) -> None:
    bind, pdns, knot = servers
    stack = stack_factory(ZONEFLEET_WORKER__POLL_TIMEOUT="2", ZONEFLEET_WORKER__QUERY_TIMEOUT="0.3")
    mdns = stack.mdns.address
    PoolService(stack.database).update_pools(
        parse_pools(mixed_pool_yaml(bind, pdns, knot, (mdns.host, mdns.port)))
    )
    addresses = [(bind.host, bind.port), (pdns.host, pdns.port), (knot.host, knot.port)]
    name = dns.name.from_text(ZONE)

    zone = make_zone(stack.services, ZONE)
    created = stack.wait_for(zone.id, Status.ACTIVE, timeout=20)
    assert [served_serial(*server, name) for server in addresses] == [created.serial] * 3

    services = stack.services
    note = services.recordsets.create_recordset(
        ctx(), zone.id, rs_request(f"note.{ZONE}", "TXT", '"one"')
    )
    changed = stack.wait_for(zone.id, Status.ACTIVE, timeout=20)
    assert [txt(server, f"note.{ZONE}") for server in addresses] == [[b"one"]] * 3
    view = services.propagation.get_propagation(ctx(), zone.id)
    assert sorted(target.type for target in view.targets) == ["bind9", "knot", "pdns4"]
    assert all(t.serial == changed.serial and t.last_error is None for t in view.targets)
    assert {(ns.port, ns.state) for ns in view.nameservers} == {
        (port, "SERVING") for _, port in addresses
    }
    report = doctor(stack, ZONE)
    assert report.exit_status == 0, report
    said = [f.evidence[0] for f in report.findings if f.link == Link.CONTROL]
    assert sorted(line.split(":")[0] for line in said) == ["PowerDNS API", "knotc status",
                                                          "rndc status"]  # fmt: skip

    knot.stop()
    services.recordsets.update_recordset(
        ctx(), zone.id, note.id, RecordsetUpdate(records=['"two"'])
    )
    wait_until(lambda: txt(addresses[0], f"note.{ZONE}") == [b"two"], what="BIND to serve two")
    wait_until(lambda: txt(addresses[1], f"note.{ZONE}") == [b"two"], what="pdns to serve two")
    lagging = {bind.port: "SERVING", pdns.port: "SERVING", knot.port: "UNREACHABLE"}
    wait_until(
        lambda: (
            {
                ns.port: ns.state
                for ns in services.propagation.get_propagation(ctx(), zone.id).nameservers
            }
            == lagging
        ),
        what="the propagation view to show Knot lagging",
    )
    assert stack.zone(zone.id).status in (Status.PENDING, Status.ERROR)
    first = doctor(stack, ZONE).first_broken
    assert first is not None and first.link == Link.CONTROL and "knotc" in first.summary

    knot.start()
    healed = stack.wait_for(zone.id, Status.ACTIVE, timeout=30)
    wait_for_serial(knot.host, knot.port, name, healed.serial)
    assert txt(addresses[2], f"note.{ZONE}") == [b"two"]
    # Knot's own word: it took each change as an incremental transfer, never the whole zone.
    knot_log = knot.log()
    assert knot_log.count("IXFR, incoming, remote") >= 4  # started and finished, twice
    assert "AXFR-style IXFR" not in knot_log
    # PowerDNS's: the first transfer whole, each change after it one IXFR delta.
    pdns_log = pdns.log()
    assert pdns_log.count("starting AXFR") == 1
    assert pdns_log.count("got 1 delta, zone committed") >= 2
    assert "IXFR turned into an AXFR" not in pdns_log
