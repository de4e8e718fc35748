"""The web console's API types come from web/openapi.json: it must match the application,
so that a changed API breaks the front-end build instead of the user."""

from __future__ import annotations

import json
from pathlib import Path

from bancheng.main import create_app

WEB_OPENAPI = Path(__file__).resolve().parents[2] / "web" / "openapi.json"


def test_web_openapi_matches_the_application():
    committed = json.loads(WEB_OPENAPI.read_text(encoding="utf-8"))
    assert committed == create_app().openapi(), (
        "web/openapi.json is stale: run `uv run bancheng openapi > web/openapi.json` "
        "and `cd web && npm run gen:api`"
    )
