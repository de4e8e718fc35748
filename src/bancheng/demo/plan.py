"""Stage 1 of the demo: :func:`plan_cases` (pure, no database, no clock) decides which
scenario each case follows, its template, reporter, channel and lifecycle steps."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bancheng.cases.enums import BlockerType, Channel, Difficulty, Kind
from bancheng.demo.data import (
    BRANDS,
    CHANNEL_WEIGHTS,
    DISTRICT_AGENCIES_COUNTY,
    DISTRICT_AGENCIES_URBAN,
    DISTRICTS,
    ESTATES,
    INDUSTRIES,
    INDUSTRY_FOR,
    MATTER_BY_CODE,
    REMAINDER,
    RURAL_COMMUNITIES,
    SCENARIOS,
    TEMPLATES,
    TEXTS,
    URBAN_COMMUNITIES,
    WINDOW_TOPICS,
    Template,
)
from bancheng.demo.people import chinese_name, credit_code, id_number, mobile_number
from bancheng.demo.steps import Step, build_steps, fmt, weighted

SPAN_DAYS = 183  # cases spread over the last six months


@dataclass
class Plan:
    idx: int
    scenario: str
    pool: str
    recency: tuple[float, float] | None
    centre: str  # "city" or a district key
    clerk: str
    channel: str
    template: Template
    difficulty: str
    dept: str  # key of the responsible department (stuck department)
    slots: dict[str, Any]
    reporter: dict[str, Any]
    title: str = ""
    description: str = ""
    steps: list[Step] = field(default_factory=list)
    age_days: float = 0.0


def _scenario_counts(n_cases: int) -> list[str]:
    names: list[str] = []
    for name, _pool, share, _recency in SCENARIOS:
        names.extend([name] * max(1, round(share * n_cases)))
    names = names[:n_cases]
    rest = n_cases - len(names)
    first = round(rest * REMAINDER[0][2])
    names.extend([REMAINDER[0][0]] * first)
    names.extend([REMAINDER[1][0]] * (rest - first))
    return names


def _pools() -> dict[str, list[Template]]:
    flow = [t for t in TEMPLATES if t.mode in ("flow", "either") and t.agency != "centre"]
    return {
        "spot": [t for t in TEMPLATES if t.mode in ("spot", "either")],
        "spot_dept": [
            t for t in TEMPLATES if t.mode in ("spot", "either") and t.agency != "centre"
        ],
        "flow": flow,
        "policy": [t for t in TEMPLATES if t.policy is not None],
        "policy_spot": [t for t in TEMPLATES if t.policy is not None],
        "tangle": [
            t
            for t in flow
            if t.difficulty == "hard" and t.blocker in ("cross_department", "legacy")
        ],
        "materials": [
            t
            for t in flow
            if t.matter is not None and t.blocker in ("missing_materials", "rigid_policy", "other")
        ],
    }


SCENARIO_INFO = {name: (pool, recency) for name, pool, _s, recency in SCENARIOS}
SCENARIO_INFO.update({name: (pool, None) for name, pool, _s in REMAINDER})


def _difficulty(scenario: str, template: Template) -> str:
    if scenario.startswith("spot") or scenario == "immediate_dispatched":
        return "immediate"
    if template.difficulty == "immediate":
        return "general"
    return template.difficulty


def plan_cases(seed: int, n_cases: int, max_transfers: int = 2) -> list[Plan]:
    """Every case of the demo, deterministically from the seed: no database, no clock."""
    rng = random.Random(seed)
    scenarios = _scenario_counts(n_cases)
    rng.shuffle(scenarios)
    pools = _pools()
    cursors: dict[str, list[Template]] = {}

    def next_template(pool: str) -> Template:
        queue = cursors.get(pool)
        if not queue:
            queue = list(pools[pool])
            rng.shuffle(queue)
            cursors[pool] = queue
        return queue.pop()

    plans: list[Plan] = []
    for idx, scenario in enumerate(scenarios):
        pool, recency = SCENARIO_INFO[scenario]
        template = next_template(pool)
        centre = "city" if rng.random() < 0.72 else rng.choice(DISTRICTS)[0]
        channel = weighted(rng, CHANNEL_WEIGHTS)
        if centre != "city" and channel == "director_hotline":
            channel = "hotline"
        clerk = rng.choice(("clerk", "clerk", "clerk2")) if centre == "city" else f"clerk_{centre}"
        plan = Plan(
            idx=idx,
            scenario=scenario,
            pool=pool,
            recency=recency,
            centre=centre,
            clerk=clerk,
            channel=channel,
            template=template,
            difficulty=_difficulty(scenario, template),
            dept="",
            slots=_slots(rng, centre),
            reporter={},
        )
        plans.append(plan)

    _ensure_coverage(plans, pools)

    for plan in plans:
        _fill(rng, plan, max_transfers)
    return plans


def _slots(rng: random.Random, centre: str) -> dict[str, Any]:
    district = (
        next(d for d in DISTRICTS if d[0] == centre) if centre != "city" else rng.choice(DISTRICTS)
    )
    street = rng.choice(district[3])
    pool = RURAL_COMMUNITIES if district[2] and not street.endswith("街道") else URBAN_COMMUNITIES
    brand = rng.choice(BRANDS)
    return {
        "district": district[1],
        "district_key": district[0],
        "street": street,
        "community": street + rng.choice(pool),
        "estate": rng.choice(ESTATES),
        "brand": brand,
        "company": TEXTS["company"].format(brand=brand, industry=rng.choice(INDUSTRIES)),
        "times": rng.randint(2, 5),
        "months": rng.randint(2, 8),
        "years": rng.randint(2, 12),
        "days": rng.randint(3, 15),
        "year": rng.randint(1998, 2016),
        "age": rng.randint(66, 92),
        "fee": rng.choice((500, 800, 1200, 2000, 3000, 5000)),
        "window": rng.choice(WINDOW_TOPICS),
    }


def _attr(plan: Plan, attr: str) -> str:
    if attr == "difficulty":
        return plan.difficulty
    return str(getattr(plan.template, attr))


def _ensure_coverage(plans: list[Plan], pools: dict[str, list[Template]]) -> None:
    """Make every kind, blocker type, difficulty and staff channel appear at least once,
    by swapping a template (or channel) where that removes nothing else's last case."""
    attrs = ("kind", "blocker", "difficulty")
    wanted: dict[str, list[str]] = {
        "kind": [k.value for k in Kind],
        "blocker": [b.value for b in BlockerType],
        "difficulty": [d.value for d in Difficulty],
    }
    for attr in attrs:
        for value in wanted[attr]:
            if any(_attr(p, attr) == value for p in plans):
                continue
            for plan in plans:
                counts = {a: Counter(_attr(p, a) for p in plans) for a in attrs}
                if any(counts[a][_attr(plan, a)] <= 1 for a in attrs):
                    continue
                cands = [
                    t
                    for t in pools[plan.pool]
                    if str(
                        getattr(t, attr) if attr != "difficulty" else _difficulty(plan.scenario, t)
                    )
                    == value
                ]
                if cands:
                    plan.template = cands[0]
                    plan.difficulty = _difficulty(plan.scenario, plan.template)
                    break
    for channel in (c for c in Channel if c != Channel.mobile):
        per_channel = Counter(p.channel for p in plans)
        if per_channel[channel.value]:
            continue
        for plan in plans:
            if per_channel[plan.channel] > 1 and (
                channel != "director_hotline" or plan.centre == "city"
            ):
                plan.channel = channel.value
                break


def _reporter(rng: random.Random, plan: Plan) -> dict[str, Any]:
    name = chinese_name(rng)
    rep: dict[str, Any] = {"type": "person", "name": name, "phone": mobile_number(rng)}
    if plan.template.reporter == "enterprise":
        rep.update(type="enterprise", org_name=plan.slots["company"], credit_code=credit_code(rng))
    elif rng.random() < 0.45:
        rep["id_number"] = id_number(rng)
    return rep


def _responsible(rng: random.Random, plan: Plan) -> str:
    """The department key the case belongs to: a district agency for district cases when
    the district has one, otherwise the city agency."""
    agency = plan.template.agency
    if agency == "centre":
        return "centre:" + plan.centre
    if plan.centre != "city":
        district = next(d for d in DISTRICTS if d[0] == plan.centre)
        keys = {
            k for k, _ in (DISTRICT_AGENCIES_COUNTY if district[2] else DISTRICT_AGENCIES_URBAN)
        }
        if agency in keys and rng.random() < 0.7:
            return f"{plan.centre}.{agency}"
    return agency


def _fill(rng: random.Random, plan: Plan, max_transfers: int) -> None:
    tpl = plan.template
    plan.dept = _responsible(rng, plan)
    if tpl.reporter == "enterprise" and tpl.matter in INDUSTRY_FOR:
        industry = rng.choice(INDUSTRY_FOR[tpl.matter])
        plan.slots["company"] = TEXTS["company"].format(
            brand=plan.slots["brand"], industry=industry
        )
    matter = MATTER_BY_CODE.get(tpl.matter or "")
    materials = list(matter[3]) if matter else list(TEXTS["default_materials"])
    docs = rng.sample(materials, 2) if len(materials) >= 2 else materials * 2
    plan.slots.update(
        doc=docs[0], doc2=docs[1], matter=matter[1] if matter else TEXTS["default_matter"]
    )
    plan.title = fmt(tpl.title, plan.slots)[:200]
    plan.description = fmt(tpl.description, plan.slots)
    plan.reporter = _reporter(rng, plan)
    plan.steps = build_steps(rng, plan, materials, max_transfers)
    if plan.recency is None:
        # Volumes fall over the period (the window gets quieter as the centre improves,
        # as in Yinchuan): mostly a density falling linearly to the present, where the
        # still-open cases (registered recently, by their scenario) fill in.
        x = rng.random() if rng.random() < 0.15 else 1 - (1 - rng.random()) ** 0.5
        plan.age_days = SPAN_DAYS * (1 - x)
    else:
        plan.age_days = rng.uniform(*plan.recency)
