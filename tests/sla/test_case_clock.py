"""The clock of a case through the API: deadlines in working days across 中秋/国庆 and
调休, pauses, reclassification, extensions, lights, the sweeper, provisional deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bancheng.cases.models import Case, CaseEvent
from bancheng.core import clock
from bancheng.core.clock import SHANGHAI
from bancheng.deadlines.sweeper import sweep
from bancheng.notify.models import Notice
from tests.cases.helpers import as_user
from tests.conftest import login, upload_csv
from tests.sla.data import synthetic_2027_csv


@pytest.fixture(autouse=True)
def _long_sessions(settings, monkeypatch):
    """These tests move the clock by weeks; keep the console sessions open meanwhile."""
    monkeypatch.setattr(settings, "session_hours", 24 * 365)
    monkeypatch.setattr(settings, "session_idle_minutes", 0)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    moment = datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).astimezone(UTC)
    clock.set_clock(lambda: moment)
    return moment


def utc_midnight(y: int, m: int, d: int) -> str:
    return datetime(y, m, d, tzinfo=SHANGHAI).astimezone(UTC).isoformat().replace("+00:00", "Z")


def _new_case(client, org, **over):
    clerk = as_user(client, "clerk")
    return clerk, clerk.create(**over)


def _accepted_by_fund(client, org):
    """A new case, dispatched to the housing fund and accepted there: its id, the handler."""
    clerk, case = _new_case(client, org)
    clerk.act(case["id"], "dispatch", department_id=org.id("fund"))
    h = as_user(client, "handler_fund")
    h.act(case["id"], "accept")
    return case["id"], h


def test_twelve_working_days_across_mid_autumn_and_national_day(client, org):
    at(2026, 9, 24)  # Thursday before 中秋 (25–27 Sep) and 国庆 (1–7 Oct), 10 Oct worked
    _, case = _new_case(client, org)
    assert case["due_date"] == "2026-10-19"
    assert case["due_at"] == utc_midnight(2026, 10, 20)
    assert case["response_due_at"] == utc_midnight(2026, 9, 29)  # 1 working day: Mon 28th
    assert case["deadline_provisional"] is False
    assert case["light"] == "green"

    def light_on(*day):
        at(*day)
        return client.get(f"/api/v1/cases/{case['id']}").json()["light"]

    assert light_on(2026, 10, 14, 23, 59) == "green"  # three working days left
    assert light_on(2026, 10, 15, 0, 0) == "yellow"  # two left (16th, 19th)
    assert light_on(2026, 10, 19, 23, 59) == "yellow"
    assert light_on(2026, 10, 20, 0, 0) == "red"


def test_consultation_and_immediate_policies(client, org):
    at(2026, 9, 24)
    _, c = _new_case(client, org, kind="consultation")
    assert c["due_date"] == "2026-09-30"  # 28th, 29th, 30th
    _, i = _new_case(client, org, difficulty="immediate")
    assert i["due_date"] == "2026-09-24"


def test_pause_survives_reclassification(client, org):
    at(2026, 9, 24)
    cid, h = _accepted_by_fund(client, org)
    h.act(cid, "start")
    at(2026, 9, 28)  # Monday 10:00
    c = h.act(cid, "suspend", reason="待补交离职证明")
    assert c["light"] == "green"
    at(2026, 10, 19)  # long after the original deadline: a suspended case stays as it was
    assert client.get(f"/api/v1/cases/{cid}").json()["light"] == "green"
    at(2026, 9, 30)  # Wednesday 10:00: 6 h + 7 h + 1 h = two office days paused
    c = h.act(cid, "resume")
    assert c["paused_seconds"] == 14 * 3600
    assert c["due_date"] == "2026-10-21"
    tl = client.get(f"/api/v1/cases/{cid}/timeline").json()
    assert tl[-1]["details"] == {"paused_seconds": 50400, "due_date": "2026-10-21"}
    c = h.act(cid, "classify", kind="consultation")
    # 3 working days from the start moved by the pause (Tue 29 Sep 10:00): 30 Sep, 8, 9 Oct
    assert c["due_date"] == "2026-10-09"
    assert c["paused_seconds"] == 14 * 3600
    c = h.act(cid, "classify", kind="cannot_do")
    assert c["due_date"] == "2026-10-21"


def test_extension_requested_and_approved(client, org, session):
    at(2026, 9, 24)
    cid, h = _accepted_by_fund(client, org)
    at(2026, 10, 12)
    r = h.act_raw(cid, "request_extension", reason="需跨部门核查", new_due_date="2026-10-19")
    assert r.status_code == 400 and r.json()["code"] == "sla.extension_not_later"
    h.act(cid, "request_extension", reason="需跨部门核查", new_due_date="2026-10-22")
    r = h.act_raw(cid, "request_extension", reason="再次", new_due_date="2026-10-23")
    assert r.status_code == 409 and r.json()["code"] == "sla.extension_pending"
    assert "request_extension" not in h.actions(cid)
    sup = as_user(client, "supervisor")
    assert "decide_extension" in sup.actions(cid)
    c = sup.act(cid, "decide_extension", approve=True, reason="同意")
    assert (c["due_date"], c["extension_workdays"]) == ("2026-10-22", 3)
    assert [(e["status"], e["extra_workdays"]) for e in c["extensions"]] == [("approved", 3)]
    r = sup.act_raw(cid, "decide_extension", approve=True)
    assert r.status_code == 409 and r.json()["code"] == "sla.no_pending_extension"


def test_extension_cannot_be_approved_after_expiry(client, org, session):
    at(2026, 9, 24)
    clerk, case = _new_case(client, org)
    cid = case["id"]
    clerk.act(cid, "dispatch", department_id=org.id("fund"))
    h = as_user(client, "handler_fund")
    at(2026, 10, 19, 16)
    h.act(cid, "request_extension", reason="材料在途", new_due_date="2026-10-23")
    at(2026, 10, 20, 9)
    sup = as_user(client, "supervisor")
    r = sup.act_raw(cid, "decide_extension", approve=True)
    assert r.status_code == 409 and r.json()["code"] == "sla.extension_expired"
    assert session.get(Case, cid).extension_workdays == 0
    c = sup.act(cid, "decide_extension", approve=False, reason="已超期")
    assert c["due_date"] == "2026-10-19" and c["extensions"][0]["status"] == "refused"
    h.use()
    r = h.act_raw(cid, "request_extension", reason="再申请", new_due_date="2026-10-26")
    assert r.status_code == 409 and r.json()["code"] == "sla.extension_after_deadline"


def test_ledger_light_filter_and_counts(client, org):
    at(2026, 9, 24)
    _, late = _new_case(client, org)
    at(2026, 10, 13)
    clerk, fresh = _new_case(client, org)
    clerk.act(fresh["id"], "dispatch", department_id=org.id("fund"))
    at(2026, 10, 15)
    as_user(client, "clerk")

    def ids(q):
        return [c["id"] for c in client.get("/api/v1/cases" + q).json()["items"]]

    assert ids("?light=yellow") == [late["id"]]
    assert ids("?light=green") == [fresh["id"]]
    assert ids("?light=red") == []
    at(2026, 10, 20)
    assert ids("?light=red") == [late["id"]]
    assert ids("?light=red,green&sort=number&order=asc") == [late["id"], fresh["id"]]
    counts = client.get("/api/v1/cases/lights").json()
    assert counts == [
        {
            "department": {"id": org.id("centre"), "name": "市政务服务中心"},
            "green": 0,
            "yellow": 0,
            "red": 1,
        },
        {
            "department": {"id": org.id("fund"), "name": "市住房公积金管理中心"},
            "green": 1,
            "yellow": 0,
            "red": 0,
        },
    ]


def _events(session, action):
    return session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.action == action)
    )


def test_sweeper_records_once_urges_and_escalates(client, org, session, settings):
    at(2026, 9, 24)
    clerk, case = _new_case(client, org)
    clerk.act(case["id"], "dispatch", department_id=org.id("fund"))
    r = sweep(session, settings, at(2026, 10, 15))
    assert (r.turned_yellow, r.turned_red, r.escalated) == (1, 0, 0)
    r = sweep(session, settings, at(2026, 10, 15, 11))
    assert (r.turned_yellow, r.turned_red, r.escalated) == (0, 0, 0)
    r = sweep(session, settings, at(2026, 10, 20))
    assert (r.turned_yellow, r.turned_red, r.escalated) == (0, 1, 0)
    assert settings.sla_escalate_after_workdays == 3
    r = sweep(session, settings, at(2026, 10, 22))  # 3 working days overdue: not yet
    assert r.escalated == 0
    r = sweep(session, settings, at(2026, 10, 23))  # 4 working days overdue
    assert r.escalated == 1
    r = sweep(session, settings, at(2026, 10, 26))
    assert (r.turned_yellow, r.turned_red, r.escalated) == (0, 0, 0)
    session.expire_all()
    c = session.get(Case, case["id"])
    assert c.needs_supervision is True and c.supervision_reason == "overdue"
    assert (
        _events(session, "light_yellow"),
        _events(session, "light_red"),
        _events(session, "escalate"),
    ) == (1, 1, 1)
    notices = session.scalars(
        select(Notice).where(Notice.user_id.is_(None)).order_by(Notice.id)
    ).all()
    assert [(n.kind, n.department_id) for n in notices] == [
        ("due_soon", org.id("fund")),
        ("overdue", org.id("fund")),
        ("escalation", org.id("centre")),
    ]
    # Named people too: yellow to the unit's handler (nobody accepted), red to its lead.
    named = session.scalars(
        select(Notice).where(Notice.user_id.is_not(None)).order_by(Notice.id)
    ).all()
    assert [(n.kind, n.user_id) for n in named] == [
        ("light_yellow", org.users["handler_fund"].id),
        ("light_red", org.users["handler_fund"].id),
    ]
    assert notices[1].title.startswith(f"超期催办：{case['number']} 已超过办理时限：")
    h = as_user(client, "handler_fund")
    inbox = client.get("/api/v1/notices?unread=true").json()
    assert (inbox["total"], inbox["unread"]) == (4, 4)
    client.post(f"/api/v1/notices/{inbox['items'][0]['id']}/read", headers=h.headers)
    assert client.get("/api/v1/notices").json()["unread"] == 3


def test_deadline_into_unknown_year_is_provisional_until_loaded(client, org, session):
    at(2026, 12, 22)
    _, case = _new_case(client, org)
    assert case["deadline_provisional"] is True
    assert case["due_date"] == "2027-01-07"  # Monday–Friday fallback: 1 Jan counted
    h = login(client, "admin")
    status = client.get("/api/v1/sla/status").json()
    assert status["missing_years"] == [2027] and "2027" in status["warning"]
    r = upload_csv(client, "/api/v1/calendar/import", h, "2027.csv", synthetic_2027_csv())
    assert r.status_code == 200, r.text
    session.expire_all()
    c = session.get(Case, case["id"])
    assert c.deadline_provisional is False
    assert c.due_date == date(2027, 1, 8)  # 1 Jan 2027 is a holiday in the loaded year
    assert client.get("/api/v1/sla/status").json()["missing_years"] == []
