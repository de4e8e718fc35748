"""No raw codes on screen: every timeline event the code writes has a Chinese label."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

from bancheng.cases.enums import EVENT_LABELS_ZH
from bancheng.cases.lifecycle import MOVES
from bancheng.supervision.schemas import MeetingKind, OrderKind

SRC = Path(__file__).resolve().parents[2] / "src" / "bancheng"


def _written_event_actions() -> set[str]:
    """The literal ``action`` argument of every ``add_event(...)`` call in the source."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name != "add_event" or len(node.args) < 3:
                continue
            arg = node.args[2]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
    return found


def test_every_written_event_has_a_label():
    written = _written_event_actions()
    assert {"register", "flag_supervision", "link_duplicate", "attach"} <= written
    moves = {m.action for m in MOVES}
    kinds = set(get_args(OrderKind)) | set(get_args(MeetingKind))
    assert sorted((written | moves | kinds) - set(EVENT_LABELS_ZH)) == []


def test_move_labels_agree_with_the_timeline():
    assert {m.action: m.label_zh for m in MOVES} == {
        m.action: EVENT_LABELS_ZH[m.action] for m in MOVES
    }
