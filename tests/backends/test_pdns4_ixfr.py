"""When the pdns4 driver turns on IXFR by itself: read from PowerDNS's own settings."""

from __future__ import annotations

import pytest

from zonefleet.backends.pdns4 import serves_ixfr_records


@pytest.mark.parametrize(
    ("settings", "safe"),
    [
        ({"launch": "gsqlite3", "gsqlite3-dnssec": "no"}, True),
        ({"launch": "gpgsql"}, True),  # DNSSEC queries are off unless asked for
        ({"launch": "gmysql,gpgsql:second", "gpgsql-second-dnssec": "no"}, True),
        ({"launch": "gsqlite3", "gsqlite3-dnssec": "yes"}, False),
        ({"launch": "gpgsql,gpgsql:second", "gpgsql-second-dnssec": "yes"}, False),
        ({"launch": "lmdb"}, False),
        ({"launch": "gsqlite3,bind"}, False),
        ({"launch": ""}, False),
        ({}, False),
    ],
)
def test_ixfr_only_where_every_backend_answers_with_unrectified_records(
    settings: dict[str, str], safe: bool
) -> None:
    assert serves_ixfr_records(settings) is safe
