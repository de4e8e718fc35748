"""What bancheng tells whom: the tables of docs/notifications.md, made from the code.

The templates come from ``notify.templates.DEFAULTS``, the webhook event types from
``notify.webhooks.EVENT_TYPES``; the event → message map is ``ROUTES`` below, kept beside
them so that a new template or event type without a row fails
``tests/notify/test_catalogue.py``, and so does a doc whose tables differ from these.

    uv run python -m bancheng.notify.catalogue --write docs/notifications.md
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from bancheng.notify.templates import DEFAULTS, VARIABLE_LABELS
from bancheng.notify.webhooks import EVENT_TYPES

REPORTER_SMS = "sms (reporter's phone, encrypted in the row)"
STAFF = "each person's choice for the kind: inapp (default), email, sms"


@dataclass(frozen=True)
class Route:
    event: str  # what happened (the lifecycle step, or the job that noticed)
    message: str  # a template kind, ``webhook:<event type>``, or an integration's kind
    to: str
    channel: str
    where: str  # the code that enqueues it


ROUTES: tuple[Route, ...] = (
    # --- the reporter -------------------------------------------------------------------
    Route(
        "case registered (`register`)",
        "reporter.accepted",
        "reporter",
        REPORTER_SMS,
        "notify.events.on_case_event",
    ),
    Route(
        "case dispatched to a unit (`dispatch`)",
        "reporter.dispatched",
        "reporter",
        REPORTER_SMS,
        "notify.events.on_case_event",
    ),
    Route(
        "suspended for missing materials (`suspend`)",
        "reporter.materials",
        "reporter",
        REPORTER_SMS,
        "notify.events.on_case_event",
    ),
    Route(
        "result told to the reporter (`give_feedback`)",
        "reporter.resolved",
        "reporter",
        REPORTER_SMS,
        "notify.events.on_case_event",
    ),
    Route(
        "result told to the reporter (`give_feedback`)",
        "reporter.rating_invite",
        "reporter",
        REPORTER_SMS,
        "notify.events.on_case_event",
    ),
    Route(
        "no rating after the reminder delay (job `feedback.reminders_and_sampling`)",
        "reporter.rating_reminder",
        "reporter",
        REPORTER_SMS,
        "feedback.reminders.remind_unrated",
    ),
    Route(
        "rating window over, case closed unrated (job `feedback.reminders_and_sampling`)",
        "reporter.rating_closed",
        "reporter",
        REPORTER_SMS,
        "feedback.reminders.close_unrated",
    ),
    Route(
        "rectification of a bad rating completed",
        "reporter.rectified",
        "reporter",
        REPORTER_SMS,
        "feedback.service.complete_rectification",
    ),
    # --- named staff ----------------------------------------------------------------------
    Route(
        "case turned yellow (job `sla.sweep`)",
        "staff.light_yellow",
        "the case's workers: its assignee, before acceptance every handler of the unit",
        STAFF,
        "notify.events.on_light",
    ),
    Route(
        "case turned red (job `sla.sweep`)",
        "staff.light_red",
        "the unit's lead (leader accounts; else handlers scoped to the whole unit; else "
        "every handler)",
        STAFF,
        "notify.events.on_light",
    ),
    Route(
        "supervision order issued",
        "staff.order_new",
        "the unit's lead",
        STAFF,
        "supervision.service.issue_order",
    ),
    Route(
        "order overdue, escalated a level (job `supervision.sweep`)",
        "staff.order_escalated",
        "the lead of the unit above",
        STAFF,
        "supervision.service.escalate_overdue",
    ),
    Route(
        "meeting decision recorded",
        "staff.meeting_decision",
        "the lead of the responsible unit",
        STAFF,
        "supervision.meetings.create_meeting",
    ),
    Route(
        "a unit asks to end the case as unreasonable or invalid (`request_end`)",
        "staff.end_requested",
        "supervisors whose data scope covers the unit",
        STAFF,
        "notify.events.on_case_event",
    ),
    Route(
        "deadline extension requested (`request_extension`)",
        "staff.extension_requested",
        "supervisors whose data scope covers the unit",
        STAFF,
        "notify.events.on_case_event",
    ),
    Route(
        "extension decided (`decide_extension`)",
        "staff.extension_decided",
        "the person who asked",
        STAFF,
        "notify.events.on_case_event",
    ),
    Route(
        "dispatch names co-handling units (`dispatch` with `co_department_ids`)",
        "staff.co_handling_requested",
        "the handlers of each co-handling unit",
        STAFF,
        "notify.events.on_case_event",
    ),
    Route(
        "a unit objects to a dispatch (`object`, 退单)",
        "staff.objection_raised",
        "the clerk who dispatched the case and supervisors whose data scope covers the unit",
        STAFF,
        "notify.events._on_objection",
    ),
    Route(
        "reporter uploaded materials on the phone page",
        "staff.material_uploaded",
        "the case's workers",
        STAFF,
        "notify.events.on_photo_from_reporter",
    ),
    # --- webhooks: every active subscription to the type -------------------------------
    Route(
        "case registered",
        "webhook:case.created",
        "subscribers",
        "webhook",
        "notify.events.on_case_event",
    ),
    Route(
        "any action that changes the state",
        "webhook:case.state_changed",
        "subscribers",
        "webhook",
        "notify.events.on_case_event",
    ),
    Route(
        "`resolve`, `resolve_on_spot`",
        "webhook:case.resolved",
        "subscribers",
        "webhook",
        "notify.events.on_case_event",
    ),
    Route(
        "the reporter rated (`evaluate`)",
        "webhook:case.evaluated",
        "subscribers",
        "webhook",
        "notify.events.on_case_event",
    ),
    Route(
        "a bad rating opened a rectification",
        "webhook:rectification.opened",
        "subscribers",
        "webhook",
        "feedback.service.open_rectification",
    ),
    Route(
        "rectification completed",
        "webhook:rectification.completed",
        "subscribers",
        "webhook",
        "feedback.service.complete_rectification",
    ),
    Route(
        "supervision order issued",
        "webhook:order.issued",
        "subscribers",
        "webhook",
        "supervision.service.issue_order",
    ),
    Route(
        "order escalated",
        "webhook:order.escalated",
        "subscribers",
        "webhook",
        "supervision.service.escalate_overdue",
    ),
    Route(
        "order replied to",
        "webhook:order.replied",
        "subscribers",
        "webhook",
        "supervision.service.reply_order",
    ),
    Route(
        "order closed",
        "webhook:order.closed",
        "subscribers",
        "webhook",
        "supervision.service.close_order",
    ),
    # --- other platforms ------------------------------------------------------------------
    Route(
        "accept, return, extension, resolution, reply, rating of a 12345 work order",
        "hotline.*",
        "the 12345 platform (`BANCHENG_HOTLINE_RESULTS_URL`)",
        "webhook (signed with `BANCHENG_HOTLINE_SIGNING_SECRET`)",
        "integrations.hotline_results.queue_result",
    ),
    Route(
        "evaluation recorded, rectified, revisited, overturned",
        "haochaping.*",
        "the provincial 好差评 system (`BANCHENG_HAOCHAPING_URL`)",
        "webhook (signed with `BANCHENG_HAOCHAPING_SIGNING_SECRET`)",
        "integrations.haochaping.queue_push",
    ),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def templates_table() -> str:
    rows = [
        "| kind | 名称 | to | variables | default subject | default text |",
        "|---|---|---|---|---|---|",
    ]
    for t in DEFAULTS.values():
        variables = ", ".join(f"`{v}` {VARIABLE_LABELS.get(v, '')}".strip() for v in t.variables)
        rows.append(
            f"| `{t.kind}` | {t.label} | {t.audience} | {variables} | {_cell(t.subject)} "
            f"| {_cell(t.body)} |"
        )
    return "\n".join(rows)


def webhooks_table() -> str:
    rows = ["| event type | 名称 |", "|---|---|"]
    rows += [f"| `{k}` | {v} |" for k, v in EVENT_TYPES.items()]
    return "\n".join(rows)


def routes_table() -> str:
    rows = ["| when | message | to whom | channel | enqueued in |", "|---|---|---|---|---|"]
    for r in ROUTES:
        msg = f"`{r.message}`"
        if r.message in DEFAULTS:
            msg += f" {DEFAULTS[r.message].label}"
        elif r.message.startswith("webhook:"):
            msg = f"`{r.message.removeprefix('webhook:')}` {EVENT_TYPES.get(r.message[8:], '')}"
        rows.append(
            f"| {_cell(r.event)} | {msg.strip()} | {_cell(r.to)} | {r.channel} | `{r.where}` |"
        )
    return "\n".join(rows)


TABLES = {"templates": templates_table, "webhooks": webhooks_table, "routes": routes_table}
_BLOCK = re.compile(r"(<!-- generated:(\w+)[^>]*-->)(.*?)(<!-- /generated:\2 -->)", re.DOTALL)


def render_doc(text: str) -> str:
    """``text`` with every generated block replaced by the table the code makes now."""

    def sub(m: re.Match[str]) -> str:
        return f"{m.group(1)}\n{TABLES[m.group(2)]()}\n{m.group(4)}"

    return _BLOCK.sub(sub, text)


def blocks(text: str) -> dict[str, str]:
    return {m.group(2): m.group(3).strip("\n") for m in _BLOCK.finditer(text)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Print or write the notification tables.")
    p.add_argument("--write", type=Path, help="rewrite the generated blocks of this file")
    p.add_argument("table", nargs="?", choices=sorted(TABLES))
    args = p.parse_args(argv)
    if args.write:
        args.write.write_text(render_doc(args.write.read_text(encoding="utf-8")), "utf-8")
        return 0
    for name in [args.table] if args.table else sorted(TABLES):
        print(TABLES[name]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
