"""FastAPI dependencies shared by the routes: services, context, JSON bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from zonefleet.api.context import request_context
from zonefleet.api.paging import base_uri
from zonefleet.errors import UnsupportedContentTypeError
from zonefleet.service.blacklists import BlacklistService
from zonefleet.service.context import RequestContext
from zonefleet.service.exports import ExportService
from zonefleet.service.imports import ImportService
from zonefleet.service.pools import PoolService
from zonefleet.service.propagation import PropagationService
from zonefleet.service.quotas import QuotaService
from zonefleet.service.recordsets import RecordsetService
from zonefleet.service.service_statuses import ServiceStatusService
from zonefleet.service.shares import ShareService
from zonefleet.service.timeline import TimelineService
from zonefleet.service.tlds import TldService
from zonefleet.service.transfers import TransferService
from zonefleet.service.tsigkeys import TsigKeyService
from zonefleet.service.zones import ZoneService
from zonefleet.settings import ApiSettings
from zonefleet.storage.database import Database


@dataclass(frozen=True)
class ApiServices:
    """What the API role calls; assembled by `cli/`."""

    settings: ApiSettings
    database: Database
    zones: ZoneService
    recordsets: RecordsetService
    propagation: PropagationService
    timeline: TimelineService
    service_statuses: ServiceStatusService
    tsigkeys: TsigKeyService
    tlds: TldService
    blacklists: BlacklistService
    quotas: QuotaService
    pools: PoolService
    exports: ExportService
    imports: ImportService
    transfers: TransferService
    shares: ShareService


# The dependencies are coroutines though they never await: FastAPI runs a plain function
# dependency in the thread pool, a thread hop per dependency and request.


async def services(request: Request) -> ApiServices:
    found: ApiServices = request.app.state.services
    return found


async def base(request: Request) -> str:
    found: ApiServices = request.app.state.services
    return base_uri(request, found.settings)


async def json_content(request: Request) -> None:
    """415 unless the body is JSON; an empty body is left to the empty-body check."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return
    if not media and not await request.body():
        return
    raise UnsupportedContentTypeError()


Services = Annotated[ApiServices, Depends(services)]
Context = Annotated[RequestContext, Depends(request_context)]
Base = Annotated[str, Depends(base)]
JsonBody = [Depends(json_content)]
