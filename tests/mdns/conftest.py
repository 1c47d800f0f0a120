"""An mdns server on a free loopback port, run in its own event loop thread."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import insert

from tests.conftest import build_services, make_settings
from zonefleet.api.deps import ApiServices
from zonefleet.mdns.server import MdnsServer
from zonefleet.mdns.store import ZoneStore
from zonefleet.service.changes import record_hash
from zonefleet.settings import MdnsSettings
from zonefleet.storage.database import Database
from zonefleet.storage.models import Action, Record, Recordset, Status, Zone


@dataclass
class RunningMdns:
    server: MdnsServer
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread

    @property
    def host(self) -> str:
        return self.server.address.host

    @property
    def port(self) -> int:
        return self.server.address.port

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def start_mdns(database: Database, **settings: object) -> RunningMdns:
    options = {"bind": "127.0.0.1:0", **settings}
    server = MdnsServer(ZoneStore(database), MdnsSettings.model_validate(options))
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=run, name="mdns-test", daemon=True)
    thread.start()
    assert started.wait(10), "mdns did not start"
    return RunningMdns(server, loop, thread)


@pytest.fixture
def mdns_factory(sqlite_database: Database) -> Iterator[Callable[..., RunningMdns]]:
    running: list[RunningMdns] = []

    def factory(**settings: object) -> RunningMdns:
        instance = start_mdns(sqlite_database, **settings)
        running.append(instance)
        return instance

    yield factory
    for instance in running:
        instance.stop()


@pytest.fixture
def mdns(mdns_factory: Callable[..., RunningMdns]) -> RunningMdns:
    return mdns_factory(allow_transfer="127.0.0.1/32")


@pytest.fixture
def zone_services(sqlite_database: Database, tmp_path: Path) -> ApiServices:
    # Bulk-loaded zones hold more than the default quotas allow.
    unlimited = {"ZONEFLEET_QUOTAS__ZONE_RECORDSETS": "-1", "ZONEFLEET_QUOTAS__ZONE_RECORDS": "-1"}
    return build_services(make_settings(tmp_path, **unlimited), sqlite_database)


def bulk_a_records(database: Database, zone: Zone, count: int) -> None:
    """`count` A recordsets written straight into storage (quotas do not apply)."""
    recordsets, records = [], []
    for index in range(count):
        recordset_id = str(uuid.uuid4())
        data = f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
        recordsets.append({
            "id": recordset_id, "zone_id": zone.id, "project_id": zone.project_id,
            "name": f"host{index}.{zone.name}", "type": "A", "ttl": None,
            "serial": zone.serial, "status": Status.ACTIVE, "action": Action.NONE,
            "managed": False, "version": 1,
        })  # fmt: skip
        records.append({
            "id": str(uuid.uuid4()), "recordset_id": recordset_id, "zone_id": zone.id,
            "data": data, "hash": record_hash(data),
        })  # fmt: skip
    with database.write() as session:
        session.execute(insert(Recordset), recordsets)
        session.execute(insert(Record), records)
