"""The per-process caches (core/cache.py): answered from memory while nothing changed, loaded
again once a change of their tables is committed — in this process or, through the stamp,
in any other — and never serving what a rolled-back change wrote."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from bancheng.core import clock
from bancheng.core.cache import CacheStamp, stamps
from bancheng.notify.models import MessageTemplate
from bancheng.notify.templates import DEFAULTS, template_for
from tests.conftest import reads_of

KIND = "reporter.accepted"


def _customise(session, body: str) -> None:
    row = session.get(MessageTemplate, KIND) or MessageTemplate(kind=KIND)
    row.subject, row.body, row.enabled = "受理", body, True
    row.sms_params, row.updated_at = [], clock.now()
    session.add(row)
    session.flush()


def test_answered_from_memory_until_a_change(session, connection):
    session.commit()
    first, _ = reads_of(connection, ("message_templates",), lambda: template_for(session, KIND))
    session.commit()
    again, n2 = reads_of(connection, ("message_templates",), lambda: template_for(session, KIND))
    assert first == again == DEFAULTS[KIND]
    assert n2 == 0  # same stamp: no statement
    before = stamps(session).get("message_templates")
    _customise(session, "您的诉求{number}已受理")
    # The changing transaction reads its own change at once ...
    mine, n3 = reads_of(connection, ("message_templates",), lambda: template_for(session, KIND))
    assert mine.body == "您的诉求{number}已受理" and n3 == 1
    session.commit()
    # ... and every later one sees the new stamp.
    after = session.scalar(select(CacheStamp.version).where(CacheStamp.name == "message_templates"))
    assert after is not None and after != before
    assert template_for(session, KIND).body == "您的诉求{number}已受理"


def test_a_change_by_another_process_is_seen(session):
    _customise(session, "旧措辞{number}")
    session.commit()
    assert template_for(session, KIND).body == "旧措辞{number}"
    session.commit()
    # Another worker changed the row and bumped the stamp: simulated with Core statements,
    # which this process's listeners do not see.
    session.execute(
        MessageTemplate.__table__.update()
        .where(MessageTemplate.__table__.c.kind == KIND)
        .values(body="新措辞{number}")
    )
    session.execute(
        update(CacheStamp.__table__)
        .where(CacheStamp.__table__.c.name == "message_templates")
        .values(version=CacheStamp.__table__.c.version + 1)
    )
    session.commit()
    assert template_for(session, KIND).body == "新措辞{number}"


def test_a_rolled_back_change_is_never_served(session):
    session.commit()
    assert template_for(session, KIND) == DEFAULTS[KIND]
    _customise(session, "未提交的措辞{number}")
    assert template_for(session, KIND).body == "未提交的措辞{number}"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(MessageTemplate)) == 0
    assert template_for(session, KIND) == DEFAULTS[KIND]


def test_orm_delete_statement_bumps(session):
    _customise(session, "将被删除{number}")
    session.commit()
    assert template_for(session, KIND).body == "将被删除{number}"
    session.commit()
    session.execute(delete(MessageTemplate).where(MessageTemplate.kind == KIND))
    session.commit()
    assert template_for(session, KIND) == DEFAULTS[KIND]


def test_a_change_not_yet_flushed_is_seen_by_its_own_transaction(session):
    session.commit()
    assert template_for(session, KIND) == DEFAULTS[KIND]
    session.commit()
    session.add(
        MessageTemplate(
            kind=KIND,
            subject="受理",
            body="尚未写入的措辞{number}",
            enabled=True,
            sms_params=[],
            updated_at=clock.now(),
        )
    )
    # Reading the stamps flushes first, as a query would: the bump counts, the cache reloads.
    assert template_for(session, KIND).body == "尚未写入的措辞{number}"
    session.rollback()
    assert template_for(session, KIND) == DEFAULTS[KIND]
