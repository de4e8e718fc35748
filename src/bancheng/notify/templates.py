"""The built-in zh-CN wording of every message kind, and the variables each may use.
An administrator's edit (``message_templates``) replaces the wording of one kind."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.core.cache import Cached
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

DEFAULTS: dict[str, Template] = {
    t.kind: t
    for t in (
        Template(
            "reporter.accepted",
            "受理告知",
            "reporter",
            "诉求已受理",
            "您反映的诉求已受理，编号{number}，承诺办理期限{deadline}。查看进度：{link}",
            ("number", "deadline", "link"),
            ("number", "deadline", "link"),
        ),
        Template(
            "reporter.dispatched",
            "派单告知",
            "reporter",
            "诉求已交办",
            "您的诉求{number}已交由{unit}办理，办理期限{deadline}。",
            ("number", "unit", "deadline"),
            ("number", "unit", "deadline"),
        ),
        Template(
            "reporter.materials",
            "补正材料通知",
            "reporter",
            "请补正材料",
            "您的诉求{number}需补正以下材料：{materials}。可通过链接上传照片：{link}",
            ("number", "materials", "link"),
            ("number", "materials", "link"),
        ),
        Template(
            "reporter.resolved",
            "办结告知（一次性告知）",
            "reporter",
            "诉求已办结",
            "您的诉求{number}已办结：{notification}",
            ("number", "notification", "materials", "unit"),
            ("number", "notification"),
        ),
        Template(
            "reporter.rating_invite",
            "评价邀请",
            "reporter",
            "请您评价",
            "请对诉求{number}的办理情况作出评价：{link}",
            ("number", "link"),
            ("number", "link"),
        ),
        Template(
            "reporter.rating_reminder",
            "评价提醒",
            "reporter",
            "请您评价",
            "您的诉求{number}尚未评价，{deadline}前可点击评价：{link}",
            ("number", "deadline", "link"),
            ("number", "deadline", "link"),
        ),
        Template(
            "reporter.rating_closed",
            "评价期结束",
            "reporter",
            "评价期已结束",
            "您的诉求{number}评价期已结束，已按规定归档。如有意见可拨打12345。",
            ("number",),
            ("number",),
        ),
        Template(
            "reporter.rectified",
            "整改结果告知",
            "reporter",
            "整改结果",
            "您评价不满意的诉求{number}已整改：{note}",
            ("number", "note"),
            ("number", "note"),
        ),
        Template(
            "staff.light_yellow",
            "黄灯预警",
            "staff",
            "即将到期：{number}",
            "案件{number}（{title}）将于{deadline}到期，请抓紧办理。",
            ("number", "title", "deadline"),
            ("number", "deadline"),
        ),
        Template(
            "staff.light_red",
            "红灯超期",
            "staff",
            "已超期：{number}",
            "案件{number}（{title}）已超过办理时限{deadline}，请督促承办人员尽快办结。",
            ("number", "title", "deadline", "unit"),
            ("number", "deadline"),
        ),
        Template(
            "staff.order_new",
            "新督办单",
            "staff",
            "{order_kind}：{title}",
            "{order_kind}：{title}，请于{deadline}前书面回复。",
            ("order_kind", "title", "deadline"),
            ("order_kind", "deadline"),
        ),
        Template(
            "staff.order_escalated",
            "督办升级",
            "staff",
            "升级督办：{title}",
            "下级部门逾期未回复{order_kind}“{title}”，已升级至本单位，请于{deadline}前回复。",
            ("order_kind", "title", "deadline"),
            ("order_kind", "deadline"),
        ),
        Template(
            "staff.meeting_decision",
            "会议议定事项",
            "staff",
            "会议议定事项：{title}",
            "{title}议定：{content}，请于{deadline}前完成。",
            ("title", "content", "deadline"),
            ("title", "deadline"),
        ),
        Template(
            "staff.co_handling_requested",
            "协办请求",
            "staff",
            "协办请求：{number}",
            "案件{number}由{unit}主办，请贵单位协办，并于{deadline}前回复协办意见。",
            ("number", "unit", "deadline"),
            ("number", "deadline"),
        ),
        Template(
            "staff.objection_raised",
            "退单申请",
            "staff",
            "退单申请：{number}",
            "{unit}申请退回案件{number}，理由：{reason}。请审批。",
            ("number", "unit", "reason"),
            ("number", "unit"),
        ),
        Template(
            "staff.end_requested",
            "不合理/无效诉求审批",
            "staff",
            "待审批：{number}按{end_as}办结",
            "案件{number}申请按{end_as}办结，依据：{basis}。请审批。",
            ("number", "end_as", "basis"),
            ("number", "end_as"),
        ),
        Template(
            "staff.extension_requested",
            "延期申请",
            "staff",
            "延期申请：{number}",
            "案件{number}申请将办结期限延至{deadline}，请审批。",
            ("number", "deadline"),
            ("number", "deadline"),
        ),
        Template(
            "staff.extension_decided",
            "延期审批结果",
            "staff",
            "延期{decision}：{number}",
            "案件{number}的延期申请{decision}，办结期限为{deadline}。",
            ("number", "decision", "deadline"),
            ("number", "decision", "deadline"),
        ),
        Template(
            "staff.material_uploaded",
            "群众补正材料",
            "staff",
            "补正材料已上传：{number}",
            "群众为案件{number}上传了补正材料（照片），请及时查看并恢复办理。",
            ("number",),
            ("number",),
        ),
    )
}

STAFF_KINDS = tuple(k for k, t in DEFAULTS.items() if t.audience == "staff")
STAFF_CHANNELS = ("inapp", "email", "sms")


def _customised(session: Session) -> dict[str, Template]:
    """Every administrator's edit, as the templates they make (the built-in text for what
    the row does not hold)."""
    out = {}
    for row in session.scalars(select(MessageTemplate)):
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
