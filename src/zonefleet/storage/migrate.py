"""Schema migrations through Alembic, and the rows every deployment starts with."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from zonefleet.storage.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(default_ns_hostname: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["default_ns_hostname"] = default_ns_hostname
    return config


def upgrade(database: Database, default_ns_hostname: str, revision: str = "head") -> None:
    """Apply every pending migration; the first creates the default pool."""
    config = _config(default_ns_hostname)
    with database.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(database: Database) -> str | None:
    with database.write_engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config("")).get_current_head()
