"""The console names every code it can be sent: each label table in ``web/src/labels.ts``
that is typed ``Record<string, string>`` (not checked by the compiler against the API's
enums) holds every value of the back end's closed set it shows, so ``label()`` never
reaches its fallback for a known value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bancheng.org import models as org_models
from bancheng.org import permissions
from bancheng.sla import workdays

LABELS = Path(__file__).resolve().parents[2] / "web" / "src" / "labels.ts"


def table(name: str) -> dict[str, str]:
    text = LABELS.read_text(encoding="utf-8")
    m = re.search(rf"export const {name}: Record<[^>]+> = \{{(.*?)\n?\}}", text, re.S)
    assert m, name
    pairs = re.findall(r"['\"]?([\w.]+)['\"]?\s*:\s*'([^']*)'", m.group(1))
    return dict(pairs)


@pytest.mark.parametrize(
    ("name", "codes"),
    [
        ("ROLE", set(permissions.ROLES)),
        ("DATA_SCOPE", set(permissions.DATA_SCOPES)),
        ("PERMISSION", set(permissions.PERMISSIONS)),
        ("DEPARTMENT_LEVEL", set(org_models.LEVELS)),
        ("DEPARTMENT_KIND", set(org_models.UNIT_KINDS)),
        ("DAY_KIND", set(workdays.KINDS)),
    ],
)
def test_every_code_of_a_closed_set_has_its_chinese_label(name: str, codes: set[str]) -> None:
    labels = table(name)
    assert codes - set(labels) == set()
    assert all(re.search(r"[\u4e00-\u9fff]", labels[c]) for c in codes)


def test_roles_and_scopes_read_the_same_in_the_console_and_the_back_end() -> None:
    assert {c: table("ROLE")[c] for c in permissions.ROLES} == permissions.ROLE_LABELS_ZH
    scopes = table("DATA_SCOPE")
    assert {c: scopes[c] for c in permissions.DATA_SCOPES} == permissions.DATA_SCOPE_LABELS_ZH
