"""Every state-changing route and the operation-log entry it writes: one table.

The request's unit of work (``core.deps.db_session``) writes the entry for the matched
route, in the request's transaction, just before it commits: a log line exists iff the
change was committed. An endpoint that writes a richer entry itself (a reveal of personal
data, a case action, an administrator's change with its details) makes the generic one
unnecessary; ``audit.service.log_operation`` marks the session so that only one is written.

``tests/audit/test_operation_log.py`` walks the route table: a write route that is neither
here nor on its short exemption list fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    code: str
    label: str  # shown in the console's log page


# (method, path template) → the entry. Codes are stable: the log is searched by them.
OPERATIONS: dict[tuple[str, str], Operation] = {
    # sign-in and own account (sign-in attempts themselves are in the login log)
    ("POST", "/api/v1/auth/logout"): Operation("auth.logout", "退出登录"),
    ("POST", "/api/v1/auth/password"): Operation("auth.password_change", "修改密码"),
    # administration
    ("POST", "/api/v1/admin/departments"): Operation("org.department_create", "新增部门"),
    ("PATCH", "/api/v1/admin/departments/{dept_id}"): Operation(
        "org.department_update", "修改部门"
    ),
    ("POST", "/api/v1/admin/halls"): Operation("org.hall_create", "新增大厅"),
    ("POST", "/api/v1/admin/halls/{hall_id}/windows"): Operation("org.window_create", "新增窗口"),
    ("POST", "/api/v1/admin/matters"): Operation("matter.create", "新增事项"),
    ("PATCH", "/api/v1/admin/matters/{matter_id}"): Operation("matter.update", "修改事项"),
    ("POST", "/api/v1/admin/matters/import"): Operation("matter.import", "导入事项"),
    ("POST", "/api/v1/admin/users"): Operation("user.create", "新增用户"),
    ("PATCH", "/api/v1/admin/users/{user_id}"): Operation("user.update", "修改用户"),
    ("POST", "/api/v1/admin/tokens"): Operation("token.create", "签发接口令牌"),
    ("DELETE", "/api/v1/admin/tokens/{token_id}"): Operation("token.revoke", "吊销接口令牌"),
    # cases
    ("POST", "/api/v1/cases"): Operation("case.create", "登记诉求"),
    ("POST", "/api/v1/cases/{case_id}/reveal"): Operation("case.reveal_pii", "查看完整个人信息"),
    # Each action is logged as ``case.<action>`` (labels from the lifecycle table).
    ("POST", "/api/v1/cases/{case_id}/actions/{action}"): Operation("case.act", "办理案件"),
    ("POST", "/api/v1/cases/{case_id}/attachments"): Operation("case.attach", "上传附件"),
    ("POST", "/api/v1/cases/{case_id}/links"): Operation("case.link", "关联案件"),
    ("POST", "/api/v1/cases/{case_id}/merge"): Operation("case.merge", "并单"),
    ("POST", "/api/v1/cases/{case_id}/merge/undo"): Operation("case.merge_undo", "撤销并单"),
    # working days and time limits
    ("POST", "/api/v1/calendar/import"): Operation("calendar.import", "导入节假日安排"),
    ("POST", "/api/v1/sla/policies"): Operation("sla.policy_create", "新增时限规则"),
    ("PATCH", "/api/v1/sla/policies/{policy_id}"): Operation("sla.policy_update", "修改时限规则"),
    ("POST", "/api/v1/sla/sweep"): Operation("sla.sweep", "执行时限巡检"),
    ("POST", "/api/v1/sla/recompute"): Operation("sla.recompute", "重算办理时限"),
    # routing
    ("PUT", "/api/v1/routing/targets"): Operation("routing.targets_update", "修改分派目标"),
    # the dispatch catalogue (matter → responsible units)
    ("POST", "/api/v1/dispatch-catalogue"): Operation("dispatch.create", "新增派单目录"),
    ("PUT", "/api/v1/dispatch-catalogue/{entry_id}"): Operation("dispatch.update", "修改派单目录"),
    ("DELETE", "/api/v1/dispatch-catalogue/{entry_id}"): Operation(
        "dispatch.delete", "删除派单目录"
    ),
    ("POST", "/api/v1/dispatch-catalogue/import"): Operation("dispatch.import", "导入派单目录"),
    ("POST", "/api/v1/routing/unit-models/{model_id}/revert"): Operation(
        "routing.unit_model_revert", "回退分派模型"
    ),
    # the public's phone pages
    ("POST", "/api/v1/public/reports"): Operation("public.report", "群众提交反映"),
    ("POST", "/api/v1/public/cases/{number}/photos"): Operation("public.photo", "群众上传照片"),
    ("POST", "/api/v1/public/cases/{number}/evaluation"): Operation("public.evaluate", "群众评价"),
    # evaluations: rectifications and appeals, callbacks
    ("POST", "/api/v1/feedback/rectifications/{rect_id}/complete"): Operation(
        "rectification.complete", "完成整改"
    ),
    ("POST", "/api/v1/feedback/rectifications/{rect_id}/appeal"): Operation(
        "rectification.appeal", "差评申诉"
    ),
    ("POST", "/api/v1/feedback/rectifications/{rect_id}/decision"): Operation(
        "rectification.decide", "裁定申诉"
    ),
    ("POST", "/api/v1/callbacks/sample"): Operation("callback.sample", "抽取回访"),
    ("POST", "/api/v1/callbacks/{task_id}/attempts"): Operation("callback.attempt", "记录回访"),
    ("POST", "/api/v1/callbacks/{task_id}/confirm"): Operation("callback.confirm", "确认回访结果"),
    ("POST", "/api/v1/callbacks/{task_id}/reveal"): Operation(
        "callback.reveal_phone", "查看回访电话"
    ),
    ("POST", "/api/v1/callbacks/{task_id}/case"): Operation("callback.raise_case", "回访转诉求"),
    # 好差评 indicator sets; reply templates of the action dialogs
    ("POST", "/api/v1/feedback/indicator-sets/{channel_type}"): Operation(
        "rating.indicator_set_publish", "发布评价指标版本"
    ),
    ("POST", "/api/v1/admin/reply-templates"): Operation("reply_template.create", "新增回复模板"),
    ("PATCH", "/api/v1/admin/reply-templates/{template_id}"): Operation(
        "reply_template.update", "修改回复模板"
    ),
    ("DELETE", "/api/v1/admin/reply-templates/{template_id}"): Operation(
        "reply_template.delete", "删除回复模板"
    ),
    # supervision
    ("POST", "/api/v1/supervision/orders"): Operation("supervision.order_issue", "下发督办单"),
    ("POST", "/api/v1/supervision/orders/{order_id}/reply"): Operation(
        "supervision.order_reply", "回复督办单"
    ),
    ("POST", "/api/v1/supervision/orders/{order_id}/close"): Operation(
        "supervision.order_close", "办结督办单"
    ),
    ("POST", "/api/v1/supervision/sweep"): Operation("supervision.sweep", "执行督办巡检"),
    ("POST", "/api/v1/supervision/meetings"): Operation(
        "supervision.meeting_create", "记录联席会议"
    ),
    ("POST", "/api/v1/supervision/meetings/{meeting_id}/decisions/{decision_id}/done"): Operation(
        "supervision.decision_done", "会议议定事项办结"
    ),
    ("POST", "/api/v1/supervision/systemic-issues"): Operation("systemic.create", "新建类问题"),
    ("PATCH", "/api/v1/supervision/systemic-issues/{issue_id}"): Operation(
        "systemic.update", "修改类问题"
    ),
    ("POST", "/api/v1/supervision/systemic-issues/{issue_id}/cases"): Operation(
        "systemic.link_cases", "类问题关联案件"
    ),
    ("DELETE", "/api/v1/supervision/systemic-issues/{issue_id}/cases/{case_id}"): Operation(
        "systemic.unlink_case", "类问题移除案件"
    ),
    ("POST", "/api/v1/supervision/systemic-issues/{issue_id}/changes"): Operation(
        "systemic.add_change", "记录制度修订"
    ),
    # the case library
    ("POST", "/api/v1/knowledge/cases"): Operation("library.create", "新增典型案例"),
    ("PATCH", "/api/v1/knowledge/cases/{library_id}"): Operation("library.update", "修改典型案例"),
    ("POST", "/api/v1/knowledge/cases/{library_id}/remask"): Operation(
        "library.remask", "重新脱敏典型案例"
    ),
    ("POST", "/api/v1/knowledge/cases/{library_id}/publish"): Operation(
        "library.publish", "发布典型案例"
    ),
    ("POST", "/api/v1/knowledge/cases/{library_id}/unpublish"): Operation(
        "library.unpublish", "撤回典型案例"
    ),
    # the 12345 hotline platform (its endpoints log ``hotline.order_<result>`` themselves;
    # a replayed push is logged under the route's code)
    ("POST", "/api/v1/hotline/orders"): Operation("hotline.order_receive", "接收12345工单"),
    ("POST", "/api/v1/hotline/orders/{order_number}/attachments"): Operation(
        "hotline.attachment_added", "12345工单补充附件"
    ),
    ("POST", "/api/v1/hotline/orders/{order_number}/withdraw"): Operation(
        "hotline.order_withdrawn", "12345工单撤单"
    ),
    # Open311 GeoReport v2 clients (the route logs the entry itself: its own session)
    ("POST", "/open311/v2/requests.{fmt}"): Operation("open311.request_create", "Open311提交诉求"),
    # the outbox (messages that leave bancheng)
    ("POST", "/api/v1/outbox/messages/{message_id}/retry"): Operation(
        "outbox.retry", "重发外发消息"
    ),
    ("POST", "/api/v1/outbox/messages/{message_id}/replay"): Operation(
        "outbox.replay", "重放Webhook消息"
    ),
    # messages: templates, webhook subscriptions and preferences
    ("PUT", "/api/v1/notify/templates/{kind}"): Operation("notify.template_save", "保存消息模板"),
    ("DELETE", "/api/v1/notify/templates/{kind}"): Operation(
        "notify.template_reset", "恢复默认消息模板"
    ),
    ("POST", "/api/v1/notify/webhooks"): Operation("notify.webhook_create", "新增Webhook订阅"),
    ("PATCH", "/api/v1/notify/webhooks/{sub_id}"): Operation(
        "notify.webhook_update", "修改Webhook订阅"
    ),
    ("PUT", "/api/v1/auth/me/notifications"): Operation(
        "notify.preferences_save", "修改个人通知方式"
    ),
    ("POST", "/api/v1/public/cases/{number}/notifications"): Operation(
        "notify.reporter_opt", "群众设置短信通知"
    ),
    # statistics, imports and exports
    ("POST", "/api/v1/insights/rollup"): Operation("insights.rollup", "重建统计"),
    ("POST", "/api/v1/imports/cases"): Operation("case.import", "导入历史案件"),
    ("GET", "/api/v1/exports/cases.xlsx"): Operation("case.export", "导出台账"),
}

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


def action_labels(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Every code the log can hold → its Chinese label (``extra``: the case actions)."""
    labels = {op.code: op.label for op in OPERATIONS.values()}
    labels.update(OTHER_LABELS)
    labels.update(extra or {})
    return labels
