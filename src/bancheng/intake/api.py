"""Public endpoints for the citizen channel: no account, rate-limited per client, and
kept apart from the staff API under ``/api/v1/public``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Header, Query, UploadFile
from sqlalchemy.orm import Session

from bancheng.audit.service import note_object
from bancheng.cases.enums import LABELS_ZH, Channel, event_label
from bancheng.cases.models import Case
from bancheng.cases.service import (
    add_attachment,
    add_event,
    department_names,
    phone_lookup_hash,
)
from bancheng.core.config import Settings, get_settings
from bancheng.core.deps import DB, Conf, api_router
from bancheng.core.errors import Conflict, Invalid, TooLarge
from bancheng.core.ratelimit import hit, rate_limit
from bancheng.feedback import service as feedback
from bancheng.intake import repository
from bancheng.intake import service as intake
from bancheng.intake.schemas import (
    OptOutIn,
    OptOutOut,
    PublicCase,
    PublicDisclosure,
    PublicEvaluationIn,
    PublicEvent,
    PublicMaster,
    PublicMatter,
    PublicOptions,
    PublicPhotoOut,
    PublicReportIn,
    PublicReportOut,
    RatingForm,
    RatingItem,
)

router = api_router(prefix="/api/v1/public", tags=["public"])


@router.get("/options", response_model=PublicOptions, dependencies=[rate_limit("public")])
def options(session: DB) -> PublicOptions:
    """What the phone form needs: the kinds of report and the matter catalogue."""
    matters = repository.active_matters(session)
    return PublicOptions(
        kinds=LABELS_ZH["kind"],
        matters=[
            PublicMatter(id=m.id, name=m.name, materials=list(m.materials or [])) for m in matters
        ],
    )


# --- reporting and following a case ----------------------------------------------------

PHONE_HEADER = "X-Reporter-Phone"
# How a reporter reaches their case: the private link's token, or their phone number.
Token = Annotated[str | None, Query(max_length=100)]
Phone = Annotated[str | None, Header(alias=PHONE_HEADER, max_length=30)]
LinkToken = Annotated[str, Query(max_length=100)]


# What the reporter sees differs from the staff wording for a few events.
PUBLIC_EVENT_LABELS = {
    "register": "已受理",
    "attach": "上传照片",
    "evaluate": "群众评价",
    "merge": "与同一问题的诉求合并办理",
    "unmerge": "恢复单独办理",
}


def public_event_label(action: str) -> str:
    return PUBLIC_EVENT_LABELS.get(action) or event_label(action)


def _limit_phone(settings: Settings, phone_hash: str) -> None:
    hit("public_phone", phone_hash, settings.public_phone_limit_per_hour, window_seconds=3600)


def _find(
    session: Session, settings: Settings, number: str, token: str | None, phone: str | None
) -> Case:
    number = number.strip().upper()[:32]
    if token:
        return intake.case_by_token(session, number, token[:100])
    if phone:
        try:
            phone_hash = phone_lookup_hash(phone)
        except Invalid:
            raise intake.not_found() from None
        _limit_phone(settings, phone_hash)
        return intake.case_by_phone(session, number, phone_hash)
    raise intake.not_found()


def _public_timeline(session: Session, case: Case) -> list[PublicEvent]:
    events = repository.public_events(session, case.id)
    names = department_names(
        session, {e.actor_department_id for e in events if e.actor_department_id}
    )
    timeline = [
        PublicEvent(
            at=e.at,
            action=e.action,
            label=public_event_label(e.action),
            department=(
                names.get(e.actor_department_id, "")
                if e.actor_department_id and e.actor_id is not None
                else (intake.PUBLIC_ACTOR if e.action in ("evaluate", "attach") else "系统")
            ),
        )
        for e in events
    ]
    # The register event of a public report has the hall's unit but no user.
    for item, e in zip(timeline, events, strict=True):
        if e.action == "register" and e.actor_department_id:
            item.department = names.get(e.actor_department_id, "")
    return timeline


def _public_view(session: Session, case: Case) -> PublicCase:
    timeline = _public_timeline(session, case)
    master_out = None
    master = repository.master_of(session, case)
    if master is not None:
        master_out = PublicMaster(
            state=master.state,
            state_label=LABELS_ZH["state"].get(master.state, master.state),
            due_date=master.due_date,
            timeline=_public_timeline(session, master),
        )
    supplement = None
    if case.state == "suspended":
        supplement = repository.supplement_request(session, case.id)
    return PublicCase(
        number=case.number,
        state=case.state,
        state_label=LABELS_ZH["state"].get(case.state, case.state),
        kind_label=LABELS_ZH["kind"].get(case.kind, case.kind),
        title=case.title,
        registered_at=case.registered_at,
        due_date=case.due_date,
        timeline=timeline,
        notification_text=case.notification_text,
        notification_materials=list(case.notification_materials or []),
        supplement_request=supplement,
        rating=case.rating,
        can_rate=feedback.can_rate(case),
        round=feedback.current_round(session, case.id),
        master=master_out,
        sms_opt_out=case.reporter_opt_out,
        **_rating_form(session, case),
    )


def _rating_form(session: Session, case: Case) -> dict[str, Any]:
    from bancheng.feedback import ratings

    if not feedback.can_rate(case):
        return {}
    iset = ratings.active_set(session, "online")
    return {
        "rating_deadline": ratings.window_end(session, get_settings(), case),
        "rating_form": RatingForm(
            indicator_set_id=iset.id,
            channel_type=iset.channel_type,
            version=iset.version,
            indicators=[RatingItem(**i) for i in iset.indicators],
            bad_reasons=[RatingItem(**i) for i in iset.bad_reasons],
        ),
    }


@router.post(
    "/reports",
    status_code=201,
    response_model=PublicReportOut,
    dependencies=[rate_limit("public")],
)
def report(
    body: PublicReportIn,
    session: DB,
    settings: Conf,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=120)] = None,
) -> PublicReportOut:
    """Report from the phone (channel ``mobile``). The answer carries the private link's
    token, shown this once. A filled honeypot is answered like a success; nothing is stored."""
    if body.website:
        number, token, due = intake.honeypot_answer(session, settings, body.kind, body.hall_id)
        return PublicReportOut(
            number=number, token=token, due_date=due, link=f"/m/status?no={number}&t={token}"
        )
    case, token, created = intake.submit_report(
        session,
        settings,
        intake.PublicReport(
            kind=body.kind,
            matter_id=body.matter_id,
            title=body.title,
            description=body.description,
            name=body.name,
            phone=body.phone,
            org_name=body.org_name,
            credit_code=body.credit_code,
            hall_id=body.hall_id,
            window_id=body.window_id,
            location=body.location,
        ),
        channel=Channel.mobile,
        location_source="device",
        idempotency_key=idempotency_key,
    )
    note_object(session, "case", case.id)
    if created and body.staff is not None:
        add_event(
            session,
            case,
            "qr_source",
            case.state,
            case.state,
            None,
            details={"staff_id": body.staff, "hall_id": body.hall_id},
            public=False,
        )
    return PublicReportOut(
        number=case.number,
        token=token,
        due_date=case.due_date,
        link=f"/m/status?no={case.number}&t={token}",
    )


@router.post(
    "/cases/{number}/photos",
    status_code=201,
    response_model=PublicPhotoOut,
    dependencies=[rate_limit("public")],
)
def upload_photo(
    number: str,
    file: Annotated[UploadFile, File()],
    session: DB,
    settings: Conf,
    token: LinkToken,
) -> PublicPhotoOut:
    """One photo per request (up to 9 per case), with the private link's token. HEIC is
    converted to JPEG; anything that is not a real image is refused."""
    case = _find(session, settings, number, token, None)
    if case.state not in ("registered", "dispatched", "accepted", "in_progress", "suspended"):
        raise Conflict("public.photos_closed", "诉求已办结，不能再上传照片")
    data = file.file.read(settings.attachment_max_bytes + 1)
    if len(data) > settings.attachment_max_bytes:
        raise TooLarge(
            "attachment.too_large",
            f"文件超过{settings.attachment_max_bytes // (1024 * 1024)}MB上限",
        )
    principal = intake.public_principal(session, case.hall_id)
    att = add_attachment(
        session, settings, principal, case, file.filename or "photo", data, images_only=True
    )
    from bancheng.notify.events import on_photo_from_reporter

    on_photo_from_reporter(session, case, att.id)
    return PublicPhotoOut(id=att.id, media_type=att.media_type, size=att.size)


@router.get("/cases/{number}", response_model=PublicCase, dependencies=[rate_limit("public")])
def follow(
    number: str,
    session: DB,
    settings: Conf,
    token: Token = None,
    phone: Phone = None,
) -> PublicCase:
    """Status, deadline and the public timeline (units, not staff; no internal notes).
    Access with the private link's token, or the phone in the ``X-Reporter-Phone`` header.
    Wrong pairs answer exactly like unknown numbers."""
    case = _find(session, settings, number, token, phone)
    return _public_view(session, case)


@router.post(
    "/cases/{number}/evaluation",
    response_model=PublicCase,
    dependencies=[rate_limit("public")],
)
def rate(
    number: str,
    body: PublicEvaluationIn,
    session: DB,
    settings: Conf,
    token: Token = None,
    phone: Phone = None,
) -> PublicCase:
    """好差评: the overall level plus timeliness, attitude and result (1–5) and a comment."""
    case = _find(session, settings, number, token, phone)
    session.refresh(case, with_for_update=True)
    principal = intake.public_principal(session, case.hall_id)
    feedback.evaluate(
        session,
        settings,
        principal,
        case,
        body.rating,
        body.timeliness,
        body.attitude,
        body.result,
        body.comment,
        channel=body.channel,
        scores=body.scores,
        bad_reasons=body.bad_reasons,
    )
    return _public_view(session, case)


@router.post(
    "/cases/{number}/notifications",
    response_model=OptOutOut,
    dependencies=[rate_limit("public")],
)
def sms_opt_out(
    number: str,
    body: OptOutIn,
    session: DB,
    settings: Conf,
    token: LinkToken,
) -> OptOutOut:
    """The reporter turns SMS about this case off (or on again), with the private link."""
    case = _find(session, settings, number, token, None)
    if case.reporter_opt_out != body.opt_out:
        case.reporter_opt_out = body.opt_out
        add_event(
            session,
            case,
            "sms_opt_out" if body.opt_out else "sms_opt_in",
            case.state,
            case.state,
            None,
            public=False,
            actor_name=intake.PUBLIC_ACTOR,
        )
    return OptOutOut(number=case.number, opt_out=case.reporter_opt_out)


# --- public disclosure (国办发〔2019〕51号) ---------------------------------------------------


@router.get("/disclosure", response_model=PublicDisclosure, dependencies=[rate_limit("public")])
def disclosure(
    session: DB,
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM，默认本月")] = None,
) -> PublicDisclosure:
    """A month's results made public: figures over every unit, each unit's figures, and
    the rectifications of bad reviews opened that month, anonymised (no case numbers, no
    people)."""
    from bancheng.insights.disclosure import month_disclosure

    return PublicDisclosure.model_validate(month_disclosure(session, month))
