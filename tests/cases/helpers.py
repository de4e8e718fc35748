"""Small helpers for driving cases through the API in tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bancheng.cases.models import Case, CaseEvent
from tests.conftest import case_payload, login


class Actor:
    """A signed-in user. Switching actors re-signs in on the shared client."""

    def __init__(self, client: TestClient, username: str) -> None:
        self.client = client
        self.username = username
        self.headers: dict[str, str] = {}

    def use(self) -> Actor:
        self.headers = login(self.client, self.username)
        return self

    def create(self, **over: Any) -> dict[str, Any]:
        r = self.client.post("/api/v1/cases", json=case_payload(**over), headers=self.headers)
        assert r.status_code == 201, r.text
        return r.json()

    def get(self, case_id: int) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/cases/{case_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def act_raw(self, case_id: int, action: str, **fields: Any) -> Any:
        version = fields.pop("version", None)
        if version is None:
            version = self.get(case_id)["version"]
        return self.client.post(
            f"/api/v1/cases/{case_id}/actions/{action}",
            json={"version": version, **fields},
            headers=self.headers,
        )

    def act(self, case_id: int, action: str, **fields: Any) -> dict[str, Any]:
        r = self.act_raw(case_id, action, **fields)
        assert r.status_code == 200, r.text
        return r.json()

    def handle(
        self, case_id: int, resolution: str, notification_text: str, **feedback: Any
    ) -> dict[str, Any]:
        """Accept, start and resolve (done) the case dispatched to this handler's unit with
        ``resolution``, then give the reporter the one-time notification (``feedback``: its
        other fields)."""
        for action in ("accept", "start"):
            self.act(case_id, action)
        self.act(case_id, "resolve", outcome="done", resolution=resolution)
        return self.act(case_id, "give_feedback", notification_text=notification_text, **feedback)

    def actions(self, case_id: int) -> list[str]:
        r = self.client.get(f"/api/v1/cases/{case_id}/actions")
        assert r.status_code == 200, r.text
        return [a["action"] for a in r.json()]


def as_user(client: TestClient, username: str) -> Actor:
    return Actor(client, username).use()


def event_count(session: Session, case_id: int) -> int | None:
    """How many events case ``case_id`` has in the database."""
    return session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)
    )


def fresh_case(session: Session, case_id: int) -> Case | None:
    """Case ``case_id`` as the database holds it now (the session's copies expired first)."""
    session.expire_all()
    return session.get(Case, case_id)
