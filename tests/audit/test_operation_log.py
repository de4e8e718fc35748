"""Every state-changing route writes an operation-log entry (``bancheng.audit.actions``).

The route table is walked: a write route that is neither in ``OPERATIONS`` nor on the short
exemption list below fails, and the message says what to add."""

from __future__ import annotations

from sqlalchemy import select

from bancheng.audit.actions import OBJECT_LABELS, OPERATIONS, PATH_OBJECTS
from bancheng.audit.models import OperationLog
from bancheng.main import api_routes
from tests.cases.helpers import as_user
from tests.conftest import login
from tests.sla.data import DIRECTOR_HOTLINE_POLICY, synthetic_2027_csv

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Write routes that need no entry, each with the reason. Keep this short.
EXEMPT: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/login"): "every attempt is in the login log (login_logs)",
    ("POST", "/api/v1/routing/suggest"): "computes a suggestion; changes nothing",
    ("POST", "/api/v1/knowledge/mask"): "previews the masking of a text; changes nothing",
    (
        "POST",
        "/api/v1/dispatch-catalogue/match",
    ): "matches a text to the catalogue; changes nothing",
    ("POST", "/api/v1/notices/{notice_id}/read"): "the caller's own read marker on a notice",
}


def _write_routes() -> list[tuple[str, str]]:
    return sorted(
        {(m, r.path) for r in api_routes() for m in r.methods if m in WRITE_METHODS}
        | {("GET", "/api/v1/exports/cases.xlsx")}
    )


def test_every_write_route_writes_an_entry_or_is_exempt():
    missing = [k for k in _write_routes() if k not in OPERATIONS and k not in EXEMPT]
    assert not missing, (
        "These state-changing routes write no operation-log entry:\n"
        + "\n".join(f"  {m} {p}" for m, p in missing)
        + "\nAdd each to src/bancheng/audit/operations.toml (OPERATIONS) as\n"
        '  "METHOD /path/{param}" = ["domain.verb", "中文标签"]\n'
        "(the request's unit of work then writes the entry; name a created object with\n"
        "audit.service.note_object), or, only if it changes nothing worth recording, to\n"
        "EXEMPT in tests/audit/test_operation_log.py with the reason."
    )
    stale = [k for k in list(OPERATIONS) + list(EXEMPT) if k not in set(_write_routes())]
    assert stale == [], "entries for routes that no longer exist"
    codes = [op.code for op in OPERATIONS.values()]
    assert len(codes) == len(set(codes))
    assert all(op.label and not op.label.isascii() for op in OPERATIONS.values())
    assert set(PATH_OBJECTS.values()) <= set(OBJECT_LABELS)


def _entries(session, since: int) -> list[tuple[str, str, str | None, str | None]]:
    session.expire_all()
    rows = session.scalars(
        select(OperationLog).where(OperationLog.id > since).order_by(OperationLog.id)
    ).all()
    return [(r.action, r.actor_name, r.object_type, r.object_id) for r in rows]


def _last(session) -> int:
    return session.scalar(select(OperationLog.id).order_by(OperationLog.id.desc())) or 0


def test_writes_are_logged_with_their_object(client, org, session):
    mark = _last(session)
    clerk = as_user(client, "clerk")
    case = clerk.create()
    h = login(client, "admin")
    r = client.put(
        "/api/v1/routing/targets",
        headers=h,
        json=[{"category": "劳动和社会保障", "department_id": org.id("hrss")}],
    )
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/sla/policies", headers=h, json=DIRECTOR_HOTLINE_POLICY)
    assert r.status_code == 201, r.text
    policy = r.json()["id"]
    r = client.post(
        "/api/v1/calendar/import", headers=h, files={"file": ("y.csv", synthetic_2027_csv())}
    )
    assert r.status_code == 200, r.text
    r = client.patch(
        f"/api/v1/admin/users/{org.users['clerk_a'].id}", headers=h, json={"display_name": "甲"}
    )
    assert r.status_code == 200, r.text
    client.cookies.clear()
    r = client.post(
        f"/api/v1/public/cases/{case['number']}/evaluation",
        json={"phone": "13812345678", "level": "satisfied"},
    )
    got = _entries(session, mark)
    assert got[:5] == [
        ("case.create", "clerk", "case", str(case["id"])),
        ("routing.targets_update", "admin", None, None),
        ("sla.policy_create", "admin", "sla_policy", str(policy)),
        ("calendar.import", "admin", None, None),
        ("user.update", "admin", "user", str(org.users["clerk_a"].id)),
    ]
    # A refused public evaluation (the case has no feedback yet) writes nothing.
    assert r.status_code >= 400 and len(got) == 5


def test_a_failed_write_writes_no_entry(client, org, session):
    mark = _last(session)
    h = login(client, "admin")
    r = client.put(
        "/api/v1/routing/targets",
        headers=h,
        json=[{"category": "外星事务", "department_id": org.id("hrss")}],
    )
    assert r.status_code == 400
    assert _entries(session, mark) == []


def test_the_log_api_answers_chinese_labels(client, org, session):
    as_user(client, "clerk").create()
    login(client, "admin")
    r = client.get("/api/v1/audit/operations", params={"action": "case.create"})
    assert r.status_code == 200
    item = r.json()["items"][0]
    assert (item["action_label"], item["object_label"], item["outcome_label"]) == (
        "登记诉求",
        "案件",
        "成功",
    )
    actions = client.get("/api/v1/audit/actions").json()
    assert {"code": "case.dispatch", "label": "案件派单"} in actions
    assert {"code": "routing.targets_update", "label": "修改分派目标"} in actions
