"""The policy look-up and the working-day calendar are remembered per process
(``core/cache.py``) and read again once a policy, a department or the calendar changes —
in this process, or committed by another (Core statements unseen here, plus the stamp the
other process committed)."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, insert, update

from bancheng.core.cache import CacheStamp
from bancheng.sla import calendar as cal
from bancheng.sla import policies as pol
from bancheng.sla.models import SlaPolicy
from tests.conftest import reads_of
from tests.sla.data import synthetic_2027_csv
from tests.sla.helpers import find_policy, unit_policy


def _other_process_bumps(session, name: str) -> None:
    """The stamp another process commits with its change (a new value, the row made if
    none had been yet)."""
    t = CacheStamp.__table__
    session.execute(delete(t).where(t.c.name == name))
    session.execute(insert(t).values(name=name, version=secrets.randbits(62)))


def test_the_policy_is_chosen_from_memory_until_a_change(session, org, connection):
    session.commit()
    first = find_policy(session, dept=org.id("distA"))
    session.commit()
    again, n = reads_of(
        connection,
        ("sla_policies", "departments"),
        lambda: find_policy(session, dept=org.id("distA")),
    )
    assert again == first and n == 0
    # An edit in this process: the editing transaction and every later one see it.
    pol.update_policy(session, first.id, resolution_limit=9)
    assert find_policy(session, dept=org.id("distA")).resolution_limit == 9
    session.commit()
    assert find_policy(session, dept=org.id("distA")).resolution_limit == 9


def test_a_policy_changed_by_another_process_is_seen(session, org):
    session.commit()
    first = find_policy(session)
    session.commit()
    t = SlaPolicy.__table__
    session.execute(update(t).where(t.c.id == first.id).values(resolution_limit=5))
    _other_process_bumps(session, "sla_policies")
    session.commit()
    assert find_policy(session).resolution_limit == 5


def test_a_new_unit_policy_and_a_new_unit_are_seen(session, org, settings):
    from bancheng.org.service import create_department

    session.commit()
    assert find_policy(session).department_id is None
    session.commit()
    unit = create_department(
        session,
        code="X-1",
        name="新设部门",
        level="district",
        kind="agency",
        parent=org.depts["distA"],
    )
    session.commit()
    assert find_policy(session, dept=unit.id).department_id is None  # the new unit is known at once
    session.commit()
    mine = unit_policy(session, "新部门 5 个工作日", org.id("distA"), 5)
    session.commit()
    assert find_policy(session, dept=unit.id).id == mine.id  # inherited from the parent unit


def test_the_calendar_is_read_from_memory_until_an_import(session, connection):
    session.commit()
    first = cal.load_calendar(session)
    session.commit()
    again, n = reads_of(
        connection, ("calendar_years", "calendar_days"), lambda: cal.load_calendar(session)
    )
    assert again is first and n == 0
    assert not first.is_known(2027)
    cal.import_bytes(session, synthetic_2027_csv(), "2027.csv")
    session.commit()
    assert cal.load_calendar(session).is_known(2027)


def test_a_calendar_import_by_another_session_is_seen(session, db):
    session.commit()
    assert not cal.load_calendar(session).is_known(2027)
    session.commit()
    other = db.session()  # another unit of work, committing its own import and stamp
    cal.import_bytes(other, synthetic_2027_csv(), "2027.csv")
    other.commit()
    other.close()
    assert cal.load_calendar(session).is_known(2027)
