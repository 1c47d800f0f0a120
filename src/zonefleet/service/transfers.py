"""Zone transfers between projects (Designate's transfer requests and accepts).

The owner makes a request, for one project or for whoever has its key; accepting it with the
key (compared in constant time) moves the zone and every recordset of it to the accepting
project in one transaction, and uses the request up. The receiver's zone quota applies.
"""

from __future__ import annotations

import hmac
import secrets
import string
from dataclasses import dataclass

from zonefleet.errors import (
    BadRequestError,
    DuplicateZoneTransferRequestError,
    InvalidKeyError,
    InvalidZoneTransferRequestError,
    ZoneTransferAcceptNotFound,
    ZoneTransferRequestNotFound,
)
from zonefleet.service.context import RequestContext
from zonefleet.service.events import api_write
from zonefleet.service.quotas import QuotaPolicy
from zonefleet.service.zones import refuse_if_catalog, refuse_if_deleting, visible_zone
from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database
from zonefleet.storage.filters import Page, PageRequest
from zonefleet.storage.models import (
    TaskStatus,
    TransferAccept,
    TransferRequest,
    Zone,
    new_id,
    utcnow,
)
from zonefleet.storage.repositories import Repositories

ACTIVE, COMPLETE = "ACTIVE", "COMPLETE"
KEY_ALPHABET = string.ascii_uppercase + string.digits
KEY_LENGTH = 8


@dataclass(frozen=True)
class Seen:
    """A request as one caller may see it: the owner in full, a receiver reduced."""

    request: TransferRequest
    full: bool


def new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


class TransferService:
    """Raises only Zonefleet errors."""

    def __init__(self, database: Database, quotas: QuotaPolicy) -> None:
        self.database = database
        self.quotas = quotas

    @retried
    def create_request(
        self,
        ctx: RequestContext,
        zone_id: str,
        target_project_id: str | None,
        description: str | None,
    ) -> TransferRequest:
        ctx.require_write()
        with self.database.write() as session:
            repos = Repositories(session)
            zone = visible_zone(repos, ctx, zone_id, lock=True)
            refuse_if_deleting(zone)
            refuse_if_catalog(zone)
            _refuse_if_shared(zone)
            if target_project_id == zone.project_id:
                raise BadRequestError("A zone cannot be transferred to the project owning it")
            if repos.transfers.active_request_for(zone.id) is not None:
                raise DuplicateZoneTransferRequestError()
            request = TransferRequest(
                id=new_id(), zone_id=zone.id, zone_name=zone.name, project_id=zone.project_id,
                target_project_id=target_project_id, description=description, key=new_key(),
                status=ACTIVE,
            )  # fmt: skip
            repos.transfers.add(request)
            api_write(repos, ctx, zone, "transfer requested", target_project_id or "any project")
        return request

    def find_requests(
        self, ctx: RequestContext, status: str | None, page: PageRequest
    ) -> Page[TransferRequest]:
        """The requests the caller's project made or is offered (all, for all-projects)."""
        with self.database.read() as session:
            return Repositories(session).transfers.requests(ctx.visible_project(), status, page)

    def get_request(self, ctx: RequestContext, request_id: str) -> Seen:
        with self.database.read() as session:
            return _seen(Repositories(session), ctx, request_id)

    @retried
    def update_request(
        self, ctx: RequestContext, request_id: str, description: str | None
    ) -> TransferRequest:
        """Only the description may change, and only by the owner."""
        ctx.require_write()
        with self.database.write() as session:
            seen = _seen(Repositories(session), ctx, request_id)
            if not seen.full:
                raise ZoneTransferRequestNotFound()
            seen.request.description = description
            session.flush()
            return seen.request

    @retried
    def delete_request(self, ctx: RequestContext, request_id: str) -> None:
        ctx.require_write()
        with self.database.write() as session:
            repos = Repositories(session)
            seen = _seen(repos, ctx, request_id)
            if not seen.full:
                raise ZoneTransferRequestNotFound()
            repos.transfers.delete(seen.request)

    @retried
    def accept(self, ctx: RequestContext, request_id: str, key: str) -> TransferAccept:
        """Move the zone to the caller's project; the request is used up."""
        ctx.require_write()
        project_id = ctx.project_id or ""
        with self.database.write() as session:
            repos = Repositories(session)
            seen = _seen(repos, ctx, request_id)
            request = seen.request
            if request.project_id == project_id:
                raise BadRequestError("A project cannot accept its own zone transfer request")
            if request.status != ACTIVE:
                raise InvalidZoneTransferRequestError("Zone Transfer Request has been used")
            if not hmac.compare_digest(key.encode(), request.key.encode()):
                raise InvalidKeyError()
            zone = repos.zones.lock(request.zone_id)
            if zone is None:
                raise ZoneTransferRequestNotFound()
            refuse_if_deleting(zone)
            _refuse_if_shared(zone)
            limits = self.quotas.limits(repos, project_id)
            if self.quotas.limited(limits, "zones"):
                self.quotas.check(limits, "zones", repos.zones.count_for_project(project_id) + 1)
            now = utcnow()
            repos.transfers.change_owner(zone.id, project_id, now)
            request.status = COMPLETE
            accept = TransferAccept(
                id=new_id(), zone_transfer_request_id=request.id, zone_id=zone.id,
                project_id=project_id, key=request.key, status=TaskStatus.COMPLETE,
            )  # fmt: skip
            repos.transfers.add(accept)
            api_write(repos, ctx, zone, "transferred", f"from {request.project_id} to {project_id}")
        return accept

    def find_accepts(
        self, ctx: RequestContext, status: str | None, page: PageRequest
    ) -> Page[TransferAccept]:
        ctx.require_admin("find_zone_transfer_accepts")
        with self.database.read() as session:
            return Repositories(session).transfers.accepts(status, page)

    def get_accept(self, ctx: RequestContext, accept_id: str) -> TransferAccept:
        with self.database.read() as session:
            accept = Repositories(session).transfers.accept(accept_id)
        if accept is None or not ctx.sees(accept.project_id):
            raise ZoneTransferAcceptNotFound()
        return accept


def _refuse_if_shared(zone: Zone) -> None:
    """A shared zone's guests hold recordsets in it: its owner unshares it before handing it on."""
    if zone.shared:
        raise BadRequestError("A shared zone cannot be transferred: unshare it first")


def _seen(repos: Repositories, ctx: RequestContext, request_id: str) -> Seen:
    """The request as the caller may see it; ZoneTransferRequestNotFound when not at all."""
    request = repos.transfers.request(request_id)
    if request is None:
        raise ZoneTransferRequestNotFound()
    if ctx.sees(request.project_id):
        return Seen(request, full=True)
    if request.target_project_id in (None, ctx.project_id):
        return Seen(request, full=False)
    raise ZoneTransferRequestNotFound()
