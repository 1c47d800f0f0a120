"""pools.yaml as pydantic models: Designate's schema plus our `threshold_percentage`.

`validate_pools` checks a parsed document and raises InvalidPoolsError with
every reason, each naming its key (``pools[0].targets[1].options.rndc_port``).
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Hashable, Sequence
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

from zonefleet.backends import base as backends
from zonefleet.dns.names import InvalidNameError, name_text, parse_name
from zonefleet.errors import FieldError, InvalidPoolsError
from zonefleet.pools import tsig
from zonefleet.storage.models import DEFAULT_POOL_ID

DEFAULT_POOL_NAME = "default"


def _hostname(text: str) -> str:
    try:
        return name_text(parse_name(text))
    except InvalidNameError as exc:
        raise ValueError(f"{text!r} is not an absolute host name: {exc}") from None


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address") from None


def _unique(items: Sequence[Any], key: Callable[[Any], Hashable], what: str) -> None:
    keys = [key(item) for item in items]
    repeated = sorted({str(k) for i, k in enumerate(keys) if k in keys[:i]})
    if repeated:
        raise ValueError(f"{what} listed more than once: {', '.join(repeated)}")


def _scalar(value: Any) -> Any:
    if not isinstance(value, str | int | float | bool):
        raise ValueError("an attribute must be a string, number or boolean")
    return value


def driver(kind: str) -> type[backends.Backend]:
    """The backend driver of a target `type`; ValueError listing the known types if none."""
    try:
        return backends.backend_class(kind)
    except backends.UnknownBackendError as exc:
        raise ValueError(str(exc)) from None
    except ImportError as exc:
        raise ValueError(f"the driver of type {kind!r} cannot be loaded: {exc}") from None


Hostname = Annotated[str, AfterValidator(_hostname)]
IpAddress = Annotated[str, AfterValidator(_ip)]
Port = Annotated[int, Field(ge=1, le=65535)]
Attribute = Annotated[Any, AfterValidator(_scalar)]
TsigKeyName = Annotated[str, AfterValidator(tsig.key_name)]
TsigAlgorithm = Annotated[str, AfterValidator(tsig.algorithm)]


class _Definition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NsRecord(_Definition):
    hostname: Hostname
    priority: int = Field(ge=0)


class Nameserver(_Definition):
    host: IpAddress
    port: Port = 53
    tsigkey_name: TsigKeyName | None = None


class Master(_Definition):
    host: IpAddress
    port: Port = 5354


class AlsoNotify(_Definition):
    host: IpAddress
    port: Port = 53


class Target(_Definition):
    type: str = Field(min_length=1, max_length=32)
    description: str | None = Field(None, max_length=160)
    masters: list[Master] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict, validate_default=True)
    tsigkey_name: TsigKeyName | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, kind: str) -> str:
        driver(kind)
        return kind

    @field_validator("options")
    @classmethod
    def _driver_options(cls, options: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """Checked by the driver's Options model; kept as given, in its JSON types."""
        kind = info.data.get("type")
        if kind is None:
            return options
        validated = driver(kind).Options.model_validate(options)
        return validated.model_dump(mode="json", exclude_unset=True)


class CatalogZone(_Definition):
    catalog_zone_fqdn: Hostname
    catalog_zone_refresh: int = Field(60, ge=1)
    catalog_zone_tsig_key: TsigKeyName | None = None
    catalog_zone_tsig_algorithm: TsigAlgorithm | None = None


class PoolDefinition(_Definition):
    """One pool of pools.yaml; `name` is its identity across reloads."""

    name: str = Field(min_length=1, max_length=50)
    id: str | None = Field(None, validate_default=True)
    description: str | None = Field(None, max_length=160)
    attributes: dict[str, Attribute] = Field(default_factory=dict)
    ns_records: list[NsRecord] = Field(min_length=1)
    nameservers: list[Nameserver] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    also_notifies: list[AlsoNotify] = Field(default_factory=list)
    catalog_zone: CatalogZone | None = None
    threshold_percentage: int = Field(100, ge=0, le=100)

    @field_validator("id")
    @classmethod
    def _pool_id(cls, value: str | None, info: ValidationInfo) -> str | None:
        """The pool named `default` has Designate's default id, and no other pool has it."""
        if value is not None:
            try:
                value = str(uuid.UUID(value))
            except ValueError:
                raise ValueError(f"{value!r} is not a UUID") from None
        if info.data.get("name") == DEFAULT_POOL_NAME:
            if value not in (None, DEFAULT_POOL_ID):
                raise ValueError(f"the pool named 'default' has the id {DEFAULT_POOL_ID}")
            return DEFAULT_POOL_ID
        if value == DEFAULT_POOL_ID:
            raise ValueError("only the pool named 'default' may have the default pool id")
        return value

    @field_validator("ns_records")
    @classmethod
    def _unique_ns_records(cls, records: list[NsRecord]) -> list[NsRecord]:
        _unique(records, lambda record: record.hostname, "hostnames")
        return records

    @field_validator("nameservers", "also_notifies")
    @classmethod
    def _unique_servers(cls, servers: list[Nameserver | AlsoNotify]) -> list[Any]:
        _unique(servers, lambda server: f"{server.host}:{server.port}", "servers")
        return servers

    @field_validator("targets")
    @classmethod
    def _unique_targets(cls, targets: list[Target]) -> list[Target]:
        _unique(targets, lambda target: target.model_dump_json(), "identical targets")
        return targets

    def tsig_references(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every TSIG key name the pool refers to, with its key path inside the pool."""
        named: list[tuple[tuple[str | int, ...], str | None]] = [
            *(
                (("nameservers", i, "tsigkey_name"), ns.tsigkey_name)
                for i, ns in enumerate(self.nameservers)
            ),
            *((("targets", i, "tsigkey_name"), t.tsigkey_name) for i, t in enumerate(self.targets)),
        ]
        if self.catalog_zone:
            named.append(
                (("catalog_zone", "catalog_zone_tsig_key"), self.catalog_zone.catalog_zone_tsig_key)
            )
        return [(path, name) for path, name in named if name]


_POOLS = TypeAdapter(list[PoolDefinition])


def validate_pools(document: object) -> list[PoolDefinition]:
    """The pools of a parsed pools.yaml; raises InvalidPoolsError with every reason."""
    reasons = [*_repeated(document, "name"), *_repeated(document, "id")]
    try:
        pools = _POOLS.validate_python(document)
    except ValidationError as exc:
        reasons = [*(_reason(error) for error in exc.errors()), *reasons]
    if reasons:
        raise InvalidPoolsError(reasons)
    return pools


def key_path(path: Sequence[str | int]) -> str:
    """``("pools", 0, "targets", 1)`` as ``pools[0].targets[1]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def _reason(error: ErrorDetails) -> FieldError:
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "value_error":
        message = str(error.get("ctx", {}).get("error", error["msg"]))
    else:
        message = error["msg"]
    return FieldError(("pools", *error["loc"]), message, error["type"])


def _repeated(document: object, key: str) -> list[FieldError]:
    """A `name` or `id` given to more than one pool (read before validation, so always told)."""
    if not isinstance(document, list):
        return []
    first: dict[object, int] = {}
    reasons = []
    for index, item in enumerate(document):
        value = item.get(key) if isinstance(item, dict) else None
        if not isinstance(value, str):
            continue
        if value in first:
            message = f"{value!r} is already the {key} of pools[{first[value]}]"
            reasons.append(FieldError(("pools", index, key), message, "unique", value))
        else:
            first[value] = index
    return reasons
