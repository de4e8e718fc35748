"""The case library: drafting from a resolved case (masked), editing, review and
publishing, search and precedents.

Search is a character-bigram inverted index (``library_grams``): portable between SQLite
and PostgreSQL, no segmenter and no dictionary, and good enough for Chinese where words
are mostly two characters. A query's bigrams are looked up; library cases are ranked by
the number of distinct query bigrams they contain (ties: newest first); a case must
contain at least half of them. Precedents for a case use the same index with the case's
title and description, scored by overlap / query bigrams.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from bancheng.cases import repository as case_repo
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.errors import Conflict, Invalid, NotFound, present
from bancheng.knowledge import repository
from bancheng.knowledge.masker import find_personal_data, mask
from bancheng.knowledge.models import LibraryCase
from bancheng.org.scope import Principal

RESOLVED_STATES = frozenset({"resolved", "feedback_given", "evaluated", "closed"})
TEXT_FIELDS = ("title", "summary", "stuck_point", "solution", "policy_basis")
_WORD = re.compile(r"[\u4e00-\u9fa5]+|[A-Za-z0-9]+")


def bigrams(text: str) -> Counter[str]:
    """Character bigrams of each run of Chinese characters; whole latin/digit words."""
    out: Counter[str] = Counter()
    for run in _WORD.findall(text or ""):
        if run.isascii():
            out[run.lower()[:4]] += 1
        elif len(run) == 1:
            out[run] += 1
        else:
            for i in range(len(run) - 1):
                out[run[i : i + 2]] += 1
    return out


def _index(session: Session, lib: LibraryCase) -> None:
    grams: Counter[str] = Counter()
    for f in TEXT_FIELDS:
        grams.update(bigrams(getattr(lib, f) or ""))
    for t in lib.tags or []:
        grams.update(bigrams(str(t)))
    repository.replace_grams(session, lib.id, grams)


def get_library_case(session: Session, principal: Principal, lib_id: int) -> LibraryCase:
    # out of scope looks like missing
    return present(
        repository.visible_entry(session, principal, lib_id),
        NotFound("knowledge.not_found", "案例不存在"),
    )


def draft_from_case(
    session: Session, principal: Principal, case_id: int, fields: dict[str, Any]
) -> LibraryCase:
    case = case_repo.get_case(session, principal, case_id)
    if case.state not in RESOLVED_STATES:
        raise Conflict("knowledge.case_not_resolved", "只有已办结的案件可以转为典型案例")
    names = [case.reporter_name] if case.reporter_type == "person" else []
    defaults = {
        "title": case.title,
        "summary": case.description,
        "stuck_point": "",
        "solution": case.resolution or case.policy_explanation or "",
        "policy_basis": case.policy_explanation or "",
        "tags": [],
    }
    values = {**defaults, **{k: v for k, v in fields.items() if v is not None}}
    now = clock.now()
    lib = LibraryCase(
        source_case_id=case.id,
        title=mask(values["title"], names)[:200],
        summary=mask(values["summary"], names),
        stuck_point=mask(values["stuck_point"], names),
        solution=mask(values["solution"], names),
        policy_basis=mask(values["policy_basis"], names),
        tags=[mask(str(t), names) for t in values["tags"]],
        matter_id=case.matter_id,
        blocker_type=case.blocker_type,
        extra_names=names,
        status="draft",
        created_by_id=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(lib)
    session.flush()
    _index(session, lib)
    session.flush()
    return lib


def personal_data(lib: LibraryCase) -> list[dict[str, str]]:
    found = []
    names = list(lib.extra_names or [])
    for f in TEXT_FIELDS:
        for x in find_personal_data(getattr(lib, f) or "", names):
            found.append({"field": f, "kind": x.kind, "text": x.text})
    for t in lib.tags or []:
        for x in find_personal_data(str(t), names):
            found.append({"field": "tags", "kind": x.kind, "text": x.text})
    return found


def update(session: Session, lib: LibraryCase, fields: dict[str, Any]) -> LibraryCase:
    """Curators edit the text freely (the masker ran at drafting; publishing re-checks).
    An edit of a published case sends it back to draft for another review."""
    for k, v in fields.items():
        if v is None:
            continue
        if k in TEXT_FIELDS and not str(v).strip() and k in ("title", "summary"):
            raise Invalid(f"knowledge.{k}_empty", "标题和概要不能为空", field=k)
        setattr(lib, k, v)
    if lib.status == "published":
        lib.status = "draft"
        lib.published_at = None
    lib.updated_at = clock.now()
    session.flush()
    _index(session, lib)
    session.flush()
    return lib


def remask(session: Session, lib: LibraryCase) -> LibraryCase:
    names = list(lib.extra_names or [])
    return update(
        session,
        lib,
        {
            **{f: mask(getattr(lib, f) or "", names) for f in TEXT_FIELDS},
            "tags": [mask(str(t), names) for t in lib.tags or []],
        },
    )


def publish(session: Session, principal: Principal, lib: LibraryCase) -> LibraryCase:
    if lib.status == "published":
        raise Conflict("knowledge.already_published", "案例已发布")
    found = personal_data(lib)
    if found:
        raise Conflict(
            "knowledge.personal_data_found",
            "案例中仍有个人信息，请脱敏后再发布",
            findings=found,
        )
    for f in ("stuck_point", "solution"):
        if not (getattr(lib, f) or "").strip():
            raise Invalid(f"knowledge.{f}_required", "请填写堵点和解决办法", field=f)
    lib.status = "published"
    lib.reviewed_by_id = principal.user_id
    lib.published_at = clock.now()
    lib.updated_at = lib.published_at
    session.flush()
    return lib


def unpublish(session: Session, lib: LibraryCase) -> LibraryCase:
    lib.status = "draft"
    lib.published_at = None
    lib.updated_at = clock.now()
    session.flush()
    return lib


def _ranked(
    session: Session,
    grams: list[str],
    statuses: tuple[str, ...],
    limit: int,
    visible: ColumnElement[bool] | None = None,
) -> list[tuple[LibraryCase, int]]:
    if not grams:
        return []
    return repository.ranked_by_grams(session, grams, statuses, limit, visible)


def search(
    session: Session,
    principal: Principal,
    q: str | None,
    *,
    status: str | None = None,
    tag: str | None = None,
    limit: int = 50,
) -> list[LibraryCase]:
    curator = principal.can("knowledge.curate")
    statuses: tuple[str, ...] = ("published",)
    if curator:
        statuses = (status,) if status else ("draft", "published")
    if q and q.strip():
        grams = sorted(bigrams(q))
        need = max(1, (len(grams) + 1) // 2)
        visible = repository.visible_clause(principal)
        found = [lib for lib, n in _ranked(session, grams, statuses, 500, visible) if n >= need]
    else:
        found = repository.newest_visible(session, principal, statuses, 500)
    if tag:
        found = [lib for lib in found if tag in (lib.tags or [])]
    return found[:limit]


def precedents(
    session: Session, principal: Principal, case: Case, limit: int = 5, min_score: float = 0.2
) -> list[tuple[LibraryCase, float]]:
    return text_precedents(
        session, f"{case.title} {case.description}", case.id, limit=limit, min_score=min_score
    )


def text_precedents(
    session: Session,
    text: str,
    exclude_case_id: int | None = None,
    *,
    limit: int = 5,
    min_score: float = 0.2,
) -> list[tuple[LibraryCase, float]]:
    """Published library cases ranked by the share of the text's bigrams they contain."""
    grams = sorted(bigrams(text))
    out = []
    for lib, n in _ranked(session, grams, ("published",), 50):
        if exclude_case_id is not None and lib.source_case_id == exclude_case_id:
            continue
        score = round(n / len(grams), 3)
        if score >= min_score:
            out.append((lib, score))
    return out[:limit]


def ledger_precedents(
    session: Session,
    principal: Principal,
    text: str,
    exclude_case_id: int | None = None,
    limit: int = 5,
) -> list[Any]:
    """The most similar resolved cases of the ledger in the caller's data scope (the
    routing index, ``routing.service.similar_to_text``), with their resolution."""
    from bancheng.routing.service import similar_to_text

    found = similar_to_text(session, principal, text, exclude=exclude_case_id, k=limit * 4)
    return [s for s in found if s.case.state in RESOLVED_STATES][:limit]
