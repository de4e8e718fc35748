"""Every move of the lifecycle and its guard, through the API."""

from __future__ import annotations

from sqlalchemy import select

from bancheng.cases.models import CaseEvent
from tests.cases.helpers import as_user, event_count, fresh_case

NO_VETO = {
    "outcome": "cannot_by_policy",
    "resolution": "经核实，该事项不符合提取条件。",
    "policy_explanation": "依据《住房公积金管理条例》第二十四条，离职未满半年不能销户提取。",
    "alternative": "可于2027年3月后申请销户提取，或先办理租房提取。",
    "alternative_owner": "市住房公积金管理中心归集科",
}


def dispatched_to_fund(client, org):
    clerk = as_user(client, "clerk")
    case = clerk.create(matter_id=org.matters["fund"].id)
    clerk.act(case["id"], "dispatch", department_id=org.id("fund"))
    return clerk, case


def test_full_path_register_to_close(client, org, session):
    clerk, case = dispatched_to_fund(client, org)
    cid = case["id"]
    handler = as_user(client, "handler_fund")
    assert handler.actions(cid) == ["accept", "return", "object", "classify", "request_extension"]
    c = handler.act(cid, "accept")
    assert c["state"] == "accepted" and c["assignee_id"] == org.users["handler_fund"].id
    assert handler.act(cid, "start")["state"] == "in_progress"
    c = handler.act(cid, "resolve", outcome="done", resolution="已一次性告知材料并当场受理")
    assert c["state"] == "resolved" and c["outcome"] == "done"
    c = handler.act(
        cid,
        "give_feedback",
        notification_text="所需材料：身份证、购房合同。",
        notification_materials=["身份证", "购房合同"],
    )
    assert c["state"] == "feedback_given"
    assert c["notification_materials"] == ["身份证", "购房合同"]
    clerk.use()
    assert clerk.act(cid, "evaluate", rating="very_satisfied")["state"] == "evaluated"
    assert "reopen" not in clerk.actions(cid)
    c = clerk.act(cid, "close")
    assert c["state"] == "closed" and c["closed_at"] is not None
    assert clerk.actions(cid) == []
    timeline = client.get(f"/api/v1/cases/{cid}/timeline").json()
    assert [(e["action"], e["from_state"], e["to_state"]) for e in timeline] == [
        ("register", None, "registered"),
        ("dispatch", "registered", "dispatched"),
        ("accept", "dispatched", "accepted"),
        ("start", "accepted", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("give_feedback", "resolved", "feedback_given"),
        ("evaluate", "feedback_given", "evaluated"),
        ("close", "evaluated", "closed"),
    ]
    assert timeline[2]["actor_name"] == "handler_fund"
    assert timeline[2]["actor_department"]["name"] == "市住房公积金管理中心"


def test_first_receipt_owner_stays_while_handlers_change(client, org):
    _, case = dispatched_to_fund(client, org)
    handler = as_user(client, "handler_fund")
    handler.act(case["id"], "accept")
    c = handler.act(
        case["id"], "transfer", reason="属不动产登记事项", department_id=org.id("estate")
    )
    assert c["first_receipt_department"]["id"] == org.id("centre")
    assert c["first_receipt_user_id"] == org.users["clerk"].id
    assert c["current_department"]["id"] == org.id("estate")
    assert c["assignee_id"] is None


def test_resolve_on_spot_straight_from_registered(client, org):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    c = clerk.act(case["id"], "resolve_on_spot", outcome="done", resolution="现场协调办结")
    assert c["state"] == "resolved"
    assert c["resolved_on_spot"] is True and c["difficulty"] == "immediate"


def test_resolve_on_spot_only_from_registered(client, org, session):
    clerk, case = dispatched_to_fund(client, org)
    before = event_count(session, case["id"])
    r = clerk.act_raw(case["id"], "resolve_on_spot", outcome="done", resolution="x")
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "case.illegal_transition"
    assert event_count(session, case["id"]) == before
    assert fresh_case(session, case["id"]).state == "dispatched"


def test_return_needs_reason_and_the_unit_that_should_take_it(client, org, session):
    _, case = dispatched_to_fund(client, org)
    handler = as_user(client, "handler_fund")
    r = handler.act_raw(case["id"], "return", suggested_department_id=org.id("estate"))
    assert r.status_code == 400 and r.json()["code"] == "case.reason_required"
    r = handler.act_raw(case["id"], "return", reason="不属于本单位职责")
    assert r.status_code == 400 and r.json()["code"] == "case.suggested_department_id_required"
    r = handler.act_raw(
        case["id"], "return", reason="不属于本单位职责", suggested_department_id=org.id("fund")
    )
    assert r.status_code == 400 and r.json()["code"] == "case.return_to_self"
    assert fresh_case(session, case["id"]).state == "dispatched"
    c = handler.act(
        case["id"], "return", reason="属不动产登记事项", suggested_department_id=org.id("estate")
    )
    assert c["state"] == "registered"
    assert c["current_department"]["id"] == org.id("centre")
    assert c["suggested_department"]["id"] == org.id("estate")
    assert c["return_count"] == 1
    # The window re-dispatches; the returning unit no longer sees actions on it.
    assert handler.actions(case["id"]) == []


def test_transfer_limit_refused_and_flagged_for_supervision(client, org, session, settings):
    assert settings.max_transfers == 2
    _, case = dispatched_to_fund(client, org)
    cid = case["id"]
    chain = [("handler_fund", "estate"), ("handler_estate", "hrss")]
    for user, target in chain:
        h = as_user(client, user)
        h.act(cid, "accept")
        h.act(cid, "transfer", reason="非本单位职责", department_id=org.id(target))
    h = as_user(client, "handler_hrss")
    h.act(cid, "accept")
    acts = client.get(f"/api/v1/cases/{cid}/actions").json()
    transfer = next(a for a in acts if a["action"] == "transfer")
    assert transfer["warning"] == "case.transfer_limit_reached"
    events_before = event_count(session, cid)
    r = h.act_raw(cid, "transfer", reason="仍非本单位职责", department_id=org.id("fund"))
    assert r.status_code == 409
    assert r.json()["code"] == "case.transfer_limit_reached"
    c = fresh_case(session, cid)
    assert c.transfer_count == 2
    assert c.current_department_id == org.id("hrss")
    assert c.state == "accepted"
    assert c.needs_supervision is True and c.supervision_reason == "transfer_limit"
    assert event_count(session, cid) == events_before + 1
    flagged = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == cid).order_by(CaseEvent.id.desc())
    ).first()
    assert flagged.action == "flag_supervision"
    # A second refusal does not flag twice.
    r = h.act_raw(cid, "transfer", reason="再次尝试", department_id=org.id("fund"))
    assert r.json()["code"] == "case.transfer_limit_reached"
    assert event_count(session, cid) == events_before + 1
    timeline = client.get(f"/api/v1/cases/{cid}/timeline").json()
    assert timeline[-1]["label"] == "提交督查协调"
    # Resolved after coordination: the case no longer carries the flag; the reason stays.
    h.act(cid, "start")
    h.act(cid, "resolve", outcome="done", resolution="联席会议协调后办结")
    c = fresh_case(session, cid)
    assert (c.needs_supervision, c.supervision_reason) == (False, "transfer_limit")


def test_transfer_needs_reason_and_target(client, org, session):
    _, case = dispatched_to_fund(client, org)
    h = as_user(client, "handler_fund")
    h.act(case["id"], "accept")
    r = h.act_raw(case["id"], "transfer", department_id=org.id("estate"))
    assert r.json()["code"] == "case.reason_required"
    r = h.act_raw(case["id"], "transfer", reason="x")
    assert r.json()["code"] == "case.department_id_required"
    r = h.act_raw(case["id"], "transfer", reason="x", department_id=999999)
    assert r.json()["code"] == "case.department_not_found"
    assert fresh_case(session, case["id"]).transfer_count == 0


def test_cannot_by_policy_needs_the_no_veto_fields(client, org, session):
    _, case = dispatched_to_fund(client, org)
    h = as_user(client, "handler_fund")
    h.act(case["id"], "accept")
    h.act(case["id"], "start")
    partial = {k: v for k, v in NO_VETO.items() if k != "alternative_owner"}
    r = h.act_raw(case["id"], "resolve", **partial)
    assert r.status_code == 400
    assert r.json()["code"] == "case.no_veto_fields_required"
    assert r.json()["fields"] == ["alternative_owner"]
    assert fresh_case(session, case["id"]).state == "in_progress"
    c = h.act(case["id"], "resolve", **NO_VETO)
    assert c["nature"] == "cannot_by_policy"
    assert c["alternative_owner"] == "市住房公积金管理中心归集科"


def test_feedback_needs_the_one_time_notification(client, org):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    clerk.act(case["id"], "resolve_on_spot", outcome="explained", resolution="已解答")
    r = clerk.act_raw(case["id"], "give_feedback", notification_text="   ")
    assert r.status_code == 400 and r.json()["code"] == "case.notification_text_required"
    assert clerk.get(case["id"])["state"] == "resolved"


def test_suspend_and_resume_return_to_the_previous_state(client, org, session):
    _, case = dispatched_to_fund(client, org)
    h = as_user(client, "handler_fund")
    h.act(case["id"], "accept")
    h.act(case["id"], "start")
    r = h.act_raw(case["id"], "suspend")
    assert r.json()["code"] == "case.reason_required"
    c = h.act(case["id"], "suspend", reason="待申请人补交离职证明")
    assert c["state"] == "suspended" and c["suspended_from"] == "in_progress"
    assert h.actions(case["id"]) == ["resume", "classify", "request_extension"]
    c = h.act(case["id"], "resume")
    assert c["state"] == "in_progress" and c["suspended_from"] is None


def _to_feedback(client, org):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    clerk.act(case["id"], "resolve_on_spot", outcome="done", resolution="办结")
    clerk.act(case["id"], "give_feedback", notification_text="已告知全部材料")
    return clerk, case


def test_reopen_after_dissatisfied_evaluation(client, org):
    clerk, case = _to_feedback(client, org)
    clerk.act(case["id"], "evaluate", rating="dissatisfied")
    r = clerk.act_raw(case["id"], "close")
    assert r.status_code == 409 and r.json()["code"] == "case.bad_rating_requires_reopen"
    assert "close" not in clerk.actions(case["id"])
    r = clerk.act_raw(case["id"], "reopen")
    assert r.json()["code"] == "case.reason_required"
    c = clerk.act(case["id"], "reopen", reason="群众反映问题未实际解决")
    assert c["state"] == "reopened" and c["reopen_count"] == 1 and c["rating"] is None
    c = clerk.act(case["id"], "dispatch", department_id=org.id("fund"))
    assert c["state"] == "dispatched"


def test_reopen_refused_after_satisfied_evaluation(client, org):
    clerk, case = _to_feedback(client, org)
    clerk.act(case["id"], "evaluate", rating="satisfied")
    r = clerk.act_raw(case["id"], "reopen", reason="x")
    assert r.status_code == 409 and r.json()["code"] == "case.reopen_requires_dissatisfaction"
    assert clerk.get(case["id"])["state"] == "evaluated"


def test_supervisor_may_close_a_badly_rated_case_with_a_reason(client, org):
    clerk, case = _to_feedback(client, org)
    clerk.act(case["id"], "evaluate", rating="very_dissatisfied")
    sup = as_user(client, "supervisor")
    r = sup.act_raw(case["id"], "close")
    assert r.json()["code"] == "case.reason_required"
    assert sup.act(case["id"], "close", reason="经核实为恶意差评")["state"] == "closed"


def test_stale_version_is_refused(client, org, session):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    r = clerk.act_raw(
        case["id"], "dispatch", version=case["version"] + 5, department_id=org.id("fund")
    )
    assert r.status_code == 409 and r.json()["code"] == "case.version_conflict"
    assert r.json()["current_version"] == case["version"]
    assert fresh_case(session, case["id"]).state == "registered"


def test_wrong_unit_and_wrong_role_are_refused(client, org, session):
    _, case = dispatched_to_fund(client, org)
    other = as_user(client, "handler_estate")
    # Out of the estate handler's scope altogether: not found.
    r = other.act_raw(case["id"], "accept", version=2)
    assert r.status_code == 404 and r.json()["code"] == "case.not_found"
    leader = as_user(client, "leader")
    r = leader.act_raw(case["id"], "accept")
    assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"
    assert fresh_case(session, case["id"]).state == "dispatched"


def test_classify_changes_fields_without_moving(client, org):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    c = clerk.act(case["id"], "classify", kind="complaint", blocker_type="system_failure")
    assert (c["state"], c["kind"], c["blocker_type"]) == (
        "registered",
        "complaint",
        "system_failure",
    )
    r = clerk.act_raw(case["id"], "classify", kind="complaint")
    assert r.json()["code"] == "case.nothing_to_change"
    tl = client.get(f"/api/v1/cases/{case['id']}/timeline").json()
    assert tl[-1]["details"]["changes"] == {
        "kind": ["cannot_do", "complaint"],
        "blocker_type": ["missing_materials", "system_failure"],
    }
    assert tl[-1]["public"] is False


def test_unknown_action(client, org):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    r = clerk.act_raw(case["id"], "teleport")
    assert r.status_code == 400 and r.json()["code"] == "case.unknown_action"


def test_reopen_clears_the_previous_resolution(client, org):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    clerk.act(case["id"], "resolve_on_spot", **NO_VETO)
    clerk.act(case["id"], "give_feedback", notification_text="已告知替代办法")
    clerk.act(case["id"], "evaluate", rating="dissatisfied")
    c = clerk.act(case["id"], "reopen", reason="替代办法行不通")
    assert (
        c["nature"],
        c["outcome"],
        c["resolution"],
        c["policy_explanation"],
        c["alternative"],
        c["alternative_owner"],
        c["resolved_on_spot"],
    ) == (None, None, None, None, None, None, False)
    tl = client.get(f"/api/v1/cases/{case['id']}/timeline").json()
    assert tl[-1]["details"]["previous_outcome"] == "cannot_by_policy"


def test_window_implies_its_hall(client, org):
    clerk = as_user(client, "clerk")
    c = clerk.create(window_id=org.window.id)
    assert c["hall_id"] == org.hall.id


def test_a_window_rating_is_an_evaluation_like_one_from_the_phone(client, org, session):
    from bancheng.feedback.models import CallbackTask, Evaluation, Rectification

    clerk, good = _to_feedback(client, org)
    clerk.act(good["id"], "evaluate", rating="satisfied")
    clerk, bad = _to_feedback(client, org)  # signs in again: a new CSRF token
    clerk.act(bad["id"], "evaluate", rating="dissatisfied")
    session.expire_all()
    evs = session.scalars(select(Evaluation).order_by(Evaluation.case_id)).all()
    assert [(e.case_id, e.round, e.rating, e.source) for e in evs] == [
        (good["id"], 1, "satisfied", "window"),
        (bad["id"], 1, "dissatisfied", "window"),
    ]
    rects = session.scalars(select(Rectification)).all()
    assert [(r.case_id, r.evaluation_id, r.status) for r in rects] == [
        (bad["id"], evs[1].id, "open")
    ]
    tasks = session.scalars(select(CallbackTask)).all()
    assert [(t.case_id, t.reason) for t in tasks] == [(bad["id"], "bad_review")]
