"""Insert-or-update and insert-unless-present as one statement in each engine's own words,
so two workers writing the same new row never fail on the duplicate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.sql.dml import Insert

MYSQL = ("mysql", "mariadb")


def upsert(dialect: str, table: Table, key: Sequence[str], values: Mapping[str, Any]) -> Insert:
    """INSERT the row `values`; where a row with the same `key` columns exists, UPDATE it."""
    row = dict(values)
    changed = {name: value for name, value in row.items() if name not in key}
    if dialect in MYSQL:
        return mysql.insert(table).values(row).on_duplicate_key_update(changed)
    if dialect == "postgresql":
        pg = postgresql.insert(table).values(row)
        return pg.on_conflict_do_update(index_elements=list(key), set_=changed)
    lite = sqlite.insert(table).values(row)
    return lite.on_conflict_do_update(index_elements=list(key), set_=changed)


def insert_missing(dialect: str, table: Table, rows: Sequence[Mapping[str, Any]]) -> Insert:
    """INSERT the rows that do not exist yet (by primary key); leave existing ones alone."""
    values = [dict(row) for row in rows]
    if dialect in MYSQL:
        statement = mysql.insert(table).values(values)
        first = next(iter(table.primary_key.columns)).name
        return statement.on_duplicate_key_update({first: statement.inserted[first]})
    if dialect == "postgresql":
        return postgresql.insert(table).values(values).on_conflict_do_nothing()
    return sqlite.insert(table).values(values).on_conflict_do_nothing()
