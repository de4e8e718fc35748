"""Searching the operation and login logs (administrators)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from bancheng.audit import export, repository
from bancheng.audit.actions import OBJECT_LABELS, OUTCOME_LABELS, action_labels
from bancheng.audit.models import OperationLog
from bancheng.audit.schemas import (
    ActionOut,
    LoginOut,
    LoginPage,
    LogWindow,
    OperationOut,
    OperationPage,
)
from bancheng.core.deps import DB, Caller, api_router, require
from bancheng.core.tempfiles import stream_file

router = api_router(prefix="/api/v1/audit", tags=["audit"])


def _operation_out(row: OperationLog, labels: dict[str, str]) -> OperationOut:
    out = OperationOut.model_validate(row)
    out.action_label = labels.get(row.action, "其他操作")
    out.object_label = OBJECT_LABELS.get(row.object_type or "") if row.object_type else None
    out.outcome_label = OUTCOME_LABELS.get(row.outcome, "其他")
    return out


@router.get("/operations", response_model=OperationPage)
def operations(
    session: DB,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    object_type: Annotated[str | None, Query(max_length=32)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    outcome: Annotated[str | None, Query(pattern="^(ok|denied)$")] = None,
    window: LogWindow = Depends(),
    _: Caller = require("audit.read"),
) -> OperationPage:
    rows, total = repository.operations(
        session,
        window,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
    )
    labels = action_labels()
    return OperationPage(items=[_operation_out(r, labels) for r in rows], total=total)


@router.get("/actions", response_model=list[ActionOut])
def actions(_: Caller = require("audit.read")) -> list[ActionOut]:
    """Every operation code the log can hold, with its Chinese label (the log page's filter)."""
    return [ActionOut(code=c, label=label) for c, label in sorted(action_labels().items())]


@router.get("/logins", response_model=LoginPage)
def logins(
    session: DB,
    username: Annotated[str | None, Query(max_length=64)] = None,
    success: bool | None = None,
    window: LogWindow = Depends(),
    _: Caller = require("audit.read"),
) -> LoginPage:
    rows, total = repository.logins(
        session,
        window,
        username=username,
        success=success,
    )
    return LoginPage(items=[LoginOut.model_validate(r) for r in rows], total=total)


def _export(
    session: Session,
    kind: str,
    date_from: date | None,
    date_to: date | None,
    principal: Caller,
) -> StreamingResponse:
    path, n = export.temp_csv(
        session,
        kind,
        date_from,
        date_to,
        actor=principal.username,
        actor_id=principal.user_id,
        ip=principal.ip,
    )
    name = f"{kind}-{date_from or 'start'}-{date_to or 'now'}.csv"
    return StreamingResponse(
        stream_file(path),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Row-Count": str(n)},
    )


@router.get("/operations.csv")
def export_operations(
    session: DB,
    date_from: date | None = None,
    date_to: date | None = None,
    principal: Caller = require("audit.read"),
) -> StreamingResponse:
    """The operation log between two Beijing dates (inclusive) as CSV; the export is logged."""
    return _export(session, "operations", date_from, date_to, principal)


@router.get("/logins.csv")
def export_logins(
    session: DB,
    date_from: date | None = None,
    date_to: date | None = None,
    principal: Caller = require("audit.read"),
) -> StreamingResponse:
    """The login log between two Beijing dates (inclusive) as CSV; the export is logged."""
    return _export(session, "logins", date_from, date_to, principal)
