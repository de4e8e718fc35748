"""docs/notifications.md's tables are the code's: the template registry, the webhook event
types and the event → message map cannot drift apart."""

from __future__ import annotations

from pathlib import Path

from bancheng.core.config import Settings
from bancheng.notify import catalogue
from bancheng.notify.templates import DEFAULTS
from bancheng.notify.webhooks import EVENT_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"


def test_the_docs_tables_match_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    found = catalogue.blocks(text)
    assert sorted(found) == sorted(catalogue.TABLES)
    for name, make in catalogue.TABLES.items():
        assert found[name] == make(), (
            f"docs/notifications.md's {name} table is out of date: "
            "uv run python -m bancheng.notify.catalogue --write docs/notifications.md"
        )
    assert catalogue.render_doc(text) == text


def test_every_template_and_event_type_has_a_route() -> None:
    routed = {r.message for r in catalogue.ROUTES}
    assert set(DEFAULTS) <= routed, sorted(set(DEFAULTS) - routed)
    assert {f"webhook:{t}" for t in EVENT_TYPES} <= routed
    unknown = {
        m
        for m in routed
        if m not in DEFAULTS
        and m.removeprefix("webhook:") not in EVENT_TYPES
        and not m.endswith(".*")
    }
    assert not unknown


def test_every_template_kind_is_enqueued_by_the_code_the_map_names() -> None:
    import importlib
    import inspect

    for r in catalogue.ROUTES:
        if r.message not in DEFAULTS:
            continue
        module, _, func = r.where.rpartition(".")
        source = inspect.getsource(getattr(importlib.import_module(f"bancheng.{module}"), func))
        # on_light builds its kind: f"staff.light_{light}"
        assert r.message in source or "staff.light_{light}" in source, r


def test_the_outbox_settings_are_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in Settings.model_fields:
        if name.startswith(("outbox_", "sms_")):
            assert f"BANCHENG_{name.upper()}" in text, name
