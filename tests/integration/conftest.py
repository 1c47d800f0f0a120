"""Real `named` servers for integration tests, each on free loopback ports in its own directory.

Every server gets an rndc key made for the run, logs to `named.log` in its
directory (evidence for the tests), and is stopped by its own process id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import pytest

from tests.integration.cluster import Cluster
from tests.integration.named import (
    CatalogConsumer,
    Named,
    PrimaryZone,
    TsigSecret,
    program,
)
from zonefleet.backends.base import Master, TargetSpec
from zonefleet.backends.bind9 import Bind9Options

NamedFactory = Callable[..., Named]
ClusterFactory = Callable[..., Cluster]


@dataclass
class NamedZoneSource:
    """A zone that a second named serves as a static primary: the target's master.

    The backend contract needs only `zone`, `masters`, `serial` and `publish`,
    so Zonefleet's own mdns can take this place.
    """

    named: Named
    primary: PrimaryZone
    serial: int

    @property
    def zone(self) -> dns.name.Name:
        return dns.name.from_text(self.primary.name)

    @property
    def masters(self) -> tuple[Master, ...]:
        return (Master(self.named.host, self.named.port),)

    def publish(self, serial: int) -> None:
        self.named.set_serial(self.primary, serial)
        self.serial = serial


@pytest.fixture
def named_factory(tmp_path: Path) -> Iterator[NamedFactory]:
    """Start named servers: `named_factory(host="127.0.0.2", keys=[...], zones=[...])`."""
    program("named")
    started: list[Named] = []

    def start(
        host: str = "127.0.0.1",
        *,
        keys: Sequence[TsigSecret] = (),
        zones: Sequence[PrimaryZone] = (),
        catalog: CatalogConsumer | None = None,
        transfer_source: str | None = None,
    ) -> Named:
        directory = tmp_path / f"named-{len(started)}-{host}"
        named = Named(directory, host, keys, zones, catalog, transfer_source)
        started.append(named)
        named.start()
        return named

    yield start
    for named in started:
        named.stop()


@pytest.fixture
def zone_source(named_factory: NamedFactory) -> NamedZoneSource:
    """`contract.test.` at serial 1000, served by a named of its own."""
    primary = PrimaryZone("contract.test.", 1000)
    return NamedZoneSource(named_factory(zones=[primary]), primary, primary.serial)


def bind9_target(
    named: Named,
    masters: Sequence[Master],
    *,
    tsig: dns.tsig.Key | None = None,
    target_id: str = "bind9-test-target",
    **options: Any,
) -> TargetSpec:
    """A TargetSpec for the bind9 driver that reaches `named` by rndc and by NOTIFY."""
    settings = Bind9Options.model_validate(
        {
            "host": named.host,
            "port": named.port,
            "notify_timeout": 2.0,
            "rndc_host": named.host,
            "rndc_port": named.rndc_port,
            "rndc_key_file": str(named.rndc_key_file),
            **options,
        }
    )
    return TargetSpec(target_id, "bind9", settings, tuple(masters), tsig)


def soa_query(host: str, port: int, zone: dns.name.Name) -> dns.message.Message:
    query = dns.message.make_query(zone, dns.rdatatype.SOA)
    return dns.query.udp(query, host, port=port, timeout=2.0)


def served_serial(host: str, port: int, zone: dns.name.Name) -> int | None:
    """The SOA serial the server answers for `zone` with authority, or None."""
    try:
        response = soa_query(host, port, zone)
    except dns.exception.Timeout:
        return None
    if response.rcode() != dns.rcode.NOERROR:
        return None
    rrset = response.get_rrset(response.answer, zone, dns.rdataclass.IN, dns.rdatatype.SOA)
    return None if rrset is None else int(rrset[0].serial)


def wait_for_serial(
    host: str, port: int, zone: dns.name.Name, serial: int, timeout: float = 10.0
) -> None:
    """Poll the server's SOA until it serves `serial`; fail saying what it served last."""
    deadline = time.monotonic() + timeout
    while (seen := served_serial(host, port, zone)) != serial:
        if time.monotonic() > deadline:
            pytest.fail(f"{host}:{port} serves {zone} at serial {seen}, not {serial}")
        time.sleep(0.05)


@pytest.fixture
def cluster_factory(tmp_path: Path, rabbitmq_url: str, redis_url: str) -> Iterator[ClusterFactory]:
    """`cluster_factory(database_url, **env)`: a migrated database, a bus and a coordination
    namespace of the cluster's own; every role it starts is stopped at the end."""
    made: list[Cluster] = []

    def make(database_url: str, **env: str) -> Cluster:
        directory = tmp_path / f"cluster-{len(made)}"
        directory.mkdir()
        shared = {"ZONEFLEET_BUS__URL": rabbitmq_url, "ZONEFLEET_COORDINATION__URL": redis_url}
        cluster = Cluster(directory, database_url, shared | env)
        made.append(cluster)
        upgraded = cluster.command("db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        return cluster

    yield make
    for cluster in made:
        cluster.stop()
