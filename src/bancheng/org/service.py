"""Organisation rules: the department tree, staff accounts, key rotation."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.errors import Conflict, Invalid
from bancheng.core.validators import decode_text_file
from bancheng.org import repository
from bancheng.org.auth import check_password_policy, hash_password
from bancheng.org.models import Department, Matter, User, UserScopeDepartment
from bancheng.org.permissions import DATA_SCOPES, ROLES
from bancheng.org.scope import clear_subtree_cache

LEVEL_ORDER = {"city": 0, "district": 1, "street": 2, "community": 3}


def create_department(
    session: Session,
    *,
    code: str,
    name: str,
    level: str,
    kind: str = "agency",
    parent: Department | None = None,
    short_name: str | None = None,
    sort: int = 0,
) -> Department:
    if level not in LEVEL_ORDER:
        raise Invalid("org.level_invalid", "层级不正确", field="level")
    if parent is not None and LEVEL_ORDER[level] < LEVEL_ORDER[parent.level]:
        raise Invalid("org.level_above_parent", "下级单位的层级不能高于上级", field="level")
    if repository.department_code_taken(session, code):
        raise Conflict("org.department_code_taken", "部门编码已存在", field="code")
    dept = Department(
        code=code,
        name=name,
        short_name=short_name,
        level=level,
        kind=kind,
        parent_id=parent.id if parent else None,
        sort=sort,
        path="",
    )
    session.add(dept)
    session.flush()
    dept.path = f"{parent.path if parent else '/'}{dept.id}/"
    session.flush()
    clear_subtree_cache()
    return dept


def create_user(
    session: Session,
    settings: Settings,
    *,
    username: str,
    display_name: str,
    role: str,
    department_id: int,
    data_scope: str,
    password: str,
    must_change_password: bool = True,
    custom_department_ids: list[int] | None = None,
    check_policy: bool = True,
) -> User:
    if role not in ROLES:
        raise Invalid("user.role_invalid", "角色不正确", field="role")
    if data_scope not in DATA_SCOPES:
        raise Invalid("user.data_scope_invalid", "数据范围不正确", field="data_scope")
    if repository.department(session, department_id) is None:
        raise Invalid("user.department_not_found", "所属部门不存在", field="department_id")
    if repository.username_taken(session, username):
        raise Conflict("user.username_taken", "用户名已存在", field="username")
    if check_policy:
        check_password_policy(password, username, settings)
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        department_id=department_id,
        data_scope=data_scope,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        active=True,
        failed_logins=0,
        created_at=clock.now(),
    )
    session.add(user)
    session.flush()
    for dept_id in custom_department_ids or []:
        session.add(UserScopeDepartment(user_id=user.id, department_id=dept_id))
    session.flush()
    return user


def create_first_admin(
    session: Session, settings: Settings, username: str, display_name: str, password: str
) -> User:
    """An administrator at the root of the tree (creating a root unit on an empty database)."""
    root = repository.first_root_department(session)
    if root is None:
        root = create_department(
            session, code="ROOT", name="政务服务中心", level="city", kind="centre"
        )
    return create_user(
        session,
        settings,
        username=username,
        display_name=display_name,
        role="admin",
        department_id=root.id,
        data_scope="all",
        password=password,
        must_change_password=False,
    )


def require_unit(
    session: Session, department_id: int, code: str, message: str, field: str
) -> Department:
    """The unit a request names, or ``Invalid`` with the request's own code and field."""
    dept = repository.department(session, department_id)
    if dept is None:
        raise Invalid(code, message, field=field)
    return dept


def check_custom_scope(session: Session, department_ids: list[int]) -> None:
    for dept_id in department_ids:
        require_unit(
            session,
            dept_id,
            "user.department_not_found",
            "自定义范围中的部门不存在",
            "custom_department_ids",
        )


def set_custom_scope(session: Session, user: User, department_ids: list[int]) -> None:
    """The units of the user's ``custom`` data scope become ``department_ids``."""
    check_custom_scope(session, department_ids)
    repository.clear_custom_scope(session, user.id)
    session.add_all(UserScopeDepartment(user_id=user.id, department_id=d) for d in department_ids)


# --- the matter catalogue import -----------------------------------------------------

MATTER_COLUMNS = {
    "code": ("code", "事项编码"),
    "name": ("name", "事项名称"),
    "department": ("department_code", "责任部门编码"),
    "materials": ("materials", "申请材料"),
}


def rows_from_upload(data: bytes) -> list[dict[str, str]]:
    """The rows of an uploaded .xlsx workbook or CSV file (UTF-8 or GBK), by header."""
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
    text = decode_text_file(data, "import.encoding", "无法识别文件编码（请使用UTF-8或GBK）")
    return [
        {k.strip(): (v or "").strip() for k, v in row.items() if k}
        for row in csv.DictReader(io.StringIO(text))
    ]


def _pick(row: dict[str, str], key: str) -> str:
    for col in MATTER_COLUMNS[key]:
        if col in row:
            return row[col]
    return ""


def import_matters(session: Session, rows: list[dict[str, str]]) -> tuple[int, int]:
    """Create or update the catalogue's matters by code: all rows valid or nothing changes
    (``import.rows_rejected`` lists the bad rows). Returns (created, updated)."""
    if not rows:
        raise Invalid("import.empty", "文件中没有数据行")
    depts = repository.department_ids_by_code(session)
    rejected: list[dict[str, Any]] = []
    seen: set[str] = set()
    parsed = []
    for n, row in enumerate(rows, start=2):
        code, name, dcode = _pick(row, "code"), _pick(row, "name"), _pick(row, "department")
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
        mats = [m.strip() for m in re.split(r"[；;、|]", _pick(row, "materials")) if m.strip()]
        parsed.append((code, name, depts[dcode], mats))
    if rejected:
        raise Invalid("import.rows_rejected", "存在无效行，未导入任何数据", rejected=rejected)
    created = updated = 0
    existing = repository.matters_by_code(session)
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
    return created, updated
