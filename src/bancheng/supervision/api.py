"""HTTP: orders (``/api/v1/supervision/orders``), the board, joint meetings, systemic
issues and matter links. Thin: parse, call the services, return schemas."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response
from sqlalchemy.orm import Session

from bancheng.audit.service import note_object
from bancheng.cases import repository as case_repo
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.deps import DB, api_router, require
from bancheng.core.errors import NotFound, present
from bancheng.core.inputs import MONTH_PATTERN
from bancheng.core.schemas import from_row
from bancheng.org.scope import Principal, department_name_map
from bancheng.supervision import documents, meetings, service, systemic
from bancheng.supervision import repository as repo
from bancheng.supervision.models import (
    Meeting,
    MeetingDecision,
    SupervisionOrder,
    SystemicChange,
    SystemicIssue,
)
from bancheng.supervision.schemas import (
    BoardOut,
    CaseRef,
    ChangeIn,
    ChangeOut,
    CloseIn,
    DecisionDoneIn,
    DecisionOut,
    DepartmentRef,
    IssueIn,
    IssueOut,
    IssuePatch,
    LinkIn,
    MatterLinksOut,
    MeetingIn,
    MeetingOut,
    OrderEventOut,
    OrderIn,
    OrderOut,
    ReplyIn,
    SuggestionOut,
    SweepOut,
    VolumeOut,
)

router = api_router(prefix="/api/v1", tags=["supervision"])
Reader = Annotated[Principal, require("supervision.read")]
Issuer = Annotated[Principal, require("supervision.issue")]
Replier = Annotated[Principal, require("supervision.reply")]
SysRead = Annotated[Principal, require("systemic.read")]
SysManage = Annotated[Principal, require("systemic.manage")]


def _case_ref(c: Case) -> CaseRef:
    return CaseRef.model_validate(c, from_attributes=True)


def _orders_out(
    db: Session, p: Principal, orders: list[SupervisionOrder], with_events: bool = False
) -> list[OrderOut]:
    names = department_name_map(db)
    cases = repo.order_cases(db, [o.id for o in orders], p)
    now = clock.now()
    out = []
    for o in orders:
        events = (
            [
                from_row(
                    OrderEventOut,
                    e,
                    department_name=names.get(e.department_id) if e.department_id else None,
                )
                for e in repo.order_events(db, o.id)
            ]
            if with_events
            else []
        )
        out.append(
            from_row(
                OrderOut,
                o,
                original_department_name=names.get(o.original_department_id, ""),
                department_name=names.get(o.department_id, ""),
                overdue=o.status == "open" and now >= o.due_at,
                cases=[_case_ref(c) for c in cases[o.id]],
                events=events,
            )
        )
    return out


# --------------------------------------------------------------------------- orders


@router.post("/supervision/orders", response_model=OrderOut, status_code=201)
def issue_order(body: OrderIn, db: DB, p: Issuer) -> OrderOut:
    order = service.issue_order(db, p, body)
    note_object(db, "supervision_order", order.id)
    return _orders_out(db, p, [order], True)[0]


@router.get("/supervision/orders", response_model=list[OrderOut])
def list_orders(
    db: DB,
    p: Reader,
    status: str | None = Query(default=None, pattern="^(open|replied|closed)$"),
    mine: bool = Query(default=False, description="只看下达给本单位(及下级)的"),
) -> list[OrderOut]:
    orders = repo.list_orders(
        db, p, status=status, department_ids=p.unit_department_ids if mine else None
    )
    return _orders_out(db, p, orders)


@router.get("/supervision/orders/{order_id}", response_model=OrderOut)
def get_order(order_id: int, db: DB, p: Reader) -> OrderOut:
    return _orders_out(db, p, [repo.get_order(db, p, order_id)], True)[0]


@router.post("/supervision/orders/{order_id}/reply", response_model=OrderOut)
def reply_order(order_id: int, body: ReplyIn, db: DB, p: Replier) -> OrderOut:
    order = service.reply_order(db, p, repo.get_order(db, p, order_id), body.text)
    return _orders_out(db, p, [order], True)[0]


@router.post("/supervision/orders/{order_id}/close", response_model=OrderOut)
def close_order(order_id: int, body: CloseIn, db: DB, p: Issuer) -> OrderOut:
    order = service.close_order(db, p, repo.get_order(db, p, order_id), body.note)
    return _orders_out(db, p, [order], True)[0]


@router.get("/cases/{case_id}/orders", response_model=list[OrderOut])
def case_orders(case_id: int, db: DB, p: Reader) -> list[OrderOut]:
    case_repo.get_case(db, p, case_id)
    return _orders_out(db, p, repo.list_orders(db, p, case_id=case_id))


@router.get("/cases/{case_id}/meetings", response_model=list[MeetingOut])
def case_meetings(case_id: int, db: DB, p: Reader) -> list[MeetingOut]:
    case_repo.get_case(db, p, case_id)
    return [_meeting_out(db, p, m) for m in repo.list_meetings(db, p, case_id=case_id)]


@router.get("/supervision/board", response_model=BoardOut)
def board(db: DB, p: Reader) -> BoardOut:
    orders = _orders_out(db, p, repo.list_orders(db, p, status="open"))
    orders.sort(key=lambda o: (not o.overdue, o.due_at, o.id))
    return BoardOut(
        orders=orders,
        open_orders=len(orders),
        overdue_orders=sum(o.overdue for o in orders),
        open_decisions=_decisions_out(db, repo.open_decisions(db, p)),
    )


@router.post("/supervision/sweep", response_model=SweepOut)
def sweep(db: DB, p: Issuer) -> SweepOut:
    """Sweep now, through the job registry's lock (concurrent triggers escalate once)."""
    from bancheng.core.config import get_settings
    from bancheng.core.jobs import run_job
    from bancheng.supervision.jobs import SWEEP

    return SweepOut(**run_job(db, SWEEP, get_settings(), force=True, wait=True).result)


# --------------------------------------------------------------------------- meetings


def _decisions_out(db: Session, rows: list[MeetingDecision]) -> list[DecisionOut]:
    names = department_name_map(db)
    now = clock.now()
    return [
        from_row(
            DecisionOut,
            d,
            responsible_department_name=names.get(d.responsible_department_id, ""),
            light=meetings.decision_light(d, now),
        )
        for d in rows
    ]


def _meeting_out(db: Session, p: Principal, m: Meeting) -> MeetingOut:
    names = department_name_map(db)
    return from_row(
        MeetingOut,
        m,
        convener_department=DepartmentRef(
            id=m.convener_department_id, name=names.get(m.convener_department_id, "")
        ),
        participants=[
            DepartmentRef(id=i, name=names.get(i, "")) for i in m.participant_department_ids
        ],
        cases=[_case_ref(c) for c in repo.meeting_cases(db, m.id, p)],
        decisions=_decisions_out(db, repo.decisions(db, m.id)),
    )


@router.post("/supervision/meetings", response_model=MeetingOut, status_code=201)
def create_meeting(body: MeetingIn, db: DB, p: Issuer) -> MeetingOut:
    meeting = meetings.create_meeting(db, p, body)
    note_object(db, "meeting", meeting.id)
    return _meeting_out(db, p, meeting)


@router.get("/supervision/meetings", response_model=list[MeetingOut])
def list_meetings(db: DB, p: Reader) -> list[MeetingOut]:
    return [_meeting_out(db, p, m) for m in repo.list_meetings(db, p)]


@router.get("/supervision/meetings/{meeting_id}", response_model=MeetingOut)
def get_meeting(meeting_id: int, db: DB, p: Reader) -> MeetingOut:
    return _meeting_out(db, p, repo.get_meeting(db, p, meeting_id))


@router.get(
    "/supervision/meetings/{meeting_id}/minutes.docx",
    response_class=Response,
    responses={200: {"content": {documents.DOCX: {}}}},
)
def meeting_minutes(meeting_id: int, db: DB, p: Reader) -> Response:
    m = repo.get_meeting(db, p, meeting_id)
    return Response(
        documents.meeting_minutes(db, m, p),
        media_type=documents.DOCX,
        headers={"Content-Disposition": f'attachment; filename="meeting-{m.id}-minutes.docx"'},
    )


@router.post(
    "/supervision/meetings/{meeting_id}/decisions/{decision_id}/done",
    response_model=DecisionOut,
)
def decision_done(
    meeting_id: int, decision_id: int, body: DecisionDoneIn, db: DB, p: Reader
) -> DecisionOut:
    repo.get_meeting(db, p, meeting_id)
    d = repo.meeting_decision(db, meeting_id, decision_id)
    return _decisions_out(db, [meetings.complete_decision(db, p, d, body.note)])[0]


# --------------------------------------------------------------------------- systemic issues


def _change_out(c: SystemicChange) -> ChangeOut:
    return ChangeOut.model_validate(c, from_attributes=True)


def _issue_out(
    db: Session, p: Principal, i: SystemicIssue, count: int, full: bool = False
) -> IssueOut:
    matter = repo.matter(db, i.matter_id) if i.matter_id else None
    return from_row(
        IssueOut,
        i,
        matter_name=matter.name if matter else None,
        case_count=count,
        cases=[_case_ref(c) for c in systemic.issue_cases(db, i.id, p)] if full else [],
        changes=[_change_out(c) for c in systemic.changes(db, i.id)] if full else [],
    )


@router.get("/supervision/systemic-issues", response_model=list[IssueOut])
def list_issues(db: DB, p: SysRead) -> list[IssueOut]:
    issues = repo.systemic_issues(db)
    counts = systemic.case_counts(db, [i.id for i in issues])
    return [_issue_out(db, p, i, counts.get(i.id, 0)) for i in issues]


@router.post("/supervision/systemic-issues", response_model=IssueOut, status_code=201)
def create_issue(body: IssueIn, db: DB, p: SysManage) -> IssueOut:
    issue = systemic.create_issue(db, p, body)
    note_object(db, "systemic_issue", issue.id)
    return _issue_out(db, p, issue, 0, True)


@router.get("/supervision/systemic-issues/suggestions", response_model=list[SuggestionOut])
def issue_suggestions(
    db: DB, p: SysManage, days: int = Query(default=90, ge=7, le=365)
) -> list[SuggestionOut]:
    return [SuggestionOut(**s) for s in systemic.suggestions(db, p, days)]


@router.get(
    "/supervision/systemic-issues/report.docx",
    response_class=Response,
    responses={200: {"content": {documents.DOCX: {}}}},
)
def monthly_report(db: DB, p: SysRead, month: str = Query(pattern=MONTH_PATTERN)) -> Response:
    return Response(
        documents.monthly_report(db, month),
        media_type=documents.DOCX,
        headers={"Content-Disposition": f'attachment; filename="systemic-issues-{month}.docx"'},
    )


@router.get("/supervision/systemic-issues/{issue_id}", response_model=IssueOut)
def get_issue(issue_id: int, db: DB, p: SysRead) -> IssueOut:
    i = systemic.get_issue(db, issue_id)
    return _issue_out(db, p, i, systemic.case_counts(db, [i.id]).get(i.id, 0), True)


@router.patch("/supervision/systemic-issues/{issue_id}", response_model=IssueOut)
def patch_issue(issue_id: int, body: IssuePatch, db: DB, p: SysManage) -> IssueOut:
    i = systemic.update_issue(db, systemic.get_issue(db, issue_id), body)
    return _issue_out(db, p, i, systemic.case_counts(db, [i.id]).get(i.id, 0), True)


@router.post("/supervision/systemic-issues/{issue_id}/cases", response_model=IssueOut)
def link_cases(issue_id: int, body: LinkIn, db: DB, p: SysManage) -> IssueOut:
    i = systemic.get_issue(db, issue_id)
    systemic.link_cases(db, p, i, body.case_ids, body.source)
    return _issue_out(db, p, i, systemic.case_counts(db, [i.id]).get(i.id, 0), True)


@router.delete("/supervision/systemic-issues/{issue_id}/cases/{case_id}", status_code=204)
def unlink_case(issue_id: int, case_id: int, db: DB, p: SysManage) -> Response:
    systemic.unlink_case(db, p, systemic.get_issue(db, issue_id), case_id)
    return Response(status_code=204)


@router.post(
    "/supervision/systemic-issues/{issue_id}/changes", response_model=ChangeOut, status_code=201
)
def add_change(issue_id: int, body: ChangeIn, db: DB, p: SysManage) -> ChangeOut:
    return _change_out(systemic.add_change(db, p, systemic.get_issue(db, issue_id), body))


@router.get("/supervision/systemic-issues/{issue_id}/volumes", response_model=VolumeOut)
def issue_volumes(
    issue_id: int,
    db: DB,
    p: SysRead,
    window: int = Query(default=3, ge=1, le=12),
    matter_id: int | None = None,
) -> VolumeOut:
    data = systemic.volumes(
        db, systemic.get_issue(db, issue_id), window=window, matter_id=matter_id
    )
    return VolumeOut.model_validate(data)


@router.get("/supervision/matters/{matter_id}", response_model=MatterLinksOut)
def matter_links(matter_id: int, db: DB, p: SysRead) -> MatterLinksOut:
    m = present(repo.matter(db, matter_id), NotFound("matter.not_found", "事项不存在"))
    issues = repo.matter_issues(db, m.id)
    counts = systemic.case_counts(db, [i.id for i in issues])
    guide = repo.guide_changes(db, m.id)
    return from_row(
        MatterLinksOut,
        m,
        materials=[str(x) for x in m.materials or []],
        systemic_issues=[_issue_out(db, p, i, counts.get(i.id, 0)) for i in issues],
        guide_changes=[_change_out(c) for c in guide],
    )
