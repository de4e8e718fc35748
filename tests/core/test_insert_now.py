"""``core.db.insert_now``: one Core INSERT for a hot path's row, and afterwards the row is
in the session exactly as a flush would have left it (persistent, defaults known, new in
the transaction: a rollback forgets it, an ORM update bumps its version)."""

from __future__ import annotations

from sqlalchemy import event, inspect, select

from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.db import insert_now
from bancheng.org.models import Hall
from tests.conftest import case_row


def _statements(session, call):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement.split()[0].upper())

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_one_insert_and_the_row_is_persistent_with_its_defaults(session, org) -> None:
    hall = Hall(department_id=org.depts["centre"].id, name="东区大厅")
    session.connection()  # open the transaction (the test's savepoint) first
    assert _statements(session, lambda: insert_now(session, hall)) == ["INSERT"]
    state = inspect(hall)
    assert state.persistent and hall.id is not None and hall.address is None
    assert session.get(Hall, hall.id) is hall  # in the identity map under its key
    session.expire(hall)
    assert (hall.name, hall.address) == ("东区大厅", None)  # what the database holds


def test_a_rollback_forgets_the_row_like_a_flushed_one(session, org) -> None:
    session.commit()
    hall = Hall(department_id=org.depts["centre"].id, name="回滚大厅")
    insert_now(session, hall)
    hall_id = hall.id
    session.rollback()
    assert inspect(hall).transient  # expunged, as a flushed new object is
    assert session.scalar(select(Hall).where(Hall.id == hall_id)) is None
    again = Hall(department_id=org.depts["centre"].id, name="再建大厅")
    insert_now(session, again)  # its key may be the rolled-back one's: no identity clash
    assert session.get(Hall, again.id) is again


def test_a_versioned_row_starts_at_its_default_and_updates_through_the_orm(session, org) -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    case = Case(**case_row("T", 999999, org.depts["centre"].id, at, state="registered"))
    insert_now(session, case)
    assert case.version == 1
    case.title = "改过的标题"
    session.flush()  # the ORM's versioned UPDATE finds the row at version 1
    assert case.version == 2
    session.expire(case)
    assert (case.title, case.version) == ("改过的标题", 2)


def test_unless_exists_writes_nothing_for_a_taken_key_and_leaves_the_object_out(session) -> None:
    from bancheng.outbox.models import OutboxMessage

    def message(subject: str) -> OutboxMessage:
        return OutboxMessage(
            channel="sms",
            kind="test",
            idempotency_key="insert-now:1",
            subject=subject,
            payload={},
            next_attempt_at=clock.now(),
            created_at=clock.now(),
        )

    first, second = message("第一条"), message("第二条")
    assert insert_now(session, first, unless_exists="idempotency_key") is True
    assert insert_now(session, second, unless_exists="idempotency_key") is False
    assert inspect(second).transient and second.id is None
    session.flush()  # the refused object is not pending: no second INSERT to fail here
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == "insert-now:1")
    ).all()
    assert [(m.id, m.subject, m.state, m.attempts) for m in rows] == [
        (first.id, "第一条", "pending", 0)
    ]


def test_the_rows_written_this_way_are_not_read_by_a_cache() -> None:
    """A cache's stamp moves on a flush of the models it reads; these rows are never
    flushed, so no cache may read them."""
    from bancheng.core import cache
    from bancheng.intake.models import CaseAccessToken
    from bancheng.main import create_app
    from bancheng.outbox.models import OutboxMessage

    create_app()  # every domain's caches are declared
    assert cache._watched
    assert {Case, CaseAccessToken, OutboxMessage}.isdisjoint(cache._watched)
