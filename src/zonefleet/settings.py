"""Settings: one TOML file plus ZONEFLEET_SECTION__KEY environment overrides.

Parsed once at start-up into frozen, typed objects; a bad value raises
`SettingsError` naming the key. Every option carries a description so
`zonefleet config sample` can print them all.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from zonefleet.bus.urls import broker_urls

ENV_PREFIX = "ZONEFLEET_"

SUPPORTED_RECORD_TYPES = (
    "A", "AAAA", "CNAME", "MX", "NS", "PTR", "SPF", "SRV", "SSHFP", "TXT",
    "CAA", "NAPTR", "CERT", "TLSA", "HTTPS", "SVCB",
)  # fmt: skip


class SettingsError(Exception):
    """A setting is missing, unknown or invalid; the message names the key."""


class BindAddress(NamedTuple):
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _parse_bind(value: Any) -> BindAddress:
    if isinstance(value, BindAddress):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a string HOST:PORT")
    host, sep, port_text = value.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise ValueError(f"{value!r} is not HOST:PORT")
    host = host.removeprefix("[").removesuffix("]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{host!r} is not an IP address") from None
    port = int(port_text)
    # Port 0 asks the system for a free port (tests, and servers that report what they bound).
    if not 0 <= port < 65536:
        raise ValueError(f"port {port} is out of range 0..65535")
    return BindAddress(host, port)


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _networks(value: tuple[str, ...]) -> tuple[str, ...]:
    for network in value:
        try:
            ipaddress.ip_network(network)
        except ValueError:
            raise ValueError(f"{network!r} is not a network (CIDR)") from None
    return value


Bind = Annotated[BindAddress, BeforeValidator(_parse_bind)]
NetworkList = Annotated[tuple[str, ...], BeforeValidator(_split_list), AfterValidator(_networks)]
TypeList = Annotated[tuple[str, ...], BeforeValidator(_split_list)]
BrokerList = Annotated[tuple[str, ...], BeforeValidator(broker_urls)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatabaseSettings(_Section):
    url: str = Field(
        "",
        description="SQLAlchemy URL. Empty means an SQLite file under data_dir. "
        "PostgreSQL: postgresql+psycopg://user@host/db; MariaDB/MySQL: mysql+pymysql://user@host/db",
    )
    pool_size: int = Field(10, ge=1, description="Connections kept open per process (not SQLite)")
    echo: bool = Field(False, description="Log every SQL statement (debugging only)")


class ApiSettings(_Section):
    bind: Bind = Field(
        BindAddress("127.0.0.1", 9001), description="HOST:PORT the v2 API listens on"
    )
    auth_strategy: Literal["noauth"] = Field(
        "noauth",
        description="noauth: identity from X-Auth-Project-ID, X-Auth-User-ID and X-Roles "
        "(default role admin), as Designate's noauth",
    )
    base_uri: str = Field(
        "",
        description="Externally reachable root for links, e.g. https://dns.example.net/. "
        "Empty means the Host header of each request",
    )
    default_limit: int = Field(20, ge=1, description="Page size when a request gives no limit")
    max_limit: int = Field(1000, ge=1, description="Largest page a request may ask for")
    max_import_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="Largest zone file an import may send (413 above)"
    )


class MdnsSettings(_Section):
    bind: Bind = Field(
        BindAddress("127.0.0.1", 5354), description="HOST:PORT the mini-DNS server listens on"
    )
    allow_transfer: NetworkList = Field(
        (),
        description="Networks (CIDR) allowed to AXFR/IXFR besides the pools' hosts and TSIG "
        "keys (comma list in env)",
    )
    tcp_idle_timeout: float = Field(
        10.0, gt=0, description="Seconds a TCP client may stay silent before it is closed"
    )
    max_tcp_connections: int = Field(
        256, ge=1, description="TCP clients served at once; more are closed on arrival"
    )
    threads: int = Field(8, ge=1, description="Threads reading storage for mdns")
    transfer_cache_mb: int = Field(
        256, ge=0, description="Memory kept for rendered transfers (MiB), least recent dropped"
    )
    ixfr: bool = Field(
        True,
        description="Answer IXFR with the differences from the zone journal; off, every IXFR "
        "gets the whole zone",
    )


class WorkerSettings(_Section):
    scan_interval: float = Field(
        2.0, gt=0, description="Seconds between scans for zones whose nameservers may lag"
    )
    concurrency: int = Field(32, ge=1, description="Zones reconciled at once per worker")
    lease_seconds: float = Field(
        60.0, gt=0, description="How long a claim on a (zone, target) lasts if its worker dies"
    )
    query_timeout: float = Field(1.0, gt=0, description="Seconds to wait for one SOA answer")
    poll_first_delay: float = Field(
        0.002,
        gt=0,
        description="First wait before asking a nameserver again (grows by half each time)",
    )
    poll_max_delay: float = Field(0.5, gt=0, description="Longest wait between SOA checks")
    poll_timeout: float = Field(
        10.0, gt=0, description="Seconds one attempt waits for every nameserver to serve a serial"
    )
    nudge_after: float = Field(
        1.0,
        ge=0,
        description="Seconds a nameserver may lag within an attempt before the targets that "
        "took the push are asked to refresh again (then after twice as long each time); "
        "0: never",
    )
    retry_budget: int = Field(
        5, ge=1, description="Failed attempts before a zone shows ERROR (it is still retried)"
    )
    retry_backoff_max: float = Field(
        60.0, gt=0, description="Longest wait between attempts on a failing target"
    )
    secondary_scan_interval: float = Field(
        5.0,
        gt=0,
        description="Seconds between looks for SECONDARY zones due a refresh from their masters",
    )
    transfer_timeout: float = Field(
        30.0, gt=0, description="Seconds one transfer of a SECONDARY zone from a master may take"
    )


class BusSettings(_Section):
    url: BrokerList = Field(
        ("memory://",),
        description="memory:// (hints stay in this process) or the RabbitMQ brokers: "
        "amqp://user:pass@host:5672/vhost or oslo's rabbit://user:pass@host1,host2/vhost; "
        "several URLs (TOML array, or ';' between them) are tried in order when one is down",
    )
    exchange: str = Field("zonefleet", min_length=1, description="Exchange of the internal hints")
    queue: str = Field(
        "zonefleet.worker.zone_changed",
        min_length=1,
        description="Queue the workers share: each hint wakes one worker",
    )
    connect_timeout: float = Field(
        2.0, gt=0, description="Seconds to wait for one broker before trying the next"
    )
    retry_max_delay: float = Field(
        5.0, gt=0, description="Longest wait between reconnection attempts while brokers are down"
    )
    publish_buffer: int = Field(
        10_000,
        ge=1,
        description="Hints held while no broker answers; older ones are dropped (the scan "
        "finds their zones)",
    )

    @property
    def in_process(self) -> bool:
        return self.url == ("memory://",)


class NotificationSettings(_Section):
    enabled: bool = Field(
        False,
        description="Send Designate's notifications (dns.zone.create, dns.recordset.update, …) "
        "for outside consumers such as Ceilometer",
    )
    url: BrokerList = Field(
        ("memory://",),
        description="Brokers the notifications go to, as bus.url; memory:// means bus.url's",
    )
    exchange: str = Field(
        "designate",
        min_length=1,
        description="Exchange of the notifications (oslo's control_exchange)",
    )
    topics: TypeList = Field(
        ("notifications",),
        description="Topics (oslo's notification topics): each gets every notification, on "
        "routing key and queue TOPIC.info (comma list in env)",
    )
    durable: bool = Field(
        False,
        description="Declare the exchange and queues durable (oslo's amqp_durable_queues); "
        "must match how the deployment already declared them",
    )


class CoordinationSettings(_Section):
    url: str = Field(
        "",
        description="tooz backend that decides which producer owns each periodic task, e.g. "
        "redis://127.0.0.1:6379 or file:///var/lib/zonefleet/coordination. Empty: no "
        "coordination, so run one producer (or `serve`) only",
    )
    lock_seconds: int = Field(
        5,
        ge=1,
        description="A dead producer's tasks are taken over after this many seconds "
        "(tooz lock_timeout, unless the URL sets one)",
    )


class ProducerSettings(_Section):
    tick: float = Field(
        1.0, gt=0, description="Seconds between the producer's looks at which tasks are due"
    )
    audit_interval: float = Field(
        60.0,
        gt=0,
        description="Seconds between serial-drift audits: every nameserver asked for every "
        "ACTIVE zone's serial, lagging ones pushed again",
    )
    audit_concurrency: int = Field(
        64, ge=1, description="SOA queries the drift audit has in flight at once"
    )
    purge_interval: float = Field(
        3600.0, gt=0, description="Seconds between purges of deleted zones"
    )
    purge_after: float = Field(
        604800.0,
        ge=0,
        description="Seconds a deleted zone's row is kept (shown as DELETED) before it is purged",
    )
    purge_batch: int = Field(100, ge=1, description="Deleted zones purged per run at most")


class JournalSettings(_Section):
    max_serials: int = Field(
        100, ge=1, description="Newest serials per zone whose changes are kept for IXFR"
    )
    max_age: float = Field(
        604800.0,
        gt=0,
        description="Seconds a serial's changes are kept for IXFR, except a zone's newest "
        "serial's, kept however old. An IXFR from a serial no longer kept gets an AXFR",
    )
    prune_interval: float = Field(
        600.0, gt=0, description="Seconds between prunes of the zone journal"
    )
    prune_batch: int = Field(500, ge=1, description="Zones whose journal is pruned per run at most")


class MetricsSettings(_Section):
    port: int = Field(
        0,
        ge=0,
        le=65535,
        description="Port of /metrics for the worker, mdns and producer roles (0: none; the "
        "API and `serve` answer /metrics on the API's port)",
    )
    host: str = Field("127.0.0.1", description="Address /metrics listens on (with port)")


class TimelineSettings(_Section):
    enabled: bool = Field(
        True,
        description="Write the zones' timelines (off only to measure what they cost: "
        "`zonefleet doctor` and the timeline API then have less to show)",
    )
    retention: float = Field(
        1209600.0,
        gt=0,
        description="Seconds a step of a zone's timeline is kept (also past the zone's purge)",
    )
    prune_interval: float = Field(
        3600.0, gt=0, description="Seconds between prunes of the zones' timelines"
    )
    prune_batch: int = Field(
        50000, ge=1, description="Timeline steps deleted per prune at most (in pages of 1000)"
    )


class HeartbeatSettings(_Section):
    interval: float = Field(10.0, gt=0, description="Seconds between a process's heartbeats")
    down_after: float = Field(
        30.0, gt=0, description="A process silent for this many seconds shows DOWN"
    )
    retention: float = Field(
        604800.0,
        gt=0,
        description="Seconds a DOWN process stays listed before the producer purges its row",
    )

    @model_validator(mode="after")
    def _down_after_beats(self) -> HeartbeatSettings:
        if self.down_after <= self.interval:
            raise ValueError("down_after must be longer than interval")
        return self


class ZoneSettings(_Section):
    managed_resource_email: str = Field(
        "hostmaster@example.com", description="Email of SECONDARY zones (theirs is not asked)"
    )
    default_ttl: int = Field(
        3600, ge=0, le=2147483647, description="TTL of a zone created without one"
    )
    min_ttl: int = Field(0, ge=0, le=2147483647, description="Lowest TTL a non-admin may set")
    max_zone_name_len: int = Field(255, ge=4, le=255, description="Longest zone name accepted")
    max_recordset_name_len: int = Field(
        255, ge=4, le=255, description="Longest recordset name accepted"
    )
    supported_record_types: TypeList = Field(
        SUPPORTED_RECORD_TYPES, description="Record types tenants may create (comma list in env)"
    )
    soa_refresh_min: int = Field(
        3500, ge=0, description="SOA refresh: lower bound of the random pick"
    )
    soa_refresh_max: int = Field(
        3600, ge=0, description="SOA refresh: upper bound of the random pick"
    )
    soa_retry: int = Field(600, ge=0, description="SOA retry of new zones")
    soa_expire: int = Field(86400, ge=0, description="SOA expire of new zones")
    soa_minimum: int = Field(
        3600, ge=0, description="SOA minimum (negative caching TTL) of new zones"
    )

    @field_validator("supported_record_types")
    @classmethod
    def _known_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(SUPPORTED_RECORD_TYPES))
        if unknown:
            raise ValueError(f"unsupported record types {unknown}")
        return value

    @model_validator(mode="after")
    def _refresh_range(self) -> ZoneSettings:
        if self.soa_refresh_min > self.soa_refresh_max:
            raise ValueError("soa_refresh_min is above soa_refresh_max")
        return self


class QuotaSettings(_Section):
    zones: int = Field(10, ge=-1, description="Zones per project (-1: unlimited)")
    zone_recordsets: int = Field(500, ge=-1, description="Recordsets per zone (-1: unlimited)")
    zone_records: int = Field(500, ge=-1, description="Records per zone (-1: unlimited)")
    recordset_records: int = Field(20, ge=-1, description="Records per recordset (-1: unlimited)")
    api_export_size: int = Field(
        1000, ge=-1, description="Recordsets per zone export (-1: unlimited)"
    )


class PoolSettings(_Section):
    default_ns_hostname: str = Field(
        "ns1.zonefleet.invalid.",
        description="NS hostname of the default pool made by `db upgrade` (absolute, trailing dot)",
    )
    file: str = Field("", description="The pools.yaml an operator keeps (loaded by `pool update`)")


class Settings(_Section):
    data_dir: Path = Field(
        Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "zonefleet",
        description="Directory for the embedded SQLite database and other state",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest level of log lines written"
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines as plain text, or as JSON objects one per line; either way each "
        "carries the request id, zone id and name, serial and target where they apply",
    )
    database: DatabaseSettings = DatabaseSettings()
    api: ApiSettings = ApiSettings()
    mdns: MdnsSettings = MdnsSettings()
    worker: WorkerSettings = WorkerSettings()
    bus: BusSettings = BusSettings()
    heartbeat: HeartbeatSettings = HeartbeatSettings()
    coordination: CoordinationSettings = CoordinationSettings()
    notifications: NotificationSettings = NotificationSettings()
    producer: ProducerSettings = ProducerSettings()
    journal: JournalSettings = JournalSettings()
    timeline: TimelineSettings = TimelineSettings()
    metrics: MetricsSettings = MetricsSettings()
    zones: ZoneSettings = ZoneSettings()
    quotas: QuotaSettings = QuotaSettings()
    pools: PoolSettings = PoolSettings()

    @model_validator(mode="after")
    def _notifications_need_a_broker(self) -> Settings:
        in_process = self.notifications.url == ("memory://",) and self.bus.in_process
        if self.notifications.enabled and in_process:
            raise ValueError(
                "notifications.enabled needs a broker: set notifications.url or bus.url "
                "to amqp:// or rabbit:// URLs"
            )
        return self

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'zonefleet.sqlite3'}"


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = name.removeprefix(ENV_PREFIX).lower().split("__")
        node = overrides
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _env_value(value)
    return overrides


def _env_value(value: str) -> Any:
    """JSON arrays and tables where the text is one; the plain string otherwise."""
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            pass
    return value


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file (if any), apply environment overrides, validate.

    Raises SettingsError naming every bad key, e.g. ``api.bind: 'x' is not HOST:PORT``.
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc}") from exc
    data = _merge(data, _env_overrides(os.environ if environ is None else environ))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        reasons = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            message = "unknown setting" if error["type"] == "extra_forbidden" else error["msg"]
            env = ENV_PREFIX + "__".join(str(part) for part in error["loc"]).upper()
            reasons.append(f"{key} (env {env}): {message}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(reasons)) from None


def sample(model: type[BaseModel] = Settings, prefix: str = "") -> str:
    """Every option with its description and default, as a commented TOML file."""
    lines: list[str] = []
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested.append((name, annotation))
            continue
        env = ENV_PREFIX + (prefix.replace(".", "__") + "__" if prefix else "") + name.upper()
        lines.append(f"# {field.description} (env {env.upper()})")
        lines.append(f"{name} = {_toml_value(field.default)}")
        lines.append("")
    for name, section in nested:
        lines.append(f"[{name}]")
        lines.append(sample(section, name))
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple) and not isinstance(value, BindAddress):
        return json.dumps(list(value))
    return json.dumps(str(value))
