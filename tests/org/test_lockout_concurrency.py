"""Parallel wrong guesses, each in a transaction of its own (committed for real), lock the
account after exactly ``max_failed_logins``; a locked account, an unknown user and a wrong
password answer alike after the same work (one argon2 verification each)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import select

from bancheng.audit.models import LoginLog
from bancheng.core import deps
from bancheng.core.errors import Unauthorized
from bancheng.org import auth
from bancheng.org.models import User
from bancheng.org.service import create_department
from tests.conftest import TEST_PASSWORD, make_user

GUESSES = 12


@pytest.fixture()
def database(own_database, monkeypatch):
    """Each guess commits for real, from a thread of its own: on a database of the test's
    own (the login log is append-only: nothing of it could be removed from the suite's).
    Sign-in reserves each attempt in a transaction of its own (``separate_transaction``),
    opened through ``deps.session_factory``: on that database too."""
    monkeypatch.setattr(deps, "session_factory", own_database.session)
    return own_database


@pytest.fixture()
def lone_user(database, settings):
    with database.transaction() as s:
        dept = create_department(s, code="LOCK-1", name="锁定测试中心", level="city", kind="centre")
        user = make_user(s, "lock_clerk", "clerk", dept, "all", display_name="锁定")
        return (dept.id, user.id)


def _try(database, settings, username: str, password: str) -> str:
    try:
        with database.transaction() as s:
            try:
                auth.authenticate(s, settings, username, password, "10.0.0.1", None)
            except Unauthorized as exc:
                s.commit()  # what the request does for a refusal that keeps its changes
                return f"{exc.status_code} {exc.code} {exc.detail}"
        return "ok"
    except Exception as exc:  # pragma: no cover - a failure shows in the assertion
        return repr(exc)


def test_parallel_wrong_guesses_lock_after_exactly_the_limit(database, settings, lone_user):
    start = Barrier(GUESSES)

    def guess(i: int) -> str:
        start.wait()
        return _try(database, settings, "lock_clerk", f"wrong-{i}")

    with ThreadPoolExecutor(max_workers=GUESSES) as pool:
        answers = list(pool.map(guess, range(GUESSES)))
    assert len(set(answers)) == 1 and answers[0].startswith("401 auth.invalid_credentials")
    with database.transaction(write=False) as s:
        reasons = s.scalars(select(LoginLog.reason).where(LoginLog.username == "lock_clerk")).all()
        user = s.get(User, lone_user[1])
        assert user is not None and user.locked_until is not None
    assert sorted(reasons) == sorted(
        ["bad_password"] * settings.max_failed_logins
        + ["locked"] * (GUESSES - settings.max_failed_logins)
    )
    # Locked: even the right password answers like a wrong one.
    assert _try(database, settings, "lock_clerk", TEST_PASSWORD) == answers[0]


def test_locked_unknown_and_wrong_do_the_same_work(database, settings, lone_user, monkeypatch):
    calls: list[str] = []
    real = auth._hasher

    class Counting:
        def verify(self, stored: str, password: str) -> bool:
            calls.append(stored)
            return real.verify(stored, password)

    monkeypatch.setattr(auth, "_hasher", Counting())
    wrong = _try(database, settings, "lock_clerk", "wrong")
    unknown = _try(database, settings, "lock_ghost", "wrong")
    for _ in range(settings.max_failed_logins):
        _try(database, settings, "lock_clerk", "wrong")
    calls.clear()
    locked = _try(database, settings, "lock_clerk", TEST_PASSWORD)
    assert wrong == unknown == locked
    assert len(calls) == 1  # the locked account's answer cost one verification too
    calls.clear()
    _try(database, settings, "lock_ghost", "x")
    assert len(calls) == 1
