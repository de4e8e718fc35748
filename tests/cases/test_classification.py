"""Issue 17 items 5 and 6: ending a case as unreasonable or invalid (request, supervisor's
decision, left out of the assessment) and several blocker types per case (ledger filters,
insights by difficulty and nature)."""

from __future__ import annotations

from sqlalchemy import func, select

from bancheng.cases.models import Case, CaseBlocker, CaseEvent
from bancheng.insights import service as insights
from tests.cases.helpers import as_user
from tests.conftest import principal_of


def _with_fund(client, org, **over):
    clerk = as_user(client, "clerk")
    case = clerk.create(**over)
    clerk.act(case["id"], "dispatch", department_id=org.id("fund"))
    handler = as_user(client, "handler_fund")
    handler.act(case["id"], "accept")
    return clerk, handler, case["id"]


def _events(session, cid):
    return list(
        session.execute(
            select(CaseEvent.action, CaseEvent.public, CaseEvent.reason, CaseEvent.details)
            .where(CaseEvent.case_id == cid)
            .order_by(CaseEvent.id)
        )
    )


# --- item 5: unreasonable or invalid demands ----------------------------------------------


def test_request_then_approval_resolves_as_unreasonable(client, org, session):
    _, handler, cid = _with_fund(client, org)
    assert "request_end" in handler.actions(cid)
    r = handler.act_raw(cid, "request_end", end_as="unreasonable")
    assert r.status_code == 400 and r.json()["code"] == "case.reason_required"
    r = handler.act_raw(cid, "request_end", reason="要求退还已依法收取的费用")
    assert r.status_code == 400 and r.json()["code"] == "case.end_as_required"
    basis = "要求补发已过法定时效的补贴，《某某条例》第十条"
    c = handler.act(cid, "request_end", end_as="unreasonable", reason=basis)
    assert c["state"] == "accepted"
    assert c["end_request"]["end_as"] == "unreasonable"
    assert c["end_request"]["basis"] == basis
    assert "request_end" not in handler.actions(cid)
    r = handler.act_raw(cid, "request_end", end_as="invalid", reason="再次")
    assert r.status_code == 409 and r.json()["code"] == "case.end_request_pending"

    # The supervisors who may decide are told (in-app, their default channel).
    from bancheng.notify.models import Notice
    from bancheng.org.models import User

    told = session.execute(
        select(User.username, Notice.title, Notice.body)
        .join(User, User.id == Notice.user_id)
        .where(Notice.case_id == cid, Notice.kind == "end_requested")
    ).all()
    title = f"待审批：{c['number']}按不合理诉求办结"
    assert [(u, t) for u, t, _ in told] == [("supervisor", title)]
    assert told[0][2] == f"案件{c['number']}申请按不合理诉求办结，依据：{basis}。请审批。"

    sup = as_user(client, "supervisor")
    assert "decide_end" in sup.actions(cid)
    c = sup.act(cid, "decide_end", approve=True, reason="同意")
    assert (c["state"], c["outcome"], c["resolution"]) == ("resolved", "unreasonable", basis)
    assert c["end_request"] is None and c["resolved_at"] is not None
    actions = [(a, pub) for a, pub, _, _ in _events(session, cid)]
    assert actions[-2:] == [("request_end", False), ("decide_end", True)]
    details = _events(session, cid)[-1][3]
    assert details == {"end_as": "unreasonable", "approved": True, "basis": basis}
    timeline = client.get(f"/api/v1/cases/{cid}/timeline").json()
    assert [e["label"] for e in timeline[-2:]] == [
        "申请按不合理/无效诉求办结",
        "审批不合理/无效诉求",
    ]
    # The reporter is told as for any resolution.
    assert "give_feedback" in as_user(client, "clerk").actions(cid)


def test_rejection_keeps_the_case_going(client, org, session):
    _, handler, cid = _with_fund(client, org)
    handler.act(cid, "request_end", end_as="invalid", reason="电话无法接通，无具体诉求")
    sup = as_user(client, "supervisor")
    before = session.get(Case, cid)
    session.refresh(before)
    version = before.version
    r = sup.act_raw(cid, "decide_end", approve=False)
    assert r.status_code == 400 and r.json()["code"] == "case.reason_required"
    session.expire_all()
    assert session.get(Case, cid).version == version  # nothing written
    c = sup.act(cid, "decide_end", approve=False, reason="诉求具体，应继续办理")
    assert (c["state"], c["outcome"], c["end_request"]) == ("accepted", None, None)
    assert _events(session, cid)[-1][:3] == ("decide_end", False, "诉求具体，应继续办理")
    r = sup.act_raw(cid, "decide_end", approve=True)
    assert r.status_code == 409 and r.json()["code"] == "case.no_end_request"
    handler.use()
    assert "request_end" in handler.actions(cid)


def test_denied_moves_change_nothing(client, org, session):
    clerk, handler, cid = _with_fund(client, org)

    def snapshot():
        session.expire_all()
        c = session.get(Case, cid)
        n = session.scalar(select(func.count()).where(CaseEvent.case_id == cid))
        return (c.version, c.state, c.end_request, c.outcome, n)

    start = snapshot()
    # Only the unit that has the case asks; only a supervisor decides.
    clerk.use()
    r = clerk.act_raw(cid, "request_end", end_as="unreasonable", reason="依据")
    assert r.status_code == 403 and r.json()["code"] == "case.action_forbidden"
    other = as_user(client, "handler_estate")
    r = other.act_raw(cid, "request_end", end_as="unreasonable", reason="依据", version=3)
    assert r.status_code == 404  # not in their scope
    assert snapshot() == start
    handler.use()
    handler.act(cid, "request_end", end_as="unreasonable", reason="依据")
    pending = snapshot()
    r = handler.act_raw(cid, "decide_end", approve=True)
    assert r.status_code == 403 and r.json()["code"] == "case.action_forbidden"
    # A supervisor of another district does not see the case.
    r = as_user(client, "supervisor_a").act_raw(cid, "decide_end", approve=True, version=1)
    assert r.status_code == 404
    # The unreasonable outcome is not a resolution a unit can pick itself.
    handler.use()
    handler.act(cid, "start")
    r = handler.act_raw(cid, "resolve", outcome="invalid", resolution="无效")
    assert r.status_code == 400 and r.json()["code"] == "case.end_requires_approval"
    assert snapshot()[2:4] == pending[2:4]


def test_request_lapses_when_the_case_moves_on(client, org, session):
    _, handler, cid = _with_fund(client, org)
    handler.act(cid, "request_end", end_as="unreasonable", reason="依据")
    c = handler.act(cid, "transfer", department_id=org.id("estate"), reason="属住建职责")
    assert c["end_request"] is None
    assert _events(session, cid)[-1][3]["end_request_lapsed"] == "unreasonable"


def test_ended_cases_are_left_out_of_the_assessment(client, org, session, settings):
    _, handler, ended = _with_fund(client, org)
    handler.act(ended, "request_end", end_as="invalid", reason="测试来电，无具体诉求")
    as_user(client, "supervisor").act(ended, "decide_end", approve=True)
    _, handler, solved = _with_fund(client, org)
    handler.act(solved, "start")
    handler.act(solved, "resolve", outcome="done", resolution="已办结")
    leader = principal_of(session, org, "leader")
    over = insights.overview(session, leader, None, None)
    assert over["counts"]["registered"] == 1
    assert over["counts"]["resolved"] == 1
    assert over["counts"]["unreasonable"] == 1
    assert over["rates"]["resolution"] == 1.0
    ranking = insights.assessment(session, leader, settings, "department", "month")["ranking"]
    fund = [i for i in ranking if i["key"] == org.id("fund")]
    assert fund and fund[0]["registered"] == 1


# --- item 6: several blocker types --------------------------------------------------------


def test_several_blockers_at_registration_and_in_the_ledger(client, org, session):
    clerk = as_user(client, "clerk")
    both = clerk.create(
        blocker_type="cross_department", blocker_types=["cross_department", "missing_materials"]
    )
    assert both["blocker_type"] == "cross_department"
    assert both["blocker_types"] == ["cross_department", "missing_materials"]
    one = clerk.create(blocker_type="system_failure")
    plain = {k: v for k, v in _payload().items() if k != "blocker_type"}
    r = client.post(
        "/api/v1/cases", json={**plain, "blocker_types": ["legacy"]}, headers=clerk.headers
    )
    assert r.status_code == 201 and r.json()["blocker_type"] == "legacy"
    assert one["blocker_types"] == ["system_failure"]
    rows = session.execute(select(CaseBlocker.case_id, CaseBlocker.blocker_type)).all()
    assert rows == [(both["id"], "missing_materials")]

    def ids(q):
        r = client.get("/api/v1/cases" + q)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    assert ids("?blocker_type=missing_materials") == [both["id"]]
    assert ids("?blocker_type=cross_department") == [both["id"]]
    assert ids("?blocker_type=system_failure,missing_materials") == [one["id"], both["id"]]
    assert ids("?blocker_type=legacy") == [r.json()["id"]]
    items = client.get("/api/v1/cases?blocker_type=missing_materials").json()["items"]
    assert items[0]["blocker_types"] == ["cross_department", "missing_materials"]
    assert ids("?difficulty=hard") == []
    assert ids("?nature=cannot_by_policy") == []


def test_bad_blocker_input_writes_nothing(client, org, session):
    clerk = as_user(client, "clerk")
    r = client.post(
        "/api/v1/cases",
        json={**_payload(), "blocker_types": []},
        headers=clerk.headers,
    )
    assert r.status_code == 400 and r.json()["code"] == "case.blocker_types_empty"
    r = client.post(
        "/api/v1/cases",
        json={**_payload(), "blocker_type": "legacy", "blocker_types": ["other", "legacy"]},
        headers=clerk.headers,
    )
    assert r.status_code == 400 and r.json()["code"] == "case.blocker_type_not_first"
    r = client.post(
        "/api/v1/cases", json={**_payload(), "blocker_types": ["nope"]}, headers=clerk.headers
    )
    assert r.status_code == 422 or r.status_code == 400
    assert session.scalar(select(func.count()).select_from(Case)) == 0
    assert session.scalar(select(func.count()).select_from(CaseBlocker)) == 0


def _payload():
    from tests.conftest import case_payload

    return case_payload()


def test_classify_changes_the_blockers(client, org, session):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    cid = case["id"]
    c = clerk.act(cid, "classify", blocker_types=["rigid_policy", "missing_materials", "legacy"])
    assert c["blocker_types"] == ["rigid_policy", "legacy", "missing_materials"]
    details = _events(session, cid)[-1][3]
    assert details["changes"] == {
        "blocker_type": ["missing_materials", "rigid_policy"],
        "blocker_types": [["missing_materials"], ["rigid_policy", "legacy", "missing_materials"]],
    }
    # A new main blocker alone takes the old main one's place; the further ones stay.
    c = clerk.act(cid, "classify", blocker_type="system_failure")
    assert c["blocker_types"] == ["system_failure", "legacy", "missing_materials"]
    assert _events(session, cid)[-1][3]["changes"] == {
        "blocker_type": ["rigid_policy", "system_failure"]
    }
    c = clerk.act(cid, "classify", blocker_type="legacy")
    assert c["blocker_types"] == ["legacy", "missing_materials"]
    c = clerk.act(cid, "classify", blocker_types=["legacy", "rigid_policy", "missing_materials"])
    r = clerk.act_raw(
        cid, "classify", blocker_types=["legacy", "missing_materials", "rigid_policy"]
    )
    assert r.status_code == 400 and r.json()["code"] == "case.nothing_to_change"
    # A unit that does not have the case cannot classify it: nothing changes.
    handler = as_user(client, "handler_fund")
    r = handler.act_raw(cid, "classify", blocker_types=["other"], version=c["version"])
    assert r.status_code in (403, 404)
    session.expire_all()
    assert session.get(Case, cid).blocker_type == "legacy"
    assert sorted(
        session.scalars(select(CaseBlocker.blocker_type).where(CaseBlocker.case_id == cid))
    ) == ["missing_materials", "rigid_policy"]


def test_insights_break_down_by_difficulty_and_nature(client, org, session):
    clerk = as_user(client, "clerk")
    clerk.create(difficulty="hard")
    clerk.create(difficulty="hard")
    cid = clerk.create(difficulty="general")["id"]
    clerk.act(cid, "classify", nature="hard_to_do")
    as_user(client, "leader")
    r = client.get("/api/v1/insights/breakdown?dimension=difficulty")
    assert r.status_code == 200, r.text
    got = {i["key"]: (i["name"], i["counts"]["registered"]) for i in r.json()}
    assert got == {"hard": ("疑难", 2), "general": ("一般", 1)}
    r = client.get("/api/v1/insights/breakdown?dimension=nature")
    got = {i["key"]: (i["name"], i["counts"]["registered"]) for i in r.json()}
    assert got == {None: ("未填写", 2), "hard_to_do": ("很难办", 1)}
    # A district leader sees none of these (registered at the city centre).
    as_user(client, "leader_a")
    assert client.get("/api/v1/insights/breakdown?dimension=difficulty").json() == []


def test_an_approved_end_is_published_as_resolved(client, org, session):
    from bancheng.core import clock
    from bancheng.core.crypto import get_crypto
    from bancheng.notify.models import WebhookSubscription
    from bancheng.outbox.models import OutboxMessage

    session.add(
        WebhookSubscription(
            name="12345",
            url="https://hooks.example.cn/bc",
            event_types=["case.resolved"],
            secret_enc=get_crypto().encrypt("whsec_test"),
            active=True,
            created_at=clock.now(),
        )
    )
    session.commit()
    _, handler, cid = _with_fund(client, org)
    handler.act(cid, "request_end", end_as="invalid", reason="无具体诉求")
    sup = as_user(client, "supervisor")
    sup.act(cid, "decide_end", approve=False, reason="继续办理")

    def resolved():
        session.expire_all()
        return session.scalars(
            select(OutboxMessage.kind).where(
                OutboxMessage.case_id == cid, OutboxMessage.kind == "webhook.case.resolved"
            )
        ).all()

    assert resolved() == []
    handler.use()
    handler.act(cid, "request_end", end_as="invalid", reason="无具体诉求")
    sup.use()
    sup.act(cid, "decide_end", approve=True)
    assert resolved() == ["webhook.case.resolved"]
