"""The worker's fixtures: the witness backend in place of a real driver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.worker.witness import WitnessBackend
from zonefleet.backends import base


@pytest.fixture
def witness(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[WitnessBackend]]:
    real = base.backend_class

    def lookup(kind: str) -> type[base.Backend]:
        return WitnessBackend if kind == "witness" else real(kind)

    for module in ("zonefleet.worker.plan", "zonefleet.worker.reconciler"):
        monkeypatch.setattr(f"{module}.backend_class", lookup)
    WitnessBackend.reset()
    yield WitnessBackend
    WitnessBackend.reset()
