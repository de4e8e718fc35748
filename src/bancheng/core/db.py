"""Engine and sessions. SQLite (WAL, foreign keys) by default, PostgreSQL through psycopg 3.

On SQLite a transaction that reads first and writes later can fail to upgrade its lock
while another writer commits, so write sessions start with ``BEGIN IMMEDIATE`` and
read sessions with a plain deferred ``BEGIN``. PostgreSQL needs no such distinction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Engine, MetaData, Select, create_engine, event, insert, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from bancheng.core.config import Settings, get_settings
from bancheng.core.errors import NotFound, present

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def found(session: Session, stmt: Select[T], missing: NotFound, *, lock: bool = False) -> T:
    """The row ``stmt`` selects (locked for update with ``lock``), or ``missing`` raised
    (``core.errors.present``)."""
    return present(session.scalar(stmt.with_for_update() if lock else stmt), missing)


@lru_cache(maxsize=64)
def _insert_returning_key(table: Any, dialect: str, unless_exists: str | None) -> Any:
    """``INSERT INTO table … RETURNING`` its key (``ON CONFLICT (unless_exists) DO
    NOTHING`` when given), built once per table: its values come with each execution."""
    stmt: Any = insert(table)
    if unless_exists is not None:
        stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        stmt = stmt.on_conflict_do_nothing(index_elements=[unless_exists])
    return stmt.returning(*table.primary_key)


def insert_now(session: Session, obj: Base, *, unless_exists: str | None = None) -> bool:
    """Write a new ``obj`` with one Core ``INSERT ... RETURNING`` of its key and put it in
    ``session`` as persistent, without the unit of work (a hot path's rows: a case's
    registration, its access token, its messages). Every column is given: the value set
    on ``obj``, else the column's scalar default, else NULL, so nothing of the row is left
    to load again. ``unless_exists``: a unique column; when a row with ``obj``'s value is
    there already, nothing is written, ``obj`` stays out of the session and the answer is
    False. Flush-time listeners (the caches' stamps, the insights' dirty days) do not see
    the row, so this is only for rows they need not see (``tests/core/test_insert_now``)."""
    mapper = inspect(obj).mapper
    table: Any = mapper.local_table
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key and prop.key not in obj.__dict__:
            continue
        if prop.key not in obj.__dict__:
            default = column.default
            assert column.server_default is None, column  # its value would be unknown here
            assert default is None or default.is_scalar, column
            setattr(obj, prop.key, default.arg if default is not None else None)
        if obj.__dict__[prop.key] is not None:  # NULL by default: fewer parameters to bind
            values[column.key] = obj.__dict__[prop.key]
    conn = session.connection()
    stmt = _insert_returning_key(table, conn.dialect.name, unless_exists)
    key = conn.execute(stmt, values).first()
    if key is None:
        return False
    for column, value in zip(table.primary_key, key, strict=True):
        setattr(obj, mapper.get_property_by_column(column).key, value)
    session.add(obj)  # pending, with its key: among the session's new objects
    # What a flush does once its INSERTs ran: pending becomes persistent, under its
    # identity key, and counts as new in the transaction (a rollback expunges it).
    # SQLAlchemy has no public call for this step; tests/core/test_insert_now holds it to
    # the pinned version's behaviour.
    session._register_persistent({inspect(obj)})
    return True


def _sqlite_engine(url: str, immediate: bool, **kw: Any) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        **kw,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN instead of pysqlite.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """Holds the engines and session factories for one database URL."""

    def __init__(self, url: str, statement_timeout_ms: int = 0, **engine_kw: Any) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.write_engine = _sqlite_engine(url, immediate=True, **engine_kw)
            self.read_engine = _sqlite_engine(url, immediate=False, **engine_kw)
        else:
            kw: dict[str, Any] = {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}
            if statement_timeout_ms:
                kw["connect_args"] = {"options": f"-c statement_timeout={statement_timeout_ms}"}
            kw.update(engine_kw)
            self.write_engine = create_engine(url, **kw)
            self.read_engine = self.write_engine
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    def session(self, write: bool = True) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any exception."""
        session = self.session(write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


_db: Database | None = None


def get_database(settings: Settings | None = None) -> Database:
    global _db
    if _db is None:
        settings = settings or get_settings()
        if settings.is_sqlite:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        _db = Database(settings.resolved_database_url, settings.statement_timeout_ms)
    return _db


def set_database(db: Database | None) -> None:
    global _db
    _db = db
