"""The public disclosure page's API: a month's figures over every unit, each unit's, and
its rectifications of bad reviews, anonymised; months outside the rules are refused."""

from __future__ import annotations

import json

from bancheng.core import clock
from tests.integrations.test_haochaping import NOW, _bad_review, handler_acts


def test_a_month_made_public_without_people(client, org, session):
    clock.set_clock(lambda: NOW)  # Tuesday 1 December 2026, 10:00 in Beijing
    number, case_id = _bad_review(client, org)
    note = "已向李四当面致歉（电话13900001111），约谈窗口人员，当日补办完成"
    handler_acts(client, session, case_id, "complete", {"note": note})
    client.cookies.clear()  # the public, signed out

    r = client.get("/api/v1/public/disclosure", params={"month": "2026-12"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["month"], body["date_from"], body["date_to"]) == (
        "2026-12",
        "2026-12-01",
        "2026-12-01",  # the month so far
    )
    assert body["months"][:3] == ["2026-12", "2026-11", "2026-10"] and len(body["months"]) == 12
    assert body["totals"] == {
        "registered": 1,
        "resolved": 1,
        "rated": 1,
        "rates": {"on_time": 1.0, "satisfaction": 0.0, "bad_review": 1.0, "rectification": 1.0},
    }
    assert [u["name"] for u in body["units"]] == ["市住房公积金管理中心"]
    [rec] = body["rectifications"]
    assert {k: rec[k] for k in ("unit", "matter", "status", "status_label", "opened_on")} == {
        "unit": "市住房公积金管理中心",
        "matter": "住房公积金提取",
        "status": "done",
        "status_label": "已整改",
        "opened_on": "2026-12-01",
    }
    assert rec["completed_on"] == "2026-12-01"
    assert "约谈窗口人员，当日补办完成" in rec["result"]
    text = json.dumps(body, ensure_ascii=False)
    for secret in ("李四", "13900001111", number):
        assert secret not in text

    # Without a month: this month.
    assert client.get("/api/v1/public/disclosure").json()["month"] == "2026-12"
    # A month without cases: zeros, no rates.
    empty = client.get("/api/v1/public/disclosure", params={"month": "2026-10"}).json()
    assert empty["totals"]["registered"] == 0 and empty["units"] == []
    assert empty["totals"]["rates"]["satisfaction"] is None


def test_bad_months_are_refused(client, org):
    clock.set_clock(lambda: NOW)
    for month, code in (
        ("2026-13", "disclosure.invalid_month"),
        ("2026-1", "disclosure.invalid_month"),
        ("１９９９-01", "disclosure.invalid_month"),
        ("1999-12", "disclosure.invalid_month"),
        ("2027-01", "disclosure.future_month"),
    ):
        r = client.get("/api/v1/public/disclosure", params={"month": month})
        assert (r.status_code, r.json()["code"]) == (400, code), month
