"""JSON logs with a request id, and no personal data in them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bancheng.core.observability import configure_logging, redact
from tests.conftest import case_payload, login
from tests.intake.test_public_reports import report

PHONE, ID_NUMBER, NAME = "13812345678", "11010519491231002X", "张三"
CITIZEN_PHONE, CITIZEN_NAME = "13900001111", "李四"


@pytest.fixture()
def log_stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("DEBUG", stream)
    client_log = logging.getLogger("httpx")  # the test client's own lines are not the server's
    client_log.setLevel(logging.WARNING)
    try:
        yield stream
    finally:
        root.handlers[:], root.level = saved
        client_log.setLevel(logging.NOTSET)
        logging.getLogger("uvicorn.access").disabled = False


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_request_id_header_problem_body_and_log_lines(
    client: TestClient, org: Any, log_stream: io.StringIO
) -> None:
    r = client.get("/api/v1/cases/424242")
    rid = r.headers["x-request-id"]
    assert len(rid) == 32 and r.json()["request_id"] == rid
    mine = client.get("/api/v1/cases/1", headers={"X-Request-ID": "nginx-0123456789abcdef"})
    assert mine.headers["x-request-id"] == "nginx-0123456789abcdef"
    assert mine.json()["request_id"] == "nginx-0123456789abcdef"
    # Anything that is not a plain token is replaced, not echoed into headers and logs.
    odd = client.get("/api/health", headers={"X-Request-ID": "x y<script>"})
    assert odd.headers["x-request-id"] != "x y<script>"
    assert len(odd.headers["x-request-id"]) == 32
    access = [e for e in _lines(log_stream) if e["logger"] == "bancheng.access"]
    assert [(e["route"], e["status"], e["request_id"]) for e in access] == [
        ("/api/v1/cases/{case_id}", 401, rid),
        ("/api/v1/cases/{case_id}", 401, "nginx-0123456789abcdef"),
        ("/api/health", 200, odd.headers["x-request-id"]),
    ]
    assert all(e["level"] == "info" and e["duration_ms"] >= 0 for e in access)


def test_no_personal_data_in_logs(client: TestClient, org: Any, log_stream: io.StringIO) -> None:
    headers = login(client, "clerk")
    created = client.post("/api/v1/cases", json=case_payload(), headers=headers)
    assert created.status_code == 201
    case_id = created.json()["id"]
    assert client.get("/api/v1/cases/by-phone", params={"phone": PHONE}).status_code == 200
    revealed = client.post(f"/api/v1/cases/{case_id}/reveal", headers=headers)
    assert revealed.status_code == 200 and revealed.json()["reporter"]["phone"] == PHONE
    bad = case_payload()
    bad["reporter"]["phone"] = "1381234567x"
    assert client.post("/api/v1/cases", json=bad, headers=headers).status_code in (400, 422)
    number = report(client, name=CITIZEN_NAME, phone=CITIZEN_PHONE)["number"]
    follow = client.get(
        f"/api/v1/public/cases/{number}", headers={"X-Reporter-Phone": CITIZEN_PHONE}
    )
    assert follow.status_code == 200
    assert (
        client.post(
            "/api/v1/auth/login", json={"username": PHONE, "password": "wrong-password-1"}
        ).status_code
        == 401
    )
    # A module that logs carelessly is still masked by the formatter.
    logging.getLogger("bancheng.test").warning("calling %s about %s", PHONE, ID_NUMBER)

    text = log_stream.getvalue()
    lines = _lines(log_stream)
    assert len([e for e in lines if e["logger"] == "bancheng.access"]) == 8
    for secret in (PHONE, ID_NUMBER, NAME, CITIZEN_PHONE, CITIZEN_NAME, "1381234567x"):
        assert secret not in text, secret
    assert "138****5678" in text and "110***********002X" in text  # the careless line, masked


def test_redact_masks_numbers_but_leaves_ids_alone() -> None:
    assert redact("tel 13812345678, id 11010519491231002x") == (
        "tel 138****5678, id 110***********002x"
    )
    assert redact("case BC-2026-000123 id 12345678901234567890") == (
        "case BC-2026-000123 id 12345678901234567890"
    )
