"""Sign-in, the caller's identity, and the organisation's read endpoints."""

from __future__ import annotations

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from bancheng.core.config import get_settings
from bancheng.core.deps import (
    CSRF_COOKIE,
    DB,
    SESSION_COOKIE,
    Conf,
    api_router,
    client_ip,
    current_principal,
    require,
)
from bancheng.core.errors import Invalid
from bancheng.core.ratelimit import rate_limit
from bancheng.core.schemas import from_row
from bancheng.org import auth, repository
from bancheng.org.models import Department, Hall, Matter
from bancheng.org.permissions import PERMISSIONS
from bancheng.org.schemas import (
    DepartmentOut,
    HallOut,
    LoginIn,
    MatterOut,
    MeOut,
    PasswordChangeIn,
)
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1", tags=["auth", "org"])


def _me(session: Session, p: Principal, csrf: str | None = None) -> MeOut:
    dept = repository.department(session, p.department_id)
    perms = sorted(k for k in PERMISSIONS if p.can(k))
    return from_row(
        MeOut,
        p,
        id=p.user_id,
        department_name=dept.name if dept else "",
        permissions=perms,
        csrf_token=csrf,
    )


@router.post(
    "/auth/login",
    response_model=MeOut,
    dependencies=[rate_limit("login", setting="login_rate_limit_per_minute")],
)
def login(
    body: LoginIn, request: Request, response: Response, session: DB, settings: Conf
) -> MeOut:
    from bancheng.org.scope import principal_for

    result = auth.authenticate(
        session,
        settings,
        body.username,
        body.password,
        client_ip(request),
        request.headers.get("user-agent"),
    )
    # The session cookie is out of scripts' reach; the CSRF cookie is read by the console.
    for name, value, httponly in (
        (SESSION_COOKIE, result.token, True),
        (CSRF_COOKIE, result.csrf_token, False),
    ):
        response.set_cookie(
            name,
            value,
            max_age=settings.session_hours * 3600,
            httponly=httponly,
            samesite="strict",
            secure=settings.secure_cookies,
            path="/",
        )
    return _me(session, principal_for(session, result.user), result.csrf_token)


@router.post("/auth/logout", status_code=204)
def logout(
    request: Request,
    response: Response,
    session: DB,
    principal: Principal = Depends(current_principal),
) -> Response:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        row = repository.auth_session(session, auth.sha256_hex(raw))
        if row is not None:
            row.revoked = True
    response.status_code = 204
    secure = get_settings().secure_cookies
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="strict"
    )
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, samesite="strict")
    return response


@router.get("/auth/me", response_model=MeOut)
def me(request: Request, session: DB, principal: Principal = Depends(current_principal)) -> MeOut:
    return _me(session, principal, request.cookies.get(CSRF_COOKIE))


@router.post("/auth/password", status_code=204)
def change_password(
    body: PasswordChangeIn,
    session: DB,
    settings: Conf,
    principal: Principal = Depends(current_principal),
) -> Response:
    user = repository.user(session, principal.user_id)
    assert user is not None
    if not auth.verify_password(user.password_hash, body.current_password):
        raise Invalid("auth.current_password_wrong", "当前密码不正确", field="current_password")
    if body.new_password == body.current_password:
        raise Invalid("auth.password_unchanged", "新密码不能与当前密码相同", field="new_password")
    auth.set_password(session, settings, user, body.new_password, must_change=False)
    return Response(status_code=204)


@router.get("/departments", response_model=list[DepartmentOut])
def list_departments(session: DB, _: Principal = require("org.read")) -> list[Department]:
    return repository.departments(session)


@router.get("/matters", response_model=list[MatterOut])
def list_matters(session: DB, _: Principal = require("org.read")) -> list[Matter]:
    return repository.active_matters(session)


@router.get("/halls", response_model=list[HallOut])
def list_halls(session: DB, _: Principal = require("org.read")) -> list[Hall]:
    return repository.halls(session)
