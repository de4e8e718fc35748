"""The inbound API of the 12345 hotline platform, under ``/api/v1/hotline``.

The platform signs in with an API token of its own, narrowed to ``hotline.push`` and held
by an account of the receiving centre (role ``clerk``): the cases it creates are received
by that account's unit. A signed-in person cannot use these routes, only such a token."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Request, Response, UploadFile
from sqlalchemy.orm import Session

from bancheng.audit.service import log_action
from bancheng.cases.enums import LABELS_ZH
from bancheng.cases.models import Case
from bancheng.cases.service import add_attachment
from bancheng.core.deps import DB, Conf, api_router, require
from bancheng.core.errors import Forbidden, TooLarge
from bancheng.integrations import hotline, repository
from bancheng.integrations.models import HotlineOrder
from bancheng.integrations.schemas import (
    HotlineAttachmentOut,
    HotlineOrderIn,
    HotlineOrderOut,
    WithdrawIn,
)
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1/hotline", tags=["hotline"])


def _token_only(principal: Principal) -> None:
    if principal.token_permissions is None:
        raise Forbidden("hotline.token_required", "12345接口只接受平台的专用令牌")


def _out(row: HotlineOrder, case: Case, result: str) -> HotlineOrderOut:
    return HotlineOrderOut(
        order_number=row.order_number,
        status=row.status,
        case_number=case.number,
        state=case.state,
        state_label=LABELS_ZH["state"].get(case.state, case.state),
        due_at=case.due_at,
        due_date=case.due_date,
        times_received=row.times_received,
        result=result,
    )


def _log(session: Session, p: Principal, request: Request, row: HotlineOrder, what: str) -> None:
    details = {"case_id": row.case_id, "path": request.url.path}
    log_action(session, p, f"hotline.{what}", "hotline_order", row.order_number, details)


@router.post("/orders", response_model=HotlineOrderOut)
def push_order(
    body: HotlineOrderIn,
    request: Request,
    response: Response,
    session: DB,
    settings: Conf,
    p: Principal = require("hotline.push"),
) -> HotlineOrderOut:
    """A work order, keyed by the platform's order number: 201 when it became a case,
    200 when it was known (the same content again: nothing changes; other content: the
    changes are applied and recorded)."""
    _token_only(p)
    row, case, result = hotline.receive(session, settings, p, body)
    if result != "replayed":
        _log(session, p, request, row, f"order_{result}")
    response.status_code = 201 if result == "created" else 200
    return _out(row, case, result)


@router.get("/orders/{order_number}", response_model=HotlineOrderOut)
def get_order(
    order_number: str, session: DB, p: Principal = require("hotline.push")
) -> HotlineOrderOut:
    """Where an order stands in bancheng."""
    _token_only(p)
    row = hotline.find_order(session, order_number)
    return _out(row, repository.order_case(session, row), "current")


@router.post("/orders/{order_number}/withdraw", response_model=HotlineOrderOut)
def withdraw_order(
    order_number: str,
    body: WithdrawIn,
    request: Request,
    session: DB,
    p: Principal = require("hotline.push"),
) -> HotlineOrderOut:
    """The platform withdraws the order (撤单): an open case is closed with the reason."""
    _token_only(p)
    row, case = hotline.withdraw(session, p, order_number, body.reason)
    _log(session, p, request, row, "order_withdrawn")
    return _out(row, case, "withdrawn")


@router.post(
    "/orders/{order_number}/attachments", status_code=201, response_model=HotlineAttachmentOut
)
def upload_attachment(
    order_number: str,
    file: Annotated[UploadFile, File()],
    request: Request,
    session: DB,
    settings: Conf,
    p: Principal = require("hotline.push"),
) -> HotlineAttachmentOut:
    """One file of the order (the same checks as any attachment)."""
    _token_only(p)
    row = hotline.find_order(session, order_number)
    hotline.ensure_active(row)
    case = repository.order_case(session, row, lock=True)
    data = file.file.read(settings.attachment_max_bytes + 1)
    if len(data) > settings.attachment_max_bytes:
        raise TooLarge(
            "attachment.too_large",
            f"文件超过{settings.attachment_max_bytes // (1024 * 1024)}MB上限",
        )
    att = add_attachment(session, settings, p, case, file.filename or "attachment", data)
    _log(session, p, request, row, "attachment_added")
    return HotlineAttachmentOut(id=att.id, media_type=att.media_type, size=att.size)
