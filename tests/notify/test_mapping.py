"""Event → message, one test per family: reporter SMS (incl. opt-out, reminder and the
late-rating window), staff messages by preference, supervision, webhooks (signed, replay,
SSRF), and a refused change that sends nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bancheng.core import clock
from bancheng.feedback import reminders as feedback
from bancheng.notify.models import Notice
from bancheng.outbox import http as webhook
from bancheng.outbox.models import OutboxMessage
from bancheng.sla.calendar import load_calendar
from tests.cases.helpers import as_user
from tests.intake.test_public_reports import drive_to_feedback, report
from tests.outbox.sinks import HttpSink
from tests.supervision.helpers import issue_order


def kinds(session, case_id=None, channel=None):
    q = select(OutboxMessage.kind).order_by(OutboxMessage.id)
    if case_id:
        q = q.where(OutboxMessage.case_id == case_id)
    if channel:
        q = q.where(OutboxMessage.channel == channel)
    return list(session.scalars(q))


def case_id_of(session, number):
    from bancheng.cases.models import Case

    return session.scalar(select(Case.id).where(Case.number == number))


def test_reporter_reminder_window_and_opt_out(client, org, session, settings):
    out = report(client)
    cid = drive_to_feedback(client, org, out["number"])
    assert kinds(session, cid, "sms") == [
        "reporter.accepted",
        "reporter.dispatched",
        "reporter.resolved",
        "reporter.rating_invite",
    ]
    cal = load_calendar(session)
    at3 = cal.add_workdays(clock.now(), 3).due_at
    assert feedback.remind_unrated(session, settings, at3) == 1
    assert feedback.close_unrated(session, settings, at3) == 0
    end = cal.add_workdays(clock.now(), settings.rating_window_workdays + 1).due_at
    assert feedback.close_unrated(session, settings, end) == 1
    assert feedback.close_unrated(session, settings, end) == 0
    assert kinds(session, cid, "sms")[-2:] == ["reporter.rating_reminder", "reporter.rating_closed"]
    from bancheng.cases.models import Case, CaseEvent

    case = session.get(Case, cid)
    assert (case.state, case.rating) == ("closed", None)
    ev = session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == cid).order_by(CaseEvent.id.desc())
    )
    assert (ev.action, ev.details) == ("close", {"rule": "rating_window", "unrated": True})

    # Opt-out with the private link: nothing more reaches the phone.
    other = report(client)
    oid = case_id_of(session, other["number"])
    status = f"/api/v1/public/cases/{other['number']}?token={other['token']}"
    assert client.get(status).json()["sms_opt_out"] is False
    r = client.post(
        f"/api/v1/public/cases/{other['number']}/notifications?token={other['token']}",
        json={"opt_out": True},
    )
    assert r.json() == {"number": other["number"], "opt_out": True}
    assert client.get(status).json()["sms_opt_out"] is True
    as_user(client, "clerk").act(oid, "dispatch", department_id=org.id("fund"))
    assert kinds(session, oid, "sms") == ["reporter.accepted"]


def test_refused_action_sends_nothing(client, org, session):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    before = session.scalar(select(func.count()).select_from(OutboxMessage))
    r = clerk.act_raw(case["id"], "dispatch", department_id=999999)
    assert (r.status_code, r.json()["code"]) == (400, "case.department_not_found")
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_staff_channels_follow_preferences(client, org, session):
    sup = as_user(client, "supervisor")
    r = client.put(
        "/api/v1/auth/me/notifications",
        json={"kinds": {"staff.extension_requested": ["email"]}},
        headers=sup.headers,
    )
    assert (r.status_code, r.json()["code"]) == (400, "notify.email_missing")
    r = client.put(
        "/api/v1/auth/me/notifications",
        json={
            "email": "du@centre.gov.cn",
            "phone": "13600001111",
            "kinds": {"staff.extension_requested": ["email", "sms", "inapp"]},
        },
        headers=sup.headers,
    )
    assert r.status_code == 200, r.text
    got = {k["kind"]: k["channels"] for k in r.json()["kinds"]}
    assert got["staff.extension_requested"] == ["inapp", "email", "sms"]
    assert got["staff.light_red"] == ["inapp"]
    assert r.json()["phone_masked"] == "136****1111"

    clerk = as_user(client, "clerk")
    case = clerk.create()
    clerk.act(case["id"], "dispatch", department_id=org.id("fund"))
    h = as_user(client, "handler_fund")
    h.act(case["id"], "accept")
    due = h.get(case["id"])["due_date"]
    from datetime import date, timedelta

    new = (date.fromisoformat(due) + timedelta(days=14)).isoformat()
    h.act(case["id"], "request_extension", reason="需要调档", new_due_date=new)
    sup_id = org.users["supervisor"].id
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind.in_(["staff.extension_requested", "notice.extension_requested"]),
            OutboxMessage.recipient.in_(["du@centre.gov.cn", f"user:{sup_id}", ""]),
        )
    ).all()
    assert sorted((m.channel, m.recipient_masked) for m in rows) == [
        ("email", "du@centre.gov.cn"),
        ("inapp", ""),
        ("sms", "136****1111"),
    ]
    sms = next(m for m in rows if m.channel == "sms")
    assert sms.recipient_enc and "13600001111" not in sms.recipient_enc
    sup = as_user(client, "supervisor")
    sup.act(case["id"], "decide_extension", approve=True, reason="同意")
    n = session.scalar(
        select(Notice).where(
            Notice.user_id == org.users["handler_fund"].id, Notice.kind == "extension_decided"
        )
    )
    assert n is not None and n.title == f"延期已批准：{case['number']}"


def test_supervise_order_reaches_the_units_lead(client, org, session):
    clerk = as_user(client, "clerk")
    case = clerk.create()
    clerk.act(case["id"], "dispatch", department_id=org.id("distA"))
    sup = as_user(client, "supervisor")
    r = issue_order(
        client,
        sup.headers,
        org.id("distA"),
        [case["id"]],
        title="限期办结",
        instructions="请三日内办结",
        deadline_workdays=3,
    )
    assert r.status_code == 201, r.text
    named = session.scalars(
        select(Notice.user_id).where(Notice.kind == "order_new").order_by(Notice.user_id)
    ).all()
    assert named == [org.users["leader_a"].id]  # the district's leader, not its handler


def test_webhook_signed_replayed_and_guarded(client, org, session, settings, deliver, monkeypatch):
    admin = as_user(client, "admin")
    r = client.post(
        "/api/v1/notify/webhooks",
        json={
            "name": "热线平台",
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["case.created"],
        },
        headers=admin.headers,
    )
    assert (r.status_code, r.json()["code"]) == (400, "webhook.url_not_allowed")
    monkeypatch.setattr(settings, "outbox_allow_private_targets", True)
    with HttpSink() as sink:
        r = client.post(
            "/api/v1/notify/webhooks",
            json={
                "name": "热线平台",
                "url": sink.url + "/hook",
                "event_types": ["case.created", "case.state_changed"],
            },
            headers=admin.headers,
        )
        assert r.status_code == 201, r.text
        secret = r.json()["secret"]
        clerk = as_user(client, "clerk")
        case = clerk.create()
        clerk.act(case["id"], "dispatch", department_id=org.id("fund"))
        assert deliver(settings)["sent"] >= 2
        hooks = [q for q in sink.requests if q["path"] == "/hook"]
        bodies = [json.loads(q["body"]) for q in hooks]
        assert [(b["version"], b["type"], b["data"]["case"]["number"]) for b in bodies] == [
            (1, "case.created", case["number"]),
            (1, "case.state_changed", case["number"]),
        ]
        assert "reporter" not in json.dumps(bodies) and "13812345678" not in json.dumps(bodies)
        assert all(webhook.verify(secret, q["headers"], q["body"]) for q in hooks)
        first = session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "webhook.case.created")
        )
        admin = as_user(client, "admin")
        r = client.post(f"/api/v1/outbox/messages/{first.id}/replay", headers=admin.headers)
        assert r.status_code == 201, r.text
        deliver(settings)
        again = [q for q in sink.requests if q["path"] == "/hook"][-1]
        assert again["headers"]["webhook-id"] == hooks[0]["headers"]["webhook-id"]
        assert webhook.verify(secret, again["headers"], again["body"])
        listed = client.get(
            f"/api/v1/outbox/messages?subscription_id={first.subscription_id}"
        ).json()
        assert listed["total"] == 3 and listed["counts"] == {"sent": 3}
