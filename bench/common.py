"""Shared helpers for the benchmarks: fresh databases, a server subprocess, a clerk token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get(
    "BANCHENG_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def fresh_postgres(name: str) -> str:
    u = make_url(PG_URL)
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return u.set(database=name).render_as_string(hide_password=False)


def fresh_sqlite() -> tuple[str, Path]:
    d = Path(tempfile.mkdtemp(prefix="bancheng-bench-"))
    return f"sqlite:///{d}/bench.db", d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(url: str, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "BANCHENG_DATABASE_URL": url,
            "BANCHENG_DATA_DIR": str(data_dir),
            "BANCHENG_ENV": "development",
            # The benchmark is one client address: per-address limits would cap it.
            "BANCHENG_PUBLIC_RATE_LIMIT_PER_MINUTE": "10000000",
            "BANCHENG_PUBLIC_PHONE_LIMIT_PER_HOUR": "10000000",
            "BANCHENG_LOGIN_RATE_LIMIT_PER_MINUTE": "10000000",
        }
    )
    return env


def prepare(url: str, data_dir: Path) -> str:
    """Migrate, create a small organisation and a clerk, return an API token."""
    code = """
import json
from bancheng.core.config import get_settings
from bancheng.core.db import get_database
from bancheng.core.migrate import upgrade
from bancheng.org.auth import create_api_token
from bancheng.org.service import create_department, create_user
s = get_settings()
upgrade(s.resolved_database_url)
with get_database().transaction() as session:
    city = create_department(session, code="C", name="市政府", level="city", kind="government")
    centre = create_department(session, code="C-SC", name="市政务服务中心", level="city",
                               kind="centre", parent=city)
    clerk = create_user(session, s, username="bench_clerk", display_name="压测受理员",
                        role="clerk", department_id=centre.id, data_scope="all",
                        password="Bench-Passw0rd!", must_change_password=False)
    _, raw = create_api_token(session, clerk, "bench", ["case.create", "case.read"], 1)
print(raw)
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env_for(url, data_dir),
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


@contextmanager
def server(url: str, data_dir: Path, workers: int) -> Iterator[str]:
    port = free_port()
    log_path = data_dir / "server.log"
    log = log_path.open("wb")  # a file, not a pipe nobody reads (a full pipe blocks the server)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bancheng.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env_for(url, data_dir),
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 300  # a loaded machine imports slowly
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(base + "/api/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start: " + log_path.read_text(errors="replace"))
        yield base
    finally:
        log.close()
        print(f"server log: {log_path}", file=sys.stderr)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
