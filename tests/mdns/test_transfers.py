"""AXFR out of mdns, with dnspython's transfer client as the oracle; the transfer ACL and TSIG."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.xfr
import dns.zone
import pytest
from sqlalchemy import delete, select, update

from tests.mdns.conftest import RunningMdns, bulk_a_records
from tests.service.factories import ctx, make_zone, rs_request
from zonefleet.api.deps import ApiServices
from zonefleet.mdns.steps import TransferSteps
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
    DEFAULT_POOL_ID,
    Pool,
    PoolNameserver,
    TsigKey,
    Zone,
    ZoneEvent,
)

SECRET = base64.b64encode(b"a shared secret of thirty-two by").decode()


def transfer(
    mdns: RunningMdns,
    origin: str,
    *,
    source: str | None = None,
    keyring: dict[dns.name.Name, dns.tsig.Key] | None = None,
    keyname: str | None = None,
) -> dns.zone.Zone:
    zone = dns.zone.Zone(origin)
    query, _ = dns.xfr.make_query(zone)
    if keyring is not None:
        query.use_tsig(keyring, keyname)
    dns.query.inbound_xfr(mdns.host, zone, query, port=mdns.port, timeout=10, source=source)
    return zone


def messages(mdns: RunningMdns, origin: str) -> list[dns.message.Message]:
    return list(dns.query.xfr(mdns.host, origin, port=mdns.port, timeout=10))


@pytest.fixture
def big(zone_services: ApiServices, sqlite_database: Database) -> Zone:
    zone = make_zone(zone_services, "big.example.")
    bulk_a_records(sqlite_database, zone, 12000)
    return zone


@pytest.fixture
def tsig_keys(sqlite_database: Database) -> Iterator[None]:
    with sqlite_database.write() as session:
        session.add(TsigKey(name="transfer-key.", algorithm="hmac-sha256", secret=SECRET))
        session.add(
            TsigKey(
                name="other-zone-key.",
                algorithm="hmac-sha256",
                secret=SECRET,
                scope="ZONE",
                resource_id="not-this-zone",
            )
        )
    yield
    with sqlite_database.write() as session:
        session.execute(delete(TsigKey))


def test_a_many_message_axfr_carries_every_record_between_two_soas(
    mdns: RunningMdns, big: Zone
) -> None:
    answers = messages(mdns, "big.example.")
    assert len(answers) > 2
    first, last = answers[0].answer[0], answers[-1].answer[-1]
    assert first.rdtype == last.rdtype == dns.rdatatype.SOA
    assert first[0].serial == last[0].serial == big.serial
    zone = transfer(mdns, "big.example.")
    a_records = [name for name, rdataset in zone.iterate_rdatasets(dns.rdatatype.A)]
    assert len(a_records) == 12000
    assert zone.get_rdataset("host11999", "A")[0].address == "10.0.46.223"


def test_a_repeat_transfer_is_served_from_the_cache_until_the_serial_moves(
    mdns: RunningMdns, zone_services: ApiServices, sqlite_database: Database
) -> None:
    big = make_zone(zone_services, "big.example.")
    bulk_a_records(sqlite_database, big, 3000)
    cache = mdns.server.cache
    transfer(mdns, "big.example.")
    assert cache.renders == 1
    again = transfer(mdns, "big.example.")
    assert cache.renders == 1
    assert again.get_rdataset("@", "SOA")[0].serial == big.serial
    zone_services.recordsets.create_recordset(
        ctx(), big.id, rs_request("new.big.example.", "A", "192.0.2.7")
    )
    changed = transfer(mdns, "big.example.")
    assert cache.renders == 2
    assert changed.get_rdataset("new", "A")[0].address == "192.0.2.7"
    assert changed.get_rdataset("@", "SOA")[0].serial > big.serial


def test_transfers_from_outside_the_acl_are_refused(
    mdns: RunningMdns, zone_services: ApiServices, sqlite_database: Database
) -> None:
    make_zone(zone_services, "example.org.")
    assert transfer(mdns, "example.org.").get_rdataset("@", "SOA") is not None
    with pytest.raises(dns.xfr.TransferError) as refused:
        transfer(mdns, "example.org.", source="127.0.0.3")
    assert refused.value.rcode == dns.rcode.REFUSED
    with sqlite_database.write() as session:
        session.add(PoolNameserver(pool_id=DEFAULT_POOL_ID, host="127.0.0.3", port=53))
    mdns.server.acl.refresh_interval = 0
    try:
        assert transfer(mdns, "example.org.", source="127.0.0.3") is not None
    finally:
        with sqlite_database.write() as session:
            session.execute(delete(PoolNameserver))


def test_only_hosted_apexes_transfer(mdns: RunningMdns, zone_services: ApiServices) -> None:
    make_zone(zone_services, "example.org.")
    for origin, rcode in (("www.example.org.", dns.rcode.NOTAUTH), ("x.test.", dns.rcode.REFUSED)):
        with pytest.raises(dns.xfr.TransferError) as refused:
            transfer(mdns, origin)
        assert refused.value.rcode == rcode


@pytest.mark.usefixtures("tsig_keys")
def test_tsig_signed_transfers_need_a_key_that_verifies_and_covers_the_zone(
    mdns: RunningMdns, big: Zone
) -> None:
    good = dns.tsigkeyring.from_text({"transfer-key.": ("hmac-sha256", SECRET)})
    zone = transfer(mdns, "big.example.", source="127.0.0.3", keyring=good, keyname="transfer-key.")
    assert len(list(zone.iterate_rdatasets(dns.rdatatype.A))) == 12000
    wrong_secret = base64.b64encode(b"not the secret at all, not at all").decode()
    bad = dns.tsigkeyring.from_text({"transfer-key.": ("hmac-sha256", wrong_secret)})
    with pytest.raises((dns.xfr.TransferError, dns.tsig.PeerError, dns.exception.DNSException)):
        transfer(mdns, "big.example.", source="127.0.0.3", keyring=bad, keyname="transfer-key.")
    other = dns.tsigkeyring.from_text({"other-zone-key.": ("hmac-sha256", SECRET)})
    with pytest.raises(dns.xfr.TransferError) as refused:
        transfer(mdns, "big.example.", source="127.0.0.3", keyring=other, keyname="other-zone-key.")
    assert refused.value.rcode == dns.rcode.REFUSED


def test_ixfr_over_udp_gets_the_soa_and_over_tcp_the_whole_zone(
    mdns: RunningMdns, big: Zone
) -> None:
    query = dns.message.make_query("big.example.", "IXFR")
    query.find_rrset(
        query.authority, dns.name.from_text("big.example."), dns.rdataclass.IN,
        dns.rdatatype.SOA, create=True,
    ).add(dns.rdata.from_text("IN", "SOA", ". . 1 1 1 1 1"))  # fmt: skip
    udp = dns.query.udp(query, mdns.host, port=mdns.port, timeout=3)
    assert udp.answer[0].rdtype == dns.rdatatype.SOA
    assert udp.answer[0][0].serial == big.serial
    answers = list(
        dns.query.xfr(mdns.host, "big.example.", rdtype=dns.rdatatype.IXFR, serial=1,
                      port=mdns.port, timeout=10)
    )  # fmt: skip
    records = sum(len(rrset) for message in answers for rrset in message.answer)
    assert records == 12000 + 1 + 2  # the A records, the one NS, the SOA at both ends


@pytest.mark.usefixtures("tsig_keys")
def test_the_key_of_the_pools_catalog_zone_may_transfer_the_pools_zones(
    mdns: RunningMdns, zone_services: ApiServices, sqlite_database: Database
) -> None:
    make_zone(zone_services, "member.example.")
    keyring = dns.tsigkeyring.from_text({"other-zone-key.": ("hmac-sha256", SECRET)})
    with pytest.raises(dns.xfr.TransferError):
        transfer(mdns, "member.example.", source="127.0.0.3", keyring=keyring,
                 keyname="other-zone-key.")  # fmt: skip
    catalog = {"catalog_zone_fqdn": "catalog.example.", "catalog_zone_tsig_key": "other-zone-key."}
    with sqlite_database.write() as session:
        session.execute(update(Pool).where(Pool.id == DEFAULT_POOL_ID).values(catalog_zone=catalog))
    mdns.server.acl.refresh_interval = 0
    try:
        zone = transfer(mdns, "member.example.", source="127.0.0.3", keyring=keyring,
                        keyname="other-zone-key.")  # fmt: skip
        assert zone.get_rdataset("@", "SOA") is not None
    finally:
        with sqlite_database.write() as session:
            session.execute(
                update(Pool).where(Pool.id == DEFAULT_POOL_ID).values(catalog_zone=None)
            )


def steps_of(database: Database, zone_id: str) -> list[ZoneEvent]:
    with database.read() as session:
        statement = select(ZoneEvent).where(ZoneEvent.zone_id == zone_id, ZoneEvent.role == "mdns")
        return list(session.scalars(statement.order_by(ZoneEvent.id)))


def test_transfers_served_and_refused_are_steps_of_the_zones_timeline(
    mdns: RunningMdns, zone_services: ApiServices, sqlite_database: Database
) -> None:
    zone = make_zone(zone_services, "steps.example.")
    transfer(mdns, "steps.example.")
    for _ in range(3):  # a client hammering the ACL leaves one step a minute, not one each
        with pytest.raises(dns.xfr.TransferError):
            transfer(mdns, "steps.example.", source="127.0.0.3")
    mdns.server.steps.flush()
    served, refused = steps_of(sqlite_database, zone.id)
    assert (served.event, served.subject, served.serial) == ("transfer served", "127.0.0.1",
                                                             zone.serial)  # fmt: skip
    # SOA, the apex NS of the default pool, and the closing SOA.
    assert served.detail == "AXFR: 3 records in 1 messages"
    assert (refused.event, refused.subject) == ("transfer refused", "127.0.0.3")
    assert refused.detail is not None and "127.0.0.3" in refused.detail


def test_steps_are_dropped_with_a_warning_when_the_database_is_away(
    mdns: RunningMdns, zone_services: ApiServices, caplog: pytest.LogCaptureFixture
) -> None:
    make_zone(zone_services, "away.example.")
    steps = TransferSteps(Database("sqlite:////nonexistent/dir/zonefleet.sqlite3"))
    zone = mdns.server.handler.answerer.store.zone_for(dns.name.from_text("away.example."))
    assert zone is not None
    steps.served(zone, "127.0.0.1", "AXFR", "5 records in 1 messages")
    assert steps.flush() == 0
    assert "1 timeline steps not written" in caplog.text
    assert steps.flush() == 0  # dropped, not retried without end
