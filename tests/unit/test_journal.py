"""Journal differences per RRset, as IXFR needs them."""

from __future__ import annotations

import pytest

from zonefleet.dns.journal import (
    JournalGapError,
    JournalRecord,
    JournalRow,
    RRsetState,
    condense,
    diff,
)


def state(ttl: int, *records: str) -> RRsetState:
    return RRsetState("www.example.org.", "A", ttl, frozenset(records))


def test_create_adds_every_record() -> None:
    deleted, added = diff(None, state(300, "192.0.2.2", "192.0.2.1"))
    assert deleted == []
    assert [r.data for r in added] == ["192.0.2.1", "192.0.2.2"]


def test_delete_removes_every_record() -> None:
    deleted, added = diff(state(300, "192.0.2.1"), None)
    assert deleted == [JournalRecord("www.example.org.", "A", 300, "192.0.2.1")]
    assert added == []


def test_replace_journals_only_the_difference() -> None:
    deleted, added = diff(
        state(300, "192.0.2.1", "192.0.2.2"), state(300, "192.0.2.2", "192.0.2.3")
    )
    assert [r.data for r in deleted] == ["192.0.2.1"]
    assert [r.data for r in added] == ["192.0.2.3"]


def test_ttl_change_replaces_every_record() -> None:
    deleted, added = diff(state(300, "192.0.2.1"), state(60, "192.0.2.1"))
    assert [(r.ttl, r.data) for r in deleted] == [(300, "192.0.2.1")]
    assert [(r.ttl, r.data) for r in added] == [(60, "192.0.2.1")]


def test_nothing_to_nothing() -> None:
    assert diff(None, None) == ([], [])


def soa(serial: int) -> JournalRecord:
    return JournalRecord(
        "example.org.", "SOA", 3600, f"ns1.example.org. h.example.org. {serial} 1 1 1 1"
    )


def step(serial: int, deleted: list[JournalRecord], added: list[JournalRecord]) -> list[JournalRow]:
    return [
        JournalRow(serial, False, soa(serial - 1)),
        *(JournalRow(serial, False, record) for record in deleted),
        JournalRow(serial, True, soa(serial)),
        *(JournalRow(serial, True, record) for record in added),
    ]


A1 = JournalRecord("www.example.org.", "A", 300, "192.0.2.1")
A2 = JournalRecord("www.example.org.", "A", 300, "192.0.2.2")


def test_condense_nets_out_steps_and_keeps_the_end_soas() -> None:
    rows = [*step(11, [], [A1]), *step(12, [A1], [A2]), *step(13, [], [A1])]
    difference = condense(rows, 10, 13)
    assert difference.old_soa == soa(10)
    assert difference.new_soa == soa(13)
    assert difference.deleted == []
    assert difference.added == [A2, A1]
    assert difference.records == 6


def test_condense_refuses_a_journal_that_does_not_start_at_the_asked_serial() -> None:
    with pytest.raises(JournalGapError, match="no step from serial 9"):
        condense(step(11, [], [A1]), 9, 11)


def test_condense_refuses_a_gap_between_steps() -> None:
    with pytest.raises(JournalGapError):
        condense([*step(11, [], [A1]), *step(13, [], [A2])], 10, 13)


def test_condense_refuses_a_journal_that_stops_short_of_the_current_serial() -> None:
    with pytest.raises(JournalGapError, match="does not reach serial 12"):
        condense(step(11, [], [A1]), 10, 12)


def test_condense_refuses_a_first_serial_journal_without_an_old_soa() -> None:
    created = [JournalRow(11, True, soa(11)), JournalRow(11, True, A1)]
    with pytest.raises(JournalGapError):
        condense(created, 10, 11)
