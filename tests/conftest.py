"""Shared fixtures: settings, real databases (SQLite, PostgreSQL, MariaDB), services, API client.

PostgreSQL and MariaDB are the machine's own servers; each run creates a
database of its own and drops it at the end. In CI (CI=true) an unreachable
server fails the run; elsewhere its tests are skipped with the reason.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, delete, text, update
from sqlalchemy.engine import make_url

from tests.stack import FAST, Stack, clear_pool_state, start_stack
from zonefleet.api.app import create_app
from zonefleet.api.deps import ApiServices
from zonefleet.cli import assembly
from zonefleet.settings import Settings, load_settings
from zonefleet.storage import migrate
from zonefleet.storage.database import Database
from zonefleet.storage.models import (
    DEFAULT_POOL_ID,
    Blacklist,
    JournalEntry,
    Pool,
    PoolAlsoNotify,
    PoolNameserver,
    PoolNsRecord,
    PoolTarget,
    Quota,
    Record,
    Recordset,
    ServiceStatus,
    SharedZone,
    Tld,
    TransferAccept,
    TsigKey,
    Zone,
    ZoneEvent,
    ZoneExport,
    ZoneImport,
    ZoneNameserver,
    ZoneTarget,
)

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get(
    "ZONEFLEET_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MARIADB_ADMIN_URL = os.environ.get(
    "ZONEFLEET_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql"
)


AMQP_URL = os.environ.get("ZONEFLEET_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS_URL = os.environ.get("ZONEFLEET_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI requires it)")
    pytest.skip(reason)


def _server_database(admin_url: str, create: str, drop: str) -> Iterator[str]:
    name = f"zonefleet_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(create.format(name=name)))
    except Exception as exc:  # any failure to reach the server is reported
        admin.dispose()
        unavailable(f"cannot create a test database at {make_url(admin_url).host}: {exc}")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(drop.format(name=name)))
        admin.dispose()


@pytest.fixture(autouse=True)
def _process_logging_put_back() -> Iterator[None]:
    """A `zonefleet` command run in-process (`main([...])`) configures the root logger with
    a handler on the test's captured stderr; once the test is over that stream is closed,
    and a later test's log lines would meet it ("--- Logging error ---"). Put back the
    root logger's level and drop the handlers the test left."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers and type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    yield from _server_database(
        PG_ADMIN_URL, 'CREATE DATABASE "{name}"', 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


@pytest.fixture
def empty_postgresql_url() -> Iterator[str]:
    """A PostgreSQL database of its own, without any schema."""
    yield from _server_database(
        PG_ADMIN_URL, 'CREATE DATABASE "{name}"', 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


@pytest.fixture
def empty_mariadb_url() -> Iterator[str]:
    """A MariaDB database of its own, without any schema."""
    yield from _server_database(
        MARIADB_ADMIN_URL,
        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
        "DROP DATABASE IF EXISTS `{name}`",
    )


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    """The machine's RabbitMQ; tests keep to exchanges and queues of their own."""
    _reachable(AMQP_URL, 5672, "RabbitMQ")
    return AMQP_URL


def _reachable(url: str, default_port: int, what: str) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        unavailable(f"{what} is not reachable at {host}:{port}: {exc}")


@pytest.fixture
def redis_url() -> str:
    """The machine's Redis, under a tooz namespace of the test's own."""
    _reachable(REDIS_URL, 6379, "Redis")
    return f"{REDIS_URL}?namespace=zonefleet-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    yield from _server_database(
        MARIADB_ADMIN_URL,
        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
        "DROP DATABASE IF EXISTS `{name}`",
    )


def make_settings(tmp_path: Path, **env: str) -> Settings:
    environ = {"ZONEFLEET_DATA_DIR": str(tmp_path / "data"), **env}
    return load_settings(environ=environ)


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    def build(**env: str) -> Settings:
        return make_settings(tmp_path, **env)

    return build


@pytest.fixture(scope="session")
def _migrated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    cache: dict[str, Database] = {}

    def get(engine: str) -> Database:
        if engine not in cache:
            if engine == "sqlite":
                path = tmp_path_factory.mktemp("sqlite") / "zonefleet.sqlite3"
                url = f"sqlite:///{path}"
            else:
                url = request.getfixturevalue(f"{engine}_url")
            database = Database(url, pool_size=5)
            migrate.upgrade(database, "ns1.zonefleet.test.")
            cache[engine] = database
        return cache[engine]

    yield get
    for database in cache.values():
        database.dispose()


def _empty(database: Database) -> None:
    """Back to the freshly migrated state: no zones, keys or extra pools; the default pool
    as `db upgrade` made it."""
    with database.write() as session:
        for model in (
            ZoneEvent, ZoneTarget, ZoneNameserver, JournalEntry, Record, Recordset, Zone, Quota,
            PoolTarget, PoolNameserver, PoolAlsoNotify, TsigKey, ServiceStatus, Tld, Blacklist,
            ZoneExport, ZoneImport, TransferAccept, SharedZone,
        ):  # fmt: skip
            session.execute(delete(model))
        session.execute(delete(PoolNsRecord))
        session.execute(delete(Pool).where(Pool.id != DEFAULT_POOL_ID))
        session.execute(
            update(Pool)
            .where(Pool.id == DEFAULT_POOL_ID)
            .values(description="Default pool", attributes={}, threshold_percentage=100,
                    catalog_zone=None)
        )  # fmt: skip
        session.add(
            PoolNsRecord(pool_id=DEFAULT_POOL_ID, hostname="ns1.zonefleet.test.", priority=1)
        )


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database(request: pytest.FixtureRequest, _migrated: Any) -> Iterator[Database]:
    """A migrated database on each engine, emptied of zones after the test."""
    db: Database = _migrated(request.param)
    yield db
    _empty(db)


@pytest.fixture
def sqlite_database(_migrated: Any) -> Iterator[Database]:
    db: Database = _migrated("sqlite")
    yield db
    _empty(db)


def build_services(settings: Settings, database: Database) -> ApiServices:
    return assembly.api_services(settings, database)


@pytest.fixture
def services(database: Database, tmp_path: Path) -> ApiServices:
    return build_services(make_settings(tmp_path), database)


@pytest.fixture
def client(sqlite_database: Database, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(build_services(make_settings(tmp_path), sqlite_database))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def stack_factory(sqlite_database: Database, tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    stacks: list[Stack] = []

    def factory(**env: str) -> Stack:
        stack = start_stack(sqlite_database, make_settings(tmp_path, **{**FAST, **env}))
        stacks.append(stack)
        return stack

    yield factory
    for stack in stacks:
        stack.stop()
    clear_pool_state(sqlite_database)


@pytest.fixture
def stack(stack_factory: Callable[..., Stack]) -> Stack:
    return stack_factory()


@pytest.fixture
def engine_stack(database: Database, tmp_path: Path) -> Iterator[Stack]:
    """mdns and the worker over each engine (SKIP LOCKED claims on PostgreSQL and MariaDB)."""
    stack = start_stack(database, make_settings(tmp_path, **FAST))
    yield stack
    stack.stop()
    clear_pool_state(database)
