"""Routing in the running system: suggestions at registration (category → department,
with the matter's own department first), automatic dispatch above the model's threshold,
similar earlier cases, and links between duplicates."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases.enums import OPEN_STATES
from bancheng.cases.hooks import hooks
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.cache import Cached
from bancheng.core.clock import SHANGHAI
from bancheng.core.errors import Conflict, Invalid
from bancheng.org.models import Department
from bancheng.org.scope import Principal
from bancheng.routing import merge
from bancheng.routing import repository as routing_repo
from bancheng.routing.classifier import load_active_model
from bancheng.routing.hot_issues import Report, hot_issues
from bancheng.routing.models import CaseLink, RoutingTarget
from bancheng.routing.schemas import HotIssueOut
from bancheng.routing.similar import SimilarIndex


@dataclass
class RankedDepartment:
    category: str
    confidence: float
    department_id: int | None
    department_name: str | None


@dataclass
class RankedUnit:
    department_id: int
    department_name: str
    score: float


@dataclass
class RoutingSuggestion:
    ranked: list[RankedDepartment]
    auto_dispatch: bool
    threshold: float | None
    matter_department_id: int | None = None
    department_id: int | None = None  # the suggested unit (matter's, else the top unit)
    units: list[RankedUnit] = field(default_factory=list)
    unit_source: str = "category"  # which calibrated model decides automatic dispatch
    unit_confidence: float | None = None


def _targets(session: Session) -> dict[str, tuple[int, str]]:
    rows = routing_repo.active_targets(session)
    return {c: (d, n) for c, d, n in rows}


TARGETS = Cached("routing_targets", (RoutingTarget, Department), _targets)


def targets(session: Session) -> dict[str, tuple[int, str]]:
    """Category -> the active unit configured for it, and its name."""
    return dict(TARGETS.get(session))


def _ledger_votes(session: Session) -> Any:
    """Units that resolved (or hold, accepted) the most similar earlier cases."""
    from bancheng.routing.learning import HELD_STATES, SETTLED_STATES, SIMILAR_K, SIMILAR_MIN_SCORE

    index = _refresh(session)

    def votes(text: str) -> dict[int, float]:
        matches = index.query(text, k=SIMILAR_K, min_score=SIMILAR_MIN_SCORE)
        if not matches:
            return {}
        unit_of = routing_repo.labelled_units(
            session, [m.key for m in matches], SETTLED_STATES + HELD_STATES
        )
        out: dict[int, float] = {}
        for m in matches:
            if m.key in unit_of:
                out[unit_of[m.key]] = out.get(unit_of[m.key], 0.0) + m.score
        total = sum(out.values())
        return {u: v / total for u, v in out.items()} if total else {}

    return votes


def suggest(
    session: Session, title: str, description: str, matter_id: int | None = None
) -> RoutingSuggestion:
    """Categories and units for a text: the category model, the category → unit table,
    the deployment's own unit model when one has been promoted, and the units of similar
    earlier cases, combined by ``learning.route_units``."""
    from bancheng.routing.learning import active_unit_model, route_units

    model = load_active_model()
    full = model.predict(title, description or None)
    s_ranked = full[:3]
    mapping = targets(session)
    ranked = [
        RankedDepartment(label, round(conf, 4), *mapping.get(label, (None, None)))
        for label, conf in s_ranked
    ]
    routed = route_units(
        title,
        description,
        category_model=model,
        targets={c: d for c, (d, _) in mapping.items()},
        unit_model=active_unit_model(session),
        similar_units=_ledger_votes(session),
        category_ranked=full,
    )
    names = routing_repo.active_unit_names(session, [u for u, _ in routed.ranked[:3]])
    units = [RankedUnit(u, names[u], round(p, 4)) for u, p in routed.ranked[:3] if u in names]
    matter_dept = None
    if matter_id is not None:
        matter = routing_repo.matter(session, matter_id)
        matter_dept = matter.department_id if matter else None
    top_unit = units[0].department_id if units else None
    department_id = matter_dept or top_unit
    # Automatic only when the calibrated model is sure enough AND an active unit is named;
    # a catalogue matter is the clerk's own choice and is never overridden.
    auto = bool(routed.auto_dispatch and top_unit and matter_dept is None)
    return RoutingSuggestion(
        ranked,
        auto,
        routed.threshold,
        matter_dept,
        department_id,
        units,
        routed.source,
        None if routed.confidence is None else round(routed.confidence, 4),
    )


# --- similar cases -------------------------------------------------------------------


def case_text(title: str, description: str) -> str:
    return f"{title}。{description}"


@dataclass
class _IndexState:
    index: SimilarIndex[int] = field(default_factory=SimilarIndex)
    last_id: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    built: bool = False
    checked: float = 0.0


_state = _IndexState()
MAX_INDEXED = 100_000


def _refresh(session: Session) -> SimilarIndex[int]:
    """Build the process's index from the newest cases once, then add newer ones."""
    with _state.lock:
        now = time.monotonic()
        if _state.built and now - _state.checked < 2.0:
            return _state.index
        rows = routing_repo.case_texts_after(
            session, _state.last_id, None if _state.built else MAX_INDEXED
        )
        if not _state.built:
            _state.index.build((i, case_text(t, d)) for i, t, d in reversed(rows))
            _state.built = True
        else:
            for i, t, d in rows:
                _state.index.add(i, case_text(t, d))
        if rows:
            _state.last_id = max(_state.last_id, max(r[0] for r in rows))
        _state.checked = now
        return _state.index


def reset_index() -> None:
    global _state
    _state = _IndexState()


@dataclass
class SimilarCase:
    case: Case
    score: float
    possible_duplicate: bool
    text_score: float | None = None
    distance_m: float | None = None


# Distance weighting: a candidate ``d`` metres away keeps ``1 - w + w * exp(-d / scale)`` of
# its text score (both points known; otherwise the text score alone, times ``1 - w``, so a
# nearby report of the same problem ranks above an equally worded one far away).
DISTANCE_SCALE_M = 1000.0


def similar_to_text(
    session: Session,
    principal: Principal,
    text: str,
    *,
    exclude: int | None = None,
    k: int = 5,
    min_score: float = 0.25,
    near: tuple[float, float] | None = None,
    distance_weight: float = 0.0,
    duplicate_threshold: float = 1.0,
) -> list[SimilarCase]:
    """``near`` (WGS-84) with ``distance_weight`` in [0, 1]: weigh the text score by
    distance (see ``DISTANCE_SCALE_M``). An open case (not itself merged into another)
    whose text score is at or above ``duplicate_threshold`` (the setting
    ``duplicate_threshold``, docs/routing.md) is a possible duplicate; below it a case is
    only similar."""
    index = _refresh(session)
    matches = index.query(text, k=k * 4, exclude=[exclude] if exclude else [], min_score=min_score)
    if not matches:
        return []
    ids = [m.key for m in matches]
    visible = routing_repo.visible_cases(session, principal, ids)
    open_states = {s.value for s in OPEN_STATES}
    out = []
    for m in matches:
        case = visible.get(m.key)
        if case is None:
            continue
        flagged = (
            case.state in open_states
            and case.merged_into_id is None
            and m.score >= duplicate_threshold
        )
        item = SimilarCase(case, round(m.score, 3), flagged)
        if near is not None and distance_weight > 0:
            import math

            from bancheng.core.geo import distance_m

            item.text_score = item.score
            if case.wgs84_lat is not None and case.wgs84_lng is not None:
                d = distance_m(near[0], near[1], case.wgs84_lat, case.wgs84_lng)
                item.distance_m = round(d, 1)
                factor = 1 - distance_weight + distance_weight * math.exp(-d / DISTANCE_SCALE_M)
            else:
                factor = 1 - distance_weight
            item.score = round(m.score * factor, 3)
        out.append(item)
    if near is not None and distance_weight > 0:
        out.sort(key=lambda x: -x.score)
    return out[:k]


def link_duplicate(session: Session, principal: Principal, case: Case, other: Case) -> CaseLink:
    from bancheng.cases.service import add_event

    if case.id == other.id:
        raise Invalid("routing.link_self", "不能把案件关联到自身")
    if routing_repo.link(session, case.id, other.id) is not None:
        raise Conflict("routing.already_linked", "两件案件已关联")
    link = CaseLink(
        case_id=case.id,
        other_case_id=other.id,
        kind="duplicate",
        created_at=clock.now(),
        created_by_id=principal.user_id,
    )
    session.add(link)
    for end, far in ((case, other), (other, case)):  # both timelines name the other case
        add_event(
            session,
            end,
            "link_duplicate",
            end.state,
            end.state,
            principal,
            details={"other_case_id": far.id, "other_number": far.number},
            public=False,
        )
    session.flush()
    return link


def links(session: Session, case_id: int) -> list[dict[str, Any]]:
    rows = routing_repo.links_from(session, case_id)
    back = routing_repo.links_to(session, case_id)
    return [{"case_id": o, "number": n} for _, o, n in rows] + [
        {"case_id": c, "number": n} for c, _, n in back
    ]


def auto_dispatch(session: Session, settings: Any, principal: Principal, case: Case) -> bool:
    """Dispatch a just-registered case when the model is above its precision threshold and
    configuration names the unit; otherwise the clerk chooses from the suggestions."""
    from bancheng.cases.actions import perform
    from bancheng.cases.schemas import ActionIn

    if not settings.routing_auto_dispatch or case.matter_id is not None:
        return False
    if principal.role not in ("clerk", "supervisor") or not targets(session):
        return False
    s = suggest(session, case.title, case.description)
    if not s.auto_dispatch or s.department_id is None:
        return False
    top = s.ranked[0]
    label = top.category if s.unit_source == "category" else s.units[0].department_name
    perform(
        session,
        settings,
        principal,
        case,
        "dispatch",
        ActionIn(
            version=case.version,
            department_id=s.department_id,
            reason=f"自动派单：{label}（置信度{s.unit_confidence or top.confidence:.2f}）",
        ),
    )
    case.auto_dispatched_at = clock.now()
    case.auto_department_id = s.department_id
    session.flush()
    return True


def install_hooks() -> None:
    """Routing's part in the lifecycle (``cases.hooks``): a clerk's new case is dispatched
    automatically when the model is sure; merged followers follow their master and leave
    it when reopened."""
    hooks.on_created(auto_dispatch)
    hooks.on_master_moved(merge.on_master_move)
    hooks.on_reopened(merge.detach_on_reopen)


def recent_reports(
    session: Session, principal: Principal, start: datetime, limit: int | None = None
) -> list[Report]:
    """What the hot-issue detector reads of the cases in the caller's scope registered
    since ``start`` (with ``limit``, the first ``limit`` by id)."""
    rows = routing_repo.reports_since(session, principal, start, limit)
    return [Report(key=i, reporter=h, title=t, text=d, at=at) for i, h, t, d, at in rows]


def hot_issue_list(
    session: Session, principal: Principal, since: date, limit: int = 20
) -> list[HotIssueOut]:
    """The clusters of recent cases (registered since ``since``) in the caller's scope, by
    heat: one underlying problem each."""
    start = datetime.combine(since, datetime.min.time(), tzinfo=SHANGHAI)
    reports = recent_reports(session, principal, start)
    found = hot_issues(reports, now=clock.now(), limit=limit)
    return [
        HotIssueOut(
            case_ids=[int(str(k)) for k in h.keys],
            reports=h.reports,
            reporters=h.reporters,
            first_at=h.first_at,
            last_at=h.last_at,
            heat=round(h.heat, 3),
            titles=list(h.titles),
        )
        for h in found
    ]
