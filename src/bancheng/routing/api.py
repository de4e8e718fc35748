"""Routing endpoints: suggestions for a new case, similar cases, duplicate links, the
category → department configuration, and hot issues."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from bancheng.audit.service import log_action
from bancheng.cases import repository as repo
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.deps import DB, api_router, require, settings_dep
from bancheng.core.errors import Invalid
from bancheng.org.scope import Principal
from bancheng.routing import learning, merge, repository, service
from bancheng.routing.models import CaseMerge, RoutingUnitModel
from bancheng.routing.schemas import (
    HotIssueOut,
    LinkIn,
    LinkOut,
    MergedCaseOut,
    MergeIn,
    MergeOut,
    RankedOut,
    SimilarOut,
    SuggestIn,
    SuggestOut,
    TargetIn,
    TargetOut,
    UnitModelOut,
    UnitOut,
    UnmergeIn,
)

router = api_router(prefix="/api/v1", tags=["routing"])
Config = Annotated[Settings, Depends(settings_dep)]


def _similar_out(items: list[service.SimilarCase]) -> list[SimilarOut]:
    return [
        SimilarOut.of(
            s.case,
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
        if not repository.department_exists(session, t.department_id):
            raise Invalid("routing.department_not_found", "部门不存在")
    repository.replace_targets(session, ((t.category, t.department_id) for t in body))
    return list_targets(session, _)


@router.get("/routing/hot-issues", response_model=list[HotIssueOut])
def get_hot_issues(
    session: DB,
    since: date | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    p: Principal = require("case.read"),
) -> list[HotIssueOut]:
    """Recent cases grouped into clusters of one underlying problem, by heat."""
    since = since or (clock.local_today() - timedelta(days=90))
    return service.hot_issue_list(session, p, since, limit)


# --- the deployment's unit models: promotions, figures, revert ------------------------


def _unit_model_out(row: RoutingUnitModel) -> UnitModelOut:
    return UnitModelOut.model_validate(row, from_attributes=True)


@router.get("/routing/unit-models", response_model=list[UnitModelOut])
def list_unit_models(
    session: DB,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    _: Principal = require("routing.models.read"),
) -> list[UnitModelOut]:
    """Runs of the learning job, newest first: promoted, rejected or reverted candidates
    with their figures against the router in use, and the drift report."""
    return [_unit_model_out(r) for r in repository.unit_models(session, limit)]


@router.post("/routing/unit-models/{model_id}/revert", response_model=UnitModelOut)
def revert_unit_model(
    model_id: int, session: DB, p: Principal = require("routing.models.manage")
) -> UnitModelOut:
    """Withdraw the promoted model in use; the one it replaced is used again (or routing
    by category alone)."""
    row = learning.revert(session, model_id, p.user_id)
    log_action(
        session,
        p,
        "routing.unit_model_revert",
        object_type="routing_unit_model",
        object_id=row.id,
        details={"version": row.version, "restored_id": row.previous_id},
    )
    session.flush()
    return _unit_model_out(row)


# --- 并单: merging duplicates into a master -------------------------------------------


def _merged_out(case: Case, row: CaseMerge | None) -> MergedCaseOut:
    return MergedCaseOut.of(
        case,
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
        master = repository.visible_case(session, p, case.merged_into_id)
        if master is not None:
            master_out = _merged_out(master, row)
    rows = repository.merges_into(session, case.id)
    followers = repository.visible_followers(session, p, case.id)
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
    follower, master = _lock_pair(session, p, case_id, body.master_id)
    row = merge.merge(session, p, follower, master, body.reason, body.version, body.score)
    log_action(
        session,
        p,
        "case.merge",
        object_type="case",
        object_id=follower.id,
        details={"master_id": master.id, "master_number": master.number, "merge_id": row.id},
    )
    session.flush()
    return merge_view(session, p, follower)


@router.post("/cases/{case_id}/merge/undo", response_model=MergeOut)
def undo_merge(
    case_id: int, body: UnmergeIn, session: DB, p: Principal = require("case.merge_undo")
) -> MergeOut:
    """撤销并单 (supervisors): the case is its own case again."""
    follower = repo.get_case(session, p, case_id, lock=True)
    row = merge.undo(session, p, follower, body.reason, body.version)
    log_action(
        session,
        p,
        "case.merge_undo",
        object_type="case",
        object_id=follower.id,
        details={"master_id": row.master_id, "merge_id": row.id},
    )
    session.flush()
    return merge_view(session, p, follower)
