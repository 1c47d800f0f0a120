"""A test-only backend driver (type `fake`) and builders of pools.yaml documents."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import Field

from zonefleet.backends import base
from zonefleet.backends.base import Backend, BackendOptions, UnknownBackendError, ZoneRef
from zonefleet.pools.schema import PoolDefinition, validate_pools

REAL_BACKEND_CLASS = base.backend_class


class FakeOptions(BackendOptions):
    rndc_host: str = "127.0.0.1"
    rndc_port: int = Field(953, ge=1, le=65535)
    api_token: str | None = None


class FakeBackend(Backend):
    kind = "fake"
    Options = FakeOptions

    def ensure_zone(self, zone: ZoneRef) -> None:
        return None

    def remove_zone(self, zone: ZoneRef) -> None:
        return None


def _driver(kind: str) -> type[Backend]:
    if kind == "fake":
        return FakeBackend
    raise UnknownBackendError(f"no backend of type {kind!r}; known: fake")


@pytest.fixture(autouse=True)
def fake_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Targets of type `fake` validate their options with FakeOptions; other types are unknown."""
    monkeypatch.setattr(base, "backend_class", _driver)


def target(host: str = "192.0.2.10", rndc_port: int = 953, **fields: Any) -> dict[str, Any]:
    return {
        "type": "fake",
        "description": f"server {host}",
        "masters": [{"host": "192.0.2.1", "port": 5354}],
        "options": {"host": host, "rndc_port": rndc_port},
        **fields,
    }


def pool(name: str = "default", *hostnames: str, **fields: Any) -> dict[str, Any]:
    records = [
        {"hostname": hostname, "priority": index + 1}
        for index, hostname in enumerate(hostnames or ("ns1.zonefleet.test.",))
    ]
    return {"name": name, "ns_records": records, **fields}


def pools(*documents: dict[str, Any]) -> list[PoolDefinition]:
    return validate_pools(list(documents))
