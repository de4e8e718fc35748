"""Staff endpoints for QR codes, hall posters and walk-in receipts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from bancheng.cases import repository as repo
from bancheng.cases.service import department_names
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.deps import DB, Conf, api_router, require
from bancheng.core.errors import NotFound, present
from bancheng.intake import printing, repository
from bancheng.intake import service as intake
from bancheng.org.models import Hall
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1", tags=["print"])


def _base(request: Request, settings: Settings) -> str:
    return settings.public_base_url or str(request.base_url).rstrip("/")


@dataclass(frozen=True)
class _Poster:
    """The hall (and window, staff member) a QR code or poster is for, and its link."""

    hall: Hall
    subtitle: str
    link: str


def _poster(
    hall_id: int,
    request: Request,
    session: DB,
    settings: Conf,
    window: Annotated[int | None, Query()] = None,
    staff: Annotated[int | None, Query()] = None,
) -> _Poster:
    hall = present(
        repository.hall(session, hall_id), NotFound("print.hall_not_found", "大厅不存在")
    )
    sub = ""
    if window is not None:
        win = repository.window(session, window)
        if win is None or win.hall_id != hall.id:
            raise NotFound("print.window_not_found", "窗口不存在")
        sub = f"{win.number}号窗口 {win.name}"
    return _Poster(
        hall, sub, printing.report_link(_base(request, settings), hall.id, window, staff)
    )


Poster = Annotated[_Poster, Depends(_poster)]
# Checked before the hall is looked up (the permission comes first, as everywhere).
Printer = Annotated[Principal, require("qr.print")]


@router.get("/halls/{hall_id}/qr.png", response_class=Response)
def hall_qr(principal: Printer, poster: Poster) -> Response:
    """A QR code opening the phone form with the hall (and window, staff member) filled in."""
    return Response(printing.qr_png(poster.link), media_type="image/png")


@router.get("/halls/{hall_id}/poster.pdf", response_class=Response)
def hall_poster(principal: Printer, poster: Poster, settings: Conf) -> Response:
    pdf = printing.poster_pdf(
        settings.cjk_font_path, poster.hall.name, poster.subtitle, poster.link
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="poster-{poster.hall.id}.pdf"'},
    )


@router.get("/cases/{case_id}/receipt.pdf", response_class=Response)
def receipt(
    case_id: int,
    request: Request,
    session: DB,
    settings: Conf,
    principal: Principal = require("case.read"),
) -> Response:
    """受理回执 for a walk-in reporter: number, deadline and a QR code with a fresh private
    link (each print issues a new link; earlier ones keep working)."""
    case = repo.get_case(session, principal, case_id)
    token = intake.issue_token(session, case)
    names = department_names(session, {case.first_receipt_department_id})
    pdf = printing.receipt_pdf(
        settings.cjk_font_path,
        number=case.number,
        title=case.title,
        reporter=case.reporter_org_name or case.reporter_name,
        registered=clock.to_local(case.registered_at).strftime("%Y-%m-%d %H:%M"),
        due=case.due_date,
        department=names.get(case.first_receipt_department_id, ""),
        link=printing.status_link(_base(request, settings), case.number, token),
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="receipt-{case.number}.pdf"'},
    )
