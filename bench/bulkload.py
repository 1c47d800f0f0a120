"""Zones written straight into the database in bulk, as `ZoneService.create_zone` writes them
and the worker leaves them once their nameservers serve them (ACTIVE).

Each zone gets its row, its SOA and apex NS recordsets with their records, and the
journal of those records at its first serial. Zone i belongs to project i mod P, so
every project's zones are spread over the whole creation history, one second apart.

The zones are loaded settled, as in a deployment that runs: loaded PENDING, every one
of them would be a round of the server's worker, and the measurements would time the
API while the worker works through that backlog (minutes for 100,000 zones).
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import dns.name
from sqlalchemy import Engine, Table, create_engine, insert, select, text

from bench.server import BenchError
from zonefleet.dns.names import reverse_text
from zonefleet.dns.soa import SoaFields, parse_email
from zonefleet.service.changes import record_hash
from zonefleet.settings import ZoneSettings
from zonefleet.storage.models import (
    DEFAULT_POOL_ID,
    LIVE,
    Action,
    Base,
    JournalOp,
    PoolNsRecord,
    Status,
    ZoneType,
    utcnow,
)

BATCH = 2000
EMAIL = "hostmaster@example.org"
ZONES = Base.metadata.tables["zones"]
RECORDSETS = Base.metadata.tables["recordsets"]
RECORDS = Base.metadata.tables["records"]
JOURNAL = Base.metadata.tables["zone_journal"]

Row = dict[str, Any]


def project_id(project: int) -> str:
    """A Keystone-like project id (32 hex digits), the same on every run."""
    return hashlib.sha256(f"zonefleet-bench-project-{project}".encode()).hexdigest()[:32]


def zone_name(index: int, projects: int) -> str:
    return f"zone{index:06d}.project{index % projects:03d}.example."


def zones_in_project(zones: int, projects: int, project: int) -> int:
    return zones // projects + (1 if project < zones % projects else 0)


class ZoneRows:
    """Builds the rows of zones 0..count-1 in batches."""

    def __init__(self, ns_hosts: list[str], count: int, projects: int) -> None:
        self.ns_hosts = ns_hosts
        self.projects = projects
        self.settings = ZoneSettings()
        self.serial = int(time.time())
        self.first_created = utcnow() - timedelta(seconds=count + 60)
        self.rname = parse_email(EMAIL)
        self.mname = dns.name.from_text(ns_hosts[0])
        self.rng = random.Random(count)

    def batch(self, indexes: range) -> dict[Table, list[Row]]:
        rows: dict[Table, list[Row]] = {table: [] for table in (ZONES, RECORDSETS, RECORDS)}
        rows[JOURNAL] = []
        for index in indexes:
            self._zone(index, rows)
        return rows

    def _zone(self, index: int, rows: dict[Table, list[Row]]) -> None:
        name = zone_name(index, self.projects)
        zone = self._zone_row(index, name, self.first_created + timedelta(seconds=index))
        rows[ZONES].append(zone)
        soa = SoaFields(
            mname=self.mname, rname=self.rname, serial=self.serial, refresh=zone["refresh"],
            retry=zone["retry"], expire=zone["expire"], minimum=zone["minimum"],
        ).text()  # fmt: skip
        seq = 0
        for rdtype, datas in (("SOA", [soa]), ("NS", sorted(self.ns_hosts))):
            recordset = self._recordset_row(zone, rdtype)
            rows[RECORDSETS].append(recordset)
            for data in datas:
                rows[RECORDS].append(_record_row(recordset, data))
                rows[JOURNAL].append(_journal_row(zone, rdtype, data, seq))
                seq += 1

    def _zone_row(self, index: int, name: str, created_at: datetime) -> Row:
        settings = self.settings
        return {
            "id": str(uuid.uuid4()), "project_id": project_id(index % self.projects),
            "pool_id": DEFAULT_POOL_ID, "name": name,
            "reverse_name": reverse_text(dns.name.from_text(name)), "email": EMAIL,
            "ttl": settings.default_ttl, "serial": self.serial,
            "refresh": self.rng.randint(settings.soa_refresh_min, settings.soa_refresh_max),
            "retry": settings.soa_retry, "expire": settings.soa_expire,
            "minimum": settings.soa_minimum, "type": ZoneType.PRIMARY.value,
            "status": Status.ACTIVE.value, "action": Action.NONE.value, "description": None,
            "attributes": {}, "masters": [], "parent_zone_id": None, "version": 1,
            "created_at": created_at, "updated_at": None, "transferred_at": None,
            "deleted": LIVE, "deleted_at": None,
        }  # fmt: skip

    @staticmethod
    def _recordset_row(zone: Row, rdtype: str) -> Row:
        return {
            "id": str(uuid.uuid4()), "zone_id": zone["id"], "project_id": zone["project_id"],
            "name": zone["name"], "type": rdtype, "ttl": None, "description": None,
            "serial": zone["serial"], "status": Status.ACTIVE.value,
            "action": Action.NONE.value, "managed": True, "version": 1,
            "created_at": zone["created_at"], "updated_at": None,
        }  # fmt: skip


def _record_row(recordset: Row, data: str) -> Row:
    return {
        "id": str(uuid.uuid4()), "recordset_id": recordset["id"], "zone_id": recordset["zone_id"],
        "data": data, "hash": record_hash(data), "created_at": recordset["created_at"],
    }  # fmt: skip


def _journal_row(zone: Row, rdtype: str, data: str, seq: int) -> Row:
    return {
        "zone_id": zone["id"], "serial": zone["serial"], "seq": seq, "op": JournalOp.ADD.value,
        "name": zone["name"], "type": rdtype, "ttl": zone["ttl"], "data": data,
        "created_at": zone["created_at"],
    }  # fmt: skip


def bulk_load(url: str, zones: int, projects: int) -> None:
    """Insert `zones` zones across `projects` projects in one transaction (executemany)."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            ns_hosts = list(
                connection.scalars(
                    select(PoolNsRecord.hostname)
                    .where(PoolNsRecord.pool_id == DEFAULT_POOL_ID)
                    .order_by(PoolNsRecord.priority, PoolNsRecord.hostname)
                )
            )
            if not ns_hosts:
                raise BenchError("the default pool has no ns_records; was the schema migrated?")
            builder = ZoneRows(ns_hosts, zones, projects)
            for start in range(0, zones, BATCH):
                for table, rows in builder.batch(range(start, min(start + BATCH, zones))).items():
                    connection.execute(insert(table), rows)
        if engine.dialect.name == "postgresql":
            settle(engine)
    finally:
        engine.dispose()


def settle(engine: Engine) -> None:
    """Do now what autovacuum would do soon after a bulk load, so no measurement races it.

    Statistics for the planner and a visibility map, as a database in steady state has.
    """
    tables = ", ".join(table.name for table in (ZONES, RECORDSETS, RECORDS, JOURNAL))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM (ANALYZE) {tables}"))
