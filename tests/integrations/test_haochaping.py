"""好差评 data: each evaluation in the documented field set (matter, number, channel,
level, indicators, text, time, unit and window; a bad review's rectification and revisit),
exported as a batch file and pushed through the outbox at each step."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bancheng.core import clock
from bancheng.feedback.models import CallbackTask, Evaluation, Rectification
from bancheng.integrations import haochaping
from bancheng.outbox.models import OutboxMessage
from tests.cases.helpers import as_user
from tests.intake.test_public_reports import drive_to_feedback, rate, report
from tests.integrations.conftest import SECRET

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DAY = {"date_from": "2026-12-01", "date_to": "2026-12-01"}


@pytest.fixture()
def unified(settings, monkeypatch, remote):
    """The unified system's receiving endpoint (the same recording stand-in)."""
    monkeypatch.setattr(settings, "haochaping_url", remote.url + "/haochaping")
    monkeypatch.setattr(settings, "haochaping_signing_secret", SECRET)
    return remote


def _bad_review(client, org) -> tuple[str, int]:
    out = report(client, matter_id=org.matters["fund"].id, hall_id=org.hall.id)
    case_id = drive_to_feedback(client, org, out["number"])
    r = rate(
        client, out, rating="dissatisfied", timeliness=2, attitude=4, result=1,
        comment="跑了三趟", bad_reasons=["too_slow"], channel="sms",
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return out["number"], case_id


def handler_acts(client, session, case_id: int, action: str, body: dict) -> Rectification:
    """The fund unit's handler posts ``action`` (complete, appeal) on the case's
    rectification, which it accepts; returns the rectification."""
    rect = session.scalar(select(Rectification).where(Rectification.case_id == case_id))
    r = client.post(
        f"/api/v1/feedback/rectifications/{rect.id}/{action}",
        json=body,
        headers=as_user(client, "handler_fund").headers,
    )
    assert r.status_code == 200, r.text
    return rect


def test_a_bad_review_in_the_field_set_through_rectification_and_revisit(
    client, org, session, unified, deliver
):
    clock.set_clock(lambda: NOW)
    number, case_id = _bad_review(client, org)
    sup = as_user(client, "supervisor")
    [rec] = client.get("/api/v1/haochaping/evaluations", params=DAY, headers=sup.headers).json()
    assert rec == {
        "evaluation_id": f"{number}-1",
        "case_number": number,
        "matter_code": "HF-001",
        "matter_name": "住房公积金提取",
        "channel": "sms",
        "channel_name": "短信",
        "channel_type": "online",
        "level": 2,
        "level_name": "不满意",
        "indicators": {"timeliness": 2, "attitude": 4, "result": 1},
        "text": "跑了三趟",
        "evaluated_at": "2026-12-01T10:00:00+08:00",
        "unit_code": "C-HF",
        "unit_name": "市住房公积金管理中心",
        "hall": "市民中心一楼大厅",
        "window": None,
        "round": 1,
        "bad": True,
        "rectification_status": "open",
        "rectification_due": rec["rectification_due"],
        "rectification_result": None,
        "rectified_at": None,
        "revisit_status": "open",
        "revisit_confirmed": None,
        "revisited_at": None,
        "excluded": False,
    }
    assert rec["rectification_due"] == "2026-12-08"  # five working days

    handler_acts(client, session, case_id, "complete", {"note": "已约谈窗口人员，当日补办完成"})
    task = session.scalar(select(CallbackTask).where(CallbackTask.case_id == case_id))
    clerk = as_user(client, "clerk")
    r = client.post(
        f"/api/v1/callbacks/{task.id}/attempts", json={"outcome": "reached"}, headers=clerk.headers
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"/api/v1/callbacks/{task.id}/confirm", json={"resolved": True}, headers=clerk.headers
    )
    assert r.status_code == 200, r.text

    result = deliver()
    assert result.errors == [] and result.dead == 0
    # Three records to the unified platform, besides the reporter's SMS and staff notices.
    pushed = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.case_id == case_id, OutboxMessage.channel == "webhook"
        )
    ).all()
    assert [(m.kind, m.state) for m in pushed] == [
        ("haochaping.evaluated", "sent"),
        ("haochaping.rectified", "sent"),
        ("haochaping.revisited", "sent"),
    ]
    bodies = [json.loads(req["body"]) for req in unified.requests]
    assert [b["stage"] for b in bodies] == ["evaluated", "rectified", "revisited"]
    last = bodies[-1]["record"]
    assert (last["rectification_status"], last["rectification_result"]) == (
        "done",
        "已约谈窗口人员，当日补办完成",
    )
    assert (last["revisit_status"], last["revisit_confirmed"]) == ("reached", True)
    assert {req["path"] for req in unified.requests} == {"/haochaping"}

    # The batch file: a Chinese header row and the same values.
    sup = as_user(client, "supervisor")
    r = client.get("/api/v1/haochaping/evaluations.csv", params=DAY, headers=sup.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == [zh for _, zh in haochaping.FIELDS]
    row = dict(zip([f for f, _ in haochaping.FIELDS], rows[1], strict=True))
    assert (row["level"], row["channel_name"], row["indicators"]) == (
        "2",
        "短信",
        "办理时效:2;服务态度:4;办理结果:1",
    )
    assert (row["rectification_status"], row["revisit_confirmed"], row["bad"]) == (
        "done",
        "是",
        "是",
    )


def test_window_rating_is_the_hall_channel_and_scope_applies(client, org, session):
    clock.set_clock(lambda: NOW)
    clerk = as_user(client, "clerk")
    case = clerk.create(title="窗口评价")
    clerk.act(case["id"], "resolve_on_spot", outcome="done", resolution="当场办结")
    clerk.act(case["id"], "give_feedback", notification_text="已办结")
    clerk.act(case["id"], "evaluate", rating="very_satisfied")
    sup = as_user(client, "supervisor")
    [rec] = client.get("/api/v1/haochaping/evaluations", params=DAY, headers=sup.headers).json()
    assert (rec["channel"], rec["channel_type"], rec["level"], rec["indicators"]) == (
        "hall",
        "offline",
        5,
        {},
    )
    assert (rec["bad"], rec["rectification_status"]) == (False, None)
    # A district supervisor does not see the city's evaluations; bad ranges are refused.
    sup_a = as_user(client, "supervisor_a")
    assert (
        client.get("/api/v1/haochaping/evaluations", params=DAY, headers=sup_a.headers).json() == []
    )
    r = client.get(
        "/api/v1/haochaping/evaluations",
        params={"date_from": "2026-12-02", "date_to": "2026-12-01"},
        headers=sup.headers,
    )
    assert (r.status_code, r.json()["code"]) == (400, "haochaping.invalid_range")
    handler = as_user(client, "handler_fund")
    r = client.get("/api/v1/haochaping/evaluations.csv", params=DAY, headers=handler.headers)
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")


def test_a_rating_taken_on_a_12345_call_or_a_terminal_keeps_its_channel(client, org, session):
    """The clerk enters a rating the reporter gave elsewhere offline: its channel is kept
    (12345热线, 自助终端) and goes to the 好差评 record; an online channel is refused."""
    clock.set_clock(lambda: NOW)
    clerk = as_user(client, "clerk")
    ids = []
    for title in ("热线回访评价", "自助终端评价"):
        case = clerk.create(title=title)
        clerk.act(case["id"], "resolve_on_spot", outcome="done", resolution="当场办结")
        clerk.act(case["id"], "give_feedback", notification_text="已办结")
        ids.append(case["id"])
    before = clerk.get(ids[0])
    r = clerk.act_raw(ids[0], "evaluate", rating="satisfied", rating_channel="qr")
    assert (r.status_code, r.json()["code"]) == (422, "request.malformed")
    after = clerk.get(ids[0])
    assert (after["state"], after["version"]) == ("feedback_given", before["version"])
    assert session.scalar(select(Evaluation).where(Evaluation.case_id == ids[0])) is None
    clerk.act(ids[0], "evaluate", rating="satisfied", rating_channel="hotline_12345")
    clerk.act(ids[1], "evaluate", rating="very_satisfied", rating_channel="terminal")
    channels = {
        ev.case_id: (ev.source, ev.channel)
        for ev in session.scalars(select(Evaluation).where(Evaluation.case_id.in_(ids)))
    }
    assert channels == {ids[0]: ("window", "hotline_12345"), ids[1]: ("window", "terminal")}
    sup = as_user(client, "supervisor")
    records = client.get("/api/v1/haochaping/evaluations", params=DAY, headers=sup.headers).json()
    assert sorted(
        (r["channel"], r["channel_name"], r["channel_type"], r["level"]) for r in records
    ) == [
        ("hotline_12345", "12345热线", "offline", 4),
        ("terminal", "自助终端", "offline", 5),
    ]


def test_an_upheld_appeal_is_pushed_as_overturned_and_excluded(
    client, org, session, unified, deliver
):
    """The unit appeals a bad review, the supervisor upholds it: the record is pushed once
    more with stage ``overturned``, its rectification overturned and ``excluded`` true."""
    clock.set_clock(lambda: NOW)
    number, case_id = _bad_review(client, org)
    reason = "评价人误选了办理单位，事项实际由不动产中心受理"
    rect = handler_acts(client, session, case_id, "appeal", {"reason": reason})
    sup = as_user(client, "supervisor")
    r = client.post(
        f"/api/v1/feedback/rectifications/{rect.id}/decision",
        json={"uphold": True, "note": "核实属误评"},
        headers=sup.headers,
    )
    assert (r.status_code, r.json()["status"]) == (200, "overturned"), r.text

    result = deliver()
    assert result.errors == [] and result.dead == 0
    pushed = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.case_id == case_id, OutboxMessage.channel == "webhook")
        .order_by(OutboxMessage.id)
    ).all()
    assert [(m.kind, m.state) for m in pushed] == [
        ("haochaping.evaluated", "sent"),
        ("haochaping.overturned", "sent"),
    ]
    bodies = [json.loads(req["body"]) for req in unified.requests]
    assert [b["stage"] for b in bodies] == ["evaluated", "overturned"]
    record = bodies[-1]["record"]
    assert (record["evaluation_id"], record["excluded"], record["rectification_status"]) == (
        f"{number}-1",
        True,
        "overturned",
    )
    [listed] = client.get("/api/v1/haochaping/evaluations", params=DAY, headers=sup.headers).json()
    assert (listed["excluded"], listed["rectification_status"]) == (True, "overturned")
