"""Property-based fuzzing of the API from its own /openapi.json (schemathesis).

CI runs a short pass (ZONEFLEET_FUZZ_EXAMPLES, default 25 per operation);
a long run: ZONEFLEET_FUZZ_EXAMPLES=2000 pytest tests/api/test_fuzz.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import build_services, make_settings
from zonefleet.api.app import create_app
from zonefleet.storage.database import Database

EXAMPLES = int(os.environ.get("ZONEFLEET_FUZZ_EXAMPLES", "25"))


@pytest.fixture
def api_schema(sqlite_database: Database, tmp_path: Path) -> schemathesis.BaseSchema:
    app = create_app(build_services(make_settings(tmp_path), sqlite_database))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_no_server_errors_and_responses_match_the_schema(
    api_schema: schemathesis.BaseSchema,
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        run()
