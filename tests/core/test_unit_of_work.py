"""The request's unit of work: every route commits (or rolls back) inside the endpoint's
call, a commit that fails answers problem+json 5xx and keeps nothing, and a refusal keeps
only what it must."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.core import deps
from bancheng.core.deps import TransactionalRoute
from bancheng.main import create_app
from tests.conftest import case_payload, login


def test_every_route_is_transactional() -> None:
    from bancheng.main import _routers

    app = create_app()
    routes = [r for r in app.routes if isinstance(r, APIRoute)]  # the app's own
    for router in _routers():
        routes += [r for r in router.routes if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    assert len(routes) > 100
    plain = [r.path for r in routes if not isinstance(r, TransactionalRoute)]
    assert plain == []
    assert all(getattr(r.endpoint, "__unit_of_work__", False) for r in routes)


def test_a_commit_that_fails_answers_503_and_keeps_nothing(client, org, session) -> None:
    headers = login(client, "clerk")
    before = session.scalar(select(func.count()).select_from(Case))
    factory = deps.session_factory
    assert factory is not None
    failed: list[bool] = []

    def failing(write: bool) -> Session:
        s = factory(write)
        if write:

            @event.listens_for(s, "before_commit")
            def _refuse(_s: Any) -> None:
                count = select(func.count()).select_from(Case)
                if s.connection().scalar(count) > before:  # the request's own work
                    failed.append(True)
                    raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

        return s

    deps.session_factory = failing
    try:
        with TestClient(client.app, raise_server_exceptions=False) as c:
            c.cookies.update(client.cookies)
            r = c.post("/api/v1/cases", json=case_payload(), headers=headers)
    finally:
        deps.session_factory = factory
    assert failed == [True]
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"] == "1"
    assert r.json()["code"] == "server.database_unavailable"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Case)) == before


def test_an_unexpected_error_answers_problem_json_500(client, org, monkeypatch) -> None:
    from bancheng.cases import service

    headers = login(client, "clerk")

    def boom(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(service, "create_case", boom)
    with TestClient(client.app, raise_server_exceptions=False) as c:
        c.cookies.update(client.cookies)
        r = c.post("/api/v1/cases", json=case_payload(), headers=headers)
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "server.error"
