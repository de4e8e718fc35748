"""The rollup by data scope: every viewer's figures from the rollup equal live SQL; it is
kept current by marked days, today and deadlines passing; lights come from snapshots."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bancheng.cases.models import Case, CaseDepartment
from bancheng.core import clock
from bancheng.insights import metrics, service
from bancheng.insights import repository as repo
from bancheng.insights.models import CaseDailyStat, RollupDirtyDay
from bancheng.org.models import UserScopeDepartment
from bancheng.org.scope import principal_for
from tests.conftest import make_user, principal_of
from tests.insights.test_metrics import ALL, NOW, OCT5, RANGE, _case

D = timedelta(days=1)
H = timedelta(hours=1)


def _viewers(session: Any, org: Any) -> dict[str, Any]:
    dept_only = make_user(session, "leader_a_own", "leader", org.id("distA"), "dept")
    custom = make_user(session, "leader_custom", "leader", org.id("fund"), "custom")
    session.add(UserScopeDepartment(user_id=custom.id, department_id=org.id("distA_street")))
    session.flush()
    out = {k: principal_of(session, org, k) for k in ("leader", "leader_a", "handler_fund")}
    out["handler_b"] = principal_of(session, org, "handler_b")
    out["dept_only"] = principal_for(session, dept_only)
    out["custom"] = principal_for(session, custom)
    return out


def _live(session: Any, p: Any, dims: tuple[str, ...] = ()) -> dict[Any, dict[str, int]]:
    return metrics.fold(repo.live_rows(session, p, dims, *RANGE), "day", dims)


def _read(session: Any, p: Any, dims: tuple[str, ...] = ()) -> dict[Any, dict[str, int]]:
    return metrics.fold(repo.rows(session, p, dims, *RANGE), "day", dims)


def _same_as_live(session: Any, viewers: dict[str, Any]) -> None:
    for name, p in viewers.items():
        for dims in [(), *((d,) for d in repo.DIMENSIONS)]:
            assert _read(session, p, dims) == _live(session, p, dims), (name, dims)
        lights, _ = repo.light_totals(session, p)
        assert lights == repo.live_light_totals(session, p), name


def test_every_scope_reads_the_rollup_and_matches_live(session, world):
    viewers = _viewers(session, world)
    out = service.refresh(session)
    assert out["mode"] == "full" and out["ran"] is True
    scopes = {k: repo.rollup_scope(session, p) for k, p in viewers.items()}
    assert scopes == {
        "leader": "*",
        "leader_a": f"t:{world.id('distA')}",
        "handler_fund": f"t:{world.id('fund')}",  # a unit without units below: t: is d:
        "handler_b": f"t:{world.id('distB')}",
        "dept_only": f"d:{world.id('distA')}",
        "custom": None,  # a custom set of units: live SQL
    }
    _same_as_live(session, viewers)
    # The district's overview is served by its own rollup rows: 3 cases, as in the live test.
    rows = session.scalar(
        select(func.sum(CaseDailyStat.registered)).where(
            CaseDailyStat.scope == scopes["leader_a"], CaseDailyStat.dimension == "all"
        )
    )
    assert rows == 3
    assert service.overview(session, viewers["leader"], *RANGE)["counts"] == ALL


def test_changes_mark_their_day_and_the_refresh_recomputes_only_those(session, world):
    viewers = _viewers(session, world)
    service.refresh(session)
    case = session.scalars(
        select(Case).where(Case.state == "in_progress").order_by(Case.id)
    ).first()
    assert case is not None
    reg_day = clock.to_local(case.registered_at).date()
    case.state = "resolved"
    case.resolved_at = NOW - H
    case.rating = "satisfied"
    session.flush()
    assert session.scalars(select(RollupDirtyDay.day)).all() == [reg_day]
    stale = _read(session, viewers["leader_a"])
    assert stale != _live(session, viewers["leader_a"])  # until the refresh
    out = service.refresh(session)
    assert out["mode"] == "incremental"
    assert out["days"] == 2  # the marked day and today
    assert session.scalar(select(func.count()).select_from(RollupDirtyDay)) == 0
    _same_as_live(session, viewers)
    # A unit newly involved (a transfer) changes who sees the case: marked through the link.
    session.add(CaseDepartment(case_id=case.id, department_id=world.id("distB")))
    session.flush()
    assert session.scalars(select(RollupDirtyDay.day)).all() == [reg_day]
    service.refresh(session)
    _same_as_live(session, viewers)
    assert _read(session, viewers["handler_b"])  # distB now sees the case


def test_todays_cases_are_not_marked_but_always_refreshed(session, world):
    viewers = _viewers(session, world)
    service.refresh(session)
    _case(session, world, "distA_street", NOW - H, state="registered")
    session.flush()
    assert session.scalar(select(func.count()).select_from(RollupDirtyDay)) == 0
    today = clock.local_today()
    before = _read(session, viewers["leader_a"])
    assert (today.isoformat(),) not in before
    service.refresh(session)
    after = metrics.fold(repo.rows(session, viewers["leader_a"], (), today, today), None)
    assert after[(None,)]["registered"] == 1


def test_a_deadline_passing_is_picked_up_without_a_write(session, world):
    viewers = _viewers(session, world)
    c = _case(session, world, "distA_comm", OCT5, state="in_progress", due_at=NOW + 2 * H)
    session.flush()
    service.refresh(session)
    p = viewers["leader_a"]
    overdue = sum(v["overdue"] for v in _read(session, p).values())
    clock.set_clock(lambda: NOW + 3 * H)
    try:
        assert sum(v["overdue"] for v in _live(session, p).values()) == overdue + 1
        out = service.refresh(session)
        assert out["days"] == 2  # today and the case's registration day
        assert sum(v["overdue"] for v in _read(session, p).values()) == overdue + 1
        _same_as_live(session, viewers)
        lights, at = repo.light_totals(session, p)
        assert at == NOW + 3 * H and lights == repo.live_light_totals(session, p)
    finally:
        clock.set_clock(lambda: NOW)
    assert c.id


def test_an_upheld_appeal_takes_the_review_out_of_the_figures(session, world):
    from bancheng.feedback.models import Evaluation

    leader = principal_of(session, world, "leader")
    service.refresh(session)
    bad = session.scalars(
        select(Case).where(Case.rating == "dissatisfied").order_by(Case.id)
    ).first()
    assert bad is not None
    ev = Evaluation(case_id=bad.id, round=1, rating="dissatisfied", source="public",
                    excluded=False, created_at=NOW)  # fmt: skip
    session.add(ev)
    session.flush()
    service.refresh(session)
    counts = service.overview(session, leader, *RANGE)["counts"]
    assert (counts["rated"], counts["bad"]) == (ALL["rated"], ALL["bad"])
    ev.excluded = True
    session.flush()
    service.refresh(session)
    counts = service.overview(session, leader, *RANGE)["counts"]
    assert (counts["rated"], counts["satisfied"], counts["bad"]) == (
        ALL["rated"] - 1,
        ALL["satisfied"],
        ALL["bad"] - 1,
    )
    assert metrics.fold(repo.live_rows(session, leader, (), *RANGE), None)[(None,)] == counts


def test_a_change_of_the_tree_rebuilds_everything(session, world):
    _viewers(session, world)
    service.refresh(session)
    from bancheng.org.models import Department
    from bancheng.org.scope import clear_subtree_cache

    dept = session.get(Department, world.id("distA_comm"))
    new_parent = session.get(Department, world.id("distB"))
    dept.parent_id = new_parent.id
    dept.path = f"{new_parent.path}{dept.id}/"
    session.flush()
    clear_subtree_cache()
    out = service.refresh(session)
    assert out["mode"] == "full"
    moved = {k: principal_of(session, world, k) for k in ("leader_a", "handler_b")}
    assert f"t:{world.id('distB')}" == repo.rollup_scope(session, moved["handler_b"])
    _same_as_live(session, moved)


@pytest.mark.parametrize("dims", [(), ("department",), ("matter",)])
def test_rows_before_the_first_refresh_are_live(session, world, dims):
    p = principal_of(session, world, "leader_a")
    assert repo.rollup_state(session) is None
    assert _read(session, p, dims) == _live(session, p, dims)


def test_the_jobs_refresh_and_count_lights_at_their_own_pace(session, world, settings, db):
    from bancheng.core.jobs import JobRunRecord, run_job
    from bancheng.hooks import register_jobs
    from bancheng.insights import jobs as insights_jobs
    from bancheng.insights.models import LightSnapshot

    register_jobs()
    out = run_job(session, insights_jobs.NIGHTLY, settings, db=db)  # type: ignore[arg-type]
    assert out.ran  # after 02:00 local: the nightly pass, here the first (full) build
    assert repo.rollup_state(session) is not None
    assert session.get(JobRunRecord, insights_jobs.NIGHTLY).last_day == clock.local_today()
    again = run_job(session, insights_jobs.NIGHTLY, settings, db=db)  # type: ignore[arg-type]
    assert (again.ran, again.reason) == (False, "not_due")  # once a day
    insights_jobs._LightPace.due = 0.0
    assert run_job(session, insights_jobs.REFRESH, settings, db=db).ran  # type: ignore[arg-type]
    first = session.get(LightSnapshot, "*")
    assert first is not None and (first.green, first.yellow, first.red) == (0, 0, 1)
    _case(session, world, "fund", NOW - H, state="in_progress", due_at=NOW + 5 * D)
    session.flush()
    clock.set_clock(lambda: NOW + H)
    try:
        # counted lights a moment ago: the rollup is refreshed, lights are not
        assert run_job(session, insights_jobs.REFRESH, settings, db=db).ran  # type: ignore[arg-type]
        snap = session.get(LightSnapshot, "*")
        assert (snap.green, snap.computed_at) == (0, NOW)
        today = clock.local_today()
        got = metrics.fold(repo.rows(session, principal_of(session, world, "leader"), (),
                                     today, today), None)  # fmt: skip
        assert got[(None,)]["registered"] == 1
        insights_jobs._LightPace.due = 0.0
        # The interval has not passed: not due, unless forced.
        not_due = run_job(session, insights_jobs.REFRESH, settings, db=db)  # type: ignore[arg-type]
        assert (not_due.ran, not_due.reason) == (False, "not_due")
        run_job(session, insights_jobs.REFRESH, settings, db=db, force=True)  # type: ignore[arg-type]
        session.expire_all()
        snap = session.get(LightSnapshot, "*")
        assert (snap.green, snap.red, snap.computed_at) == (1, 1, NOW + H)
    finally:
        clock.set_clock(lambda: NOW)


def test_the_commands_rebuild_and_refresh(session, world, cli):
    import json

    res = cli("insights", "rollup")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["mode"] == "full"
    res = cli("insights", "refresh")
    out = json.loads(res.output)
    # Two open cases (A's community, A's centre): lights for *, and t: of the community,
    # the street, district A, the city and A's centre.
    assert (out["mode"], out["days"], out["light_scopes"]) == ("incremental", 1, 6)
    assert (
        service.overview(session, principal_of(session, world, "leader"), *RANGE)["counts"] == ALL
    )


def test_the_nightly_pass_recomputes_recent_days_whatever_was_marked(session, world):
    from sqlalchemy import update

    leader = principal_of(session, world, "leader")
    service.refresh(session)
    # A drift the marks cannot know of (say, a row changed by hand in the database).
    session.execute(
        update(CaseDailyStat)
        .where(CaseDailyStat.scope == "*", CaseDailyStat.dimension == "all")
        .values(registered=CaseDailyStat.registered + 10)
    )
    drifted = service.overview(session, leader, *RANGE)["counts"]["registered"]
    assert drifted == ALL["registered"] + 3 * 10  # three registration days
    service.refresh(session)
    assert service.overview(session, leader, *RANGE)["counts"]["registered"] == drifted
    out = service.refresh_rollup(session, 40)  # 2026-10-12 to today: holds Oct 20
    assert out["mode"] == "incremental" and out["days"] == 41
    assert service.overview(session, leader, *RANGE)["counts"]["registered"] == drifted - 10
    service.refresh_rollup(session, None)
    assert service.overview(session, leader, *RANGE)["counts"] == ALL
