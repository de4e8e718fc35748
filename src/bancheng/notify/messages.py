"""From events to messages: what the reporter and which named staff members are told, on
which channel, in whose words. Every message goes through the outbox in the caller's
transaction; nothing here sends.

Reporter messages go by SMS to the case's phone, which stays encrypted in the outbox row
(the ciphertext is copied; the worker decrypts it for the send), shown masked. A reporter
who opted out gets nothing; 12345 work orders are answered through the hotline platform,
not by SMS from here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.core.config import Settings
from bancheng.core.slots import Slot
from bancheng.notify import repository
from bancheng.notify import service as inapp
from bancheng.notify.templates import STAFF_CHANNELS, Template, template_for
from bancheng.org import repository as org_repository
from bancheng.org.models import User
from bancheng.outbox import service as outbox
from bancheng.outbox.channels import render

SUPPRESS = "notify_suppressed"  # session.info flag: demo data and bulk loads send nothing
NO_REPORTER_SMS_CHANNELS = frozenset({"transfer_12345"})


def suppressed(session: Session) -> bool:
    return bool(session.info.get(SUPPRESS))


def _payload(t: Template, params: dict[str, Any]) -> dict[str, Any]:
    """An outbox row's payload: the template's wording, its parameters and its SMS template."""
    sms = {"aliyun": t.sms_aliyun_code, "tencent": t.sms_tencent_id, "params": list(t.sms_params)}
    return {"subject": t.subject, "text": t.body, "params": params, "sms": sms}


# The reporter's private status link carries a token only intake issues (``install_hooks``).
link_token: Slot[Callable[[Session, Case], str]] = Slot("notify.messages.link_token")


def private_link(session: Session, settings: Settings, case: Case) -> str:
    token = link_token.get()(session, case)
    return f"{settings.public_base_url.rstrip('/')}/m/status?no={case.number}&t={token}"


def day(d: date | None) -> str:
    return d.isoformat() if d else "—"


def to_reporter(
    session: Session,
    settings: Settings,
    case: Case,
    kind: str,
    key: str,
    params: dict[str, Any],
    with_link: bool = False,
) -> bool:
    """One SMS to the reporter of ``case``. Returns whether a message was queued."""
    if suppressed(session) or case.reporter_opt_out or case.channel in NO_REPORTER_SMS_CHANNELS:
        return False
    t = template_for(session, kind)
    if not t.enabled:
        return False
    params = {"number": case.number, **params}
    secrets = {"link": private_link(session, settings, case)} if with_link else None
    msg = outbox.enqueue(
        session,
        channel="sms",
        kind=kind,
        idempotency_key=key,
        recipient_enc=case.reporter_phone_enc,
        recipient_masked=case.reporter_phone_masked,
        subject=t.subject,
        payload=_payload(t, params),
        secrets=secrets,
        case_id=case.id,
    )
    return msg is not None


def channels_for(session: Session, user_id: int, kind: str) -> list[str]:
    pref = repository.preference(session, user_id, kind)
    if pref is None:
        return ["inapp"]
    return [c for c in pref.channels if c in STAFF_CHANNELS]


def to_user(
    session: Session,
    user: User,
    kind: str,
    key: str,
    params: dict[str, Any],
    case_id: int | None = None,
) -> list[str]:
    """A staff message to one named person, on each channel they chose for ``kind``
    (in-app by default). Returns the channels used."""
    if suppressed(session) or not user.active:
        return []
    t = template_for(session, kind)
    if not t.enabled:
        return []
    used = []
    subject = render(t.subject, params)
    payload = _payload(t, params)
    for ch in channels_for(session, user.id, kind):
        if ch == "inapp":
            inapp.notice(
                session,
                department_id=user.department_id,
                user_id=user.id,
                kind=kind.removeprefix("staff."),
                title=subject,
                body=render(t.body, params),
                case_id=case_id,
                key=f"{key}:u{user.id}:inapp",
            )
        elif (ch == "email" and user.email) or (ch == "sms" and user.phone_enc):
            # An e-mail address is stored plain; a phone number only encrypted and masked.
            email = user.email if ch == "email" else None
            outbox.enqueue(
                session,
                channel=ch,
                kind=kind,
                idempotency_key=f"{key}:u{user.id}:{ch}",
                recipient=email or "",
                recipient_enc=None if email else user.phone_enc,
                recipient_masked=email or user.phone_masked or "",
                subject=subject,
                payload=payload,
                case_id=case_id,
                user_id=user.id,
            )
        else:
            continue
        used.append(ch)
    return used


# --- who is "the assignee", "the unit's handlers", "the unit's lead" ----------------------


def _active(session: Session, *conds: Any) -> list[User]:
    return repository.active_users(session, *conds)


def unit_handlers(session: Session, department_id: int) -> list[User]:
    return _active(session, User.department_id == department_id, User.role == "handler")


def case_workers(session: Session, case: Case) -> list[User]:
    """The assignee once someone has accepted; before that every handler of the unit."""
    if case.assignee_id:
        u = org_repository.user(session, case.assignee_id)
        if u is not None and u.active:
            return [u]
    return unit_handlers(session, case.current_department_id)


def unit_leads(session: Session, department_id: int) -> list[User]:
    """The unit's lead: its ``leader`` accounts; where a unit has none, its handlers whose
    data scope covers the whole unit and below (the head of the office); failing that
    every handler of the unit."""
    leaders = _active(session, User.department_id == department_id, User.role == "leader")
    if leaders:
        return leaders
    heads = _active(
        session,
        User.department_id == department_id,
        User.role == "handler",
        User.data_scope.in_(("dept_and_below", "all")),
    )
    return heads or unit_handlers(session, department_id)


def to_unit_leads(
    session: Session,
    department_id: int,
    kind: str,
    key: str,
    params: dict[str, Any],
    case_id: int | None = None,
) -> None:
    """A staff message to the unit's lead (``unit_leads``), each on the channels they chose."""
    for u in unit_leads(session, department_id):
        to_user(session, u, kind, key, params, case_id)


def supervisors_for(session: Session, department_id: int) -> list[User]:
    """Supervisors whose data scope covers ``department_id`` (who may decide its
    extensions)."""
    from bancheng.org.scope import principal_for, sees_unit

    out = []
    for u in _active(session, User.role == "supervisor"):
        if sees_unit(principal_for(session, u), department_id):
            out.append(u)
    return out
