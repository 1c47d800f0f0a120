"""SQLAlchemy models: the one typed representation of every stored entity.

Names are stored lowercase and absolute. Zones are soft-deleted: `deleted` is
"0" while the zone lives and its id once purged-pending, so the unique key
(pool, name, deleted) frees the name without partial indexes (MySQL has none).
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

import dns.name
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from zonefleet.dns.names import reverse_text

DEFAULT_POOL_ID = "794ccc2c-d751-44fe-b57f-8894c9f5c842"
LIVE = "0"
EPOCH = datetime(1970, 1, 1)

# Microsecond timestamps everywhere: MySQL's DATETIME drops them unless asked.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
# Byte-order comparison so a reversed-name prefix is one index range on every engine.
BinaryName = (
    String(255)
    .with_variant(String(255, collation="C"), "postgresql")
    .with_variant(String(255, collation="utf8mb4_bin"), "mysql", "mariadb")
)


def new_id() -> str:
    return str(uuid.uuid4())


def endpoint_text(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Status(enum.StrEnum):
    ACTIVE = "ACTIVE"
    PENDING = "PENDING"
    ERROR = "ERROR"
    DELETED = "DELETED"


class TaskStatus(enum.StrEnum):
    """Of zone imports and exports."""

    PENDING = "PENDING"
    COMPLETE = "COMPLETE"
    ERROR = "ERROR"


class Action(enum.StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    NONE = "NONE"


class ZoneType(enum.StrEnum):
    PRIMARY = "PRIMARY"
    SECONDARY = "SECONDARY"
    CATALOG = "CATALOG"


class NameserverState(enum.StrEnum):
    SERVING = "SERVING"  # serves the zone's serial or a later one
    LAGGING = "LAGGING"  # serves an older serial
    MISSING = "MISSING"  # answers, but not for this zone
    UNREACHABLE = "UNREACHABLE"  # no answer at all
    REMOVED = "REMOVED"  # a deleted zone no longer served, as wanted


class ServiceState(enum.StrEnum):
    """A process's health as `GET /v2/service_statuses` shows it (Designate's values)."""

    UP = "UP"
    WARNING = "WARNING"  # alive, but something it depends on is not
    DOWN = "DOWN"  # stopped, or silent for longer than its heartbeats allow


class TsigScope(enum.StrEnum):
    POOL = "POOL"
    ZONE = "ZONE"


class JournalOp(enum.IntEnum):
    DELETE = 0
    ADD = 1


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Pool(Base):
    __tablename__ = "pools"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str | None] = mapped_column(String(160))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    threshold_percentage: Mapped[int] = mapped_column(Integer, default=100)
    catalog_zone: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)

    ns_records: Mapped[list[PoolNsRecord]] = relationship(
        back_populates="pool",
        cascade="all, delete-orphan",
        order_by="(PoolNsRecord.priority, PoolNsRecord.hostname)",
        lazy="selectin",
    )
    nameservers: Mapped[list[PoolNameserver]] = relationship(
        cascade="all, delete-orphan",
        order_by="(PoolNameserver.host, PoolNameserver.port)",
        lazy="selectin",
    )
    targets: Mapped[list[PoolTarget]] = relationship(
        cascade="all, delete-orphan", order_by="PoolTarget.created_at", lazy="selectin"
    )
    also_notifies: Mapped[list[PoolAlsoNotify]] = relationship(
        cascade="all, delete-orphan",
        order_by="(PoolAlsoNotify.host, PoolAlsoNotify.port)",
        lazy="selectin",
    )


class PoolNsRecord(Base):
    __tablename__ = "pool_ns_records"
    __table_args__ = (UniqueConstraint("pool_id", "hostname"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    hostname: Mapped[str] = mapped_column(String(255))
    priority: Mapped[int] = mapped_column(Integer)

    pool: Mapped[Pool] = relationship(back_populates="ns_records")


class PoolNameserver(Base):
    """A server that answers for the pool's zones: checked by SOA, never configured."""

    __tablename__ = "pool_nameservers"
    __table_args__ = (UniqueConstraint("pool_id", "host", "port"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    tsigkey_name: Mapped[str | None] = mapped_column(String(160))

    @property
    def address(self) -> str:
        return endpoint_text(self.host, self.port)


class PoolTarget(Base):
    """A server Zonefleet configures through its backend; `retired` ones only lose zones."""

    __tablename__ = "pool_targets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(String(160))
    masters: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tsigkey_name: Mapped[str | None] = mapped_column(String(160))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class PoolAlsoNotify(Base):
    __tablename__ = "pool_also_notifies"
    __table_args__ = (UniqueConstraint("pool_id", "host", "port"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)


class TsigKey(Base):
    """A TSIG key for transfers; scope POOL or ZONE limits what it may transfer."""

    __tablename__ = "tsigkeys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    algorithm: Mapped[str] = mapped_column(String(32))
    secret: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(16), default=TsigScope.POOL)
    resource_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)


class Zone(Base):
    __tablename__ = "zones"
    __table_args__ = (
        UniqueConstraint("pool_id", "name", "deleted"),
        Index("ix_zones_project_list", "project_id", "deleted", "created_at", "id"),
        Index("ix_zones_list", "deleted", "created_at", "id"),
        # `deleted` beside the name so SQLite never prefers ix_zones_list for these lookups.
        Index("ix_zones_name", "name", "deleted"),
        Index("ix_zones_reverse_name", "deleted", "reverse_name"),
        Index("ix_zones_parent", "parent_zone_id", "deleted"),
        # The secondary refresher's due SECONDARY zones, by when they are due.
        Index("ix_zones_refresh", "type", "next_refresh_at"),
        # The reconciler's scan (zones whose nameservers may lag), and the drift audit's
        # pages of live ACTIVE zones by id.
        Index("ix_zones_status", "status", "deleted", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(255))
    pool_id: Mapped[str] = mapped_column(ForeignKey("pools.id"))
    name: Mapped[str] = mapped_column(String(255))
    reverse_name: Mapped[str] = mapped_column(BinaryName)
    email: Mapped[str] = mapped_column(String(255))
    ttl: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(BigInteger)
    refresh: Mapped[int] = mapped_column(Integer)
    retry: Mapped[int] = mapped_column(Integer)
    expire: Mapped[int] = mapped_column(Integer)
    minimum: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16), default=ZoneType.PRIMARY)
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING)
    action: Mapped[str] = mapped_column(String(16), default=Action.CREATE)
    description: Mapped[str | None] = mapped_column(String(160))
    attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    masters: Mapped[list[str]] = mapped_column(JSON, default=list)
    parent_zone_id: Mapped[str | None] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    transferred_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # A SECONDARY zone's next look at its masters (SOA refresh, or retry after a failure),
    # and its last answer from one (past the SOA expire without one, it is not served).
    next_refresh_at: Mapped[datetime | None] = mapped_column(Timestamp)
    refreshed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Deleted with X-Designate-Hard-Delete: targets drop the zone's files and journal too.
    hard_delete: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deleted: Mapped[str] = mapped_column(String(36), default=LIVE)
    deleted_at: Mapped[datetime | None] = mapped_column(Timestamp)

    pool: Mapped[Pool] = relationship(lazy="raise")


def reverse_of(name: str) -> str:
    """The reversed form of a stored owner name (see `reverse_text`). Stored names are
    lowercase, absolute text, so one without escapes splits at its dots; this runs for
    every recordset object made, reads included."""
    if "\\" in name or name == ".":
        return reverse_text(dns.name.from_text(name))
    return "".join(label + "." for label in reversed(name[:-1].split(".")))


def _reverse_of_row(context: DefaultExecutionContext) -> str:
    """A recordset row's reverse_name, for a Core INSERT of rows that leave it out."""
    parameters: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return reverse_of(str(parameters["name"]))


class Recordset(Base):
    __tablename__ = "recordsets"
    __table_args__ = (
        UniqueConstraint("zone_id", "name", "type"),
        Index("ix_recordsets_zone_list", "zone_id", "created_at", "id"),
        Index("ix_recordsets_project_list", "project_id", "created_at", "id"),
        Index("ix_recordsets_name", "name"),
        # Names below a name are one range of this index: mdns tells an empty non-terminal
        # (NODATA) from a name that does not exist (NXDOMAIN) without reading the zone.
        Index("ix_recordsets_below", "zone_id", "reverse_name"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    reverse_name: Mapped[str] = mapped_column(BinaryName, default=_reverse_of_row)
    type: Mapped[str] = mapped_column(String(16))
    ttl: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(160))
    serial: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING)
    action: Mapped[str] = mapped_column(String(16), default=Action.CREATE)
    managed: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp)

    zone: Mapped[Zone] = relationship(lazy="raise")
    records: Mapped[list[Record]] = relationship(
        back_populates="recordset",
        cascade="all, delete-orphan",
        order_by="Record.data",
        lazy="selectin",
    )

    @validates("name")
    def _name_with_reverse(self, _key: str, name: str) -> str:
        self.reverse_name = reverse_of(name)
        return name

    @property
    def zone_name(self) -> str:
        return self.zone.name


class Record(Base):
    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("recordset_id", "hash"),
        Index("ix_records_zone_id", "zone_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    recordset_id: Mapped[str] = mapped_column(ForeignKey("recordsets.id", ondelete="CASCADE"))
    zone_id: Mapped[str] = mapped_column(String(36))
    data: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    recordset: Mapped[Recordset] = relationship(back_populates="records")


class JournalEntry(Base):
    """One record added or deleted at one zone serial: the source of IXFR and the timeline."""

    __tablename__ = "zone_journal"
    __table_args__ = (
        Index("ix_zone_journal_zone_serial", "zone_id", "serial", "seq"),
        # The producer's prune: rows past the journal's max_age.
        Index("ix_zone_journal_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    serial: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(Integer)
    op: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16))
    ttl: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ZoneTarget(Base):
    """What one target has of one zone, and the lease of the worker pushing to it."""

    __tablename__ = "zone_targets"

    zone_id: Mapped[str] = mapped_column(
        ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True
    )
    target_id: Mapped[str] = mapped_column(
        ForeignKey("pool_targets.id", ondelete="CASCADE"), primary_key=True
    )
    present: Mapped[bool] = mapped_column(Boolean, default=False)
    serial: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    since: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(Timestamp)


class ZoneNameserver(Base):
    """The serial one nameserver served for one zone when last asked."""

    __tablename__ = "zone_nameservers"

    zone_id: Mapped[str] = mapped_column(
        ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True
    )
    nameserver: Mapped[str] = mapped_column(String(300), primary_key=True)
    serial: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default=NameserverState.MISSING)
    last_error: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    since: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ZoneEvent(Base):
    """One step of one change: the zone's timeline (kept past the zone's purge)."""

    __tablename__ = "zone_events"
    __table_args__ = (
        Index("ix_zone_events_zone", "zone_id", "id"),
        Index("ix_zone_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    zone_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    role: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(300))
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    serial: Mapped[int | None] = mapped_column(BigInteger)
    request_id: Mapped[str | None] = mapped_column(String(64))


class Tld(Base):
    """A top-level domain zones may sit under; once any exists, every new zone must."""

    __tablename__ = "tlds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)  # lowercase, no trailing dot
    description: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)


class Blacklist(Base):
    """A regular expression no tenant's new zone name may match (admins may)."""

    __tablename__ = "blacklists"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    pattern: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)


class ZoneExport(Base):
    """An export task: the zone file itself is rendered when it is fetched."""

    __tablename__ = "zone_exports"
    __table_args__ = (Index("ix_zone_exports_project", "project_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(255))
    zone_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.PENDING)
    message: Mapped[str | None] = mapped_column(String(255))
    location: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)


class ZoneImport(Base):
    """An import task: the zone it made once COMPLETE, or why not (ERROR)."""

    __tablename__ = "zone_imports"
    __table_args__ = (Index("ix_zone_imports_project", "project_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(255))
    zone_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.PENDING)
    message: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)


class TransferRequest(Base):
    """An offer to hand a zone to another project (or to whoever holds the key)."""

    __tablename__ = "zone_transfer_requests"
    __table_args__ = (
        Index("ix_zone_transfer_requests_project", "project_id", "created_at"),
        Index("ix_zone_transfer_requests_target", "target_project_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    zone_name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(255))
    target_project_id: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(160))
    key: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)


class TransferAccept(Base):
    """A project taking a zone offered to it."""

    __tablename__ = "zone_transfer_accepts"
    __table_args__ = (Index("ix_zone_transfer_accepts_project", "project_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    zone_transfer_request_id: Mapped[str] = mapped_column(String(36))
    zone_id: Mapped[str] = mapped_column(String(36))
    project_id: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.COMPLETE)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)


class SharedZone(Base):
    """A zone shared with another project: it may see the zone and add recordsets to it."""

    __tablename__ = "shared_zones"
    __table_args__ = (
        UniqueConstraint("zone_id", "target_project_id"),
        Index("ix_shared_zones_target", "target_project_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    zone_id: Mapped[str] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(String(255))
    target_project_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)


class ServiceStatus(Base):
    """One process's last heartbeat. A row per process start; stale ones are purged."""

    __tablename__ = "service_statuses"
    __table_args__ = (Index("ix_service_statuses_heartbeated_at", "heartbeated_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    service_name: Mapped[str] = mapped_column(String(64))
    hostname: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    heartbeated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)


class Quota(Base):
    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("project_id", "resource"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(32))
    hard_limit: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)
