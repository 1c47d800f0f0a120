"""Recordsets: create, read, list, replace and delete, with Designate's rules.

Every record passes the one rdata gate (`dns.rdata.canonical_rdata`); the
placement rules (inside the zone, not in a child zone, CNAME exclusivity,
SRV/TLSA owner names) and the protection of managed records live here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import dns.name
import dns.rdatatype

from zonefleet.bus.local import NoHints, ZoneHints
from zonefleet.dns.names import InvalidNameError, name_text, parse_name
from zonefleet.dns.rdata import InvalidRdataError, canonical_rdata, parse_rdtype
from zonefleet.errors import (
    BadRequestError,
    DuplicateRecordError,
    DuplicateRecordsetError,
    FieldError,
    ForbiddenError,
    InvalidObjectError,
    InvalidRecordsetLocationError,
    InvalidRecordsetNameError,
    InvalidTTLError,
    RecordsetNotFound,
)
from zonefleet.service.changes import ZoneChange, new_records, replace_records, rrset_state
from zonefleet.service.context import RequestContext
from zonefleet.service.events import api_write
from zonefleet.service.notifications import (
    NoNotifications,
    Notifier,
    recordset_payload,
    request_context,
)
from zonefleet.service.quotas import QuotaPolicy
from zonefleet.service.values import UNSET, Unset
from zonefleet.service.zones import (
    MAX_TTL,
    refuse_if_catalog,
    refuse_if_deleting,
    refuse_if_secondary,
    visible_zone,
)
from zonefleet.settings import ZoneSettings
from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database
from zonefleet.storage.filters import Page, PageRequest, RecordsetFilter
from zonefleet.storage.models import Action, Recordset, Status, Zone, new_id, utcnow
from zonefleet.storage.repositories import Repositories

_SRV_OWNER = re.compile(r"^_[a-z0-9_-]{1,62}\._[a-z0-9_-]{1,62}\.")
_TLSA_OWNER = re.compile(r"^_(\d{1,5})\._[a-z]+\.")


@dataclass(frozen=True)
class RecordsetCreate:
    name: str
    type: str
    records: Sequence[str]
    ttl: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class RecordsetUpdate:
    """A PUT: `records` replace the set whole; UNSET means "not given"."""

    records: Sequence[str] | Unset = UNSET
    ttl: int | Unset | None = UNSET
    description: str | Unset | None = UNSET


class RecordsetService:
    """Recordsets of the zones a caller may see; raises only Zonefleet errors."""

    def __init__(
        self,
        database: Database,
        settings: ZoneSettings,
        quotas: QuotaPolicy,
        hints: ZoneHints | None = None,
        notifier: Notifier | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.settings = settings
        self.quotas = quotas
        self.hints = hints or NoHints()
        self.notifier = notifier or NoNotifications()
        self.clock = clock

    @retried
    def create_recordset(
        self, ctx: RequestContext, zone_id: str, request: RecordsetCreate
    ) -> Recordset:
        ctx.require_write()
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, lock=True, shared=True)
            refuse_if_deleting(zone)
            refuse_if_catalog(zone)
            refuse_if_secondary(ctx, zone)
            name, rdtype, records = self._validated_create(zone, request)
            self._check_ttl(ctx, request.ttl)
            self._check_placement(repos, zone, name, rdtype)
            limits = self.quotas.limits(repos, zone.project_id)
            self.quotas.check(limits, "recordset_records", len(records))
            recordsets, records_in_zone = repos.recordsets.counts_in_zone(zone.id)
            self.quotas.check(limits, "zone_recordsets", recordsets + 1)
            self.quotas.check(limits, "zone_records", records_in_zone + len(records))
            # A project the zone is shared with owns what it adds; everyone else adds the owner's.
            owner = zone.project_id
            if ctx.project_id and not ctx.sees(zone.project_id):
                owner = ctx.project_id
            recordset = self._insert(
                repos, zone=zone, name=name, request=request, records=records, owner=owner
            )
            api_write(repos, ctx, zone, "recordset created", f"{recordset.name} {recordset.type}")
        self._changed(ctx, recordset, "dns.recordset.create")
        return recordset

    def get_recordset(self, ctx: RequestContext, zone_id: str, recordset_id: str) -> Recordset:
        with self.database.read() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, shared=True)
            return self._in_zone(repos, zone, recordset_id)

    def find_recordset_zone(self, ctx: RequestContext, recordset_id: str) -> str:
        """The zone id of a recordset the caller may see (for the /v2/recordsets/{id} redirect)."""
        with self.database.read() as session:
            repos = Repositories(session)
            recordset = repos.recordsets.get(recordset_id)
            if recordset is None:
                raise RecordsetNotFound()
            visible_zone(repos, ctx, recordset.zone_id, shared=True)
            return recordset.zone_id

    def list_recordsets(
        self, ctx: RequestContext, zone_id: str | None, criteria: RecordsetFilter, page: PageRequest
    ) -> Page[Recordset]:
        """Recordsets of one zone, or of every zone the caller sees when `zone_id` is None."""
        with self.database.read() as session:
            repos = Repositories(session)
            if zone_id is not None:
                visible_zone(repos, ctx, zone_id, shared=True)
            criteria = replace(
                criteria,
                zone_id=zone_id,
                project_id=ctx.visible_project() if zone_id is None else None,
                name=criteria.name.lower() if criteria.name else None,
            )
            return repos.recordsets.list(criteria, page)

    @retried
    def update_recordset(
        self, ctx: RequestContext, zone_id: str, recordset_id: str, request: RecordsetUpdate
    ) -> Recordset:
        ctx.require_write()
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, lock=True, shared=True)
            refuse_if_deleting(zone)
            refuse_if_catalog(zone)
            refuse_if_secondary(ctx, zone)
            recordset = self._in_zone(repos, zone, recordset_id)
            _refuse_if_not_owner(ctx, zone, recordset)
            self._check_updatable(ctx, zone, recordset)
            records = self._validated_update(zone, recordset, request)
            if request.ttl is not UNSET:
                self._check_ttl(ctx, request.ttl)
            if records is not None:
                limits = self.quotas.limits(repos, zone.project_id)
                self.quotas.check(limits, "recordset_records", len(records))
                others = repos.recordsets.counts_in_zone(zone.id)[1] - len(recordset.records)
                self.quotas.check(limits, "zone_records", others + len(records))
            changed = self._apply_update(repos, zone, recordset, request, records)
            if changed:
                detail = f"{recordset.name} {recordset.type}"
                api_write(repos, ctx, zone, "recordset updated", detail)
        if changed:
            self._changed(ctx, recordset, "dns.recordset.update")
        return recordset

    @retried
    def delete_recordset(self, ctx: RequestContext, zone_id: str, recordset_id: str) -> Recordset:
        """Remove the recordset; the returned copy shows action DELETE, status PENDING."""
        ctx.require_write()
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, lock=True, shared=True)
            refuse_if_deleting(zone)
            refuse_if_catalog(zone)
            refuse_if_secondary(ctx, zone)
            recordset = self._in_zone(repos, zone, recordset_id)
            _refuse_if_not_owner(ctx, zone, recordset)
            self._check_deletable(ctx, zone, recordset)
            change = self._zone_change(repos, zone)
            change.record(rrset_state(zone, recordset), None)
            change.apply()
            recordset.status, recordset.action = Status.PENDING, Action.DELETE
            recordset.serial = zone.serial
            repos.recordsets.delete(recordset)
            api_write(repos, ctx, zone, "recordset deleted", f"{recordset.name} {recordset.type}")
        self._changed(ctx, recordset, "dns.recordset.delete")
        return recordset

    def _changed(self, ctx: RequestContext, recordset: Recordset, event_type: str) -> None:
        """After the commit: wake a worker, and tell outside consumers."""
        self.hints.zone_changed(recordset.zone_id)
        self.notifier.notify(request_context(ctx), event_type, recordset_payload(recordset))

    # -- the rules, each a named check --------------------------------------------------

    @staticmethod
    def _in_zone(repos: Repositories, zone: Zone, recordset_id: str) -> Recordset:
        recordset = repos.recordsets.get(recordset_id, zone.id)
        if recordset is None:
            raise RecordsetNotFound()
        return recordset

    def _validated_create(
        self, zone: Zone, request: RecordsetCreate
    ) -> tuple[dns.name.Name, dns.rdatatype.RdataType, list[str]]:
        """Schema-level checks of a new recordset; every failing field is reported at once."""
        reasons: list[FieldError] = []
        rdtype = None
        if request.type == "SOA":
            raise BadRequestError("Creating a SOA recordset is not allowed")
        if request.type not in self.settings.supported_record_types:
            reasons.append(
                FieldError(
                    ("type",),
                    f"'{request.type}' is not a supported record type",
                    "enum",
                    list(self.settings.supported_record_types),
                )
            )
        else:
            rdtype = parse_rdtype(request.type)
        name = dns.name.root
        try:
            wildcard_ok = request.type not in ("NS", "SRV")
            name = parse_name(request.name, allow_wildcard=wildcard_ok)
        except InvalidNameError as exc:
            reasons.append(
                FieldError(
                    ("name",),
                    f"{request.name!r} is not a valid recordset name: {exc}",
                    "format",
                    "hostname",
                )
            )
        records = self._canonical(zone, rdtype, request.records, reasons) if rdtype else []
        if request.ttl is not None and not 0 <= request.ttl <= MAX_TTL:
            reasons.append(
                FieldError(
                    ("ttl",), f"{request.ttl} is out of range 0..{MAX_TTL}", "maximum", MAX_TTL
                )
            )
        if reasons:
            raise InvalidObjectError(reasons)
        assert rdtype is not None
        return name, rdtype, records

    def _validated_update(
        self, zone: Zone, recordset: Recordset, request: RecordsetUpdate
    ) -> list[str] | None:
        reasons: list[FieldError] = []
        records = None
        if request.records is not UNSET:
            rdtype = parse_rdtype(recordset.type)
            records = self._canonical(zone, rdtype, request.records, reasons)
        if isinstance(request.ttl, int) and not 0 <= request.ttl <= MAX_TTL:
            reasons.append(
                FieldError(
                    ("ttl",), f"{request.ttl} is out of range 0..{MAX_TTL}", "maximum", MAX_TTL
                )
            )
        if reasons:
            raise InvalidObjectError(reasons)
        if records is not None and recordset.type == "CNAME" and len(records) > 1:
            raise BadRequestError("CNAME recordsets may not have more than 1 record")
        return records

    @staticmethod
    def _canonical(
        zone: Zone, rdtype: dns.rdatatype.RdataType, texts: Sequence[str], reasons: list[FieldError]
    ) -> list[str]:
        """Each record through the rdata gate; a record given twice is a conflict."""
        origin = dns.name.from_text(zone.name)
        canonical: list[str] = []
        if not texts:
            reasons.append(
                FieldError(
                    ("records",),
                    "at least one record is required; delete the recordset instead",
                    "minItems",
                    1,
                )
            )
        for index, text in enumerate(texts):
            try:
                canonical.append(canonical_rdata(rdtype, text, origin))
            except InvalidRdataError as exc:
                reasons.append(
                    FieldError(
                        ("records", index), str(exc), "format", [dns.rdatatype.to_text(rdtype)]
                    )
                )
        if not reasons and len(set(canonical)) != len(canonical):
            raise DuplicateRecordError()
        return canonical

    def _check_ttl(self, ctx: RequestContext, ttl: int | Unset | None) -> None:
        if isinstance(ttl, int) and ttl < self.settings.min_ttl and not ctx.is_admin:
            raise InvalidTTLError(f"TTL is below the minimum: {self.settings.min_ttl}")

    def _check_placement(
        self, repos: Repositories, zone: Zone, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> None:
        text = name_text(name)
        zone_name = dns.name.from_text(zone.name)
        if len(text) > self.settings.max_recordset_name_len:
            raise InvalidRecordsetNameError("Name too long")
        if not name.is_subdomain(zone_name):
            raise InvalidRecordsetLocationError(
                "RecordSet is not contained within it's parent zone"
            )
        self._check_owner_name(text, rdtype)
        for child in repos.zones.child_names(zone.id):
            child_name = dns.name.from_text(child)
            delegation = rdtype == dns.rdatatype.NS and name == child_name
            if name.is_subdomain(child_name) and not delegation:
                raise InvalidRecordsetLocationError(f"RecordSet belongs in a child zone: {child}")
        at_name = repos.recordsets.types_at(zone.id, text)
        if rdtype == dns.rdatatype.CNAME:
            if name == zone_name:
                raise InvalidRecordsetLocationError(
                    "CNAME recordsets may not be created at the zone apex"
                )
            if at_name - {"CNAME"}:
                raise InvalidRecordsetLocationError(
                    "CNAME recordsets may not share a name with any other records"
                )
        elif "CNAME" in at_name:
            raise InvalidRecordsetLocationError(
                "CNAME recordsets may not share a name with any other records"
            )
        if dns.rdatatype.to_text(rdtype) in at_name:
            raise DuplicateRecordsetError()

    @staticmethod
    def _check_owner_name(text: str, rdtype: dns.rdatatype.RdataType) -> None:
        if rdtype == dns.rdatatype.SRV and not _SRV_OWNER.match(text):
            raise InvalidRecordsetNameError("SRV recordset names must be _service._proto.name.")
        if rdtype == dns.rdatatype.TLSA:
            match = _TLSA_OWNER.match(text)
            if match is None or int(match.group(1)) > 65535:
                raise InvalidRecordsetNameError("TLSA recordset names must be _port._proto.name.")

    @staticmethod
    def _check_updatable(ctx: RequestContext, zone: Zone, recordset: Recordset) -> None:
        """Designate's refusals, in its order and words; the SOA and apex NS never change here."""
        if recordset.managed and not ctx.edit_managed:
            raise BadRequestError("Managed records may not be updated")
        if recordset.type == "SOA":
            raise BadRequestError("Updating SOA recordsets is not allowed")
        if recordset.type == "NS" and recordset.name == zone.name:
            raise BadRequestError("Updating a root zone NS record is not allowed")

    @staticmethod
    def _check_deletable(ctx: RequestContext, zone: Zone, recordset: Recordset) -> None:
        if recordset.type == "SOA":
            raise BadRequestError("Deleting a SOA recordset is not allowed")
        if recordset.managed and not ctx.edit_managed:
            raise BadRequestError("Managed records may not be deleted")
        # Designate would delete the apex NS set here; a zone without it cannot be served.
        if recordset.type == "NS" and recordset.name == zone.name:
            raise BadRequestError("Deleting a root zone NS record is not allowed")

    # -- writes ---------------------------------------------------------------------------

    def _zone_change(self, repos: Repositories, zone: Zone) -> ZoneChange:
        return ZoneChange(repos, zone, repos.recordsets.soa(zone), self.clock())

    def _insert(
        self,
        repos: Repositories,
        *,
        zone: Zone,
        name: dns.name.Name,
        request: RecordsetCreate,
        records: list[str],
        owner: str,
    ) -> Recordset:
        change = self._zone_change(repos, zone)
        recordset = Recordset(
            zone_id=zone.id, project_id=owner, name=name_text(name), type=request.type,
            id=new_id(), ttl=request.ttl, description=request.description, serial=change.serial,
            status=Status.PENDING, action=Action.CREATE, managed=False,
            records=new_records(zone.id, records),
        )  # fmt: skip
        recordset.zone = zone
        repos.recordsets.insert([recordset])
        change.record(None, rrset_state(zone, recordset))
        change.apply()
        return recordset

    def _apply_update(
        self,
        repos: Repositories,
        zone: Zone,
        recordset: Recordset,
        request: RecordsetUpdate,
        records: list[str] | None,
    ) -> bool:
        """Apply the PUT; returns whether the zone's data changed (a description alone does not)."""
        change = self._zone_change(repos, zone)
        before = rrset_state(zone, recordset)
        recordset.version += 1
        recordset.updated_at = utcnow()
        if request.description is not UNSET:
            recordset.description = request.description
        if request.ttl is not UNSET:
            recordset.ttl = request.ttl
        if records is not None:
            replace_records(recordset, records)
        after = rrset_state(zone, recordset)
        if after == before:
            return False
        change.record(before, after)
        recordset.serial = change.apply()
        recordset.action = Action.UPDATE
        recordset.status = Status.PENDING
        return True


def _refuse_if_not_owner(ctx: RequestContext, zone: Zone, recordset: Recordset) -> None:
    """In a shared zone, a project the zone is shared with changes only its own recordsets."""
    if ctx.sees(zone.project_id):
        return
    if recordset.project_id != ctx.project_id:
        raise ForbiddenError("Only the zone's owner or the recordset's project may change it")
