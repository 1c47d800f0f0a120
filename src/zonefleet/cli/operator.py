"""What the operator commands share: the consoles, the database at the current schema,
and errors printed with every reason."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from zonefleet.cli import assembly
from zonefleet.errors import InvalidObjectError, ZonefleetError
from zonefleet.pools.schema import key_path
from zonefleet.settings import Settings
from zonefleet.storage import migrate
from zonefleet.storage.database import Database

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def with_database(settings: Settings, action: Callable[[Database], int], *, failed: int = 2) -> int:
    """Run `action` on the database; a Zonefleet error is printed and exits `failed`."""
    database = open_database(settings)
    if database is None:
        return 2
    try:
        return action(database)
    except ZonefleetError as exc:
        print_error(exc)
        return failed
    finally:
        database.dispose()


def open_database(settings: Settings) -> Database | None:
    """The database at the current schema (SQLite is brought to it, as `serve` does)."""
    database = assembly.database(settings)
    if database.dialect == "sqlite":
        migrate.upgrade(database, settings.pools.default_ns_hostname)
    elif migrate.current_revision(database) != migrate.head_revision():
        err.print("[red]zonefleet: the schema is not current; run `zonefleet db upgrade`")
        database.dispose()
        return None
    return database


def print_error(exc: ZonefleetError) -> None:
    if isinstance(exc, InvalidObjectError):
        err.print(f"[red]zonefleet: {escape(exc.message or exc.error_type)}:")
        for reason in exc.reasons:
            err.print(f"  {escape(key_path(reason.path))}: {escape(reason.message)}")
    else:
        err.print(f"[red]zonefleet: {escape(exc.message or exc.error_type)}")
