"""Results back to the 12345 platform: a test platform pushes an order, bancheng routes and
resolves it, and the platform receives the acceptance, the extension request, the reply
and the rating under its own order number — signed, through the outbox, with retries and
a delivery log; a return names the reason and the unit; a withdrawn order sends nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.org.auth import create_api_token
from bancheng.outbox.http import verify
from bancheng.outbox.models import OutboxAttempt, OutboxMessage
from tests.cases.helpers import as_user
from tests.integrations.conftest import SECRET
from tests.integrations.test_hotline_inbound import order

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
ORDER = "RX20261201000123"


@pytest.fixture()
def platform(session, org):
    _, raw = create_api_token(session, org.users["clerk"], "12345平台", ["hotline.push"], 30)
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


def _push(client, session, platform, **over) -> Case:
    r = client.post("/api/v1/hotline/orders", json=order(**over), headers=platform)
    assert r.status_code == 201, r.text
    return session.scalar(select(Case).where(Case.number == r.json()["case_number"]))


def _dispatched(client, session, platform, org) -> Case:
    """At NOW, an order pushed by the platform and dispatched by the clerk to the fund."""
    clock.set_clock(lambda: NOW)
    case = _push(client, session, platform)
    as_user(client, "clerk").act(case.id, "dispatch", department_id=org.id("fund"))
    return case


def _received(remote) -> list[dict]:
    out = []
    for req in remote.requests:
        assert req["path"] == "/results"
        assert verify(SECRET, req["headers"], req["body"]), "signature must verify"
        body = json.loads(req["body"])
        assert req["headers"]["webhook-id"] == body["event_id"]
        out.append(body)
    return out


def _delivered(deliver, remote, *types: str) -> list[dict]:
    """One delivery pass sends exactly the results of ``types``, in order; their bodies."""
    r = deliver()
    assert (r.claimed, r.sent) == (len(types), len(types))
    got = _received(remote)
    assert [b["type"] for b in got] == list(types)
    return got


def test_the_platform_receives_every_result_under_its_order_number(
    client, org, session, platform, remote, deliver
):
    case = _dispatched(client, session, platform, org)
    handler = as_user(client, "handler_fund")
    handler.act(case.id, "accept")
    handler.act(case.id, "start")
    handler.act(
        case.id,
        "request_extension",
        reason="需调取档案",
        new_due_date=date(2026, 12, 9).isoformat(),
    )
    handler.act(case.id, "resolve", outcome="done", resolution="已一次性告知所需材料并当场受理。")
    clerk = as_user(client, "clerk")
    clerk.act(case.id, "give_feedback", notification_text="您的公积金提取已受理，3个工作日内到账。")
    clerk.act(case.id, "evaluate", rating="satisfied")

    # Nothing has left yet: the messages wait in the outbox, written with each change.
    assert remote.requests == []
    got = _delivered(
        deliver,
        remote,
        "order.accepted",
        "order.extension_requested",
        "order.resolved",
        "order.replied",
        "order.rated",
    )
    assert {b["order_number"] for b in got} == {ORDER}
    assert {b["case_number"] for b in got} == {case.number}
    by_type = {b["type"]: b for b in got}
    acc = by_type["order.accepted"]
    assert acc["unit"] == {"code": "C-HF", "name": "市住房公积金管理中心"}
    assert acc["data"]["due_date"] == "2026-12-04"
    ext = by_type["order.extension_requested"]["data"]
    assert (ext["reason"], ext["requested_due_date"], ext["current_due_date"]) == (
        "需调取档案",
        "2026-12-09",
        "2026-12-04",
    )
    res = by_type["order.resolved"]["data"]
    assert (res["outcome"], res["reply_text"]) == ("done", "已一次性告知所需材料并当场受理。")
    assert by_type["order.replied"]["data"]["reply_text"].startswith("您的公积金提取已受理")
    rated = by_type["order.rated"]["data"]
    assert (rated["rating"], rated["rating_label"], rated["satisfied"]) == (
        "satisfied",
        "满意",
        True,
    )
    # The delivery log: one successful attempt per message to the platform (the handlers'
    # in-app notice of the extension request is a message of its own).
    msgs = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.channel == "webhook"
        )
    ).all()
    assert {m.state for m in msgs} == {"sent"} and len(msgs) == 5
    attempts = session.scalars(
        select(OutboxAttempt).where(OutboxAttempt.message_id.in_([m.id for m in msgs]))
    ).all()
    assert [(a.ok, a.status) for a in attempts] == [(True, "200")] * 5
    # Delivered once: another run sends nothing more.
    assert deliver().claimed == 0


def test_a_return_names_the_reason_and_the_unit_and_failures_are_retried(
    client, org, session, platform, remote, deliver
):
    case = _dispatched(client, session, platform, org)
    as_user(client, "handler_fund").act(
        case.id,
        "return",
        reason="不动产登记不属于公积金中心职责",
        suggested_department_id=org.id("estate"),
    )
    calls = iter([(503, b"busy"), (200, b"{}")])
    remote.respond = lambda _req: next(calls)
    first = deliver()
    assert (first.claimed, first.retried, first.sent) == (1, 1, 0)
    second = deliver()
    assert second.sent == 1
    a, b = _received(remote)
    assert a == b  # the same message again, with the same event id
    assert a["type"] == "order.returned"
    assert a["data"] == {
        "reason": "不动产登记不属于公积金中心职责",
        "suggested_unit": {"code": "C-RE", "name": "市不动产登记中心"},
    }
    msg = session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id)).one()
    attempts = session.scalars(
        select(OutboxAttempt).where(OutboxAttempt.message_id == msg.id).order_by(OutboxAttempt.id)
    ).all()
    assert [(x.ok, x.status) for x in attempts] == [(False, "503"), (True, "200")]


def test_a_refused_change_sends_nothing_and_a_withdrawn_order_neither(
    client, org, session, platform, remote, deliver
):
    case = _dispatched(client, session, platform, org)
    handler = as_user(client, "handler_fund")
    r = handler.act_raw(case.id, "accept", version=1)  # a stale version: refused
    assert (r.status_code, r.json()["code"]) == (409, "case.version_conflict")
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    r = client.post(
        f"/api/v1/hotline/orders/{ORDER}/withdraw", json={"reason": "撤单"}, headers=platform
    )
    assert r.status_code == 200
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert deliver().claimed == 0


def _refused_then_approved(client, case, what, ask, refusal, approval=None):
    """The unit accepts the case and asks (``request_<what>``); the supervisor refuses with
    ``refusal``; the unit asks again; the supervisor approves."""
    handler = as_user(client, "handler_fund")
    handler.act(case.id, "accept")
    handler.act(case.id, f"request_{what}", **ask)
    sup = as_user(client, "supervisor")
    sup.act(case.id, f"decide_{what}", approve=False, reason=refusal)
    handler.use()
    handler.act(case.id, f"request_{what}", **ask)
    sup.use()
    sup.act(case.id, f"decide_{what}", approve=True, **(approval or {}))


def test_an_approved_unreasonable_demand_reaches_the_platform_as_resolved(
    client, org, session, platform, remote, deliver
):
    case = _dispatched(client, session, platform, org)
    ask = {"end_as": "unreasonable", "reason": "要求超出政策规定"}
    _refused_then_approved(client, case, "end", ask, refusal="应继续办理")
    deliver()
    got = _received(remote)
    # The requests and the refusal are internal: only the approval goes out.
    assert [b["type"] for b in got] == ["order.accepted", "order.resolved"]
    res = got[1]["data"]
    assert (res["outcome"], res["outcome_label"], res["reply_text"]) == (
        "unreasonable",
        "不合理诉求",
        "要求超出政策规定",
    )


def _webhooks(session, case) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.case_id == case.id, OutboxMessage.channel == "webhook"
            )
        )
    )


def test_an_approved_objection_is_returned_to_the_platform_and_a_rejected_one_is_not(
    client, org, session, platform, remote, deliver
):
    case = _dispatched(client, session, platform, org)
    unit = as_user(client, "handler_fund")
    unit.act(
        case.id,
        "object",
        reason="该事项属不动产登记，不属本中心职责",
        suggested_department_id=org.id("estate"),
    )
    clerk = as_user(client, "clerk")
    clerk.act(case.id, "decide_objection", approve=False, reason="事项目录明确由公积金中心主办")
    # Neither the objection nor its rejection is the platform's business: nothing queued
    # for it (the staff's in-app notices of the objection are messages of their own).
    assert _webhooks(session, case) == []
    assert deliver().claimed == 0
    assert remote.requests == []

    unit.use()
    unit.act(
        case.id,
        "object",
        reason="申请人所涉为商品房预售资金监管，请改派",
        suggested_department_id=org.id("estate"),
    )
    clerk.use()
    clerk.act(case.id, "decide_objection", approve=True, reason="同意改派不动产登记中心")
    [body] = _delivered(deliver, remote, "order.returned")
    session.refresh(case)
    assert (body["order_number"], body["case_number"], body["state"]) == (
        ORDER,
        case.number,
        "registered",
    )
    assert body["operator"] == "clerk"
    assert body["unit"] == {"code": "C-SC", "name": "市政务服务中心"}
    assert body["data"] == {
        "reason": "申请人所涉为商品房预售资金监管，请改派",
        "suggested_unit": {"code": "C-RE", "name": "市不动产登记中心"},
        "objecting_unit": {"code": "C-HF", "name": "市住房公积金管理中心"},
        "decision_note": "同意改派不动产登记中心",
    }
    [msg] = _webhooks(session, case)
    assert (msg.kind, msg.state, msg.idempotency_key) == (
        "hotline.returned",
        "sent",
        body["event_id"],
    )
    assert deliver().claimed == 0


def test_both_decisions_on_an_extension_reach_the_platform(
    client, org, session, platform, remote, deliver
):
    case = _dispatched(client, session, platform, org)
    ask = {"reason": "需调取档案", "new_due_date": date(2026, 12, 9).isoformat()}
    refusal, approval = "材料齐全，按期办结", {"reason": "同意延期"}
    _refused_then_approved(client, case, "extension", ask, refusal, approval)
    got = _delivered(
        deliver,
        remote,
        "order.accepted",
        "order.extension_requested",
        "order.extension_decided",
        "order.extension_requested",
        "order.extension_decided",
    )
    refused, approved = got[2], got[4]
    assert refused["data"] == {
        "approved": False,
        "due_date": "2026-12-04",
        "note": "材料齐全，按期办结",
    }
    assert approved["data"] == {"approved": True, "due_date": "2026-12-09", "note": "同意延期"}
    assert (approved["operator"], approved["unit"]) == (
        "supervisor",
        {"code": "C-SC", "name": "市政务服务中心"},
    )
    assert len({b["event_id"] for b in got}) == 5
