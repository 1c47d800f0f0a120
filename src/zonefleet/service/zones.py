"""Zones: create, read, list, update and delete, with Designate's rules.

Each public method is one transaction. A create also writes the zone's SOA
and apex NS recordsets from its pool's ns_records and journals them at the
first serial.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import dns.name
import dns.rdatatype
from sqlalchemy.exc import IntegrityError

from zonefleet.bus.local import NoHints, ZoneHints
from zonefleet.dns.names import InvalidNameError, ancestors, name_text, parse_name, reverse_text
from zonefleet.dns.serial import next_serial
from zonefleet.dns.soa import InvalidEmailError, parse_email
from zonefleet.errors import (
    BadRequestError,
    DuplicateZoneError,
    FieldError,
    ForbiddenError,
    IllegalChildZoneError,
    IllegalParentZoneError,
    InvalidObjectError,
    InvalidRecordsetLocationError,
    InvalidRecordsetNameError,
    InvalidTTLError,
    InvalidZoneNameError,
    PoolNotFound,
    ZonefleetError,
    ZoneHasSubZoneError,
    ZoneNotFound,
)
from zonefleet.service import catalog
from zonefleet.service.blacklists import check_zone_not_blacklisted
from zonefleet.service.changes import (
    ZoneChange,
    managed_recordset,
    record_hash,
    rrset_state,
    soa_fields,
)
from zonefleet.service.context import RequestContext
from zonefleet.service.events import api_write
from zonefleet.service.notifications import (
    NoNotifications,
    Notifier,
    request_context,
    zone_payload,
)
from zonefleet.service.quotas import QuotaPolicy
from zonefleet.service.secondaries import canonical_masters, masters_reasons
from zonefleet.service.tlds import check_zone_under_tld
from zonefleet.service.values import UNSET, Unset
from zonefleet.settings import ZoneSettings
from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database
from zonefleet.storage.filters import Page, PageRequest, ZoneFilter
from zonefleet.storage.models import (
    DEFAULT_POOL_ID,
    Action,
    Pool,
    PoolNsRecord,
    Status,
    Zone,
    ZoneType,
    new_id,
    utcnow,
)
from zonefleet.storage.repositories import ZONE_CHANGE_COLUMNS, Repositories

MAX_TTL = 2147483647


class ZoneIsSharedError(BadRequestError):
    error_type = "zone_is_shared"
    default_message = (
        "This zone is shared with other projects: unshare it first, or delete with the "
        "X-Designate-Delete-Shares header"
    )


class NoServersConfiguredError(ZonefleetError):
    code = 500
    error_type = "no_servers_configured"
    default_message = "The pool has no ns_records; zones cannot be created in it"


@dataclass(frozen=True)
class ZoneCreate:
    name: str
    email: str | None = None
    ttl: int | None = None
    description: str | None = None
    type: str = ZoneType.PRIMARY
    masters: Sequence[str] = ()
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportedRecordset:
    """One RRset of an imported zone file, its records already through the rdata gate."""

    name: dns.name.Name
    rdtype: dns.rdatatype.RdataType
    ttl: int
    records: list[str]
    owner: str  # the name as stored (name_text), worked out once
    kind: str  # the type's mnemonic


@dataclass(frozen=True)
class ZoneUpdate:
    """Fields a PATCH may change; UNSET means "not given"."""

    email: str | Unset = UNSET
    ttl: int | Unset = UNSET
    description: str | Unset | None = UNSET
    masters: Sequence[str] | Unset = UNSET


def visible_zone(
    repos: Repositories,
    ctx: RequestContext,
    zone_id: str,
    *,
    lock: bool = False,
    shared: bool = False,
) -> Zone:
    """The zone if the caller may see it; ZoneNotFound otherwise (never a leak of existence).
    With `shared`, a project the zone is shared with sees it too.

    With `lock` its row is locked for the transaction and the zone is a snapshot whose
    changes the caller writes with `repos.zones.save`.
    """
    zone = repos.zones.lock(zone_id) if lock else repos.zones.get(zone_id)
    if zone is None:
        raise ZoneNotFound()
    if ctx.sees(zone.project_id):
        return zone
    if shared and zone.shared and repos.shares.shared_with(zone.id, ctx.project_id or ""):
        return zone
    raise ZoneNotFound()


def _update_secondary(repos: Repositories, zone: Zone, request: ZoneUpdate) -> None:
    """A SECONDARY zone's description and masters (new masters: a refresh from them now);
    its email and TTL are its primary's."""
    given: dict[str, object] = {"email": request.email, "ttl": request.ttl}
    if zone.type != ZoneType.SECONDARY:
        given = {"masters": request.masters}
    reasons = [
        FieldError((name,), f"{name} is not allowed for {zone.type} zones", "not_allowed", None)
        for name, value in given.items()
        if value is not UNSET
    ]
    if reasons:
        raise InvalidObjectError(reasons)
    if request.description is not UNSET:
        zone.description = request.description
    if request.masters is not UNSET:
        zone.masters = canonical_masters(request.masters)
        zone.next_refresh_at = utcnow()
    zone.version += 1
    zone.updated_at = utcnow()
    repos.zones.save(zone, ("description", "masters", "next_refresh_at", "version", "updated_at"))


def _check_imported(
    imported: ImportedRecordset,
    *,
    ctx: RequestContext,
    settings: ZoneSettings,
    origin: dns.name.Name,
    children: Sequence[dns.name.Name],
    types_at: dict[dns.name.Name, set[int]],
) -> None:
    text = imported.owner
    where = f"{text} {imported.kind}"
    if len(text) > settings.max_recordset_name_len:
        raise InvalidRecordsetNameError(f"{where}: Name too long")
    if imported.ttl < settings.min_ttl and not ctx.is_admin:
        raise InvalidTTLError(f"{where}: TTL is below the minimum: {settings.min_ttl}")
    if imported.rdtype == dns.rdatatype.CNAME:
        if imported.name == origin:
            raise InvalidRecordsetLocationError(
                f"{where}: CNAME recordsets may not be created at the zone apex"
            )
        if len(types_at[imported.name]) > 1:
            raise InvalidRecordsetLocationError(
                f"{where}: CNAME recordsets may not share a name with any other records"
            )
    for child in children:
        delegation = imported.rdtype == dns.rdatatype.NS and imported.name == child
        if imported.name.is_subdomain(child) and not delegation:
            raise InvalidRecordsetLocationError(f"{where}: RecordSet belongs in a child zone")


def refuse_if_deleting(zone: Zone) -> None:
    if zone.action == Action.DELETE:
        raise BadRequestError("Can not update a deleting zone")


def refuse_if_catalog(zone: Zone) -> None:
    if zone.type == ZoneType.CATALOG:
        raise BadRequestError(
            "A catalog zone is kept by its pool: change the pool's catalog_zone in pools.yaml"
        )


def refuse_if_secondary(ctx: RequestContext, zone: Zone) -> None:
    """A SECONDARY zone's recordsets come from its masters: only an admin may touch them
    (as in Designate), and the next transfer replaces what they wrote."""
    if zone.type == ZoneType.SECONDARY and not ctx.is_admin:
        raise ForbiddenError("The recordsets of a SECONDARY zone come from its masters")


class ZoneService:
    """Zones of every project; raises only Zonefleet errors."""

    def __init__(
        self,
        database: Database,
        settings: ZoneSettings,
        quotas: QuotaPolicy,
        hints: ZoneHints | None = None,
        notifier: Notifier | None = None,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.quotas = quotas
        self.hints = hints or NoHints()
        self.notifier = notifier or NoNotifications()
        self.clock = clock
        self.rng = rng or random.Random()

    @retried
    def create_zone(
        self,
        ctx: RequestContext,
        request: ZoneCreate,
        *,
        recordsets: Sequence[ImportedRecordset] = (),
    ) -> Zone:
        """The new zone, with `recordsets` (an import's) in the same transaction."""
        ctx.require_write()
        project_id = self._project(ctx)
        name, email, ttl = self._validated_create(request)
        self._check_name_rules(name)
        self._check_ttl(ctx, ttl)
        try:
            with self.database.write() as session:
                repos = Repositories(session)
                self._check_zone_quota(repos, project_id)
                check_zone_under_tld(repos, name)
                check_zone_not_blacklisted(repos, ctx, name)
                ns_hosts = self._ns_hostnames(repos, DEFAULT_POOL_ID)
                live = self._live_at_and_above(repos, name)
                previous_serial = self._release_deleting(repos, live, name)
                parent, below = self._check_ownership(repos, project_id, name, live)
                zone = self._insert_zone(
                    repos, project_id=project_id, pool_id=DEFAULT_POOL_ID, ns_hosts=ns_hosts,
                    name=name, email=email, ttl=ttl, request=request,
                    parent_zone_id=parent.id if parent else None, previous_serial=previous_serial,
                )  # fmt: skip
                self._adopt_subzones(repos, zone, below)
                if recordsets:
                    self._insert_imported(
                        ctx, repos, zone, recordsets, below=below, ns_count=len(ns_hosts)
                    )
                catalog_id = catalog.add_member(repos, zone, self.clock())
                api_write(repos, ctx, zone, "zone created", zone.name)
        except IntegrityError:
            raise DuplicateZoneError() from None
        self._changed(ctx, zone, "dns.zone.create", catalog_id)
        return zone

    def get_zone(self, ctx: RequestContext, zone_id: str) -> Zone:
        with self.database.read() as session:
            return visible_zone(Repositories(session), ctx, zone_id, shared=True)

    def list_zones(
        self, ctx: RequestContext, criteria: ZoneFilter, page: PageRequest
    ) -> Page[Zone]:
        criteria = replace(
            criteria,
            project_id=ctx.visible_project(),
            name=criteria.name.lower() if criteria.name else None,
        )
        with self.database.read() as session:
            return Repositories(session).zones.list(criteria, page)

    @retried
    def update_zone(self, ctx: RequestContext, zone_id: str, request: ZoneUpdate) -> Zone:
        ctx.require_write()
        reasons = []
        if request.email is not UNSET:
            try:
                parse_email(request.email)
            except InvalidEmailError as exc:
                reasons.append(FieldError(("email",), str(exc), "format", "email"))
        if request.ttl is not UNSET and not 0 <= request.ttl <= MAX_TTL:
            reasons.append(
                FieldError(
                    ("ttl",), f"{request.ttl} is out of range 0..{MAX_TTL}", "maximum", MAX_TTL
                )
            )
        if request.masters is not UNSET:
            reasons += masters_reasons(request.masters)
        if reasons:
            raise InvalidObjectError(reasons)
        if request.ttl is not UNSET:
            self._check_ttl(ctx, request.ttl)
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, lock=True)
            refuse_if_deleting(zone)
            refuse_if_catalog(zone)
            if zone.type == ZoneType.SECONDARY or request.masters is not UNSET:
                _update_secondary(repos, zone, request)
            else:
                self._apply_update(repos, zone, request)
            api_write(repos, ctx, zone, "zone updated", zone.name)
        self._changed(ctx, zone, "dns.zone.update")
        return zone

    @retried
    def delete_zone(self, ctx: RequestContext, zone_id: str) -> Zone:
        """Mark the zone for removal from every target (action DELETE, status PENDING)."""
        ctx.require_write()
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, lock=True)
            if zone.action == Action.DELETE:
                return zone
            refuse_if_catalog(zone)
            if repos.zones.has_children(zone.id):
                raise ZoneHasSubZoneError()
            if zone.shared:
                if not ctx.delete_shares:
                    raise ZoneIsSharedError()
                repos.shares.delete_for_zone(zone.id)
                repos.zones.set_shared(zone.id, False)
            zone.action = Action.DELETE
            zone.status = Status.PENDING
            zone.version += 1
            zone.updated_at = utcnow()
            zone.hard_delete = ctx.hard_delete
            repos.zones.save(zone, (*ZONE_CHANGE_COLUMNS, "hard_delete"))
            catalog_id = catalog.remove_member(repos, zone, self.clock())
            how = " (hard delete: targets remove its files too)" if ctx.hard_delete else ""
            api_write(repos, ctx, zone, "zone deleted", zone.name + how)
        self._changed(ctx, zone, "dns.zone.delete", catalog_id)
        return zone

    @retried
    def transfer_now(self, ctx: RequestContext, zone_id: str) -> None:
        """Designate's `xfr` task: a SECONDARY zone is due a refresh from its masters now (a
        worker's refresher takes it on the hint); other zones get Designate's refusal."""
        ctx.require_write()
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, lock=True)
            if zone.type != ZoneType.SECONDARY:
                raise BadRequestError("Can't XFR a non Secondary zone.")
            zone.next_refresh_at = utcnow()
            repos.zones.save(zone, ("next_refresh_at",))
            api_write(repos, ctx, zone, "transfer asked", ", ".join(zone.masters))
        self.hints.zone_changed(zone.id)

    @retried
    def abandon_zone(self, ctx: RequestContext, zone_id: str) -> None:
        """Forget the zone in the database only (admin): no target or nameserver is told,
        so they keep serving what they hold until it expires, as in Designate. A pool's
        catalog keeps its entry too: dropping it would make catalog consumers drop the zone."""
        ctx.require_admin("abandon_zone")
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, lock=True)
            refuse_if_catalog(zone)
            if repos.zones.has_children(zone.id):
                raise ZoneHasSubZoneError()
            now = utcnow()
            zone.deleted, zone.deleted_at, zone.updated_at = zone.id, now, now
            zone.status, zone.action = Status.DELETED, Action.NONE
            repos.zones.save(zone, ("deleted", "deleted_at", "updated_at", "status", "action"))
            repos.zones.forget_propagation(zone.id)
            api_write(repos, ctx, zone, "zone abandoned", zone.name)

    def _changed(
        self, ctx: RequestContext, zone: Zone, event_type: str, catalog_id: str | None = None
    ) -> None:
        """After the commit: wake a worker (for the pool's catalog too when it changed), and
        tell outside consumers."""
        self.hints.zone_changed(zone.id)
        if catalog_id is not None:
            self.hints.zone_changed(catalog_id)
        self.notifier.notify(request_context(ctx), event_type, zone_payload(zone))

    def list_nameservers(self, ctx: RequestContext, zone_id: str) -> Sequence[PoolNsRecord]:
        with self.database.read() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id)
            return list(self._pool(repos, zone.pool_id).ns_records)

    # -- the rules, each a named check --------------------------------------------------

    @staticmethod
    def _project(ctx: RequestContext) -> str:
        if not ctx.project_id:
            raise BadRequestError("A project ID is required to create a zone")
        return ctx.project_id

    def _validated_create(self, request: ZoneCreate) -> tuple[dns.name.Name, str, int]:
        """Schema-level checks; every failing field is reported at once."""
        reasons: list[FieldError] = []
        name = dns.name.root
        try:
            name = parse_name(request.name)
        except InvalidNameError as exc:
            reasons.append(
                FieldError(
                    ("name",),
                    f"{request.name!r} is not a valid zone name: {exc}",
                    "format",
                    "domainname",
                )
            )
        kinds = [ZoneType.PRIMARY.value, ZoneType.SECONDARY.value]
        if request.type not in kinds:
            reasons.append(
                FieldError(("type",), f"{request.type!r} zones are not supported", "enum", kinds)
            )
        if request.type == ZoneType.SECONDARY:
            return self._validated_secondary(request, name, reasons)
        if request.masters:
            reasons.append(
                FieldError(
                    ("masters",),
                    "masters are only allowed for SECONDARY zones",
                    "not_allowed",
                    None,
                )
            )
        if request.email is None:
            reasons.append(
                FieldError(("email",), "'email' is a required property", "required", True)
            )
        else:
            try:
                parse_email(request.email)
            except InvalidEmailError as exc:
                reasons.append(FieldError(("email",), str(exc), "format", "email"))
        ttl = self.settings.default_ttl if request.ttl is None else request.ttl
        if not 0 <= ttl <= MAX_TTL:
            reasons.append(
                FieldError(("ttl",), f"{ttl} is out of range 0..{MAX_TTL}", "maximum", MAX_TTL)
            )
        if reasons:
            raise InvalidObjectError(reasons)
        assert request.email is not None
        return name, request.email, ttl

    def _validated_secondary(
        self, request: ZoneCreate, name: dns.name.Name, reasons: list[FieldError]
    ) -> tuple[dns.name.Name, str, int]:
        """A SECONDARY zone: masters required; its email and TTL are the primary's business
        (Designate refuses them and sets its managed email)."""
        reasons.extend(masters_reasons(request.masters))
        for field_name, given in (("email", request.email), ("ttl", request.ttl)):
            if given is not None:
                reasons.append(
                    FieldError(
                        (field_name,), f"{field_name} is not allowed for SECONDARY zones",
                        "not_allowed", None,
                    )
                )  # fmt: skip
        if reasons:
            raise InvalidObjectError(reasons)
        return name, self.settings.managed_resource_email, self.settings.default_ttl

    def _check_name_rules(self, name: dns.name.Name) -> None:
        if len(name.labels) < 3:
            raise InvalidZoneNameError("More than one label is required")
        if len(name_text(name)) > self.settings.max_zone_name_len:
            raise InvalidZoneNameError("Name too long")

    def _check_ttl(self, ctx: RequestContext, ttl: int) -> None:
        if ttl < self.settings.min_ttl and not ctx.is_admin:
            raise InvalidTTLError(f"TTL is below the minimum: {self.settings.min_ttl}")

    def _check_zone_quota(self, repos: Repositories, project_id: str) -> None:
        limits = self.quotas.limits(repos, project_id)
        if self.quotas.limited(limits, "zones"):
            wanted = repos.zones.count_for_project(project_id) + 1
            self.quotas.check(limits, "zones", wanted)

    @staticmethod
    def _pool(repos: Repositories, pool_id: str) -> Pool:
        pool = repos.pools.get(pool_id)
        if pool is None:
            raise PoolNotFound()
        if not pool.ns_records:
            raise NoServersConfiguredError()
        return pool

    @staticmethod
    def _ns_hostnames(repos: Repositories, pool_id: str) -> list[str]:
        """The hostnames a new zone's NS recordset lists (the first is its SOA MNAME)."""
        hostnames = repos.pools.ns_hostnames(pool_id)
        if hostnames is None:
            raise PoolNotFound()
        if not hostnames:
            raise NoServersConfiguredError()
        return hostnames

    @staticmethod
    def _live_at_and_above(repos: Repositories, name: dns.name.Name) -> list[Zone]:
        """Live zones named `name` or one of its ancestors (one query for the checks below)."""
        names = [name_text(name)] + [name_text(parent) for parent in ancestors(name)]
        return repos.zones.live_by_names(names)

    @staticmethod
    def _release_deleting(repos: Repositories, live: list[Zone], name: dns.name.Name) -> int:
        """A zone of this name still being removed from its targets gives the name up
        (and leaves `live`).

        Returns its serial (0 if none): the new zone starts above it, so nameservers
        that still hold the old zone transfer the new one instead of keeping theirs.
        """
        text = name_text(name)
        old = next((z for z in live if z.name == text and z.action == Action.DELETE), None)
        if old is None:
            return 0
        live.remove(old)
        old.deleted, old.deleted_at = old.id, utcnow()
        repos.zones.save(old, ("deleted", "deleted_at"))
        return old.serial

    @staticmethod
    def _check_ownership(
        repos: Repositories, project_id: str, name: dns.name.Name, live: Sequence[Zone]
    ) -> tuple[Zone | None, Sequence[Zone]]:
        """Refuse a name another project holds, or a zone above or below one of theirs.

        `live` holds the live zones at and above the name. Returns the nearest parent
        zone (same project, if any) and the zones below.
        """
        text = name_text(name)
        above = [name_text(parent) for parent in ancestors(name)]
        found = {zone.name: zone for zone in live}
        if text in found:
            same = found[text].project_id == project_id
            raise DuplicateZoneError(
                None if same else "Zone already exists, owned by a different tenant"
            )
        parent = next((found[candidate] for candidate in above if candidate in found), None)
        if parent is not None and parent.project_id != project_id:
            raise IllegalChildZoneError()
        below = repos.zones.live_descendants(reverse_text(name))
        if any(zone.project_id != project_id for zone in below):
            raise IllegalParentZoneError()
        return parent, below

    def _insert_zone(
        self,
        repos: Repositories,
        *,
        project_id: str,
        pool_id: str,
        ns_hosts: list[str],
        name: dns.name.Name,
        email: str,
        ttl: int,
        request: ZoneCreate,
        parent_zone_id: str | None,
        previous_serial: int,
    ) -> Zone:
        settings = self.settings
        zone = Zone(
            id=new_id(), parent_zone_id=parent_zone_id, project_id=project_id, pool_id=pool_id,
            name=name_text(name), reverse_name=reverse_text(name), email=email, ttl=ttl,
            serial=next_serial(previous_serial, self.clock()),
            refresh=self.rng.randint(settings.soa_refresh_min, settings.soa_refresh_max),
            retry=settings.soa_retry, expire=settings.soa_expire, minimum=settings.soa_minimum,
            type=request.type, status=Status.PENDING, action=Action.CREATE,
            description=request.description, attributes=dict(request.attributes), masters=[],
        )  # fmt: skip
        if request.type == ZoneType.SECONDARY:
            # Its content, SOA included, comes from its masters: nothing until the first
            # transfer, which the worker makes at once (and mdns serves nothing before).
            zone.serial, zone.masters = 1, canonical_masters(request.masters)
            zone.next_refresh_at = utcnow()
            repos.zones.insert(zone)
            return zone
        repos.zones.insert(zone)
        soa = managed_recordset(zone, "SOA", [soa_fields(zone, ns_hosts[0], zone.serial).text()])
        ns = managed_recordset(zone, "NS", ns_hosts)
        repos.recordsets.insert([soa, ns])
        ZoneChange(repos, zone, soa, self.clock()).journal_created([soa, ns])
        return zone

    def _insert_imported(
        self,
        ctx: RequestContext,
        repos: Repositories,
        zone: Zone,
        recordsets: Sequence[ImportedRecordset],
        *,
        below: Sequence[Zone],
        ns_count: int,
    ) -> None:
        """Every imported RRset checked as an API write would be (name length, TTL, CNAME
        placement, subzones, quotas), then written in one statement per table."""
        origin = dns.name.from_text(zone.name)
        children = [dns.name.from_text(child.name) for child in below]
        types_at: dict[dns.name.Name, set[int]] = {}
        for imported in recordsets:
            types_at.setdefault(imported.name, set()).add(imported.rdtype)
        for imported in recordsets:
            _check_imported(imported, ctx=ctx, settings=self.settings, origin=origin,
                            children=children, types_at=types_at)  # fmt: skip
        limits = self.quotas.limits(repos, zone.project_id)
        self.quotas.check(limits, "recordset_records", max(len(r.records) for r in recordsets))
        self.quotas.check(limits, "zone_recordsets", len(recordsets) + 2)
        total = sum(len(imported.records) for imported in recordsets)
        self.quotas.check(limits, "zone_records", total + ns_count + 1)
        now = utcnow()
        recordset_rows, record_rows = [], []
        for imported in recordsets:
            recordset_id = new_id()
            recordset_rows.append({
                "id": recordset_id, "zone_id": zone.id, "project_id": zone.project_id,
                "name": imported.owner, "reverse_name": reverse_text(imported.name),
                "type": imported.kind,
                "ttl": imported.ttl, "description": None, "serial": zone.serial,
                "status": Status.PENDING, "action": Action.CREATE, "managed": False,
                "version": 1, "created_at": now, "updated_at": None,
            })  # fmt: skip
            record_rows += [
                {"id": new_id(), "recordset_id": recordset_id, "zone_id": zone.id,
                 "data": data, "hash": record_hash(data), "created_at": now}
                for data in imported.records
            ]  # fmt: skip
        repos.recordsets.insert_rows(recordset_rows, record_rows)

    @staticmethod
    def _adopt_subzones(repos: Repositories, zone: Zone, below: Sequence[Zone]) -> None:
        """Zones below the new one whose nearest parent was above it now have it as parent."""
        adopted = [
            child.id for child in below if child.parent_zone_id in (None, zone.parent_zone_id)
        ]
        repos.zones.set_parent(adopted, zone.id)

    def _apply_update(self, repos: Repositories, zone: Zone, request: ZoneUpdate) -> None:
        if request.description is not UNSET:
            zone.description = request.description
        email = None if request.email is UNSET or request.email == zone.email else request.email
        ttl = None if request.ttl is UNSET or request.ttl == zone.ttl else request.ttl
        if email is None and ttl is None:
            zone.version += 1
            zone.updated_at = utcnow()
            repos.zones.save(zone, ("description", "version", "updated_at"))
            return
        change = ZoneChange(repos, zone, repos.recordsets.soa(zone), self.clock())
        inheriting = [rs for rs in repos.recordsets.inheriting_ttl(zone.id) if rs.type != "SOA"]
        before = [rrset_state(zone, rs) for rs in inheriting]
        if email is not None:
            zone.email = email
        if ttl is not None:
            zone.ttl = ttl
        for old, recordset in zip(before, inheriting, strict=True):
            change.record(old, rrset_state(zone, recordset))
        repos.zones.save(zone, ("description", "email", "ttl"))
        change.apply()
