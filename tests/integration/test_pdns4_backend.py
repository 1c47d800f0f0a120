"""The pdns4 driver against real pdns_server: its API, its log and dnspython queries as evidence.

The zone source is a real named (`zone_source`); the broken APIs (garbage, silence)
are stand-ins the real server cannot be made to be.
"""

from __future__ import annotations

import re
import shutil
import socket
import socketserver
import sqlite3
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
from pydantic import ValidationError

from tests.conftest import unavailable
from tests.integration.conftest import (
    NamedFactory,
    NamedZoneSource,
    served_serial,
    soa_query,
    wait_for_serial,
)
from tests.integration.named import PrimaryZone, TsigSecret
from tests.integration.pdns import (
    PowerDns,
    PowerDnsFactory,
    pdns4_target,
    pdns_factory,  # noqa: F401  (a fixture)
)
from zonefleet.backends.base import BackendError, Master, TargetSpec, ZoneRef
from zonefleet.backends.pdns4 import PowerDnsBackend, PowerDnsOptions


def zone_ref(name: str, serial: int = 1000) -> ZoneRef:
    return ZoneRef(str(uuid.uuid4()), dns.name.from_text(name), serial)


@pytest.fixture
def pdns(pdns_factory: PowerDnsFactory) -> PowerDns:  # noqa: F811  (the imported fixture)
    return pdns_factory()


@pytest.fixture
def driver(pdns: PowerDns, zone_source: NamedZoneSource) -> PowerDnsBackend:
    return PowerDnsBackend(pdns4_target(pdns, zone_source.masters))


def test_ensure_twice_makes_powerdns_transfer_and_serve_the_zone_once(
    pdns: PowerDns, driver: PowerDnsBackend, zone_source: NamedZoneSource
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    driver.ensure_zone(zone)
    listed = pdns.zone("contract.test.")
    assert listed["kind"] == "Slave"
    assert listed["masters"] == [f"127.0.0.1:{zone_source.named.port}"]
    assert listed["slave_tsig_key_ids"] == []
    wait_for_serial(pdns.host, pdns.port, zone.name, 1000)
    pdns.wait_for_log("AXFR-in zone: 'contract.test', primary: '127.0.0.1', zone committed")
    assert pdns.zone_names() == ["contract.test."]


def test_ensure_again_with_other_masters_updates_them_and_keeps_the_data(
    pdns: PowerDns, driver: PowerDnsBackend, zone_source: NamedZoneSource
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(pdns.host, pdns.port, zone.name, 1000)
    moved = (Master("127.0.0.1", zone_source.named.port), Master("::1", 5399))
    PowerDnsBackend(pdns4_target(pdns, moved)).ensure_zone(zone)
    assert pdns.zone("contract.test.")["masters"] == [
        f"127.0.0.1:{zone_source.named.port}",
        "[::1]:5399",
    ]
    assert served_serial(pdns.host, pdns.port, zone.name) == 1000


def test_remove_twice_leaves_powerdns_without_the_zone(
    pdns: PowerDns, driver: PowerDnsBackend
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(pdns.host, pdns.port, zone.name, 1000)
    driver.remove_zone(zone)
    driver.remove_zone(zone)
    driver.remove_zone(zone_ref("never-added.test."))
    assert pdns.zone_names() == []
    assert soa_query(pdns.host, pdns.port, zone.name).rcode() == dns.rcode.REFUSED
    pdns.wait_for_log('"DELETE /api/v1/servers/localhost/zones/contract.test. ', count=2)


def test_a_wrong_server_id_fails_even_a_remove(
    pdns: PowerDns, zone_source: NamedZoneSource
) -> None:
    driver = PowerDnsBackend(pdns4_target(pdns, zone_source.masters, server_id="elsewhere"))
    # PowerDNS answers 404 for a missing zone and for a missing server alike.
    for call in (driver.ensure_zone, driver.remove_zone):
        with pytest.raises(BackendError, match=r"/servers/elsewhere.*HTTP 404") as caught:
            call(zone_ref("contract.test."))
        assert caught.value.retryable is False


def test_refresh_after_the_serial_moves_makes_powerdns_serve_the_new_serial(
    pdns: PowerDns, driver: PowerDnsBackend, zone_source: NamedZoneSource
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(pdns.host, pdns.port, zone.name, 1000)
    # The source's SOA refresh is an hour: only the refresh request can bring 1001.
    zone_source.publish(1001)
    driver.request_refresh(zone)
    wait_for_serial(pdns.host, pdns.port, zone.name, 1001, timeout=5.0)
    pdns.wait_for_log("zone committed with serial 1001")
    pdns.wait_for_log(
        '"PUT /api/v1/servers/localhost/zones/contract.test./axfr-retrieve HTTP/1.1" 200'
    )
    log = pdns.log()
    # The first transfer is AXFR; the driver set the zone's IXFR metadata, so the refresh asks
    # IXFR, which this BIND source (no ixfr-from-differences) answers with the whole zone.
    assert log.count("starting AXFR") == 1 and log.count("starting IXFR") == 1
    assert "IXFR turned into an AXFR" in log
    source_log = zone_source.named.log()
    assert source_log.count("transfer of 'contract.test/IN': AXFR started") == 1
    assert source_log.count("transfer of 'contract.test/IN': AXFR-style IXFR started") == 1


def test_ixfr_unset_follows_whether_powerdns_answers_with_what_it_takes_by_ixfr(
    pdns_factory: PowerDnsFactory,  # noqa: F811 - the fixture imported above
    zone_source: NamedZoneSource,
) -> None:
    # gsqlite3 with DNSSEC queries answers only with rectified records, and PowerDNS does not
    # rectify what it takes by IXFR: such a server is left to AXFR.
    for dnssec, wanted in ((False, "1"), (True, "0")):
        pdns = pdns_factory(dnssec=dnssec)
        PowerDnsBackend(pdns4_target(pdns, zone_source.masters)).ensure_zone(
            zone_ref("contract.test.")
        )
        status, metadata = pdns.api("GET", "/zones/contract.test./metadata/IXFR")
        assert (status, metadata["metadata"]) == (200, [wanted]), dnssec
        pdns.wait_for_log('"GET /api/v1/servers/localhost/config HTTP/1.1" 200')


def test_ixfr_false_leaves_powerdns_asking_axfr_for_every_change(
    pdns: PowerDns, zone_source: NamedZoneSource
) -> None:
    driver = PowerDnsBackend(pdns4_target(pdns, zone_source.masters, ixfr=False))
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(pdns.host, pdns.port, zone.name, 1000)
    status, metadata = pdns.api("GET", "/zones/contract.test./metadata/IXFR")
    assert (status, metadata["metadata"]) == (200, ["0"])
    zone_source.publish(1001)
    driver.request_refresh(zone)
    wait_for_serial(pdns.host, pdns.port, zone.name, 1001, timeout=5.0)
    pdns.wait_for_log("zone committed with serial 1001")
    assert pdns.log().count("starting AXFR") == 2 and "starting IXFR" not in pdns.log()


def test_powerdns_refuses_a_notify_from_an_address_that_is_not_a_master(
    pdns: PowerDns, driver: PowerDnsBackend
) -> None:
    """Why request_refresh uses the API: the worker's NOTIFY does not come from mdns."""
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    notify = dns.message.make_query(zone.name, dns.rdatatype.SOA)
    notify.set_opcode(dns.opcode.NOTIFY)
    answer = dns.query.udp(notify, pdns.host, port=pdns.port, timeout=2.0, source="127.0.0.2")
    assert answer.rcode() == dns.rcode.REFUSED
    pdns.wait_for_log("Received NOTIFY for contract.test from 127.0.0.2 which is not a master")


@pytest.mark.parametrize(
    ("text", "zone_id"),
    [("_sip._tcp.ex.test.", "=5Fsip.=5Ftcp.ex.test."), ("a/b.test.", "a=2Fb.test.")],
)
def test_odd_names_powerdns_accepts_reach_it_as_one_path_segment(
    pdns: PowerDns, driver: PowerDnsBackend, text: str, zone_id: str
) -> None:
    zone = zone_ref(text)
    driver.ensure_zone(zone)
    assert [dns.name.from_text(name) for name in pdns.zone_names()] == [zone.name]
    driver.request_refresh(zone)
    driver.remove_zone(zone)
    assert pdns.zone_names() == []
    pdns.wait_for_log(f'"PUT /api/v1/servers/localhost/zones/{zone_id}/axfr-retrieve HTTP/1.1" 200')
    pdns.wait_for_log(f'"DELETE /api/v1/servers/localhost/zones/{zone_id} HTTP/1.1" 204')


@pytest.mark.parametrize(
    ("text", "zone_id"),
    [("q?x#y%z=.test.", "q=3Fx=23y=25z=3D.test."), ("a\\.b\\\\c.test.", "a=5C.b=5C=5Cc.test.")],
)
def test_odd_names_powerdns_refuses_fail_cleanly_under_their_own_id(
    pdns: PowerDns, driver: PowerDnsBackend, text: str, zone_id: str
) -> None:
    zone = zone_ref(text)
    with pytest.raises(BackendError, match=r"HTTP 422.*contains unsupported characters") as caught:
        driver.ensure_zone(zone)
    assert caught.value.retryable is False
    driver.remove_zone(zone)
    pdns.wait_for_log(f'"DELETE /api/v1/servers/localhost/zones/{zone_id} HTTP/1.1" 404')
    assert pdns.zone_names() == []


def test_a_relative_name_never_reaches_powerdns(pdns: PowerDns, driver: PowerDnsBackend) -> None:
    zone = ZoneRef(str(uuid.uuid4()), dns.name.from_text("example", origin=None), 1)
    for call in (driver.ensure_zone, driver.remove_zone, driver.request_refresh):
        with pytest.raises(BackendError, match="refusing zone name 'example'") as caught:
            call(zone)
        assert caught.value.retryable is False
    assert "/zones" not in pdns.log()


def test_a_wrong_api_token_is_not_retryable(pdns: PowerDns, zone_source: NamedZoneSource) -> None:
    driver = PowerDnsBackend(pdns4_target(pdns, zone_source.masters, api_token="wrong"))
    with pytest.raises(BackendError, match=r"refused the api_token \(HTTP 401") as caught:
        driver.ensure_zone(zone_ref("contract.test."))
    assert caught.value.retryable is False
    assert pdns.endpoint in str(caught.value)
    assert pdns.zone_names() == []


def test_a_tsig_key_missing_from_powerdns_is_not_retryable_until_it_is_added(
    pdns: PowerDns, zone_source: NamedZoneSource
) -> None:
    driver = PowerDnsBackend(pdns4_target(pdns, zone_source.masters, tsigkey_name="late-key"))
    zone = zone_ref("contract.test.")
    for _ in range(2):
        with pytest.raises(BackendError, match=r"HTTP 422.*'late-key' does not exist") as caught:
            driver.ensure_zone(zone)
        assert caught.value.retryable is False
    # PowerDNS 4.7 creates the zone before it looks the key up; the next ensure then takes
    # the PUT path, which names the missing key the same way until the key exists.
    assert pdns.zone("contract.test.")["slave_tsig_key_ids"] == []
    pdns.add_tsig_key(TsigSecret.generate("late-key."))
    driver.ensure_zone(zone)
    assert pdns.zone("contract.test.")["slave_tsig_key_ids"] == ["late-key."]


def test_the_tsig_key_reaches_powerdns_and_signs_the_transfer(
    named_factory: NamedFactory, pdns: PowerDns
) -> None:
    secret = TsigSecret.generate("xfer-key.")
    signed = PrimaryZone("signed.test.", 2000, allow_transfer='key "xfer-key.";')
    primary = named_factory(keys=[secret], zones=[signed])
    pdns.add_tsig_key(secret)
    masters = [Master(primary.host, primary.port)]
    zone = zone_ref("signed.test.", 2000)
    # No tsigkey_name option: the target's own key (pools.yaml `tsigkey_name`) is the default.
    PowerDnsBackend(pdns4_target(pdns, masters, tsig=secret.key())).ensure_zone(zone)
    assert pdns.zone("signed.test.")["slave_tsig_key_ids"] == ["xfer-key."]
    wait_for_serial(pdns.host, pdns.port, zone.name, 2000)
    primary.wait_for_log("transfer of 'signed.test/IN': AXFR started: TSIG xfer-key")


def test_a_stopped_powerdns_is_retryable_and_a_restarted_one_works(
    pdns: PowerDns, driver: PowerDnsBackend
) -> None:
    pdns.stop()
    with pytest.raises(BackendError, match="Connection refused") as caught:
        driver.ensure_zone(zone_ref("contract.test."))
    assert caught.value.retryable is True
    assert f"cannot reach PowerDNS API at {pdns.endpoint}" in str(caught.value)
    pdns.start()
    driver.ensure_zone(zone_ref("contract.test."))
    wait_for_serial(pdns.host, pdns.port, dns.name.from_text("contract.test."), 1000)


class AnswerServer(socketserver.ThreadingTCPServer):
    """Answers every request with the same bytes, over TLS when given a context."""

    daemon_threads = True

    def __init__(self, answer: bytes, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.answer, self.tls = answer, tls
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()

    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.server_address[1]}"


class _Answer(socketserver.BaseRequestHandler):
    server: AnswerServer

    def handle(self) -> None:
        if self.server.tls is None:
            self.request.recv(65536)
            self.request.sendall(self.server.answer)
            return
        try:
            with self.server.tls.wrap_socket(self.request, server_side=True) as connection:
                connection.recv(65536)
                connection.sendall(self.server.answer)
        except ssl.SSLError:
            return  # the client refused the certificate: its error is the evidence


@pytest.fixture
def answering() -> Iterator[Callable[..., str]]:
    """`answering(answer, tls=None)`: the URL of a server that answers every request so."""
    servers: list[AnswerServer] = []

    def serve(answer: bytes, tls: ssl.SSLContext | None = None) -> str:
        servers.append(AnswerServer(answer, tls))
        return servers[-1].url()

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


HTML = b"<html><body>It works!</body></html>"
BROKEN = [
    (b"SSH-2.0-OpenSSH_9.2p1\r\n", r"did not answer in HTTP: BadStatusLine", False),
    (
        b"HTTP/1.1 201 Created\r\nContent-Length: 36\r\n\r\n" + HTML,
        r"HTTP 201 with a non-JSON",
        False,
    ),
    (
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 36\r\n\r\n" + HTML,
        r"HTTP 502 Bad Gateway: <html>",
        True,
    ),
]


@pytest.mark.parametrize(("answer", "said", "retryable"), BROKEN)
def test_a_broken_api_is_a_clear_error(
    answering: Callable[..., str], answer: bytes, said: str, retryable: bool
) -> None:
    driver = PowerDnsBackend(stand_in(answering(answer)))
    with pytest.raises(BackendError, match=said) as caught:
        driver.ensure_zone(zone_ref("contract.test."))
    assert caught.value.retryable is retryable


@pytest.fixture
def black_hole() -> Iterator[str]:
    """An API that accepts connections and never answers, like a wedged pdns_server."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_an_api_that_never_answers_times_out_retryably(black_hole: str) -> None:
    driver = PowerDnsBackend(stand_in(black_hole, api_timeout=0.5))
    started = time.monotonic()
    with pytest.raises(
        BackendError, match=re.escape(f"at {black_hole} timed out after 0.5s")
    ) as caught:
        driver.request_refresh(zone_ref("contract.test."))
    assert caught.value.retryable is True
    assert time.monotonic() - started < 3


def stand_in(endpoint: str, **options: object) -> TargetSpec:
    settings = PowerDnsOptions.model_validate(
        {"api_endpoint": endpoint, "api_token": "key", **options}
    )
    return TargetSpec("stand-in", "pdns4", settings, (Master("127.0.0.1", 5354),))


def test_an_https_api_is_verified_with_api_ca_cert(
    answering: Callable[..., str], tmp_path: Path
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        unavailable("openssl is not installed")
        return
    cert, key = tmp_path / "api.pem", tmp_path / "api.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=api",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    queued = b'HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{"result": "queued"}'
    endpoint = answering(queued, tls)
    PowerDnsBackend(stand_in(endpoint, api_ca_cert=str(cert))).request_refresh(
        zone_ref("contract.test.")
    )
    with pytest.raises(BackendError, match="CERTIFICATE_VERIFY_FAILED") as caught:
        PowerDnsBackend(stand_in(endpoint)).request_refresh(zone_ref("contract.test."))
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"api_endpoint": "ftp://127.0.0.1:8081"}, "not an http"),
        ({"api_endpoint": "http://127.0.0.1:8081/?zone=x"}, "a query"),
        ({"api_endpoint": "http://127.0.0.1:8081/a b"}, "has a path"),
        ({"api_endpoint": "http://user@127.0.0.1:8081"}, "has a user"),
        ({"api_token": "key\r\nX-Injected: 1"}, "api_token\n  String should match pattern"),
        ({"server_id": "../zones"}, "server_id\n  String should match pattern"),
        ({"tsigkey_name": "a..b"}, "not a key name"),
        ({"api_ca_cert": "/etc/ssl/certs/ca-certificates.crt"}, "needs an https"),
    ],
)
def test_options_are_checked_when_pools_load(options: dict[str, str], said: str) -> None:
    with pytest.raises(ValidationError, match=said):
        PowerDnsOptions.model_validate(
            {"api_endpoint": "http://127.0.0.1:8081", "api_token": "key", **options}
        )


def test_a_nudge_flushes_powerdns_caches_for_the_zone_then_asks_for_the_transfer(
    pdns: PowerDns, driver: PowerDnsBackend, zone_source: NamedZoneSource
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(pdns.host, pdns.port, zone.name, 1000)
    driver.nudge(zone)
    # PowerDNS's own word: the flush was taken (it answers 422 without a domain to flush),
    # then the retrieval.
    # PowerDNS writes a request's log line after answering it: wait for both lines.
    flush = '"PUT /api/v1/servers/localhost/cache/flush HTTP/1.1" 200'
    retrieve = "zones/contract.test./axfr-retrieve"
    pdns.wait_for_log(flush)
    pdns.wait_for_log(retrieve)
    assert retrieve in pdns.log()[pdns.log().index(flush) :]
    assert served_serial(pdns.host, pdns.port, zone.name) == 1000


def test_once_a_new_zone_is_served_its_answers_cached_by_powerdns_are_dropped(
    pdns: PowerDns, driver: PowerDnsBackend, zone_source: NamedZoneSource
) -> None:
    zone = zone_ref("contract.test.")
    driver.ensure_zone(zone)
    wait_for_serial(pdns.host, pdns.port, zone.name, 1000)
    # An answer PowerDNS keeps in its caches, made stale behind its back: its own database
    # now says 1001, and PowerDNS still answers 1000 from the cache.
    assert served_serial(pdns.host, pdns.port, zone.name) == 1000
    with sqlite3.connect(pdns.database) as database:
        changed = database.execute(
            "UPDATE records SET content = replace(content, ' 1000 ', ' 1001 ') "
            "WHERE type = 'SOA' AND name = 'contract.test'"
        ).rowcount
    assert changed == 1
    assert served_serial(pdns.host, pdns.port, zone.name) == 1000

    said = driver.configured_and_served(zone)

    assert said is not None and "flushed" in said
    assert served_serial(pdns.host, pdns.port, zone.name) == 1001
