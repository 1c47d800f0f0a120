"""`zonefleet zone status NAME`: where a zone's latest change has reached, as a table;
`zonefleet zone timeline NAME`: every step of its changes."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from zonefleet.cli.operator import out, with_database
from zonefleet.service.propagation import Propagation, PropagationService
from zonefleet.service.timeline import Timeline, TimelineService
from zonefleet.settings import Settings
from zonefleet.storage.database import Database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    zone = subparsers.add_parser("zone", help="zones as operators see them")
    commands = zone.add_subparsers(dest="zone_command", required=True)
    status = commands.add_parser("status", help="per nameserver and target: what it serves")
    status.add_argument("name", help="the zone name, e.g. example.org.")
    timeline = commands.add_parser("timeline", help="every step of every change of a zone")
    timeline.add_argument("name", help="the zone name or id (a deleted zone's while kept)")
    timeline.add_argument(
        "--limit", type=int, default=100, help="steps shown at most (default 100)"
    )
    timeline.add_argument(
        "--oldest", action="store_true", help="the first steps rather than the latest"
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    def action(database: Database) -> int:
        if args.zone_command == "timeline":
            found = TimelineService(database).find_timeline(
                args.name, limit=max(args.limit, 1), newest_first=not args.oldest
            )
            show_timeline(found, newest_first=not args.oldest)
        else:
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


def show_timeline(found: Timeline, *, newest_first: bool) -> None:
    """One line per step, oldest first whichever end was read: lines, not a table, so a
    long detail stays whole and the output greps."""
    steps = list(reversed(found.steps)) if newest_first else list(found.steps)
    out.print(f"zone {found.zone_id}", highlight=False)
    for step in steps:
        fields = [
            step.at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            f"{step.role:<10}",
            f"{step.event:<18}",
            f"serial {step.serial}" if step.serial is not None else "",
            step.subject or "",
            step.detail or "",
            f"request {step.request_id}" if step.request_id else "",
        ]
        out.print(escape("  ".join(field for field in fields if field)), highlight=False)
    if found.has_more:
        more = "earlier" if newest_first else "later"
        out.print(f"({more} steps not shown: raise --limit)", highlight=False)
