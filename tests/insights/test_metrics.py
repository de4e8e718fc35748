"""Every rate against hand-computed values on a constructed set of cases, live and from
the rollup; periods in Asia/Shanghai; scope; department roll-up; assessment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from bancheng.cases.models import Case, CaseDepartment
from bancheng.core import clock
from bancheng.insights import service
from tests.conftest import case_row, principal_of

H = timedelta(hours=1)
D = timedelta(days=1)
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
OCT5 = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)  # 10:00 local
OCT20_EARLY = datetime(2026, 10, 19, 16, 30, tzinfo=UTC)  # 2026-10-20 00:30 local
SEP30_LATE = datetime(2026, 9, 30, 15, 30, tzinfo=UTC)  # 2026-09-30 23:30 local
_seq = count(1)


def _case(session: Any, org: Any, dept: str, reg: datetime, **kw: Any) -> Case:
    n = next(_seq)
    c = Case(**case_row("T", n, org.id(dept), reg, **kw))
    session.add(c)
    session.flush()
    session.add(CaseDepartment(case_id=c.id, department_id=org.id(dept)))
    return c


@pytest.fixture()
def world(session, org):
    clock.set_clock(lambda: NOW)
    r = OCT5
    _case(session, org, "fund", r, resolved_on_spot=True, resolved_at=r + H, due_at=r + 3 * D,
          rating="very_satisfied", outcome="done")  # fmt: skip
    _case(session, org, "fund", r, channel="hotline", resolved_at=r + 5 * D, due_at=r + 3 * D,
          rating="dissatisfied", transfer_count=1, reopen_count=1, accepted_at=r + H,
          response_due_at=r + D, outcome="done")  # fmt: skip
    _case(session, org, "distA_street", r, channel="mobile", resolved_at=r + 2 * D,
          due_at=r + 3 * D, outcome="cannot_by_policy", nature="cannot_by_policy",
          rating="basically_satisfied", accepted_at=r + 2 * D, response_due_at=r + D)  # fmt: skip
    r = OCT20_EARLY
    _case(session, org, "distA_comm", r, state="in_progress", due_at=r + 3 * D,
          accepted_at=r + H, return_count=1, response_due_at=r + D, kind="complaint")  # fmt: skip
    _case(session, org, "distA_centre", r, state="registered", response_due_at=r + D,
          kind="consultation")  # fmt: skip
    r = SEP30_LATE
    _case(session, org, "fund", r, resolved_at=r + H, outcome="explained", rating="satisfied",
          accepted_at=r + H, blocker_type="system_failure")  # fmt: skip
    session.flush()
    return org


ALL = {
    "registered": 6,
    "resolved": 4,
    "resolved_on_spot": 1,
    "cannot_by_policy": 1,
    "solved": 3,
    "resolved_with_deadline": 3,
    "on_time": 2,
    "responded": 4,
    "overdue": 2,
    "rated": 4,
    "satisfied": 3,
    "bad": 1,
    "transferred": 1,
    "returned": 1,
    "reopened": 1,
    "rectify_due": 0,
    "rectified": 0,
    "callback_due": 0,
    "called_back": 0,
    "unreasonable": 0,
}


def _registered(rows: list[dict[str, Any]], by: str = "key") -> dict[Any, int]:
    """How many cases were registered, per period, department, channel... of ``rows``."""
    return {row[by]: row["counts"]["registered"] for row in rows}


def _r(x: float) -> float:
    return round(x, 6)


ALL_RATES = {
    "on_spot": _r(1 / 6),
    "on_time": _r(2 / 3),
    "response": _r(4 / 6),
    "resolution": _r(3 / 5),  # cannot_by_policy is not a failure: out of the denominator
    "satisfaction": _r(3 / 4),
    "bad_review": _r(1 / 4),
    "overdue": _r(2 / 6),
    "transfer": _r(1 / 6),
    "return": _r(1 / 6),
    "reopen": _r(1 / 4),
    "rectification": None,
    "callback": None,
}
RANGE = (datetime(2026, 9, 1).date(), datetime(2026, 11, 20).date())


@pytest.mark.parametrize("use_rollup", [False, True])
def test_every_rate_by_hand(session, world, use_rollup):
    leader = principal_of(session, world, "leader")
    if use_rollup:
        service.refresh_rollup(session, None)
    out = service.overview(session, leader, *RANGE)
    assert out["counts"] == ALL
    assert out["rates"] == ALL_RATES
    assert out["lights"] == {"green": 0, "yellow": 0, "red": 1}


@pytest.mark.parametrize("use_rollup", [False, True])
def test_periods_are_local(session, world, use_rollup):
    leader = principal_of(session, world, "leader")
    if use_rollup:
        service.refresh_rollup(session, None)
    days = _registered(service.trend(session, leader, "day", *RANGE), "period")
    assert days == {"2026-09-30": 1, "2026-10-05": 3, "2026-10-20": 2}
    months = _registered(service.trend(session, leader, "month", *RANGE), "period")
    assert months == {"2026-09": 1, "2026-10": 5}
    quarters = service.trend(session, leader, "quarter", *RANGE)
    assert [(q["period"], q["counts"]["registered"]) for q in quarters] == [
        ("2026-Q3", 1),
        ("2026-Q4", 5),
    ]
    weeks = {t["period"] for t in service.trend(session, leader, "week", *RANGE)}
    assert weeks == {"2026-W40", "2026-W41", "2026-W43"}
    years = service.trend(session, leader, "year", *RANGE)
    assert years[0]["period"] == "2026" and years[0]["rates"] == ALL_RATES


def test_district_leader_sees_only_the_district(session, world):
    leader_a = principal_of(session, world, "leader_a")
    out = service.overview(session, leader_a, *RANGE)
    c = out["counts"]
    assert (c["registered"], c["resolved"], c["cannot_by_policy"], c["solved"]) == (3, 1, 1, 0)
    assert out["rates"]["resolution"] == 0.0
    assert out["rates"]["on_time"] == 1.0
    assert out["rates"]["overdue"] == _r(1 / 3)
    depts = _registered(service.breakdown(session, leader_a, "department", *RANGE))
    assert world.id("fund") not in depts
    assert depts[world.id("distA")] == 3


def test_department_rollup_and_dimensions(session, world):
    leader = principal_of(session, world, "leader")
    depts = {d["key"]: d for d in service.breakdown(session, leader, "department", *RANGE)}
    assert depts[world.id("city")]["counts"] == ALL
    assert depts[world.id("distA")]["counts"]["registered"] == 3
    assert depts[world.id("distA_street")]["counts"]["registered"] == 2  # street + community
    assert depts[world.id("fund")]["counts"]["registered"] == 3
    assert depts[world.id("distA")]["parent_id"] == world.id("city")
    own = _registered(service.breakdown(session, leader, "department", *RANGE, rollup_tree=False))
    assert world.id("city") not in own and own[world.id("distA_street")] == 1
    channels = _registered(service.breakdown(session, leader, "channel", *RANGE))
    assert channels == {"window": 4, "hotline": 1, "mobile": 1}
    kinds = _registered(service.breakdown(session, leader, "kind", *RANGE), "name")
    assert kinds == {"办不成事": 4, "投诉": 1, "咨询": 1}
    blockers = _registered(service.breakdown(session, leader, "blocker_type", *RANGE))
    assert blockers == {"missing_materials": 5, "system_failure": 1}


def test_assessment_ranks_and_bottom_two_running(session, world, settings):
    leader = principal_of(session, world, "leader")
    out = service.assessment(session, leader, settings, "department", "month", "2026-10", bottom=1)
    ranking = out["ranking"]
    assert [i["rank"] for i in ranking] == list(range(1, len(ranking) + 1))
    scores = [i["score"] for i in ranking if i["score"] is not None]
    assert scores == sorted(scores, reverse=True)
    fund = next(i for i in ranking if i["key"] == world.id("fund"))
    # fund, October: on_time 1/2, satisfaction 1/2, resolution 2/2, overdue 1/2
    assert fund["score"] == round(100 * (0.3 * 0.5 + 0.3 * 0.5 + 0.2 * 1 + 0.2 * 0.5), 2)
    assert out["previous"] == "2026-09"
    # September only fund had cases: it is last there, and it is last or not in October.
    bottom = {i["key"] for i in out["bottom_two_running"]}
    assert bottom <= {world.id("fund")}
    q = service.assessment(session, leader, settings, "department", "quarter", "2026-Q4")
    assert q["previous"] == "2026-Q3"


def test_rectification_and_callback_rates(session, world):
    from sqlalchemy import select

    from bancheng.feedback.models import CallbackTask, Evaluation, Rectification

    cases = session.scalars(select(Case).where(Case.jurisdiction == "T").order_by(Case.id)).all()
    bad, cbp, sample = cases[1], cases[2], cases[0]
    for i, (c, status) in enumerate(((bad, "done"), (cbp, "open"), (sample, "overturned"))):
        ev = Evaluation(case_id=c.id, round=1, rating="dissatisfied", source="public",
                        excluded=False, created_at=NOW)  # fmt: skip
        session.add(ev)
        session.flush()
        session.add(Rectification(case_id=c.id, evaluation_id=ev.id, department_id=world.id("fund"),
                                  due_date=NOW.date(), status=status, created_at=NOW))  # fmt: skip
        task_status = ("reached", "unreachable", "refused")[i]
        session.add(CallbackTask(case_id=c.id, department_id=world.id("fund"), reason="sample",
                                 status=task_status, created_at=NOW))  # fmt: skip
    session.flush()
    leader = principal_of(session, world, "leader")
    out = service.overview(session, leader, *RANGE)
    c = out["counts"]
    # overturned on appeal: not due; refused: reached but declined, counts as called back
    assert (c["rectify_due"], c["rectified"], c["callback_due"], c["called_back"]) == (2, 1, 3, 2)
    assert out["rates"]["rectification"] == 0.5
    assert out["rates"]["callback"] == _r(2 / 3)
    service.refresh_rollup(session, None)
    assert service.overview(session, leader, *RANGE)["rates"] == out["rates"]
