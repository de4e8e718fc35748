"""The built-in zh-CN wording of every message kind, and the variables each may use (the
data file ``templates.toml``). An administrator's edit (``message_templates``) replaces
the wording of one kind."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources

from sqlalchemy.orm import Session

from bancheng.core.cache import Cached
from bancheng.notify import repository
from bancheng.notify.models import MessageTemplate


@dataclass(frozen=True)
class Template:
    kind: str
    label: str
    audience: str  # reporter | staff
    subject: str
    body: str
    variables: tuple[str, ...]
    sms_params: tuple[str, ...] = ()
    sms_aliyun_code: str | None = None
    sms_tencent_id: str | None = None
    enabled: bool = True
    customised: bool = False
    extra: dict[str, str] = field(default_factory=dict)


VARIABLE_LABELS = {
    "number": "案件编号",
    "link": "专属链接",
    "deadline": "期限",
    "unit": "承办单位",
    "materials": "需补正材料",
    "notification": "一次性告知内容",
    "title": "标题",
    "note": "整改情况",
    "order_kind": "督办类型",
    "content": "议定事项",
    "decision": "审批结果",
}


def _load_defaults() -> dict[str, Template]:
    """``templates.toml``: one table a kind (label, audience, subject, body, variables,
    sms_params)."""
    text = resources.files(__package__).joinpath("templates.toml").read_text("utf-8")
    return {
        kind: Template(
            kind=kind,
            label=t["label"],
            audience=t["audience"],
            subject=t["subject"],
            body=t["body"],
            variables=tuple(t["variables"]),
            sms_params=tuple(t["sms_params"]),
        )
        for kind, t in tomllib.loads(text).items()
    }


DEFAULTS = _load_defaults()

STAFF_KINDS = tuple(k for k, t in DEFAULTS.items() if t.audience == "staff")
STAFF_CHANNELS = ("inapp", "email", "sms")


def _customised(session: Session) -> dict[str, Template]:
    """Every administrator's edit, as the templates they make (the built-in text for what
    the row does not hold)."""
    out = {}
    for row in repository.templates(session):
        base = DEFAULTS.get(row.kind)
        if base is None:
            continue
        out[row.kind] = Template(
            kind=row.kind,
            label=base.label,
            audience=base.audience,
            subject=row.subject,
            body=row.body,
            variables=base.variables,
            sms_params=tuple(row.sms_params or base.sms_params),
            sms_aliyun_code=row.sms_aliyun_code,
            sms_tencent_id=row.sms_tencent_id,
            enabled=row.enabled,
            customised=True,
        )
    return out


CUSTOMISED = Cached("message_templates", (MessageTemplate,), _customised)


def template_for(session: Session, kind: str) -> Template:
    base = DEFAULTS[kind]
    return CUSTOMISED.get(session).get(kind, base)


def unknown_variables(kind: str, *texts: str) -> list[str]:
    import re

    allowed = set(DEFAULTS[kind].variables)
    found = {m for t in texts for m in re.findall(r"\{(\w+)\}", t)}
    return sorted(found - allowed)
