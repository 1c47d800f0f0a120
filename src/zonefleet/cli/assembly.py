"""Builds the services of each role from settings (the one place that wires them)."""

from __future__ import annotations

from zonefleet.api.deps import ApiServices
from zonefleet.bus.amqp import AmqpBus
from zonefleet.bus.local import LocalBus, ZoneHints
from zonefleet.bus.notifications import OsloNotifier
from zonefleet.service.blacklists import BlacklistService
from zonefleet.service.exports import ExportService
from zonefleet.service.imports import ImportService
from zonefleet.service.notifications import NoNotifications, Notifier
from zonefleet.service.pools import PoolService
from zonefleet.service.propagation import PropagationService
from zonefleet.service.quotas import QuotaPolicy, QuotaService
from zonefleet.service.recordsets import RecordsetService
from zonefleet.service.service_statuses import ServiceStatusService
from zonefleet.service.shares import ShareService
from zonefleet.service.timeline import TimelineService
from zonefleet.service.tlds import TldService
from zonefleet.service.transfers import TransferService
from zonefleet.service.tsigkeys import TsigKeyService
from zonefleet.service.zones import ZoneService
from zonefleet.settings import Settings
from zonefleet.storage.database import Database


def database(settings: Settings) -> Database:
    return Database(
        settings.database_url,
        pool_size=settings.database.pool_size,
        echo=settings.database.echo,
        timeline=settings.timeline.enabled,
    )


def bus(settings: Settings) -> LocalBus | AmqpBus:
    """The in-process bus for `memory://`, RabbitMQ otherwise (connecting in the background)."""
    return LocalBus() if settings.bus.in_process else AmqpBus(settings.bus)


def notifier(settings: Settings) -> OsloNotifier | NoNotifications:
    """Designate's notifications over RabbitMQ when enabled (connecting in the background)."""
    if not settings.notifications.enabled:
        return NoNotifications()
    return OsloNotifier(settings.notifications, settings.bus)


def api_services(
    settings: Settings,
    db: Database,
    hints: ZoneHints | None = None,
    notifications: Notifier | None = None,
) -> ApiServices:
    quotas = QuotaPolicy(settings.quotas)
    zones = ZoneService(db, settings.zones, quotas, hints, notifications)
    return ApiServices(
        settings=settings.api,
        database=db,
        zones=zones,
        recordsets=RecordsetService(db, settings.zones, quotas, hints, notifications),
        propagation=PropagationService(db),
        timeline=TimelineService(db),
        service_statuses=ServiceStatusService(db, settings.heartbeat),
        tsigkeys=TsigKeyService(db),
        tlds=TldService(db),
        blacklists=BlacklistService(db),
        quotas=QuotaService(db, quotas, settings.zones, settings.api),
        pools=PoolService(db, hints),
        exports=ExportService(db, quotas),
        imports=ImportService(db, zones, settings.zones),
        transfers=TransferService(db, quotas),
        shares=ShareService(db),
    )
