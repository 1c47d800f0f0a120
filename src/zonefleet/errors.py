"""Zonefleet's errors: each carries its HTTP code and Designate's error type.

The service layer raises only these; `api/errors.py` turns them into
Designate's body ``{"code", "type", "message", "errors", "request_id"}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class FieldError:
    """One reason a request was invalid, in Designate's validation-error shape."""

    path: tuple[str | int, ...]
    message: str
    validator: str = "value"
    validator_value: object = None

    def as_dict(self) -> dict[str, object]:
        return {
            "path": list(self.path),
            "message": self.message,
            "validator": self.validator,
            "validator_value": self.validator_value,
        }


class ZonefleetError(Exception):
    code: ClassVar[int] = 500
    error_type: ClassVar[str] = "unknown"
    default_message: ClassVar[str | None] = None

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(self.message or self.error_type)


class InvalidObjectError(ZonefleetError):
    """Validation failed; `reasons` lists every reason, not only the first."""

    code = 400
    error_type = "invalid_object"

    def __init__(
        self, reasons: Sequence[FieldError], message: str = "Provided object does not match schema"
    ) -> None:
        super().__init__(message)
        self.reasons = tuple(reasons)


class BadRequestError(ZonefleetError):
    code = 400
    error_type = "bad_request"


class InvalidZoneNameError(BadRequestError):
    error_type = "invalid_zone_name"


class InvalidRecordsetNameError(BadRequestError):
    error_type = "invalid_recordset_name"


class InvalidRecordsetLocationError(BadRequestError):
    error_type = "invalid_recordset_location"


class InvalidTTLError(BadRequestError):
    error_type = "invalid_ttl"


class ZoneHasSubZoneError(BadRequestError):
    error_type = "zone_has_sub_zone"
    default_message = "Please delete any subzones before deleting this zone"


class InvalidUUIDError(BadRequestError):
    error_type = "invalid_uuid"
    default_message = "Invalid UUID"


class InvalidLimitError(BadRequestError):
    error_type = "invalid_limit"


class InvalidMarkerError(BadRequestError):
    error_type = "invalid_marker"


class MarkerNotFound(BadRequestError):
    error_type = "marker_not_found"


class InvalidSortKeyError(BadRequestError):
    error_type = "invalid_sort_key"


class InvalidSortDirError(BadRequestError):
    error_type = "invalid_sort_dir"
    default_message = "Unknown sort direction, must be 'desc' or 'asc'"


class InvalidJsonError(BadRequestError):
    error_type = "invalid_json"


class EmptyRequestBodyError(BadRequestError):
    error_type = "empty_request_body"
    default_message = "Request Body is empty"


class UnsupportedContentTypeError(ZonefleetError):
    code = 415
    error_type = "unsupported_content_type"
    default_message = "Content-type must be application/json"


class ForbiddenError(ZonefleetError):
    code = 403
    error_type = "forbidden"
    default_message = "You are not authorized to perform this action"


class IllegalChildZoneError(ForbiddenError):
    error_type = "illegal_child"
    default_message = "Unable to create subzone in another tenants zone"


class IllegalParentZoneError(ForbiddenError):
    error_type = "illegal_parent"
    default_message = "Unable to create zone because another tenant owns a subzone of the zone"


class NotFound(ZonefleetError):
    code = 404
    error_type = "not_found"
    default_message = "resource not found"


class ZoneNotFound(NotFound):
    error_type = "zone_not_found"
    default_message = "Could not find Zone"


class RecordsetNotFound(NotFound):
    error_type = "recordset_not_found"
    default_message = "Could not find RecordSet"


class PoolNotFound(NotFound):
    error_type = "pool_not_found"
    default_message = "Could not find Pool"


class MethodNotAllowedError(ZonefleetError):
    code = 405
    error_type = "method_not_allowed"


class DuplicateError(ZonefleetError):
    code = 409
    error_type = "duplicate"


class DuplicateZoneError(DuplicateError):
    error_type = "duplicate_zone"
    default_message = "Duplicate Zone"


class DuplicateRecordsetError(DuplicateError):
    error_type = "duplicate_recordset"
    default_message = "Duplicate RecordSet"


class DuplicateRecordError(DuplicateError):
    error_type = "duplicate_record"
    default_message = "Duplicate Record"


class OverQuotaError(ZonefleetError):
    code = 413
    error_type = "over_quota"


class ServiceUnavailableError(ZonefleetError):
    code = 503
    error_type = "service_unavailable"
    default_message = "The service is temporarily unavailable; retry later"


class DatabaseConflictError(ServiceUnavailableError):
    """The database rolled a transaction back (deadlock, serialization failure): nothing
    was written, and the same transaction may pass if run again."""

    default_message = "The database rolled the change back (a deadlock with another); retry"


class InvalidPoolsError(InvalidObjectError):
    """pools.yaml, or applying it, failed; each reason's `path` names the key.

    Paths start at the top-level list, called ``pools``: ``("pools", 0, "targets", 1)``.
    """

    error_type = "invalid_pools"

    def __init__(self, reasons: Sequence[FieldError]) -> None:
        super().__init__(reasons, "The pools definition is invalid")


class PoolInUseError(BadRequestError):
    error_type = "pool_in_use"


class TsigKeyNotFound(NotFound):
    error_type = "tsigkey_not_found"
    default_message = "Could not find TsigKey"


class DuplicateTsigKeyError(DuplicateError):
    error_type = "duplicate_tsigkey"
    default_message = "Duplicate TsigKey"


class TsigKeyInUseError(BadRequestError):
    error_type = "tsigkey_in_use"


class TldNotFound(NotFound):
    error_type = "tld_not_found"
    default_message = "Could not find Tld"


class DuplicateTldError(DuplicateError):
    error_type = "duplicate_tld"
    default_message = "Duplicate Tld"


class BlacklistNotFound(NotFound):
    error_type = "blacklist_not_found"
    default_message = "Could not find Blacklist"


class DuplicateBlacklistError(DuplicateError):
    error_type = "duplicate_blacklist"
    default_message = "Duplicate Blacklist"


class ZoneExportNotFound(NotFound):
    error_type = "zone_export_not_found"
    default_message = "Could not find ZoneExport"


class ZoneImportNotFound(NotFound):
    error_type = "zone_import_not_found"
    default_message = "Could not find ZoneImport"


class ZoneTransferRequestNotFound(NotFound):
    error_type = "zone_transfer_request_not_found"
    default_message = "Could not find ZoneTransferRequest"


class ZoneTransferAcceptNotFound(NotFound):
    error_type = "zone_transfer_accept_not_found"
    default_message = "Could not find ZoneTransferAccept"


class DuplicateZoneTransferRequestError(DuplicateError):
    error_type = "duplicate_zone_transfer_request"
    default_message = "Duplicate ZoneTransferRequest"


class InvalidZoneTransferRequestError(BadRequestError):
    error_type = "invalid_zone_transfer_request"


class InvalidKeyError(ForbiddenError):
    error_type = "invalid_key"
    default_message = "Invalid Key"


class SharedZoneNotFound(NotFound):
    error_type = "shared_zone_not_found"
    default_message = "Could not find SharedZone"


class DuplicateSharedZoneError(DuplicateError):
    error_type = "duplicate_shared_zone"
    default_message = "Duplicate SharedZone"


class SharedZoneHasRecordsetsError(BadRequestError):
    error_type = "shared_zone_has_recordsets"
    default_message = "The project the zone is shared with still owns recordsets in it"


class SharedZoneHasSubZoneError(BadRequestError):
    error_type = "shared_zone_has_sub_zone"
    default_message = "The project the zone is shared with still owns a zone below it"


class ServiceStatusNotFound(NotFound):
    error_type = "service_status_not_found"
    default_message = "Could not find ServiceStatus"
