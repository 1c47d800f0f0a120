"""Owner names below a name, as mdns asks for them (empty non-terminals answer NODATA, not
NXDOMAIN): one range of the recordsets' reversed names, on every engine, however the rows
were written, and filled in for rows written before the column existed."""

from __future__ import annotations

import uuid
from pathlib import Path

import dns.name
import pytest
from sqlalchemy import event, insert, select, text

from tests.conftest import build_services, make_settings
from tests.service.factories import ctx, make_zone, rs_request
from zonefleet.api.deps import ApiServices
from zonefleet.dns.names import reverse_text
from zonefleet.mdns.store import ZoneStore
from zonefleet.storage import migrate
from zonefleet.storage.database import Database
from zonefleet.storage.models import Action, Recordset, Status, reverse_of


def below(database: Database, zone_name: str, name: str) -> bool:
    store = ZoneStore(database)
    zone = store.zone_for(dns.name.from_text(zone_name))
    assert zone is not None
    return store.has_names_below(zone, dns.name.from_text(name))


def test_names_below_are_found_and_siblings_sharing_a_suffix_are_not(
    services: ApiServices, database: Database
) -> None:
    zone = make_zone(services, "below.example.")
    for owner in ("a.b.c.below.example.", "xb.below.example.", "*.w.below.example."):
        services.recordsets.create_recordset(ctx(), zone.id, rs_request(owner, "A", "192.0.2.1"))
    assert below(database, "below.example.", "b.c.below.example.")  # an empty non-terminal
    assert below(database, "below.example.", "c.below.example.")
    assert not below(database, "below.example.", "a.b.c.below.example.")  # owns, has none below
    assert not below(database, "below.example.", "b.below.example.")  # "xb." ends in "b."
    assert below(database, "below.example.", "w.below.example.")  # a wildcard's parent
    assert below(database, "below.example.", "below.example.")


def test_rows_inserted_without_a_reversed_name_get_one(
    services: ApiServices, database: Database
) -> None:
    """Bulk loads insert plain rows (Core, no objects): the column's default fills it."""
    zone = make_zone(services, "bulk.example.")
    row = {
        "id": str(uuid.uuid4()), "zone_id": zone.id, "project_id": zone.project_id,
        "name": "deep.er.bulk.example.", "type": "A", "ttl": None, "serial": zone.serial,
        "status": Status.ACTIVE, "action": Action.NONE, "managed": False, "version": 1,
    }  # fmt: skip
    with database.write() as session:
        session.execute(insert(Recordset), [row])
    with database.read() as session:
        stored = session.scalar(select(Recordset.reverse_name).where(Recordset.id == row["id"]))
    assert stored == "example.bulk.er.deep."
    assert below(database, "bulk.example.", "er.bulk.example.")


def test_the_migration_fills_the_reversed_names_of_existing_rows(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        migrate.upgrade(database, "ns1.example.org.", revision="0014")
        zone_id = _zone_row_before(database)
        names = ["www.old.example.", "a.b.old.example.", "old.example."]
        with database.write_engine.begin() as connection:
            for index, name in enumerate(names):
                connection.execute(
                    text(
                        "INSERT INTO recordsets (id, zone_id, project_id, name, type, serial, "
                        "status, action, managed, version, created_at) VALUES (:id, :zone, "
                        "'p1', :name, 'A', 1, 'ACTIVE', 'NONE', 0, 1, CURRENT_TIMESTAMP)"
                    ),
                    {"id": f"rs-{index}", "zone": zone_id, "name": name},
                )
        migrate.upgrade(database, "ns1.example.org.")
        with database.write_engine.connect() as connection:
            stored = dict(
                connection.execute(text("SELECT name, reverse_name FROM recordsets")).all()
            )
        assert stored == {
            "www.old.example.": "example.old.www.",
            "a.b.old.example.": "example.old.b.a.",
            "old.example.": "example.old.",
        }
        assert below(database, "old.example.", "b.old.example.")
        assert not below(database, "old.example.", "www.old.example.")
    finally:
        database.dispose()


def _zone_row_before(database: Database) -> str:
    """A zone row written by SQL, as the schema at revision 0014 holds it."""
    with database.write_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO zones (id, project_id, pool_id, name, reverse_name, deleted, email, "
                "ttl, serial, refresh, retry, expire, minimum, type, status, action, version, "
                "shared, attributes, masters, created_at) VALUES ('z-old', 'p1', "
                "'794ccc2c-d751-44fe-b57f-8894c9f5c842', 'old.example.', 'example.old.', '0', "
                "'h@example.org', 300, 1, 3600, 600, 86400, 300, 'PRIMARY', 'ACTIVE', 'NONE', 1, "
                "0, '{}', '[]', CURRENT_TIMESTAMP)"
            )
        )
    return "z-old"


def test_sqlite_reads_one_range_of_the_zone_s_reversed_names(
    sqlite_database: Database, tmp_path: Path
) -> None:
    """The question mdns asks is answered from the index, not by reading the zone."""
    services = build_services(make_settings(tmp_path), sqlite_database)
    zone = make_zone(services, "plan.example.")
    services.recordsets.create_recordset(
        ctx(), zone.id, rs_request("a.b.plan.example.", "A", "192.0.2.1")
    )
    asked: list[tuple[str, object]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: object,
               _context: object, _many: bool) -> None:  # fmt: skip
        asked.append((statement, parameters))

    engine = sqlite_database.read_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert below(sqlite_database, "plan.example.", "b.plan.example.")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    statement, parameters = asked[-1]
    with engine.connect() as connection:
        plan = " ".join(
            str(row[-1])
            for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        )
    assert "ix_recordsets_below" in plan
    assert "reverse_name>? AND reverse_name<?" in plan


@pytest.mark.parametrize(
    "name",
    ["www.example.org.", "a\\.b.example.org.", "*.x.example.org.", "_sip._tcp.example.org.",
     "example.org.", "a\\032b.example.", "xn--bcher-kva.example.", "."],
)  # fmt: skip
def test_a_stored_name_reverses_as_the_name_does(name: str) -> None:
    assert reverse_of(name) == reverse_text(dns.name.from_text(name))
