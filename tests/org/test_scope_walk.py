"""The data-scope rule walked over the whole route table. A city-level world (a case, a
supervise order, a joint meeting with a decision, a bad review with its rectification and
revisit, the messages and notices they caused) lies outside district A. For every
district-A user of every role:

- every list, count and export (each GET route without a path parameter that answers 200)
  never shows any of it, embedded or not;
- every route with a path id, given the id of an out-of-scope object of its kind, answers
  exactly as for a missing one (404 ``*.not_found``) or refuses the role (403), and
  changes nothing."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pytest
from sqlalchemy import func, select

from bancheng.cases.models import CaseEvent
from bancheng.feedback.models import CallbackTask, Rectification
from bancheng.main import api_routes
from bancheng.notify.models import Notice
from bancheng.outbox.models import OutboxMessage
from bancheng.supervision.models import MeetingDecision, SupervisionOrder
from tests.cases.helpers import as_user
from tests.integrations.test_haochaping import _bad_review
from tests.org.test_authorization_matrix import ROLE_USERS
from tests.supervision.helpers import at, decision, hold_meeting, issue_order

MARK = "城外密件"  # in every out-of-scope title
# Routes whose answers are about the caller or the system, not about units' data.
NOT_DATA = {"/api/health", "/metrics", "/api/v1/auth/me"}


def _supervised_case(
    client: Any,
    users: tuple[str, str],
    case_title: str,
    order: tuple[int, dict[str, Any]],
    participants: list[int],
    content: str,
    **meeting: Any,
) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """``users`` = (clerk, supervisor): the clerk registers a case of ``case_title``; the
    supervisor issues an order about it to ``order`` = (unit, fields), then holds a meeting
    (``meeting`` fields) of ``participants`` deciding ``content`` for the order's unit, in 5
    working days, all on 2 March 2026. The case, the order's id and the meeting."""
    at(2026, 3, 2)
    clerk, supervisor = users
    unit, order_fields = order
    case = as_user(client, clerk).create(title=case_title)
    sup = as_user(client, supervisor)
    r = issue_order(client, sup.headers, unit, [case["id"]], **order_fields)
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    r = hold_meeting(
        client, sup.headers, participants, [case["id"]], [decision(content, unit, 5)], **meeting
    )
    assert r.status_code == 201, r.text
    return case, order_id, r.json()


@pytest.fixture()
def outside(client, org, session) -> dict[str, Any]:
    case, order_id, meeting = _supervised_case(
        client,
        ("clerk", "supervisor"),
        f"{MARK}：市级案件",
        (org.id("fund"), {"title": f"{MARK}：请公积金中心回复"}),
        [org.id("fund"), org.id("estate")],
        f"{MARK}：公积金中心答复",
        title=f"{MARK}：市级联席会议",
        summary="研究市级案件。",
    )
    number, bad_id = _bad_review(client, org)
    rect = session.scalar(select(Rectification).where(Rectification.case_id == bad_id))
    task = session.scalar(select(CallbackTask).where(CallbackTask.case_id == bad_id))
    message = session.scalar(
        select(OutboxMessage).where(OutboxMessage.case_id == bad_id).order_by(OutboxMessage.id)
    )
    notice = session.scalar(select(Notice).where(Notice.department_id == org.id("fund")))
    assert rect and task and message and notice
    return {
        "numbers": {case["number"], number},
        "ids": {
            "case_id": case["id"],
            "order_id": order_id,
            "meeting_id": meeting["id"],
            "decision_id": meeting["decisions"][0]["id"],
            "rect_id": rect.id,
            "task_id": task.id,
            "message_id": message.id,
            "notice_id": notice.id,
        },
    }


def _text(r: Any) -> str:
    kind = r.headers.get("content-type", "")
    if "json" in kind or kind.startswith("text/"):
        return r.content.decode("utf-8-sig", errors="replace")
    if r.content[:2] == b"PK":  # xlsx / docx: the XML inside
        with zipfile.ZipFile(io.BytesIO(r.content)) as z:
            return "".join(
                z.read(n).decode("utf-8", errors="replace")
                for n in z.namelist()
                if n.endswith(".xml")
            )
    return ""


def _fingerprint(session) -> tuple[Any, ...]:
    session.expire_all()
    models = (CaseEvent, SupervisionOrder, MeetingDecision, Rectification, CallbackTask)
    counts = tuple(session.scalar(select(func.count()).select_from(m)) for m in models)
    states = tuple(
        session.execute(select(m.status).order_by(m.id)).scalars().all()
        for m in (SupervisionOrder, MeetingDecision, Rectification)
    )
    notices = tuple(session.execute(select(Notice.read_at).order_by(Notice.id)).scalars().all())
    messages = tuple(
        session.execute(select(OutboxMessage.state).order_by(OutboxMessage.id)).scalars().all()
    )
    return counts, states, notices, messages


@pytest.mark.parametrize("role", sorted(set(ROLE_USERS) - {"admin"}))
def test_nothing_out_of_scope_in_any_list_or_export(client, org, session, outside, role):
    as_user(client, ROLE_USERS[role])
    read = []
    leaks = []
    for route in api_routes():
        if "GET" not in route.methods or "{" in route.path or route.path in NOT_DATA:
            continue
        if route.path.startswith(("/api/v1/public", "/open311/", "/api/docs", "/api/openapi")):
            continue
        r = client.get(route.path)
        if r.status_code != 200:
            continue
        read.append(route.path)
        text = _text(r)
        found = [s for s in (MARK, *outside["numbers"]) if s in text]
        if found:
            leaks.append((route.path, found))
    assert leaks == []
    # The walk is not empty: the ledger, the boards, the lists and the exports were read.
    assert len(read) >= 12, read


def _fill(path: str, ids: dict[str, int]) -> str | None:
    names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
    if not names or not all(n in ids for n in names) or names == ["case_id"]:
        return None  # case routes: tests/org/test_authorization_matrix.py
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(ids[m.group(1)]), path)


@pytest.mark.parametrize("role", sorted(set(ROLE_USERS) - {"admin"}))
def test_out_of_scope_ids_look_missing(client, org, session, outside, role):
    user = as_user(client, ROLE_USERS[role])
    walked = []
    problems = []
    for route in api_routes():
        for method in sorted(route.methods):
            url = _fill(route.path, outside["ids"])
            if url is None:
                continue
            walked.append((method, route.path))
            before = _fingerprint(session)
            kwargs: dict[str, Any] = {}
            if method in ("POST", "PATCH", "PUT"):
                kwargs["json"] = {}
            r = client.request(method, url, headers=user.headers, **kwargs)
            body = r.json() if "json" in r.headers.get("content-type", "") else {}
            code = body.get("code", "") if isinstance(body, dict) else ""
            ok = (r.status_code == 404 and code.endswith("not_found")) or (
                r.status_code == 403 and code == "auth.forbidden"
            )
            # A body refused before the object is looked up says nothing about it either,
            # but only if it is the same refusal a missing id gets.
            if not ok and r.status_code == 422:
                missing = re.sub(r"/\d+(?=/|$)", "/999999999", url, count=1)
                r2 = client.request(method, missing, headers=user.headers, **kwargs)
                ok = r2.status_code == 422 and json.loads(r2.content) | {
                    "request_id": ""
                } == json.loads(r.content) | {"request_id": ""}
            if not ok:
                problems.append((role, method, url, r.status_code, code))
            if _fingerprint(session) != before:
                problems.append((role, method, url, "changed"))
    assert problems == []
    kinds = {p for _, p in walked}
    assert len(kinds) >= 12, kinds


@pytest.fixture()
def inside(client, org, session) -> dict[str, int]:
    """District A's own order and meeting, issued by its supervisor."""
    _, order_id, meeting = _supervised_case(
        client,
        ("clerk_a", "supervisor_a"),
        "甲区案件",
        (org.id("distA_comm"), {"kind": "urge", "title": "请社区加快办理"}),
        [org.id("distA"), org.id("distA_comm")],
        "社区答复",
        title="甲区联席会议",
        location="区政务中心",
        summary="研究甲区案件。",
    )
    return {"order_id": order_id, "meeting_id": meeting["id"]}


@pytest.mark.parametrize("role", sorted(set(ROLE_USERS) - {"admin"}))
def test_in_scope_ids_are_found(client, org, session, inside, role):
    """The other side of "looks missing": the same routes find district A's own objects
    (or refuse the role), so a 404 above is the scope rule, not a broken route."""
    as_user(client, ROLE_USERS[role])
    seen = {}
    for route in api_routes():
        if "GET" not in route.methods:
            continue
        url = _fill(route.path, inside)
        if url is None:
            continue
        r = client.get(url)
        seen[route.path] = r.status_code
    assert set(seen) == {
        "/api/v1/supervision/orders/{order_id}",
        "/api/v1/supervision/meetings/{meeting_id}",
        "/api/v1/supervision/meetings/{meeting_id}/minutes.docx",
    }
    # clerk_a works for the district's service centre, outside the community the order and
    # the decision are addressed to: for them these are other units' objects.
    expected = 404 if role == "clerk" else 200
    assert seen == dict.fromkeys(seen, expected)
