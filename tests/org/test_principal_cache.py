"""The caller's principal is remembered per process (org/caller.py on core/cache.py) and
read again as soon as anything it is built from changes: a revoked token, a sign-out, a
disabled user, a changed role take effect on the very next request, whoever changed them.

"Another process" is a change committed through a different Session than the requests'
(the test's own), or, as ``tests/core/test_cache.py`` does, Core statements this process's
listeners never see plus the stamp a different process would have committed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bancheng.core import clock
from bancheng.core.cache import CacheStamp
from bancheng.org import caller
from bancheng.org.auth import create_api_token
from bancheng.org.models import ApiToken, AuthSession, User
from tests.conftest import case_payload, login, reads_of


def _bearer(session, org, permissions=("case.read", "case.create")):
    token, raw = create_api_token(session, org.users["clerk"], "t", list(permissions), 30)
    session.commit()
    return token.id, {"Authorization": f"Bearer {raw}"}


def _stamp(session) -> int | None:
    session.expire_all()
    return session.scalar(select(CacheStamp.version).where(CacheStamp.name == "principals"))


def test_a_known_token_is_not_read_again(client, org, session, connection):
    token_id, bearer = _bearer(session, org)
    r, first = reads_of(
        connection,
        ("api_tokens", "auth_sessions"),
        lambda: client.get("/api/v1/cases", headers=bearer),
    )
    assert r.status_code == 200 and first == 1
    before = _stamp(session)
    r, again = reads_of(
        connection,
        ("api_tokens", "auth_sessions"),
        lambda: client.get("/api/v1/cases", headers=bearer),
    )
    assert r.status_code == 200 and again == 0
    # Recording the token's use (once a minute) does not invalidate anyone's principals.
    caller._touch_token(token_id)
    assert session.scalar(select(ApiToken.last_used_at)) is not None
    assert _stamp(session) == before


def test_a_revoked_token_is_refused_at_once(client, org, session):
    token_id, bearer = _bearer(session, org)
    assert client.get("/api/v1/cases", headers=bearer).status_code == 200
    session.get(ApiToken, token_id).revoked_at = clock.now()  # another session, ORM
    session.commit()
    r = client.get("/api/v1/cases", headers=bearer)
    assert (r.status_code, r.json()["code"]) == (401, "auth.token_invalid")


def test_a_token_expires_on_time_while_remembered(client, org, session):
    _, bearer = _bearer(session, org)
    assert client.get("/api/v1/cases", headers=bearer).status_code == 200
    later = clock.now() + timedelta(days=31)
    clock.set_clock(lambda: later)
    try:
        r = client.get("/api/v1/cases", headers=bearer)
    finally:
        clock.set_clock(None)
    assert (r.status_code, r.json()["code"]) == (401, "auth.token_invalid")


def test_a_user_disabled_by_another_process_is_refused(client, org, session):
    _, bearer = _bearer(session, org)
    assert client.get("/api/v1/cases", headers=bearer).status_code == 200
    # Another process: Core statements (unseen here) and the stamp it committed.
    session.execute(
        update(User.__table__)
        .where(User.__table__.c.id == org.users["clerk"].id)
        .values(active=False)
    )
    session.execute(
        update(CacheStamp.__table__)
        .where(CacheStamp.__table__.c.name == "principals")
        .values(version=CacheStamp.__table__.c.version + 1)
    )
    session.commit()
    r = client.get("/api/v1/cases", headers=bearer)
    assert (r.status_code, r.json()["code"]) == (401, "auth.token_invalid")


def test_a_changed_role_applies_to_the_next_request(client, org, session):
    h = login(client, "clerk")
    r = client.post("/api/v1/cases", json=case_payload(), headers=h)
    assert r.status_code == 201, r.text
    clerk = session.get(User, org.users["clerk"].id)
    clerk.role = "handler"  # handlers do not register cases
    session.commit()
    r = client.post("/api/v1/cases", json=case_payload(), headers=h)
    assert (r.status_code, r.json()["code"]) == (403, "auth.forbidden")


def test_a_disabled_user_and_a_revoked_session_are_refused(client, org, session):
    login(client, "clerk")
    assert client.get("/api/v1/cases").status_code == 200
    clerk = session.get(User, org.users["clerk"].id)
    clerk.active = False
    session.commit()
    r = client.get("/api/v1/cases")
    assert (r.status_code, r.json()["code"]) == (401, "auth.required")
    clerk.active = True
    session.commit()
    assert client.get("/api/v1/cases").status_code == 200
    for row in session.scalars(select(AuthSession)):
        row.revoked = True  # an administrator ends every session, in another process
    session.commit()
    r = client.get("/api/v1/cases")
    assert (r.status_code, r.json()["code"]) == (401, "auth.required")


def test_a_known_session_is_not_read_again_and_its_csrf_still_checked(client, org, connection):
    h = login(client, "clerk")
    r, first = reads_of(
        connection, ("api_tokens", "auth_sessions"), lambda: client.get("/api/v1/cases")
    )
    assert r.status_code == 200 and first == 1
    r, again = reads_of(
        connection, ("api_tokens", "auth_sessions"), lambda: client.get("/api/v1/cases")
    )
    assert r.status_code == 200 and again == 0
    r = client.post("/api/v1/cases", json=case_payload(), headers={"X-CSRF-Token": "wrong"})
    assert (r.status_code, r.json()["code"]) == (403, "auth.csrf_failed")
    assert client.post("/api/v1/cases", json=case_payload(), headers=h).status_code == 201
