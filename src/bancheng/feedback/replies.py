"""Reply templates: text snippets a handler inserts in an action dialog (reply, resolve,
return, give feedback...), per lifecycle action and case kind, with ``{案件编号}``-style
variables filled in for the case on the server when the dialog asks for them.

Unlike the message templates of ``notify/templates.py`` (what bancheng sends), these are
suggestions: the handler edits the filled text before submitting it."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases.enums import LABELS_ZH
from bancheng.cases.lifecycle import MOVES_BY_ACTION
from bancheng.cases.models import Case
from bancheng.core import clock
from bancheng.core.errors import Invalid, NotFound, present
from bancheng.feedback import repository
from bancheng.feedback.models import ReplyTemplate

# The documented variables (docs/citizen.md): name → what it is filled with.
VARIABLES: dict[str, str] = {
    "案件编号": "案件编号，如 BC-2026-000123",
    "标题": "案件标题",
    "反映人": "反映人姓名（企业为联系人）",
    "诉求类型": "诉求类型，如 办不成事",
    "办理单位": "当前承办单位",
    "首接单位": "首接受理单位",
    "办结期限": "承诺办结日期（北京时间）",
    "受理日期": "登记受理日期（北京时间）",
    "事项名称": "涉及事项（无则为空）",
    "今天": "当天日期（北京时间）",
}
PATTERN = re.compile(r"\{([^{}\s]{1,20})\}")


def actions() -> dict[str, str]:
    """The lifecycle actions a template may be for → their Chinese labels."""
    return {a: m.label_zh or a for a, m in MOVES_BY_ACTION.items()}


def unknown_variables(*texts: str) -> list[str]:
    return sorted({v for t in texts for v in PATTERN.findall(t)} - set(VARIABLES))


def _check(action: str, kind: str | None, title: str, body: str) -> None:
    if action not in MOVES_BY_ACTION:
        raise Invalid("reply_template.action_unknown", "没有这种办理操作", field="action")
    if kind is not None and kind not in LABELS_ZH["kind"]:
        raise Invalid("reply_template.kind_unknown", "没有这种诉求类型", field="kind")
    if not title.strip() or not body.strip():
        raise Invalid("reply_template.empty", "模板名称和内容不能为空", field="body")
    bad = unknown_variables(title, body)
    if bad:
        raise Invalid(
            "reply_template.variable_unknown", "模板中有未知变量", field="body", variables=bad
        )


def get(session: Session, template_id: int) -> ReplyTemplate:
    return present(
        repository.reply_template(session, template_id),
        NotFound("reply_template.not_found", "回复模板不存在"),
    )


def create(
    session: Session, action: str, kind: str | None, title: str, body: str, active: bool
) -> ReplyTemplate:
    _check(action, kind, title, body)
    now = clock.now()
    row = ReplyTemplate(
        action=action,
        kind=kind,
        title=title.strip(),
        body=body.strip(),
        active=active,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def update(session: Session, template_id: int, changes: dict[str, Any]) -> ReplyTemplate:
    row = get(session, template_id)
    merged = {
        "action": row.action,
        "kind": row.kind,
        "title": row.title,
        "body": row.body,
        "active": row.active,
    } | changes
    _check(merged["action"], merged["kind"], merged["title"], merged["body"])
    row.action, row.kind = merged["action"], merged["kind"]
    row.title, row.body = merged["title"].strip(), merged["body"].strip()
    row.active = bool(merged["active"])
    row.updated_at = clock.now()
    session.flush()
    return row


def delete(session: Session, template_id: int) -> None:
    session.delete(get(session, template_id))
    session.flush()


def values(session: Session, case: Case) -> dict[str, str]:
    """The variables' values for one case."""

    def dept(i: int | None) -> str:
        row = repository.department(session, i) if i else None
        return row.name if row else ""

    matter = repository.matter(session, case.matter_id) if case.matter_id else None
    return {
        "案件编号": case.number,
        "标题": case.title,
        "反映人": case.reporter_name,
        "诉求类型": LABELS_ZH["kind"].get(case.kind, case.kind),
        "办理单位": dept(case.current_department_id),
        "首接单位": dept(case.first_receipt_department_id),
        "办结期限": case.due_date.isoformat() if case.due_date else "",
        "受理日期": clock.to_local(case.registered_at).date().isoformat(),
        "事项名称": matter.name if matter else "",
        "今天": clock.local_today().isoformat(),
    }


def render(text: str, vals: dict[str, str]) -> str:
    return PATTERN.sub(lambda m: vals.get(m.group(1), m.group(0)), text)


def for_case(session: Session, case: Case, action: str | None) -> list[tuple[ReplyTemplate, str]]:
    """The active templates of an action for the case's kind (and those for every kind),
    each with its text filled in for the case."""
    rows = repository.active_templates_for(session, action, case.kind)
    vals = values(session, case)
    return [(r, render(r.body, vals)) for r in rows]
