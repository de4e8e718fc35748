"""好差评 after GB/T 39734-2020: the channel's indicator set on the phone page and at the
window, stored scores and set version, the bad-review checklist, the late-rating window,
new set versions, and the monthly rankings with the bottom places flagged."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bancheng.cases.models import Case
from bancheng.feedback import ratings, reminders
from bancheng.feedback.models import Evaluation, IndicatorSet, Rectification
from bancheng.feedback.standard import OFFLINE_V1, ONLINE_V1
from tests.cases.helpers import as_user
from tests.intake.test_public_reports import drive_to_feedback, rate, report
from tests.supervision.helpers import at

ONLINE = [i["code"] for i in ONLINE_V1]
OFFLINE = [i["code"] for i in OFFLINE_V1]


def _reported(client, org) -> tuple[dict, int]:
    out = report(client, hall_id=org.hall.id, window_id=org.window.id)
    return out, drive_to_feedback(client, org, out["number"])


def _count(session, model) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_phone_page_rates_on_the_online_set(client, org, session, settings):
    at(2026, 3, 2)
    out, case_id = _reported(client, org)
    view = client.get(f"/api/v1/public/cases/{out['number']}", params={"token": out["token"]})
    assert view.status_code == 200, view.text
    form = view.json()["rating_form"]
    online = ratings.active_set(session, "online")
    assert form == {
        "indicator_set_id": online.id,
        "channel_type": "online",
        "version": 1,
        "indicators": ONLINE_V1,
        "bad_reasons": online.bad_reasons,
    }
    assert [i["label"] for i in form["indicators"]] == [
        "整体满意度",
        "办事效率",
        "办事指南精确度",
        "办事便捷度",
        "平台操作性",
    ]
    # 10 working days after the feedback on Monday 2 March 2026
    assert view.json()["rating_deadline"] == "2026-03-16"

    scores = {"overall": 2, "efficiency": 1, "guide_accuracy": 3, "convenience": 2, "usability": 4}
    r = rate(
        client,
        out,
        rating="dissatisfied",
        scores=scores,
        bad_reasons=["too_slow", "guide_inaccurate", "too_slow"],
        comment="指南写得不清楚",
    )
    assert r.status_code == 200, r.text
    assert r.json()["can_rate"] is False and r.json()["rating_form"] is None
    ev = session.scalar(select(Evaluation).where(Evaluation.case_id == case_id))
    case = session.get(Case, case_id)
    assert (ev.indicator_set_id, ev.scores, ev.bad_reasons, ev.channel) == (
        online.id,
        scores,
        ["too_slow", "guide_inaccurate"],
        "qr",
    )
    assert (ev.window_id, ev.staff_id) == (org.window.id, org.users["handler_fund"].id)
    assert case.assignee_id == org.users["handler_fund"].id
    # the bad review still opens its rectification
    assert session.scalar(select(Rectification).where(Rectification.evaluation_id == ev.id))
    listed = as_user(client, "clerk").client.get(f"/api/v1/cases/{case_id}/evaluations").json()
    assert [(e["scores"], e["bad_reasons"], e["indicator_set_id"]) for e in listed] == [
        (scores, ["too_slow", "guide_inaccurate"], online.id)
    ]


def test_refused_ratings_write_nothing(client, org, session):
    at(2026, 3, 2)
    out, case_id = _reported(client, org)
    full = dict.fromkeys(ONLINE, 3) | {"overall": 1}
    cases = [
        ({"rating": "very_dissatisfied"}, "rating.bad_reasons_required"),
        ({"rating": "dissatisfied", "bad_reasons": ["rude_guard"]}, "rating.bad_reason_unknown"),
        (
            {"rating": "very_dissatisfied", "bad_reasons": ["other"], "scores": {"overall": 1}},
            "rating.scores_incomplete",
        ),
        (
            {"rating": "very_dissatisfied", "bad_reasons": ["other"], "scores": full | {"x": 1}},
            "rating.scores_incomplete",
        ),
        (
            {
                "rating": "very_dissatisfied",
                "bad_reasons": ["other"],
                "scores": full | {"usability": 6},
            },
            "rating.score_out_of_range",
        ),
        (
            {"rating": "dissatisfied", "bad_reasons": ["other"], "scores": full},
            "rating.overall_mismatch",
        ),
        ({"rating": "satisfied", "bad_reasons": ["other"]}, "rating.reasons_only_for_bad"),
    ]
    for body, code in cases:
        r = rate(client, out, **body)
        assert (r.status_code, r.json()["code"]) == (400, code), (body, r.text)
    assert _count(session, Evaluation) == 0
    assert _count(session, Rectification) == 0
    assert session.get(Case, case_id).state == "feedback_given"
    missing = rate(
        client, out, rating="very_dissatisfied", bad_reasons=["other"], scores={"overall": 1}
    )
    assert missing.json()["missing"] == ONLINE[1:]


def test_late_rating_within_the_window_and_refused_after(client, org, session, settings):
    at(2026, 3, 2)
    out, case_id = _reported(client, org)
    late, late_id = _reported(client, org)
    end = ratings.window_end(session, settings, session.get(Case, case_id))
    assert end is not None and end.isoformat() == "2026-03-16"
    at(end.year, end.month, end.day, 15)  # 23:00 Beijing on the last day: still accepted
    assert rate(client, out, rating="satisfied").status_code == 200

    at(end.year, end.month, end.day + 1)  # the day after
    r = rate(client, late, rating="very_satisfied")
    assert (r.status_code, r.json()["code"], r.json()["deadline"]) == (
        409,
        "feedback.rating_window_closed",
        "2026-03-16",
    )
    assert session.get(Case, late_id).state == "feedback_given"
    assert session.scalar(select(Evaluation).where(Evaluation.case_id == late_id)) is None
    # the clerk cannot enter it at the window either
    clerk = as_user(client, "clerk")
    r = clerk.act_raw(late_id, "evaluate", rating="satisfied")
    assert (r.status_code, r.json()["code"]) == (409, "feedback.rating_window_closed")
    # once the sweep closed it as unrated: the same answer, not "not ratable"
    assert reminders.close_unrated(session, settings) == 1
    r = rate(client, late, rating="very_satisfied")
    assert (r.status_code, r.json()["code"]) == (409, "feedback.rating_window_closed")
    assert session.get(Case, late_id).rating is None


def test_window_rating_uses_the_offline_set(client, org, session):
    at(2026, 3, 2)
    _, case_id = _reported(client, org)
    clerk = as_user(client, "clerk")
    before = clerk.get(case_id)
    r = clerk.act_raw(case_id, "evaluate", rating="satisfied", scores=dict.fromkeys(ONLINE, 4))
    assert (r.status_code, r.json()["code"]) == (400, "rating.scores_incomplete")
    after = clerk.get(case_id)
    assert (after["state"], after["version"]) == ("feedback_given", before["version"])
    scores = dict.fromkeys(OFFLINE, 2) | {"overall": 1, "attitude": 1}
    clerk.act(
        case_id,
        "evaluate",
        rating="very_dissatisfied",
        scores=scores,
        bad_reasons=["poor_attitude", "long_wait"],
    )
    ev = session.scalar(select(Evaluation).where(Evaluation.case_id == case_id))
    offline = ratings.active_set(session, "offline")
    assert (ev.source, ev.channel, ev.indicator_set_id, ev.scores, ev.bad_reasons) == (
        "window",
        "hall",
        offline.id,
        scores,
        ["poor_attitude", "long_wait"],
    )
    assert [i["label"] for i in offline.indicators][:4] == [
        "整体满意度",
        "服务效率",
        "服务水平",
        "服务态度",
    ]


def test_a_new_set_version_replaces_the_active_one(client, org, session):
    at(2026, 3, 2)
    out, case_id = _reported(client, org)
    v1 = ratings.active_set(session, "online")
    body = {
        "indicators": [
            {"code": "overall", "label": "整体满意度"},
            {"code": "speed", "label": "办事效率"},
        ],
        "bad_reasons": [{"code": "slow", "label": "太慢"}],
    }
    sup = as_user(client, "supervisor")
    r = client.post("/api/v1/feedback/indicator-sets/online", json=body, headers=sup.headers)
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")
    assert _count(session, IndicatorSet) == 2
    admin = as_user(client, "admin")
    h = admin.headers
    bad = client.post(
        "/api/v1/feedback/indicator-sets/online",
        json=body | {"indicators": [{"code": "speed", "label": "办事效率"}]},
        headers=h,
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "rating.overall_required")
    dup = client.post(
        "/api/v1/feedback/indicator-sets/online",
        json=body
        | {"bad_reasons": [{"code": "slow", "label": "a"}, {"code": "slow", "label": "b"}]},
        headers=h,
    )
    assert (dup.status_code, dup.json()["code"]) == (400, "rating.items_invalid")
    assert _count(session, IndicatorSet) == 2
    r = client.post("/api/v1/feedback/indicator-sets/online", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["active"], r.json()["channel_type_label"]) == (
        2,
        True,
        "线上",
    )
    sets = as_user(client, "clerk").client.get("/api/v1/feedback/indicator-sets").json()
    assert [(s["channel_type"], s["version"], s["active"]) for s in sets] == [
        ("offline", 1, True),
        ("online", 1, False),
        ("online", 2, True),
    ]
    r = rate(client, out, rating="satisfied", scores={"overall": 4, "speed": 5})
    assert r.status_code == 200, r.text
    ev = session.scalar(select(Evaluation).where(Evaluation.case_id == case_id))
    assert ev.indicator_set_id == ratings.active_set(session, "online").id
    assert ev.indicator_set_id != v1.id


def _ev(session, case: Case, rating: str, when: datetime, **over) -> Evaluation:
    n = session.scalar(
        select(func.count()).select_from(Evaluation).where(Evaluation.case_id == case.id)
    )
    ev = Evaluation(
        case_id=case.id,
        department_id=case.current_department_id,
        round=int(n or 0) + 1,
        rating=rating,
        source="public",
        channel="qr",
        created_at=when,
        **({"excluded": False} | over),
    )
    session.add(ev)
    session.flush()
    return ev


def test_rankings_per_window_staff_unit_and_hall(client, org, session):
    from bancheng.org.models import ServiceWindow

    at(2026, 3, 20)
    w2 = ServiceWindow(hall_id=org.hall.id, number="02", name="综合窗口", is_feedback_window=False)
    w3 = ServiceWindow(
        hall_id=org.hall.id, number="03", name="公积金窗口", is_feedback_window=False
    )
    session.add_all([w2, w3])
    session.flush()
    clerk = as_user(client, "clerk")
    c1 = session.get(Case, clerk.create(title="一")["id"])
    c2 = session.get(Case, clerk.create(title="二")["id"])
    c3 = session.get(Case, clerk.create(title="三")["id"])
    for c in (c1, c2):
        c.hall_id = org.hall.id
    session.flush()
    march = datetime(2026, 3, 10, 2, tzinfo=UTC)
    h, a = org.users["handler_fund"].id, org.users["clerk"].id
    # window 01: two good (5 and 4 on every indicator)
    for rating, score in (("very_satisfied", 5), ("satisfied", 4)):
        scores = {"overall": score, "efficiency": score}
        _ev(session, c1, rating, march, window_id=org.window.id, staff_id=h, scores=scores)
    # window 02: one bad, no scores (level 2)
    _ev(session, c2, "dissatisfied", march, window_id=w2.id, staff_id=a)
    # window 03: one very good, one bad that an appeal overturned (not counted)
    _ev(session, c3, "very_satisfied", march, window_id=w3.id, staff_id=a)
    _ev(session, c3, "very_dissatisfied", march, window_id=w3.id, staff_id=a, excluded=True)
    # February 28 at 23:30 Beijing: not in March
    _ev(
        session,
        c2,
        "very_dissatisfied",
        datetime(2026, 2, 28, 15, 30, tzinfo=UTC),
        window_id=w2.id,
        staff_id=a,
    )

    sup = as_user(client, "supervisor")
    r = sup.client.get(
        "/api/v1/feedback/rankings", params={"unit": "window", "month": "2026-03", "bottom": 1}
    )
    assert r.status_code == 200, r.text
    rows = [
        (i["name"], i["rank"], i["count"], i["bad"], i["score"], i["flagged"])
        for i in r.json()["ranking"]
    ]
    assert rows == [
        ("市民中心一楼大厅 03号窗口（公积金窗口）", 1, 1, 0, 100.0, False),
        ("市民中心一楼大厅 01号窗口（办不成事反映窗口）", 2, 2, 0, 87.5, False),
        ("市民中心一楼大厅 02号窗口（综合窗口）", 3, 1, 1, 25.0, True),
    ]
    first = r.json()["ranking"][1]
    assert (first["indicators"], first["satisfaction"], first["level"]) == (
        {"overall": 4.5, "efficiency": 4.5},
        1.0,
        4.5,
    )
    # bottom 5 of three: all but the best
    r = sup.client.get(
        "/api/v1/feedback/rankings", params={"unit": "window", "month": "2026-03", "bottom": 5}
    )
    assert [i["flagged"] for i in r.json()["ranking"]] == [False, True, True]
    # at least two ratings to count: window 01 is the only candidate, and not flagged alone
    r = sup.client.get(
        "/api/v1/feedback/rankings",
        params={"unit": "window", "month": "2026-03", "bottom": 1, "min_count": 2},
    )
    assert [i["flagged"] for i in r.json()["ranking"]] == [False, False, False]
    staff = sup.client.get(
        "/api/v1/feedback/rankings", params={"unit": "staff", "month": "2026-03"}
    ).json()
    assert [(i["key"], i["count"], i["bad"]) for i in staff["ranking"]] == [(h, 2, 0), (a, 2, 1)]
    assert [i["name"] for i in staff["ranking"]] == [
        org.users["handler_fund"].display_name,
        org.users["clerk"].display_name,
    ]
    hall = sup.client.get(
        "/api/v1/feedback/rankings", params={"unit": "hall", "month": "2026-03"}
    ).json()
    # c3 has no hall: only c1's and c2's ratings are the hall's
    assert [(i["name"], i["count"]) for i in hall["ranking"]] == [(org.hall.name, 3)]
    unit = sup.client.get(
        "/api/v1/feedback/rankings", params={"unit": "department", "month": "2026-03"}
    ).json()
    assert sum(i["count"] for i in unit["ranking"]) == 4
    # a district-A supervisor sees none of the city's ratings
    other = as_user(client, "supervisor_a").client.get(
        "/api/v1/feedback/rankings", params={"unit": "window", "month": "2026-03"}
    )
    assert other.status_code == 200 and other.json()["ranking"] == []
    bad = sup.client.get("/api/v1/feedback/rankings", params={"month": "2026-13"})
    assert bad.status_code == 422
