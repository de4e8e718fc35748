"""Sign-in, sessions, CSRF, API tokens, lockout, password policy and forced change."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bancheng.audit.models import LoginLog
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.org.models import ApiToken, User
from tests.conftest import TEST_PASSWORD, case_payload, login, upload_csv


def _cases(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Case))


def test_login_sets_httponly_session_and_csrf_cookie(client, org):
    r = client.post("/api/v1/auth/login", json={"username": "clerk", "password": TEST_PASSWORD})
    assert r.status_code == 200
    cookies = r.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("bc_session="))
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie
    csrf_cookie = next(c for c in cookies if c.startswith("bc_csrf="))
    assert "HttpOnly" not in csrf_cookie
    me = client.get("/api/v1/auth/me").json()
    assert (me["username"], me["role"], me["department_name"]) == (
        "clerk",
        "clerk",
        "市政务服务中心",
    )
    assert "case.create" in me["permissions"] and "user.manage" not in me["permissions"]


def test_wrong_password_and_lockout(client, org, session, settings):
    for _ in range(settings.max_failed_logins):
        r = client.post("/api/v1/auth/login", json={"username": "clerk", "password": "nope"})
        assert r.status_code == 401 and r.json()["code"] == "auth.invalid_credentials"
    r = client.post("/api/v1/auth/login", json={"username": "clerk", "password": TEST_PASSWORD})
    # Locked answers exactly like a wrong password.
    assert r.status_code == 401 and r.json()["code"] == "auth.invalid_credentials"
    logs = session.scalars(
        select(LoginLog).where(LoginLog.username == "clerk").order_by(LoginLog.id)
    ).all()
    assert [x.reason for x in logs] == ["bad_password"] * settings.max_failed_logins + ["locked"]
    later = clock.now() + timedelta(minutes=settings.lockout_minutes + 1)
    clock.set_clock(lambda: later)
    r = client.post("/api/v1/auth/login", json={"username": "clerk", "password": TEST_PASSWORD})
    assert r.status_code == 200


def test_unknown_user_is_indistinguishable(client, org):
    r = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "x"})
    assert r.status_code == 401 and r.json()["code"] == "auth.invalid_credentials"


def test_missing_csrf_token_refused_and_nothing_written(client, org, session):
    login(client, "clerk")
    before = _cases(session)
    r = client.post("/api/v1/cases", json=case_payload())
    assert r.status_code == 403 and r.json()["code"] == "auth.csrf_failed"
    r = client.post("/api/v1/cases", json=case_payload(), headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403 and r.json()["code"] == "auth.csrf_failed"
    assert _cases(session) == before


def test_unauthenticated_is_401(client, org):
    client.cookies.clear()
    r = client.get("/api/v1/cases")
    assert r.status_code == 401 and r.json()["code"] == "auth.required"


def test_logout_revokes_the_session(client, org):
    h = login(client, "clerk")
    token = client.cookies.get("bc_session")
    assert client.post("/api/v1/auth/logout", headers=h).status_code == 204
    client.cookies.set("bc_session", token)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_forced_password_change_and_policy(client, org, session):
    org.users["clerk"].must_change_password = True
    session.commit()
    h = login(client, "clerk")
    r = client.get("/api/v1/cases")
    assert r.status_code == 403 and r.json()["code"] == "auth.password_change_required"
    r = client.post(
        "/api/v1/auth/password",
        headers=h,
        json={"current_password": TEST_PASSWORD, "new_password": "short"},
    )
    assert r.status_code == 400 and r.json()["code"] == "auth.password_too_weak"
    r = client.post(
        "/api/v1/auth/password",
        headers=h,
        json={"current_password": TEST_PASSWORD, "new_password": "Myclerk-2026!"},
    )
    assert r.json()["code"] == "auth.password_contains_username"
    r = client.post(
        "/api/v1/auth/password",
        headers=h,
        json={"current_password": "wrong", "new_password": "Gov-Window-2026!"},
    )
    assert r.json()["code"] == "auth.current_password_wrong"
    r = client.post(
        "/api/v1/auth/password",
        headers=h,
        json={"current_password": TEST_PASSWORD, "new_password": "Gov-Window-2026!"},
    )
    assert r.status_code == 204
    assert client.get("/api/v1/cases").status_code == 200
    login(client, "clerk", "Gov-Window-2026!")


def _mint_clerk_token(client, h, org, permissions, name="12345对接", **extra):
    """The admin asks for an API token that acts as the clerk with ``permissions``."""
    return client.post(
        "/api/v1/admin/tokens",
        headers=h,
        json={"name": name, "user_id": org.users["clerk"].id, "permissions": permissions, **extra},
    )


def test_api_tokens_scoped_revocable_expiring(client, org, session):
    h = login(client, "admin")
    r = _mint_clerk_token(client, h, org, ["case.create", "case.read"], days=30)
    # Admin holds no case data, not through a token minted for someone else either.
    assert (r.status_code, r.json()["code"]) == (403, "token.case_permissions_refused")
    assert r.json()["permissions"] == ["case.read"]
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 0
    r = _mint_clerk_token(client, h, org, ["case.create"], days=30)
    assert r.status_code == 201, r.text
    raw, token_id = r.json()["token"], r.json()["id"]
    assert raw.startswith("bct_")
    listed = client.get("/api/v1/admin/tokens").json()
    assert "token" not in listed[0] and listed[0]["prefix"] == raw[:10]
    r = _mint_clerk_token(client, h, org, ["user.manage"], name="x")
    assert r.json()["code"] == "token.permission_beyond_role"
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {raw}"}
    r = client.post("/api/v1/cases", json=case_payload(channel="transfer_12345"), headers=bearer)
    assert r.status_code == 201  # no CSRF for bearer tokens
    case_id = r.json()["id"]
    r = client.post(
        f"/api/v1/cases/{case_id}/actions/dispatch",
        headers=bearer,
        json={"version": 1, "department_id": org.id("fund")},
    )
    assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"  # not in its scope
    r = client.get("/api/v1/cases", headers=bearer)
    assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"  # not in the token
    later = clock.now() + timedelta(days=31)
    clock.set_clock(lambda: later)
    r = client.get("/api/v1/cases", headers=bearer)
    assert r.status_code == 401 and r.json()["code"] == "auth.token_invalid"
    clock.set_clock(None)
    h = login(client, "admin")
    assert client.delete(f"/api/v1/admin/tokens/{token_id}", headers=h).status_code == 204
    client.cookies.clear()
    r = client.get("/api/v1/cases", headers=bearer)
    assert r.status_code == 401 and r.json()["code"] == "auth.token_invalid"


def _new_fund_user(client, h, org, **fields):
    """The administrator creates a user of the fund's unit with an initial password."""
    body = {"department_id": org.id("fund"), "initial_password": "Init-Passw0rd!", **fields}
    return client.post("/api/v1/admin/users", headers=h, json=body)


def test_admin_creates_user_with_initial_password(client, org, session):
    h = login(client, "admin")
    r = _new_fund_user(
        client,
        h,
        org,
        username="zhang.wei",
        display_name="张伟",
        role="handler",
        data_scope="custom",
        custom_department_ids=[org.id("fund"), org.id("estate")],
    )
    assert r.status_code == 201, r.text
    assert r.json()["must_change_password"] is True
    assert r.json()["custom_department_ids"] == sorted([org.id("fund"), org.id("estate")])
    r = _new_fund_user(
        client, h, org, username="li.na", display_name="李娜", role="king", data_scope="dept"
    )
    assert r.status_code == 400 and r.json()["code"] == "user.role_invalid"
    assert session.scalar(select(User).where(User.username == "li.na")) is None


def test_matter_import_all_or_nothing(client, org, session):
    from bancheng.org.models import Matter

    h = login(client, "admin")
    good = "事项编码,事项名称,责任部门编码,申请材料\nHF-002,公积金贷款,C-HF,身份证；收入证明\n"
    bad = good + "HF-003,,C-HF,\nHF-004,某事项,NOPE,\n"
    r = upload_csv(client, "/api/v1/admin/matters/import", h, "m.csv", bad.encode())
    assert r.status_code == 400 and r.json()["code"] == "import.rows_rejected"
    assert [x["row"] for x in r.json()["rejected"]] == [3, 4]
    assert session.scalar(select(Matter).where(Matter.code == "HF-002")) is None
    r = upload_csv(client, "/api/v1/admin/matters/import", h, "m.csv", good.encode("gb18030"))
    assert r.status_code == 200 and r.json()["created"] == 1
    session.expire_all()
    m = session.scalar(select(Matter).where(Matter.code == "HF-002"))
    assert m.materials == ["身份证", "收入证明"]
