"""Every write of the v2 API, not only zones and recordsets, runs again when its transaction
lost a conflict at commit (a deadlock victim, a Galera certification failure): the caller
sees the write done once, never a 503 for a conflict that a second try would pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.service.factories import admin, ctx, make_zone
from zonefleet.api.deps import ApiServices
from zonefleet.errors import DatabaseConflictError
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
    Blacklist,
    Quota,
    SharedZone,
    Tld,
    TransferRequest,
    TsigKey,
    Zone,
    ZoneExport,
    ZoneImport,
)

SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQ="


def losing_commits(
    monkeypatch: pytest.MonkeyPatch, times: int = 0, losing: frozenset[int] = frozenset()
) -> list[int]:
    """The next `times` write transactions (or those numbered in `losing`, from 1) do their
    whole work, then lose a conflict where they would commit (rolled back, as the database
    would); the transactions begun."""
    real = Database.write
    begun: list[int] = []

    @contextmanager
    def write(self: Database) -> Iterator[Session]:
        begun.append(1)
        number = len(begun)
        with real(self) as session:
            yield session
            if number <= times or number in losing:
                raise DatabaseConflictError()

    monkeypatch.setattr(Database, "write", write)
    return begun


def rows(database: Database, model: type, **where: object) -> int:
    with database.read() as session:
        statement = select(func.count()).select_from(model).filter_by(**where)
        return int(session.scalar(statement) or 0)


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[ApiServices], str]  # → what `write` needs (a zone id, or "")
    write: Callable[[ApiServices, str], object]
    written: Callable[[Database, str], bool]  # the write's effect is there, once


def create_key(services: ApiServices) -> TsigKey:
    return services.tsigkeys.create_tsigkey_for(
        admin(), name="conflict-key", algorithm="hmac-sha256", secret=SECRET, scope="POOL",
        resource_id=None,
    )  # fmt: skip


def _zone(services: ApiServices) -> str:
    return make_zone(services, "conflicts.example.").id


CASES = (
    Case(
        "tld create",
        lambda services: "",
        lambda services, _: services.tlds.create_tld(admin(), "example", None),
        lambda database, _: rows(database, Tld) == 1,
    ),
    Case(
        "tsigkey create",
        lambda services: "",
        lambda services, _: create_key(services),
        lambda database, _: rows(database, TsigKey) == 1,
    ),
    Case(
        "blacklist create",
        lambda services: "",
        lambda services, _: services.blacklists.create_blacklist(admin(), r"^evil\.", None),
        lambda database, _: rows(database, Blacklist) == 1,
    ),
    Case(
        "quota set",
        lambda services: "",
        lambda services, _: services.quotas.set_quotas(admin(), "p2", {"zones": 7}),
        lambda database, _: rows(database, Quota, project_id="p2") == 1,
    ),
    Case(
        "zone share",
        _zone,
        lambda services, zone_id: services.shares.share(ctx(), zone_id, "p2"),
        lambda database, zone_id: rows(database, SharedZone, zone_id=zone_id) == 1,
    ),
    Case(
        "transfer request",
        _zone,
        lambda services, zone_id: services.transfers.create_request(ctx(), zone_id, "p2", None),
        lambda database, zone_id: rows(database, TransferRequest, zone_id=zone_id) == 1,
    ),
    Case(
        "zone export",
        _zone,
        lambda services, zone_id: services.exports.create_export(ctx(), zone_id),
        lambda database, zone_id: rows(database, ZoneExport, zone_id=zone_id) == 1,
    ),
    Case(
        "zone abandon",
        _zone,
        lambda services, zone_id: services.zones.abandon_zone(admin(), zone_id),
        lambda database, zone_id: rows(database, Zone, id=zone_id, deleted=zone_id) == 1,
    ),
)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_write_that_lost_a_conflict_at_commit_is_done_once_by_its_second_try(
    services: ApiServices, database: Database, monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    subject = case.setup(services)
    begun = losing_commits(monkeypatch, times=1)
    case.write(services, subject)
    assert len(begun) == 2
    assert case.written(database, subject)


@pytest.mark.parametrize("case", CASES[:2], ids=[case.name for case in CASES[:2]])
def test_a_write_that_keeps_losing_reaches_the_caller_and_leaves_nothing(
    services: ApiServices, database: Database, monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    subject = case.setup(services)
    begun = losing_commits(monkeypatch, times=3)
    with pytest.raises(DatabaseConflictError):
        case.write(services, subject)
    assert len(begun) == 3
    assert not case.written(database, subject)


ZONE_FILE = """$ORIGIN imported.example.
$TTL 300
@ IN SOA ns1.imported.example. hostmaster.imported.example. 1 3600 600 86400 300
@ IN NS ns1.imported.example.
www IN A 192.0.2.7
"""


def test_an_import_whose_task_write_lost_a_conflict_stores_it_without_importing_twice(
    services: ApiServices, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    begun = losing_commits(monkeypatch, losing=frozenset({2}))  # the zone, then its task
    task = services.imports.import_zone(ctx(), ZONE_FILE)
    assert task.status == "COMPLETE", task.message
    assert len(begun) == 3
    assert rows(database, Zone, name="imported.example.") == 1
    assert rows(database, ZoneImport, id=task.id, zone_id=task.zone_id) == 1
