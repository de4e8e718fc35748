"""Administration: departments, halls and windows, the matter catalogue, users, API tokens."""

from __future__ import annotations

import csv
import io
import re
from typing import Annotated, Any

from fastapi import Depends, File, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.audit.service import log_operation
from bancheng.core import clock
from bancheng.core.config import Settings, get_settings
from bancheng.core.deps import api_router, db_session, require
from bancheng.core.errors import Conflict, Forbidden, Invalid, NotFound
from bancheng.org import auth
from bancheng.org.api import DepartmentOut, HallOut, MatterOut
from bancheng.org.models import (
    ApiToken,
    Department,
    Hall,
    Matter,
    ServiceWindow,
    User,
    UserScopeDepartment,
)
from bancheng.org.permissions import CASE_DATA, DATA_SCOPES, PERMISSIONS, ROLES, allowed
from bancheng.org.scope import Principal
from bancheng.org.service import create_department, create_user

router = api_router(prefix="/api/v1/admin", tags=["admin"])
DB = Annotated[Session, Depends(db_session)]
Conf = Annotated[Settings, Depends(get_settings)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _audit(
    session: Session,
    p: Principal,
    action: str,
    obj: str,
    obj_id: Any,
    details: dict[str, Any] | None = None,
) -> None:
    log_operation(
        session,
        actor_id=p.user_id,
        actor_name=p.username,
        action=action,
        object_type=obj,
        object_id=obj_id,
        ip=p.ip,
        details=details,
    )


# --- departments ---------------------------------------------------------------------


class DepartmentIn(Strict):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    short_name: str | None = Field(default=None, max_length=40)
    level: str
    kind: str = "agency"
    parent_id: int | None = None
    sort: int = 0


class DepartmentPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    short_name: str | None = Field(default=None, max_length=40)
    sort: int | None = None
    active: bool | None = None


@router.post("/departments", status_code=201, response_model=DepartmentOut)
def add_department(
    body: DepartmentIn, session: DB, p: Principal = require("org.manage")
) -> Department:
    if body.kind not in ("government", "agency", "centre"):
        raise Invalid("org.kind_invalid", "单位类型不正确", field="kind")
    parent = None
    if body.parent_id is not None:
        parent = session.get(Department, body.parent_id)
        if parent is None:
            raise Invalid("org.parent_not_found", "上级单位不存在", field="parent_id")
    dept = create_department(
        session,
        code=body.code,
        name=body.name,
        level=body.level,
        kind=body.kind,
        parent=parent,
        short_name=body.short_name,
        sort=body.sort,
    )
    _audit(session, p, "org.department_create", "department", dept.id)
    return dept


@router.patch("/departments/{dept_id}", response_model=DepartmentOut)
def edit_department(
    dept_id: int, body: DepartmentPatch, session: DB, p: Principal = require("org.manage")
) -> Department:
    dept = session.get(Department, dept_id)
    if dept is None:
        raise NotFound("org.department_not_found", "部门不存在")
    for key, value in body.model_dump(exclude_unset=True).items():
        setattr(dept, key, value)
    _audit(
        session,
        p,
        "org.department_update",
        "department",
        dept.id,
        body.model_dump(exclude_unset=True),
    )
    return dept


# --- halls and windows ---------------------------------------------------------------


class HallIn(Strict):
    department_id: int
    name: str = Field(min_length=1, max_length=100)
    address: str | None = Field(default=None, max_length=200)


class WindowIn(Strict):
    number: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)
    is_feedback_window: bool = False


@router.post("/halls", status_code=201, response_model=HallOut)
def add_hall(body: HallIn, session: DB, p: Principal = require("org.manage")) -> Hall:
    if session.get(Department, body.department_id) is None:
        raise Invalid("org.department_not_found", "部门不存在", field="department_id")
    hall = Hall(**body.model_dump())
    session.add(hall)
    session.flush()
    _audit(session, p, "org.hall_create", "hall", hall.id)
    hall.windows  # noqa: B018  (loaded now: the answer is built after the session closed)
    return hall


@router.post("/halls/{hall_id}/windows", status_code=201, response_model=HallOut)
def add_window(
    hall_id: int, body: WindowIn, session: DB, p: Principal = require("org.manage")
) -> Hall:
    hall = session.get(Hall, hall_id)
    if hall is None:
        raise NotFound("org.hall_not_found", "大厅不存在")
    session.add(ServiceWindow(hall_id=hall.id, **body.model_dump()))
    session.flush()
    session.refresh(hall, ["windows"])  # the answer is built after the session closed
    _audit(session, p, "org.window_create", "hall", hall.id, {"number": body.number})
    return hall


# --- matter catalogue ----------------------------------------------------------------


class MatterIn(Strict):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    department_id: int
    materials: list[str] = Field(default_factory=list, max_length=100)
    description: str | None = None


class MatterPatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    department_id: int | None = None
    materials: list[str] | None = Field(default=None, max_length=100)
    active: bool | None = None


@router.post("/matters", status_code=201, response_model=MatterOut)
def add_matter(body: MatterIn, session: DB, p: Principal = require("org.manage")) -> Matter:
    if session.get(Department, body.department_id) is None:
        raise Invalid("matter.department_not_found", "责任部门不存在", field="department_id")
    if session.scalar(select(Matter.id).where(Matter.code == body.code)):
        raise Conflict("matter.code_taken", "事项编码已存在", field="code")
    m = Matter(**body.model_dump(), active=True)
    session.add(m)
    session.flush()
    _audit(session, p, "matter.create", "matter", m.id)
    return m


@router.patch("/matters/{matter_id}", response_model=MatterOut)
def edit_matter(
    matter_id: int, body: MatterPatch, session: DB, p: Principal = require("org.manage")
) -> Matter:
    m = session.get(Matter, matter_id)
    if m is None:
        raise NotFound("matter.not_found", "事项不存在")
    changes = body.model_dump(exclude_unset=True)
    if "department_id" in changes and session.get(Department, changes["department_id"]) is None:
        raise Invalid("matter.department_not_found", "责任部门不存在", field="department_id")
    for key, value in changes.items():
        setattr(m, key, value)
    _audit(session, p, "matter.update", "matter", m.id, changes)
    return m


class ImportReport(BaseModel):
    created: int
    updated: int
    rejected: list[dict[str, Any]]


def _rows_from_upload(name: str, data: bytes) -> list[dict[str, str]]:
    if data[:2] == b"PK":  # an .xlsx workbook
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.active
        if ws is None:
            return []
        rows = list(ws.iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h or "").strip() for h in rows[0]]
        return [
            {
                header[i]: "" if v is None else str(v).strip()
                for i, v in enumerate(r)
                if i < len(header)
            }
            for r in rows[1:]
        ]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise Invalid("import.encoding", "无法识别文件编码（请使用UTF-8或GBK）") from exc
    return [
        {k.strip(): (v or "").strip() for k, v in row.items() if k}
        for row in csv.DictReader(io.StringIO(text))
    ]


MATTER_COLUMNS = {
    "code": ("code", "事项编码"),
    "name": ("name", "事项名称"),
    "department": ("department_code", "责任部门编码"),
    "materials": ("materials", "申请材料"),
}


@router.post("/matters/import", response_model=ImportReport)
def import_matters(
    file: Annotated[UploadFile, File()], session: DB, p: Principal = require("org.manage")
) -> ImportReport:
    """CSV or Excel with columns code/事项编码, name/事项名称, department_code/责任部门编码,
    materials/申请材料 (separated by ；;、 or |). All rows valid or nothing imported."""
    rows = _rows_from_upload(file.filename or "", file.file.read(5 * 1024 * 1024))
    if not rows:
        raise Invalid("import.empty", "文件中没有数据行")

    def pick(row: dict[str, str], key: str) -> str:
        for col in MATTER_COLUMNS[key]:
            if col in row:
                return row[col]
        return ""

    depts = {d.code: d.id for d in session.scalars(select(Department))}
    rejected: list[dict[str, Any]] = []
    seen: set[str] = set()
    parsed = []
    for n, row in enumerate(rows, start=2):
        code, name, dcode = pick(row, "code"), pick(row, "name"), pick(row, "department")
        reason = None
        if not code or not name:
            reason = "缺少事项编码或名称"
        elif dcode not in depts:
            reason = f"责任部门编码不存在：{dcode}"
        elif code in seen:
            reason = "文件内事项编码重复"
        if reason:
            rejected.append({"row": n, "code": code, "reason": reason})
            continue
        seen.add(code)
        mats = [m.strip() for m in re.split(r"[；;、|]", pick(row, "materials")) if m.strip()]
        parsed.append((code, name, depts[dcode], mats))
    if rejected:
        raise Invalid("import.rows_rejected", "存在无效行，未导入任何数据", rejected=rejected)
    created = updated = 0
    existing = {m.code: m for m in session.scalars(select(Matter))}
    for code, name, dept_id, mats in parsed:
        m = existing.get(code)
        if m is None:
            session.add(
                Matter(code=code, name=name, department_id=dept_id, materials=mats, active=True)
            )
            created += 1
        else:
            m.name, m.department_id, m.materials = name, dept_id, mats
            updated += 1
    _audit(session, p, "matter.import", "matter", None, {"created": created, "updated": updated})
    return ImportReport(created=created, updated=updated, rejected=[])


# --- users ---------------------------------------------------------------------------


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: str
    department_id: int
    data_scope: str
    active: bool
    must_change_password: bool
    custom_department_ids: list[int] = []


class UserIn(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=64)
    role: str
    department_id: int
    data_scope: str
    initial_password: str = Field(min_length=1, max_length=256)
    custom_department_ids: list[int] = Field(default_factory=list, max_length=200)


class UserPatch(Strict):
    display_name: str | None = Field(default=None, min_length=1, max_length=64)
    role: str | None = None
    department_id: int | None = None
    data_scope: str | None = None
    active: bool | None = None
    custom_department_ids: list[int] | None = Field(default=None, max_length=200)
    reset_password: str | None = Field(default=None, max_length=256)


def _user_out(session: Session, u: User) -> UserOut:
    custom = session.scalars(
        select(UserScopeDepartment.department_id).where(UserScopeDepartment.user_id == u.id)
    ).all()
    out = UserOut.model_validate(u, from_attributes=True)
    out.custom_department_ids = sorted(custom)
    return out


@router.get("/users", response_model=list[UserOut])
def list_users(session: DB, _: Principal = require("user.manage")) -> list[UserOut]:
    return [_user_out(session, u) for u in session.scalars(select(User).order_by(User.id))]


@router.post("/users", status_code=201, response_model=UserOut)
def add_user(
    body: UserIn, session: DB, settings: Conf, p: Principal = require("user.manage")
) -> UserOut:
    for dept_id in body.custom_department_ids:
        if session.get(Department, dept_id) is None:
            raise Invalid(
                "user.department_not_found",
                "自定义范围中的部门不存在",
                field="custom_department_ids",
            )
    u = create_user(
        session,
        settings,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        department_id=body.department_id,
        data_scope=body.data_scope,
        password=body.initial_password,
        must_change_password=True,
        custom_department_ids=body.custom_department_ids,
    )
    _audit(session, p, "user.create", "user", u.id, {"role": u.role, "scope": u.data_scope})
    return _user_out(session, u)


@router.patch("/users/{user_id}", response_model=UserOut)
def edit_user(
    user_id: int,
    body: UserPatch,
    session: DB,
    settings: Conf,
    p: Principal = require("user.manage"),
) -> UserOut:
    u = session.get(User, user_id)
    if u is None:
        raise NotFound("user.not_found", "用户不存在")
    changes = body.model_dump(exclude_unset=True)
    if "role" in changes and changes["role"] not in ROLES:
        raise Invalid("user.role_invalid", "角色不正确", field="role")
    if "data_scope" in changes and changes["data_scope"] not in DATA_SCOPES:
        raise Invalid("user.data_scope_invalid", "数据范围不正确", field="data_scope")
    if "department_id" in changes and session.get(Department, changes["department_id"]) is None:
        raise Invalid("user.department_not_found", "所属部门不存在", field="department_id")
    if u.id == p.user_id and (
        changes.get("active") is False or changes.get("role", "admin") != "admin"
    ):
        raise Conflict("user.cannot_demote_self", "不能停用或降级自己的管理员账号")
    pwd = changes.pop("reset_password", None)
    custom = changes.pop("custom_department_ids", None)
    for key, value in changes.items():
        setattr(u, key, value)
    if pwd:
        auth.set_password(session, settings, u, pwd, must_change=True)
        u.failed_logins = 0
        u.locked_until = None
    if custom is not None:
        for row in session.scalars(
            select(UserScopeDepartment).where(UserScopeDepartment.user_id == u.id)
        ):
            session.delete(row)
        session.flush()
        for dept_id in custom:
            if session.get(Department, dept_id) is None:
                raise Invalid(
                    "user.department_not_found",
                    "自定义范围中的部门不存在",
                    field="custom_department_ids",
                )
            session.add(UserScopeDepartment(user_id=u.id, department_id=dept_id))
    session.flush()
    logged = {k: v for k, v in changes.items()}
    if pwd:
        logged["password_reset"] = True
    _audit(session, p, "user.update", "user", u.id, logged)
    return _user_out(session, u)


# --- API tokens ----------------------------------------------------------------------


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    user_id: int
    permissions: list[str] = Field(min_length=1, max_length=50)
    days: int = Field(default=90, ge=1, le=366)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    user_id: int
    permissions: list[str]
    created_at: Any
    expires_at: Any
    revoked_at: Any | None
    last_used_at: Any | None


class TokenCreated(TokenOut):
    token: str


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(session: DB, _: Principal = require("token.manage")) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


@router.post("/tokens", status_code=201, response_model=TokenCreated)
def add_token(body: TokenIn, session: DB, p: Principal = require("token.manage")) -> TokenCreated:
    """The token is in this response only; it is stored hashed."""
    user = session.get(User, body.user_id)
    if user is None or not user.active:
        raise Invalid("token.user_not_found", "令牌所属用户不存在或已停用", field="user_id")
    unknown = [x for x in body.permissions if x not in PERMISSIONS]
    if unknown:
        raise Invalid("token.permission_unknown", "未知权限", permissions=unknown)
    beyond = [x for x in body.permissions if user.role not in PERMISSIONS[x]]
    if beyond:
        raise Invalid(
            "token.permission_beyond_role", "令牌权限不能超出所属用户角色", permissions=beyond
        )
    case_data = [x for x in body.permissions if x in CASE_DATA and not allowed(p.role, x)]
    if case_data and user.id != p.user_id:
        raise Forbidden(
            "token.case_permissions_refused",
            "管理员不能为他人签发可查看案件数据的令牌",
            permissions=case_data,
        )
    token, raw = auth.create_api_token(session, user, body.name, body.permissions, body.days)
    _audit(session, p, "token.create", "api_token", token.id, {"user_id": user.id})
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=raw)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, session: DB, p: Principal = require("token.manage")) -> Response:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("token.not_found", "令牌不存在")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
    _audit(session, p, "token.revoke", "api_token", token.id)
    return Response(status_code=204)
