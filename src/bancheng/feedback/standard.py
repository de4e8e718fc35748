"""The 好差评 indicators after GB/T 39734-2020 (online and offline channel types), and the
checklist of reasons for a bad review: version 1 of each set, seeded by migration 0001_baseline.

Each indicator is scored 1–5 (5 best). A set's codes are stable: the evaluation stores its
scores by code together with the set it was given on."""

from __future__ import annotations

ONLINE_V1: list[dict[str, str]] = [
    {"code": "overall", "label": "整体满意度"},
    {"code": "efficiency", "label": "办事效率"},
    {"code": "guide_accuracy", "label": "办事指南精确度"},
    {"code": "convenience", "label": "办事便捷度"},
    {"code": "usability", "label": "平台操作性"},
]
OFFLINE_V1: list[dict[str, str]] = [
    {"code": "overall", "label": "整体满意度"},
    {"code": "efficiency", "label": "服务效率"},
    {"code": "competence", "label": "服务水平"},
    {"code": "attitude", "label": "服务态度"},
    {"code": "environment", "label": "服务环境"},
    {"code": "convenience", "label": "办事便捷度"},
]
ONLINE_REASONS_V1: list[dict[str, str]] = [
    {"code": "guide_inaccurate", "label": "办事指南不准确、不清楚"},
    {"code": "too_slow", "label": "办理时间过长"},
    {"code": "repeated_submission", "label": "材料重复提交、多次补正"},
    {"code": "hard_to_use", "label": "平台操作复杂、不好用"},
    {"code": "no_reply", "label": "咨询无人回复或回复不及时"},
    {"code": "result_unsatisfied", "label": "对办理结果不满意"},
    {"code": "other", "label": "其他"},
]
OFFLINE_REASONS_V1: list[dict[str, str]] = [
    {"code": "long_wait", "label": "排队等候时间过长"},
    {"code": "too_slow", "label": "办理时间过长"},
    {"code": "poor_attitude", "label": "服务态度差"},
    {"code": "unskilled", "label": "业务不熟练、解释不清"},
    {"code": "not_told_once", "label": "未一次性告知、多次跑腿"},
    {"code": "poor_environment", "label": "服务环境差"},
    {"code": "result_unsatisfied", "label": "对办理结果不满意"},
    {"code": "other", "label": "其他"},
]

CHANNEL_TYPE_LABELS_ZH = {"online": "线上", "offline": "线下"}
