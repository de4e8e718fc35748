"""Routing endpoints: suggestions for a new case, similar cases, duplicate links, the
category → department configuration, and hot issues."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bancheng.cases import repository as repo
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.clock import SHANGHAI
from bancheng.core.config import Settings
from bancheng.core.deps import api_router, db_session, require, settings_dep
from bancheng.core.errors import Invalid
from bancheng.org.models import Department
from bancheng.org.scope import Principal
from bancheng.routing import learning, merge, service
from bancheng.routing.hot_issues import Report, hot_issues
from bancheng.routing.models import CaseMerge, RoutingTarget, RoutingUnitModel

router = api_router(prefix="/api/v1", tags=["routing"])
DB = Annotated[Session, Depends(db_session)]
Config = Annotated[Settings, Depends(settings_dep)]


class SuggestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=10000)
    matter_id: int | None = None


class RankedOut(BaseModel):
    category: str
    confidence: float
    department_id: int | None
    department_name: str | None


class SimilarOut(BaseModel):
    id: int
    number: str
    title: str
    state: str
    score: float
    possible_duplicate: bool
    resolution: str | None
    registered_at: datetime
    # With distance weighting: the text score alone and the distance (metres).
    text_score: float | None = None
    distance_m: float | None = None
    # 并单: the master this case was merged into, if any.
    merged_into_id: int | None = None


class UnitOut(BaseModel):
    department_id: int
    department_name: str
    score: float


class SuggestOut(BaseModel):
    ranked: list[RankedOut]
    auto_dispatch: bool
    threshold: float | None
    department_id: int | None
    matter_department_id: int | None
    units: list[UnitOut]
    unit_source: str
    unit_confidence: float | None
    similar: list[SimilarOut]


def _similar_out(items: list[service.SimilarCase]) -> list[SimilarOut]:
    return [
        SimilarOut(
            id=s.case.id,
            number=s.case.number,
            title=s.case.title,
            state=s.case.state,
            score=s.score,
            possible_duplicate=s.possible_duplicate,
            resolution=s.case.resolution,
            registered_at=s.case.registered_at,
            text_score=s.text_score,
            distance_m=s.distance_m,
            merged_into_id=s.case.merged_into_id,
        )
        for s in items
    ]


@router.post("/routing/suggest", response_model=SuggestOut)
def suggest(
    body: SuggestIn, session: DB, settings: Config, p: Principal = require("case.create")
) -> SuggestOut:
    """Ranked departments for a case being registered, and similar earlier cases."""
    if not body.title and not body.description:
        raise Invalid("routing.text_required", "请先填写标题或内容")
    s = service.suggest(session, body.title, body.description, body.matter_id)
    similar = service.similar_to_text(
        session,
        p,
        service.case_text(body.title, body.description),
        duplicate_threshold=settings.duplicate_threshold,
    )
    return SuggestOut(
        ranked=[RankedOut(**r.__dict__) for r in s.ranked],
        auto_dispatch=s.auto_dispatch,
        threshold=s.threshold,
        department_id=s.department_id,
        matter_department_id=s.matter_department_id,
        units=[UnitOut(**u.__dict__) for u in s.units],
        unit_source=s.unit_source,
        unit_confidence=s.unit_confidence,
        similar=_similar_out(similar),
    )


@router.get("/cases/{case_id}/similar", response_model=list[SimilarOut])
def similar_cases(
    case_id: int,
    session: DB,
    settings: Config,
    p: Principal = require("case.read"),
    distance_weight: Annotated[float, Query(ge=0.0, le=1.0)] = 0.3,
) -> list[SimilarOut]:
    """The most similar earlier cases in the caller's scope: open ones are possible
    duplicates; resolved ones carry their resolution as precedent. When the case has
    coordinates, nearby cases weigh more (``distance_weight``, 0 turns it off)."""
    case = repo.get_case(session, p, case_id)
    near = (
        (case.wgs84_lat, case.wgs84_lng)
        if case.wgs84_lat is not None and case.wgs84_lng is not None
        else None
    )
    items = service.similar_to_text(
        session,
        p,
        service.case_text(case.title, case.description),
        exclude=case.id,
        near=near,
        distance_weight=distance_weight if near else 0.0,
        duplicate_threshold=settings.duplicate_threshold,
    )
    return _similar_out(items)


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    other_case_id: int


class LinkOut(BaseModel):
    case_id: int
    number: str


@router.get("/cases/{case_id}/links", response_model=list[LinkOut])
def case_links(case_id: int, session: DB, p: Principal = require("case.read")) -> list[LinkOut]:
    case = repo.get_case(session, p, case_id)
    return [LinkOut(**x) for x in service.links(session, case.id)]


@router.post("/cases/{case_id}/links", response_model=list[LinkOut], status_code=201)
def link_case(
    case_id: int, body: LinkIn, session: DB, p: Principal = require("case.act")
) -> list[LinkOut]:
    """Mark the case as the same problem as another (one click from the similar list)."""
    case = repo.get_case(session, p, case_id, lock=True)
    other = repo.get_case(session, p, body.other_case_id)
    service.link_duplicate(session, p, case, other)
    return [LinkOut(**x) for x in service.links(session, case.id)]


class TargetOut(BaseModel):
    category: str
    department_id: int
    department_name: str


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(min_length=1, max_length=32)
    department_id: int


@router.get("/routing/targets", response_model=list[TargetOut])
def list_targets(session: DB, _: Principal = require("org.read")) -> list[TargetOut]:
    return [
        TargetOut(category=c, department_id=d, department_name=n)
        for c, (d, n) in sorted(service.targets(session).items())
    ]


@router.put("/routing/targets", response_model=list[TargetOut])
def put_targets(
    body: list[TargetIn], session: DB, _: Principal = require("org.manage")
) -> list[TargetOut]:
    """Replace the category → department table."""
    from bancheng.routing.classifier import load_active_model

    labels = set(load_active_model().labels)
    for t in body:
        if t.category not in labels:
            raise Invalid(
                "routing.unknown_category", f"未知分类：{t.category}", categories=sorted(labels)
            )
        if session.get(Department, t.department_id) is None:
            raise Invalid("routing.department_not_found", "部门不存在")
    session.execute(delete(RoutingTarget))
    session.add_all(RoutingTarget(category=t.category, department_id=t.department_id) for t in body)
    session.flush()
    return list_targets(session, _)


class HotIssueOut(BaseModel):
    case_ids: list[int]
    reports: int
    reporters: int
    first_at: datetime
    last_at: datetime
    heat: float
    titles: list[str]


def hot_issue_list(
    session: Session, principal: Principal, since: date, limit: int = 20
) -> list[HotIssueOut]:
    start = datetime.combine(since, time.min, tzinfo=SHANGHAI)
    rows = session.execute(
        repo.scoped(principal)
        .with_only_columns(
            Case.id, Case.reporter_phone_hash, Case.title, Case.description, Case.registered_at
        )
        .where(Case.registered_at >= start)
    ).all()
    reports = [Report(key=i, reporter=h, title=t, text=d, at=at) for i, h, t, d, at in rows]
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


@router.get("/routing/hot-issues", response_model=list[HotIssueOut])
def get_hot_issues(
    session: DB,
    since: date | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    p: Principal = require("case.read"),
) -> list[HotIssueOut]:
    """Recent cases grouped into clusters of one underlying problem, by heat."""
    since = since or (clock.local_today() - timedelta(days=90))
    return hot_issue_list(session, p, since, limit)


# --- the deployment's unit models: promotions, figures, revert ------------------------


class UnitModelOut(BaseModel):
    id: int
    version: str
    created_at: datetime
    n_train: int
    n_eval: int
    decision: str
    active: bool
    figures: dict[str, Any]
    previous_id: int | None
    reverted_at: datetime | None
    reverted_by_id: int | None


def _unit_model_out(row: RoutingUnitModel) -> UnitModelOut:
    return UnitModelOut(
        id=row.id,
        version=row.version,
        created_at=row.created_at,
        n_train=row.n_train,
        n_eval=row.n_eval,
        decision=row.decision,
        active=row.active,
        figures=row.figures,
        previous_id=row.previous_id,
        reverted_at=row.reverted_at,
        reverted_by_id=row.reverted_by_id,
    )


@router.get("/routing/unit-models", response_model=list[UnitModelOut])
def list_unit_models(
    session: DB,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    _: Principal = require("routing.models.read"),
) -> list[UnitModelOut]:
    """Runs of the learning job, newest first: promoted, rejected or reverted candidates
    with their figures against the router in use, and the drift report."""
    rows = session.scalars(
        select(RoutingUnitModel).order_by(RoutingUnitModel.id.desc()).limit(limit)
    ).all()
    return [_unit_model_out(r) for r in rows]


@router.post("/routing/unit-models/{model_id}/revert", response_model=UnitModelOut)
def revert_unit_model(
    model_id: int, session: DB, p: Principal = require("routing.models.manage")
) -> UnitModelOut:
    """Withdraw the promoted model in use; the one it replaced is used again (or routing
    by category alone)."""
    from bancheng.audit.service import log_operation

    row = learning.revert(session, model_id, p.user_id)
    log_operation(
        session,
        actor_id=p.user_id,
        actor_name=p.username,
        action="routing.unit_model_revert",
        object_type="routing_unit_model",
        object_id=row.id,
        ip=p.ip,
        details={"version": row.version, "restored_id": row.previous_id},
    )
    session.flush()
    return _unit_model_out(row)


# --- 并单: merging duplicates into a master -------------------------------------------


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    master_id: int
    reason: str = Field(default="", max_length=500)
    version: int
    # The similarity the suggestion showed, kept with the merge (how good suggestions are).
    score: float | None = Field(default=None, ge=0.0, le=1.0)


class UnmergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(default="", max_length=500)
    version: int


class MergedCaseOut(BaseModel):
    id: int
    number: str
    title: str
    state: str
    registered_at: datetime
    reporter_name: str
    reporter_phone: str
    reason: str | None = None
    merged_at: datetime | None = None
    score: float | None = None


class MergeOut(BaseModel):
    """A case's place in a merged group: the master it follows (``None`` when it is not
    merged, or when the master is outside the caller's scope: ``merged`` says which) and
    the followers merged into it that the caller may see."""

    case_id: int
    merged: bool
    master: MergedCaseOut | None
    followers: list[MergedCaseOut]
    can_undo: bool


def _merged_out(case: Case, row: CaseMerge | None) -> MergedCaseOut:
    return MergedCaseOut(
        id=case.id,
        number=case.number,
        title=case.title,
        state=case.state,
        registered_at=case.registered_at,
        reporter_name=case.reporter_name,
        reporter_phone=case.reporter_phone_masked,
        reason=row.reason if row else None,
        merged_at=row.merged_at if row else None,
        score=row.score if row else None,
    )


def merge_view(session: Session, p: Principal, case: Case) -> MergeOut:
    master_out = None
    if case.merged_into_id is not None:
        row = merge.current_merge(session, case.id)
        master = session.scalar(repo.scoped(p).where(Case.id == case.merged_into_id))
        if master is not None:
            master_out = _merged_out(master, row)
    rows = {
        r.case_id: r
        for r in session.scalars(
            select(CaseMerge).where(CaseMerge.master_id == case.id, CaseMerge.undone_at.is_(None))
        )
    }
    followers = session.scalars(
        repo.scoped(p).where(Case.merged_into_id == case.id).order_by(Case.id)
    ).all()
    return MergeOut(
        case_id=case.id,
        merged=case.merged_into_id is not None,
        master=master_out,
        followers=[_merged_out(f, rows.get(f.id)) for f in followers],
        can_undo=(
            case.merged_into_id is not None
            and case.state in merge.OPEN
            and p.role == "supervisor"
            and p.can("case.merge_undo")
        ),
    )


@router.get("/cases/{case_id}/merge", response_model=MergeOut)
def get_merge(case_id: int, session: DB, p: Principal = require("case.read")) -> MergeOut:
    """The case's merged group: its master, or the followers merged into it."""
    case = repo.get_case(session, p, case_id)
    return merge_view(session, p, case)


def _lock_pair(session: Session, p: Principal, first: int, second: int) -> tuple[Case, Case]:
    """Both cases, locked in id order (two merges the other way round cannot deadlock)."""
    got: dict[int, Case] = {}
    for ident in sorted({first, second}):
        got[ident] = repo.get_case(session, p, ident, lock=True)
    return got[first], got[second]


@router.post("/cases/{case_id}/merge", response_model=MergeOut)
def merge_case(
    case_id: int, body: MergeIn, session: DB, p: Principal = require("case.merge")
) -> MergeOut:
    """并单: mark the case as a duplicate of ``master_id``. Its reporter follows the
    master's progress and gets its outcome; it closes with the master."""
    from bancheng.audit.service import log_operation

    follower, master = _lock_pair(session, p, case_id, body.master_id)
    row = merge.merge(session, p, follower, master, body.reason, body.version, body.score)
    log_operation(
        session,
        actor_id=p.user_id,
        actor_name=p.username,
        action="case.merge",
        object_type="case",
        object_id=follower.id,
        ip=p.ip,
        details={"master_id": master.id, "master_number": master.number, "merge_id": row.id},
    )
    session.flush()
    return merge_view(session, p, follower)


@router.post("/cases/{case_id}/merge/undo", response_model=MergeOut)
def undo_merge(
    case_id: int, body: UnmergeIn, session: DB, p: Principal = require("case.merge_undo")
) -> MergeOut:
    """撤销并单 (supervisors): the case is its own case again."""
    from bancheng.audit.service import log_operation

    follower = repo.get_case(session, p, case_id, lock=True)
    row = merge.undo(session, p, follower, body.reason, body.version)
    log_operation(
        session,
        actor_id=p.user_id,
        actor_name=p.username,
        action="case.merge_undo",
        object_type="case",
        object_id=follower.id,
        ip=p.ip,
        details={"master_id": row.master_id, "merge_id": row.id},
    )
    session.flush()
    return merge_view(session, p, follower)
