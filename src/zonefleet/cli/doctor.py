"""`zonefleet doctor [ZONE] [--pool NAME] [--json]`: the chain walked, a verdict per link,
the first broken one named; exit 0 healthy, 1 broken, 2 could not check."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from zonefleet.cli.operator import open_database, out
from zonefleet.doctor.chain import Doctor, DoctorOptions, unreachable
from zonefleet.doctor.findings import Report, Verdict
from zonefleet.errors import ServiceUnavailableError
from zonefleet.settings import Settings

MARKS = {Verdict.OK: "[green]ok[/]", Verdict.BROKEN: "[red]BROKEN[/]",
         Verdict.UNKNOWN: "[yellow]unknown[/]"}  # fmt: skip


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = subparsers.add_parser(
        "doctor", help="walk the chain for a zone (or every zone) and name the broken link"
    )
    doctor.add_argument("zone", nargs="?", help="a zone name; every live zone without one")
    doctor.add_argument("--pool", help="only the zones of this pool")
    doctor.add_argument("--json", action="store_true", help="the report as JSON")
    doctor.add_argument(
        "--pools-file", type=Path, help="the pools.yaml to compare (default: pools.file)"
    )
    doctor.add_argument(
        "--timeout", type=float, default=2.0, help="seconds each network check may take"
    )
    doctor.add_argument(
        "--grace", type=float, default=10.0,
        help="seconds a change may take to reach a nameserver before it counts as lagging",
    )  # fmt: skip


def run(settings: Settings, args: argparse.Namespace) -> int:
    options = DoctorOptions(timeout=args.timeout, grace=args.grace, pools_file=args.pools_file)
    try:
        database = open_database(settings)
    except (SQLAlchemyError, ServiceUnavailableError) as exc:
        database, report = None, unreachable(exc)
    else:
        if database is None:
            return 2
    if database is not None:
        doctor = Doctor(database, settings, options)
        try:
            report = asyncio.run(doctor.check(args.zone, args.pool))
        finally:
            doctor.close()
            database.dispose()
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        show(report)
    return report.exit_status


def show(report: Report) -> None:
    out.print(f"zonefleet doctor: {escape(report.scope)}")
    for finding in report.findings:
        out.print(f"{MARKS[finding.verdict]:<8} {finding.link}: {escape(finding.summary)}")
        for line in finding.evidence:
            out.print(f"           {escape(line)}")
        if finding.fix and finding.verdict != Verdict.OK:
            out.print(f"           [bold]fix:[/] {escape(finding.fix)}")
    first = report.first_broken
    if first is not None:
        out.print(f"[red bold]verdict: broken at {first.link}[/]: {escape(first.summary)}")
    elif report.exit_status == 2:
        out.print("[yellow bold]verdict: could not check every link[/]")
    else:
        out.print("[green bold]verdict: healthy[/]")
