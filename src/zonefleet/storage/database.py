"""Engines and transactions for SQLite, PostgreSQL and MariaDB/MySQL.

`Database.write()` is one read-write transaction. On SQLite it begins
IMMEDIATE so concurrent writers queue on the busy timeout instead of failing
when a read lock cannot be upgraded; readers use a second engine with plain
deferred transactions and WAL, so they never wait for writers. Writers of one
process (the API's threads, the worker's) queue on a lock of their own first:
SQLite's busy handler polls with sleeps of 1 ms growing to 100 ms, so a writer
that found the database locked would sleep long after the lock was released.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from zonefleet.errors import DatabaseConflictError, ServiceUnavailableError
from zonefleet.metrics import DATABASE_CONFLICTS, DATABASE_UNAVAILABLE

LOG = logging.getLogger(__name__)
SQLITE_BUSY_SECONDS = 30.0


class Database:
    """Owns the engines; hands out sessions inside transactions."""

    def __init__(
        self, url: str, *, pool_size: int = 10, echo: bool = False, timeline: bool = True
    ) -> None:
        """`timeline=False` keeps the zones' timelines unwritten (sessions say so in their
        `info`, which `EventRepository` reads): for measuring what the timeline costs."""
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        # Reentrant: a nested write in one thread waits on SQLite's busy timeout, as it did.
        self._writers = threading.RLock() if self.dialect == "sqlite" else None
        if self.dialect == "sqlite":
            self._prepare_sqlite_file()
            self.write_engine = self._sqlite_engine(immediate=True, echo=echo)
            self.read_engine = self._sqlite_engine(immediate=False, echo=echo)
        else:
            options: dict[str, Any] = {"pool_size": pool_size, "pool_pre_ping": True}
            if self.dialect in ("mysql", "mariadb"):
                options["isolation_level"] = "READ COMMITTED"
                options["pool_recycle"] = 3600
            self.write_engine = create_engine(self.url, echo=echo, **options)
            self.read_engine = self.write_engine
        info = {"timeline": timeline}
        self._write_sessions = sessionmaker(self.write_engine, expire_on_commit=False, info=info)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False, info=info)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One read-write transaction: committed on success, rolled back on any error."""
        with self._queued(), _unavailable_on_disconnect(), self._write_sessions.begin() as session:
            yield session

    @contextmanager
    def _queued(self) -> Iterator[None]:
        """Wait for this process's other writers; after the busy timeout, go on to SQLite's
        own wait, so a writer stuck on this lock fails as it would have failed before."""
        if self._writers is None:
            yield
            return
        queued = self._writers.acquire(timeout=SQLITE_BUSY_SECONDS)
        try:
            yield
        finally:
            if queued:
                self._writers.release()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One read-only transaction (rolled back at the end)."""
        with _unavailable_on_disconnect(), self._read_sessions() as session:
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """One read-only transaction on a Core connection (rolled back at the end), for
        readers that need no ORM objects: it skips the session's own bookkeeping."""
        with _unavailable_on_disconnect(), self.read_engine.connect() as connection:
            yield connection

    def ping(self) -> bool:
        try:
            with self.read_engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError:
            return False
        return True

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()

    def _prepare_sqlite_file(self) -> None:
        database = self.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

    def _sqlite_engine(self, *, immediate: bool, echo: bool) -> Engine:
        engine = create_engine(self.url, echo=echo, connect_args={"timeout": SQLITE_BUSY_SECONDS})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event below issue BEGIN itself.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine


@contextmanager
def _unavailable_on_disconnect() -> Iterator[None]:
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        # InterfaceError: the driver found its connection already closed under it.
        gone = isinstance(exc, InterfaceError) or exc.connection_invalidated
        if gone or _is_connection_failure(exc):
            LOG.warning("database unavailable: %s", exc.orig)
            DATABASE_UNAVAILABLE.inc()
            raise ServiceUnavailableError() from exc
        if _is_conflict(exc):
            # The transaction was rolled back whole: nothing was written, a retry may pass.
            LOG.warning("database conflict, transaction rolled back: %s", exc.orig)
            DATABASE_CONFLICTS.inc()
            raise DatabaseConflictError() from exc
        raise


# PostgreSQL: connection exceptions (08…), shut down by an operator or a crash, and "cannot
# connect now" (57P03: shutting down, starting up, recovering). A new session meets the
# last before it has a connection SQLAlchemy could call invalidated.
_UNAVAILABLE_SQLSTATES = {"08000", "08001", "08003", "08004", "08006", "57P01", "57P02", "57P03"}
# MySQL/MariaDB client and server codes: can't connect (2002, 2003), server gone (2006), lost
# connection (2013), shutdown in progress (1053), server not yet accepting (1927).
_UNAVAILABLE_MYSQL_CODES = {1053, 1927, 2002, 2003, 2006, 2013}
_UNAVAILABLE_MESSAGES = (
    "connection refused",
    "can't connect",
    "server closed",
    "lost connection",
    "the database system is",  # … shutting down / starting up / in recovery mode (57P03)
    "too many clients",  # 53300: every connection slot taken, for now
)


# Deadlocks and serialization failures: PostgreSQL 40P01, 40001; MySQL/MariaDB 1213 (deadlock),
# 1205 (lock wait timeout), 4060 (InnoDB "record changed", MariaDB's snapshot isolation).
_CONFLICT_SQLSTATES = {"40P01", "40001"}
_CONFLICT_MYSQL_CODES = {1205, 1213, 4060}


def _is_conflict(exc: DBAPIError) -> bool:
    original = exc.orig
    if getattr(original, "sqlstate", None) in _CONFLICT_SQLSTATES:
        return True
    code = next(iter(getattr(original, "args", ())), None)
    return isinstance(code, int) and code in _CONFLICT_MYSQL_CODES


def _is_connection_failure(exc: DBAPIError) -> bool:
    """Whether the error means "no database to talk to", not "this statement failed"."""
    original = exc.orig
    if getattr(original, "sqlstate", None) in _UNAVAILABLE_SQLSTATES:
        return True
    args = getattr(original, "args", ())
    if args and isinstance(args[0], int) and args[0] in _UNAVAILABLE_MYSQL_CODES:
        return True
    # psycopg gives no SQLSTATE for a session refused while it connects: read the message.
    text_ = str(original).lower()
    return any(marker in text_ for marker in _UNAVAILABLE_MESSAGES)
