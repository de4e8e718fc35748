"""Administration: departments, halls and windows, the matter catalogue, users, API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Response, UploadFile
from sqlalchemy.orm import Session

from bancheng.audit.service import log_action
from bancheng.core import clock
from bancheng.core.deps import DB, Conf, api_router, require
from bancheng.core.errors import Conflict, Forbidden, Invalid, NotFound, present
from bancheng.org import auth, repository, service
from bancheng.org.models import ApiToken, Department, Hall, Matter, ServiceWindow, User
from bancheng.org.permissions import CASE_DATA, DATA_SCOPES, PERMISSIONS, ROLES, allowed
from bancheng.org.schemas import (
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    HallIn,
    HallOut,
    ImportReport,
    MatterIn,
    MatterOut,
    MatterPatch,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
    WindowIn,
)
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1/admin", tags=["admin"])


def _patch(
    session: Session,
    p: Principal,
    row: Department | Matter,
    changes: dict[str, Any],
    action: str,
    object_type: str,
) -> None:
    """Apply a PATCH body's fields to a unit or a matter and log them."""
    for key, value in changes.items():
        setattr(row, key, value)
    log_action(session, p, action, object_type, row.id, changes)


# --- departments ---------------------------------------------------------------------


@router.post("/departments", status_code=201, response_model=DepartmentOut)
def add_department(
    body: DepartmentIn, session: DB, p: Principal = require("org.manage")
) -> Department:
    if body.kind not in ("government", "agency", "centre"):
        raise Invalid("org.kind_invalid", "单位类型不正确", field="kind")
    parent = None
    if body.parent_id is not None:
        parent = service.require_unit(
            session, body.parent_id, "org.parent_not_found", "上级单位不存在", "parent_id"
        )
    dept = service.create_department(
        session, **body.model_dump(exclude={"parent_id"}), parent=parent
    )
    log_action(session, p, "org.department_create", "department", dept.id)
    return dept


@router.patch("/departments/{dept_id}", response_model=DepartmentOut)
def edit_department(
    dept_id: int, body: DepartmentPatch, session: DB, p: Principal = require("org.manage")
) -> Department:
    dept = present(
        repository.department(session, dept_id), NotFound("org.department_not_found", "部门不存在")
    )
    changes = body.model_dump(exclude_unset=True)
    _patch(session, p, dept, changes, "org.department_update", "department")
    return dept


# --- halls and windows ---------------------------------------------------------------


@router.post("/halls", status_code=201, response_model=HallOut)
def add_hall(body: HallIn, session: DB, p: Principal = require("org.manage")) -> Hall:
    service.require_unit(
        session, body.department_id, "org.department_not_found", "部门不存在", "department_id"
    )
    hall = Hall(**body.model_dump())
    session.add(hall)
    session.flush()
    log_action(session, p, "org.hall_create", "hall", hall.id)
    hall.windows  # noqa: B018  (loaded now: the answer is built after the session closed)
    return hall


@router.post("/halls/{hall_id}/windows", status_code=201, response_model=HallOut)
def add_window(
    hall_id: int, body: WindowIn, session: DB, p: Principal = require("org.manage")
) -> Hall:
    hall = present(repository.hall(session, hall_id), NotFound("org.hall_not_found", "大厅不存在"))
    session.add(ServiceWindow(hall_id=hall.id, **body.model_dump()))
    session.flush()
    session.refresh(hall, ["windows"])  # the answer is built after the session closed
    log_action(session, p, "org.window_create", "hall", hall.id, {"number": body.number})
    return hall


# --- matter catalogue ----------------------------------------------------------------


def _matter_unit(session: Session, department_id: int) -> None:
    service.require_unit(
        session, department_id, "matter.department_not_found", "责任部门不存在", "department_id"
    )


@router.post("/matters", status_code=201, response_model=MatterOut)
def add_matter(body: MatterIn, session: DB, p: Principal = require("org.manage")) -> Matter:
    _matter_unit(session, body.department_id)
    if repository.matter_code_taken(session, body.code):
        raise Conflict("matter.code_taken", "事项编码已存在", field="code")
    m = Matter(**body.model_dump(), active=True)
    session.add(m)
    session.flush()
    log_action(session, p, "matter.create", "matter", m.id)
    return m


@router.patch("/matters/{matter_id}", response_model=MatterOut)
def edit_matter(
    matter_id: int, body: MatterPatch, session: DB, p: Principal = require("org.manage")
) -> Matter:
    m = present(repository.matter(session, matter_id), NotFound("matter.not_found", "事项不存在"))
    changes = body.model_dump(exclude_unset=True)
    if "department_id" in changes:
        _matter_unit(session, changes["department_id"])
    _patch(session, p, m, changes, "matter.update", "matter")
    return m


@router.post("/matters/import", response_model=ImportReport)
def import_matters(
    file: Annotated[UploadFile, File()], session: DB, p: Principal = require("org.manage")
) -> ImportReport:
    """CSV or Excel with columns code/事项编码, name/事项名称, department_code/责任部门编码,
    materials/申请材料 (separated by ；;、 or |). All rows valid or nothing imported."""
    rows = service.rows_from_upload(file.file.read(5 * 1024 * 1024))
    created, updated = service.import_matters(session, rows)
    log_action(
        session, p, "matter.import", "matter", None, {"created": created, "updated": updated}
    )
    return ImportReport(created=created, updated=updated, rejected=[])


# --- users ---------------------------------------------------------------------------


def _user_out(session: Session, u: User) -> UserOut:
    out = UserOut.model_validate(u, from_attributes=True)
    out.custom_department_ids = sorted(repository.custom_scope_ids(session, u.id))
    return out


@router.get("/users", response_model=list[UserOut])
def list_users(session: DB, _: Principal = require("user.manage")) -> list[UserOut]:
    return [_user_out(session, u) for u in repository.users(session)]


@router.post("/users", status_code=201, response_model=UserOut)
def add_user(
    body: UserIn, session: DB, settings: Conf, p: Principal = require("user.manage")
) -> UserOut:
    service.check_custom_scope(session, body.custom_department_ids)
    u = service.create_user(
        session,
        settings,
        **body.model_dump(include=_NEW_USER_FIELDS),
        password=body.initial_password,
        must_change_password=True,
    )
    log_action(session, p, "user.create", "user", u.id, {"role": u.role, "scope": u.data_scope})
    return _user_out(session, u)


# What of a UserIn becomes the user, by name: a field added to the request is not passed on
# to create_user until it is added here.
_NEW_USER_FIELDS = {
    "username",
    "display_name",
    "role",
    "department_id",
    "data_scope",
    "custom_department_ids",
}


@router.patch("/users/{user_id}", response_model=UserOut)
def edit_user(
    user_id: int,
    body: UserPatch,
    session: DB,
    settings: Conf,
    p: Principal = require("user.manage"),
) -> UserOut:
    u = present(repository.user(session, user_id), NotFound("user.not_found", "用户不存在"))
    changes = body.model_dump(exclude_unset=True)
    if "role" in changes and changes["role"] not in ROLES:
        raise Invalid("user.role_invalid", "角色不正确", field="role")
    if "data_scope" in changes and changes["data_scope"] not in DATA_SCOPES:
        raise Invalid("user.data_scope_invalid", "数据范围不正确", field="data_scope")
    if "department_id" in changes:
        service.require_unit(
            session,
            changes["department_id"],
            "user.department_not_found",
            "所属部门不存在",
            "department_id",
        )
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
        service.set_custom_scope(session, u, custom)
    session.flush()
    logged = {k: v for k, v in changes.items()}
    if pwd:
        logged["password_reset"] = True
    log_action(session, p, "user.update", "user", u.id, logged)
    return _user_out(session, u)


# --- API tokens ----------------------------------------------------------------------


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(session: DB, _: Principal = require("token.manage")) -> list[ApiToken]:
    return repository.api_tokens(session)


@router.post("/tokens", status_code=201, response_model=TokenCreated)
def add_token(body: TokenIn, session: DB, p: Principal = require("token.manage")) -> TokenCreated:
    """The token is in this response only; it is stored hashed."""
    user = repository.user(session, body.user_id)
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
    log_action(session, p, "token.create", "api_token", token.id, {"user_id": user.id})
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=raw)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, session: DB, p: Principal = require("token.manage")) -> Response:
    token = present(
        repository.api_token(session, token_id), NotFound("token.not_found", "令牌不存在")
    )
    if token.revoked_at is None:
        token.revoked_at = clock.now()
    log_action(session, p, "token.revoke", "api_token", token.id)
    return Response(status_code=204)
