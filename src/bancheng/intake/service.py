"""The citizen side of registration and access: a system principal for the reporter,
private links (stored hashed), and look-up by case number plus phone that answers a wrong
pair exactly like an unknown number."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from bancheng.cases.enums import Channel, Kind, ReporterType
from bancheng.cases.models import Case
from bancheng.cases.numbering import number_pending
from bancheng.cases.schemas import CaseCreate, LocationIn, ReporterIn
from bancheng.cases.service import create_case, phone_lookup_hash
from bancheng.core import clock
from bancheng.core.cache import Cached
from bancheng.core.config import Settings
from bancheng.core.db import insert_now
from bancheng.core.errors import NotFound, present
from bancheng.core.validators import normalize_phone
from bancheng.intake import repository
from bancheng.intake.models import CaseAccessToken
from bancheng.notify import messages
from bancheng.org.models import Department
from bancheng.org.scope import Principal

# The phone page files ``mobile`` cases; Open311 clients (apps, websites) file ``online``.
PUBLIC_CHANNELS = frozenset({Channel.mobile, Channel.online})
PUBLIC_ACTOR = "反映人"


def not_found() -> NotFound:
    """The one answer for unknown numbers, wrong phones and wrong tokens."""
    return NotFound("public.not_found", "未找到对应的诉求，请核对受理编号和手机号")


def centre_department(session: Session) -> Department:
    """The city centre: the highest active unit of kind ``centre`` (shortest path)."""
    rows = repository.active_centres(session)
    if rows:
        return min(rows, key=lambda d: (d.path.count("/"), d.id))
    return present(
        repository.root_department(session),
        NotFound("public.not_configured", "系统尚未配置受理单位"),
    )


# The city centre's id, per process, read again once any department changes.
_centre: Cached[int] = Cached(
    "public_centre", (Department,), lambda session: centre_department(session).id
)


def public_principal(session: Session, hall_id: int | None) -> Principal:
    """The reporter as a system actor: first receipt is the hall's department, or the
    city centre without a hall. ``user_id`` 0 is stored as no user."""
    dept: Department | None = None
    if hall_id is not None:
        hall = repository.hall(session, hall_id)
        if hall is not None:
            dept = repository.department(session, hall.department_id)
    return Principal(
        user_id=0,
        username="public",
        display_name=PUBLIC_ACTOR,
        role="public",
        department_id=dept.id if dept is not None else _centre.get(session),
        data_scope="self",
        scope_department_ids=frozenset(),
    )


@dataclass(frozen=True)
class PublicReport:
    """What a reporter without an account files, from the phone page or an Open311 client."""

    kind: Kind
    description: str
    name: str
    phone: str
    title: str = ""
    matter_id: int | None = None
    org_name: str | None = None
    credit_code: str | None = None
    hall_id: int | None = None
    window_id: int | None = None
    location: LocationIn | None = None


def submit_report(
    session: Session,
    settings: Settings,
    report: PublicReport,
    *,
    channel: Channel,
    location_source: str,
    idempotency_key: str | None = None,
) -> tuple[Case, str, bool]:
    """The one intake path for reporters without an account: the per-phone rate limit,
    the case's own validation and deadline, and a private link's token (returned once).
    Returns the case, the token and whether the case is new (False: an idempotent retry,
    which gets a fresh token because the first cannot be shown again)."""
    from bancheng.core.ratelimit import hit

    phone = normalize_phone(report.phone)
    hit(
        "public_phone",
        phone_lookup_hash(phone),
        settings.public_phone_limit_per_hour,
        window_seconds=3600,
    )
    principal = public_principal(session, report.hall_id)
    enterprise = bool(report.org_name or report.credit_code)
    data = CaseCreate(
        channel=channel,
        kind=report.kind,
        title=report.title or report.description[:30],
        description=report.description,
        reporter=ReporterIn(
            type=ReporterType.enterprise if enterprise else ReporterType.person,
            name=report.name,
            phone=phone,
            org_name=report.org_name,
            credit_code=report.credit_code,
        ),
        matter_id=report.matter_id,
        hall_id=report.hall_id,
        window_id=report.window_id,
        location=report.location,
    )
    key = f"public:{idempotency_key}" if idempotency_key else None
    case, created = create_case(
        session,
        settings,
        principal,
        data,
        key,
        allow_channels=PUBLIC_CHANNELS,
        location_source=location_source,
        number_late=True,
    )
    token = issue_token(session, case)
    number_pending(session)  # last: the counter's row lock lasts from here to the commit
    return case, token, created


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, case: Case) -> str:
    token = secrets.token_urlsafe(24)
    insert_now(
        session, CaseAccessToken(case_id=case.id, token_hash=_hash(token), created_at=clock.now())
    )
    return token


def case_by_token(session: Session, number: str, token: str) -> Case:
    case = repository.case_of_token(session, _hash(token))
    if case is None or not secrets.compare_digest(case.number, number):
        raise not_found()
    return case


def case_by_phone(session: Session, number: str, phone_hash: str) -> Case:
    case = repository.case_by_number(session, number)
    if case is None or not secrets.compare_digest(case.reporter_phone_hash, phone_hash):
        raise not_found()
    return case


def honeypot_answer(
    session: Session, settings: Settings, kind: Kind, hall_id: int | None
) -> tuple[str, str, date | None]:
    """What a filled honeypot is told, shaped like a real acceptance and never stored: a
    number just past the jurisdiction's current one, a token like a real one, and the
    deadline a real report of that kind would get now."""
    from bancheng.cases import case_clock

    now = clock.now()
    year = clock.to_local(now).year
    last = repository.last_case_seq(session, settings.jurisdiction_code, year)
    number = f"{settings.jurisdiction_code}-{year}-{(last or 0) + 1 + secrets.randbelow(3):06d}"
    principal = public_principal(session, hall_id)
    probe = Case(
        kind=kind.value,
        difficulty="general",
        channel=Channel.mobile.value,
        first_receipt_department_id=principal.department_id,
        registered_at=now,
    )
    case_clock.start_clock(session, probe, now)
    if probe in session:
        session.expunge(probe)
    return number, secrets.token_urlsafe(24), probe.due_date


def install_hooks() -> None:
    """A notice's link to the reporter's status page carries a token of ours."""
    messages.link_token.provide(issue_token)
