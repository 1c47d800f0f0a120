"""What each role measures, in prometheus-client's registry of the process.

Counters and histograms are updated where the thing happens (the API middleware, the
worker, mdns, the bus, the database session); the state of every zone is read from the
database when scraped (`StateCollector`, registered by the roles that serve /metrics for
the deployment: the API and `serve`). `/metrics` is on the API port; the other roles
serve it on `metrics.port` when set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY
from sqlalchemy.exc import SQLAlchemyError

from zonefleet.errors import ServiceUnavailableError
from zonefleet.settings import MetricsSettings
from zonefleet.storage.state import StateCounts, state_counts

if TYPE_CHECKING:  # the database counts its outages here: no import cycle at run time
    from zonefleet.storage.database import Database

LOG = logging.getLogger(__name__)

FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SLOW = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

API_REQUESTS = Counter(
    "zonefleet_api_requests", "API requests answered", ("method", "route", "status")
)
API_SECONDS = Histogram(
    "zonefleet_api_request_seconds", "Time to answer an API request", ("method", "route"),
    buckets=FAST,
)  # fmt: skip
PROPAGATION_SECONDS = Histogram(
    "zonefleet_propagation_seconds",
    "From a zone's latest write to every nameserver of its pool serving it (zone ACTIVE)",
    buckets=SLOW,
)
PUSHES = Counter(
    "zonefleet_target_pushes", "Backend calls made for zones, per target", ("target", "outcome")
)
ROUNDS_IN_FLIGHT = Gauge(
    "zonefleet_worker_rounds_in_flight", "Zones in a reconcile round of this worker now"
)
DUE_ZONES = Gauge("zonefleet_worker_due_zones", "Zones the worker's last scan found due")
MDNS_QUERIES = Counter(
    "zonefleet_mdns_queries", "Queries answered by mdns (transfers included)", ("qtype", "rcode")
)
MDNS_TRANSFERS = Counter(
    "zonefleet_mdns_transfers", "Zone transfers out of mdns", ("kind", "outcome")
)
BUS_ERRORS = Counter(
    "zonefleet_bus_errors", "Broker connections lost or messages dropped", ("bus", "error")
)
DATABASE_UNAVAILABLE = Counter(
    "zonefleet_database_unavailable", "Database operations failed: the database was away"
)
DATABASE_CONFLICTS = Counter(
    "zonefleet_database_conflicts",
    "Transactions rolled back by a deadlock or serialization failure",
)


STATE_GAUGES = (
    ("zonefleet_zones", "Live zones by status", "status"),
    (
        "zonefleet_nameserver_lagging_zones",
        "Zones a nameserver does not serve at their serial, as the worker last saw",
        "nameserver",
    ),
    (
        "zonefleet_target_failing_zones",
        "Zones whose last backend call on a target failed",
        "target",
    ),
)


class StateCollector:
    """Zones by status, lagging zones per nameserver and failing zones per target, read from
    the database when scraped (at most once per `cache_seconds`)."""

    def __init__(self, database: Database, cache_seconds: float = 5.0) -> None:
        self.database = database
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._counts: tuple[float, StateCounts] | None = None

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # nothing read at registration: the database is asked when scraped

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self._read()
        if counts is None:
            return
        for (name, help_text, label), values in zip(
            STATE_GAUGES, (counts.zones, counts.lagging, counts.failing), strict=True
        ):
            family = GaugeMetricFamily(name, help_text, labels=[label])
            for key, count in sorted(values.items()):
                family.add_metric([key], count)
            yield family

    def _read(self) -> StateCounts | None:
        with self._lock:
            now = time.monotonic()
            if self._counts is not None and now - self._counts[0] < self.cache_seconds:
                return self._counts[1]
            try:
                with self.database.read() as session:
                    counts = state_counts(session)
            except (ServiceUnavailableError, SQLAlchemyError) as exc:
                LOG.warning("metrics: zone state not read: %s", exc)
                return None
            self._counts = (now, counts)
            return counts


def register_state(database: Database) -> StateCollector:
    collector = StateCollector(database)
    REGISTRY.register(collector)
    return collector


def serve_metrics(settings: MetricsSettings) -> None:
    """`/metrics` on `metrics.port` for the roles without the API's port (0: off)."""
    if settings.port:
        start_http_server(settings.port, settings.host)
        LOG.info("metrics on http://%s:%d/metrics", settings.host, settings.port)
