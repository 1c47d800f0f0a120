"""TSIG keys for operators, from `zonefleet tsigkey` and the admin-only /v2/tsigkeys.

Keys are stored under their lowercase absolute name; a key a pool still refers to
cannot be deleted or renamed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy.exc import IntegrityError

from zonefleet.errors import (
    DuplicateTsigKeyError,
    FieldError,
    InvalidObjectError,
    PoolNotFound,
    TsigKeyInUseError,
    TsigKeyNotFound,
    ZoneNotFound,
)
from zonefleet.pools import tsig
from zonefleet.pools.rows import definition_of
from zonefleet.pools.schema import key_path
from zonefleet.service.context import RequestContext
from zonefleet.service.values import UNSET, Unset
from zonefleet.storage.conflicts import retried
from zonefleet.storage.database import Database
from zonefleet.storage.filters import Page, PageRequest, TsigKeyFilter
from zonefleet.storage.models import DEFAULT_POOL_ID, TsigKey, TsigScope, new_id
from zonefleet.storage.repositories import Repositories, TsigKeyRepository


@dataclass(frozen=True)
class TsigKeyUpdate:
    """The fields a PATCH gives; UNSET ones stay as they are."""

    name: str | Unset = UNSET
    algorithm: str | Unset = UNSET
    secret: str | Unset = UNSET
    scope: str | Unset = UNSET
    resource_id: str | Unset | None = UNSET


class TsigKeyService:
    """TSIG keys for transfers, NOTIFY and SOA checks; raises only Zonefleet errors."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @retried
    def create_tsigkey(
        self,
        name: str,
        algorithm: str,
        secret: str | None = None,
        scope: str = TsigScope.POOL,
        resource_id: str | None = None,
    ) -> TsigKey:
        """A new key; without `secret` one is generated (the returned row holds it).

        Raises InvalidObjectError naming every bad field, DuplicateTsigKeyError, and
        PoolNotFound or ZoneNotFound when `resource_id` names neither.
        """
        reasons: list[FieldError] = []
        key = TsigKey(
            id=new_id(),
            name=_checked(reasons, "name", tsig.key_name, name),
            algorithm=_checked(reasons, "algorithm", tsig.algorithm, algorithm),
            scope=_checked(reasons, "scope", _scope, scope),
            secret=_checked(reasons, "secret", tsig.secret, secret) if secret is not None else "",
        )
        if reasons:
            raise InvalidObjectError(reasons)
        key.secret = key.secret or tsig.new_secret(key.algorithm)
        try:
            with self.database.write() as session:
                key.resource_id = self._resource(Repositories(session), key.scope, resource_id)
                TsigKeyRepository(session).add(key)
        except IntegrityError:
            raise DuplicateTsigKeyError() from None
        return key

    def list_tsigkeys(self) -> Sequence[TsigKey]:
        with self.database.read() as session:
            return TsigKeyRepository(session).all()

    @retried
    def delete_tsigkey(self, name: str) -> TsigKey:
        """Remove the key; refused (TsigKeyInUseError) while a pool or retired target uses it."""
        with self.database.write() as session:
            repos, keys = Repositories(session), TsigKeyRepository(session)
            key = keys.by_name(_stored_name(name))
            if key is None:
                raise TsigKeyNotFound(f"no TSIG key named {name!r}")
            _refuse_if_used(repos, key, "deleted")
            keys.delete(key)
            return key

    # -- the admin-only v2 API (Designate's policy "A") -------------------------------------

    def create_tsigkey_for(
        self,
        ctx: RequestContext,
        *,
        name: str,
        algorithm: str,
        secret: str | None,
        scope: str,
        resource_id: str | None,
    ) -> TsigKey:
        ctx.require_admin("create_tsigkey")
        return self.create_tsigkey(name, algorithm, secret, scope, resource_id)

    def find_tsigkeys(
        self, ctx: RequestContext, criteria: TsigKeyFilter, page: PageRequest
    ) -> Page[TsigKey]:
        """One page of keys; ForbiddenError for a non-admin, MarkerNotFound."""
        ctx.require_admin("find_tsigkeys")
        if criteria.name is not None and "*" not in criteria.name:
            # "transfer-key" finds the key stored as "transfer-key.", as clients look keys up.
            criteria = replace(criteria, name=_stored_name(criteria.name))
        with self.database.read() as session:
            return TsigKeyRepository(session).list(criteria, page)

    def get_tsigkey(self, ctx: RequestContext, key_id: str) -> TsigKey:
        ctx.require_admin("get_tsigkey")
        with self.database.read() as session:
            key = TsigKeyRepository(session).get(key_id)
        if key is None:
            raise TsigKeyNotFound()
        return key

    @retried
    def update_tsigkey(self, ctx: RequestContext, key_id: str, update: TsigKeyUpdate) -> TsigKey:
        """The key with `update` applied, every field checked first (InvalidObjectError naming
        each bad one); a key a pool uses keeps its name (TsigKeyInUseError)."""
        ctx.require_admin("update_tsigkey")
        reasons: list[FieldError] = []
        checked: dict[str, str] = {}
        for field, check in (
            ("name", tsig.key_name), ("algorithm", tsig.algorithm),
            ("secret", tsig.secret), ("scope", _scope),
        ):  # fmt: skip
            value = getattr(update, field)
            if value is not UNSET:
                checked[field] = _checked(reasons, field, check, value)
        if reasons:
            raise InvalidObjectError(reasons)
        try:
            with self.database.write() as session:
                repos = Repositories(session)
                key = TsigKeyRepository(session).get(key_id)
                if key is None:
                    raise TsigKeyNotFound()
                if checked.get("name", key.name) != key.name:
                    _refuse_if_used(repos, key, "renamed")
                for field, value in checked.items():
                    setattr(key, field, value)
                if "scope" in checked or update.resource_id is not UNSET:
                    wanted = key.resource_id if update.resource_id is UNSET else update.resource_id
                    key.resource_id = self._resource(repos, key.scope, wanted)
                session.flush()
        except IntegrityError:
            raise DuplicateTsigKeyError() from None
        return key

    @retried
    def delete_tsigkey_by_id(self, ctx: RequestContext, key_id: str) -> None:
        """Remove the key; TsigKeyInUseError while a pool or retired target uses it."""
        ctx.require_admin("delete_tsigkey")
        with self.database.write() as session:
            keys = TsigKeyRepository(session)
            key = keys.get(key_id)
            if key is None:
                raise TsigKeyNotFound()
            _refuse_if_used(Repositories(session), key, "deleted")
            keys.delete(key)

    @staticmethod
    def _resource(repos: Repositories, scope: str, resource_id: str | None) -> str:
        """A POOL key belongs to a pool (the default one unless told); a ZONE key to a zone."""
        if scope == TsigScope.POOL:
            pool_id = resource_id or DEFAULT_POOL_ID
            if repos.pools.get(pool_id) is None:
                raise PoolNotFound(f"no pool with id {pool_id}")
            return pool_id
        if resource_id is None:
            raise InvalidObjectError([FieldError(("resource_id",), "a ZONE key names its zone")])
        if repos.zones.get(resource_id) is None:
            raise ZoneNotFound(f"no zone with id {resource_id}")
        return resource_id


def _refuse_if_used(repos: Repositories, key: TsigKey, what: str) -> None:
    """TsigKeyInUseError naming every pool setting and retired target that names the key."""
    users = [
        f"pool {pool.name!r} {key_path(path)}"
        for pool in repos.pools.all()
        for path, used in definition_of(pool).tsig_references()
        if used == key.name
    ]
    retired = repos.pools.retired_targets()
    users += [f"retired target {t.id}" for t in retired if t.tsigkey_name == key.name]
    if users:
        message = f"TSIG key {key.name!r} is used by {', '.join(users)}: it cannot be {what}"
        raise TsigKeyInUseError(message)


def _checked(reasons: list[FieldError], field: str, check: Callable[[str], str], value: str) -> str:
    try:
        return check(value)
    except ValueError as exc:
        reasons.append(FieldError((field,), str(exc)))
        return ""


def _scope(text: str) -> str:
    if text.upper() not in TsigScope.__members__:
        raise ValueError(f"scope {text!r} is not one of {', '.join(TsigScope)}")
    return TsigScope[text.upper()].value


def _stored_name(name: str) -> str:
    try:
        return tsig.key_name(name)
    except ValueError:
        return name
