"""Queries of the case library: which entries a caller may see (published ones, and a
curator's drafts drawn from cases in the data scope of ``cases.repository.scope_clause``),
an entry, the listing, the bigram index (``library_grams``) and its ranked lookup."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import ColumnElement, delete, func, or_, select, true
from sqlalchemy.orm import Session

from bancheng.cases import repository as case_repo
from bancheng.cases.models import Case
from bancheng.knowledge.models import LibraryCase, LibraryGram
from bancheng.org.scope import Principal


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """The library entries this principal may see: a published entry (anonymised) is for
    everyone who reads the library; a draft or withdrawn one only for a curator who may see
    the case it was drawn from (the data scope of ``cases.repository.scope_clause``)."""
    published = LibraryCase.status == "published"
    if not principal.can("knowledge.curate"):
        return published
    in_scope = select(Case.id).where(case_repo.scope_clause(principal))
    return or_(
        published, LibraryCase.source_case_id.is_(None), LibraryCase.source_case_id.in_(in_scope)
    )


def visible_entry(session: Session, principal: Principal, lib_id: int) -> LibraryCase | None:
    """The library entry if the caller may see it."""
    return session.scalar(
        select(LibraryCase).where(LibraryCase.id == lib_id, visible_clause(principal))
    )


def newest_visible(
    session: Session, principal: Principal, statuses: Collection[str], limit: int
) -> list[LibraryCase]:
    """The entries in ``statuses`` the caller may see, last updated first."""
    return list(
        session.scalars(
            select(LibraryCase)
            .where(LibraryCase.status.in_(statuses), visible_clause(principal))
            .order_by(LibraryCase.updated_at.desc(), LibraryCase.id.desc())
            .limit(limit)
        )
    )


def replace_grams(session: Session, lib_id: int, grams: Mapping[str, int]) -> None:
    """The entry's index becomes ``grams`` (bigram → how often)."""
    session.execute(delete(LibraryGram).where(LibraryGram.library_case_id == lib_id))
    session.add_all(LibraryGram(gram=g, library_case_id=lib_id, weight=n) for g, n in grams.items())


def ranked_by_grams(
    session: Session,
    grams: Collection[str],
    statuses: Collection[str],
    limit: int,
    visible: ColumnElement[bool] | None = None,
) -> list[tuple[LibraryCase, int]]:
    """(entry, how many of ``grams`` it contains) of the entries in ``statuses`` (and
    ``visible``) containing any of them, most first (ties: newest first)."""
    hits = func.count(LibraryGram.gram).label("hits")
    stmt = (
        select(LibraryCase, hits)
        .join(LibraryGram, LibraryGram.library_case_id == LibraryCase.id)
        .where(LibraryGram.gram.in_(grams), LibraryCase.status.in_(statuses))
        .where(true() if visible is None else visible)
        .group_by(LibraryCase.id)
        .order_by(hits.desc(), LibraryCase.id.desc())
        .limit(limit)
    )
    return [(lib, int(n)) for lib, n in session.execute(stmt).all()]
