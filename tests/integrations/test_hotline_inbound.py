"""The 12345 platform pushes work orders: a case with the order's number and deadline,
idempotent on the order number, re-sent and withdrawn orders; only its narrowed token."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from bancheng.audit.models import OperationLog
from bancheng.cases.models import Case, CaseEvent
from bancheng.core import clock
from bancheng.integrations.models import HotlineOrder
from bancheng.org.auth import create_api_token
from tests.cases.helpers import as_user
from tests.conftest import payload

URL = "/api/v1/hotline/orders"
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Beijing


@pytest.fixture()
def platform(session, org):
    """The platform's token: narrowed to hotline.push, held by the centre's clerk."""
    _, raw = create_api_token(session, org.users["clerk"], "12345平台", ["hotline.push"], 30)
    session.commit()
    return {"Authorization": f"Bearer {raw}"}


ORDER: dict[str, Any] = {
    "order_number": "RX20261201000123",
    "call_time": "2026-12-01T09:12:00+08:00",
    "caller_name": "刘女士",
    "caller_phone": "13911112222",
    "appeal_type": "投诉",
    "title": "公积金提取材料反复补交",
    "content": "在市民中心办理公积金提取，三次被要求补交不同材料。",
    "address": "人民路1号市民中心",
    "latitude": 39.915,
    "longitude": 116.404,
    "datum": "gcj02",
    "urgency": "urgent",
    "time_limit_workdays": 3,
    "dispatching_unit": "市12345热线",
    "attachments": [{"url": "https://12345.example.gov.cn/f/1.jpg", "name": "现场照片"}],
}


order = partial(payload, ORDER)


def test_an_order_becomes_a_case_with_its_number_and_deadline(client, org, session, platform):
    clock.set_clock(lambda: NOW)
    r = client.post(URL, json=order(), headers=platform)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["result"] == "created" and out["status"] == "active"
    assert out["order_number"] == "RX20261201000123"
    case = session.scalar(select(Case).where(Case.number == out["case_number"]))
    assert case is not None
    assert case.number.startswith("BC-2026-")  # bancheng's own number
    assert (case.channel, case.kind, case.state) == ("transfer_12345", "complaint", "registered")
    assert case.hotline_order_number == "RX20261201000123"
    assert case.first_receipt_department_id == org.id("centre")
    # Three working days counted from the day after the call: Friday the 4th.
    assert case.due_date.isoformat() == "2026-12-04"
    assert out["due_date"] == "2026-12-04"
    assert case.fixed_due_at is not None
    # Coordinates kept as given (GCJ-02), with a WGS-84 copy a few hundred metres off.
    assert (case.latitude, case.longitude, case.coord_datum) == (39.915, 116.404, "gcj02")
    assert case.location_source == "hotline_12345"
    assert 0.001 < case.latitude - case.wgs84_lat < 0.002
    assert 0.005 < case.longitude - case.wgs84_lng < 0.007
    ev = session.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.action == "hotline_received"
        )
    ).one()
    assert ev.details["urgency"] == "urgent"
    assert ev.details["attachments"] == [
        {"url": "https://12345.example.gov.cn/f/1.jpg", "name": "现场照片"}
    ]
    log = session.scalars(
        select(OperationLog).where(OperationLog.action == "hotline.order_created")
    ).one()
    assert log.object_id == "RX20261201000123"

    # Staff find it by the 12345 number, exactly or as part of the search text.
    clerk = as_user(client, "clerk")
    for q in ("hotline_order_number=RX20261201000123", "q=20261201000123"):
        page = client.get(f"/api/v1/cases?{q}", headers=clerk.headers).json()
        assert [i["number"] for i in page["items"]] == [case.number]
        assert page["items"][0]["hotline_order_number"] == "RX20261201000123"


def test_without_a_time_limit_the_policy_sets_the_deadline(client, org, session, platform):
    clock.set_clock(lambda: NOW)
    r = client.post(URL, json=order(time_limit_workdays=None), headers=platform)
    assert r.status_code == 201, r.text
    case = session.scalar(select(Case).where(Case.hotline_order_number == "RX20261201000123"))
    assert case.fixed_due_at is None and case.sla_policy_id is not None
    assert case.due_at is not None

    due = "2026-12-08T17:30:00+08:00"
    r = client.post(
        URL, json=order(order_number="RX2", time_limit_workdays=None, due_at=due), headers=platform
    )
    case2 = session.scalar(select(Case).where(Case.hotline_order_number == "RX2"))
    assert case2.due_at == datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
    assert case2.due_date.isoformat() == "2026-12-08"


def test_same_order_again_changes_nothing(client, org, session, platform):
    clock.set_clock(lambda: NOW)
    first = client.post(URL, json=order(), headers=platform).json()
    counts = (
        session.scalar(select(func.count()).select_from(Case)),
        session.scalar(select(func.count()).select_from(CaseEvent)),
    )
    again = client.post(URL, json=order(), headers=platform)
    assert again.status_code == 200
    assert again.json()["result"] == "replayed"
    assert again.json()["case_number"] == first["case_number"]
    assert (
        session.scalar(select(func.count()).select_from(Case)),
        session.scalar(select(func.count()).select_from(CaseEvent)),
    ) == counts
    row = session.scalars(select(HotlineOrder)).one()
    assert row.times_received == 1


def test_resent_with_a_new_limit_moves_the_deadline(client, org, session, platform):
    clock.set_clock(lambda: NOW)
    client.post(URL, json=order(), headers=platform)
    r = client.post(URL, json=order(time_limit_workdays=5), headers=platform)
    assert r.status_code == 200 and r.json()["result"] == "updated"
    case = session.scalar(select(Case).where(Case.hotline_order_number == "RX20261201000123"))
    assert case.due_date.isoformat() == "2026-12-08"  # Tue + 5 working days: next Tuesday
    ev = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "hotline_resent")
    ).one()
    assert ev.details["changed"] == ["time_limit_workdays"]
    assert ev.details["times_received"] == 2


def test_withdrawn_then_resent(client, org, session, platform):
    clock.set_clock(lambda: NOW)
    client.post(URL, json=order(), headers=platform)
    url = f"{URL}/RX20261201000123/withdraw"
    r = client.post(url, json={"reason": "市民已自行解决"}, headers=platform)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["state"]) == ("withdrawn", "closed")
    case = session.scalar(select(Case).where(Case.hotline_order_number == "RX20261201000123"))
    assert case.state == "closed" and case.closed_at == NOW
    # Twice is the same as once.
    n_events = session.scalar(select(func.count()).select_from(CaseEvent))
    assert client.post(url, json={"reason": "再次撤回"}, headers=platform).status_code == 200
    assert session.scalar(select(func.count()).select_from(CaseEvent)) == n_events

    # The platform sends it again: the case is open again, on a fresh clock.
    r = client.post(URL, json=order(content="再次来电：问题未解决。"), headers=platform)
    assert r.status_code == 200 and r.json()["result"] == "reopened"
    session.refresh(case)
    assert (case.state, case.reopen_count, case.closed_at) == ("reopened", 1, None)
    assert case.due_date.isoformat() == "2026-12-04"
    assert session.scalars(select(HotlineOrder)).one().status == "active"


def test_bad_orders_are_refused_and_nothing_is_written(client, org, session, platform):
    before = session.scalar(select(func.count()).select_from(Case))
    cases = [
        (order(appeal_type="无此类型"), 400, "hotline.appeal_type_unknown"),
        (order(caller_phone="12345"), 400, "reporter.phone_invalid"),
        (
            order(due_at="2026-12-08T17:30:00+08:00"),
            400,
            "hotline.time_limit_ambiguous",
        ),
        (
            order(time_limit_workdays=None, due_at="2026-11-30T10:00:00+08:00"),
            400,
            "hotline.due_before_call",
        ),
        (order(latitude=None), 400, "case.location_incomplete"),
        (order(order_number="含空格 的编号"), 422, "request.malformed"),
    ]
    for body, status, code in cases:
        r = client.post(URL, json=body, headers=platform)
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert session.scalar(select(func.count()).select_from(Case)) == before
    assert session.scalar(select(func.count()).select_from(HotlineOrder)) == 0
    r = client.get(f"{URL}/NOPE", headers=platform)
    assert (r.status_code, r.json()["code"]) == (404, "hotline.order_not_found")


def test_only_the_narrowed_token_may_push(client, org, session, platform):
    # A clerk signed in with a browser session holds the permission but not a token.
    clerk = as_user(client, "clerk")
    r = client.post(URL, json=order(), headers=clerk.headers)
    assert (r.status_code, r.json()["code"]) == (403, "hotline.token_required")
    client.cookies.clear()
    # The platform's token opens nothing else.
    r = client.get("/api/v1/cases", headers=platform)
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")
    assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_upload_an_attachment(client, org, session, platform):
    import io

    from PIL import Image

    client.post(URL, json=order(), headers=platform)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    r = client.post(
        f"{URL}/RX20261201000123/attachments",
        files={"file": ("scene.png", buf.getvalue(), "image/png")},
        headers=platform,
    )
    assert r.status_code == 201, r.text
    assert r.json()["media_type"] == "image/png"
