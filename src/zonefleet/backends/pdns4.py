"""The PowerDNS 4 backend: secondary zones created and deleted through the PowerDNS HTTP API.

PowerDNS pulls each zone from the target's masters; `request_refresh` asks it to
over the API (`axfr-retrieve`) rather than by NOTIFY, which PowerDNS refuses from
any address that is not one of the zone's masters (the worker is not mdns).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import re
import ssl
import time
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import dns.exception
import dns.name
from pydantic import Field, ValidationError, field_validator, model_validator

from zonefleet.backends.base import (
    Backend,
    BackendError,
    BackendOptions,
    Master,
    TargetSpec,
    ZoneRef,
)

logger = logging.getLogger(__name__)

# http.client refuses (with ValueError) what these keep out of a request line and its headers.
_HOST = re.compile(r"[A-Za-z0-9.:-]+")
_PATH = re.compile(r"[A-Za-z0-9/._~-]*")
# PowerDNS's zone ids keep these characters and write every other one as =XX.
_ID_KEPT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_MAX_BODY = 1 << 20
# The generic SQL backends: with `<backend>-dnssec=no` they answer with every record as
# authoritative, including those an IXFR stored without rectifying.
_GENERIC_SQL = frozenset({"gmysql", "gpgsql", "gsqlite3", "godbc"})
# How long what PowerDNS's configuration says about IXFR is trusted before it is read again.
CONFIG_RECHECK = 600.0


class PowerDnsOptions(BackendOptions):
    """Designate's pdns4 target options, as pools.yaml spells them."""

    api_endpoint: str = Field(description="URL of the PowerDNS API, e.g. http://127.0.0.1:8081")
    api_token: str = Field(
        pattern=r"^[\x21-\x7e]+$", description="The PowerDNS api-key, sent as X-API-Key"
    )
    api_ca_cert: str | None = Field(None, description="CA file to verify an https api_endpoint")
    tsigkey_name: str | None = Field(
        None,
        description="TSIG key, as PowerDNS names it, that signs transfers from the masters "
        "(default: the target's tsigkey_name); it must exist in PowerDNS",
    )
    server_id: str = Field(
        "localhost", pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$", description="Server id in API paths"
    )
    api_timeout: float = Field(10, gt=0, description="Seconds to wait to connect or for an answer")
    ixfr: bool | None = Field(
        None,
        description="Set each zone's IXFR metadata, so PowerDNS takes a change as its difference "
        "rather than the whole zone. Unset: only where PowerDNS's own configuration (read through "
        "the API) launches nothing but generic SQL backends without DNSSEC queries; PowerDNS 4 "
        "stores records taken by IXFR unrectified, and other backends do not answer with them",
    )

    @field_validator("api_endpoint")
    @classmethod
    def _api_endpoint(cls, value: str) -> str:
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not _HOST.fullmatch(url.hostname or ""):
            raise ValueError(f"{value!r} is not an http(s)://host[:port][/path] URL")
        if url.username is not None or url.query or url.fragment or url.port == 0:
            raise ValueError(f"{value!r} has a user, a query, a fragment or port 0")
        if not _PATH.fullmatch(url.path):
            raise ValueError(f"{value!r} has a path of other than letters, digits, '/._~-'")
        return value.rstrip("/")

    @field_validator("tsigkey_name")
    @classmethod
    def _tsigkey_name(cls, value: str | None) -> str | None:
        try:
            return None if value is None else dns.name.from_text(value).to_text()
        except dns.exception.DNSException as exc:
            raise ValueError(f"{value!r} is not a key name: {exc}") from None

    @model_validator(mode="after")
    def _ca_needs_https(self) -> PowerDnsOptions:
        if self.api_ca_cert is not None and not self.api_endpoint.startswith("https:"):
            raise ValueError("api_ca_cert needs an https api_endpoint")
        return self


class PowerDnsBackend(Backend):
    """A PowerDNS target: each zone is a Slave zone of the target's masters, made by the API."""

    kind: ClassVar[str] = "pdns4"
    Options: ClassVar[type[BackendOptions]] = PowerDnsOptions

    def __init__(self, target: TargetSpec) -> None:
        super().__init__(target)
        options = target.options
        if not isinstance(options, PowerDnsOptions):
            try:
                options = PowerDnsOptions.model_validate(options.model_dump(exclude_unset=True))
            except ValidationError as exc:
                raise BackendError(f"target {target.id}: {exc}", retryable=False) from None
        self.options = options
        self.url = urlsplit(options.api_endpoint)
        self.base = f"{self.url.path}/api/v1/servers/{quote(options.server_id, safe='')}"
        self.tls: ssl.SSLContext | None = None
        self._ixfr_safe: tuple[bool, float] | None = None  # the answer and when it was read
        if self.url.scheme == "https":
            try:
                self.tls = ssl.create_default_context(cafile=options.api_ca_cert)
            except (OSError, ssl.SSLError) as exc:
                message = f"target {target.id}: cannot load api_ca_cert: {exc}"
                raise BackendError(message, retryable=False) from None

    def ensure_zone(self, zone: ZoneRef) -> None:
        """Create the zone, or bring an existing one's kind, masters and key to this target's."""
        path = f"/zones/{zone_id(zone.name)}"
        settings = self.zone_settings()
        status, answer = self._call("POST", "/zones", {"name": zone.name.to_text(), **settings})
        if status != 201:
            if status != 409 and not (status == 422 and "already exists" in _said(answer)):
                raise self._failure("POST", "/zones", status, answer)
            # The zone may hold other masters (mdns moved, a key added): PUT keeps its data.
            status, answer = self._call("PUT", path, settings)
            if status != 204:
                raise self._failure("PUT", path, status, answer)
        # PowerDNS 4 asks AXFR for every change unless the zone's IXFR metadata is "1".
        metadata = f"{path}/metadata/IXFR"
        value = "1" if self.wants_ixfr() else "0"
        status, answer = self._call("PUT", metadata, {"metadata": [value]})
        if status != 200:
            raise self._failure("PUT", metadata, status, answer)

    def remove_zone(self, zone: ZoneRef) -> None:
        path = f"/zones/{zone_id(zone.name)}"
        status, answer = self._call("DELETE", path)
        if status == 204:
            return
        gone = status == 404 or (status == 422 and "not found" in _said(answer).lower())
        if not gone:
            raise self._failure("DELETE", path, status, answer)
        # A wrong server_id is a 404 too: only a server that exists makes the zone gone.
        status, answer = self._call("GET", "")
        if status != 200:
            raise self._failure("GET", "", status, answer)

    def request_refresh(self, zone: ZoneRef) -> None:
        """Ask PowerDNS to transfer the zone now from one of its masters (it queues the AXFR)."""
        path = f"/zones/{zone_id(zone.name)}/axfr-retrieve"
        status, answer = self._call("PUT", path)
        if status != 200:
            raise self._failure("PUT", path, status, answer)

    def nudge(self, zone: ZoneRef) -> None:
        """Drop what PowerDNS's caches hold for the zone, then ask for the transfer again
        (see `configured_and_served` for why a cache can be stale)."""
        self._flush_cache(zone)
        self.request_refresh(zone)

    def configured_and_served(self, zone: ZoneRef) -> str | None:
        """Drop what PowerDNS's caches hold for a zone it has just taken.

        PowerDNS purges its caches for a zone when a transfer commits, yet a query that
        raced the first transfer can leave its answer (no such zone) cached after that
        purge, to be served until its TTL runs out although the zone is there: bench/ixfr
        saw one new zone in 200 answered REFUSED for 13 to 20 s to queries with RD set,
        while the worker's own queries (RD clear) found it served. Once the nameservers
        serve the zone, no new query can cache that answer any more, so one flush then
        leaves nothing stale behind."""
        self._flush_cache(zone)
        return "pdns4: its caches for the zone flushed once served"

    def _flush_cache(self, zone: ZoneRef) -> None:
        path = f"/cache/flush?domain={quote(zone.name.to_text(), safe='')}"
        status, answer = self._call("PUT", path)
        if status != 200:
            raise self._failure("PUT", path, status, answer)

    def control_status(self) -> str:
        status, answer = self._call("GET", "")
        if status != 200 or not isinstance(answer, dict):
            raise self._failure("GET", "", status, answer)
        return f"PowerDNS API: {answer.get('daemon_type', 'server')} {answer.get('version', '')}"

    def zone_status(self, zone: ZoneRef) -> str | None:
        """The zone as the API shows it: kind, serial, masters, when it last checked them."""
        path = f"/zones/{zone_id(zone.name)}"
        status, answer = self._call("GET", f"{path}?rrsets=false")
        if status in (404, 422):
            return f"PowerDNS API: no zone {zone.name}"
        if status != 200 or not isinstance(answer, dict):
            raise self._failure("GET", path, status, answer)
        shown = ("kind", "serial", "masters", "last_check", "notified_serial")
        return "PowerDNS API: " + ", ".join(f"{k} {answer[k]}" for k in shown if k in answer)

    def wants_ixfr(self) -> bool:
        """The `ixfr` option, or when unset, whether PowerDNS's configuration serves IXFR'd
        records (read from its API at most every CONFIG_RECHECK seconds)."""
        if self.options.ixfr is not None:
            return self.options.ixfr
        now = time.monotonic()
        if self._ixfr_safe is None or now - self._ixfr_safe[1] > CONFIG_RECHECK:
            status, answer = self._call("GET", "/config")
            if status != 200 or not isinstance(answer, list):
                raise self._failure("GET", "/config", status, answer)
            settings = {
                str(item.get("name")): str(item.get("value"))
                for item in answer
                if isinstance(item, dict)
            }
            safe = serves_ixfr_records(settings)
            if not safe:
                logger.info("target %s: PowerDNS launches %r; zones transfer by AXFR",
                            self.target.id, settings.get("launch", ""))  # fmt: skip
            self._ixfr_safe = (safe, now)
        return self._ixfr_safe[0]

    def zone_settings(self) -> dict[str, Any]:
        """The kind, masters and transfer key every zone of this target has."""
        if not self.target.masters:
            raise BackendError(f"target {self.target.id} has no masters", retryable=False)
        key = None if self.target.tsig is None else self.target.tsig.name
        if self.options.tsigkey_name is not None:
            key = dns.name.from_text(self.options.tsigkey_name)
        keys = [] if key is None else [zone_id(key)]  # key ids follow the zone id rule
        masters = [_master(master) for master in self.target.masters]
        return {"kind": "Slave", "masters": masters, "slave_tsig_key_ids": keys}

    def _call(self, method: str, path: str, payload: object = None) -> tuple[int, object]:
        """One API request: its status and its JSON answer (the text of a non-JSON error)."""
        options, where = self.options, self.options.api_endpoint
        headers = {"X-API-Key": options.api_token, "Accept": "application/json"}
        body = None if payload is None else json.dumps(payload).encode()
        if body is not None:
            headers["Content-Type"] = "application/json"
        connection = self._connection()
        logger.debug("PowerDNS %s %s on target %s (%s)", method, path, self.target.id, where)
        try:
            connection.request(method, self.base + path, body=body, headers=headers)
            response = connection.getresponse()
            status, raw = response.status, response.read(_MAX_BODY)
        except TimeoutError:
            message = f"PowerDNS API {method} at {where} timed out after {options.api_timeout}s"
            raise BackendError(message, retryable=True) from None
        except ssl.SSLCertVerificationError as exc:
            raise BackendError(f"PowerDNS API at {where}: {exc}", retryable=False) from None
        except OSError as exc:
            raise BackendError(f"cannot reach PowerDNS API at {where}: {exc}") from None
        except http.client.HTTPException as exc:
            message = f"PowerDNS API at {where} did not answer in HTTP: {exc!r}"
            raise BackendError(message, retryable=False) from None
        finally:
            connection.close()
        return status, _answer(method, where, status, raw)

    def _connection(self) -> http.client.HTTPConnection:
        # An explicit port keeps http.client from reading one out of an IPv6 address.
        host, timeout = self.url.hostname or "", self.options.api_timeout
        if self.tls is not None:
            port = self.url.port or 443
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=self.tls)
        return http.client.HTTPConnection(host, self.url.port or 80, timeout=timeout)

    def _failure(self, method: str, path: str, status: int, answer: object) -> BackendError:
        reason = http.client.responses.get(status, "")
        said = f"HTTP {status} {reason}: {_said(answer)}"
        if status in (401, 403):
            said = f"the API refused the api_token ({said})"
        message = f"PowerDNS {method} {self.base}{path} at {self.options.api_endpoint}: {said}"
        return BackendError(message, retryable=status >= 500)


def serves_ixfr_records(settings: dict[str, str]) -> bool:
    """Whether a PowerDNS of these settings answers with records it took by IXFR: every
    launched backend a generic SQL one (`gsqlite3`, `gpgsql:second`, …) without DNSSEC
    queries."""
    launched = [entry.strip() for entry in settings.get("launch", "").split(",") if entry.strip()]
    for entry in launched:
        module, _, instance = entry.partition(":")
        dnssec = f"{module}-{instance}-dnssec" if instance else f"{module}-dnssec"
        if module not in _GENERIC_SQL or settings.get(dnssec, "no") != "no":
            return False
    return bool(launched)


def zone_id(name: dns.name.Name) -> str:
    """PowerDNS's id of a zone in API paths: the absolute name with other characters as =XX."""
    if not name.is_absolute():
        raise BackendError(f"refusing zone name {name.to_text()!r}: not absolute", retryable=False)
    text = name.to_text()
    escaped = "".join(char if char in _ID_KEPT else f"={ord(char):02X}" for char in text)
    # Only [A-Za-z0-9.=-] remain; quote() guards the path should that rule ever change.
    return quote("=2E" if escaped == "." else escaped, safe="=.-")


def _master(master: Master) -> str:
    """`ADDRESS:PORT` of one master ([ADDRESS]:PORT for IPv6), as PowerDNS parses it."""
    try:
        address = ipaddress.ip_address(master.host)
    except ValueError:
        address = None
    if address is None or not isinstance(master.port, int) or not 0 < master.port < 65536:
        raise BackendError(f"refusing master {master.host!r}:{master.port!r}", retryable=False)
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"{host}:{master.port}"


def _answer(method: str, where: str, status: int, raw: bytes) -> object:
    """The JSON of an answer; a success that is not JSON did not come from PowerDNS."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        if status >= 300:
            return raw.decode(errors="replace")
    snippet = raw[:120].decode(errors="replace")
    message = f"PowerDNS API {method} at {where} answered HTTP {status} with a non-JSON body"
    raise BackendError(f"{message}: {snippet!r}", retryable=False)


def _said(answer: object) -> str:
    """PowerDNS's own words: the `error` of a JSON answer, or its text, on one line."""
    text = answer.get("error", answer) if isinstance(answer, dict) else answer
    text = text if isinstance(text, str) else "" if text is None else json.dumps(text)
    return " ".join(text.split())[:300] or "(no body)"
