"""The authorisation matrix, built from the application's route table: every staff
endpoint × every role × in-scope and out-of-scope data → the expected allow or deny.
A new endpoint without a rule makes this test fail."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from bancheng.audit.models import LoginLog
from bancheng.cases.models import Attachment, Case, CaseEvent
from bancheng.core.deps import Require
from bancheng.main import api_routes
from bancheng.org.models import ApiToken, Department, Matter, User
from bancheng.org.permissions import PERMISSIONS
from tests.cases.helpers import as_user

# Routes any signed-in caller may use, and routes for signing in.
SIGNED_IN_ONLY = {
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/password"),
    ("GET", "/api/v1/auth/me/notifications"),
    ("PUT", "/api/v1/auth/me/notifications"),
}
# /metrics answers a token or an allowed address, never a staff role (tests/ops/test_metrics.py).
ANONYMOUS = {("POST", "/api/v1/auth/login"), ("GET", "/metrics")}

# One user per role, each with a data scope limited to district A where the role allows.
ROLE_USERS = {
    "clerk": "clerk_a",
    "handler": "handler_a",
    "supervisor": "supervisor_a",
    "leader": "leader_a",
    "admin": "admin",
}


def _permission(route: APIRoute) -> str | None:
    found = [d.call.permission for d in route.dependant.dependencies if isinstance(d.call, Require)]
    return found[0] if found else None


def staff_routes() -> list[tuple[str, str, str | None]]:
    out = []
    for route in api_routes():
        if route.path.startswith(("/api/v1/public", "/open311/")):
            continue  # the citizen side and Open311 (api_key) have their own tests
        for method in sorted(route.methods):
            out.append((method, route.path, _permission(route)))
    return out


def test_every_staff_route_has_a_rule():
    missing = [
        (m, p)
        for m, p, perm in staff_routes()
        if perm is None and (m, p) not in SIGNED_IN_ONLY | ANONYMOUS
    ]
    assert missing == []
    unknown = [
        (m, p, perm)
        for m, p, perm in staff_routes()
        if perm is not None and perm not in PERMISSIONS
    ]
    assert unknown == []


def _fingerprint(session) -> tuple[int, ...]:
    session.expire_all()
    models = (Case, CaseEvent, Attachment, User, Department, Matter, ApiToken)
    counts = [session.scalar(select(func.count()).select_from(m)) for m in models]
    versions = session.scalar(select(func.sum(Case.version))) or 0
    return (*counts, versions)


@pytest.fixture()
def world(client, org, session):
    inside = as_user(client, "clerk_a").create(title="甲区案件")
    outside = as_user(client, "clerk").create(title="市级案件")
    return {"in": inside["id"], "out": outside["id"]}


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG")
    return buf.getvalue()


# Valid bodies where an empty one would stop at validation before scope is checked.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/cases/{case_id}/actions/{action}"): {
        "json": {"version": 1, "kind": "complaint"}
    },
    ("POST", "/api/v1/cases/{case_id}/attachments"): {
        "files": {"file": ("a.png", _png(), "image/png")}
    },
    ("POST", "/api/v1/imports/cases"): {
        "files": {
            "file": (
                "orders.csv",
                "编号,标题,诉求内容,反映人,联系电话,登记时间\n"
                "M1,矩阵,内容,张三,13900001111,2026-10-01\n".encode(),
                "text/csv",
            )
        },
        "data": {"department": "A-SC", "dry_run": "true"},
    },
}


def _fill(path: str, case_id: int, org) -> str:
    values = {
        "case_id": case_id,
        "action": "classify",
        "attachment_id": 1,
        "dept_id": org.id("distA"),
        "matter_id": org.matters["fund"].id,
        "user_id": org.users["clerk_a"].id,
        "token_id": 1,
        "hall_id": org.hall.id,
        "year": 2026,
    }
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(values.get(m.group(1), 1)), path)


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_matrix(client, org, session, world, role):
    user = as_user(client, ROLE_USERS[role])
    rows = staff_routes()
    assert len(rows) > 20
    problems: list[Any] = []
    for method, path, perm in rows:
        if perm is None:
            continue
        permitted = role in PERMISSIONS[perm]
        for where in ("in", "out"):
            if "{case_id}" not in path and where == "out":
                continue
            url = _fill(path, world[where], org)
            before = _fingerprint(session)
            if path == "/api/v1/cases/{case_id}/links":
                BODIES[(method, path)] = {"json": {"other_case_id": world["in"]}}
            if path == "/api/v1/cases/{case_id}/merge" and method == "POST":
                BODIES[(method, path)] = {
                    "json": {"master_id": world["in"], "reason": "矩阵", "version": 1}
                }
            if path == "/api/v1/cases/{case_id}/merge/undo":
                BODIES[(method, path)] = {"json": {"reason": "矩阵", "version": 1}}
            kwargs = BODIES.get((method, path)) or (
                {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
            )
            r = client.request(method, url, headers=user.headers, **kwargs)
            body = (
                r.json()
                if r.headers.get("content-type", "").endswith("json") and r.content
                else None
            )
            code = body.get("code") if isinstance(body, dict) else None
            if not permitted:
                if (r.status_code, code) != (403, "auth.forbidden"):
                    problems.append((role, method, url, "expected 403", r.status_code, code))
                if _fingerprint(session) != before:
                    problems.append((role, method, url, "denied but changed"))
            elif where == "out":
                if r.status_code != 404 or not (code or "").endswith("not_found"):
                    problems.append((role, method, url, "expected 404", r.status_code, code))
                if _fingerprint(session) != before:
                    problems.append((role, method, url, "out of scope but changed"))
            elif r.status_code in (401, 403) and code in ("auth.forbidden", "auth.required"):
                problems.append((role, method, url, "expected allowed", r.status_code, code))
            elif code == "case.not_found":
                problems.append((role, method, url, "in scope but not found"))
    assert problems == []


def test_denials_are_logged(client, org, session, world):
    from bancheng.audit.models import OperationLog

    as_user(client, "handler_b")
    r = client.get(f"/api/v1/cases/{world['in']}")
    assert r.status_code == 404
    r = client.get("/api/v1/admin/users")
    assert r.status_code == 403
    rows = session.scalars(
        select(OperationLog).where(OperationLog.outcome == "denied").order_by(OperationLog.id)
    ).all()
    assert [(x.actor_name, x.action, x.details) for x in rows] == [
        (
            "handler_b",
            "access",
            {"code": "case.not_found", "request": f"GET /api/v1/cases/{world['in']}"},
        ),
        ("handler_b", "access", {"code": "auth.forbidden", "request": "GET /api/v1/admin/users"}),
    ]
    assert session.scalar(select(func.count()).select_from(LoginLog)) >= 1
