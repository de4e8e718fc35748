"""Shared helpers for supervision tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from bancheng.core import clock
from tests.cases.helpers import as_user


def at(y: int, m: int, d: int, hour_utc: int = 2) -> datetime:
    """Set the clock to a UTC instant (02:00 UTC is 10:00 in Shanghai) and return it."""
    t = datetime(y, m, d, hour_utc, tzinfo=UTC)
    clock.set_clock(lambda: t)
    return t


def register_cases(client: TestClient, clerk: str, *titles: str) -> list[dict[str, Any]]:
    """``clerk`` registers a case of each title; the cases, in that order."""
    return [as_user(client, clerk).create(title=title) for title in titles]


def issue_order(
    client: TestClient,
    headers: dict[str, str],
    department_id: int,
    case_ids: list[int],
    **over: Any,
) -> Response:
    """POST a 督办单 to ``department_id`` about ``case_ids``: kind ``supervise``, two
    working days, unless ``over`` says otherwise."""
    body = {
        "kind": "supervise",
        "department_id": department_id,
        "case_ids": case_ids,
        "title": "请加快办理公积金提取",
        "instructions": "群众多次反映，请于期限内书面回复办理情况。",
        "deadline_workdays": 2,
        **over,
    }
    return client.post("/api/v1/supervision/orders", json=body, headers=headers)


def decision(content: str, department_id: int, workdays: int) -> dict[str, Any]:
    """One decision (议定事项) of a meeting: what, which unit, in how many working days."""
    return {
        "content": content,
        "responsible_department_id": department_id,
        "deadline_workdays": workdays,
    }


def meeting_body(
    participant_ids: list[int], case_ids: list[int], decisions: list[dict[str, Any]], **over: Any
) -> dict[str, Any]:
    """A joint meeting (联席会议) held on 2 March 2026, unless ``over`` says otherwise."""
    return {
        "kind": "joint_meeting",
        "title": "公积金提取材料互认联席会议",
        "held_on": "2026-03-02",
        "location": "三楼会议室",
        "participant_department_ids": participant_ids,
        "case_ids": case_ids,
        "summary": "研究购房提取公积金重复提交材料问题。",
        "decisions": decisions,
        **over,
    }


def hold_meeting(client: TestClient, headers: dict[str, str], *args: Any, **over: Any) -> Response:
    """POST ``meeting_body(*args, **over)``."""
    body = meeting_body(*args, **over)
    return client.post("/api/v1/supervision/meetings", json=body, headers=headers)


ISSUES = "/api/v1/supervision/systemic-issues"


def open_issue(client: TestClient, headers: dict[str, str], **body: Any) -> int:
    """POST a systemic issue (``body``: its fields); its id."""
    r = client.post(ISSUES, json=body, headers=headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def link_cases(
    client: TestClient, headers: dict[str, str], issue_id: int, case_ids: list[int]
) -> Response:
    """POST ``case_ids`` as cases of systemic issue ``issue_id``."""
    return client.post(f"{ISSUES}/{issue_id}/cases", json={"case_ids": case_ids}, headers=headers)


def record_change(
    client: TestClient, headers: dict[str, str], issue_id: int, **body: Any
) -> Response:
    """POST a change (整改措施) of systemic issue ``issue_id`` (``body``: its fields)."""
    return client.post(f"{ISSUES}/{issue_id}/changes", json=body, headers=headers)
