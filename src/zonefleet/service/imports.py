"""Zone imports (Designate's /v2/zones/tasks/imports): a master file becomes a zone and its
recordsets in one transaction, or an ERROR task saying why, with nothing else changed.

The file is read by dnspython's zone reader ($ORIGIN first, as Designate requires; $TTL,
relative names, multi-string TXT), which parses every record; each is written in the
canonical form the rdata gate gives an API write. The file's SOA gives the zone its email
and TTL; the SOA and apex NS themselves are made anew from the pool, as for any zone. The
task is done when the request answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.tokenizer
import dns.zone
import dns.zonefile

from zonefleet.dns.names import name_text
from zonefleet.errors import InvalidObjectError, ZonefleetError, ZoneImportNotFound
from zonefleet.service.context import RequestContext
from zonefleet.service.tasks import visible_task
from zonefleet.service.zones import ImportedRecordset, ZoneCreate, ZoneService
from zonefleet.settings import ZoneSettings
from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database
from zonefleet.storage.filters import Page, PageRequest, ZoneTaskFilter
from zonefleet.storage.models import TaskStatus, ZoneImport, new_id
from zonefleet.storage.repositories import ZoneTaskRepository

ORIGIN_REQUIRED = (
    "The $ORIGIN statement is required and must be the first statement in the zonefile."
)
# The first statement and its first argument: blank lines and comments may come before it.
# A line with an SOA record of class IN, outside comments and quoted text.
_SOA_LINE = re.compile(r'^[^;"\n]*\bIN\s+SOA\b', re.IGNORECASE | re.MULTILINE)
_FIRST_STATEMENT = re.compile(r"\A(?:[ \t]*(?:;[^\n]*)?\r?\n)*[ \t]*(\S+)[ \t]*([^\s;]*)")


class _StrictReader(dns.zonefile.Reader):
    """dnspython's zone reader, but a record outside the zone is an error, not skipped."""

    def _eat_line(self) -> None:
        raise ZoneFileError(
            f"Malformed zonefile: line {self.tok.line_number}: {self.last_name} is outside "
            f"the zone {self.zone_origin}"
        )


class ZoneFileError(ValueError):
    """The file cannot become a zone; the message is the task's."""


@dataclass(frozen=True)
class ParsedZone:
    name: str
    email: str
    ttl: int
    recordsets: list[ImportedRecordset]


def parse_zone_file(text: str, supported_types: Sequence[str]) -> ParsedZone:
    """The zone a master file describes; ZoneFileError naming what is wrong (and the line,
    where the reader says it)."""
    first = _FIRST_STATEMENT.match(text)
    if first is None or first.group(1).upper() != "$ORIGIN" or not first.group(2):
        raise ZoneFileError(ORIGIN_REQUIRED)
    _refuse_second_soa(text)
    try:
        origin = dns.name.from_text(first.group(2))
        zone = dns.zone.Zone(origin, relativize=False)
        with zone.writer(replacement=True) as txn:
            reader = _StrictReader(dns.tokenizer.Tokenizer(text), dns.rdataclass.IN, txn)
            reader.read()
    except dns.exception.SyntaxError as exc:
        where = str(exc).replace("<string>:", "line ", 1)
        raise ZoneFileError(f"Malformed zonefile: {where}") from None
    except (dns.exception.DNSException, ValueError, KeyError) as exc:
        raise ZoneFileError(f"Malformed zonefile: {exc or type(exc).__name__}") from None
    soa = zone.get_rdataset(origin, dns.rdatatype.SOA)
    if soa is None:
        raise ZoneFileError("An SOA record is required.")
    recordsets: list[ImportedRecordset] = []
    for name, node in zone.nodes.items():
        for rdataset in node.rdatasets:
            rdtype = rdataset.rdtype
            if rdtype == dns.rdatatype.SOA or (rdtype == dns.rdatatype.NS and name == origin):
                continue  # made anew from the pool
            kind = dns.rdatatype.to_text(rdtype)
            if kind not in supported_types:
                raise ZoneFileError(f"{name} {kind}: {kind} records are not supported")
            # The reader parsed each record already: its text, names absolute, is canonical.
            records = sorted(rdata.to_text(origin=None, relativize=False) for rdata in rdataset)
            recordsets.append(
                ImportedRecordset(name, rdtype, rdataset.ttl, records, name_text(name), kind)
            )
    return ParsedZone(origin.to_text(), _email(soa[0].rname), soa.ttl, recordsets)


def _refuse_second_soa(text: str) -> None:
    """dnspython keeps only the last of several SOA records; the file must have one."""
    if len(_SOA_LINE.findall(text)) > 1:
        raise ZoneFileError("Only one SOA record is allowed.")


def _email(rname: dns.name.Name) -> str:
    """hostmaster.example.org. → hostmaster@example.org (the first label is the mailbox)."""
    labels = [label.decode() for label in rname.labels if label]
    return f"{labels[0]}@{'.'.join(labels[1:])}" if len(labels) > 1 else labels[0]


class ImportService:
    """Imports are the project's: seen and deleted by it (or by all-projects admins)."""

    def __init__(self, database: Database, zones: ZoneService, settings: ZoneSettings) -> None:
        self.database = database
        self.zones = zones
        self.settings = settings

    def import_zone(
        self, ctx: RequestContext, text: str, attributes: dict[str, str] | None = None
    ) -> ZoneImport:
        """The finished task: COMPLETE with its zone, or ERROR with the reason."""
        ctx.require_write()
        task = ZoneImport(id=new_id(), project_id=ctx.project_id or "", zone_id=None)
        try:
            parsed = parse_zone_file(text, self.settings.supported_record_types)
            request = ZoneCreate(name=parsed.name, email=parsed.email, ttl=parsed.ttl,
                                 attributes=dict(attributes or {}))  # fmt: skip
            zone = self.zones.create_zone(ctx, request, recordsets=parsed.recordsets)
        except ZoneFileError as exc:
            task.status, task.message = TaskStatus.ERROR, str(exc)
        except ZonefleetError as exc:
            task.status, task.message = TaskStatus.ERROR, _said(exc)
        else:
            task.status, task.zone_id = TaskStatus.COMPLETE, zone.id
            task.message = f"{zone.name} imported"
        self._store(task)
        return task

    @retried
    def _store(self, task: ZoneImport) -> None:
        """The finished task, in a transaction of its own: the zone (if any) is committed
        already, so only this write runs again when it loses a conflict."""
        with self.database.write() as session:
            ZoneTaskRepository(session, ZoneImport).add(task)

    def find_imports(
        self, ctx: RequestContext, criteria: ZoneTaskFilter, page: PageRequest
    ) -> Page[ZoneImport]:
        criteria = replace(criteria, project_id=ctx.visible_project())
        with self.database.read() as session:
            return ZoneTaskRepository(session, ZoneImport).list(criteria, page)

    def get_import(self, ctx: RequestContext, import_id: str) -> ZoneImport:
        with self.database.read() as session:
            return visible_task(
                ZoneTaskRepository(session, ZoneImport), ctx, import_id, ZoneImportNotFound
            )

    @retried
    def delete_import(self, ctx: RequestContext, import_id: str) -> None:
        ctx.require_write()
        with self.database.write() as session:
            imports = ZoneTaskRepository(session, ZoneImport)
            imports.delete(visible_task(imports, ctx, import_id, ZoneImportNotFound))


def _said(exc: ZonefleetError) -> str:
    """The error in a task's words: Designate's "Duplicate zone." for a taken name."""
    if exc.error_type == "duplicate_zone":
        return "Duplicate zone."
    if isinstance(exc, InvalidObjectError):
        return "; ".join(
            f"{'.'.join(map(str, r.path)) or 'zone'}: {r.message}" for r in exc.reasons
        )
    return exc.message or exc.error_type
