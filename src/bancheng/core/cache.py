"""Per-process caches of small, rarely changed tables (message templates, webhook
subscriptions, routing targets, the caller's principal, SLA policies, department paths, the
working-day calendar), with invalidation that holds across worker processes.

Each cache has a stamp, a row of ``cache_stamps``. Every change of a table a cache is built
from gives its stamp a new random value *in the changing transaction* (an ORM flush of one
of its models, or an ORM ``insert()``/``update()``/``delete()`` statement on it), so the
new stamp is committed exactly when the change is. Core statements on the tables are not
seen: use them only for columns no cache reads. A transaction reads all the stamps once,
with one ``SELECT`` (``check``, or its first ``Cached.get``), and a cache whose stamp has
moved is loaded again. What a transaction gets from a cache is therefore what it would
have read itself at the moment it read the stamps — never older. The intake path calls
``check`` early, so that the look-ups that come after the case number (the reporter's SMS,
the webhooks) cost no statement while the counter row is locked.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import BigInteger, String, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from bancheng.core.db import Base

T = TypeVar("T")

_STAMPS = "bancheng.cache_stamps"  # session.info: (transaction, {name: version})
_MISSING: Any = object()


class CacheStamp(Base):
    """The version of one per-process cache; bumped with every change of its tables."""

    __tablename__ = "cache_stamps"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


_caches: dict[str, Cached[Any]] = {}
_watched: dict[type, set[str]] = {}  # model -> names of the caches built from it


class Cached(Generic[T]):
    """``load(session)`` once per process and stamp; ``get(session)`` answers from memory
    while the stamp is unchanged. ``models``: the mapped classes ``load`` reads."""

    def __init__(self, name: str, models: tuple[type, ...], load: Callable[[Session], T]) -> None:
        assert name not in _caches, name
        self.name = name
        self._load = load
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._value: T = _MISSING
        _caches[name] = self
        for model in models:
            _watched.setdefault(model, set()).add(name)

    def get(self, session: Session) -> T:
        stamp = stamps(session).get(self.name, 0)
        with self._lock:
            if self._stamp == stamp and self._value is not _MISSING:
                return self._value
        value = self._load(session)
        with self._lock:
            self._stamp, self._value = stamp, value
        return value

    def clear(self) -> None:
        """Forget the value: the next ``get`` loads again."""
        with self._lock:
            self._stamp, self._value = None, _MISSING


_READ_STAMPS = select(CacheStamp.__table__.c.name, CacheStamp.__table__.c.version)


def stamps(session: Session) -> dict[str, int]:
    """The stamps as this transaction first read them (one ``SELECT`` per transaction)."""
    held = session.info.get(_STAMPS)
    if held is not None and held[0] is session.get_transaction():
        return held[1]  # type: ignore[no-any-return]
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()  # as the ORM would before a query: the transaction's own bumps count
    rows = session.connection().execute(_READ_STAMPS).all()  # Core: no ORM execution
    current = {name: version for name, version in rows}
    session.info[_STAMPS] = (session.get_transaction(), current)
    return current


def check(session: Session) -> None:
    """Read the stamps now (early in a transaction), not at a cache's first use."""
    stamps(session)


def _bump(session: Session, names: set[str]) -> None:
    dialect = session.get_bind().dialect.name
    ins: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    conn = session.connection()
    held = session.info.get(_STAMPS)
    for name in sorted(names):  # a fixed order: two writers never lock stamps crosswise
        # A fresh random version, not the next one: a rolled-back bump's value is never
        # written again, so a cache loaded from uncommitted data never matches a stamp.
        version = secrets.randbits(62)
        stmt = ins(CacheStamp).values(name=name, version=version)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=[CacheStamp.name], set_={"version": version})
        )
        if held is not None:  # this transaction's own later reads load again
            held[1][name] = version


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous: Any) -> None:
    """A rolled-back savepoint takes its bumps with it: read the stamps again."""
    session.info.pop(_STAMPS, None)


@event.listens_for(Session, "after_flush")
def _bump_after_flush(session: Session, _ctx: Any) -> None:
    names: set[str] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        names |= _watched.get(type(obj), set())
    if names:
        _bump(session, names)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    names = _watched.get(state.bind_mapper.class_)
    if names:
        _bump(state.session, names)
