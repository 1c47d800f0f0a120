"""`zonefleet` subcommands: serve, db upgrade|current, config sample, pool, tsigkey."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from zonefleet.cli import assembly, pools, tsigkeys, zones
from zonefleet.cli.serve import serve_all
from zonefleet.settings import Settings, SettingsError, load_settings, sample
from zonefleet.storage import migrate

console = Console(stderr=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zonefleet", description="Zonefleet DNS-as-a-Service")
    parser.add_argument("--config", type=Path, help="settings file (TOML)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the embedded default: every role in one process")
    db = commands.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="apply every pending migration")
    db.add_parser("current", help="print the schema revision")
    config = commands.add_parser("config", help="settings").add_subparsers(
        dest="config_command", required=True
    )
    config.add_parser("sample", help="print every option with its description")
    pools.register(commands)
    tsigkeys.register(commands)
    zones.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "config":
        print(sample())
        return 0
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        console.print(f"[red]zonefleet: {exc}[/red]", highlight=False)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    commands: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
        "db": lambda settings, args: _db(settings, args.db_command),
        "pool": pools.run,
        "tsigkey": tsigkeys.run,
        "zone": zones.run,
        "serve": lambda settings, _: _serve(settings),
    }
    return commands[args.command](settings, args)


def _db(settings: Settings, command: str) -> int:
    db = assembly.database(settings)
    try:
        if command == "upgrade":
            migrate.upgrade(db, settings.pools.default_ns_hostname)
            print(f"schema at {migrate.current_revision(db)}")
        else:
            print(migrate.current_revision(db) or "empty")
    finally:
        db.dispose()
    return 0


def _serve(settings: Settings) -> int:
    db = assembly.database(settings)
    try:
        if db.dialect == "sqlite":
            migrate.upgrade(db, settings.pools.default_ns_hostname)
        elif migrate.current_revision(db) != migrate.head_revision():
            console.print(
                "[red]zonefleet: the schema is not current; run `zonefleet db upgrade`[/red]"
            )
            return 2
        # Everything built so far lives for the whole process: keep the collector off it.
        gc.freeze()
        asyncio.run(serve_all(settings, db))
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
