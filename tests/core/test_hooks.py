"""Hooks and jobs are registered by ``bancheng.hooks.install`` and nothing else: importing
a module registers nothing; every entry point that writes (here the CLI, without an app)
gets the same guards; installing twice registers each thing once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy.orm import Session

from bancheng.core import deps
from bancheng.core.jobs import registry
from bancheng.deadlines.service import recompute_after_import
from bancheng.hooks import CHANNELS, SESSION_LISTENERS, install
from bancheng.outbox.channels import factory_of
from bancheng.sla import calendar

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path: Path) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter (no conftest, no app); it prints one JSON line."""
    env = {
        **os.environ,
        "BANCHENG_ENV": "test",
        "BANCHENG_DATA_DIR": str(tmp_path),
        "BANCHENG_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
    }
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_every_module_registers_nothing(tmp_path: Path) -> None:
    found = _run(
        """
        import importlib, json, pkgutil
        import bancheng
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        names = sorted(
            m.name for m in pkgutil.walk_packages(bancheng.__path__, "bancheng.")
            if not m.name.startswith("bancheng.migrations") and not m.name.endswith("__main__")
        )
        for name in names:
            importlib.import_module(name)
        from bancheng import hooks
        from bancheng.core import deps
        from bancheng.core.jobs import registry
        from bancheng.outbox import service as outbox_service
        from bancheng.outbox.channels import factory_of
        from bancheng.sla import calendar

        print(json.dumps({
            "modules": len(names),
            "listeners": [n for n, fn in hooks.SESSION_LISTENERS if event.contains(Session, n, fn)],
            "channels": [n for n, _ in hooks.CHANNELS if factory_of(n) is not None],
            "in_transaction": sorted(outbox_service._IN_TRANSACTION),
            "calendar": len(calendar._listeners),
            "request_hooks": deps._hooks is not None,
            "jobs": registry.names(),
        }))
        """,
        tmp_path,
    )
    assert int(str(found.pop("modules"))) > 150
    assert found == {
        "listeners": [],
        "channels": [],
        "in_transaction": [],
        "calendar": 0,
        "request_hooks": False,
        "jobs": [],
    }


def test_a_cli_process_gets_the_audit_guard_without_the_app(tmp_path: Path) -> None:
    """``bancheng db upgrade`` through the CLI's root command, then an ORM write in the
    same process: the new log row is sealed, and changing or deleting it is refused."""
    found = _run(
        """
        import json, sys
        from click.testing import CliRunner
        from bancheng.cli import main

        r = CliRunner().invoke(main, ["db", "upgrade"])
        assert r.exit_code == 0, r.output
        from bancheng.audit.chain import AppendOnly
        from bancheng.audit.service import log_operation
        from bancheng.audit.models import OperationLog
        from bancheng.core.db import get_database

        db = get_database()
        with db.transaction() as s:
            log_operation(s, actor_id=None, actor_name="cli", action="test.hooks")
        outcomes = {}
        for attempt in ("change", "delete"):
            try:
                with db.transaction() as s:
                    row = s.query(OperationLog).filter_by(action="test.hooks").one()
                    if attempt == "change":
                        row.actor_name = "someone else"
                    else:
                        s.delete(row)
                    s.flush()
                outcomes[attempt] = "written"
            except AppendOnly as exc:
                outcomes[attempt] = exc.code
        with db.transaction() as s:
            row = s.query(OperationLog).filter_by(action="test.hooks").one()
            kept = (row.actor_name, row.chain_seq is not None, row.row_hash is not None)
        print(json.dumps({
            "app": "bancheng.main" in sys.modules,
            "outcomes": outcomes,
            "kept": kept,
        }))
        """,
        tmp_path,
    )
    assert found == {
        "app": False,
        "outcomes": {"change": "audit.append_only", "delete": "audit.append_only"},
        "kept": ["cli", True, True],
    }


def test_installing_twice_registers_each_thing_once() -> None:
    jobs_before = registry.names()
    install()
    install()
    listeners = {
        (name, fn.__name__): list(getattr(Session().dispatch, name)).count(fn)
        for name, fn in SESSION_LISTENERS
    }
    assert listeners == {
        ("before_flush", "guard_flush"): 1,
        ("before_commit", "seal_on_commit"): 1,
        ("after_soft_rollback", "forget_unsealed"): 1,
        ("do_orm_execute", "guard_statements"): 1,
        ("after_commit", "wake_worker"): 1,
        ("after_rollback", "forget_enqueued"): 1,
        ("after_flush", "mark_dirty_days"): 1,
    }
    assert calendar._listeners.count(recompute_after_import) == 1
    assert all(factory_of(name) is factory for name, factory in CHANNELS)
    assert deps.request_hooks().record_denied.__module__ == "bancheng.audit.service"
    assert registry.names() == jobs_before
    assert len(jobs_before) == 7


def test_the_core_contract_forbids_every_domain_and_composition_root() -> None:
    """``core imports no domain`` (pyproject.toml, run by ``make lint``) names every
    package and top-level module but ``core`` itself and the migrations."""
    import tomllib

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = conf["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["id"] == "core-imports-no-domain"]
    src = ROOT / "src" / "bancheng"
    packages = {
        f"bancheng.{p.name}"
        for p in src.iterdir()
        if (p / "__init__.py").exists() and p.name not in ("core", "migrations")
    }
    modules = {f"bancheng.{p.stem}" for p in src.glob("*.py") if not p.stem.startswith("__")}
    assert contract["source_modules"] == ["bancheng.core"]
    assert sorted(contract["forbidden_modules"]) == sorted(packages | modules)
