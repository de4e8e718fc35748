"""Undo and fairness: a clerk recalls an automatic dispatch within the set time; a case the
model sent to the wrong unit does not count against the unit that receives it next."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bancheng.cases.models import Case, CaseDepartment
from bancheng.core import clock
from bancheng.insights.repository import counter_columns
from tests.cases.helpers import as_user
from tests.conftest import login
from tests.routing.test_routing_api import SOCIAL, _map

pytestmark = pytest.mark.usefixtures("fresh_index")


def _auto_case(client, org):
    _map(client, org)
    clerk = as_user(client, "clerk")
    c = clerk.create(**SOCIAL)
    assert c["state"] == "dispatched" and c["current_department"]["id"] == org.id("hrss")
    return clerk, c


def test_clerk_recalls_an_automatic_dispatch(client, org, session):
    clerk, c = _auto_case(client, org)
    assert "recall" in clerk.actions(c["id"])
    r = clerk.act_raw(c["id"], "recall")
    assert r.status_code == 400 and r.json()["code"] == "case.reason_required"
    out = clerk.act(c["id"], "recall", reason="应由公积金中心办理")
    assert out["state"] == "registered"
    assert out["current_department"]["id"] == org.id("centre")
    row = session.get(Case, c["id"])
    session.refresh(row)
    assert row.auto_misroute == "recall" and row.auto_department_id == org.id("hrss")
    involved = set(
        session.scalars(
            select(CaseDepartment.department_id).where(CaseDepartment.case_id == c["id"])
        )
    )
    assert org.id("hrss") not in involved
    tl = client.get(f"/api/v1/cases/{c['id']}/timeline").json()
    assert [e["action"] for e in tl][-2:] == ["dispatch", "recall"]
    # Recalled once: not again, and a manual dispatch is not recallable.
    clerk.act(c["id"], "dispatch", department_id=org.id("fund"))
    assert "recall" not in clerk.actions(c["id"])
    r = clerk.act_raw(c["id"], "recall", reason="再撤回")
    assert r.status_code == 409 and r.json()["code"] == "case.recall_not_automatic"


def test_recall_window_passes(client, org, session, settings, monkeypatch):
    monkeypatch.setattr(settings, "session_idle_minutes", 0)  # the clock jumps past it
    clerk, c = _auto_case(client, org)
    later = clock.now() + timedelta(minutes=settings.routing_recall_minutes + 1)
    clock.set_clock(lambda: later)
    assert "recall" not in clerk.actions(c["id"])
    before = clerk.get(c["id"])
    r = clerk.act_raw(c["id"], "recall", reason="太晚了")
    assert r.status_code == 409 and r.json()["code"] == "case.recall_window_passed"
    after = clerk.get(c["id"])
    assert (after["state"], after["version"]) == (before["state"], before["version"])


def test_handler_cannot_recall(client, org):
    _, c = _auto_case(client, org)
    handler = as_user(client, "handler_hrss")
    r = handler.act_raw(c["id"], "recall", reason="不是我们的")
    assert r.status_code == 403 and r.json()["code"] == "case.action_forbidden"


def _counters(session, case_id):
    names = ("transferred", "returned", "resolved_with_deadline", "on_time", "overdue")
    cols = [c for c in counter_columns(clock.now()) if c.name in names]
    row = session.execute(select(*cols).where(Case.id == case_id)).one()
    return dict(zip([c.name for c in cols], [int(v or 0) for v in row], strict=True))


def test_misrouted_transfer_does_not_count_against_the_receiving_unit(client, org, session):
    _, c = _auto_case(client, org)
    handler = as_user(client, "handler_hrss")
    handler.act(c["id"], "accept")
    handler.act(c["id"], "transfer", department_id=org.id("fund"), reason="公积金事项")
    row = session.get(Case, c["id"])
    session.refresh(row)
    assert row.auto_misroute == "transfer" and row.transfer_count == 1
    assert _counters(session, c["id"]) == {
        "transferred": 0,
        "returned": 0,
        "resolved_with_deadline": 0,
        "on_time": 0,
        "overdue": 0,
    }
    # A second, ordinary transfer by the receiving unit counts as usual.
    fund = as_user(client, "handler_fund")
    fund.act(c["id"], "accept")
    fund.act(c["id"], "transfer", department_id=org.id("estate"), reason="不动产事项")
    assert _counters(session, c["id"])["transferred"] == 1


def test_an_ordinary_transfer_still_counts(client, org, session):
    clerk = as_user(client, "clerk")
    c = clerk.create()
    clerk.act(c["id"], "dispatch", department_id=org.id("hrss"))
    handler = as_user(client, "handler_hrss")
    handler.act(c["id"], "accept")
    handler.act(c["id"], "transfer", department_id=org.id("fund"), reason="公积金事项")
    row = session.get(Case, c["id"])
    session.refresh(row)
    assert row.auto_misroute is None
    assert _counters(session, c["id"])["transferred"] == 1


def test_misrouted_return_is_not_the_units_return(client, org, session):
    _, c = _auto_case(client, org)
    handler = as_user(client, "handler_hrss")
    handler.act(c["id"], "return", reason="不属本单位", suggested_department_id=org.id("fund"))
    row = session.get(Case, c["id"])
    session.refresh(row)
    assert row.auto_misroute == "return" and row.return_count == 1
    assert _counters(session, c["id"])["returned"] == 0
    login(client, "clerk")
