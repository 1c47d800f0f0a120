"""`zonefleet tsigkey create|list|delete`: the TSIG keys pools and transfers refer to."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from zonefleet.cli.operator import err, out, with_database
from zonefleet.pools.tsig import ALGORITHMS
from zonefleet.service.tsigkeys import TsigKeyService
from zonefleet.settings import Settings
from zonefleet.storage.database import Database
from zonefleet.storage.models import TsigScope


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tsigkey = subparsers.add_parser("tsigkey", help="TSIG keys: create, list, delete")
    commands = tsigkey.add_subparsers(dest="tsigkey_command", required=True)
    create = commands.add_parser("create", help="add a key; its secret is printed once")
    create.add_argument("name", help="the key name (a DNS name)")
    create.add_argument(
        "--algorithm", default="hmac-sha256", help=f"one of {', '.join(ALGORITHMS)}"
    )
    create.add_argument("--secret", help="base64 secret (default: generated)")
    create.add_argument("--scope", default=TsigScope.POOL.value, help="POOL or ZONE")
    create.add_argument(
        "--resource-id", help="the pool (default: the default pool) or zone it belongs to"
    )
    commands.add_parser("list", help="print every key, without secrets")
    delete = commands.add_parser("delete", help="remove a key no pool refers to")
    delete.add_argument("name")


def run(settings: Settings, args: argparse.Namespace) -> int:
    def action(database: Database) -> int:
        service = TsigKeyService(database)
        if args.tsigkey_command == "create":
            _create(service, args)
        elif args.tsigkey_command == "list":
            _list(service)
        else:
            key = service.delete_tsigkey(args.name)
            out.print(f"deleted TSIG key {escape(key.name)}")
        return 0

    return with_database(settings, action)


def _create(service: TsigKeyService, args: argparse.Namespace) -> None:
    key = service.create_tsigkey(
        args.name, args.algorithm, args.secret, scope=args.scope, resource_id=args.resource_id
    )
    out.print(
        f"created TSIG key {escape(key.name)} ({key.algorithm}, scope {key.scope}, "
        f"resource {key.resource_id})"
    )
    if args.secret is None:
        err.print("the generated secret is shown only now; keep it:")
        print(key.secret)


def _list(service: TsigKeyService) -> None:
    table = Table("name", "algorithm", "scope", "resource_id", "created_at")
    for key in service.list_tsigkeys():
        table.add_row(
            escape(key.name), key.algorithm, key.scope, key.resource_id or "",
            f"{key.created_at:%Y-%m-%d %H:%M:%S}",
        )  # fmt: skip
    out.print(table)
