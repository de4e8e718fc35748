"""Marking the registration days whose cases changed, so that the next refresh of the
rollup recomputes them (``insights_dirty_days``). A session listener, registered by
``bancheng.hooks.install``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from bancheng.cases.models import Case, CaseDepartment
from bancheng.feedback.models import CallbackTask, Evaluation, Rectification
from bancheng.insights.repository.rollup import mark_days_dirty, registered_at_of

# Objects whose change moves a case's counters: the case itself, the units involved (data
# scope), and the citizen side's rows counted by the rates.
TRACKED = (Case, CaseDepartment, Evaluation, Rectification, CallbackTask)


def mark_dirty_days(session: Session, _ctx: Any) -> None:
    """After every flush, put the registration days (before today: today is always
    recomputed) of the cases changed in it on ``insights_dirty_days``, in the same
    transaction, so the next refresh recomputes them."""
    changed = [
        obj for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, TRACKED)
    ]
    if not changed:
        return
    instants: list[datetime] = []
    lookup: set[int] = set()
    for obj in changed:
        if isinstance(obj, Case):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            if obj.registered_at is not None:
                instants.append(obj.registered_at)
            continue
        case_id = obj.case_id
        if case_id is None:
            continue
        loaded = session.identity_map.get(identity_key(Case, case_id))
        if isinstance(loaded, Case) and loaded.registered_at is not None:
            instants.append(loaded.registered_at)
        else:
            lookup.add(case_id)
    conn = session.connection()
    if lookup:
        instants += registered_at_of(conn, lookup)
    mark_days_dirty(conn, instants)


SESSION_LISTENERS = (("after_flush", mark_dirty_days),)
