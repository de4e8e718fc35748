"""``bancheng demo load``: a realistic city, accounts for every role, and cases in every
state, written through the project's own services."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import chinese_calendar
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng import demo
from bancheng.cases import service
from bancheng.cases.enums import BAD_RATINGS, BlockerType, Channel, Kind, State
from bancheng.cases.models import Case, CaseEvent
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.errors import Conflict
from bancheng.core.validators import (
    credit_code_is_valid,
    id_number_is_valid,
    normalize_phone,
)
from bancheng.org import auth
from bancheng.org import service as org_service
from bancheng.org.models import Department, Hall, Matter, ServiceWindow, User
from bancheng.org.permissions import ROLES
from tests.conftest import TEST_PASSWORD

SEED = 7
N = 60
# A fixed "now" makes the whole load deterministic; six months back crosses a year, so
# numbering restarts (BC-2025-…, BC-2026-…).
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai

# The state each scenario ends in.
FINAL_STATE = {
    "spot_closed": "closed",
    "spot_resolved": "resolved",
    "spot_feedback": "feedback_given",
    "spot_policy": "closed",
    "immediate_dispatched": "closed",
    "flow_closed": "closed",
    "flow_policy": "closed",
    "returned_closed": "closed",
    "returned_waiting": "registered",
    "transferred_closed": "closed",
    "transfer_limit_open": "in_progress",
    "transfer_limit_closed": "closed",
    "suspended_closed": "closed",
    "suspended_open": "suspended",
    "reopened_closed": "closed",
    "reopened_open": "reopened",
    "open_registered": "registered",
    "open_dispatched": "dispatched",
    "open_accepted": "accepted",
    "open_in_progress": "in_progress",
    "flow_resolved": "resolved",
    "flow_feedback": "feedback_given",
    "flow_evaluated": "evaluated",
    "evaluated_dissatisfied": "evaluated",
    "policy_closed_by_supervisor": "closed",
}


def test_every_scenario_has_a_final_state() -> None:
    names = {s[0] for s in demo.SCENARIOS} | {s[0] for s in demo.REMAINDER}
    assert names == set(FINAL_STATE)


def test_generator_is_deterministic() -> None:
    a = demo.plan_cases(SEED, N)
    b = demo.plan_cases(SEED, N)
    other = demo.plan_cases(SEED + 1, N)
    assert [p.title for p in a] == [p.title for p in b]
    assert [(p.reporter, p.scenario, p.channel, p.dept) for p in a] == [
        (p.reporter, p.scenario, p.channel, p.dept) for p in b
    ]
    assert [[(s.action, s.delay, s.fields) for s in p.steps] for p in a] == [
        [(s.action, s.delay, s.fields) for s in p.steps] for p in b
    ]
    assert [p.title for p in a] != [p.title for p in other]
    assert len(a) == N
    assert Counter(FINAL_STATE[p.scenario] for p in a).keys() == {s.value for s in State}


def test_generated_identifiers_are_valid() -> None:
    rng = random.Random(1)
    for _ in range(500):
        phone = demo.mobile_number(rng)
        assert normalize_phone(phone) == phone
        assert id_number_is_valid(demo.id_number(rng))
        assert credit_code_is_valid(demo.credit_code(rng))


def test_templates_fill_and_fit() -> None:
    assert 40 <= len(demo.TEMPLATES) <= 70
    assert 30 <= len(demo.MATTERS) <= 50
    for plan in demo.plan_cases(3, 300):
        assert plan.title and len(plan.title) <= 200
        assert "{" not in plan.title + plan.description
        for step in plan.steps:
            for value in step.fields.values():
                assert "{" not in str(value)


def test_demo_load(session: Session, settings: Settings) -> None:
    assert not demo.demo_is_loaded(session)
    summary = demo.load_demo(
        session, settings, password=TEST_PASSWORD, n_cases=N, seed=SEED, now=NOW
    )
    assert demo.demo_is_loaded(session)

    # The clock and the password hasher are restored.
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=1)
    assert org_service.hash_password is auth.hash_password

    # --- the organisation -----------------------------------------------------------
    depts = session.scalars(select(Department)).all()
    from bancheng.routing.models import RoutingTarget

    targets = {
        t.category: session.get(Department, t.department_id).name
        for t in session.scalars(select(RoutingTarget))
    }
    assert targets == {c: demo.CITY + n.removeprefix("市") for c, n in demo.ROUTING_TARGETS.items()}

    # --- the case library: published, anonymised cases drafted from resolved ones -------
    from bancheng.cases.models import CaseBlocker
    from bancheng.knowledge import service as library
    from bancheng.knowledge.models import LibraryCase

    libs = session.scalars(select(LibraryCase)).all()
    assert 5 <= len(libs) <= demo.LIBRARY_SIZE
    assert {lib.status for lib in libs} == {"published"}
    assert all(library.personal_data(lib) == [] and lib.solution.strip() for lib in libs)
    sources = {lib.source_case_id for lib in libs}
    names = set(session.scalars(select(Case.reporter_name).where(Case.id.in_(sources))))
    assert not any(n in lib.summary or n in lib.title for lib in libs for n in names if n)
    # Some cases stuck between departments are also short of materials.
    assert session.scalar(select(CaseBlocker).limit(1)) is not None
    by_level = Counter((d.level, d.kind) for d in depts)
    assert by_level[("city", "government")] == 1
    assert by_level[("city", "centre")] == 1
    assert by_level[("city", "agency")] >= 20
    assert by_level[("district", "government")] == len(demo.DISTRICTS)
    assert by_level[("district", "centre")] == len(demo.DISTRICTS)
    children: dict[int | None, list[Department]] = defaultdict(list)
    for d in depts:
        children[d.parent_id].append(d)
    for d in depts:
        if d.level == "district" and d.kind == "government":
            streets = [c for c in children[d.id] if c.level == "street"]
            assert 2 <= len(streets) <= 4
            for st in streets:
                assert 2 <= len([c for c in children[st.id] if c.level == "community"]) <= 3
    names = {d.name for d in depts}
    for expected in (
        "云川市住房公积金管理中心",
        "云川市不动产登记中心",
        "云川市政务服务中心",
        "云川市12345政务服务便民热线中心",
    ):
        assert expected in names

    halls = session.scalars(select(Hall)).all()
    centres = {d.id for d in depts if d.kind == "centre"}
    assert centres <= {h.department_id for h in halls}
    for hall in halls:
        windows = session.scalars(select(ServiceWindow).where(ServiceWindow.hall_id == hall.id))
        assert sum(w.is_feedback_window for w in windows) == 1
    matters = session.scalars(select(Matter)).all()
    assert 30 <= len(matters) <= 50
    assert all(m.materials and all(isinstance(x, str) for x in m.materials) for m in matters)

    # --- accounts: every role, usable with the demo password -------------------------
    users = session.scalars(select(User)).all()
    assert {u.role for u in users} == set(ROLES)
    assert not any(u.must_change_password for u in users)
    assert auth.verify_password(users[0].password_hash, TEST_PASSWORD)
    for u in users:
        assert u.username in summary
    assert TEST_PASSWORD not in summary
    assert {u.username for u in users} >= {
        "admin",
        "clerk",
        "supervisor",
        "leader",
        "handler_gjj",
        "clerk_jc",
        "handler_jc",
        "leader_jc",
    }

    # --- cases --------------------------------------------------------------------
    cases = session.scalars(select(Case).order_by(Case.registered_at, Case.id)).all()
    assert len(cases) == N
    plans = demo.plan_cases(SEED, N, settings.max_transfers)
    assert sorted(c.title for c in cases) == sorted(p.title for p in plans)
    expected_states = Counter(FINAL_STATE[p.scenario] for p in plans)
    assert Counter(c.state for c in cases) == expected_states
    assert {c.state for c in cases} == {s.value for s in State}
    assert {c.channel for c in cases} == {c.value for c in Channel} - {"mobile"}
    assert {c.kind for c in cases} == {k.value for k in Kind}
    assert {c.difficulty for c in cases} == {"immediate", "general", "hard"}
    assert {c.blocker_type for c in cases} == {b.value for b in BlockerType}
    assert {c.reporter_type for c in cases} == {"person", "enterprise"}

    # Numbers: consecutive per jurisdiction and year, in registration order.
    by_year: dict[tuple[str, int], list[int]] = defaultdict(list)
    for c in cases:
        by_year[(c.jurisdiction, c.year)].append(c.seq)
        assert c.number == f"{c.jurisdiction}-{c.year}-{c.seq:06d}"
        assert c.year == clock.to_local(c.registered_at).year
    assert {y for _j, y in by_year} == {2025, 2026}
    for seqs in by_year.values():
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))

    # Within the last six months, in office hours, before "now".
    for c in cases:
        local = clock.to_local(c.registered_at)
        assert NOW - timedelta(days=demo.SPAN_DAYS + 30) < c.registered_at <= NOW
        assert chinese_calendar.is_workday(local.date())
        assert (local.hour, local.minute) >= (8, 30) and local.hour < 18

    # Timelines: start with the registration, never go back in time, end in the state.
    events: dict[int, list[CaseEvent]] = defaultdict(list)
    for e in session.scalars(select(CaseEvent).order_by(CaseEvent.id)):
        events[e.case_id].append(e)
    for c in cases:
        tl = events[c.id]
        assert tl[0].action == "register"
        assert (tl[0].from_state, tl[0].to_state) == (None, "registered")
        assert tl[0].at == c.registered_at
        assert all(a.at <= b.at for a, b in itertools.pairwise(tl))
        assert tl[-1].at <= NOW
        moves = [e for e in tl if e.action not in ("flag_supervision", "classify")]
        assert moves[-1].to_state == c.state
        assert c.updated_at == tl[-1].at

    # Resolved on the spot: most immediate cases, straight from registration.
    immediate = [c for c in cases if c.difficulty == "immediate"]
    on_spot = [c for c in immediate if c.resolved_on_spot]
    assert len(on_spot) / len(immediate) >= 0.9
    assert len(on_spot) < len(immediate)  # and a few that needed a department
    for c in on_spot:
        assert events[c.id][1].action == "resolve_on_spot"
        assert events[c.id][1].from_state == "registered"

    # Transfer limit: refused at the limit and flagged for supervision.
    flagged = [c for c in cases if c.supervision_reason == "transfer_limit"]
    assert flagged
    for c in flagged:
        # Flagged while open; a resolved case no longer carries the flag (the reason stays).
        assert c.needs_supervision is (c.resolved_at is None)
        assert c.transfer_count == settings.max_transfers
        assert [e.action for e in events[c.id]].count("transfer") == settings.max_transfers
        assert any(e.action == "flag_supervision" for e in events[c.id])
    assert {c.state for c in flagged} >= {"in_progress", "closed"}
    assert all(c.transfer_count <= settings.max_transfers for c in cases)
    assert any(c.transfer_count == 1 and not c.needs_supervision for c in cases)

    # Returned with a reason and the unit that should take it.
    returned = [c for c in cases if c.return_count]
    assert returned
    for c in returned:
        ret = next(e for e in events[c.id] if e.action == "return")
        assert ret.reason and ret.details["suggested_department_id"]

    # No veto at the window: "cannot do" always says why, what instead, and who.
    policy = [c for c in cases if c.outcome == "cannot_by_policy"]
    assert policy
    assert any(c.resolved_on_spot for c in policy)
    for c in policy:
        assert c.nature == "cannot_by_policy"
        assert c.policy_explanation and c.alternative and c.alternative_owner

    # Suspended for materials, with the reason; some resumed later.
    suspends = [e for tl in events.values() for e in tl if e.action == "suspend"]
    assert suspends and all(e.reason and "补正" in e.reason for e in suspends)
    assert any(e.action == "resume" for tl in events.values() for e in tl)

    # Reopened only after a dissatisfied evaluation.
    reopens = [e for tl in events.values() for e in tl if e.action == "reopen"]
    assert reopens
    assert all(e.details["previous_rating"] in {r.value for r in BAD_RATINGS} for e in reopens)
    assert any(c.reopen_count and c.state == "closed" for c in cases)

    # Feedback is a one-time complete notification.
    for c in cases:
        if c.state in ("feedback_given", "evaluated", "closed"):
            assert c.notification_text and c.notification_text.startswith("一次性告知")

    # Mostly closed and satisfied.
    assert Counter(c.state for c in cases)["closed"] > N / 2
    ratings = [e.details["rating"] for tl in events.values() for e in tl if e.action == "evaluate"]
    good = [r for r in ratings if r not in {b.value for b in BAD_RATINGS}]
    assert 0.8 <= len(good) / len(ratings) < 1

    # Reporters: valid mainland phones, ID numbers and credit codes.
    for c in cases:
        revealed = service.reveal_reporter(c)
        assert revealed["phone"] is not None
        assert normalize_phone(revealed["phone"]) == revealed["phone"]
        if revealed["id_number"]:
            assert id_number_is_valid(revealed["id_number"])
        if c.reporter_type == "enterprise":
            assert c.reporter_org_name
            assert c.reporter_credit_code and credit_code_is_valid(c.reporter_credit_code)
    assert any(c.reporter_id_enc for c in cases)

    # Window cases are registered at a hall's feedback window.
    for c in cases:
        if c.channel == "window":
            window = session.get(ServiceWindow, c.window_id)
            assert window is not None and window.is_feedback_window
            assert window.hall_id == c.hall_id

    # The summary counts what was loaded.
    assert f"{N} cases" in summary
    assert "closed 已归档" in summary

    # Loading twice is refused; nothing is duplicated.
    with pytest.raises(Conflict) as err:
        demo.load_demo(session, settings, password=TEST_PASSWORD, n_cases=5, seed=SEED)
    assert err.value.code == "demo.already_loaded"


def test_demo_load_keeps_existing_admin(session: Session, settings: Settings) -> None:
    """A database that already has its first administrator still gets the demo."""
    org_service.create_first_admin(session, settings, "admin", "管理员", TEST_PASSWORD)
    summary = demo.load_demo(
        session, settings, password=TEST_PASSWORD, n_cases=30, seed=SEED + 1, now=NOW
    )
    assert "existing account" in summary
    assert len(session.scalars(select(Case)).all()) == 30


def test_demo_follows_the_database_calendar(session: Session, settings: Settings) -> None:
    """The demo's office days are the SLA calendar's (``bancheng.sla``), not its own: a
    week declared off gets no activity, and a declared make-up Saturday gets some."""
    from datetime import date

    from bancheng.sla.arrangements import DayEntry, chinese_calendar_days
    from bancheng.sla.calendar import write_years

    off = [date(2026, 3, d) for d in range(2, 7)]  # Monday to Friday
    makeup = date(2026, 3, 7)  # a Saturday
    entries = [e for e in chinese_calendar_days()[2026] if e.date not in {*off, makeup}]
    entries += [DayEntry(d, "holiday", "演示假期") for d in off]
    entries.append(DayEntry(makeup, "makeup_workday", "演示调休"))
    write_years(session, {2026: entries}, source="test")

    demo.load_demo(session, settings, password=TEST_PASSWORD, n_cases=N, seed=SEED, now=NOW)
    days = Counter(clock.to_local(at).date() for at in session.scalars(select(CaseEvent.at)))
    assert not any(days[d] for d in off)
    assert days[makeup] > 0
