"""Learning from the deployment: the job trains a unit model on the older settled cases,
scores it against the router in use on the newest ones, promotes only when better at
coverage at 99 % precision, records every run, and a promotion can be reverted."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import func, select

from bancheng.audit.models import OperationLog
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.routing import learning, service
from bancheng.routing.models import RoutingTarget, RoutingUnitModel
from tests.cases.helpers import as_user
from tests.conftest import case_row, login

T0 = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
_seq = count(1)

PROBLEMS = [
    "被要求重复提交材料",
    "审批时间太长",
    "线上系统无法办理",
    "窗口说不清楚政策",
    "办理进度查不到",
    "退回后无人解释",
]
SUBJECTS = {
    "fund": "住房公积金提取 公积金贷款 公积金缴存基数 公积金账户转移 公积金异地提取 公积金冲还贷",
    "estate": "不动产权证办理 房产过户登记 抵押登记注销 商品房首次登记 二手房交易登记 查封信息",
    "hrss": "养老保险转移接续 失业保险金申领 社保卡补办 工伤认定 医保异地备案 灵活就业参保",
}


def _case(session: Any, org: Any, unit: str, title: str, at: datetime, state: str = "closed"):
    n = next(_seq)
    c = Case(
        **case_row(
            "L",
            n,
            org.id("centre"),
            at,
            state=state,
            title=title,
            description=f"群众反映{title}的问题，多次到窗口仍未办成，希望尽快解决。",
            reporter_phone_hash=f"l{n}",
            current_department_id=org.id(unit),
        )
    )
    session.add(c)
    return c


def _deployment(session: Any, org: Any, start: datetime, rounds: int = 1) -> datetime:
    """Rounds of 36 settled cases per unit, interleaved in time; returns the last time."""
    at = start
    for _ in range(rounds):
        for i, problem in enumerate(PROBLEMS):
            for j in range(6):
                for unit, names in SUBJECTS.items():
                    subjects = names.split()
                    at += timedelta(hours=1)
                    _case(session, org, unit, f"{subjects[(i + j) % 6]}{problem}", at)
    session.flush()
    return at


@pytest.fixture()
def units(session, org):
    session.add_all(
        [
            RoutingTarget(category="劳动和社会保障", department_id=org.id("hrss")),
            RoutingTarget(category="城乡建设", department_id=org.id("estate")),
        ]
    )
    session.flush()
    service.reset_index()
    yield org
    service.reset_index()


def _uow(session: Any):
    @contextmanager
    def unit_of_work():
        yield session
        session.flush()

    return unit_of_work


def test_too_few_examples_records_nothing(session, units):
    result = learning.learn(_uow(session), _uow(session))
    assert (result.ran, result.reason) == (False, "too_few_examples")
    assert session.scalar(select(func.count()).select_from(RoutingUnitModel)) == 0


def test_examples_are_settled_units_not_the_window(session, units):
    org = units
    _case(session, org, "fund", "公积金提取难", T0)
    _case(session, org, "hrss", "社保卡补办难", T0 + timedelta(hours=1), state="in_progress")
    _case(session, org, "estate", "不动产登记难", T0 + timedelta(hours=2), state="dispatched")
    _case(session, org, "centre", "窗口当场办结", T0 + timedelta(hours=3))
    session.flush()
    got = [(e.title, e.unit_id) for e in learning.examples(session)]
    assert got == [("公积金提取难", org.id("fund")), ("社保卡补办难", org.id("hrss"))]


def test_promotes_a_better_unit_model_then_rejects_an_equal_one_and_reverts(session, units, client):
    org = units
    clock.set_clock(lambda: T0 + timedelta(days=30))
    last = _deployment(session, org, T0)
    first = learning.learn(_uow(session), _uow(session))
    assert first.ran and first.decision == "promoted", first.figures
    figures = first.figures
    assert figures["current_model"] == "category"
    # The category table sends housing-fund cases to the housing side (城乡建设 → estate);
    # the unit model learnt from the ledger sends them to the fund centre.
    assert figures["candidate"]["accuracy"] == 1.0
    assert figures["current"]["accuracy"] < 0.75
    assert (
        figures["candidate"]["coverage_at_99_precision"]
        > figures["current"]["coverage_at_99_precision"]
    )
    assert figures["units"] == 3 and figures["candidate"]["n"] == 22
    assert set(figures["drift"]) >= {"psi_confidence", "psi_labels", "drifted"}
    active = learning.active_unit_row(session)
    assert active is not None and active.id == first.model_id and active.artefact

    # Nothing new since the model in use was trained: no honest comparison, nothing recorded.
    again = learning.learn(_uow(session), _uow(session))
    assert (again.ran, again.reason) == (False, "too_few_new_cases")

    # New cases arrive; a candidate no better at the objective is recorded, not promoted.
    _deployment(session, org, last)
    second = learning.learn(_uow(session), _uow(session))
    assert second.ran and second.decision == "rejected"
    assert second.reason == "not_better_at_objective"
    assert second.figures["current_model"] == "unit_model"
    assert learning.active_unit_row(session).id == first.model_id

    # The suggestion names the unit from the ledger, decided by the unit model.
    clerk = as_user(client, "clerk")
    r = client.post(
        "/api/v1/routing/suggest",
        headers=clerk.headers,
        json={"title": "公积金异地提取审批时间太长", "description": ""},
    )
    body = r.json()
    assert body["unit_source"] == "unit_model"
    assert body["units"][0]["department_id"] == org.id("fund")
    assert body["department_id"] == org.id("fund")

    # The console's history, newest first, with figures; an administrator reverts.
    admin = login(client, "admin")
    listed = client.get("/api/v1/routing/unit-models", headers=admin).json()
    assert [(m["id"], m["decision"], m["active"]) for m in listed] == [
        (second.model_id, "rejected", False),
        (first.model_id, "promoted", True),
    ]
    r = client.post(f"/api/v1/routing/unit-models/{first.model_id}/revert", headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["decision"], r.json()["active"]) == ("reverted", False)
    assert learning.active_unit_row(session) is None
    log = session.scalars(
        select(OperationLog).where(OperationLog.action == "routing.unit_model_revert")
    ).all()
    assert [x.object_id for x in log] == [str(first.model_id)]
    r = client.post(f"/api/v1/routing/unit-models/{first.model_id}/revert", headers=admin)
    assert r.status_code == 409 and r.json()["code"] == "routing.unit_model_not_active"
    r = client.post("/api/v1/routing/unit-models/999999/revert", headers=admin)
    assert r.status_code == 404 and r.json()["code"] == "routing.unit_model_not_found"
    clerk.use()
    r = client.post(
        "/api/v1/routing/suggest",
        headers=clerk.headers,
        json={"title": "公积金异地提取审批时间太长", "description": ""},
    )
    assert r.json()["unit_source"] == "category"


def test_better_requires_the_f1_floor():
    current = {"macro_f1": 0.90, "coverage_at_99_precision": 0.50}
    assert learning.better({"macro_f1": 0.885, "coverage_at_99_precision": 0.9}, current) == (
        False,
        "macro_f1_below_floor",
    )
    assert learning.better({"macro_f1": 0.891, "coverage_at_99_precision": 0.5}, current) == (
        False,
        "not_better_at_objective",
    )
    assert learning.better({"macro_f1": 0.891, "coverage_at_99_precision": 0.51}, current) == (
        True,
        "better_at_objective",
    )
