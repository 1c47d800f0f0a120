"""`zonefleet` subcommands: serve, api, worker, mdns, producer, db, config, pool, tsigkey, zone,
doctor."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from zonefleet import logs
from zonefleet.cli import assembly, doctor, pools, roles, tsigkeys, zones
from zonefleet.cli.serve import serve_all
from zonefleet.settings import Settings, SettingsError, load_settings, sample
from zonefleet.storage import migrate
from zonefleet.storage.database import Database

console = Console(stderr=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zonefleet", description="Zonefleet DNS-as-a-Service")
    parser.add_argument("--config", type=Path, help="settings file (TOML)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the embedded default: every role in one process")
    commands.add_parser("api", help="run the v2 API (one role of a cluster)")
    commands.add_parser("worker", help="run a reconciler (one role of a cluster)")
    commands.add_parser("mdns", help="run the mini-DNS server (one role of a cluster)")
    commands.add_parser("producer", help="run the periodic tasks (one role of a cluster)")
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
    doctor.register(commands)
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
    logs.configure(settings.log_level, settings.log_format)
    commands: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
        "db": lambda settings, args: _db(settings, args.db_command),
        "pool": pools.run,
        "tsigkey": tsigkeys.run,
        "zone": zones.run,
        "doctor": doctor.run,
        "serve": lambda settings, _: _serve(settings),
        "api": lambda settings, _: _role(settings, roles.run_api),
        "worker": lambda settings, _: _role(settings, roles.run_worker),
        "mdns": lambda settings, _: _role(settings, roles.run_mdns),
        "producer": lambda settings, _: _role(settings, roles.run_producer),
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
    return _role(settings, serve_all, upgrade_sqlite=True)


def _role(
    settings: Settings,
    run: Callable[[Settings, Database], Coroutine[Any, Any, None]],
    *,
    upgrade_sqlite: bool = False,
) -> int:
    db = assembly.database(settings)
    try:
        if upgrade_sqlite and db.dialect == "sqlite":
            migrate.upgrade(db, settings.pools.default_ns_hostname)
        elif migrate.current_revision(db) != migrate.head_revision():
            console.print(
                "[red]zonefleet: the schema is not current; run `zonefleet db upgrade`[/red]"
            )
            return 2
        # Everything built so far lives for the whole process: keep the collector off it.
        gc.freeze()
        asyncio.run(run(settings, db))
    except roles.RoleError as exc:
        console.print(f"[red]zonefleet: {exc}[/red]", highlight=False)
        return 2
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
