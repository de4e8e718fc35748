"""Case numbers: ``<jurisdiction>-<year>-<seq:06d>``, consecutive per jurisdiction and
year, from one counter row per (jurisdiction, year) taken inside the creating
transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bancheng.cases.models import CaseNumberCounter


def allocate_number(session: Session, jurisdiction: str, year: int) -> tuple[int, str]:
    """Take the next number of the jurisdiction's year. The counter row is updated inside
    the creating transaction: concurrent creators queue on its row lock (PostgreSQL) or on
    the write lock (SQLite), and a rolled-back creation returns its number."""
    return allocate_number_block(session, jurisdiction, year, 1)[0]


def allocate_number_block(
    session: Session, jurisdiction: str, year: int, n: int
) -> list[tuple[int, str]]:
    """Take the next ``n`` numbers of the jurisdiction's year at once (a bulk import's
    batch): one counter UPDATE by ``n``, the counter row created when missing, under the
    same row lock as ``allocate_number``. Returns ``(seq, number)`` in order, consecutive."""
    if n <= 0:
        return []
    bump = (
        update(CaseNumberCounter)
        .where(CaseNumberCounter.jurisdiction == jurisdiction, CaseNumberCounter.year == year)
        .values(last_seq=CaseNumberCounter.last_seq + n)
        .returning(CaseNumberCounter.last_seq)
    )
    opts = {"synchronize_session": False}
    last = session.execute(bump, execution_options=opts).scalar()
    if last is None:
        dialect = session.get_bind().dialect.name
        ins_mod: Any = postgresql if dialect == "postgresql" else sqlite
        session.execute(
            ins_mod.insert(CaseNumberCounter)
            .values(jurisdiction=jurisdiction, year=year, last_seq=0)
            .on_conflict_do_nothing()
        )
        last = session.execute(bump, execution_options=opts).scalar()
    assert last is not None
    return [(seq, f"{jurisdiction}-{year}-{seq:06d}") for seq in range(last - n + 1, last + 1)]
