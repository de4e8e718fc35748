"""Organisation rules: the department tree, staff accounts, key rotation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.crypto import get_crypto
from bancheng.core.errors import Conflict, Invalid
from bancheng.org.auth import check_password_policy, hash_password
from bancheng.org.models import Department, User, UserScopeDepartment
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
    if session.scalar(select(Department.id).where(Department.code == code)) is not None:
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
    if session.get(Department, department_id) is None:
        raise Invalid("user.department_not_found", "所属部门不存在", field="department_id")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
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
    root = session.scalar(
        select(Department).where(Department.parent_id.is_(None)).order_by(Department.id)
    )
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


@dataclass(frozen=True)
class RotationResult:
    reencrypted: int
    rehashed: int


def rotate_encryption(session: Session, batch: int = 1000) -> RotationResult:
    """Re-encrypt every personal-data value that is not under the active key and cipher,
    and recompute every look-up hash made with another algorithm or key. Core updates by
    id: the cases' optimistic-lock versions stay as they are (nothing a user sees changed)."""
    from sqlalchemy import update

    from bancheng.cases.models import Case

    crypto = get_crypto()
    reencrypted = rehashed = 0
    last_id = 0
    while True:
        rows = session.execute(
            select(Case.id, Case.reporter_phone_enc, Case.reporter_phone_hash, Case.reporter_id_enc)
            .where(Case.id > last_id)
            .order_by(Case.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        last_id = rows[-1].id
        for row in rows:
            values: dict[str, str] = {}
            phone = crypto.decrypt(row.reporter_phone_enc)
            if crypto.needs_rotation(row.reporter_phone_enc):
                values["reporter_phone_enc"] = crypto.encrypt(phone)
                reencrypted += 1
            if row.reporter_id_enc and crypto.needs_rotation(row.reporter_id_enc):
                values["reporter_id_enc"] = crypto.encrypt(crypto.decrypt(row.reporter_id_enc))
                reencrypted += 1
            digest = crypto.lookup_hash(phone)
            if digest != row.reporter_phone_hash:
                values["reporter_phone_hash"] = digest
                rehashed += 1
            if values:
                session.execute(
                    update(Case).where(Case.id == row.id).values(**values),
                    execution_options={"synchronize_session": False},
                )
    reencrypted += _rotate_columns(session, crypto, batch)
    session.flush()
    return RotationResult(reencrypted, rehashed)


def _encrypted_columns() -> list[tuple[Any, list[Any]]]:
    """Every other encrypted column: (model, [columns])."""
    from bancheng.notify.models import WebhookSubscription
    from bancheng.outbox.models import OutboxMessage

    return [
        (User, [User.phone_enc]),
        (WebhookSubscription, [WebhookSubscription.secret_enc]),
        (OutboxMessage, [OutboxMessage.recipient_enc, OutboxMessage.secret_enc]),
    ]


def _rotate_columns(session: Session, crypto: Any, batch: int) -> int:
    from sqlalchemy import or_, update

    n = 0
    for model, columns in _encrypted_columns():
        last_id = 0
        while True:
            rows = session.execute(
                select(model.id, *columns)
                .where(model.id > last_id, or_(*(c.is_not(None) for c in columns)))
                .order_by(model.id)
                .limit(batch)
            ).all()
            if not rows:
                break
            last_id = rows[-1][0]
            for row in rows:
                values = {}
                for column, token in zip(columns, row[1:], strict=True):
                    if token and crypto.needs_rotation(token):
                        values[column.key] = crypto.encrypt(crypto.decrypt(token))
                if values:
                    n += len(values)
                    session.execute(
                        update(model).where(model.id == row[0]).values(**values),
                        execution_options={"synchronize_session": False},
                    )
    return n
