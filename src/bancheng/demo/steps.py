"""The lifecycle steps of a demo case, by scenario: which action, by whom, after how long,
with which fields (the wording comes from ``data/texts.json``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bancheng.demo.data import (
    AGENCY_NAMES,
    CITY_AGENCIES,
    CONFUSABLE,
    DISTRICT_AGENCIES_COUNTY,
    DISTRICT_AGENCIES_URBAN,
    DISTRICTS,
    GOOD_RATINGS,
    NO_HANDLER,
    REOPEN_REASONS,
    TEXTS,
    agency_full,
)

if TYPE_CHECKING:
    from bancheng.demo.plan import Plan


@dataclass
class Step:
    action: str
    actor: str  # "clerk" | "handler" (of the unit that has the case) | "supervisor"
    delay: int  # minutes after the previous step, before office-hour adjustment
    fields: dict[str, Any] = field(default_factory=dict)
    expect: str | None = None  # a refusal code this step is expected to end with


def weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def fmt(text: str, slots: dict[str, Any]) -> str:
    return text.format(**slots)


def _wrong(rng: random.Random, right: str, avoid: set[str]) -> str:
    base = right.split(".")[-1]
    options = [k for k in CONFUSABLE.get(base, ()) if k not in avoid and k != right]
    if not options:
        options = [
            k
            for k, _n, _s in CITY_AGENCIES
            if k not in avoid and k != right and k not in NO_HANDLER
        ]
    return rng.choice(options)


def build_steps(
    rng: random.Random, plan: Plan, materials: list[str], max_transfers: int
) -> list[Step]:
    tpl = plan.template
    s = plan.slots
    resolution = fmt(tpl.resolution, s)
    explained = tpl.kind in ("consultation", "suggestion")
    dept = plan.dept
    steps: list[Step] = []

    def add(
        action: str, actor: str, lo: int, hi: int, expect: str | None = None, **fields: Any
    ) -> None:
        steps.append(Step(action, actor, rng.randint(lo, hi), fields, expect))

    def transfer(lo: int, hi: int, to: str, text: str, expect: str | None = None) -> None:
        """The handler transfers the case to ``to``, with the reason ``TEXTS[text]``."""
        reason = TEXTS[text].format(department=_dept_label(to, s))
        add("transfer", "handler", lo, hi, expect, department=to, reason=reason)

    def policy_fields() -> dict[str, Any]:
        assert tpl.policy is not None
        exp, alt, owner = (fmt(p, s) for p in tpl.policy)
        return {
            "outcome": "cannot_by_policy",
            "resolution": resolution,
            "policy_explanation": exp,
            "alternative": alt,
            "alternative_owner": owner,
        }

    def notice(text: str) -> str:
        items = "；".join(f"{i}.{m}" for i, m in enumerate(materials, 1))
        return str(TEXTS["notice"]).format(text=text, items=items)

    def feedback(actor: str, lo: int = 30, hi: int = 600, text: str | None = None) -> None:
        add(
            "give_feedback",
            actor,
            lo,
            hi,
            notification_text=notice(text or resolution),
            notification_materials=list(materials),
        )

    def good_rating() -> str:
        return weighted(rng, GOOD_RATINGS)

    def evaluate_and_close(rating: str | None = None, callback_days: bool = True) -> None:
        if rng.random() < 0.12 and rating is None:
            add("close", "clerk", 60, 3 * 1440)  # the reporter did not evaluate
            return
        if callback_days:
            add("evaluate", "clerk", 600, 3 * 1440, rating=rating or good_rating())
        else:
            add("evaluate", "clerk", 1, 8, rating=rating or good_rating())
        add("close", "clerk", 20, 1440)

    def handle(
        first: str, resolve_fields: dict[str, Any] | None = None, classify: bool = False
    ) -> None:
        """dispatch → accept → start → resolve, with the department doing the work."""
        add("dispatch", "clerk", 10, 240, department=first)
        add("accept", "handler", 20, 360)
        add("start", "handler", 5, 180)
        if classify:
            add("classify", "handler", 30, 600, nature="hard_to_do")
        work = (3 * 1440, 7 * 1440) if plan.difficulty == "hard" else (600, 3 * 1440)
        add(
            "resolve",
            "handler",
            *work,
            **(
                resolve_fields
                or {"outcome": "explained" if explained else "done", "resolution": resolution}
            ),
        )

    def after_resolve() -> None:
        feedback("clerk" if rng.random() < 0.65 else "handler")
        evaluate_and_close()

    sc = plan.scenario
    hard_classify = plan.difficulty == "hard" and rng.random() < 0.5
    spot_fields: dict[str, Any] = {
        "outcome": "explained" if explained else "done",
        "resolution": resolution,
    }

    if sc in ("spot_closed", "spot_resolved", "spot_feedback"):
        add("resolve_on_spot", "clerk", 8, 45, **spot_fields)
        if sc == "spot_resolved":
            return steps
        feedback("clerk", 1, 15, text=resolution)
        if sc == "spot_feedback":
            return steps
        evaluate_and_close(callback_days=rng.random() < 0.3)
    elif sc == "spot_policy":
        add("resolve_on_spot", "clerk", 10, 50, **policy_fields())
        feedback("clerk", 1, 15)
        evaluate_and_close(
            rating=rng.choice(("satisfied", "basically_satisfied", "very_satisfied")),
            callback_days=False,
        )
    elif sc == "immediate_dispatched":
        handle(dept)
        after_resolve()
    elif sc in ("flow_closed", "flow_resolved", "flow_feedback", "flow_evaluated"):
        handle(dept, classify=hard_classify)
        if sc == "flow_resolved":
            return steps
        feedback("clerk" if rng.random() < 0.65 else "handler")
        if sc == "flow_feedback":
            return steps
        if sc == "flow_evaluated":
            add("evaluate", "clerk", 600, 3 * 1440, rating=good_rating())
            return steps
        evaluate_and_close()
    elif sc == "evaluated_dissatisfied":
        # A bad review waiting for verification and rectification (or a reopen).
        handle(dept)
        feedback("clerk")
        add("evaluate", "clerk", 600, 2 * 1440, rating="dissatisfied")
    elif sc == "flow_policy":
        handle(dept, resolve_fields=policy_fields())
        feedback("clerk")
        evaluate_and_close(rating=rng.choice(("basically_satisfied", "satisfied")))
    elif sc == "policy_closed_by_supervisor":
        handle(dept, resolve_fields=policy_fields())
        feedback("clerk")
        add("evaluate", "clerk", 600, 2 * 1440, rating="very_dissatisfied")
        add(
            "close",
            "supervisor",
            1440,
            4 * 1440,
            reason=TEXTS["supervisor_close"],
        )
    elif sc in ("returned_closed", "returned_waiting"):
        wrong = _wrong(rng, dept, set())
        add("dispatch", "clerk", 10, 240, department=wrong)
        if rng.random() < 0.5:
            add("accept", "handler", 20, 240)
        right_name = _dept_label(dept, s)
        add(
            "return",
            "handler",
            30,
            480,
            suggested=dept,
            reason=TEXTS["return"].format(department=right_name),
        )
        if sc == "returned_waiting":
            return steps
        handle(dept)
        after_resolve()
    elif sc == "transferred_closed" and max_transfers >= 1:
        wrong = _wrong(rng, dept, set())
        add("dispatch", "clerk", 10, 240, department=wrong)
        add("accept", "handler", 20, 300)
        add("start", "handler", 10, 240)
        transfer(60, 2 * 1440, dept, "transfer")
        add("accept", "handler", 20, 300)
        add("start", "handler", 5, 120)
        work = (2 * 1440, 6 * 1440) if plan.difficulty == "hard" else (600, 3 * 1440)
        add("resolve", "handler", work[0], work[1], **spot_fields)
        after_resolve()
    elif sc in ("transfer_limit_open", "transfer_limit_closed", "transferred_closed"):
        # Passed from unit to unit until the limit; the next transfer is refused and the
        # case is flagged for the supervisor (joint meeting / task force).
        chain = [_wrong(rng, dept, set())]
        while len(chain) < max_transfers:
            chain.append(_wrong(rng, chain[-1], set(chain) | {dept}))
        chain.append(dept)
        chain = chain[-(max_transfers + 1) :]
        add("dispatch", "clerk", 10, 240, department=chain[0])
        for nxt in chain[1:]:
            add("accept", "handler", 30, 600)
            transfer(240, 3 * 1440, nxt, "transfer_chain")
        add("accept", "handler", 30, 600)
        add("start", "handler", 10, 240)
        extra = _wrong(rng, dept, set(chain))
        transfer(600, 3 * 1440, extra, "transfer_over_limit", "case.transfer_limit_reached")
        if sc == "transfer_limit_open":
            return steps
        add("classify", "handler", 1440, 3 * 1440, nature="hard_to_do")
        add(
            "resolve",
            "handler",
            5 * 1440,
            10 * 1440,
            outcome="done",
            resolution=TEXTS["joint_meeting"].format(
                department=_dept_label(dept, s), resolution=resolution
            ),
        )
        after_resolve()
    elif sc in ("suspended_closed", "suspended_open"):
        handle_until_start = [
            ("dispatch", "clerk", 10, 240),
            ("accept", "handler", 20, 360),
            ("start", "handler", 5, 180),
        ]
        for action, actor, lo, hi in handle_until_start:
            add(action, actor, lo, hi, **({"department": dept} if action == "dispatch" else {}))
        add(
            "suspend",
            "handler",
            120,
            2 * 1440,
            reason=TEXTS["suspend"].format(doc=s["doc"], doc2=s["doc2"]),
        )
        if sc == "suspended_open":
            return steps
        add("resume", "handler", 2 * 1440, 8 * 1440)
        add("resolve", "handler", 120, 2 * 1440, **spot_fields)
        after_resolve()
    elif sc in ("reopened_closed", "reopened_open"):
        handle(dept)
        feedback("clerk")
        add(
            "evaluate",
            "clerk",
            600,
            3 * 1440,
            rating=rng.choice(("dissatisfied", "dissatisfied", "very_dissatisfied")),
        )
        add("reopen", "clerk", 60, 1440, reason=rng.choice(REOPEN_REASONS))
        if sc == "reopened_open":
            return steps
        add("start", "handler", 30, 600)
        add(
            "resolve",
            "handler",
            1440,
            4 * 1440,
            outcome="done",
            resolution=TEXTS["redo"].format(resolution=resolution),
        )
        feedback("clerk")
        add("evaluate", "clerk", 600, 3 * 1440, rating=good_rating())
        add("close", "clerk", 20, 1440)
    elif sc == "open_registered":
        pass
    elif sc in ("open_dispatched", "open_accepted", "open_in_progress"):
        add("dispatch", "clerk", 10, 180, department=dept)
        if sc == "open_dispatched":
            return steps
        add("accept", "handler", 20, 300)
        if sc == "open_accepted":
            return steps
        add("start", "handler", 5, 180)
        if hard_classify:
            add("classify", "handler", 30, 600, nature="hard_to_do")
    else:  # pragma: no cover - every scenario is listed above
        raise ValueError(sc)
    return steps


def _dept_label(key: str, slots: dict[str, Any]) -> str:
    if "." in key:
        district_key, agency = key.split(".")
        district = next(d for d in DISTRICTS if d[0] == district_key)
        suffix = dict(DISTRICT_AGENCIES_URBAN + DISTRICT_AGENCIES_COUNTY)[agency]
        return district[1] + suffix
    return agency_full(AGENCY_NAMES[key]) if key in AGENCY_NAMES else key
