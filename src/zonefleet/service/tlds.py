"""TLDs (Designate's `/v2/tlds`, admin-only): once any exists, a new zone must sit under one
and may not be one. Names are stored as Designate shows them: lowercase, no trailing dot,
one label or several ("co.uk")."""

from __future__ import annotations

import re
from dataclasses import dataclass

import dns.name
from sqlalchemy.exc import IntegrityError

from zonefleet.errors import (
    DuplicateTldError,
    FieldError,
    InvalidObjectError,
    InvalidZoneNameError,
    TldNotFound,
)
from zonefleet.service.context import RequestContext
from zonefleet.service.values import UNSET, Unset
from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database
from zonefleet.storage.filters import Page, PageRequest, TldFilter
from zonefleet.storage.models import Tld, new_id
from zonefleet.storage.repositories import Repositories, TldRepository

# Designate's TLD names: labels of letters, digits, '_' and inner '-', no trailing dot.
_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_TLD = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
MAX_NAME = 254  # the zone under it needs a label and a dot more, within 255


@dataclass(frozen=True)
class TldUpdate:
    name: str | Unset = UNSET
    description: str | Unset | None = UNSET


def tld_name(text: str) -> str:
    """The stored form of a TLD name; raises ValueError saying why it is not one."""
    lowered = text.lower()
    if lowered.endswith("."):
        raise ValueError(f"{text!r} is not a TLD name: it may not end with a dot")
    if len(lowered) > MAX_NAME or not _TLD.fullmatch(lowered):
        raise ValueError(
            f"{text!r} is not a TLD name: labels of letters, digits, '_' and inner '-', "
            "each at most 63 long, joined by dots"
        )
    return lowered


def check_zone_under_tld(repos: Repositories, name: dns.name.Name) -> None:
    """InvalidZoneNameError unless the zone sits under a TLD (when any exists) and is none."""
    labels = [label.decode().lower() for label in name.labels if label]
    candidates = [".".join(labels[index:]) for index in range(len(labels))]
    exist, found = repos.tlds.among(candidates)
    if candidates[0] in found:
        raise InvalidZoneNameError("Zone name cannot be the same as a TLD")
    if exist and not found:
        raise InvalidZoneNameError("Invalid TLD")


class TldService:
    """Admin-only (Designate's policy "A"); raises only Zonefleet errors."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @retried
    def create_tld(self, ctx: RequestContext, name: str, description: str | None) -> Tld:
        ctx.require_admin("create_tld")
        tld = Tld(id=new_id(), name=_checked_name(name), description=description)
        try:
            with self.database.write() as session:
                TldRepository(session).add(tld)
        except IntegrityError:
            raise DuplicateTldError() from None
        return tld

    def find_tlds(self, ctx: RequestContext, criteria: TldFilter, page: PageRequest) -> Page[Tld]:
        ctx.require_admin("find_tlds")
        with self.database.read() as session:
            return TldRepository(session).list(criteria, page)

    def get_tld(self, ctx: RequestContext, tld_id: str) -> Tld:
        ctx.require_admin("get_tld")
        with self.database.read() as session:
            tld = TldRepository(session).get(tld_id)
        if tld is None:
            raise TldNotFound()
        return tld

    @retried
    def update_tld(self, ctx: RequestContext, tld_id: str, update: TldUpdate) -> Tld:
        ctx.require_admin("update_tld")
        name = None if update.name is UNSET else _checked_name(update.name)
        try:
            with self.database.write() as session:
                tld = TldRepository(session).get(tld_id)
                if tld is None:
                    raise TldNotFound()
                if name is not None:
                    tld.name = name
                if update.description is not UNSET:
                    tld.description = update.description
                session.flush()
        except IntegrityError:
            raise DuplicateTldError() from None
        return tld

    @retried
    def delete_tld(self, ctx: RequestContext, tld_id: str) -> None:
        ctx.require_admin("delete_tld")
        with self.database.write() as session:
            tlds = TldRepository(session)
            tld = tlds.get(tld_id)
            if tld is None:
                raise TldNotFound()
            tlds.delete(tld)


def _checked_name(text: str) -> str:
    try:
        return tld_name(text)
    except ValueError as exc:
        raise InvalidObjectError([FieldError(("name",), str(exc), "format")]) from None
