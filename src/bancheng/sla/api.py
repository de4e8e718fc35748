"""HTTP: the working-day calendar (``/api/v1/calendar``) and time-limit policies
(``/api/v1/sla/policies``). Thin: parse, call the calendar/policy functions, return.

``router`` carries both (``calendar_router`` and ``policy_router``). Reading needs
``calendar.read`` (all staff); importing a calendar and editing policies need
``calendar.manage`` (administrators).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, File, Query, UploadFile
from sqlalchemy.orm import Session

from bancheng.audit.service import note_object
from bancheng.core.clock import SHANGHAI, now
from bancheng.core.deps import api_router, db_session, require
from bancheng.core.errors import Invalid, TooLarge
from bancheng.sla import calendar as cal
from bancheng.sla import policies as pol
from bancheng.sla.arrangements import MAX_FILE_BYTES
from bancheng.sla.keys import Channel, Difficulty, Kind
from bancheng.sla.models import SlaPolicy
from bancheng.sla.schemas import (
    DayOut,
    DeadlineOut,
    ImportOut,
    PolicyIn,
    PolicyMatchOut,
    PolicyOut,
    PolicyPatch,
    YearDaysOut,
    YearsOut,
)

calendar_router = api_router(prefix="/api/v1/calendar", tags=["calendar"])
policy_router = api_router(prefix="/api/v1/sla/policies", tags=["sla"])
READ = [require("calendar.read")]
MANAGE = [require("calendar.manage")]

SessionDep = Annotated[Session, Depends(db_session)]


# --------------------------------------------------------------------------- schemas


# --------------------------------------------------------------------------- calendar


@calendar_router.get("/years", response_model=YearsOut, dependencies=READ)
def get_years(session: SessionDep) -> YearsOut:
    return YearsOut(years=cal.list_years(session), missing=cal.missing_years(session))


@calendar_router.get("/deadline", response_model=DeadlineOut, dependencies=READ)
def get_deadline(
    session: SessionDep,
    start: Annotated[date, Query(description="受理日期 YYYY-MM-DD")],
    workdays: Annotated[int, Query(description="工作日数(0 = 当日)")],
) -> DeadlineOut:
    result = cal.load_calendar(session).add_workdays(start, workdays)
    return DeadlineOut(
        start=start,
        workdays=workdays,
        deadline=result.date,
        due_at=result.due_at,
        provisional=result.provisional,
    )


@calendar_router.get("/{year}", response_model=YearDaysOut, dependencies=READ)
def get_year(year: int, session: SessionDep) -> YearDaysOut:
    view = cal.show_year(session, year)
    return YearDaysOut(
        year=view.year,
        known=view.known,
        source=view.source,
        loaded_at=view.loaded_at,
        days=[
            DayOut(date=d.date, kind=d.kind, festival=d.festival, workday=d.is_workday)
            for d in view.days
        ],
    )


@calendar_router.post("/import", response_model=ImportOut, dependencies=MANAGE)
def post_import(
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV 或 JSON: date, kind, festival")],
) -> ImportOut:
    data = file.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise TooLarge("calendar.file_too_large", f"文件超过 {MAX_FILE_BYTES} 字节")
    result = cal.import_bytes(session, data, file.filename or "upload")
    return ImportOut(**result.to_dict())


# --------------------------------------------------------------------------- policies


_NOT_NULL = (
    "name",
    "response_limit",
    "response_unit",
    "resolution_limit",
    "resolution_unit",
    "priority",
    "active",
)


def _policy_out(policy: SlaPolicy | pol.PolicyRow) -> PolicyOut:
    return PolicyOut.model_validate(policy)


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}


@policy_router.get("", response_model=list[PolicyOut], dependencies=READ)
def get_policies(session: SessionDep, active_only: bool = False) -> list[PolicyOut]:
    return [_policy_out(p) for p in pol.list_policies(session, active_only=active_only)]


@policy_router.post("", response_model=PolicyOut, status_code=201, dependencies=MANAGE)
def post_policy(body: PolicyIn, session: SessionDep) -> PolicyOut:
    policy = pol.create_policy(session, **_plain(body.model_dump()))
    note_object(session, "sla_policy", policy.id)
    return _policy_out(policy)


@policy_router.patch("/{policy_id}", response_model=PolicyOut, dependencies=MANAGE)
def patch_policy(policy_id: int, body: PolicyPatch, session: SessionDep) -> PolicyOut:
    changes = _plain(body.model_dump(exclude_unset=True))
    for required in _NOT_NULL:
        if required in changes and changes[required] is None:
            raise Invalid("sla.invalid_key", f"{required} 不能为空", field=required)
    return _policy_out(pol.update_policy(session, policy_id, **changes))


@policy_router.get("/match", response_model=PolicyMatchOut, dependencies=READ)
def get_policy_match(
    session: SessionDep,
    kind: Kind,
    difficulty: Difficulty,
    channel: Channel,
    department_id: int | None = None,
    accepted_at: datetime | None = None,
) -> PolicyMatchOut:
    """Which policy a case with these keys gets, and its deadlines if accepted at
    ``accepted_at`` (default: now)."""
    policy = pol.find_policy(
        session,
        kind=kind.value,
        difficulty=difficulty.value,
        channel=channel.value,
        department_id=department_id,
    )
    moment = accepted_at or now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    deadlines = pol.policy_deadlines(policy, cal.load_calendar(session), moment)
    return PolicyMatchOut(
        policy=_policy_out(policy),
        accepted_at=moment,
        response_due_at=deadlines.response.due_at,
        resolution_date=deadlines.resolution.date,
        resolution_due_at=deadlines.resolution.due_at,
        provisional=deadlines.provisional,
    )


router = api_router()
router.include_router(calendar_router)
router.include_router(policy_router)
