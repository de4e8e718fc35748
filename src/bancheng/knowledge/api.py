"""HTTP: the case library (``/api/v1/knowledge``) and precedents on a case."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from bancheng.audit.service import note_object
from bancheng.cases import repository as case_repo
from bancheng.cases.enums import LABELS_ZH
from bancheng.core.deps import DB, api_router, require
from bancheng.core.errors import Invalid
from bancheng.knowledge import service
from bancheng.knowledge.masker import find_personal_data, mask
from bancheng.knowledge.models import LibraryCase
from bancheng.knowledge.schemas import (
    Finding,
    LedgerPrecedentOut,
    LibraryIn,
    LibraryOut,
    LibraryPatch,
    MaskIn,
    MaskOut,
    PrecedentsOut,
)
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1", tags=["knowledge"])
Reader = Annotated[Principal, require("knowledge.read")]
Curator = Annotated[Principal, require("knowledge.curate")]


def _out(lib: LibraryCase, curator: bool, score: float | None = None) -> LibraryOut:
    return LibraryOut(
        id=lib.id,
        source_case_id=lib.source_case_id if curator else None,
        title=lib.title,
        summary=lib.summary,
        stuck_point=lib.stuck_point,
        solution=lib.solution,
        policy_basis=lib.policy_basis,
        tags=list(lib.tags or []),
        matter_id=lib.matter_id,
        blocker_type=lib.blocker_type,
        status=lib.status,
        created_at=lib.created_at,
        updated_at=lib.updated_at,
        published_at=lib.published_at,
        findings=[Finding(**f) for f in service.personal_data(lib)] if curator else [],
        score=score,
    )


@router.get("/knowledge/cases", response_model=list[LibraryOut])
def list_library(
    db: DB,
    p: Reader,
    q: str | None = Query(default=None, max_length=200),
    status: str | None = Query(default=None, pattern="^(draft|published)$"),
    tag: str | None = None,
) -> list[LibraryOut]:
    curator = p.can("knowledge.curate")
    return [_out(x, curator) for x in service.search(db, p, q, status=status, tag=tag)]


@router.post("/knowledge/cases", response_model=LibraryOut, status_code=201)
def create_library(body: LibraryIn, db: DB, p: Curator) -> LibraryOut:
    lib = service.draft_from_case(db, p, body.case_id, body.model_dump(exclude={"case_id"}))
    note_object(db, "library_case", lib.id)
    return _out(lib, True)


@router.get("/knowledge/cases/{library_id}", response_model=LibraryOut)
def get_library(library_id: int, db: DB, p: Reader) -> LibraryOut:
    return _out(service.get_library_case(db, p, library_id), p.can("knowledge.curate"))


@router.patch("/knowledge/cases/{library_id}", response_model=LibraryOut)
def patch_library(library_id: int, body: LibraryPatch, db: DB, p: Curator) -> LibraryOut:
    lib = service.get_library_case(db, p, library_id)
    return _out(service.update(db, lib, body.model_dump(exclude_unset=True)), True)


@router.post("/knowledge/cases/{library_id}/remask", response_model=LibraryOut)
def remask_library(library_id: int, db: DB, p: Curator) -> LibraryOut:
    return _out(service.remask(db, service.get_library_case(db, p, library_id)), True)


@router.post("/knowledge/cases/{library_id}/publish", response_model=LibraryOut)
def publish_library(library_id: int, db: DB, p: Curator) -> LibraryOut:
    return _out(service.publish(db, p, service.get_library_case(db, p, library_id)), True)


@router.post("/knowledge/cases/{library_id}/unpublish", response_model=LibraryOut)
def unpublish_library(library_id: int, db: DB, p: Curator) -> LibraryOut:
    return _out(service.unpublish(db, service.get_library_case(db, p, library_id)), True)


@router.post("/knowledge/mask", response_model=MaskOut)
def mask_preview(body: MaskIn, p: Curator) -> MaskOut:
    return MaskOut(
        masked=mask(body.text, body.names),
        findings=[
            Finding(field="text", kind=f.kind, text=f.text)
            for f in find_personal_data(body.text, body.names)
        ],
    )


@router.get("/knowledge/precedents", response_model=PrecedentsOut)
def precedents(
    db: DB,
    p: Annotated[Principal, require("case.read")],
    case_id: int | None = None,
    title: str | None = Query(default=None, max_length=200),
    description: str | None = Query(default=None, max_length=10000),
) -> PrecedentsOut:
    """Precedents at hand, for a case (``case_id``, in the caller's scope) or for a case
    being registered (``title``, ``description``): the ledger's most similar resolved
    cases in the caller's data scope with their resolution, and the most similar
    published library cases (for callers who may read the library)."""
    if case_id is not None:
        case = case_repo.get_case(db, p, case_id)
        text = f"{case.title} {case.description}"
    else:
        text = f"{title or ''} {description or ''}".strip()
        if not text:
            raise Invalid("knowledge.text_required", "请先填写标题或诉求内容")
    ledger = service.ledger_precedents(db, p, text, case_id)
    blockers = case_repo.blocker_types(db, [s.case for s in ledger])
    library = (
        [_out(lib, False, score) for lib, score in service.text_precedents(db, text, case_id)]
        if p.can("knowledge.read")
        else []
    )
    return PrecedentsOut(
        ledger=[
            LedgerPrecedentOut.of(
                s.case,
                score=s.score,
                outcome=s.case.outcome,
                outcome_label=LABELS_ZH["outcome"].get(s.case.outcome or "")
                if s.case.outcome
                else None,
                resolution=s.case.resolution,
                policy_explanation=s.case.policy_explanation,
                alternative=s.case.alternative,
                blocker_types=blockers.get(s.case.id, [s.case.blocker_type]),
                resolved_at=s.case.resolved_at,
            )
            for s in ledger
        ],
        library=library,
    )


@router.get("/cases/{case_id}/precedents", response_model=list[LibraryOut])
def case_precedents(case_id: int, db: DB, p: Reader) -> list[LibraryOut]:
    case = case_repo.get_case(db, p, case_id)
    curator = p.can("knowledge.curate")
    return [_out(lib, curator, score) for lib, score in service.precedents(db, p, case)]
