"""Lead and co-handling units (主办/协办) of a dispatch, and objections to a dispatch (退单)."""

from __future__ import annotations

from sqlalchemy import select

from bancheng.cases.models import CaseCoHandler, DispatchObjection
from bancheng.sla.calendar import load_calendar
from tests.cases.helpers import as_user, event_count, fresh_case


def _co_rows(session, case_id):
    session.expire_all()
    return list(
        session.scalars(
            select(CaseCoHandler).where(CaseCoHandler.case_id == case_id).order_by(CaseCoHandler.id)
        )
    )


def co_dispatched(client, org, **extra):
    clerk = as_user(client, "clerk")
    case = clerk.create(matter_id=org.matters["fund"].id)
    c = clerk.act(
        case["id"],
        "dispatch",
        department_id=org.id("fund"),
        co_department_ids=[org.id("estate"), org.id("hrss")],
        **extra,
    )
    return clerk, c


def _in_progress(client, case_id):
    lead = as_user(client, "handler_fund")
    lead.act(case_id, "accept")
    lead.act(case_id, "start")
    return lead


def test_dispatch_names_lead_and_co_handlers_with_their_deadlines(client, org, session, settings):
    _, c = co_dispatched(client, org)
    assert c["state"] == "dispatched"
    assert c["current_department"]["id"] == org.id("fund")
    co = c["co_handlers"]
    assert [(x["department"]["name"], x["status"]) for x in co] == [
        ("市不动产登记中心", "pending"),
        ("市人社局", "pending"),
    ]
    rows = _co_rows(session, c["id"])
    expected = load_calendar(session).add_workdays(rows[0].assigned_at, 3)
    assert settings.co_handling_reply_workdays == 3
    assert all(x["workdays"] == 3 for x in co)
    assert all(x["due_date"] == expected.date.isoformat() for x in co)
    assert rows[0].due_at == expected.due_at
    timeline = client.get(f"/api/v1/cases/{c['id']}/timeline").json()
    dispatch = timeline[-1]
    assert dispatch["action"] == "dispatch" and dispatch["label"] == "派单"
    assert [x["department_name"] for x in dispatch["details"]["co_handlers"]] == [
        "市不动产登记中心",
        "市人社局",
    ]


def test_a_dispatch_can_give_its_own_reply_deadline(client, org, session):
    _, c = co_dispatched(client, org, co_due_workdays=5)
    rows = _co_rows(session, c["id"])
    expected = load_calendar(session).add_workdays(rows[0].assigned_at, 5)
    assert [(r.workdays, r.due_date) for r in rows] == [(5, expected.date), (5, expected.date)]


def test_co_handlers_see_their_cases_only_and_may_only_reply(client, org, session):
    _, c = co_dispatched(client, org)
    cid = c["id"]
    clerk = as_user(client, "clerk")
    other = clerk.create(title="另一件")
    clerk.act(other["id"], "dispatch", department_id=org.id("fund"))

    co = as_user(client, "handler_estate")
    assert co.actions(cid) == ["co_reply"]
    assert client.get(f"/api/v1/cases/{other['id']}").status_code == 404
    inbox = client.get(
        "/api/v1/cases", params={"awaiting_reply_department_id": org.id("estate")}
    ).json()
    assert [x["id"] for x in inbox["items"]] == [cid]

    # A co-handler cannot take the lead's moves; nothing changes.
    version, events = fresh_case(session, cid).version, event_count(session, cid)
    r = co.act_raw(cid, "accept")
    assert r.status_code == 403 and r.json()["code"] == "case.not_your_unit"
    assert (fresh_case(session, cid).version, event_count(session, cid)) == (version, events)

    # A unit that is no co-handler cannot reply, and does not see the case at all.
    b = as_user(client, "handler_b")
    assert client.get(f"/api/v1/cases/{cid}").status_code == 404
    assert b.act_raw(cid, "co_reply", version=version, reply="x").status_code == 404
    lead = as_user(client, "handler_fund")
    r = lead.act_raw(cid, "co_reply", reply="主办单位不是协办单位")
    assert r.status_code == 403 and r.json()["code"] == "case.not_your_unit"
    assert (fresh_case(session, cid).version, event_count(session, cid)) == (version, events)
    assert [r.status for r in _co_rows(session, cid)] == ["pending", "pending"]


def test_replies_are_recorded_and_the_inbox_empties(client, org, session):
    _, c = co_dispatched(client, org)
    cid = c["id"]
    co = as_user(client, "handler_estate")
    r = co.act_raw(cid, "co_reply", reply="  ")
    assert r.status_code == 400 and r.json()["code"] == "case.reply_required"
    out = co.act(cid, "co_reply", reply="该房产已办理抵押登记，需先解押。")
    estate = out["co_handlers"][0]
    assert estate["status"] == "replied"
    assert estate["reply"] == "该房产已办理抵押登记，需先解押。"
    assert estate["replied_by_name"] == "handler_estate" and estate["overdue"] is False
    assert out["state"] == "dispatched"
    assert co.actions(cid) == []
    version, events = fresh_case(session, cid).version, event_count(session, cid)
    r = co.act_raw(cid, "co_reply", reply="再回复一次")
    assert r.status_code == 403 and r.json()["code"] == "case.not_your_unit"
    assert (fresh_case(session, cid).version, event_count(session, cid)) == (version, events)
    inbox = client.get(
        "/api/v1/cases", params={"awaiting_reply_department_id": org.id("estate")}
    ).json()
    assert inbox["items"] == []
    event = client.get(f"/api/v1/cases/{cid}/timeline").json()[-1]
    assert (event["action"], event["label"], event["public"]) == ("co_reply", "协办回复", False)
    assert event["details"]["department_name"] == "市不动产登记中心"


def test_the_lead_cannot_resolve_while_replies_are_outstanding_unless_it_says_why(
    client, org, session
):
    _, c = co_dispatched(client, org)
    cid = c["id"]
    as_user(client, "handler_estate").act(cid, "co_reply", reply="已核实，无异议。")
    lead = _in_progress(client, cid)
    resolve = next(
        a for a in client.get(f"/api/v1/cases/{cid}/actions").json() if a["action"] == "resolve"
    )
    assert resolve["required"] == ["outcome", "resolution", "co_handling_note"]

    version, events = fresh_case(session, cid).version, event_count(session, cid)
    r = lead.act_raw(cid, "resolve", outcome="done", resolution="已办理")
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "case.co_replies_outstanding"
    assert "市人社局" in body["detail"]
    case = fresh_case(session, cid)
    assert (case.state, case.version, case.outcome, event_count(session, cid)) == (
        "in_progress",
        version,
        None,
        events,
    )
    assert [r.status for r in _co_rows(session, cid)] == ["replied", "pending"]

    out = lead.act(
        cid,
        "resolve",
        outcome="done",
        resolution="已办理",
        co_handling_note="人社局逾期未回复，社保信息已由申请人自行提供。",
    )
    assert out["state"] == "resolved"
    assert [x["status"] for x in out["co_handlers"]] == ["replied", "lapsed"]
    event = client.get(f"/api/v1/cases/{cid}/timeline").json()[-1]
    assert event["action"] == "resolve"
    assert event["reason"] == "人社局逾期未回复，社保信息已由申请人自行提供。"
    assert event["details"]["co_replies_outstanding"] == ["市人社局"]


def test_the_lead_resolves_without_a_note_once_every_reply_is_in(client, org):
    _, c = co_dispatched(client, org)
    cid = c["id"]
    as_user(client, "handler_estate").act(cid, "co_reply", reply="无异议")
    as_user(client, "handler_hrss").act(cid, "co_reply", reply="社保缴存记录已核实")
    lead = _in_progress(client, cid)
    out = lead.act(cid, "resolve", outcome="done", resolution="已办理")
    assert out["state"] == "resolved"
    assert [x["status"] for x in out["co_handlers"]] == ["replied", "replied"]


def test_bad_co_handler_lists_are_refused_and_nothing_is_written(client, org, session):
    clerk = as_user(client, "clerk")
    cid = clerk.create()["id"]
    version, events = fresh_case(session, cid).version, event_count(session, cid)
    for co, code in (
        ([org.id("fund")], "case.co_handler_is_lead"),
        ([org.id("estate"), org.id("estate")], "case.co_handler_duplicate"),
        ([999_999], "case.department_not_found"),
    ):
        r = clerk.act_raw(
            cid, "dispatch", version=version, department_id=org.id("fund"), co_department_ids=co
        )
        assert r.status_code == 400 and r.json()["code"] == code, r.text
        assert r.json()["field"] == "co_department_ids"
    case = fresh_case(session, cid)
    assert (case.state, case.version, event_count(session, cid)) == ("registered", version, events)
    assert _co_rows(session, cid) == []


def test_objection_rejected_keeps_the_case_and_accepted_sends_it_back(client, org, session):
    clerk, c = co_dispatched(client, org)
    cid = c["id"]
    unit = as_user(client, "handler_fund")
    assert "object" in unit.actions(cid)
    r = unit.act_raw(cid, "object", reason=" ")
    assert r.status_code == 400 and r.json()["code"] == "case.reason_required"
    out = unit.act(
        cid,
        "object",
        reason="该事项属不动产登记，不属本中心职责",
        suggested_department_id=org.id("estate"),
    )
    assert out["state"] == "dispatched"
    assert [(o["status"], o["suggested_department"]["name"]) for o in out["objections"]] == [
        ("pending", "市不动产登记中心")
    ]
    assert "object" not in unit.actions(cid)
    assert "decide_objection" not in unit.actions(cid)
    # The objecting unit cannot decide its own objection.
    r = unit.act_raw(cid, "decide_objection", approve=True)
    assert r.status_code == 403 and r.json()["code"] == "case.action_forbidden"

    clerk.use()
    assert "decide_objection" in clerk.actions(cid)
    version, events = fresh_case(session, cid).version, event_count(session, cid)
    r = clerk.act_raw(cid, "decide_objection", approve=False)
    assert r.status_code == 400 and r.json()["code"] == "case.reason_required"
    assert (fresh_case(session, cid).version, event_count(session, cid)) == (version, events)
    out = clerk.act(cid, "decide_objection", approve=False, reason="事项目录明确由公积金中心主办")
    assert out["state"] == "dispatched" and out["current_department"]["id"] == org.id("fund")
    assert out["objections"][0]["status"] == "rejected"
    assert out["objections"][0]["decided_by_name"] == "clerk"
    assert [x["status"] for x in out["co_handlers"]] == ["pending", "pending"]

    unit.use()
    unit.act(cid, "object", reason="申请人所涉为商品房预售，请改派")
    supervisor = as_user(client, "supervisor")
    out = supervisor.act(cid, "decide_objection", approve=True, reason="同意改派")
    assert out["state"] == "registered"
    assert out["current_department"]["id"] == org.id("centre")
    assert out["return_count"] == 1
    assert [o["status"] for o in out["objections"]] == ["rejected", "accepted"]
    assert [x["status"] for x in out["co_handlers"]] == ["cancelled", "cancelled"]
    r = supervisor.act_raw(cid, "decide_objection", approve=True)
    assert r.status_code == 409 and r.json()["code"] == "case.illegal_transition"

    timeline = client.get(f"/api/v1/cases/{cid}/timeline").json()
    assert [(e["action"], e["label"], e["to_state"]) for e in timeline[-4:]] == [
        ("object", "申请退单", "dispatched"),
        ("objection_rejected", "不同意退单", "dispatched"),
        ("object", "申请退单", "dispatched"),
        ("objection_accepted", "同意退单", "registered"),
    ]
    assert timeline[-3]["reason"] == "事项目录明确由公积金中心主办"
    # Back with the first-receipt unit, the case is dispatched anew.
    clerk.use()
    again = clerk.act(cid, "dispatch", department_id=org.id("estate"))
    assert again["state"] == "dispatched" and again["current_department"]["id"] == org.id("estate")


def test_an_objection_lapses_when_the_unit_returns_the_case(client, org, session):
    _, c = co_dispatched(client, org)
    cid = c["id"]
    unit = as_user(client, "handler_fund")
    unit.act(cid, "object", reason="不属本单位")
    unit.act(cid, "return", reason="不属本单位", suggested_department_id=org.id("estate"))
    session.expire_all()
    rows = session.scalars(select(DispatchObjection).where(DispatchObjection.case_id == cid)).all()
    assert [r.status for r in rows] == ["lapsed"]
    assert "decide_objection" not in as_user(client, "clerk").actions(cid)
    # Back with the window to be re-dispatched: the replies still awaited end too.
    assert [r.status for r in _co_rows(session, cid)] == ["cancelled", "cancelled"]
    assert as_user(client, "handler_estate").actions(cid) == []


def test_reply_deadlines_through_an_unknown_year_become_exact_on_import(client, org, session):
    from tests.sla.test_case_clock import at
    from tests.sla.test_provisional_deadlines import _import_2027

    at(2026, 12, 28)  # Monday; 1 Jan 2027 is unknown, so counted as a working day
    _, c = co_dispatched(client, org, co_due_workdays=4)
    # 29, 30, 31 Dec, 1 Jan (assumed).
    assert [(x["due_date"], x["deadline_provisional"]) for x in c["co_handlers"]] == [
        ("2027-01-01", True),
        ("2027-01-01", True),
    ]
    _import_2027(client)
    out = as_user(client, "clerk").get(c["id"])
    assert [(x["due_date"], x["deadline_provisional"]) for x in out["co_handlers"]] == [
        ("2027-01-04", False),
        ("2027-01-04", False),
    ]


def test_co_handlers_and_the_dispatching_side_are_told(client, org, session):
    from bancheng.outbox.models import OutboxMessage

    def told(kind):
        session.expire_all()
        rows = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind.in_([kind, kind.replace("staff.", "notice.")])
            )
        ).all()
        return sorted({r.user_id for r in rows})

    _, c = co_dispatched(client, org)
    assert told("staff.co_handling_requested") == sorted(
        [org.users["handler_estate"].id, org.users["handler_hrss"].id]
    )
    as_user(client, "handler_fund").act(c["id"], "object", reason="不属本单位职责")
    assert told("staff.objection_raised") == sorted(
        [org.users["clerk"].id, org.users["supervisor"].id]
    )


def test_an_approved_end_as_unreasonable_lapses_the_awaited_replies(client, org, session):
    """A supervisor's approval resolves the case without the lead's resolve: the replies
    still awaited lapse, and the event names their units."""
    _, c = co_dispatched(client, org)
    cid = c["id"]
    as_user(client, "handler_estate").act(cid, "co_reply", reply="已核实，可办理解押。")
    lead = _in_progress(client, cid)
    lead.act(cid, "request_end", end_as="invalid", reason="重复反映已办结的同一事项")
    out = as_user(client, "supervisor").act(cid, "decide_end", approve=True, reason="同意")
    assert out["state"] == "resolved" and out["outcome"] == "invalid"
    assert [r.status for r in _co_rows(session, cid)] == ["replied", "lapsed"]
    event = client.get(f"/api/v1/cases/{cid}/timeline").json()[-1]
    assert event["action"] == "decide_end"
    assert event["details"]["co_replies_outstanding"] == ["市人社局"]
