"""docs/rules.md ("where each rule lives") stays true: every file it names exists and
defines every name given after it on the same line (a function, a class, an assignment;
``Class.method`` for a method)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "bancheng"
REF = re.compile(r"`([a-z_/]+(?:\.py)?)`((?:\s*`[A-Za-z_][\w.]*`,?)*)")


def _names(tree: ast.AST) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        out.add(f"{node.name}.{item.name}")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out |= {t.id for t in targets if isinstance(t, ast.Name)}
    return out


def _references() -> list[tuple[str, list[str]]]:
    refs: list[tuple[str, list[str]]] = []
    for line in (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cell = line.rstrip("|").rsplit("|", 1)[-1]
        for path, names in REF.findall(cell):
            if path.endswith(".py") or path.endswith("/"):
                refs.append((path, re.findall(r"`([^`]+)`", names)))
    return refs


def test_every_file_and_function_the_rules_map_names_exists() -> None:
    refs = _references()
    assert len(refs) >= 60, len(refs)
    missing: list[str] = []
    for path, names in refs:
        target = SRC / path
        if not target.exists():
            missing.append(path)
            continue
        if target.is_dir():
            continue
        defined = _names(ast.parse(target.read_text(encoding="utf-8")))
        missing += [f"{path}: {n}" for n in names if n not in defined]
    assert missing == []
