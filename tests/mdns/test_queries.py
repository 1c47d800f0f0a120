"""mdns answers ordinary queries from storage, checked with dnspython's own client."""

from __future__ import annotations

import socket
import struct
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from tests.mdns.conftest import RunningMdns, bulk_a_records
from tests.service.factories import ctx, make_zone, rs_request
from zonefleet.api.deps import ApiServices
from zonefleet.service.recordsets import RecordsetUpdate
from zonefleet.storage.database import Database
from zonefleet.storage.models import Recordset, Zone


def ask(mdns: RunningMdns, name: str, rdtype: str, *, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, mdns.host, port=mdns.port, timeout=3)


def texts(response: dns.message.Message, section: str = "answer") -> list[str]:
    return sorted(rrset.to_text() for rrset in getattr(response, section))


@pytest.fixture
def example(zone_services: ApiServices) -> tuple[ApiServices, Zone]:
    zone = make_zone(zone_services, "example.org.")
    for name, rdtype, records in (
        ("www.example.org.", "A", ["192.0.2.1", "192.0.2.2"]),
        ("alias.example.org.", "CNAME", ["www.example.org."]),
        ("outside.example.org.", "CNAME", ["www.example.net."]),
        ("a.b.c.example.org.", "TXT", ['"deep"']),
        ("*.wild.example.org.", "A", ["192.0.2.9"]),
        ("*.wild.example.org.", "TXT", ['"wild"']),
        ("sub.example.org.", "NS", ["ns1.sub.example.org.", "ns.example.net."]),
        ("ns1.sub.example.org.", "A", ["192.0.2.53"]),
    ):
        zone_services.recordsets.create_recordset(
            ctx(), zone.id, rs_request(name, rdtype, *records)
        )
    return zone_services, zone


def test_soa_answers_the_current_serial_authoritatively(
    mdns: RunningMdns, zone_services: ApiServices
) -> None:
    zone = make_zone(zone_services, "example.com.")
    response = ask(mdns, "example.com.", "SOA")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    assert response.answer[0][0].serial == zone.serial


def test_an_api_change_is_answered_at_once(
    mdns: RunningMdns, example: tuple[ApiServices, Zone]
) -> None:
    services, zone = example
    response = ask(mdns, "WWW.Example.ORG.", "A")
    assert sorted(rdata.address for rdata in response.answer[0]) == ["192.0.2.1", "192.0.2.2"]
    www = services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("api.example.org.", "AAAA", "2001:db8::1")
    )
    assert ask(mdns, "api.example.org.", "AAAA").answer[0][0].address == "2001:db8::1"
    services.recordsets.update_recordset(
        ctx(), zone.id, www.id, RecordsetUpdate(records=["2001:db8::2"])
    )
    assert ask(mdns, "api.example.org.", "AAAA").answer[0][0].address == "2001:db8::2"
    services.recordsets.delete_recordset(ctx(), zone.id, www.id)
    assert ask(mdns, "api.example.org.", "AAAA").rcode() == dns.rcode.NXDOMAIN


def test_negative_answers_carry_the_soa(
    mdns: RunningMdns, example: tuple[ApiServices, Zone]
) -> None:
    nxdomain = ask(mdns, "nothing.example.org.", "A")
    assert nxdomain.rcode() == dns.rcode.NXDOMAIN
    assert nxdomain.flags & dns.flags.AA
    assert nxdomain.authority[0].rdtype == dns.rdatatype.SOA
    assert nxdomain.authority[0].ttl == min(3600, nxdomain.authority[0][0].minimum)
    nodata = ask(mdns, "www.example.org.", "MX")
    assert (nodata.rcode(), nodata.answer) == (dns.rcode.NOERROR, [])
    assert nodata.authority[0].rdtype == dns.rdatatype.SOA
    empty_non_terminal = ask(mdns, "b.c.example.org.", "A")
    assert (empty_non_terminal.rcode(), empty_non_terminal.answer) == (dns.rcode.NOERROR, [])


def test_cname_is_followed_inside_the_zone_only(
    mdns: RunningMdns, example: tuple[ApiServices, Zone]
) -> None:
    inside = ask(mdns, "alias.example.org.", "A")
    assert [rrset.rdtype for rrset in inside.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A]
    outside = ask(mdns, "outside.example.org.", "A")
    assert [rrset.rdtype for rrset in outside.answer] == [dns.rdatatype.CNAME]
    assert outside.rcode() == dns.rcode.NOERROR


def test_wildcards_are_synthesised_at_the_closest_encloser(
    mdns: RunningMdns, example: tuple[ApiServices, Zone]
) -> None:
    answer = ask(mdns, "anything.wild.example.org.", "A")
    assert texts(answer) == ["anything.wild.example.org. 3600 IN A 192.0.2.9"]
    assert ask(mdns, "x.y.wild.example.org.", "TXT").answer[0][0].strings == (b"wild",)
    nodata = ask(mdns, "anything.wild.example.org.", "MX")
    assert (nodata.rcode(), nodata.answer) == (dns.rcode.NOERROR, [])
    # c.example.org exists (an empty non-terminal), so *.example.org would not apply anyway.
    assert ask(mdns, "zz.c.example.org.", "A").rcode() == dns.rcode.NXDOMAIN


def test_names_below_a_delegation_get_a_referral_with_glue(
    mdns: RunningMdns, example: tuple[ApiServices, Zone]
) -> None:
    referral = ask(mdns, "host.sub.example.org.", "A")
    assert referral.rcode() == dns.rcode.NOERROR
    assert not referral.flags & dns.flags.AA
    assert referral.answer == []
    assert referral.authority[0].rdtype == dns.rdatatype.NS
    assert texts(referral, "additional") == ["ns1.sub.example.org. 3600 IN A 192.0.2.53"]


def test_names_outside_hosted_zones_are_refused(
    mdns: RunningMdns, example: tuple[ApiServices, Zone]
) -> None:
    assert ask(mdns, "www.example.net.", "A").rcode() == dns.rcode.REFUSED
    services, zone = example
    services.zones.delete_zone(ctx(), zone.id)
    assert ask(mdns, "www.example.org.", "A").rcode() == dns.rcode.REFUSED


def test_a_large_answer_is_truncated_over_udp_and_whole_over_tcp(
    mdns: RunningMdns, zone_services: ApiServices, sqlite_database: Database
) -> None:
    zone = make_zone(zone_services, "big.example.")
    with sqlite_database.write() as session:
        ns = session.query(Recordset).filter_by(zone_id=zone.id, type="NS").one()
        for index in range(60):
            ns.records.append(type(ns.records[0])(
                zone_id=zone.id, data=f"ns{index}.long-name-to-fill-the-answer.example.net.",
                hash=f"h{index}",
            ))  # fmt: skip
    udp = ask(mdns, "big.example.", "NS")
    assert udp.flags & dns.flags.TC
    assert len(ask(mdns, "big.example.", "NS", tcp=True).answer[0]) == 61


def test_garbage_never_stops_the_server(mdns: RunningMdns, zone_services: ApiServices) -> None:
    make_zone(zone_services, "example.com.")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(b"\x12\x34\x01", (mdns.host, mdns.port))  # shorter than a header: dropped
        sock.sendto(b"\x12\x34\x01\x00\x00\x01" + b"\xff" * 20, (mdns.host, mdns.port))
        reply, _ = sock.recvfrom(512)
    message_id, flags = struct.unpack("!HH", reply[:4])
    assert message_id == 0x1234
    assert flags & 0x000F == dns.rcode.FORMERR
    with socket.create_connection((mdns.host, mdns.port), timeout=2) as tcp:
        tcp.sendall(b"\x00\x05hello")
        tcp.sendall(b"\xff\xff" + b"\x00" * 10)  # claims 65535 bytes, sends 10, then closes
    update = dns.message.make_query("example.com.", "SOA")
    update.set_opcode(dns.opcode.UPDATE)
    reply_message = dns.query.udp(update, mdns.host, port=mdns.port, timeout=2)
    assert reply_message.rcode() == dns.rcode.NOTIMP
    # NOTIFY is taken for SECONDARY zones only (tests/integration/test_secondary_bind.py).
    notify = dns.message.make_query("example.com.", "SOA")
    notify.set_opcode(dns.opcode.NOTIFY)
    reply_message = dns.query.udp(notify, mdns.host, port=mdns.port, timeout=2)
    assert reply_message.rcode() == dns.rcode.NOTAUTH
    assert ask(mdns, "example.com.", "SOA").rcode() == dns.rcode.NOERROR


def test_a_reader_that_never_reads_stalls_nobody(
    mdns: RunningMdns, zone_services: ApiServices, sqlite_database: Database
) -> None:
    zone = make_zone(zone_services, "slow.example.")
    bulk_a_records(sqlite_database, zone, 20000)
    with socket.create_connection((mdns.host, mdns.port), timeout=5) as stuck:
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        wire = dns.message.make_query("slow.example.", "AXFR").to_wire()
        stuck.sendall(struct.pack("!H", len(wire)) + wire)
        time.sleep(0.3)
        started = time.monotonic()
        for _ in range(20):
            assert ask(mdns, "slow.example.", "SOA").rcode() == dns.rcode.NOERROR
        assert time.monotonic() - started < 2
