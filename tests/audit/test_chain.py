"""等保 audit: append-only logs, the hash chain and `bancheng audit verify`, export, retention."""

from __future__ import annotations

import csv
import io
import itertools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from bancheng.audit.chain import AppendOnly, verify
from bancheng.audit.models import LoginLog, OperationLog
from bancheng.audit.service import log_login, log_operation
from bancheng.core import clock
from bancheng.core.config import Settings
from bancheng.core.db import Database
from bancheng.core.migrate import upgrade
from tests.conftest import case_payload, login, own_database_url


def _op(session: Session, action: str, **details: Any) -> None:
    log_operation(session, actor_id=1, actor_name="clerk", action=action, details=details)


def _problems(session: Session) -> dict[str, list[str]]:
    return {r.chain: r.problems for r in verify(session)}


def _head(session: Session, chain: str) -> int:
    from bancheng.audit.models import AuditChainHead

    session.expire_all()
    head = session.get(AuditChainHead, chain)
    return head.last_seq if head else 0


def test_requests_write_a_gapless_chain(client: TestClient, org: Any, session: Session) -> None:
    start_ops, start_logins = _head(session, "operations"), _head(session, "logins")
    headers = login(client, "clerk")
    client.post("/api/v1/cases", json=case_payload(), headers=headers)
    for missing in (999998, 999999):  # refusals are logged
        assert client.get(f"/api/v1/cases/{missing}").status_code == 404
    session.expire_all()
    ops = session.scalars(
        select(OperationLog)
        .where(OperationLog.chain_seq > start_ops)
        .order_by(OperationLog.chain_seq)
    ).all()
    logins = session.scalars(select(LoginLog).where(LoginLog.chain_seq > start_logins)).all()
    assert [o.chain_seq - start_ops for o in ops] == list(range(1, len(ops) + 1))
    assert len(ops) >= 2
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(ops))
    assert all(o.row_hash and o.row_hash.startswith("sha256:") for o in ops)
    assert [entry.chain_seq for entry in logins] == [start_logins + 1]
    assert _problems(session) == {"operations": [], "logins": []}


def _latest(session: Session) -> OperationLog:
    row = session.scalars(select(OperationLog).order_by(OperationLog.id.desc())).first()
    assert row is not None
    return row


def test_logs_cannot_be_changed_or_deleted_through_the_application(session: Session) -> None:
    _op(session, "case.create", n=1)
    session.commit()
    count = len(session.scalars(select(OperationLog.id)).all())
    row = _latest(session)
    row.action = "case.nothing"
    with pytest.raises(AppendOnly):
        session.flush()
    session.rollback()
    session.delete(_latest(session))
    with pytest.raises(AppendOnly):
        session.flush()
    session.rollback()
    for stmt in (
        update(OperationLog).values(action="x"),
        delete(OperationLog),
        delete(LoginLog),
        OperationLog.__table__.delete(),
        LoginLog.__table__.update().values(reason="x"),
    ):
        with pytest.raises(AppendOnly):
            session.execute(stmt)
        session.rollback()
    assert len(session.scalars(select(OperationLog.id)).all()) == count
    assert _latest(session).action == "case.create"


def test_verify_names_changed_removed_and_slipped_in_rows(session: Session) -> None:
    s0, l0 = _head(session, "operations"), _head(session, "logins")
    for i in range(5):
        _op(session, "case.create", n=i)
    log_login(
        session, username="clerk", user_id=1, success=True, reason=None, ip=None, user_agent=None
    )
    session.commit()
    ids = session.scalars(
        select(OperationLog.id).where(OperationLog.chain_seq > s0).order_by(OperationLog.chain_seq)
    ).all()
    assert _problems(session)["operations"] == []
    # What someone with database access might do, bypassing the application.
    session.execute(
        text("UPDATE operation_logs SET actor_name = 'nobody' WHERE id = :i"), {"i": ids[1]}
    )
    assert _problems(session)["operations"] == [f"row id {ids[1]} (#{s0 + 2}) was changed"]
    session.execute(
        text("UPDATE operation_logs SET actor_name = 'clerk' WHERE id = :i"), {"i": ids[1]}
    )
    session.execute(text("DELETE FROM operation_logs WHERE id = :i"), {"i": ids[2]})
    assert _problems(session)["operations"] == [
        f"rows {s0 + 3}..{s0 + 3} are missing (before row id {ids[3]})",
        f"row id {ids[3]} (#{s0 + 4}) does not link to #{s0 + 3}",
    ]
    session.rollback()
    session.execute(text("DELETE FROM operation_logs WHERE id = :i"), {"i": ids[4]})
    assert _problems(session)["operations"] == [
        f"the chain ends at #{s0 + 4} but its head says #{s0 + 5}: rows were removed from the end"
    ]
    session.rollback()
    session.execute(
        text(
            "INSERT INTO operation_logs (at, actor_name, action, outcome, details) "
            "VALUES (:at, 'ghost', 'case.close', 'ok', '{}')"
        ),
        {"at": clock.now()},
    )
    got = _problems(session)
    assert len(got["operations"]) == 1 and "added outside the application" in got["operations"][0]
    assert got["logins"] == []
    login_id = session.scalars(select(LoginLog.id).where(LoginLog.chain_seq == l0 + 1)).one()
    session.execute(
        text("UPDATE login_logs SET success = :f WHERE id = :i"), {"f": False, "i": login_id}
    )
    assert _problems(session)["logins"] == [f"row id {login_id} (#{l0 + 1}) was changed"]


def test_sm3_chain_and_retention_setting(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from bancheng.core.config import get_settings

    monkeypatch.setattr(get_settings(), "lookup_hash", "hmac-sm3")
    _op(session, "case.create")
    session.commit()
    row = _latest(session)
    assert row.row_hash and row.row_hash.startswith("sm3:") and len(row.row_hash) == 68
    monkeypatch.setattr(get_settings(), "lookup_hash", "hmac-sha256")
    _op(session, "case.update")
    session.commit()
    assert _problems(session)["operations"] == []  # each row names its own algorithm
    with pytest.raises(ValidationError):
        Settings(audit_retention_days=90)  # 等保: at least six months


def test_export_csv_through_the_api(client: TestClient, org: Any, session: Session) -> None:
    login(client, "clerk")
    login(client, "admin")
    r = client.get("/api/v1/audit/logins.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["编号", "链序号", "时间（北京时间）", "用户名"]
    assert [row[3] for row in rows[1:]] == ["clerk", "admin"]
    assert rows[1][2].endswith("+08:00")  # Beijing time
    assert r.headers["x-row-count"] == "2"
    session.expire_all()
    last = session.scalars(select(OperationLog).order_by(OperationLog.id.desc())).first()
    assert last is not None and (last.action, last.actor_name, last.object_type) == (
        "audit.export",
        "admin",
        "logins",
    )
    assert last.details["rows"] == 2


# --- against a committed database of its own: concurrency and the command line -----------


@pytest.fixture()
def scratch(tmp_path: Path, worker_id: str) -> Iterator[tuple[Database, dict[str, str]]]:
    # Its own database: the CLI runs as a subprocess and must see committed rows.
    url = own_database_url("audit", tmp_path, worker_id)
    upgrade(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANCHENG_")}
    env.update(BANCHENG_DATABASE_URL=url, BANCHENG_DATA_DIR=str(tmp_path), BANCHENG_ENV="test")
    db = Database(url)
    yield db, env
    db.dispose()


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bancheng.cli", "audit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_concurrent_writers_keep_one_chain_and_the_cli_verifies_exports_and_purges(
    scratch: tuple[Database, dict[str, str]], tmp_path: Path
) -> None:
    db, env = scratch
    long_ago = datetime.now(UTC) - timedelta(days=200)
    clock.set_clock(lambda: long_ago)
    with db.transaction() as s:
        for i in range(3):
            _op(s, "old.entry", n=i)
    clock.set_clock(None)

    def writer(t: int) -> None:
        for i in range(10):
            with db.transaction() as s:
                _op(s, "case.create", t=t, i=i)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.transaction(write=False) as s:
        seqs = s.scalars(select(OperationLog.chain_seq).order_by(OperationLog.chain_seq)).all()
        assert seqs == list(range(1, 64))
        assert _problems(s) == {"operations": [], "logins": []}

    ok = _cli(env, "verify")
    assert ok.returncode == 0, ok.stderr
    assert "operations: ok, 63 chained rows" in ok.stdout
    out = tmp_path / "ops.csv"
    exported = _cli(env, "export", "--kind", "operations", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert len(list(csv.reader(out.open(encoding="utf-8-sig")))) == 64  # header + 63

    dry = _cli(env, "purge")
    assert "operations: 3 rows older than 180 days" in dry.stdout
    purged = _cli(env, "purge", "--yes")
    assert purged.returncode == 0 and "operations: 3 rows deleted" in purged.stdout, purged.stderr
    with db.transaction(write=False) as s:
        actions = s.scalars(select(OperationLog.action).order_by(OperationLog.chain_seq)).all()
        assert "old.entry" not in actions and actions.count("case.create") == 60
        assert actions[-2:] == ["audit.export", "audit.purge"]
        assert _problems(s) == {"operations": [], "logins": []}  # the anchor moved

    with db.transaction() as s:
        s.execute(text("UPDATE operation_logs SET outcome = 'denied' WHERE chain_seq = 10"))
    bad = _cli(env, "verify")
    assert bad.returncode == 1 and "operations: TAMPERED" in bad.stdout
    assert "(#10) was changed" in bad.stdout
