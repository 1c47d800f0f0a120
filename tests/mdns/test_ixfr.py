"""IXFR out of mdns from the zone journal, with dnspython's transfer client as the oracle:
it applies each answer to a copy taken earlier, and the copy must equal a fresh AXFR."""

from __future__ import annotations

import base64
import socket
from collections.abc import Callable

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsigkeyring
import dns.xfr
import dns.zone
import pytest
from sqlalchemy import delete

from tests.mdns.conftest import RunningMdns, bulk_a_records
from tests.mdns.test_transfers import SECRET, transfer
from tests.service.factories import ctx, make_zone, rs_request
from zonefleet.api.deps import ApiServices
from zonefleet.service.recordsets import RecordsetUpdate
from zonefleet.service.zones import ZoneUpdate
from zonefleet.storage.database import Database
from zonefleet.storage.models import JournalEntry, TsigKey, Zone

ORIGIN = "ixfr.example."


@pytest.fixture
def zone(zone_services: ApiServices) -> Zone:
    return make_zone(zone_services, ORIGIN)


def serial_of(copy: dns.zone.Zone) -> int:
    return int(copy.get_rdataset("@", "SOA")[0].serial)


def ixfr_messages(
    mdns: RunningMdns, serial: int, *, source: str | None = None
) -> list[dns.message.Message]:
    return list(
        dns.query.xfr(mdns.host, ORIGIN, rdtype=dns.rdatatype.IXFR, serial=serial,
                      port=mdns.port, timeout=10, source=source, relativize=False)
    )  # fmt: skip


def answer_records(messages: list[dns.message.Message]) -> list[tuple[str, str]]:
    return [
        (rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype))
        for message in messages
        for rrset in message.answer
        for _ in rrset
    ]


def catch_up(mdns: RunningMdns, copy: dns.zone.Zone) -> None:
    query, _ = dns.xfr.make_query(copy)
    assert query.question[0].rdtype == dns.rdatatype.IXFR
    dns.query.inbound_xfr(mdns.host, copy, query, port=mdns.port, timeout=10)


def change_everything(services: ApiServices, zone: Zone) -> None:
    """One change of each kind, each at its own serial."""
    records = services.recordsets
    www = records.create_recordset(ctx(), zone.id, rs_request(f"www.{ORIGIN}", "A", "192.0.2.1"))
    mail = records.create_recordset(
        ctx(), zone.id, rs_request(ORIGIN, "MX", "10 mail.example.net.", "20 mx2.example.net.")
    )
    records.update_recordset(ctx(), zone.id, www.id, RecordsetUpdate(records=["192.0.2.2"]))
    records.update_recordset(ctx(), zone.id, mail.id, RecordsetUpdate(ttl=600))
    txt = records.create_recordset(ctx(), zone.id, rs_request(f"t.{ORIGIN}", "TXT", '"a" "b"'))
    records.delete_recordset(ctx(), zone.id, txt.id)
    services.zones.update_zone(ctx(), zone.id, ZoneUpdate(ttl=1800, email="dns@example.org"))


def test_an_ixfr_from_an_old_serial_brings_a_copy_to_the_current_zone(
    mdns: RunningMdns, zone_services: ApiServices, zone: Zone
) -> None:
    copy = transfer(mdns, ORIGIN)
    before = serial_of(copy)
    change_everything(zone_services, zone)
    messages = ixfr_messages(mdns, before)
    current = transfer(mdns, ORIGIN)
    soas = [record for record in answer_records(messages) if record[1] == "SOA"]
    assert len(soas) == 4  # current, old, new, current: one condensed difference sequence
    assert len(answer_records(messages)) < 4 + 2 * 6
    catch_up(mdns, copy)
    assert serial_of(copy) == serial_of(current) > before
    assert copy == current


def test_a_record_added_and_removed_in_between_is_not_sent(
    mdns: RunningMdns, zone_services: ApiServices, zone: Zone
) -> None:
    before = serial_of(transfer(mdns, ORIGIN))
    records = zone_services.recordsets
    gone = records.create_recordset(ctx(), zone.id, rs_request(f"gone.{ORIGIN}", "A", "192.0.2.9"))
    records.delete_recordset(ctx(), zone.id, gone.id)
    records.create_recordset(ctx(), zone.id, rs_request(f"kept.{ORIGIN}", "A", "192.0.2.8"))
    sent = answer_records(ixfr_messages(mdns, before))
    assert (f"gone.{ORIGIN}", "A") not in sent
    assert sent.count((f"kept.{ORIGIN}", "A")) == 1
    assert len(sent) == 5


def ixfr_query(serial: int) -> dns.message.Message:
    query = dns.message.make_query(ORIGIN, "IXFR")
    query.find_rrset(
        query.authority, dns.name.from_text(ORIGIN), dns.rdataclass.IN, dns.rdatatype.SOA,
        create=True,
    ).add(dns.rdata.from_text("IN", "SOA", f". . {serial} 1 1 1 1"))  # fmt: skip
    return query


def test_a_client_at_or_ahead_of_the_current_serial_gets_the_soa_alone(
    mdns: RunningMdns, zone: Zone
) -> None:
    for serial in (zone.serial, zone.serial + 1000):
        response = dns.query.tcp(ixfr_query(serial), mdns.host, port=mdns.port, timeout=3)
        assert answer_records([response]) == [(ORIGIN, "SOA")]
        assert response.answer[0][0].serial == zone.serial


def test_the_whole_zone_goes_when_the_journal_no_longer_reaches_the_serial(
    mdns: RunningMdns, zone_services: ApiServices, zone: Zone, sqlite_database: Database
) -> None:
    copy = transfer(mdns, ORIGIN)
    before = serial_of(copy)
    change_everything(zone_services, zone)
    with sqlite_database.write() as session:
        first_step = session.scalar(
            JournalEntry.__table__.select()
            .with_only_columns(JournalEntry.serial)
            .where(JournalEntry.zone_id == zone.id, JournalEntry.serial > before)
            .order_by(JournalEntry.serial)
            .limit(1)
        )
        session.execute(
            delete(JournalEntry).where(
                JournalEntry.zone_id == zone.id, JournalEntry.serial <= first_step
            )
        )
    sent = answer_records(ixfr_messages(mdns, before))
    assert sent[0] == sent[-1] == (ORIGIN, "SOA")
    assert len([record for record in sent if record[1] == "SOA"]) == 2  # AXFR framing
    catch_up(mdns, copy)
    assert copy == transfer(mdns, ORIGIN)


def test_the_whole_zone_goes_for_a_serial_the_zone_never_had(
    mdns: RunningMdns, zone_services: ApiServices, zone: Zone
) -> None:
    zone_services.recordsets.create_recordset(
        ctx(), zone.id, rs_request(f"www.{ORIGIN}", "A", "192.0.2.1")
    )
    sent = answer_records(ixfr_messages(mdns, zone.serial - 5))
    assert sent.count((ORIGIN, "SOA")) == 2
    assert (ORIGIN, "NS") in sent


def test_the_whole_zone_goes_when_the_journal_outgrows_the_zone(
    mdns: RunningMdns, zone_services: ApiServices, zone: Zone
) -> None:
    before = serial_of(transfer(mdns, ORIGIN))
    records = zone_services.recordsets
    for block in range(4):
        addresses = [f"192.0.2.{block * 20 + index}" for index in range(1, 21)]
        many = records.create_recordset(
            ctx(), zone.id, rs_request(f"m{block}.{ORIGIN}", "A", *addresses)
        )
        records.delete_recordset(ctx(), zone.id, many.id)
    sent = answer_records(ixfr_messages(mdns, before))
    assert sent.count((ORIGIN, "SOA")) == 2
    assert (f"m0.{ORIGIN}", "A") not in sent


def test_with_ixfr_off_every_ixfr_gets_the_whole_zone(
    mdns_factory: Callable[..., RunningMdns], zone_services: ApiServices, zone: Zone
) -> None:
    mdns = mdns_factory(allow_transfer="127.0.0.1/32", ixfr=False)
    before = serial_of(transfer(mdns, ORIGIN))
    zone_services.recordsets.create_recordset(
        ctx(), zone.id, rs_request(f"www.{ORIGIN}", "A", "192.0.2.1")
    )
    sent = answer_records(ixfr_messages(mdns, before))
    assert sent.count((ORIGIN, "SOA")) == 2
    assert (ORIGIN, "NS") in sent
    over_udp = dns.query.udp(ixfr_query(before), mdns.host, port=mdns.port, timeout=3)
    assert answer_records([over_udp]) == [(ORIGIN, "SOA")]


def test_a_small_udp_ixfr_fits_one_datagram_and_a_large_one_gets_the_soa(
    mdns: RunningMdns, zone_services: ApiServices, zone: Zone, sqlite_database: Database
) -> None:
    before = serial_of(transfer(mdns, ORIGIN))
    zone_services.recordsets.create_recordset(
        ctx(), zone.id, rs_request(f"www.{ORIGIN}", "A", "192.0.2.1")
    )
    query = ixfr_query(before)
    small = dns.query.udp(query, mdns.host, port=mdns.port, timeout=3)
    assert answer_records([small]).count((f"www.{ORIGIN}", "A")) == 1
    txt = [f'"{index:0>200}"' for index in range(10)]
    zone_services.recordsets.create_recordset(
        ctx(), zone.id, rs_request(f"big.{ORIGIN}", "TXT", *txt)
    )
    large = dns.query.udp(query, mdns.host, port=mdns.port, timeout=3)
    assert answer_records([large]) == [(ORIGIN, "SOA")]
    assert not large.flags & dns.flags.TC


def test_udp_ixfr_from_outside_the_acl_is_refused(
    mdns: RunningMdns, zone_services: ApiServices, zone: Zone
) -> None:
    refused = dns.query.udp(
        ixfr_query(zone.serial - 1), mdns.host, port=mdns.port, timeout=3, source="127.0.0.3"
    )
    assert refused.rcode() == dns.rcode.REFUSED
    assert not refused.answer


def test_an_ixfr_without_an_soa_or_with_a_garbled_one_is_a_format_error(
    mdns: RunningMdns, zone: Zone
) -> None:
    query = dns.message.make_query(ORIGIN, "IXFR")
    for send in (dns.query.udp, dns.query.tcp):
        response = send(query, mdns.host, port=mdns.port, timeout=3)
        assert response.rcode() == dns.rcode.FORMERR
    garbled = ixfr_query(zone.serial - 1).to_wire()[:-6]  # the SOA's RDATA cut short
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(garbled, (mdns.host, mdns.port))
        header = sock.recv(512)[:4]
    assert header[:2] == garbled[:2]
    assert header[3] & 0x0F == dns.rcode.FORMERR
    assert dns.query.tcp(ixfr_query(zone.serial), mdns.host, port=mdns.port, timeout=3).answer


def test_a_tsig_signed_ixfr_verifies_message_by_message(
    mdns_factory: Callable[..., RunningMdns],
    zone_services: ApiServices,
    zone: Zone,
    sqlite_database: Database,
) -> None:
    with sqlite_database.write() as session:
        session.add(TsigKey(name="ixfr-key.", algorithm="hmac-sha256", secret=SECRET))
    keyring = dns.tsigkeyring.from_text({"ixfr-key.": ("hmac-sha256", SECRET)})
    mdns = mdns_factory()
    copy = dns.zone.Zone(ORIGIN)
    query, _ = dns.xfr.make_query(copy)
    query.use_tsig(keyring, "ixfr-key.")
    dns.query.inbound_xfr(mdns.host, copy, query, port=mdns.port, timeout=10)
    for block in range(15):  # 300 records of 250 octets: more than one message
        txt = [f'"{block:0>3}{index:0>247}"' for index in range(20)]
        zone_services.recordsets.create_recordset(
            ctx(), zone.id, rs_request(f"t{block}.{ORIGIN}", "TXT", *txt)
        )
    query, _ = dns.xfr.make_query(copy)
    query.use_tsig(keyring, "ixfr-key.")
    assert query.question[0].rdtype == dns.rdatatype.IXFR
    dns.query.inbound_xfr(mdns.host, copy, query, port=mdns.port, timeout=10)
    assert sum(len(copy.get_rdataset(f"t{block}", "TXT")) for block in range(15)) == 300
    wrong = dns.tsigkeyring.from_text(
        {"ixfr-key.": ("hmac-sha256", base64.b64encode(b"some other secret entirely").decode())}
    )
    query, _ = dns.xfr.make_query(copy)
    query.use_tsig(wrong, "ixfr-key.")
    with pytest.raises(dns.exception.DNSException):
        dns.query.inbound_xfr(mdns.host, copy, query, port=mdns.port, timeout=10)


def test_one_change_in_a_large_zone_sends_a_handful_of_records(
    mdns: RunningMdns, zone_services: ApiServices, zone: Zone, sqlite_database: Database
) -> None:
    bulk_a_records(sqlite_database, zone, 1500)
    copy = transfer(mdns, ORIGIN)
    zone_services.recordsets.create_recordset(
        ctx(), zone.id, rs_request(f"new.{ORIGIN}", "AAAA", "2001:db8::1")
    )
    messages = ixfr_messages(mdns, serial_of(copy))
    assert len(messages) == 1
    assert len(answer_records(messages)) == 5
    catch_up(mdns, copy)
    assert copy == transfer(mdns, ORIGIN)
