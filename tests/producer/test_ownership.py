"""Task ownership through tooz: one owner per task at a time, handed over when it stops."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from zonefleet.producer.ownership import Ownership, backend_url
from zonefleet.settings import CoordinationSettings

OwnershipFactory = Callable[[str], Ownership]


@pytest.fixture
def ownerships() -> Iterator[OwnershipFactory]:
    started: list[Ownership] = []

    def start(url: str) -> Ownership:
        ownership = Ownership(CoordinationSettings(url=url, lock_seconds=2))
        ownership.start()
        started.append(ownership)
        return ownership

    yield start
    for ownership in started:
        ownership.stop()


@pytest.fixture(params=["redis", "file"])
def coordination_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "file":
        return f"file://{tmp_path / 'coordination'}"
    url: str = request.getfixturevalue("redis_url")
    return url


def test_each_task_has_one_owner_until_it_stops(
    ownerships: OwnershipFactory, coordination_url: str
) -> None:
    first, second = ownerships(coordination_url), ownerships(coordination_url)
    assert first.owns("drift_audit")
    assert first.owns("drift_audit"), "an owner keeps its task"
    assert not second.owns("drift_audit")
    assert second.owns("zone_purge"), "tasks are owned one by one"
    assert not first.owns("zone_purge")
    assert first.owned == {"drift_audit"}

    first.stop()
    assert second.owns("drift_audit"), "a stopped producer's tasks pass on at once"
    assert second.owned == {"drift_audit", "zone_purge"}


def test_without_coordination_this_process_owns_every_task(ownerships: OwnershipFactory) -> None:
    alone = ownerships("")
    assert alone.owns("drift_audit") and alone.owns("zone_purge")


def test_the_timeouts_follow_the_setting_unless_the_url_sets_them() -> None:
    settings = CoordinationSettings(url="redis://127.0.0.1:6379?lock_timeout=9", lock_seconds=3)
    url = backend_url(settings)
    assert "lock_timeout=9" in url and "membership_timeout=3" in url
