"""Pydantic schemas of the v2 wire format: request bodies in, documented responses out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from zonefleet.errors import FieldError, InvalidObjectError

MAX_TTL = 2147483647

TTL = Field(None, ge=0, le=MAX_TTL)


def refuse_nulls(body: BaseModel, *keys: str) -> None:
    """A PATCH may leave these fields out but not set them to null (every such one named)."""
    given = body.model_fields_set
    nulls = [
        FieldError((key,), f"{key} may not be null", "type")
        for key in keys
        if key in given and getattr(body, key) is None
    ]
    if nulls:
        raise InvalidObjectError(nulls)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ZoneCreateBody(_Body):
    name: str = Field(max_length=255)
    email: str | None = Field(None, max_length=255)
    ttl: int | None = TTL
    description: str | None = Field(None, max_length=160)
    type: Literal["PRIMARY", "SECONDARY"] = "PRIMARY"
    masters: list[str] = Field(default_factory=list, max_length=32)
    attributes: dict[str, str] = Field(default_factory=dict, max_length=50)


class ZoneUpdateBody(_Body):
    email: str | None = Field(None, max_length=255)
    ttl: int | None = TTL
    description: str | None = Field(None, max_length=160)
    masters: list[str] | None = Field(None, max_length=32)


class PoolMoveBody(_Body):
    pool_id: str | None = Field(None, max_length=36)


class RecordsetCreateBody(_Body):
    name: str = Field(max_length=255)
    type: str = Field(max_length=16)
    records: list[str] = Field(max_length=10000)
    ttl: int | None = TTL
    description: str | None = Field(None, max_length=160)


class RecordsetUpdateBody(_Body):
    records: list[str] | None = Field(None, max_length=10000)
    ttl: int | None = TTL
    description: str | None = Field(None, max_length=160)


TsigAlgorithm = Literal[
    "hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"
]
TsigScopeName = Literal["POOL", "ZONE"]


class TsigKeyCreateBody(_Body):
    name: str = Field(min_length=1, max_length=160)
    algorithm: TsigAlgorithm
    secret: str | None = Field(None, min_length=1, max_length=160)
    scope: TsigScopeName = "POOL"
    resource_id: str | None = Field(None, max_length=36)


class TsigKeyUpdateBody(_Body):
    name: str | None = Field(None, min_length=1, max_length=160)
    algorithm: TsigAlgorithm | None = None
    secret: str | None = Field(None, min_length=1, max_length=160)
    scope: TsigScopeName | None = None
    resource_id: str | None = Field(None, max_length=36)


class TldCreateBody(_Body):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=160)


class TldUpdateBody(_Body):
    name: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = Field(None, max_length=160)


class BlacklistCreateBody(_Body):
    pattern: str = Field(max_length=255)
    description: str | None = Field(None, max_length=160)


class BlacklistUpdateBody(_Body):
    pattern: str | None = Field(None, max_length=255)
    description: str | None = Field(None, max_length=160)


class TransferRequestBody(_Body):
    target_project_id: str | None = Field(None, min_length=1, max_length=255)
    description: str | None = Field(None, max_length=160)


class TransferRequestUpdateBody(_Body):
    description: str | None = Field(None, max_length=160)


class TransferAcceptBody(_Body):
    key: str = Field(min_length=1, max_length=255)
    zone_transfer_request_id: str = Field(min_length=1, max_length=36)


class ShareBody(_Body):
    target_project_id: str = Field(min_length=1, max_length=255)


class Links(BaseModel):
    self: str


class ListLinks(BaseModel):
    self: str
    next: str | None = None


class ListMetadata(BaseModel):
    total_count: int | None = None


class ZoneOut(BaseModel):
    id: str
    pool_id: str
    project_id: str
    name: str
    email: str
    ttl: int
    serial: int
    status: str
    action: str
    description: str | None
    masters: list[str]
    type: str
    transferred_at: str | None
    version: int
    created_at: str
    updated_at: str | None
    attributes: dict[str, str]
    shared: bool
    links: Links


class ZoneList(BaseModel):
    zones: list[ZoneOut]
    links: ListLinks
    metadata: ListMetadata


class RecordsetOut(BaseModel):
    id: str
    zone_id: str
    zone_name: str
    project_id: str
    name: str
    type: str
    records: list[str]
    ttl: int | None
    description: str | None
    status: str
    action: str
    version: int
    created_at: str
    updated_at: str | None
    links: Links


class RecordsetList(BaseModel):
    recordsets: list[RecordsetOut]
    links: ListLinks
    metadata: ListMetadata


class Nameserver(BaseModel):
    hostname: str
    priority: int


class NameserverList(BaseModel):
    nameservers: list[Nameserver]


class NameserverPropagation(BaseModel):
    host: str
    port: int
    serial: int | None
    state: str
    last_error: str | None
    since: str | None
    checked_at: str | None


class TargetPropagation(BaseModel):
    id: str
    type: str
    description: str | None
    present: bool
    serial: int | None
    attempts: int
    last_error: str | None
    since: str | None
    next_attempt_at: str | None


class TimelineStep(BaseModel):
    id: int
    at: str
    role: str
    subject: str | None
    event: str
    detail: str | None
    serial: int | None
    request_id: str | None


class TimelineOut(BaseModel):
    zone_id: str
    timeline: list[TimelineStep]
    links: dict[str, str]


class PropagationOut(BaseModel):
    zone_id: str
    name: str
    serial: int
    status: str
    action: str
    nameservers: list[NameserverPropagation]
    targets: list[TargetPropagation]
    links: dict[str, str]


class FieldErrorOut(BaseModel):
    path: list[str | int]
    message: str
    validator: str
    validator_value: object = None


class FieldErrorList(BaseModel):
    errors: list[FieldErrorOut]


class ErrorOut(BaseModel):
    """Designate's error body."""

    code: int
    type: str
    message: str | None = None
    errors: FieldErrorList | None = None
    request_id: str | None = None


class VersionLink(BaseModel):
    href: str
    rel: str


class Version(BaseModel):
    id: str
    status: Literal["CURRENT", "SUPPORTED", "DEPRECATED"]
    updated: str
    links: list[VersionLink]


class Versions(BaseModel):
    versions: list[Version]
