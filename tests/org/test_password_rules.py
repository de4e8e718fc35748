"""等保 sign-in rules: idle sessions end, passwords age, earlier passwords do not come back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.config import get_settings
from bancheng.org.models import AuthSession, PasswordHistory, User
from tests.conftest import TEST_PASSWORD, login

PASSWORDS = [f"Rotation-{i}-Passw0rd" for i in range(7)]


def _change(client: TestClient, headers: dict[str, str], old: str, new: str) -> Any:
    return client.post(
        "/api/v1/auth/password",
        json={"current_password": old, "new_password": new},
        headers=headers,
    )


def test_the_last_five_passwords_cannot_come_back(
    client: TestClient, org: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "password_history", 5)
    headers = login(client, "clerk")
    current = TEST_PASSWORD
    for new in PASSWORDS[:5]:
        assert _change(client, headers, current, new).status_code == 204
        current = new
    # Now: P4 current; P3, P2, P1 and P0 are the four before it; the first one is older.
    for old in PASSWORDS[:4]:
        r = _change(client, headers, current, old)
        assert r.status_code == 400 and r.json()["code"] == "auth.password_reused"
    session.expire_all()
    user = session.scalars(select(User).where(User.username == "clerk")).one()
    hashes = session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
    ).all()
    assert len(hashes) == 4  # the current hash is on the user; the history keeps 4 more
    assert _change(client, headers, current, TEST_PASSWORD).status_code == 204
    assert login(client, "clerk", TEST_PASSWORD)


def test_an_old_password_must_be_changed_before_anything_else(
    client: TestClient, org: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "password_max_age_days", 90)
    session.execute(
        update(User)
        .where(User.username == "clerk")
        .values(password_changed_at=clock.now() - timedelta(days=91))
    )
    session.commit()
    headers = login(client, "clerk")
    me = client.get("/api/v1/auth/me").json()
    assert me["must_change_password"] is True
    r = client.get("/api/v1/cases")
    assert r.status_code == 403 and r.json()["code"] == "auth.password_expired"
    assert _change(client, headers, TEST_PASSWORD, PASSWORDS[6]).status_code == 204
    assert client.get("/api/v1/cases").status_code == 200
    monkeypatch.setattr(get_settings(), "password_max_age_days", 0)  # 0: never expires
    session.execute(
        update(User)
        .where(User.username == "clerk")
        .values(password_changed_at=clock.now() - timedelta(days=5000))
    )
    session.commit()
    assert client.get("/api/v1/cases").status_code == 200


def test_an_idle_session_ends(
    client: TestClient, org: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "session_idle_minutes", 30)
    login(client, "clerk")

    def last_used(minutes: int) -> None:
        at = clock.now() - timedelta(minutes=minutes)
        session.execute(update(AuthSession).values(created_at=at, last_seen_at=at))
        session.commit()

    last_used(29)
    assert client.get("/api/v1/auth/me").status_code == 200
    session.expire_all()
    seen = session.scalars(select(AuthSession.last_seen_at)).one()
    assert seen is not None and clock.now() - seen < timedelta(minutes=1)  # the use counted
    last_used(31)
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401 and r.json()["code"] == "auth.required"
