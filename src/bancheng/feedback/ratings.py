"""好差评 after GB/T 39734-2020: the active indicator set of a channel type, checking a
rating's scores and bad-review reasons against it, the late-rating window, and the
monthly rankings (window, staff member, unit, hall) with the bottom places flagged."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from bancheng.cases.enums import BAD_RATINGS, State
from bancheng.cases.models import Case
from bancheng.core import clock, periods
from bancheng.core.clock import SHANGHAI
from bancheng.core.config import Settings
from bancheng.core.errors import Conflict, Invalid, NotFound, present
from bancheng.feedback import repository
from bancheng.feedback.models import Evaluation, IndicatorSet
from bancheng.org.scope import Principal
from bancheng.sla.calendar import load_calendar

CHANNEL_TYPES = ("online", "offline")
# Channels of the 好差评 system (integrations/haochaping.CHANNELS) that are offline.
OFFLINE_CHANNELS = frozenset({"hall", "terminal", "hotline_12345"})
BAD = frozenset(r.value for r in BAD_RATINGS)
LEVEL = {
    "very_satisfied": 5,
    "satisfied": 4,
    "basically_satisfied": 3,
    "dissatisfied": 2,
    "very_dissatisfied": 1,
}
RANK_UNITS = ("window", "staff", "department", "hall")


def channel_type(channel: str) -> str:
    return "offline" if channel in OFFLINE_CHANNELS else "online"


def active_set(session: Session, kind: str) -> IndicatorSet:
    return present(
        repository.active_indicator_set(session, kind),
        NotFound("rating.indicator_set_not_found", "没有可用的评价指标"),
    )


def _codes(items: list[Any]) -> list[str]:
    return [str(i["code"]) for i in items]


def check_items(items: list[dict[str, str]], field: str) -> list[dict[str, str]]:
    codes = [i["code"] for i in items]
    if not items or len(set(codes)) != len(codes):
        raise Invalid("rating.items_invalid", "指标和差评原因须各不相同且不能为空", field=field)
    return items


def new_version(
    session: Session,
    kind: str,
    indicators: list[dict[str, str]],
    bad_reasons: list[dict[str, str]],
) -> IndicatorSet:
    """A new version of a channel type's set becomes the active one; earlier versions stay
    (their evaluations keep pointing at them)."""
    if kind not in CHANNEL_TYPES:
        raise NotFound("rating.indicator_set_not_found", "没有可用的评价指标")
    check_items(indicators, "indicators")
    check_items(bad_reasons, "bad_reasons")
    if "overall" not in [i["code"] for i in indicators]:
        raise Invalid("rating.overall_required", "指标中须包含整体满意度（overall）")
    latest = repository.latest_indicator_version(session, kind)
    for old in repository.active_indicator_sets(session, kind):
        old.active = False
    row = IndicatorSet(
        channel_type=kind,
        version=int(latest or 0) + 1,
        indicators=indicators,
        bad_reasons=bad_reasons,
        active=True,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def check_rating(
    iset: IndicatorSet,
    rating: str,
    scores: dict[str, int] | None,
    reasons: list[str] | None,
    *,
    require_scores: bool,
    require_reasons: bool,
) -> tuple[dict[str, int] | None, list[str] | None]:
    """The scores must name exactly the set's indicators (1–5 each); a bad review must tick
    at least one of the set's reasons. Reasons on a good rating are refused."""
    if scores is not None or require_scores:
        got = dict(scores or {})
        want = _codes(iset.indicators)
        if sorted(got) != sorted(want):
            raise Invalid(
                "rating.scores_incomplete",
                "请为每一项评价指标打分",
                field="scores",
                missing=[c for c in want if c not in got],
                unknown=[c for c in got if c not in want],
            )
        if any(not isinstance(v, int) or not 1 <= v <= 5 for v in got.values()):
            raise Invalid("rating.score_out_of_range", "每项指标的分值应为1至5", field="scores")
        scores = {c: got[c] for c in want}
    picked = list(dict.fromkeys(reasons or []))
    if rating in BAD:
        if not picked and require_reasons:
            raise Invalid(
                "rating.bad_reasons_required", "差评须勾选至少一项原因", field="bad_reasons"
            )
        unknown = [r for r in picked if r not in _codes(iset.bad_reasons)]
        if unknown:
            raise Invalid(
                "rating.bad_reason_unknown",
                "差评原因不在清单中",
                field="bad_reasons",
                unknown=unknown,
            )
    elif picked:
        raise Invalid("rating.reasons_only_for_bad", "只有差评需要勾选原因", field="bad_reasons")
    return scores, (picked or None)


def rated_staff(session: Session, case: Case) -> int | None:
    """Who a rating is about: the case's assignee, else whoever resolved it (a clerk
    solving it on the spot), else the registering clerk."""
    if case.assignee_id:
        return case.assignee_id
    resolver = repository.last_resolver(session, case.id)
    return resolver or case.first_receipt_user_id


# --- the late-rating window --------------------------------------------------------------


def feedback_at(session: Session, case_id: int) -> datetime | None:
    return repository.feedback_at(session, case_id)


def rating_window_end(session: Session, settings: Settings, feedback_at: datetime) -> date:
    """The last day the reporter may rate: ``rating_window_workdays`` working days after
    the feedback."""
    cal = load_calendar(session)
    return cal.add_workdays(feedback_at, settings.rating_window_workdays).date


def window_end(session: Session, settings: Settings, case: Case) -> date | None:
    """The last day (Beijing) the reporter may still rate the current feedback:
    ``rating_window_workdays`` working days after it (the late rating)."""
    fb = feedback_at(session, case.id)
    if fb is None:
        return None
    return rating_window_end(session, settings, fb)


def check_window(session: Session, settings: Settings, case: Case) -> None:
    """A rating after the window is refused with ``feedback.rating_window_closed`` — also
    when the sweep has not yet closed the case as unrated, and after it did."""
    closed_unrated = case.state == State.closed.value and case.rating is None
    if case.state != State.feedback_given.value and not closed_unrated:
        return
    end = window_end(session, settings, case)
    if end is None:
        return
    if closed_unrated or clock.local_today() > end:
        raise Conflict(
            "feedback.rating_window_closed",
            f"评价期已于{end.isoformat()}结束，不能再评价",
            deadline=end.isoformat(),
        )


# --- rankings ----------------------------------------------------------------------------


def rankings(
    session: Session,
    principal: Principal,
    unit: str,
    month: str | None = None,
    bottom: int = 3,
    min_count: int = 1,
) -> dict[str, Any]:
    """The month's (Beijing) evaluations in the caller's scope, grouped by window, staff
    member, unit or hall: count, bad reviews, satisfaction rate (not bad / all), the mean
    level (1–5) and score (mean of the indicators' means, 0–100; the level where no scores
    were given). Ranked by score, then satisfaction, then count; the last ``bottom`` among
    those with at least ``min_count`` ratings are flagged (never the first of them).
    Excluded (appeal upheld) ratings do not count."""
    month = month or periods.period_key(clock.local_today(), "month")
    start, end = periods.period_bounds(month, "month")
    column = {
        "window": func.coalesce(Evaluation.window_id, Case.window_id),
        "staff": func.coalesce(Evaluation.staff_id, Case.assignee_id, Case.first_receipt_user_id),
        "department": func.coalesce(Evaluation.department_id, Case.current_department_id),
        "hall": Case.hall_id,
    }[unit]
    rows = repository.ranking_rows(
        session, principal, column, _midnight(start), _midnight(end + timedelta(days=1))
    )
    groups: dict[Any, dict[str, Any]] = {}
    for key, rating, scores in rows:
        if key is None:
            continue
        g = groups.setdefault(key, {"count": 0, "bad": 0, "levels": 0, "sums": {}, "n": {}})
        g["count"] += 1
        g["bad"] += rating in BAD
        g["levels"] += LEVEL.get(rating, 0)
        for code, value in (scores or {}).items():
            g["sums"][code] = g["sums"].get(code, 0) + int(value)
            g["n"][code] = g["n"].get(code, 0) + 1
    names = _names(session, unit, set(groups))
    items = []
    for key, g in groups.items():
        level = g["levels"] / g["count"]
        means = {c: round(g["sums"][c] / g["n"][c], 2) for c in g["sums"]}
        basis = sum(means.values()) / len(means) if means else level
        items.append(
            {
                "key": key,
                "name": names.get(key, str(key)),
                "count": g["count"],
                "bad": g["bad"],
                "satisfaction": round((g["count"] - g["bad"]) / g["count"], 4),
                "level": round(level, 2),
                "indicators": means,
                "score": round((basis - 1) / 4 * 100, 2),
            }
        )
    items.sort(key=lambda i: (-i["score"], -i["satisfaction"], -i["count"], str(i["key"])))
    eligible = [i for i in items if i["count"] >= min_count]
    # The last ``bottom`` — never all of them: the best one is not flagged.
    n = min(bottom, len(eligible) - 1)
    flagged = {i["key"] for i in eligible[-n:]} if n > 0 else set()
    for rank, item in enumerate(items, start=1):
        item["rank"] = rank
        item["flagged"] = item["key"] in flagged
    return {
        "unit": unit,
        "month": month,
        "bottom": bottom,
        "min_count": min_count,
        "ranking": items,
    }


def _midnight(day: date) -> datetime:
    """Beijing midnight at the start of ``day``, in UTC."""
    return datetime.combine(day, time(), tzinfo=SHANGHAI).astimezone(UTC)


def _names(session: Session, unit: str, keys: set[Any]) -> dict[Any, str]:
    if not keys:
        return {}
    if unit == "window":
        rows = repository.window_labels(session, keys)
        return {i: f"{hall} {num}号窗口（{name}）" for i, num, name, hall in rows}
    return repository.unit_names(session, unit, keys)
