"""Chinese labels for the operation log: what an entry's action and object mean. The log
stores stable codes (``case.dispatch``, ``GET /api/v1/...``); screens show these labels."""

from __future__ import annotations

import re

from bancheng.cases.enums import EVENT_LABELS_ZH

OBJECT_LABELS_ZH = {
    "case": "案件",
    "department": "部门",
    "hall": "大厅",
    "window": "窗口",
    "matter": "事项",
    "user": "用户",
    "api_token": "接口令牌",
    "dispatch_catalogue": "派单目录",
    "reply_template": "答复模板",
    "indicator_set": "评价指标",
    "callback": "回访",
    "import": "导入",
    "case_group": "并单",
}

ACTION_LABELS_ZH = {
    "case.reveal_pii": "查看反映人完整信息",
    "case.merge": "并单",
    "case.unmerge": "撤销并单",
    "matter.create": "新增事项",
    "matter.update": "修改事项",
    "matter.import": "导入事项",
    "org.department_create": "新增部门",
    "org.hall_create": "新增大厅",
    "org.window_create": "新增窗口",
    "token.create": "创建接口令牌",
    "token.revoke": "吊销接口令牌",
    "user.create": "新增用户",
    "user.update": "修改用户",
    "dispatch.create": "新增派单目录",
    "dispatch.update": "修改派单目录",
    "dispatch.delete": "删除派单目录",
    "dispatch.import": "导入派单目录",
    "template.create": "新增答复模板",
    "template.update": "修改答复模板",
    "template.delete": "删除答复模板",
    "indicators.publish": "发布评价指标版本",
}

_METHODS = {
    "GET": "查看",
    "HEAD": "查看",
    "POST": "提交",
    "PUT": "修改",
    "PATCH": "修改",
    "DELETE": "删除",
}
_HTTP = re.compile(r"^(GET|HEAD|POST|PUT|PATCH|DELETE) (/\S*)$")


def operation_label(action: str) -> str:
    """``case.dispatch`` → 案件：派单; ``GET /api/v1/cases/7`` → 查看 /api/v1/cases/7."""
    if action in ACTION_LABELS_ZH:
        return ACTION_LABELS_ZH[action]
    m = _HTTP.match(action)
    if m:
        return f"{_METHODS[m.group(1)]} {m.group(2)}"
    if action.startswith("case.") and action[5:] in EVENT_LABELS_ZH:
        return f"案件：{EVENT_LABELS_ZH[action[5:]]}"
    return "其他操作"


def object_label(object_type: str | None) -> str:
    if not object_type:
        return ""
    return OBJECT_LABELS_ZH.get(object_type, "其他对象")
