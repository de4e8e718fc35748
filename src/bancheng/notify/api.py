"""A unit's notices (催办 and escalations) for the people who work there."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bancheng.core import clock
from bancheng.core.deps import api_router, db_session, require
from bancheng.core.errors import NotFound
from bancheng.notify.models import Notice
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1/notices", tags=["notices"])
DB = Annotated[Session, Depends(db_session)]


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    department_id: int
    user_id: int | None
    case_id: int | None
    kind: str
    title: str
    body: str | None
    created_at: datetime
    read_at: datetime | None


class NoticePage(BaseModel):
    items: list[NoticeOut]
    total: int
    unread: int


def _mine(p: Principal) -> list[int]:
    return sorted(p.unit_department_ids) or [-1]


@router.get("", response_model=NoticePage)
def list_notices(
    session: DB,
    unread: bool = False,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    p: Principal = require("notice.read"),
) -> NoticePage:
    """Notices addressed to the caller's unit and the units below it, and to the caller."""
    base = select(Notice).where(
        Notice.department_id.in_(_mine(p)),
        or_(Notice.user_id.is_(None), Notice.user_id == p.user_id),
    )
    unread_q = base.where(Notice.read_at.is_(None))
    stmt = unread_q if unread else base
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    n_unread = session.scalar(select(func.count()).select_from(unread_q.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Notice.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return NoticePage(
        items=[NoticeOut.model_validate(r) for r in rows], total=total, unread=n_unread
    )


@router.post("/{notice_id}/read", response_model=NoticeOut)
def mark_read(notice_id: int, session: DB, p: Principal = require("notice.read")) -> Notice:
    notice = session.get(Notice, notice_id)
    if (
        notice is None
        or notice.department_id not in p.unit_department_ids
        or notice.user_id not in (None, p.user_id)
    ):
        raise NotFound("notice.not_found", "通知不存在")
    if notice.read_at is None:
        notice.read_at = clock.now()
        notice.read_by_id = p.user_id
    return notice
