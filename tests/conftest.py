"""Test database, per-test transactions, an API client and small factories
(docs/testing.md).

The database under test comes from ``BANCHENG_TEST_DATABASE_URL`` (default: a fresh SQLite
file). For PostgreSQL a throwaway database is created beside the given one. With
``CI=true`` an unreachable PostgreSQL fails the run instead of being skipped.

One database double: ``db``, a ``Database`` on the test's connection. The API client's
requests (``deps.session_factory``), the CLI commands (``Env(database=db)``) and the
workers all open their units of work through it, each a savepoint of the test's
transaction, which is rolled back when the test ends.
"""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bancheng.core import clock, deps
from bancheng.core.cli import Env
from bancheng.core.config import Settings, get_settings
from bancheng.core.crypto import get_crypto
from bancheng.core.db import Database, set_database
from bancheng.core.migrate import upgrade
from bancheng.hooks import install

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TEST_PASSWORD = "Test-Passw0rd!"

_tmp = tempfile.mkdtemp(prefix="bancheng-test-")
os.environ.setdefault("BANCHENG_DATA_DIR", _tmp)
os.environ.setdefault("BANCHENG_ENV", "test")


def _test_url() -> str:
    url = os.environ.get("BANCHENG_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{_tmp}/test.db"


def _prepare_postgres(url: str, worker: str) -> str:
    """Create a fresh database named after the given one (per xdist worker)."""
    u = make_url(url)
    name = f"{u.database or 'test'}_bancheng_{worker}"
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.exit(f"PostgreSQL required in CI but unreachable: {exc}", returncode=3)
        raise
    finally:
        admin.dispose()
    return u.set(database=name).render_as_string(hide_password=False)


def own_database_url(name: str, folder: Path, worker_id: str) -> str:
    """A fresh, empty database of the suite's kind beside the test database, for the few
    tests that cannot run inside the test's transaction: their work must really commit,
    to be seen by other connections (concurrency, locks), other processes (a live server,
    the CLI as a subprocess) or tools (pg_dump)."""
    url = _test_url()
    if url.startswith("postgresql"):
        return _prepare_postgres(url, f"{name}_{worker_id}")
    return f"sqlite:///{folder}/{name}.db"


@pytest.fixture()
def own_database(
    request: pytest.FixtureRequest, tmp_path: Path, worker_id: str
) -> Iterator[Database]:
    """A migrated database of the test's own (``own_database_url``, named after its
    module): what the test commits stays out of the suite's database."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    url = own_database_url(name, tmp_path, worker_id)
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def db_url(worker_id: str) -> str:
    url = _test_url()
    if url.startswith("postgresql"):
        return _prepare_postgres(url, worker_id)
    return url if worker_id == "master" else url.replace("test.db", f"test_{worker_id}.db")


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    return getattr(request.config, "workerinput", {}).get("workerid", "master")


@pytest.fixture(scope="session")
def database(db_url: str) -> Iterator[Database]:
    upgrade(db_url)
    db = Database(db_url)
    set_database(db)
    yield db
    set_database(None)
    db.dispose()


@pytest.fixture(scope="session", autouse=True)
def _hooks() -> None:
    """What every entry point registers (``bancheng.hooks.install``): the tests write
    through services and jobs without an app, and must get the same guards."""
    install()


@pytest.fixture(scope="session")
def settings() -> Settings:
    get_settings.cache_clear()
    get_crypto.cache_clear()
    return get_settings()


@pytest.fixture()
def connection(database: Database) -> Iterator[Any]:
    conn = database.write_engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


class ConnectionDatabase(Database):
    """The test double of ``Database``: every session it opens is bound to the test's
    connection and joins its transaction as a savepoint, so a unit of work commits (to the
    savepoint) or rolls back exactly as it would on its own, and the test's rollback
    removes everything at the end. Its engines are the real ones (for the dialect)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.url = connection.engine.url.render_as_string(hide_password=True)
        self.is_sqlite = connection.dialect.name == "sqlite"
        self.write_engine = self.read_engine = connection.engine

    def session(self, write: bool = True) -> Session:
        return Session(
            bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    def dispose(self) -> None:
        """The engine belongs to the session-wide ``database`` fixture."""


@pytest.fixture()
def db(connection: Any) -> ConnectionDatabase:
    return ConnectionDatabase(connection)


@pytest.fixture()
def session(db: ConnectionDatabase) -> Iterator[Session]:
    s = db.session()
    yield s
    s.close()


@pytest.fixture()
def cli(db: ConnectionDatabase) -> Any:
    """``cli(*args)``: run ``bancheng ARGS`` on the test's database; returns click's Result."""
    from click.testing import CliRunner

    from bancheng.cli import main

    def invoke(*args: str, **kw: Any) -> Any:
        kw.setdefault("catch_exceptions", False)  # a traceback, not exit code 1
        return CliRunner().invoke(main, list(args), obj=Env(database=db), **kw)

    return invoke


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    yield
    clock.set_clock(None)


@pytest.fixture()
def fresh_index() -> Iterator[None]:
    """The similar-case index is the process's and looks for new cases at most every 2 s:
    a test right after another would search an index that predates its cases."""
    from bancheng.routing import service

    service.reset_index()
    yield
    service.reset_index()


@pytest.fixture()
def client(db: ConnectionDatabase, settings: Settings) -> Iterator[TestClient]:
    """An API client whose requests run inside the test's transaction."""
    from bancheng.main import create_app

    deps.session_factory = db.session
    try:
        with TestClient(create_app(), base_url="http://testserver") as c:
            yield c
    finally:
        deps.session_factory = None


# --- factories -----------------------------------------------------------------------


@dataclass
class Org:
    """A small city: a centre, two districts (A with a street and a community), agencies."""

    depts: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    matters: dict[str, Any] = field(default_factory=dict)
    hall: Any = None
    window: Any = None

    def id(self, key: str) -> int:
        return int(self.depts[key].id)


_HASH_CACHE: dict[str, str] = {}


def make_user(
    session: Session,
    username: str,
    role: str,
    department: Any,
    scope: str = "dept",
    *,
    password: str = TEST_PASSWORD,
    **fields: Any,
) -> Any:
    """The one way tests make a staff account: active, password set (hashed once per
    password and process), no change demanded; ``department`` a Department or its id;
    ``fields`` override any column (``display_name`` defaults to the username)."""
    from bancheng.org.auth import hash_password
    from bancheng.org.models import User

    if password not in _HASH_CACHE:
        _HASH_CACHE[password] = hash_password(password)
    values: dict[str, Any] = {
        "username": username,
        "display_name": username,
        "role": role,
        "department_id": department if isinstance(department, int) else department.id,
        "data_scope": scope,
        "password_hash": _HASH_CACHE[password],
        "must_change_password": False,
        "active": True,
        "failed_logins": 0,
        "created_at": clock.now(),
    }
    values.update(fields)
    user = User(**values)
    session.add(user)
    session.flush()
    return user


# The test city's users, one a row: key (and username), role, department key, data scope.
ORG_USERS = [
    row.split()
    for row in """
    clerk           clerk       centre          all
    clerk_a         clerk       distA_centre    dept_and_below
    handler_fund    handler     fund            dept
    handler_estate  handler     estate          dept
    handler_hrss    handler     hrss            dept
    handler_a       handler     distA           dept_and_below
    handler_b       handler     distB           dept_and_below
    supervisor      supervisor  centre          all
    supervisor_a    supervisor  distA           dept_and_below
    leader          leader      city            all
    leader_a        leader      distA           dept_and_below
    admin           admin       centre          all
    """.strip().splitlines()
]


def make_org(session: Session, settings: Settings) -> Org:
    from bancheng.org.models import Hall, Matter, ServiceWindow
    from bancheng.org.service import create_department

    org = Org()
    d = org.depts
    # key: (code, name, level, kind, parent key)
    units = {
        "city": ("C", "市政府", "city", "government", None),
        "centre": ("C-SC", "市政务服务中心", "city", "centre", "city"),
        "fund": ("C-HF", "市住房公积金管理中心", "city", "agency", "city"),
        "estate": ("C-RE", "市不动产登记中心", "city", "agency", "city"),
        "hrss": ("C-HR", "市人社局", "city", "agency", "city"),
        "distA": ("A", "甲区人民政府", "district", "government", "city"),
        "distA_centre": ("A-SC", "甲区政务服务中心", "district", "centre", "distA"),
        "distA_street": ("A-S1", "甲区东街道", "street", "government", "distA"),
        "distA_comm": ("A-S1-C1", "东街道幸福社区", "community", "government", "distA_street"),
        "distB": ("B", "乙区人民政府", "district", "government", "city"),
        "distB_centre": ("B-SC", "乙区政务服务中心", "district", "centre", "distB"),
    }
    for key, (code, name, level, kind, parent) in units.items():
        d[key] = create_department(
            session, code=code, name=name, level=level, kind=kind, parent=d.get(parent)
        )
    hall = Hall(department_id=d["centre"].id, name="市民中心一楼大厅", address="人民路1号")
    session.add(hall)
    session.flush()
    win = ServiceWindow(
        hall_id=hall.id, number="01", name="办不成事反映窗口", is_feedback_window=True
    )
    session.add(win)
    org.hall, org.window = hall, win
    org.matters["fund"] = Matter(
        code="HF-001",
        name="住房公积金提取",
        department_id=d["fund"].id,
        materials=["身份证", "购房合同"],
    )
    org.matters["estate"] = Matter(
        code="RE-001",
        name="不动产登记",
        department_id=d["estate"].id,
        materials=["身份证", "不动产权证书"],
    )
    session.add_all(org.matters.values())

    for key, role, dept, scope in ORG_USERS:
        org.users[key] = make_user(session, key, role, d[dept], scope)
    session.flush()
    return org


@pytest.fixture()
def org(session: Session, settings: Settings) -> Org:
    o = make_org(session, settings)
    session.commit()
    return o


def principal_of(session: Session, org: Org, key: str) -> Any:
    from bancheng.org.scope import principal_for

    return principal_for(session, org.users[key])


def login(client: TestClient, username: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    """Sign in; returns the headers (CSRF) that state-changing requests need."""
    client.cookies.clear()
    r = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"X-CSRF-Token": r.json()["csrf_token"]}


def upload_csv(
    client: TestClient,
    url: str,
    headers: dict[str, str],
    name: str,
    raw: bytes,
    data: dict[str, str] | None = None,
) -> httpx.Response:
    """POST ``raw`` as the CSV file ``name`` of a form (``data``: the form's other fields)."""
    return client.post(url, headers=headers, data=data, files={"file": (name, raw, "text/csv")})


def payload(defaults: dict[str, Any], **over: Any) -> dict[str, Any]:
    """A request body: a fresh copy of ``defaults`` (nested values too), ``over`` laid on top."""
    body = copy.deepcopy(defaults)
    body.update(over)
    return body


CASE_PAYLOAD: dict[str, Any] = {
    "channel": "window",
    "kind": "cannot_do",
    "difficulty": "general",
    "blocker_type": "missing_materials",
    "title": "公积金提取被要求重复提交材料",
    "description": "第三次来办理公积金提取，每次都被要求补交不同的材料，希望一次性告知。",
    "reporter": {
        "type": "person",
        "name": "张三",
        "phone": "13812345678",
        "id_number": "11010519491231002X",
    },
}


case_payload = partial(payload, CASE_PAYLOAD)


def case_row(
    jurisdiction: str, n: int, department_id: int, at: datetime, **over: Any
) -> dict[str, Any]:
    """The columns of case ``n`` numbered ``{jurisdiction}-2026-{n:06d}``, written straight
    to the table (no service, no events): a closed window case registered and last updated
    ``at``, received and held by ``department_id``; ``over`` overrides any column."""
    return {
        "number": f"{jurisdiction}-2026-{n:06d}",
        "jurisdiction": jurisdiction,
        "year": 2026,
        "seq": n,
        "state": "closed",
        "channel": "window",
        "kind": "cannot_do",
        "difficulty": "general",
        "blocker_type": "missing_materials",
        "title": "测试",
        "description": "测试",
        "reporter_type": "person",
        "reporter_name": "张三",
        "reporter_phone_enc": "x",
        "reporter_phone_hash": f"h{n}",
        "reporter_phone_masked": "138****5678",
        "first_receipt_department_id": department_id,
        "current_department_id": department_id,
        "registered_at": at,
        "updated_at": at,
        **over,
    }


def reads_of(connection: Any, tables: tuple[str, ...], call: Callable[[], Any]) -> tuple[Any, int]:
    """``call()``'s result and how many statements it sent that read FROM one of ``tables``
    (for the caches' tests: a cached look-up sends none)."""
    seen: list[str] = []

    def hook(_conn: Any, _cur: Any, statement: str, *_: Any) -> None:
        if any(f"FROM {t}" in statement for t in tables):
            seen.append(statement)

    event.listen(connection, "before_cursor_execute", hook)
    try:
        result = call()
    finally:
        event.remove(connection, "before_cursor_execute", hook)
    return result, len(seen)


# --- servers in subprocesses ---------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on at the moment."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, proc: subprocess.Popen[Any], seconds: float) -> bool:
    """Poll ``base/api/health`` until it answers 200 (True), or ``proc`` exits or
    ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def stop(proc: subprocess.Popen[Any], seconds: float, *, group: bool = False) -> None:
    """SIGTERM ``proc``; if it has not exited after ``seconds``, SIGKILL it (its whole
    process group with ``group``: one started with ``start_new_session=True``)."""
    proc.terminate()
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
