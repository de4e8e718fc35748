"""Sign-in, the caller's identity, and the organisation's read endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.core.config import Settings, get_settings
from bancheng.core.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    api_router,
    client_ip,
    current_principal,
    db_session,
    require,
)
from bancheng.core.errors import Invalid
from bancheng.core.ratelimit import rate_limit
from bancheng.org import auth
from bancheng.org.models import AuthSession, Department, Hall, Matter, ServiceWindow, User
from bancheng.org.permissions import PERMISSIONS
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1", tags=["auth", "org"])
DB = Annotated[Session, Depends(db_session)]
Conf = Annotated[Settings, Depends(get_settings)]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    department_id: int
    department_name: str
    data_scope: str
    must_change_password: bool
    permissions: list[str]
    csrf_token: str | None = None


def _me(session: Session, p: Principal, csrf: str | None = None) -> MeOut:
    dept = session.get(Department, p.department_id)
    perms = sorted(k for k in PERMISSIONS if p.can(k))
    return MeOut(
        id=p.user_id,
        username=p.username,
        display_name=p.display_name,
        role=p.role,
        department_id=p.department_id,
        department_name=dept.name if dept else "",
        data_scope=p.data_scope,
        must_change_password=p.must_change_password,
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
    max_age = settings.session_hours * 3600
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        result.csrf_token,
        max_age=max_age,
        httponly=False,
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
        row = session.scalar(
            select(AuthSession).where(AuthSession.token_hash == auth.sha256_hex(raw))
        )
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
    user = session.get(User, principal.user_id)
    assert user is not None
    if not auth.verify_password(user.password_hash, body.current_password):
        raise Invalid("auth.current_password_wrong", "当前密码不正确", field="current_password")
    if body.new_password == body.current_password:
        raise Invalid("auth.password_unchanged", "新密码不能与当前密码相同", field="new_password")
    auth.set_password(session, settings, user, body.new_password, must_change=False)
    return Response(status_code=204)


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    short_name: str | None
    level: str
    kind: str
    parent_id: int | None
    path: str
    active: bool


class MatterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    department_id: int
    materials: list[str]
    active: bool


class WindowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    number: str
    name: str
    is_feedback_window: bool


class HallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    department_id: int
    name: str
    address: str | None
    windows: list[WindowOut]


@router.get("/departments", response_model=list[DepartmentOut])
def list_departments(session: DB, _: Principal = require("org.read")) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.path, Department.sort)))


@router.get("/matters", response_model=list[MatterOut])
def list_matters(session: DB, _: Principal = require("org.read")) -> list[Matter]:
    return list(
        session.scalars(select(Matter).where(Matter.active.is_(True)).order_by(Matter.code))
    )


@router.get("/halls", response_model=list[HallOut])
def list_halls(session: DB, _: Principal = require("org.read")) -> list[Hall]:
    halls = list(session.scalars(select(Hall).order_by(Hall.id)))
    for h in halls:
        h.windows.sort(key=lambda w: w.number)
    return halls


__all__ = ["ServiceWindow", "router"]
