"""Case numbers: ``<jurisdiction>-<year>-<seq:06d>``, consecutive per jurisdiction and
year, from one counter row per (jurisdiction, year) taken inside the creating
transaction, as late in it as possible (``number_later``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bancheng.cases import repository
from bancheng.cases.models import Case


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
    last = repository.bump_counter(session, jurisdiction, year, n)
    return [(seq, f"{jurisdiction}-{year}-{seq:06d}") for seq in range(last - n + 1, last + 1)]


# --- numbering at the end of the transaction -----------------------------------------
#
# From the counter's UPDATE to the commit, every other registration of the jurisdiction
# and year waits on the counter row (PostgreSQL) — so a registration is written first
# under a provisional, unique and never-committed number (``~`` and random hex, a negative
# random ``seq``), and numbered as late as possible: by ``number_pending`` where the caller
# needs the number (the answer, the SMS), or at the latest just before the commit
# (``before_commit``, ahead of the audit chain's seal). What needs the number waits for it
# with ``when_numbered`` (the notifications of ``cases.service.notify_event``).

_PENDING = "bancheng.cases_to_number"
PROVISIONAL_PREFIX = "~"


def number_later(session: Session, case: Case) -> None:
    """Give ``case`` (jurisdiction and year set, not yet flushed) a provisional number;
    its real one is taken by ``number_pending``."""
    case.seq = -1 - secrets.randbelow(2**31 - 2)
    case.number = PROVISIONAL_PREFIX + secrets.token_hex(15)
    session.info.setdefault(_PENDING, []).append((case, []))


def when_numbered(session: Session, case: Case, then: Callable[[], None]) -> None:
    """Run ``then`` once ``case`` has its number: now, or when ``number_pending`` gives it."""
    for pending, callbacks in session.info.get(_PENDING, []):
        if pending is case:
            callbacks.append(then)
            return
    then()


def number_pending(session: Session) -> None:
    """Number the session's provisional cases, in the order they were registered, and run
    what waited for their numbers. The counter's row lock is held from here to the commit."""
    while session.info.get(_PENDING):
        case, callbacks = session.info[_PENDING].pop(0)
        if case in session.new:
            session.flush()
        if not inspect(case).persistent:
            continue  # rolled back with its transaction
        seq, number = allocate_number(session, case.jurisdiction, case.year)
        repository.write_number(session, case.id, seq, number)
        set_committed_value(case, "seq", seq)
        set_committed_value(case, "number", number)
        for then in callbacks:
            then()


def _number_before_commit(session: Session) -> None:
    number_pending(session)


def _forget_after_rollback(session: Session, previous: Any) -> None:
    if previous.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)


# First among the before_commit listeners: the numbering's statements (and the messages
# that waited for the number) must be written before the audit chain seals the log rows.
event.listen(Session, "before_commit", _number_before_commit, insert=True)
event.listen(Session, "after_soft_rollback", _forget_after_rollback)
