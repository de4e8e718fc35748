"""The case's vocabularies. Codes are English; Chinese labels are for the UI and exports."""

from __future__ import annotations

from enum import StrEnum

# The three a deadline policy is selected by live below cases, in sla (see sla/keys.py).
from bancheng.sla.keys import Channel as Channel
from bancheng.sla.keys import Difficulty as Difficulty
from bancheng.sla.keys import Kind as Kind


class BlockerType(StrEnum):
    missing_materials = "missing_materials"
    cross_department = "cross_department"
    rigid_policy = "rigid_policy"
    system_failure = "system_failure"
    legacy = "legacy"
    other = "other"


class Nature(StrEnum):
    cannot_by_policy = "cannot_by_policy"
    hard_to_do = "hard_to_do"


class ReporterType(StrEnum):
    person = "person"
    enterprise = "enterprise"


class State(StrEnum):
    registered = "registered"
    dispatched = "dispatched"
    accepted = "accepted"
    in_progress = "in_progress"
    suspended = "suspended"
    resolved = "resolved"
    feedback_given = "feedback_given"
    evaluated = "evaluated"
    closed = "closed"
    reopened = "reopened"


class Outcome(StrEnum):
    """How a resolution ended."""

    done = "done"  # the matter got done
    cannot_by_policy = "cannot_by_policy"  # law/policy forbids it: explained, with an alternative
    explained = "explained"  # a consultation answered, a suggestion recorded
    # Ended, with a supervisor's approval, as a demand without basis or not a matter at all:
    # left out of the assessment (docs/metrics.md).
    unreasonable = "unreasonable"  # 不合理诉求: the demand goes beyond what law and policy give
    invalid = "invalid"  # 无效诉求: no real matter (a test call, unreachable, repeated abuse)


# Outcomes of an end approved as unreasonable or invalid (``request_end`` → ``decide_end``).
ENDED_OUTCOMES = frozenset({Outcome.unreasonable, Outcome.invalid})


class Rating(StrEnum):
    very_satisfied = "very_satisfied"
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"
    very_dissatisfied = "very_dissatisfied"


BAD_RATINGS = frozenset({Rating.dissatisfied, Rating.very_dissatisfied})

OPEN_STATES = frozenset(
    {
        State.registered,
        State.dispatched,
        State.accepted,
        State.in_progress,
        State.suspended,
        State.reopened,
    }
)

LABELS_ZH: dict[str, dict[str, str]] = {
    "channel": {
        "window": "窗口来访",
        "mobile": "掌上反映",
        "hotline": "窗口热线",
        "director_hotline": "局长热线",
        "transfer_12345": "12345转办",
        "callback": "回访发现",
        "online": "政务网站",
    },
    "kind": {
        "consultation": "咨询",
        "cannot_do": "办不成事",
        "complaint": "投诉",
        "report": "举报",
        "help": "求助",
        "suggestion": "建议",
    },
    "difficulty": {"immediate": "即办", "general": "一般", "hard": "疑难"},
    "blocker_type": {
        "missing_materials": "材料缺失",
        "cross_department": "跨部门协调难",
        "rigid_policy": "政策执行僵化",
        "system_failure": "系统故障",
        "legacy": "历史遗留问题",
        "other": "其他",
    },
    "nature": {"cannot_by_policy": "办不了", "hard_to_do": "很难办"},
    "outcome": {
        "done": "已办成",
        "cannot_by_policy": "办不了（政策不允许，已说明替代办法）",
        "explained": "已解释说明",
        "unreasonable": "不合理诉求",
        "invalid": "无效诉求",
    },
    "state": {
        "registered": "已登记",
        "dispatched": "已派单",
        "accepted": "已签收",
        "in_progress": "办理中",
        "suspended": "已挂起(补正)",
        "resolved": "已办结",
        "feedback_given": "已反馈",
        "evaluated": "已评价",
        "closed": "已归档",
        "reopened": "重办",
    },
    "rating": {
        "very_satisfied": "非常满意",
        "satisfied": "满意",
        "basically_satisfied": "基本满意",
        "dissatisfied": "不满意",
        "very_dissatisfied": "非常不满意",
    },
}

# Every timeline event, by action: the lifecycle's moves and everything else that writes to
# a case's timeline. Staff and public timelines show these labels, never the codes
# (tests/cases/test_labels.py finds every event the code writes and checks it is here).
EVENT_LABELS_ZH: dict[str, str] = {
    "register": "登记",
    "dispatch": "派单",
    "resolve_on_spot": "现场办结",
    "recall": "撤回自动派单",
    "accept": "签收",
    "return": "退回",
    "start": "开始办理",
    "transfer": "转办",
    "suspend": "挂起待补正",
    "resume": "恢复办理",
    "resolve": "办结",
    "give_feedback": "一次性告知反馈",
    "evaluate": "录入评价",
    "close": "归档",
    "reopen": "重办",
    "classify": "修改分类",
    "request_extension": "申请延期",
    "decide_extension": "审批延期",
    "object": "申请退单",
    "decide_objection": "审批退单",
    "objection_accepted": "同意退单",
    "objection_rejected": "不同意退单",
    "co_reply": "协办回复",
    "request_end": "申请按不合理/无效诉求办结",
    "decide_end": "审批不合理/无效诉求",
    "attach": "上传附件",
    "flag_supervision": "提交督查协调",
    "link_duplicate": "关联重复件",
    "merge": "并单",
    "merge_follower": "并入重复件",
    "unmerge": "撤销并单",
    "unmerge_follower": "撤销并入",
    "import": "导入",
    "qr_source": "扫码来源",
    "urge": "催办",
    "supervise": "督办",
    "order_reply": "回复督办",
    "order_escalated": "督办升级",
    "joint_meeting": "联席会议",
    "task_force": "工作专班",
    "rectification_opened": "差评整改任务生成",
    "rectification_done": "完成整改",
    "callback": "回访",
    "rating_reminder": "评价提醒",
    "hotline_received": "接收12345工单",
    "hotline_resent": "12345工单重派",
    "hotline_withdrawn": "12345工单撤回",
    "open311_received": "接收Open311诉求",
}


def event_label(action: str) -> str:
    return EVENT_LABELS_ZH.get(action, "其他操作")
