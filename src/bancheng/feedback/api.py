"""Staff side of 好差评 and callbacks: rectifications, appeals, the callback workbench."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query
from sqlalchemy.orm import Session

from bancheng.audit.service import log_action, note_object
from bancheng.cases import repository as case_repo
from bancheng.cases import service as case_service
from bancheng.cases.enums import Kind
from bancheng.core.deps import DB, Conf, api_router, require
from bancheng.core.schemas import from_row
from bancheng.feedback import callbacks, ratings, replies, repository, service
from bancheng.feedback.models import (
    CallbackTask,
    IndicatorSet,
    Rectification,
    ReplyTemplate,
)
from bancheng.feedback.schemas import (
    AppealDecisionIn,
    AppealIn,
    AttemptIn,
    AttemptOut,
    CallbackOut,
    ConfirmIn,
    EvaluationOut,
    FilledTemplate,
    IndicatorSetIn,
    IndicatorSetOut,
    NoteIn,
    RaiseCaseIn,
    RaisedCase,
    RankingOut,
    RatingItemIO,
    RectificationOut,
    ReplyTemplateAdmin,
    ReplyTemplateIn,
    ReplyTemplateOut,
    ReplyTemplatePatch,
    SampleOut,
    VariableOut,
)
from bancheng.feedback.standard import CHANNEL_TYPE_LABELS_ZH
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1", tags=["feedback"])

CALLBACK_SCRIPT = (
    "您好，这里是政务服务中心“办不成事”反映窗口。您此前反映的诉求（编号{number}）已办结，"
    "想了解一下：问题是否真正解决了？对办理的及时性、服务态度和办理结果是否满意？"
    "还有没有其他需要我们帮助的事项？"
)


def _rect_out(session: Session, r: Rectification) -> RectificationOut:
    case = repository.case_of(session, r.case_id)
    return from_row(RectificationOut, r, case_number=case.number if case else "")


def _cb_out(session: Session, t: CallbackTask) -> CallbackOut:
    case = repository.case_of(session, t.case_id)
    assert case is not None
    attempts = repository.attempts(session, t.id)
    return from_row(
        CallbackOut,
        t,
        case_number=case.number,
        case_title=case.title,
        reporter_name=case.reporter_name,
        reporter_phone=case.reporter_phone_masked,
        script=CALLBACK_SCRIPT.format(number=case.number),
        attempts=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts],
    )


# --- evaluations -------------------------------------------------------------------------


@router.get("/cases/{case_id}/evaluations", response_model=list[EvaluationOut])
def list_evaluations(
    case_id: int, session: DB, principal: Principal = require("case.read")
) -> list[EvaluationOut]:
    """The 好差评 rounds of a case (data scope of the case)."""
    case = case_repo.get_case(session, principal, case_id)
    rows = repository.evaluations(session, case.id)
    return [EvaluationOut.model_validate(e, from_attributes=True) for e in rows]


# --- rectifications ----------------------------------------------------------------------


@router.get("/feedback/rectifications", response_model=list[RectificationOut])
def list_rectifications(
    session: DB,
    principal: Principal = require("feedback.read"),
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> list[RectificationOut]:
    rows = repository.newest_visible(session, principal, Rectification, status)
    return [_rect_out(session, r) for r in rows]


@router.post("/feedback/rectifications/{rect_id}/complete", response_model=RectificationOut)
def complete(
    rect_id: int, body: NoteIn, session: DB, principal: Principal = require("feedback.rectify")
) -> RectificationOut:
    return _rect_out(
        session, service.complete_rectification(session, principal, rect_id, body.note)
    )


@router.post("/feedback/rectifications/{rect_id}/appeal", response_model=RectificationOut)
def appeal(
    rect_id: int, body: AppealIn, session: DB, principal: Principal = require("feedback.rectify")
) -> RectificationOut:
    return _rect_out(session, service.appeal(session, principal, rect_id, body.reason))


@router.post("/feedback/rectifications/{rect_id}/decision", response_model=RectificationOut)
def decide(
    rect_id: int,
    body: AppealDecisionIn,
    session: DB,
    principal: Principal = require("feedback.appeal_decide"),
) -> RectificationOut:
    rect = service.decide_appeal(session, principal, rect_id, body.uphold, body.note)
    return _rect_out(session, rect)


# --- callbacks ---------------------------------------------------------------------------


@router.get("/callbacks", response_model=list[CallbackOut])
def list_callbacks(
    session: DB,
    principal: Principal = require("callback.work"),
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> list[CallbackOut]:
    rows = repository.newest_visible(session, principal, CallbackTask, status)
    return [_cb_out(session, t) for t in rows]


@router.post("/callbacks/sample", response_model=SampleOut)
def run_sample(
    session: DB, settings: Conf, principal: Principal = require("callback.work")
) -> SampleOut:
    """Run the reminder and sampling sweep now (it also runs periodically), through the
    job registry's lock."""
    from bancheng.core.jobs import run_job
    from bancheng.feedback import jobs as feedback_jobs

    return SampleOut(**run_job(session, feedback_jobs.JOB, settings, force=True, wait=True).result)


@router.post("/callbacks/{task_id}/attempts", response_model=CallbackOut)
def attempt(
    task_id: int,
    body: AttemptIn,
    session: DB,
    settings: Conf,
    principal: Principal = require("callback.work"),
) -> CallbackOut:
    task = callbacks.record_attempt(session, settings, principal, task_id, body.outcome, body.note)
    return _cb_out(session, task)


@router.post("/callbacks/{task_id}/confirm", response_model=CallbackOut)
def confirm(
    task_id: int, body: ConfirmIn, session: DB, principal: Principal = require("callback.work")
) -> CallbackOut:
    return _cb_out(
        session, callbacks.confirm(session, principal, task_id, body.resolved, body.note)
    )


@router.post("/callbacks/{task_id}/reveal")
def reveal_phone(
    task_id: int, session: DB, principal: Principal = require("callback.work")
) -> dict[str, str | None]:
    """The full phone number to call (logged)."""
    task = callbacks.get_task(session, principal, task_id)
    case = repository.case_of(session, task.case_id)
    assert case is not None
    log_action(
        session,
        principal,
        "callback.reveal_phone",
        object_type="callback_task",
        object_id=task_id,
        details={"case_id": case.id},
    )
    return {"phone": case_service.reveal_reporter(case)["phone"]}


@router.post("/callbacks/{task_id}/case", status_code=201, response_model=RaisedCase)
def raise_case(
    task_id: int,
    body: RaiseCaseIn,
    session: DB,
    settings: Conf,
    principal: Principal = require("callback.work"),
) -> RaisedCase:
    """未诉先办: register a new case from the call (channel ``callback``)."""
    case = callbacks.raise_case(
        session, settings, principal, task_id, body.title, body.description, body.kind.value
    )
    return RaisedCase(id=case.id, number=case.number)


# --- 好差评 indicator sets (GB/T 39734-2020) and rankings ----------------------------------


def _set_out(s: IndicatorSet) -> IndicatorSetOut:
    return IndicatorSetOut(
        id=s.id,
        channel_type=s.channel_type,
        channel_type_label=CHANNEL_TYPE_LABELS_ZH.get(s.channel_type, s.channel_type),
        version=s.version,
        indicators=[RatingItemIO(**i) for i in s.indicators],
        bad_reasons=[RatingItemIO(**i) for i in s.bad_reasons],
        active=s.active,
        created_at=s.created_at,
    )


@router.get("/feedback/indicator-sets", response_model=list[IndicatorSetOut])
def list_indicator_sets(
    session: DB, _: Principal = require("feedback.read")
) -> list[IndicatorSetOut]:
    """Every version of the online and offline indicator sets (the active one per type has
    ``active``), with the bad-review checklists."""
    return [_set_out(s) for s in repository.indicator_sets(session)]


@router.post(
    "/feedback/indicator-sets/{channel_type}", status_code=201, response_model=IndicatorSetOut
)
def new_indicator_set(
    channel_type: Literal["online", "offline"],
    body: IndicatorSetIn,
    session: DB,
    _: Principal = require("rating.manage"),
) -> IndicatorSetOut:
    """Publish a new version of a channel type's set; it replaces the active one for new
    ratings, earlier ratings keep theirs."""
    row = ratings.new_version(
        session,
        channel_type,
        [i.model_dump() for i in body.indicators],
        [i.model_dump() for i in body.bad_reasons],
    )
    return _set_out(row)


@router.get("/feedback/rankings", response_model=RankingOut)
def rating_rankings(
    session: DB,
    unit: Literal["window", "staff", "department", "hall"] = "window",
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    bottom: Annotated[int, Query(ge=0, le=50)] = 3,
    min_count: Annotated[int, Query(ge=1, le=1000)] = 1,
    principal: Principal = require("insights.read"),
) -> RankingOut:
    """好差评 ranking of a Beijing month (default this one) per window, staff member, unit
    or hall, within the caller's data scope; the last ``bottom`` with at least
    ``min_count`` ratings are ``flagged``."""
    return RankingOut(**ratings.rankings(session, principal, unit, month, bottom, min_count))


# --- reply templates -------------------------------------------------------------------


TemplateId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _tpl_out(r: ReplyTemplate) -> ReplyTemplateOut:
    return ReplyTemplateOut(
        id=r.id,
        action=r.action,
        action_label=replies.actions().get(r.action, r.action),
        kind=r.kind,
        title=r.title,
        body=r.body,
        active=r.active,
        updated_at=r.updated_at,
    )


@router.get("/admin/reply-templates", response_model=ReplyTemplateAdmin)
def list_reply_templates(
    session: DB, _: Principal = require("reply_template.manage")
) -> ReplyTemplateAdmin:
    """Every reply template, the actions they may be for and the documented variables."""
    return ReplyTemplateAdmin(
        variables=[VariableOut(name=k, description=v) for k, v in replies.VARIABLES.items()],
        actions=replies.actions(),
        templates=[_tpl_out(r) for r in repository.reply_templates(session)],
    )


@router.post("/admin/reply-templates", status_code=201, response_model=ReplyTemplateOut)
def create_reply_template(
    body: ReplyTemplateIn, session: DB, _: Principal = require("reply_template.manage")
) -> ReplyTemplateOut:
    kind = body.kind.value if body.kind else None
    row = replies.create(session, body.action, kind, body.title, body.body, body.active)
    note_object(session, "reply_template", row.id)
    return _tpl_out(row)


@router.patch("/admin/reply-templates/{template_id}", response_model=ReplyTemplateOut)
def update_reply_template(
    template_id: TemplateId,
    body: ReplyTemplatePatch,
    session: DB,
    _: Principal = require("reply_template.manage"),
) -> ReplyTemplateOut:
    changes = body.model_dump(exclude_unset=True)
    if "kind" in changes and changes["kind"] is not None:
        changes["kind"] = Kind(changes["kind"]).value
    return _tpl_out(replies.update(session, template_id, changes))


@router.delete("/admin/reply-templates/{template_id}", status_code=204)
def delete_reply_template(
    template_id: TemplateId, session: DB, _: Principal = require("reply_template.manage")
) -> None:
    replies.delete(session, template_id)


@router.get("/cases/{case_id}/reply-templates", response_model=list[FilledTemplate])
def case_reply_templates(
    case_id: int,
    session: DB,
    action: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    principal: Principal = require("case.act"),
) -> list[FilledTemplate]:
    """The active templates of ``action`` (all actions without it) for this case's kind,
    with the variables filled in for the case (the action dialog's 回复模板)."""
    case = case_repo.get_case(session, principal, case_id)
    return [
        FilledTemplate(id=r.id, title=r.title, kind=r.kind, text=text)
        for r, text in replies.for_case(session, case, action)
    ]
