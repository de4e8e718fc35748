"""Small helpers for driving cases through the API in tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

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

    def actions(self, case_id: int) -> list[str]:
        r = self.client.get(f"/api/v1/cases/{case_id}/actions")
        assert r.status_code == 200, r.text
        return [a["action"] for a in r.json()]


def as_user(client: TestClient, username: str) -> Actor:
    return Actor(client, username).use()
