"""`zonefleet zone status NAME`: where a zone's latest change has reached, as a table."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from zonefleet.cli.operator import out, with_database
from zonefleet.service.propagation import Propagation, PropagationService
from zonefleet.settings import Settings
from zonefleet.storage.database import Database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    zone = subparsers.add_parser("zone", help="zones as operators see them")
    commands = zone.add_subparsers(dest="zone_command", required=True)
    status = commands.add_parser("status", help="per nameserver and target: what it serves")
    status.add_argument("name", help="the zone name, e.g. example.org.")


def run(settings: Settings, args: argparse.Namespace) -> int:
    def action(database: Database) -> int:
        show(PropagationService(database).find_by_name(args.name))
        return 0

    return with_database(settings, action, failed=1)


def show(found: Propagation) -> None:
    zone = found.zone
    out.print(
        f"{escape(zone.name)}  serial {zone.serial}  {zone.status}/{zone.action}", highlight=False
    )
    nameservers = Table("nameserver", "serial", "state", "since", "last error")
    for ns in found.nameservers:
        nameservers.add_row(
            f"{ns.host}:{ns.port}",
            str(ns.serial) if ns.serial is not None else "-",
            ns.state,
            ns.since.strftime("%Y-%m-%d %H:%M:%S") if ns.since else "-",
            escape(ns.last_error or ""),
        )
    out.print(nameservers)
    if found.targets:
        targets = Table("target", "type", "serial", "attempts", "since", "last error")
        for target in found.targets:
            targets.add_row(
                escape(target.description or target.id),
                target.type,
                str(target.serial) if target.serial is not None else "-",
                str(target.attempts),
                target.since.strftime("%Y-%m-%d %H:%M:%S"),
                escape(target.last_error or ""),
            )
        out.print(targets)
