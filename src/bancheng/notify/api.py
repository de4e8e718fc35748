"""A unit's notices (催办 and escalations) for the people who work there."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from bancheng.core import clock
from bancheng.core.deps import DB, api_router, require
from bancheng.core.errors import NotFound, present
from bancheng.notify import repository
from bancheng.notify.models import Notice
from bancheng.notify.schemas import NoticeOut, NoticePage
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1/notices", tags=["notices"])


@router.get("", response_model=NoticePage)
def list_notices(
    session: DB,
    unread: bool = False,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    p: Principal = require("notice.read"),
) -> NoticePage:
    """Notices addressed to the caller's unit and the units below it, and to the caller."""
    rows, total, n_unread = repository.notices(
        session, p, unread_only=unread, page=page, page_size=page_size
    )
    return NoticePage(
        items=[NoticeOut.model_validate(r) for r in rows], total=total, unread=n_unread
    )


@router.post("/{notice_id}/read", response_model=NoticeOut)
def mark_read(notice_id: int, session: DB, p: Principal = require("notice.read")) -> Notice:
    notice = present(
        repository.notice(session, p, notice_id), NotFound("notice.not_found", "通知不存在")
    )
    if notice.read_at is None:
        notice.read_at = clock.now()
        notice.read_by_id = p.user_id
    return notice
