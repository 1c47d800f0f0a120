"""TSIG keys for operators: create, list, delete (the v2 API for them comes later).

Keys are stored under their lowercase absolute name; a key a pool still refers to
cannot be deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
from zonefleet.storage.database import Database
from zonefleet.storage.models import DEFAULT_POOL_ID, TsigKey, TsigScope, new_id
from zonefleet.storage.repositories import Repositories, TsigKeyRepository


class TsigKeyService:
    """TSIG keys for transfers, NOTIFY and SOA checks; raises only Zonefleet errors."""

    def __init__(self, database: Database) -> None:
        self.database = database

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

    def delete_tsigkey(self, name: str) -> TsigKey:
        """Remove the key; refused (TsigKeyInUseError) while a pool or retired target uses it."""
        with self.database.write() as session:
            repos, keys = Repositories(session), TsigKeyRepository(session)
            key = keys.by_name(_stored_name(name))
            if key is None:
                raise TsigKeyNotFound(f"no TSIG key named {name!r}")
            users = [
                f"pool {pool.name!r} {key_path(path)}"
                for pool in repos.pools.all()
                for path, used in definition_of(pool).tsig_references()
                if used == key.name
            ]
            retired = repos.pools.retired_targets()
            users += [f"retired target {t.id}" for t in retired if t.tsigkey_name == key.name]
            if users:
                raise TsigKeyInUseError(f"TSIG key {key.name!r} is used by {', '.join(users)}")
            keys.delete(key)
            return key

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
