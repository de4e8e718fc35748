"""Every working-day deadline, not only the case clock, is provisional while it runs
through a year the calendar does not know (counted Monday–Friday), and exact once that
year is imported: supervise orders (also after an escalation), meeting decisions,
rectifications of bad reviews and extensions (which keep the date the unit asked for)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bancheng.cases.models import Case
from bancheng.feedback.models import Rectification
from bancheng.sla.models import DeadlineExtension
from bancheng.supervision.models import MeetingDecision, SupervisionOrder
from bancheng.supervision.service import sweep
from tests.cases.helpers import as_user
from tests.conftest import login, upload_csv
from tests.integrations.test_haochaping import _bad_review
from tests.sla.data import synthetic_2027_csv
from tests.sla.test_case_clock import at
from tests.supervision.helpers import decision, hold_meeting, issue_order


@pytest.fixture(autouse=True)
def _long_sessions(settings, monkeypatch):
    """These tests move the clock by weeks; keep the console sessions open meanwhile."""
    monkeypatch.setattr(settings, "session_hours", 24 * 365)
    monkeypatch.setattr(settings, "session_idle_minutes", 0)


def _import_2027(client) -> None:
    h = login(client, "admin")
    r = upload_csv(client, "/api/v1/calendar/import", h, "2027.csv", synthetic_2027_csv())
    assert r.status_code == 200, r.text


def _order(client, org, case_id: int, workdays: int) -> dict:
    sup = as_user(client, "supervisor")
    r = issue_order(
        client, sup.headers, org.id("fund"), [case_id],
        title="请于年后第一周内回复", deadline_workdays=workdays,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_orders_and_decisions_become_exact_when_the_year_is_imported(client, org, session):
    at(2026, 12, 28)  # Monday; 1 Jan 2027 is unknown, so counted as a working day
    case = as_user(client, "clerk").create()
    order = _order(client, org, case["id"], 5)
    # 29, 30, 31 Dec, 1 Jan (assumed), 4 Jan.
    assert (order["due_date"], order["deadline_provisional"]) == ("2027-01-04", True)
    # An order inside the known year is exact.
    exact = _order(client, org, case["id"], 2)
    assert (exact["due_date"], exact["deadline_provisional"]) == ("2026-12-30", False)

    sup = as_user(client, "supervisor")
    r = hold_meeting(
        client,
        sup.headers,
        [org.id("fund"), org.id("estate")],
        [case["id"]],
        [
            decision("公积金中心年后首周答复", org.id("fund"), 4),
            decision("不动产中心本周内答复", org.id("estate"), 2),
        ],
        title="年末积案联席会议",
        held_on="2026-12-28",
        summary="研究年末积案的办理。",
    )
    assert r.status_code == 201, r.text
    meeting = r.json()
    assert [(d["due_date"], d["deadline_provisional"]) for d in meeting["decisions"]] == [
        ("2027-01-01", True),
        ("2026-12-30", False),
    ]

    # The exact order runs out and escalates: its next deadline runs into 2027 as well.
    at(2026, 12, 31)
    assert sweep(session)["escalated"] == 1
    session.expire_all()
    escalated = session.get(SupervisionOrder, exact["id"])
    assert (escalated.level, escalated.due_date, escalated.deadline_provisional) == (
        1,
        date(2027, 1, 1),  # 31 Dec, 1 Jan (assumed)
        True,
    )

    _import_2027(client)
    session.expire_all()
    got = session.get(SupervisionOrder, order["id"])
    assert (got.due_date, got.deadline_provisional) == (date(2027, 1, 5), False)
    escalated = session.get(SupervisionOrder, exact["id"])
    assert (escalated.due_date, escalated.deadline_provisional) == (date(2027, 1, 4), False)
    decisions = session.scalars(
        select(MeetingDecision)
        .where(MeetingDecision.meeting_id == meeting["id"])
        .order_by(MeetingDecision.seq)
    ).all()
    assert [(d.due_date, d.deadline_provisional) for d in decisions] == [
        (date(2027, 1, 4), False),  # 29, 30, 31 Dec, 4 Jan
        (date(2026, 12, 30), False),  # untouched
    ]
    # The API says so too.
    sup = as_user(client, "supervisor")
    r = client.get(f"/api/v1/supervision/orders/{order['id']}", headers=sup.headers)
    assert (r.json()["due_date"], r.json()["deadline_provisional"]) == ("2027-01-05", False)


def test_rectification_due_date_is_recomputed_on_import(client, org, session, settings):
    at(2026, 12, 29)  # Tuesday
    _, case_id = _bad_review(client, org)
    rect = session.scalar(select(Rectification).where(Rectification.case_id == case_id))
    # Five working days: 30, 31 Dec, 1 Jan (assumed), 4, 5 Jan.
    assert (rect.due_date, rect.deadline_provisional, rect.deadline_workdays) == (
        date(2027, 1, 5),
        True,
        settings.rectification_workdays,
    )
    sup = as_user(client, "supervisor")
    listed = client.get("/api/v1/feedback/rectifications", headers=sup.headers).json()
    row = next(r for r in listed if r["id"] == rect.id)
    assert (row["due_date"], row["deadline_provisional"]) == ("2027-01-05", True)
    _import_2027(client)
    session.expire_all()
    rect = session.get(Rectification, rect.id)
    assert rect is not None
    assert (rect.due_date, rect.deadline_provisional) == (date(2027, 1, 6), False)


def test_an_approved_extension_keeps_its_date_and_gets_its_real_count(client, org, session):
    at(2026, 12, 14)  # Monday; twelve working days: due Wed 30 Dec
    clerk = as_user(client, "clerk")
    case = clerk.create()
    cid = case["id"]
    assert case["due_date"] == "2026-12-30"
    clerk.act(cid, "dispatch", department_id=org.id("fund"))
    h = as_user(client, "handler_fund")
    h.act(cid, "accept")
    at(2026, 12, 28)
    h.act(cid, "request_extension", reason="需跨年核查档案", new_due_date="2027-01-06")
    sup = as_user(client, "supervisor")
    c = sup.act(cid, "decide_extension", approve=True, reason="同意")
    # 31 Dec, 1 Jan (assumed), 4, 5, 6 Jan: five, provisionally.
    assert (c["due_date"], c["deadline_provisional"]) == ("2027-01-06", True)
    assert [(e["extra_workdays"], e["deadline_provisional"]) for e in c["extensions"]] == [
        (5, True)
    ]

    _import_2027(client)
    session.expire_all()
    ext = session.scalar(select(DeadlineExtension).where(DeadlineExtension.case_id == cid))
    assert (ext.extra_workdays, ext.deadline_provisional) == (4, False)
    got = session.get(Case, cid)
    # The date the unit asked for and was granted, now counted with 1 Jan as a holiday.
    assert (got.due_date, got.extension_workdays, got.deadline_provisional) == (
        date(2027, 1, 6),
        4,
        False,
    )


def test_cli_recomputes_every_kind_of_provisional_deadline(client, org, session, cli):
    at(2026, 12, 28)
    case = as_user(client, "clerk").create()
    order = _order(client, org, case["id"], 5)
    # A deadline left stale (say, by a calendar written outside the application).
    row = session.get(SupervisionOrder, order["id"])
    row.due_date = date(2027, 1, 8)
    session.flush()
    result = cli("sla", "recompute", "--provisional-only")
    assert result.exit_code == 0, result.output
    assert result.output == "重算完成：案件 0 件、督办与会议决定 1 项、整改 0 项期限有变化\n"
    session.expire_all()
    row = session.get(SupervisionOrder, order["id"])
    assert (row.due_date, row.deadline_provisional) == (date(2027, 1, 4), True)
