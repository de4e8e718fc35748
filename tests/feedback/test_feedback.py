"""好差评 rules and callbacks: rectification deadlines, appeals, sampling, attempts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.feedback import callbacks, reminders
from bancheng.feedback.models import CallbackTask, Evaluation, Rectification
from bancheng.notify.models import Notice
from bancheng.sla.calendar import load_calendar
from tests.cases.helpers import as_user
from tests.conftest import case_row
from tests.intake.test_public_reports import drive_to_feedback, rate, report


def bad_review(client, org, rating: str = "very_dissatisfied") -> tuple[dict, int]:
    out = report(client)
    case_id = drive_to_feedback(client, org, out["number"])
    reasons = {"bad_reasons": ["no_reply"]} if "dissatisfied" in rating else {}
    r = rate(client, out, rating=rating, comment="态度差", **reasons)
    assert r.status_code == 200, r.text
    return out, case_id


def test_bad_review_opens_rectification_with_workday_deadline(client, org, session, settings):
    _, case_id = bad_review(client, org)
    rect = session.scalar(select(Rectification).where(Rectification.case_id == case_id))
    today = clock.to_local(clock.now()).date()
    expected = load_calendar(session).add_workdays(today, settings.rectification_workdays).date
    assert rect.status == "open" and rect.due_date == expected
    assert rect.department_id == org.id("fund")
    assert session.scalar(
        select(Notice).where(Notice.case_id == case_id, Notice.kind == "rectification")
    )
    task = session.scalar(select(CallbackTask).where(CallbackTask.case_id == case_id))
    assert task.reason == "bad_review" and task.status == "open"
    # the department sees and completes it
    h = as_user(client, "handler_fund")
    rows = client.get("/api/v1/feedback/rectifications").json()
    assert [x["id"] for x in rows] == [rect.id]
    r = client.post(
        f"/api/v1/feedback/rectifications/{rect.id}/complete",
        json={"note": "已约谈窗口人员并重新办理"},
        headers=h.headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    # another district's handler cannot see it
    as_user(client, "handler_b")
    assert client.get("/api/v1/feedback/rectifications").json() == []


def test_good_review_opens_nothing(client, org, session):
    _, case_id = bad_review(client, org, rating="satisfied")
    assert session.scalar(select(Rectification).where(Rectification.case_id == case_id)) is None


def test_appeal_upheld_excludes_the_review(client, org, session):
    _, case_id = bad_review(client, org)
    rect = session.scalar(select(Rectification).where(Rectification.case_id == case_id))
    h = as_user(client, "handler_fund")
    r = client.post(
        f"/api/v1/feedback/rectifications/{rect.id}/appeal",
        json={"reason": "反映人误评，已电话核实"},
        headers=h.headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "appealed"
    r = client.post(
        f"/api/v1/feedback/rectifications/{rect.id}/decision",
        json={"uphold": True},
        headers=h.headers,
    )
    assert r.status_code == 403
    sup = as_user(client, "supervisor")
    r = client.post(
        f"/api/v1/feedback/rectifications/{rect.id}/decision",
        json={"uphold": True, "note": "核实为误评"},
        headers=sup.headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "overturned"
    session.expire_all()
    ev = session.scalar(select(Evaluation).where(Evaluation.case_id == case_id))
    assert ev.excluded


def test_appeal_rejected_keeps_rectification_open(client, org, session):
    _, case_id = bad_review(client, org)
    rect = session.scalar(select(Rectification).where(Rectification.case_id == case_id))
    h = as_user(client, "handler_fund")
    client.post(
        f"/api/v1/feedback/rectifications/{rect.id}/appeal",
        json={"reason": "恶意差评"},
        headers=h.headers,
    )
    sup = as_user(client, "supervisor")
    r = client.post(
        f"/api/v1/feedback/rectifications/{rect.id}/decision",
        json={"uphold": False},
        headers=sup.headers,
    )
    assert r.json()["status"] == "open" and r.json()["decision"] == "rejected"


def test_callback_attempts_unreachable_after_three_and_raise_case(client, org, session):
    out, case_id = bad_review(client, org)
    task = session.scalar(select(CallbackTask).where(CallbackTask.case_id == case_id))
    clerk = as_user(client, "clerk")
    rows = client.get("/api/v1/callbacks").json()
    assert rows[0]["id"] == task.id and "13900001111" not in str(rows)
    assert out["number"] in rows[0]["script"]
    url = f"/api/v1/callbacks/{task.id}/attempts"
    for _ in range(3):
        r = client.post(url, json={"outcome": "unreachable"}, headers=clerk.headers)
        assert r.status_code == 200
    assert r.json()["status"] == "unreachable" and r.json()["failed_attempts"] == 3
    assert client.post(url, json={"outcome": "reached"}, headers=clerk.headers).status_code == 409
    # a callback that reaches the reporter: confirm and raise a new case (未诉先办)
    t2 = callbacks.ensure_callback(session, session.get(Case, case_id), "sample")
    session.commit()
    client.post(
        f"/api/v1/callbacks/{t2.id}/attempts",
        json={"outcome": "unreachable"},
        headers=clerk.headers,
    )
    r = client.post(
        f"/api/v1/callbacks/{t2.id}/attempts", json={"outcome": "reached"}, headers=clerk.headers
    )
    assert r.json()["status"] == "reached"
    r = client.post(
        f"/api/v1/callbacks/{t2.id}/confirm",
        json={"resolved": False, "note": "仍未办成"},
        headers=clerk.headers,
    )
    assert r.status_code == 200 and r.json()["confirmed_resolved"] is False
    r = client.post(
        f"/api/v1/callbacks/{t2.id}/case",
        json={"title": "回访发现：公积金仍未提取", "description": "回访时群众反映仍未办成"},
        headers=clerk.headers,
    )
    assert r.status_code == 201, r.text
    new = session.get(Case, r.json()["id"])
    assert (
        new.channel == "callback"
        and new.reporter_phone_hash == session.get(Case, case_id).reporter_phone_hash
    )
    r = client.post(f"/api/v1/callbacks/{t2.id}/reveal", headers=clerk.headers)
    assert r.json()["phone"] == "13900001111"


def _closed_case_rows(org, n: int) -> list[dict]:
    depts = [org.id(k) for k in ("fund", "estate", "hrss", "distA")]
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    return [
        case_row(
            "SX",
            i + 1,
            depts[i % len(depts)],
            now,
            kind="consultation",
            blocker_type="other",
            reporter_phone_hash="h",
            closed_at=now,
        )
        for i in range(n)
    ]


def test_callback_sampling_rate_holds_per_department(session, org, settings):
    session.execute(insert(Case), _closed_case_rows(org, 2000))
    clock.set_clock(lambda: datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    made = callbacks.sample_closed(session, settings)
    per_dept = Counter(t.department_id for t in made)
    for key in ("fund", "estate", "hrss", "distA"):
        share = per_dept[org.id(key)] / 500
        assert abs(share - 0.10) <= 0.03, (key, share)
    # idempotent
    assert callbacks.sample_closed(session, settings) == []


def test_callback_sampling_per_department_override(session, org, settings, monkeypatch):
    session.execute(insert(Case), _closed_case_rows(org, 2000))
    monkeypatch.setattr(settings, "callback_sample_rates", "C-HF:0.5,C-RE:0")
    clock.set_clock(lambda: datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    per_dept = Counter(t.department_id for t in callbacks.sample_closed(session, settings))
    assert abs(per_dept[org.id("fund")] / 500 - 0.5) <= 0.05
    assert per_dept[org.id("estate")] == 0


def test_rating_reminder_after_three_working_days_once(client, org, session, settings):
    from bancheng.sla.calendar import load_calendar

    out = report(client)
    case_id = drive_to_feedback(client, org, out["number"])
    cal = load_calendar(session)
    # the last instant of the second working day (``due_at`` is the midnight after it,
    # already the next day, which is a third working day when it is not a rest day)
    two = cal.add_workdays(clock.now(), 2).due_at - timedelta(seconds=1)
    later = cal.add_workdays(clock.now(), 3).due_at
    assert reminders.remind_unrated(session, settings, clock.now()) == 0
    assert reminders.remind_unrated(session, settings, two) == 0
    assert reminders.remind_unrated(session, settings, later) == 1
    assert reminders.remind_unrated(session, settings, later + timedelta(hours=1)) == 0
    n = session.scalar(
        select(Notice).where(Notice.case_id == case_id, Notice.kind == "rating_reminder")
    )
    assert n is not None
