"""Blacklists (Designate's `/v2/blacklists`, admin-only): regular expressions no tenant's new
zone name may match. Admins may still create such zones, as Designate's
`use_blacklisted_zone` policy allows.

Patterns are Python regular expressions, searched in the absolute zone name. Each search
runs with a time limit (the `regex` module's timeout): a pattern that backtracks past it
counts as a match, so a hostile pattern costs a zone create MATCH_TIMEOUT, never a stall.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import dns.name
import regex
from sqlalchemy.exc import IntegrityError

from zonefleet.dns.names import name_text
from zonefleet.errors import (
    BlacklistNotFound,
    DuplicateBlacklistError,
    FieldError,
    InvalidObjectError,
    InvalidZoneNameError,
)
from zonefleet.service.context import RequestContext
from zonefleet.service.values import UNSET, Unset
from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database
from zonefleet.storage.filters import BlacklistFilter, Page, PageRequest
from zonefleet.storage.models import Blacklist, new_id
from zonefleet.storage.repositories import BlacklistRepository, Repositories

MATCH_TIMEOUT = 0.02  # seconds one pattern may search one name, as Designate allows


@dataclass(frozen=True)
class BlacklistUpdate:
    pattern: str | Unset = UNSET
    description: str | Unset | None = UNSET


@functools.lru_cache(maxsize=1024)
def compiled(pattern: str) -> regex.Pattern[str]:
    """The pattern compiled; raises regex.error when it is not a regular expression."""
    return regex.compile(pattern)


def blacklisted(patterns: list[str] | tuple[str, ...], zone_name: str) -> str | None:
    """The first pattern found in `zone_name` (or that ran out of time searching it)."""
    for pattern in patterns:
        try:
            if compiled(pattern).search(zone_name, timeout=MATCH_TIMEOUT) is not None:
                return pattern
        except TimeoutError:
            return pattern
        except regex.error:
            continue  # stored before a stricter check: it matches nothing
    return None


def check_zone_not_blacklisted(
    repos: Repositories, ctx: RequestContext, name: dns.name.Name
) -> None:
    """InvalidZoneNameError when a blacklist pattern matches the name, unless ctx is admin."""
    if ctx.is_admin:
        return
    patterns = repos.blacklists.patterns()
    if patterns and blacklisted(list(patterns), name_text(name)) is not None:
        raise InvalidZoneNameError("Blacklisted zone name")


class BlacklistService:
    """Admin-only (Designate's policy "A"); raises only Zonefleet errors."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @retried
    def create_blacklist(
        self, ctx: RequestContext, pattern: str, description: str | None
    ) -> Blacklist:
        ctx.require_admin("create_blacklist")
        blacklist = Blacklist(id=new_id(), pattern=_checked(pattern), description=description)
        try:
            with self.database.write() as session:
                BlacklistRepository(session).add(blacklist)
        except IntegrityError:
            raise DuplicateBlacklistError() from None
        return blacklist

    def find_blacklists(
        self, ctx: RequestContext, criteria: BlacklistFilter, page: PageRequest
    ) -> Page[Blacklist]:
        ctx.require_admin("find_blacklists")
        with self.database.read() as session:
            return BlacklistRepository(session).list(criteria, page)

    def get_blacklist(self, ctx: RequestContext, blacklist_id: str) -> Blacklist:
        ctx.require_admin("get_blacklist")
        with self.database.read() as session:
            blacklist = BlacklistRepository(session).get(blacklist_id)
        if blacklist is None:
            raise BlacklistNotFound()
        return blacklist

    @retried
    def update_blacklist(
        self, ctx: RequestContext, blacklist_id: str, update: BlacklistUpdate
    ) -> Blacklist:
        ctx.require_admin("update_blacklist")
        pattern = None if update.pattern is UNSET else _checked(update.pattern)
        try:
            with self.database.write() as session:
                blacklist = BlacklistRepository(session).get(blacklist_id)
                if blacklist is None:
                    raise BlacklistNotFound()
                if pattern is not None:
                    blacklist.pattern = pattern
                if update.description is not UNSET:
                    blacklist.description = update.description
                session.flush()
        except IntegrityError:
            raise DuplicateBlacklistError() from None
        return blacklist

    @retried
    def delete_blacklist(self, ctx: RequestContext, blacklist_id: str) -> None:
        ctx.require_admin("delete_blacklist")
        with self.database.write() as session:
            blacklists = BlacklistRepository(session)
            blacklist = blacklists.get(blacklist_id)
            if blacklist is None:
                raise BlacklistNotFound()
            blacklists.delete(blacklist)


def _checked(pattern: str) -> str:
    """The pattern, if it is a non-empty regular expression; InvalidObjectError otherwise."""
    if not pattern:
        reason = "a blacklist pattern may not be empty"
    else:
        try:
            compiled(pattern)
            return pattern
        except regex.error as exc:
            reason = f"{pattern!r} is not a regular expression: {exc}"
    raise InvalidObjectError([FieldError(("pattern",), reason, "format")])
