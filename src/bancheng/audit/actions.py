"""Every state-changing route and the operation-log entry it writes: one table.

The request's unit of work (``core.deps.db_session``) writes the entry for the matched
route, in the request's transaction, just before it commits: a log line exists iff the
change was committed. An endpoint that writes a richer entry itself (a reveal of personal
data, a case action, an administrator's change with its details) makes the generic one
unnecessary; ``audit.service.log_operation`` marks the session so that only one is written.

The table itself is data, ``audit/operations.toml``.
``tests/audit/test_operation_log.py`` walks the route table: a write route that is neither
here nor on its short exemption list fails the suite.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Operation:
    code: str
    label: str  # shown in the console's log page


def _load_operations() -> dict[tuple[str, str], Operation]:
    """``operations.toml``: one line a route, ``"METHOD path" = ["code", "label"]``."""
    text = resources.files(__package__).joinpath("operations.toml").read_text("utf-8")
    table: dict[tuple[str, str], Operation] = {}
    for route, (code, label) in tomllib.loads(text).items():
        method, path = route.split(" ", 1)
        table[(method, path)] = Operation(code, label)
    return table


# (method, path template) → the entry. Codes are stable: the log is searched by them.
OPERATIONS = _load_operations()

# Entries written by hand that are not one route's code.
OTHER_LABELS: dict[str, str] = {
    "access": "访问",  # a refused request to a route without an entry of its own
    "hotline.order_created": "12345工单转为诉求",
    "hotline.order_updated": "12345工单内容更新",
    "hotline.order_reopened": "12345工单重新派发",
}

# What the object columns name.
OBJECT_LABELS: dict[str, str] = {
    "case": "案件",
    "case_number": "案件编号",
    "department": "部门",
    "hall": "大厅",
    "matter": "事项",
    "user": "用户",
    "api_token": "接口令牌",
    "rectification": "整改",
    "callback_task": "回访任务",
    "notice": "通知",
    "supervision_order": "督办单",
    "meeting": "联席会议",
    "systemic_issue": "类问题",
    "library_case": "典型案例",
    "sla_policy": "时限规则",
    "calendar": "节假日安排",
    "outbox_message": "外发消息",
    "hotline_order": "12345工单",
    "dispatch_catalogue": "派单目录",
    "routing_unit_model": "分派模型",
    "reply_template": "回复模板",
    "indicator_set": "评价指标",
}

# Which path parameter names the object of a route.
PATH_OBJECTS: dict[str, str] = {
    "case_id": "case",
    "number": "case_number",
    "dept_id": "department",
    "hall_id": "hall",
    "matter_id": "matter",
    "user_id": "user",
    "token_id": "api_token",
    "rect_id": "rectification",
    "task_id": "callback_task",
    "notice_id": "notice",
    "order_id": "supervision_order",
    "meeting_id": "meeting",
    "issue_id": "systemic_issue",
    "library_id": "library_case",
    "policy_id": "sla_policy",
    "message_id": "outbox_message",
    "order_number": "hotline_order",
    "entry_id": "dispatch_catalogue",
    "model_id": "routing_unit_model",
    "template_id": "reply_template",
    "channel_type": "indicator_set",
}

OUTCOME_LABELS = {"ok": "成功", "denied": "被拒绝"}


# Labels of codes the domains above audit log under their own names (the case moves:
# ``cases.lifecycle.install_hooks``), added at start-up (``bancheng.hooks.install``).
_added_labels: dict[str, str] = {}


def add_labels(labels: dict[str, str]) -> None:
    _added_labels.update(labels)


def action_labels() -> dict[str, str]:
    """Every code the log can hold → its Chinese label."""
    labels = {op.code: op.label for op in OPERATIONS.values()}
    labels.update(OTHER_LABELS)
    labels.update(_added_labels)
    return labels
