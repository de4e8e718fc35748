"""Test database, per-test transactions, an API client and small factories.

The database under test comes from ``BANCHENG_TEST_DATABASE_URL`` (default: a fresh SQLite
file). For PostgreSQL a throwaway database is created beside the given one. With
``CI=true`` an unreachable PostgreSQL fails the run instead of being skipped.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bancheng.core import clock, deps
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


@pytest.fixture()
def session(connection: Any) -> Iterator[Session]:
    s = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    yield
    clock.set_clock(None)


@pytest.fixture()
def client(connection: Any, settings: Settings) -> Iterator[TestClient]:
    """An API client whose requests run inside the test's transaction."""
    from bancheng.main import create_app

    def factory(_write: bool) -> Session:
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    deps.session_factory = factory
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


def make_org(session: Session, settings: Settings) -> Org:
    from bancheng.org.auth import hash_password
    from bancheng.org.models import Hall, Matter, ServiceWindow, User
    from bancheng.org.service import create_department

    if TEST_PASSWORD not in _HASH_CACHE:
        _HASH_CACHE[TEST_PASSWORD] = hash_password(TEST_PASSWORD)
    org = Org()
    d = org.depts
    d["city"] = create_department(session, code="C", name="市政府", level="city", kind="government")
    d["centre"] = create_department(
        session, code="C-SC", name="市政务服务中心", level="city", kind="centre", parent=d["city"]
    )
    d["fund"] = create_department(
        session, code="C-HF", name="市住房公积金管理中心", level="city", parent=d["city"]
    )
    d["estate"] = create_department(
        session, code="C-RE", name="市不动产登记中心", level="city", parent=d["city"]
    )
    d["hrss"] = create_department(
        session, code="C-HR", name="市人社局", level="city", parent=d["city"]
    )
    d["distA"] = create_department(
        session,
        code="A",
        name="甲区人民政府",
        level="district",
        kind="government",
        parent=d["city"],
    )
    d["distA_centre"] = create_department(
        session,
        code="A-SC",
        name="甲区政务服务中心",
        level="district",
        kind="centre",
        parent=d["distA"],
    )
    d["distA_street"] = create_department(
        session,
        code="A-S1",
        name="甲区东街道",
        level="street",
        kind="government",
        parent=d["distA"],
    )
    d["distA_comm"] = create_department(
        session,
        code="A-S1-C1",
        name="东街道幸福社区",
        level="community",
        kind="government",
        parent=d["distA_street"],
    )
    d["distB"] = create_department(
        session,
        code="B",
        name="乙区人民政府",
        level="district",
        kind="government",
        parent=d["city"],
    )
    d["distB_centre"] = create_department(
        session,
        code="B-SC",
        name="乙区政务服务中心",
        level="district",
        kind="centre",
        parent=d["distB"],
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

    def user(key: str, role: str, dept: str, scope: str) -> None:
        u = User(
            username=key,
            display_name=key,
            role=role,
            department_id=d[dept].id,
            data_scope=scope,
            password_hash=_HASH_CACHE[TEST_PASSWORD],
            must_change_password=False,
            active=True,
            failed_logins=0,
            created_at=clock.now(),
        )
        session.add(u)
        org.users[key] = u

    user("clerk", "clerk", "centre", "all")
    user("clerk_a", "clerk", "distA_centre", "dept_and_below")
    user("handler_fund", "handler", "fund", "dept")
    user("handler_estate", "handler", "estate", "dept")
    user("handler_hrss", "handler", "hrss", "dept")
    user("handler_a", "handler", "distA", "dept_and_below")
    user("handler_b", "handler", "distB", "dept_and_below")
    user("supervisor", "supervisor", "centre", "all")
    user("supervisor_a", "supervisor", "distA", "dept_and_below")
    user("leader", "leader", "city", "all")
    user("leader_a", "leader", "distA", "dept_and_below")
    user("admin", "admin", "centre", "all")
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


def case_payload(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
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
    body.update(over)
    return body
