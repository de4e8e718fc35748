"""Urge and supervise orders: issuing, scope, replies, escalation through the tree."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from bancheng.cases.models import CaseEvent
from bancheng.notify.models import Notice
from bancheng.supervision.models import SupervisionOrder, SupervisionOrderEvent
from bancheng.supervision.service import sweep
from tests.cases.helpers import as_user
from tests.supervision.helpers import at, issue_order, register_cases


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_order_escalates_level_by_level_as_working_days_pass(client, org, session):
    at(2026, 3, 2)  # Monday, 10:00 in Shanghai
    case = as_user(client, "clerk_a").create(title="社区证明开不出来")
    sup = as_user(client, "supervisor")
    r = issue_order(client, sup.headers, department_id=org.id("distA_comm"), case_ids=[case["id"]])
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["department_name"], order["level"], order["due_date"]) == (
        "东街道幸福社区",
        0,
        "2026-03-04",
    )
    oid = order["id"]

    # The last day is still on time.
    at(2026, 3, 4, 15)
    assert sweep(session) == {"escalated": 0, "top_reached": 0, "decisions_overdue": 0}

    def state():
        session.expire_all()
        o = session.get(SupervisionOrder, oid)
        return o.department_id, o.level, o.due_date

    # Thursday: overdue → the street office, with a fresh 2-working-day deadline.
    at(2026, 3, 5)
    assert sweep(session)["escalated"] == 1
    assert state() == (org.id("distA_street"), 1, date(2026, 3, 6))
    assert sweep(session)["escalated"] == 0  # idempotent
    assert state() == (org.id("distA_street"), 1, date(2026, 3, 6))

    # Friday is the street office's last day; on Saturday the district government has it,
    # due on Tuesday (the weekend does not count).
    at(2026, 3, 6, 15)
    assert sweep(session)["escalated"] == 0
    at(2026, 3, 7)
    assert sweep(session)["escalated"] == 1
    assert state() == (org.id("distA"), 2, date(2026, 3, 10))

    # Missed sweeps catch up: two deadlines later it is at the city, and then at the top.
    at(2026, 3, 13)
    assert sweep(session) == {"escalated": 1, "top_reached": 1, "decisions_overdue": 0}
    assert state() == (org.id("city"), 3, date(2026, 3, 12))
    assert sweep(session) == {"escalated": 0, "top_reached": 0, "decisions_overdue": 0}

    notices = session.scalars(
        select(Notice.department_id)
        .where(Notice.kind == "order_escalated", Notice.user_id.is_(None))
        .order_by(Notice.id)
    ).all()
    assert notices == [org.id("distA_street"), org.id("distA"), org.id("city")]
    events = session.scalars(
        select(CaseEvent.action).where(CaseEvent.case_id == case["id"]).order_by(CaseEvent.id)
    ).all()
    assert events.count("order_escalated") == 3 and "supervise" in events
    actions = session.scalars(
        select(SupervisionOrderEvent.action)
        .where(SupervisionOrderEvent.order_id == oid)
        .order_by(SupervisionOrderEvent.id)
    ).all()
    assert actions == ["issued", "escalated", "escalated", "escalated", "top_reached"]

    # The first unit (within the district handler's unit) answers; the supervisor closes.
    h = as_user(client, "handler_a")
    r = client.post(
        f"/api/v1/supervision/orders/{oid}/reply",
        json={"text": "已协调街道出具证明"},
        headers=h.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "replied"
    sup = as_user(client, "supervisor")
    r = client.post(f"/api/v1/supervision/orders/{oid}/close", json={}, headers=sup.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed"
    assert [e["action"] for e in r.json()["events"]][-2:] == ["replied", "closed"]


def test_order_to_a_unit_outside_scope_is_refused_and_nothing_written(client, org, session):
    case = as_user(client, "clerk_a").create()
    other = as_user(client, "clerk").create()
    sup = as_user(client, "supervisor_a")
    before = (
        _count(session, SupervisionOrder),
        _count(session, Notice),
        _count(session, CaseEvent),
    )
    r = issue_order(client, sup.headers, department_id=org.id("distB"), case_ids=[case["id"]])
    assert r.status_code == 403
    assert r.json()["code"] == "supervision.target_out_of_scope"
    # A case outside the issuer's scope: 404, as for every case read.
    r = issue_order(client, sup.headers, department_id=org.id("distA"), case_ids=[other["id"]])
    assert (r.status_code, r.json()["code"]) == (404, "case.not_found")
    after = (_count(session, SupervisionOrder), _count(session, Notice), _count(session, CaseEvent))
    assert after == before


def test_order_is_visible_on_case_department_and_board(client, org, session):
    at(2026, 3, 2)
    c1, c2 = register_cases(client, "clerk_a", "案件一", "案件二")
    sup = as_user(client, "supervisor")
    r = issue_order(
        client,
        sup.headers,
        kind="urge",
        department_id=org.id("distA"),
        case_ids=[c1["id"], c2["id"]],
    )
    assert r.status_code == 201
    r2 = issue_order(client, sup.headers, department_id=org.id("fund"), case_ids=[c1["id"]])
    assert r2.status_code == 201
    at(2026, 3, 5)
    as_user(client, "supervisor")  # sessions expire while the clock jumps
    board = client.get("/api/v1/supervision/board").json()
    assert board["open_orders"] == 2 and board["overdue_orders"] == 2
    assert [o["kind"] for o in board["orders"]] == ["urge", "supervise"]
    assert [c["id"] for c in client.get(f"/api/v1/cases/{c2['id']}/orders").json()[0]["cases"]] == [
        c1["id"],
        c2["id"],
    ]
    h = as_user(client, "handler_a")
    mine = client.get("/api/v1/supervision/orders?mine=true").json()
    assert [o["department_id"] for o in mine] == [org.id("distA")]
    # A handler of another unit cannot answer (and does not see it).
    hb = as_user(client, "handler_b")
    r = client.post(
        f"/api/v1/supervision/orders/{r.json()['id']}/reply", json={"text": "x"}, headers=hb.headers
    )
    assert r.status_code == 404
    assert h


def test_cli_sweep(client, org, session, cli):
    at(2026, 3, 2)
    case = as_user(client, "clerk_a").create()
    sup = as_user(client, "supervisor")
    assert (
        issue_order(
            client, sup.headers, department_id=org.id("distA"), case_ids=[case["id"]]
        ).status_code
        == 201
    )
    at(2026, 3, 5)
    out = cli("supervision", "sweep", "--json")
    assert out.output.strip() == '{"escalated": 1, "top_reached": 0, "decisions_overdue": 0}'
