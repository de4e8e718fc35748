"""Time-limit policies: the seeded defaults, look-up, validation, deadlines, lights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bancheng.core.errors import Conflict, Invalid, NotFound
from bancheng.sla import policies as pol
from bancheng.sla.arrangements import chinese_calendar_days
from bancheng.sla.models import SlaPolicy
from bancheng.sla.workdays import Deadline, WorkdayCalendar
from tests.sla.helpers import find_policy, unit_policy

SH = ZoneInfo("Asia/Shanghai")
_days = chinese_calendar_days()
CAL = WorkdayCalendar({e.date: e.kind for es in _days.values() for e in es})


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)  # type: ignore[misc]


def test_the_seeded_defaults(session):
    assert find_policy(session).name == "其他诉求 12 个工作日"
    assert find_policy(session, kind="consultation").name == "咨询 3 个工作日"
    assert find_policy(session, kind="complaint", difficulty="hard").resolution_limit == 12
    # An immediate consultation is still done the same day.
    assert find_policy(session, kind="consultation", difficulty="immediate").name == "即办 当日办结"


def test_deadlines_of_the_defaults(session):
    accepted = local(2026, 9, 24, 15, 0)
    general = pol.policy_deadlines(find_policy(session), CAL, accepted)
    assert general.resolution == Deadline(date(2026, 10, 19), False)
    assert general.response.date == date(2026, 9, 28)
    consult = pol.policy_deadlines(find_policy(session, kind="consultation"), CAL, accepted)
    assert consult.resolution.date == date(2026, 9, 30)
    immediate = pol.policy_deadlines(find_policy(session, difficulty="immediate"), CAL, accepted)
    assert immediate.resolution.date == date(2026, 9, 24)
    # 2 working hours from Thursday 15:00: 17:00 the same day.
    assert immediate.response.due_at == local(2026, 9, 24, 17, 0)
    assert immediate.provisional is False


def test_a_department_policy_applies_below_it(session, org):
    special = unit_policy(session, "甲区 5 个工作日", org.id("distA"), 5)
    assert find_policy(session, dept=org.id("distA_comm")).id == special.id
    assert find_policy(session, dept=org.id("distA")).id == special.id
    assert find_policy(session, dept=org.id("distB")).name == "其他诉求 12 个工作日"
    # The nearest department wins over a farther one, whatever their other keys.
    nearer = unit_policy(session, "东街道 4 个工作日", org.id("distA_street"), 4)
    assert find_policy(session, kind="consultation", dept=org.id("distA_comm")).id == nearer.id
    with pytest.raises(NotFound) as err:
        find_policy(session, dept=999_999)
    assert err.value.code == "org.department_not_found"


@dataclass
class P:
    id: int
    kind: str | None = None
    difficulty: str | None = None
    channel: str | None = None
    department_id: int | None = None
    priority: int = 0
    active: bool = True
    response_limit: float = 1
    response_unit: str = "working_days"
    resolution_limit: float = 12
    resolution_unit: str = "working_days"
    yellow_remaining: float | None = None
    yellow_fraction: float | None = None


def test_select_policy_ranking():
    rows = [
        P(1),
        P(2, kind="complaint"),
        P(3, kind="complaint", channel="hotline"),
        P(4, channel="hotline", priority=5),
        P(5, department_id=7),
        P(6, kind="complaint", active=False, priority=99),
    ]
    pick = pol.select_policy
    assert pick(rows, kind="help", difficulty="general", channel="window").id == 1
    assert pick(rows, kind="complaint", difficulty="general", channel="window").id == 2
    assert pick(rows, kind="complaint", difficulty="general", channel="hotline").id == 3
    assert pick(rows, kind="help", difficulty="general", channel="hotline").id == 4
    assert (
        pick(
            rows,
            kind="complaint",
            difficulty="general",
            channel="hotline",
            department_chain=[9, 7, 1],
        ).id
        == 5
    )
    assert pick(rows[1:4], kind="help", difficulty="general", channel="window") is None
    # Equal rank: the older policy.
    assert (
        pick([P(8, kind="help"), P(3, kind="help")], kind="help", difficulty="g", channel="w").id
        == 3
    )


GOOD = {
    "name": "测试",
    "response_limit": 4,
    "response_unit": "working_hours",
    "resolution_limit": 5,
    "resolution_unit": "working_days",
}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"resolution_limit": -1}, "sla.invalid_limit"),
        ({"resolution_limit": 1001}, "sla.invalid_limit"),
        ({"resolution_limit": 2.5}, "sla.invalid_limit"),
        ({"resolution_limit": "5"}, "sla.invalid_limit"),
        ({"response_limit": 0}, "sla.invalid_limit"),
        ({"response_unit": "days"}, "sla.invalid_unit"),
        ({"resolution_unit": "working_hours"}, "sla.invalid_unit"),
        ({"yellow_fraction": 1.5}, "sla.invalid_threshold"),
        ({"yellow_remaining": 6}, "sla.invalid_threshold"),
        ({"kind": "gossip"}, "sla.invalid_key"),
        ({"name": " "}, "sla.invalid_name"),
        ({"priority": 5000}, "sla.invalid_priority"),
        ({"colour": "red"}, "sla.invalid_key"),
    ],
)
def test_invalid_policies_are_refused(session, change, code):
    count = session.scalar(select(func.count()).select_from(SlaPolicy))
    with pytest.raises(Invalid) as err:
        pol.create_policy(session, **(GOOD | change))
    assert err.value.code == code
    assert session.scalar(select(func.count()).select_from(SlaPolicy)) == count


def test_duplicate_active_policies_conflict(session):
    pol.create_policy(session, **GOOD, kind="help")
    with pytest.raises(Conflict) as err:
        pol.create_policy(session, **GOOD, kind="help")
    assert err.value.code == "sla.policy_duplicate"
    # Inactive, or at another priority, it may coexist.
    pol.create_policy(session, **GOOD, kind="help", active=False)
    pol.create_policy(session, **GOOD, kind="help", priority=1)


def test_update_policy(session):
    policy = find_policy(session, kind="consultation")
    updated = pol.update_policy(session, policy.id, resolution_limit=5)
    assert updated.resolution_limit == 5
    assert find_policy(session, kind="consultation").resolution_limit == 5
    with pytest.raises(Invalid) as err:
        pol.update_policy(session, policy.id, resolution_limit=-3)
    assert err.value.code == "sla.invalid_limit"
    assert session.get(SlaPolicy, policy.id).resolution_limit == 5
    with pytest.raises(NotFound) as err2:
        pol.update_policy(session, 999_999, resolution_limit=5)
    assert err2.value.code == "sla.policy_not_found"
    pol.update_policy(session, policy.id, active=False)
    assert find_policy(session, kind="consultation").name == "其他诉求 12 个工作日"


def test_seed_default_policies_only_fills_an_empty_table(session):
    assert pol.seed_default_policies(session) == 0
    for p in pol.list_policies(session):
        session.delete(p)
    session.flush()
    assert pol.seed_default_policies(session, "jiaxiang") == 3
    assert find_policy(session, difficulty="hard").resolution_limit == 7
    assert find_policy(session).resolution_limit == 3
    with pytest.raises(Invalid):
        pol.seed_default_policies(session, "nowhere")


def test_lights():
    """The light of a running case (``cases/case_clock``): yellow from ``_yellow_at``, red
    from the deadline."""
    from types import SimpleNamespace

    from bancheng.cases.case_clock import _yellow_at, light_at

    accepted = local(2026, 9, 24, 15, 0)
    deadline = CAL.add_workdays(accepted, 12)  # 2026-10-19

    def light(policy: P, due: Deadline, *when: int) -> str | None:
        yellow = _yellow_at(policy, CAL, accepted, due.date, due.due_at, 0)  # type: ignore[arg-type]
        case = SimpleNamespace(
            merged_into_id=None, state="in_progress", due_at=due.due_at, yellow_at=yellow
        )
        return light_at(case, local(*when))  # type: ignore[arg-type]

    by_days = P(1, yellow_remaining=2)
    assert light(by_days, deadline, 2026, 10, 14, 12, 0) == "green"  # 3 working days left
    assert light(by_days, deadline, 2026, 10, 15, 9, 0) == "yellow"  # 10/15, 10/16, 10/19 left
    assert light(by_days, deadline, 2026, 10, 19, 23, 59) == "yellow"
    assert light(by_days, deadline, 2026, 10, 20, 0, 0) == "red"
    # Half of the 12 working days used: yellow when 6 are left after today, from the
    # make-up working Saturday 10/10 (10/12 to 10/16 and 10/19 left after it).
    by_fraction = P(1, yellow_fraction=0.5)
    assert light(by_fraction, deadline, 2026, 10, 9, 23, 59) == "green"
    assert light(by_fraction, deadline, 2026, 10, 10, 0, 0) == "yellow"
    hours = CAL.add_calendar_hours(accepted, 48)
    by_hours = P(1, resolution_limit=48, resolution_unit="calendar_hours", yellow_remaining=12)
    assert light(by_hours, hours, 2026, 9, 26, 2, 59) == "green"
    assert light(by_hours, hours, 2026, 9, 26, 3, 0) == "yellow"  # 12 h before 9/26 15:00
    assert light(by_hours, hours, 2026, 9, 26, 15, 0) == "red"
