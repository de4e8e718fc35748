"""Stage 3 of the demo: :func:`load_demo` builds the organisation, then replays the
cases in registration order through ``cases.service.create_case`` and
``cases.actions.perform`` with the clock moved to each instant, so that numbers,
timelines and timestamps are the real ones."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bancheng.cases import actions, service
from bancheng.cases.enums import (
    BAD_RATINGS,
    LABELS_ZH,
    BlockerType,
    Channel,
    Difficulty,
    Kind,
    State,
)
from bancheng.cases.models import Case
from bancheng.cases.schemas import ActionIn, CaseCreate, ReporterIn
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.errors import Conflict, DomainError
from bancheng.demo import repository
from bancheng.demo.data import CITY, CITY_CODE
from bancheng.demo.library import seed_library
from bancheng.demo.org import Org, build_org, one_hash_per_password, seed_routing_targets
from bancheng.demo.plan import SPAN_DAYS, Plan, plan_cases
from bancheng.demo.schedule import schedule
from bancheng.org import repository as org_repository
from bancheng.org.permissions import ROLE_LABELS_ZH
from bancheng.org.scope import Principal, principal_for
from bancheng.sla.calendar import load_calendar


def demo_is_loaded(session: Session) -> bool:
    return repository.any_department(session)


def load_demo(
    session: Session,
    settings: Settings,
    *,
    password: str,
    n_cases: int = 300,
    seed: int,
    now: datetime | None = None,
) -> str:
    """Build the demo city, its staff and ``n_cases`` cases; return a summary.

    Every lifecycle state, staff channel, kind, difficulty and blocker type is present from
    ``n_cases >= 25``. ``now`` (default: the clock) anchors the six months; the clock is
    restored afterwards whatever happens. Refused with ``demo.already_loaded`` when the
    demo city exists, and always under ``BANCHENG_ENV=production``."""
    if settings.env == "production":
        raise Conflict("demo.production", "生产环境不加载演示数据")
    if org_repository.department_code_taken(session, CITY_CODE):
        raise Conflict("demo.already_loaded", f"演示数据（{CITY}）已经存在")
    now = (now or clock.now()).astimezone(UTC)
    plans = plan_cases(seed, n_cases, settings.max_transfers)
    cal = load_calendar(session)
    schedules = {p.idx: schedule(cal, p, now) for p in plans}
    current = [now - timedelta(days=SPAN_DAYS + 40)]  # the organisation predates the cases
    clock.set_clock(lambda: current[0])
    # Six months of made-up history tell no one anything (no SMS, webhooks or notices).
    from bancheng.notify.messages import SUPPRESS

    session.info[SUPPRESS] = True
    try:
        with one_hash_per_password():
            org = build_org(session, settings, password, seed)
        seed_routing_targets(session)
        cases = _replay(session, settings, org, plans, schedules, current)
    finally:
        session.info.pop(SUPPRESS, None)
        clock.set_clock(None)
    # The accounts predate the cases, but their password was handed out just now: password
    # age (BANCHENG_PASSWORD_MAX_AGE_DAYS) starts today.
    for user in org.users.values():
        user.password_changed_at = now
    seed_library(session, principal_for(session, org.users["supervisor"]), cases)
    ratings = (
        [
            str(details.get("rating"))
            for details in repository.evaluation_details(session, [c.id for c in cases])
        ]
        if cases
        else []
    )
    return _summary(org, cases, ratings, now)


def _replay(
    session: Session,
    settings: Settings,
    org: Org,
    plans: list[Plan],
    schedules: dict[int, list[datetime]],
    current: list[datetime],
) -> list[Case]:
    principals: dict[str, Principal] = {}

    def principal(username: str) -> Principal:
        if username not in principals:
            principals[username] = principal_for(session, org.users[username])
        return principals[username]

    def dept_id(key: str) -> int:
        return org.depts[key].id

    created: list[Case] = []
    for plan in sorted(plans, key=lambda p: (schedules[p.idx][0], p.idx)):
        times = schedules[plan.idx]
        current[0] = times[0]
        hall, window = org.halls[
            plan.centre
            if plan.centre != "city"
            else ("city-enterprise" if plan.template.reporter == "enterprise" else "city")
        ]
        at_window = plan.channel == "window"
        matter = org.matters.get(plan.template.matter or "")
        data = CaseCreate(
            channel=Channel(plan.channel),
            kind=Kind(plan.template.kind),
            difficulty=Difficulty(plan.difficulty),
            blocker_type=BlockerType(plan.template.blocker),
            # A matter stuck between departments is often also short of materials.
            blocker_types=[BlockerType(plan.template.blocker), BlockerType.missing_materials]
            if plan.template.blocker == "cross_department" and plan.idx % 2 == 0
            else None,
            title=plan.title,
            description=plan.description,
            reporter=ReporterIn(**plan.reporter),
            matter_id=matter.id if matter else None,
            stuck_department_id=dept_id(plan.dept),
            hall_id=hall.id if at_window else None,
            window_id=window.id if at_window else None,
        )
        clerk = principal(plan.clerk)
        case, _ = service.create_case(session, settings, clerk, data)
        for step, at in zip(plan.steps, times[1:], strict=True):
            current[0] = at
            if step.actor == "clerk":
                actor = clerk
            elif step.actor == "supervisor":
                actor = principal("supervisor")
            else:
                actor = principal(org.handler_of[case.current_department_id])
            fields = dict(step.fields)
            if "department" in fields:
                fields["department_id"] = dept_id(fields.pop("department"))
            if "suggested" in fields:
                fields["suggested_department_id"] = dept_id(fields.pop("suggested"))
            body = ActionIn(version=case.version, **fields)
            try:
                actions.perform(session, settings, actor, case, step.action, body)
            except DomainError as exc:
                if exc.code != step.expect:
                    raise RuntimeError(
                        f"demo case {case.number} ({plan.scenario}): {step.action} refused: "
                        f"{exc.code}: {exc.detail}"
                    ) from exc
        created.append(case)
    session.flush()
    return created


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:.1f}%" if den else "n/a"


def _summary(org: Org, cases: list[Case], ratings: list[str], now: datetime) -> str:
    states = Counter(c.state for c in cases)
    channels = Counter(c.channel for c in cases)
    kinds = Counter(c.kind for c in cases)
    immediate = [c for c in cases if c.difficulty == "immediate"]
    on_spot = sum(1 for c in immediate if c.resolved_on_spot)
    bad = {r.value for r in BAD_RATINGS}
    satisfied = sum(1 for r in ratings if r not in bad)
    flagged = sum(1 for c in cases if c.needs_supervision)
    levels = Counter(d.level for d in org.depts.values())
    windows = len(org.halls)
    first = min((c.registered_at for c in cases), default=now)
    numbers = sorted(c.number for c in cases)

    def fmt(counter: Counter[str], group: str, order: list[str]) -> str:
        labels = LABELS_ZH[group]
        return ", ".join(f"{k} {labels.get(k, k)} {counter[k]}" for k in order if counter[k])

    paragraph = (
        f"Demo city {CITY} loaded: {len(org.depts)} departments (city {levels['city']}, "
        f"district {levels['district']}, street {levels['street']}, "
        f"community {levels['community']}), {windows} halls each with a 办不成事 feedback "
        f"window, {len(org.matters)} matters in the catalogue, {len(org.accounts)} staff "
        f"accounts. {len(cases)} cases registered between "
        f"{clock.to_local(first):%Y-%m-%d} and {clock.to_local(now):%Y-%m-%d}"
        + (f" ({numbers[0]} … {numbers[-1]})" if numbers else "")
        + f". By state: {fmt(states, 'state', [s.value for s in State])}. "
        f"By channel: {fmt(channels, 'channel', [c.value for c in Channel])}. "
        f"By kind: {fmt(kinds, 'kind', [k.value for k in Kind])}. "
        f"On-spot resolution {_pct(on_spot, len(immediate))} of immediate cases; "
        f"satisfaction {_pct(satisfied, len(ratings))} of {len(ratings)} evaluations "
        f"(including those later reopened); "
        f"{flagged} flagged for supervision after reaching the transfer limit."
    )
    width = max(len(a[0]) for a in org.accounts) + 2
    # ASCII columns first, so that the table lines up whatever the width of Chinese text.
    lines = [
        paragraph,
        "",
        "Demo staff accounts (all share the demo password):",
        f"{'username'.ljust(width)}{'role'.ljust(12)}{'scope'.ljust(16)}unit · name (post)",
    ]
    for username, role, scope, unit, who in org.accounts:
        lines.append(
            f"{username.ljust(width)}{role.ljust(12)}{scope.ljust(16)}"
            f"{ROLE_LABELS_ZH.get(role, role)} · {unit} · {who}"
        )
    return "\n".join(lines)
