"""Backup under write load, restore elsewhere, compare every table and file (both databases).

A real ``bancheng serve`` runs the demo city; two clients keep registering cases and
uploading photos while ``bancheng backup`` runs. The archive is restored into another
database and data folder with ``bancheng restore``; the copy must hold every row that was
committed before the backup started, only rows that exist identically in the source, a case
counter that matches its cases, and every attachment byte for byte.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from bancheng.core.config import Settings
from bancheng.core.migrate import upgrade
from bancheng.ops.backup import BackupError, restore
from tests.conftest import case_payload, free_port, own_database_url, stop, wait_healthy

PASSWORD = "Demo-Backup-Passw0rd!"
BANCHENG = [sys.executable, "-m", "bancheng.cli"]


def _env(data_dir: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANCHENG_")}
    env.update(
        BANCHENG_DATA_DIR=str(data_dir),
        BANCHENG_DATABASE_URL=url,
        BANCHENG_ENV="test",
        BANCHENG_DEMO_PASSWORD=PASSWORD,
        BANCHENG_SLA_SWEEP_INTERVAL_SECONDS="0",
        BANCHENG_PUBLIC_RATE_LIMIT_PER_MINUTE="10000",
    )
    return env


def _cli(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*BANCHENG, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _urls(tmp_path: Path, worker_id: str) -> tuple[str, str]:
    """Two databases of their own: the backup reads what is committed, with pg_dump too."""
    pg = os.environ.get("BANCHENG_TEST_DATABASE_URL", "").startswith("postgresql")
    if pg and shutil.which("pg_dump") is None:
        pytest.fail("pg_dump must be on the PATH for the PostgreSQL backup test")
    return (
        own_database_url("bancheng", tmp_path / "src", worker_id + "_bksrc"),
        own_database_url("bancheng", tmp_path / "dst", worker_id + "_bkdst"),
    )


def _png(i: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (i % 256, (i // 256) % 256, 77)).save(buf, "PNG")
    return buf.getvalue()


class Load:
    """Clients that register a case and attach a photo, over and over, until stopped."""

    def __init__(self, base: str, threads: int = 2) -> None:
        self.base = base
        self.stop = threading.Event()
        self.done = 0
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(t,)) for t in range(threads)]

    def _run(self, t: int) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as c:
            r = c.post("/api/v1/auth/login", json={"username": "clerk", "password": PASSWORD})
            if r.status_code != 200:
                self.errors.append(r.text)
                return
            headers = {"X-CSRF-Token": r.json()["csrf_token"]}
            i = 0
            while not self.stop.is_set() and i < 400:
                i += 1
                r = c.post("/api/v1/cases", json=case_payload(), headers=headers)
                if r.status_code != 201:
                    self.errors.append(r.text)
                    return
                r = c.post(
                    f"/api/v1/cases/{r.json()['id']}/attachments",
                    files={"file": (f"p{t}-{i}.png", _png(t * 1000 + i), "image/png")},
                    headers=headers,
                )
                if r.status_code != 201:
                    self.errors.append(r.text)
                    return
                with self.lock:
                    self.done += 1

    def wait_for(self, n: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.done < n and not self.errors:
            assert time.monotonic() < deadline, "the load made no progress"
            time.sleep(0.05)
        assert not self.errors, self.errors[0]


@pytest.fixture()
def server(tmp_path: Path, worker_id: str) -> Iterator[tuple[dict[str, str], str, str]]:
    src_url, dst_url = _urls(tmp_path, worker_id)
    env = _env(tmp_path / "src", src_url)
    (tmp_path / "src").mkdir()
    upgrade(src_url)
    _cli(env, "demo", "load", "--cases", "12")
    port = free_port()
    log = (tmp_path / "serve.log").open("w")  # a file: a full pipe would stall the server
    proc = subprocess.Popen(
        [*BANCHENG, "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # a shared, busy machine
        assert wait_healthy(base, proc, 240), (tmp_path / "serve.log").read_text()[-3000:]
        yield env, base, dst_url
    finally:
        stop(proc, 30)
        log.close()


def _rows(engine: Engine) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    out: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    with engine.connect() as conn:
        insp = inspect(conn)
        for table in insp.get_table_names():
            pk = insp.get_pk_constraint(table)["constrained_columns"]
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).mappings().all()
            out[table] = {}
            for row in rows:
                key = tuple(row[c] for c in pk) if pk else tuple(sorted(map(str, row.values())))
                out[table][key] = dict(row)
    return out


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_backup_under_load_restores_an_identical_copy(
    server: tuple[dict[str, str], str, str], tmp_path: Path
) -> None:
    env, base, dst_url = server
    load = Load(base)
    for t in load.threads:
        t.start()
    try:
        load.wait_for(4)
        src_engine = create_engine(env["BANCHENG_DATABASE_URL"])
        before = _rows(src_engine)
        (tmp_path / "archives").mkdir()
        out = _cli(env, "backup", str(tmp_path / "archives"))
        during = load.done
        load.wait_for(during + 3)
    finally:
        load.stop.set()
        for t in load.threads:
            t.join(timeout=60)
    assert not load.errors, load.errors[:1]
    archives = list((tmp_path / "archives").glob("bancheng-backup-*.tar.gz"))
    assert len(archives) == 1 and "backup written" in out.stdout
    assert archives[0].stat().st_mode & 0o077 == 0  # personal data: owner only

    dst_env = _env(tmp_path / "dst", dst_url)
    restored_out = _cli(dst_env, "restore", str(archives[0]))
    assert "database at head" in restored_out.stdout

    source = _rows(src_engine)
    dst_engine = create_engine(dst_url)
    copy = _rows(dst_engine)
    assert set(copy) == set(source)
    for table, rows in copy.items():
        for key in before[table]:
            assert key in rows, f"{table} {key}: committed before the backup, missing"
        for key, row in rows.items():
            if table == "case_number_counters":
                continue  # checked against the copy's own cases below
            if table == "audit_chain_heads":
                continue  # moves with every later commit; the copy's chain is verified below
            later = source[table].get(key)
            assert later is not None, f"{table} {key} is not in the source"
            if table == "cases" and later != row:
                # Changed after the snapshot: the version counter proves it, and only the
                # attachment upload's columns moved.
                assert row["version"] < later["version"], key
                assert {k for k in row if row[k] != later[k]} == {"version", "updated_at"}
                continue
            assert later == row, f"{table} {key} differs from the source"
    # The copy's audit hash chain is whole: its head matches its own rows.
    _cli(dst_env, "audit", "verify")
    # The snapshot is one moment: the counter matches the copy's cases exactly.
    with dst_engine.connect() as conn:
        for jur, year, last in conn.execute(
            text("SELECT jurisdiction, year, last_seq FROM case_number_counters")
        ):
            top = conn.execute(
                text("SELECT max(seq), count(*) FROM cases WHERE jurisdiction=:j AND year=:y"),
                {"j": jur, "y": year},
            ).one()
            assert (top[0], top[1]) == (last, last)
        hashes = [r[0] for r in conn.execute(text("SELECT sha256 FROM attachments"))]
        # Each upload bumps its case's version and adds its row in one transaction: the copy
        # has both or neither for every case the load registered.
        loaded = conn.execute(
            text(
                "SELECT c.version, (SELECT count(*) FROM attachments a WHERE a.case_id = c.id) "
                "FROM cases c WHERE c.description = :d"
            ),
            {"d": case_payload()["description"]},
        ).all()
    assert loaded and all((v, n) in ((1, 0), (2, 1)) for v, n in loaded), loaded
    assert len(copy["cases"]) > len(before["cases"]) - 1
    assert len(source["cases"]) > len(copy["cases"])  # the load went on after the snapshot

    src_files = _tree(tmp_path / "src" / "attachments")
    dst_files = _tree(tmp_path / "dst" / "attachments")
    assert dst_files and set(dst_files) <= set(src_files)
    assert all(src_files[k] == v for k, v in dst_files.items())
    names = {k.rsplit("/", 1)[1] for k in dst_files}
    assert set(hashes) <= names  # every attachment the copy names is there
    assert _tree(tmp_path / "dst" / "models") == _tree(tmp_path / "src" / "models")

    # A second restore into the now non-empty target is refused and changes nothing.
    target = Settings(data_dir=tmp_path / "dst", database_url=dst_url)
    with pytest.raises(BackupError) as refused:
        restore(target, archives[0])
    assert refused.value.code == "restore.target_not_empty"
    assert _rows(dst_engine) == copy
    # Told to, it replaces the target (a case added there meanwhile is gone again).
    with dst_engine.begin() as conn:
        conn.execute(text("DELETE FROM case_events WHERE id = (SELECT max(id) FROM case_events)"))
    dst_engine.dispose()
    restore(target, archives[0], force=True)
    assert _rows(dst_engine) == copy
    src_engine.dispose()
    dst_engine.dispose()
