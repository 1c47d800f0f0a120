"""Journal differences per RRset, as IXFR needs them."""

from __future__ import annotations

from zonefleet.dns.journal import JournalRecord, RRsetState, diff


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
