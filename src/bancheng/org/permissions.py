"""Roles and what each may do. Case moves are further limited by ``cases.lifecycle``."""

from __future__ import annotations

ROLE_LABELS_ZH = {
    "clerk": "受理员",
    "handler": "承办人",
    "supervisor": "督查员",
    "leader": "领导",
    "admin": "系统管理员",
}

DATA_SCOPE_LABELS_ZH = {
    "all": "全部数据",
    "dept_and_below": "本部门及以下",
    "dept": "仅本部门",
    "self": "仅本人",
    "custom": "自定义部门",
}
# The roles and the data scopes are the labelled ones, in that order.
ROLES = tuple(ROLE_LABELS_ZH)
DATA_SCOPES = tuple(DATA_SCOPE_LABELS_ZH)

STAFF = frozenset(ROLES)
CASE_WORKERS = frozenset({"clerk", "handler", "supervisor", "leader"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "case.read": CASE_WORKERS,
    "case.create": frozenset({"clerk", "supervisor", "leader"}),
    "case.act": frozenset({"clerk", "handler", "supervisor"}),
    "case.reveal_pii": frozenset({"clerk", "handler", "supervisor"}),
    "case.attach": frozenset({"clerk", "handler", "supervisor"}),
    # 并单: merging a duplicate into a master; undoing a merge is a supervisor's.
    "case.merge": frozenset({"clerk", "supervisor"}),
    "case.merge_undo": frozenset({"supervisor"}),
    "reporter.lookup": frozenset({"clerk", "supervisor"}),
    "org.read": STAFF,
    "org.manage": frozenset({"admin"}),
    "user.manage": frozenset({"admin"}),
    "audit.read": frozenset({"admin"}),
    "notice.read": frozenset({"clerk", "handler", "supervisor", "leader"}),
    "sla.extension_decide": frozenset({"supervisor"}),
    "sla.sweep": frozenset({"admin", "supervisor"}),
    "sla.recompute": frozenset({"admin"}),
    "calendar.read": STAFF,
    "calendar.manage": frozenset({"admin"}),
    "token.manage": frozenset({"admin"}),
    "callback.work": frozenset({"clerk", "supervisor"}),
    "feedback.read": CASE_WORKERS,
    "feedback.rectify": frozenset({"clerk", "handler", "supervisor"}),
    "feedback.appeal_decide": frozenset({"supervisor"}),
    "qr.print": frozenset({"clerk", "supervisor", "admin"}),
    "insights.read": frozenset({"clerk", "supervisor", "leader"}),
    "insights.manage": frozenset({"supervisor", "admin"}),
    "case.export": frozenset({"clerk", "supervisor", "leader"}),
    # Historical cases and 12345 work orders from Excel/CSV: creates cases in bulk.
    "case.import": frozenset({"supervisor", "admin"}),
    "supervision.read": CASE_WORKERS,
    "supervision.issue": frozenset({"supervisor", "leader"}),
    "supervision.reply": frozenset({"clerk", "handler"}),
    "knowledge.read": CASE_WORKERS,
    "knowledge.curate": frozenset({"supervisor"}),
    "systemic.read": CASE_WORKERS,
    "systemic.manage": frozenset({"supervisor"}),
    # The learning job's record (promotions with figures, drift) and reverting a promotion.
    "routing.models.read": frozenset({"supervisor", "leader", "admin"}),
    "routing.models.manage": frozenset({"admin"}),
    # The 12345 platform's inbound API: only through an API token narrowed to it, held by
    # an account of the receiving centre.
    "hotline.push": frozenset({"clerk"}),
    # Open311 GeoReport v2 clients: the api_key of POST requests is such a token.
    "open311.submit": frozenset({"clerk"}),
    # 好差评 records for the unified system (a file that leaves bancheng).
    "haochaping.export": frozenset({"supervisor"}),
    # The outbox's deliveries page (state, attempts, last error; recipients masked).
    "outbox.read": frozenset({"admin", "supervisor"}),
    "outbox.manage": frozenset({"admin"}),
    # Message templates, webhook subscriptions.
    "notify.manage": frozenset({"admin"}),
    # Reply templates of the action dialogs; new versions of the 好差评 indicator sets.
    "reply_template.manage": frozenset({"admin"}),
    "rating.manage": frozenset({"admin"}),
}


# Permissions that read case data already in the ledger. "Admin holds no case data" holds
# for the tokens admin issues too: an administrator cannot mint a token carrying one of
# these for another user (who would then hand admin their reach). Write-only integration
# permissions (registering a case, the 12345 push) are not in it.
CASE_DATA = frozenset(
    {
        "case.read",
        "case.act",
        "case.reveal_pii",
        "case.attach",
        "case.merge",
        "case.merge_undo",
        "case.export",
        "reporter.lookup",
        "callback.work",
        "feedback.read",
        "feedback.rectify",
        "feedback.appeal_decide",
        "supervision.read",
        "supervision.issue",
        "supervision.reply",
        "knowledge.read",
        "knowledge.curate",
        "systemic.read",
        "systemic.manage",
        "insights.read",
        "notice.read",
    }
)


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]
