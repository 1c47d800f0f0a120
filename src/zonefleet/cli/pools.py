"""`zonefleet pool update|show`: load pools.yaml into the database, print what is loaded."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from zonefleet.cli.operator import err, out, with_database
from zonefleet.pools.diff import Kind, PoolsDiff
from zonefleet.pools.load import dump_pools, load_pools
from zonefleet.pools.schema import PoolDefinition
from zonefleet.service.pools import PoolService
from zonefleet.settings import Settings
from zonefleet.storage.database import Database

MARKS = {Kind.ADDED: "[green]+", Kind.REMOVED: "[red]-", Kind.CHANGED: "[yellow]~"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pool = subparsers.add_parser("pool", help="pools: load pools.yaml, show what is loaded")
    commands = pool.add_subparsers(dest="pool_command", required=True)
    update = commands.add_parser("update", help="load pools.yaml, as Designate's `pool update`")
    update.add_argument("--file", type=Path, help="the pools.yaml (default: setting pools.file)")
    update.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    update.add_argument(
        "--delete", action="store_true", help="delete loaded pools the file does not list"
    )
    show = commands.add_parser("show", help="print the loaded pools")
    show.add_argument("--format", choices=("yaml", "table"), default="yaml")


def run(settings: Settings, args: argparse.Namespace) -> int:
    def action(database: Database) -> int:
        service = PoolService(database)
        if args.pool_command == "update":
            return _update(settings, service, args)
        _show(service.list_pools(), args.format)
        return 0

    return with_database(settings, action)


def _update(settings: Settings, service: PoolService, args: argparse.Namespace) -> int:
    path = args.file or (Path(settings.pools.file) if settings.pools.file else None)
    if path is None:
        err.print("[red]zonefleet: no pools file: give --file or set pools.file")
        return 2
    diff = service.update_pools(load_pools(path), delete=args.delete, dry_run=args.dry_run)
    _print_diff(diff)
    if args.dry_run:
        out.print("dry run: nothing was written")
    return 0


def _print_diff(diff: PoolsDiff) -> None:
    for pool in diff.pools:
        if pool.kind == Kind.KEPT:
            out.print(f"pool {escape(pool.name)!r} kept: loaded, not in the file (see --delete)")
            continue
        out.print(f"{MARKS[pool.kind]} pool {escape(pool.name)!r} {pool.kind}[/]")
        for item in pool.changes:
            out.print(f"    {MARKS[item.kind]} {item.section}: {escape(item.text)}[/]")
    counts = {kind: sum(p.kind == kind for p in diff.pools) for kind in Kind}
    if not diff.has_changes:
        out.print("no changes")
    else:
        out.print(", ".join(f"{counts[kind]} pool(s) {kind}" for kind in Kind if counts[kind]))


def _show(pools: list[PoolDefinition], output: str) -> None:
    if output == "yaml":
        print(dump_pools(pools), end="")
        return
    for pool in pools:
        table = Table(title=f"pool {escape(pool.name)}", show_header=False)
        for field, lines in (
            ("id", [pool.id or ""]),
            ("description", [pool.description or ""]),
            ("ns_records", [f"{r.hostname} ({r.priority})" for r in pool.ns_records]),
            ("nameservers", [f"{ns.host}:{ns.port}" for ns in pool.nameservers]
             or ([] if pool.targets else ["(mdns itself)"])),
            ("targets", [f"{t.type} {t.description or ''}".strip() for t in pool.targets]),
            ("also_notifies", [f"{an.host}:{an.port}" for an in pool.also_notifies]),
            ("threshold", [f"{pool.threshold_percentage}%"]),
        ):  # fmt: skip
            table.add_row(field, escape("\n".join(lines)))
        out.print(table)
