"""Log lines carry the change they concern: a failed push's line names the request that made
the change, the zone, its serial and the target; the API's lines carry their request id;
`log_format = "json"` writes one JSON object per line with those fields."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.service.factories import make_zone
from tests.stack import Stack
from tests.worker.test_reconciler import add_target
from tests.worker.witness import WitnessBackend
from zonefleet import logs
from zonefleet.api.app import create_app
from zonefleet.logs import ContextFilter, JsonFormatter, log_context


@pytest.fixture
def contextual(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.INFO)
    yield caplog
    caplog.handler.filters.clear()


def test_a_failed_push_is_logged_with_request_zone_serial_and_target(
    stack: Stack, witness: type[WitnessBackend], contextual: pytest.LogCaptureFixture
) -> None:
    add_target(stack.database, stack, "t-logged")
    witness.failing.add("t-logged")
    zone = make_zone(stack.services, "logged.example.")
    deadline = time.monotonic() + 5
    while not [r for r in contextual.records if "witness t-logged refuses" in r.getMessage()]:
        assert time.monotonic() < deadline, "no log line of the failed push"
        time.sleep(0.01)
    record = next(r for r in contextual.records if "witness t-logged refuses" in r.getMessage())
    assert record.context == {  # type: ignore[attr-defined]
        "zone_id": zone.id,
        "zone": "logged.example.",
        "serial": str(zone.serial),
        "request_id": "req-test",
        "target": "t-logged",
    }


def test_api_lines_carry_the_request_id(stack: Stack, contextual: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("zonefleet.api.test")
    with TestClient(create_app(stack.services)) as client:
        app = client.app
        app.add_api_route("/logged", lambda: logger.info("inside") or {})  # type: ignore[attr-defined]
        response = client.get("/logged")
    record = next(r for r in contextual.records if r.getMessage() == "inside")
    assert record.context["request_id"] == response.headers["x-openstack-request-id"]  # type: ignore[attr-defined]


def test_json_lines_hold_the_message_and_the_context() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("zonefleet.test.json")
    logger.addHandler(handler)
    try:
        with log_context(zone_id="z1", serial=7, target=None):
            logger.warning("pushed %s", "there")
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (inside["message"], inside["zone_id"], inside["serial"]) == ("pushed there", "z1", "7")
    assert "target" not in inside and "zone_id" not in outside
    assert inside["level"] == "WARNING" and inside["logger"] == "zonefleet.test.json"


def test_configure_writes_text_with_the_context_appended(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("INFO", "text")
        with log_context(request_id="req-1", zone="a.example."):
            logging.getLogger("zonefleet.test.text").info("hello")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    line = capsys.readouterr().err.strip()
    assert line.endswith("INFO zonefleet.test.text hello [request_id=req-1 zone=a.example.]")


def test_each_request_has_an_access_line_with_its_request_id(
    stack: Stack, contextual: pytest.LogCaptureFixture
) -> None:
    with TestClient(create_app(stack.services)) as client:
        response = client.get("/v2/zones", headers={"X-Auth-Project-ID": "p1"})
    [line] = [r for r in contextual.records if r.getMessage().startswith("api: GET /v2/zones ")]
    assert line.getMessage().split()[3] == "200"
    assert line.context["request_id"] == response.headers["x-openstack-request-id"]  # type: ignore[attr-defined]
