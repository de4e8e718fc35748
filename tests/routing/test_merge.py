"""并单: merging a duplicate into a master, what the follower's reporter sees and gets,
closing with the master, undo by a supervisor, refusals that leave nothing changed, the
duplicate threshold, and a merged group counted once by the ledger and the insights."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bancheng.cases.models import Case, CaseEvent
from bancheng.core import clock
from bancheng.outbox.models import OutboxMessage
from bancheng.routing.models import CaseMerge
from tests.cases.helpers import as_user
from tests.intake.test_public_reports import report

TEXT = {
    "title": "小区门口路灯坏了一个月没人修",
    "description": "幸福小区南门口的三盏路灯坏了一个多月，晚上出行很不安全，希望尽快维修。",
}


pytestmark = pytest.mark.usefixtures("fresh_index")


def _id(session, number):
    return session.scalar(select(Case.id).where(Case.number == number))


def _sms(session, case_id):
    return list(
        session.scalars(
            select(OutboxMessage.kind)
            .where(OutboxMessage.case_id == case_id, OutboxMessage.channel == "sms")
            .order_by(OutboxMessage.id)
        )
    )


def _merge(client, actor, follower, master, reason="同一处路灯故障，重复反映", version=None):
    if version is None:
        version = actor.get(follower)["version"]
    return client.post(
        f"/api/v1/cases/{follower}/merge",
        json={"master_id": master, "reason": reason, "version": version},
        headers=actor.headers,
    )


def _undo(client, actor, follower, reason="并错了：不是同一处", version=None):
    if version is None:
        version = actor.get(follower)["version"]
    return client.post(
        f"/api/v1/cases/{follower}/merge/undo",
        json={"reason": reason, "version": version},
        headers=actor.headers,
    )


def _snapshot(session):
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(CaseEvent)),
        session.scalar(select(func.count()).select_from(CaseMerge)),
        session.scalar(select(func.sum(Case.version))),
        tuple(session.scalars(select(Case.merged_into_id).order_by(Case.id))),
    )


def test_follower_follows_master_to_the_end(client, org, session, settings):
    clerk = as_user(client, "clerk")
    master = clerk.create(**TEXT)["id"]
    clerk.act(master, "dispatch", department_id=org.id("fund"))
    out = report(client, description=TEXT["description"], phone="13900002222")
    follower = _id(session, out["number"])

    clerk.use()
    r = _merge(client, clerk, follower, master)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["merged"] is True and body["followers"] == []
    assert body["master"]["id"] == master
    assert body["master"]["reason"] == "同一处路灯故障，重复反映"
    assert body["can_undo"] is False  # a clerk merges; undoing is a supervisor's

    # The master lists its follower; the follower waits (no moves, no light).
    view = client.get(f"/api/v1/cases/{master}/merge").json()
    assert [f["id"] for f in view["followers"]] == [follower]
    assert view["followers"][0]["reporter_phone"] == "139****2222"
    assert clerk.actions(follower) == []
    refused = clerk.act_raw(follower, "dispatch", department_id=org.id("fund"))
    assert (refused.status_code, refused.json()["code"]) == (409, "case.merged_follower")
    assert clerk.get(follower)["merged_into_id"] == master
    assert clerk.get(follower)["light"] is None

    # The follower's phone page shows the master's public progress.
    client.cookies.clear()
    page = client.get(f"/api/v1/public/cases/{out['number']}?token={out['token']}").json()
    assert page["master"]["state"] == "dispatched"
    assert [e["action"] for e in page["master"]["timeline"]] == ["register", "dispatch"]
    assert "title" not in page["master"]
    assert [e["label"] for e in page["timeline"]][-1] == "与同一问题的诉求合并办理"

    as_user(client, "handler_fund").handle(master, "已更换路灯", "南门口三盏路灯已于今日修复")

    session.expire_all()
    f = session.get(Case, follower)
    assert (f.state, f.outcome, f.resolution, f.notification_text) == (
        "feedback_given",
        "done",
        "已更换路灯",
        "南门口三盏路灯已于今日修复",
    )
    assert f.current_department_id == org.id("fund")
    # Told the result and invited to rate, through the outbox, like any case.
    assert _sms(session, follower)[-2:] == ["reporter.resolved", "reporter.rating_invite"]

    client.cookies.clear()
    page = client.get(f"/api/v1/public/cases/{out['number']}?token={out['token']}").json()
    assert page["can_rate"] is True
    assert page["notification_text"] == "南门口三盏路灯已于今日修复"
    rated = client.post(
        f"/api/v1/public/cases/{out['number']}/evaluation?token={out['token']}",
        json={"rating": "satisfied"},
    )
    assert rated.status_code == 200, rated.text

    # Undo is too late once the outcome reached the reporter.
    sup = as_user(client, "supervisor")
    late = _undo(client, sup, follower)
    assert (late.status_code, late.json()["code"]) == (409, "case.merge_undo_too_late")

    clerk = as_user(client, "clerk")
    clerk.act(master, "evaluate", rating="satisfied")
    clerk.act(master, "close")
    session.expire_all()
    f = session.get(Case, follower)
    assert (f.state, f.rating, f.closed_at is not None) == ("closed", "satisfied", True)
    last = session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == follower).order_by(CaseEvent.id.desc())
    )
    assert (last.action, last.details["with_master"], last.details["master_id"]) == (
        "close",
        True,
        master,
    )


def test_badly_rated_follower_stays_and_reopens_on_its_own(client, org, session):
    clerk = as_user(client, "clerk")
    master = clerk.create(**TEXT)["id"]
    follower = clerk.create(
        **TEXT, reporter={"type": "person", "name": "王五", "phone": "13700001111"}
    )["id"]
    assert _merge(client, clerk, follower, master).status_code == 200
    clerk.act(master, "resolve_on_spot", outcome="explained", resolution="已答复")
    clerk.act(master, "give_feedback", notification_text="已转路灯管理所维修")
    clerk.act(follower, "evaluate", rating="dissatisfied")
    clerk.act(master, "evaluate", rating="satisfied")
    clerk.act(master, "close")
    session.expire_all()
    assert session.get(Case, follower).state == "evaluated"
    reopened = clerk.act(follower, "reopen", reason="群众不满意，单独重办")
    assert (reopened["state"], reopened["merged_into_id"]) == ("reopened", None)
    row = session.scalar(select(CaseMerge).where(CaseMerge.case_id == follower))
    session.refresh(row)
    assert (row.undo_reason, row.undone_at is not None) == ("重办", True)


def test_supervisor_undo_restores(client, org, session):
    clerk = as_user(client, "clerk")
    master = clerk.create(**TEXT)["id"]
    follower = clerk.create(**TEXT)["id"]
    clerk.act(follower, "dispatch", department_id=org.id("estate"))
    before = clerk.get(follower)
    assert _merge(client, clerk, follower, master).status_code == 200

    # Neither the clerk nor a handler may undo: 403, nothing changed.
    snap = _snapshot(session)
    r = _undo(client, clerk, follower)
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")
    assert _snapshot(session) == snap

    sup = as_user(client, "supervisor")
    r = _undo(client, sup, follower, reason="")
    assert (r.status_code, r.json()["code"]) == (400, "case.merge_undo_reason_required")
    assert _snapshot(session) == snap
    r = _undo(client, sup, follower)
    assert r.status_code == 200, r.text
    assert (r.json()["merged"], r.json()["master"]) == (False, None)
    after = sup.get(follower)
    assert after["merged_into_id"] is None
    assert (after["state"], after["current_department"], after["due_at"]) == (
        before["state"],
        before["current_department"],
        before["due_at"],
    )
    assert "accept" in as_user(client, "handler_estate").actions(follower)
    sup.use()
    actions = [e["action"] for e in client.get(f"/api/v1/cases/{follower}/timeline").json()]
    assert actions[-2:] == ["merge", "unmerge"]
    master_events = [
        (e["action"], e["label"]) for e in client.get(f"/api/v1/cases/{master}/timeline").json()
    ]
    assert master_events[-2:] == [
        ("merge_follower", "并入重复件"),
        ("unmerge_follower", "撤销并入"),
    ]
    row = session.scalar(select(CaseMerge).where(CaseMerge.case_id == follower))
    session.refresh(row)
    assert (row.undo_reason, row.undone_by_id) == ("并错了：不是同一处", org.users["supervisor"].id)
    again = _undo(client, sup, follower)
    assert (again.status_code, again.json()["code"]) == (409, "case.merge_not_merged")


def test_refused_merges_change_nothing(client, org, session):
    clerk = as_user(client, "clerk")
    a = clerk.create(**TEXT)["id"]
    b = clerk.create(**TEXT)["id"]
    c = clerk.create(**TEXT)["id"]
    done = clerk.create(**TEXT)["id"]
    clerk.act(done, "resolve_on_spot", outcome="done", resolution="现场已办")
    other_district = as_user(client, "clerk").create(title="市级案件")["id"]
    snap = _snapshot(session)

    def refused(actor, follower, master, status, code, **kw):
        r = _merge(client, actor, follower, master, **kw)
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
        assert _snapshot(session) == snap

    clerk = as_user(client, "clerk")
    refused(clerk, a, a, 400, "case.merge_self")
    refused(clerk, a, b, 400, "case.merge_reason_required", reason="  ")
    refused(clerk, a, b, 409, "case.version_conflict", version=99)
    refused(clerk, a, done, 409, "case.merge_not_open")
    refused(clerk, done, a, 409, "case.merge_not_open")
    refused(clerk, a, 999999, 404, "case.not_found")
    handler = as_user(client, "handler_fund")
    refused(handler, a, b, 403, "auth.forbidden", version=1)
    # A district clerk cannot see (nor merge into) the city's case: 404.
    clerk_a = as_user(client, "clerk_a")
    mine = clerk_a.create(**TEXT)["id"]
    snap = _snapshot(session)
    refused(clerk_a, mine, other_district, 404, "case.not_found")

    clerk = as_user(client, "clerk")
    assert _merge(client, clerk, b, a).status_code == 200
    snap = _snapshot(session)
    refused(clerk, b, c, 409, "case.merge_already_merged")
    refused(clerk, c, b, 409, "case.merge_master_is_follower")
    refused(clerk, a, c, 409, "case.merge_has_followers")


def test_duplicate_threshold(client, org, session, settings):
    clerk = as_user(client, "clerk")
    master = clerk.create(**TEXT)["id"]
    # The same problem reported again, and a similar but different one.
    again = {**TEXT, "description": TEXT["description"].replace("三盏", "四盏")}
    near = clerk.create(**again)["id"]
    other = clerk.create(
        title="小区门口路灯坏了",
        description="和平小区北门口的路灯坏了，晚上出行不安全，希望尽快维修。",
    )["id"]

    def similar(case_id):
        r = client.get(f"/api/v1/cases/{case_id}/similar", headers=clerk.headers)
        assert r.status_code == 200, r.text
        return {s["id"]: s for s in r.json()}

    found = similar(near)
    assert found[master]["score"] >= settings.duplicate_threshold
    assert found[master]["possible_duplicate"] is True
    # Listed as similar, open, but below the threshold: not flagged.
    assert 0.25 <= found[other]["score"] < settings.duplicate_threshold
    assert found[other]["possible_duplicate"] is False
    # At a threshold above the score the same match is only similar.
    default = settings.duplicate_threshold
    settings.duplicate_threshold = min(1.0, found[master]["score"] + 0.01)
    try:
        assert similar(near)[master]["possible_duplicate"] is False
    finally:
        settings.duplicate_threshold = default
    # A case merged into another is not offered as a master.
    third = clerk.create(**TEXT)["id"]
    assert _merge(client, clerk, master, third).status_code == 200
    found = similar(near)[master]
    assert (found["possible_duplicate"], found["merged_into_id"]) == (False, third)


def test_merged_group_counts_once(client, org, session):
    from bancheng.insights import repository as insights
    from bancheng.insights.repository import rollup
    from tests.conftest import principal_of

    clerk = as_user(client, "clerk")
    ids = [clerk.create(**TEXT)["id"] for _ in range(3)]
    today = clock.local_today()
    viewer = principal_of(session, org, "supervisor")

    def registered() -> int:
        rows = insights.live_rows(session, None, (), today - timedelta(days=1), today)
        return sum(r["registered"] for r in rows)

    def lights() -> int:
        return sum(insights.live_light_totals(session, viewer).values())

    def ledger(**params) -> list[int]:
        r = client.get("/api/v1/cases", params={"page_size": 200, **params})
        assert r.status_code == 200, r.text
        return sorted(c["id"] for c in r.json()["items"])

    base, base_lights = registered(), lights()
    assert base_lights == 3
    assert set(ids) <= set(ledger())
    for follower in ids[1:]:
        assert _merge(client, clerk, follower, ids[0]).status_code == 200
    session.expire_all()
    assert registered() == base - 2
    assert lights() == base_lights - 2
    assert not set(ids[1:]) & set(ledger())
    assert set(ids) <= set(ledger(include_merged="true"))
    # The rollup (every scope) leaves the followers out as well.
    rollup.rebuild_days(session, today, today)
    session.flush()
    total = insights.rollup_rows(session, "*", (), today, today)
    assert sum(r["registered"] for r in total) == registered()
