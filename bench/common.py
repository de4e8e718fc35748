"""Shared helpers for the benchmarks: fresh databases, a server subprocess, a clerk token."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get(
    "BANCHENG_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def staff_case(title: str) -> dict[str, object]:
    """The body of a clerk's ``POST /api/v1/cases``: a window report titled ``title``."""
    return {
        "channel": "window",
        "kind": "cannot_do",
        "difficulty": "general",
        "blocker_type": "missing_materials",
        "title": title,
        "description": "第三次来办理公积金提取，每次都被要求补交不同的材料，希望一次性告知。",
        "reporter": {"type": "person", "name": "张三", "phone": "13812345678"},
    }


def fresh_postgres(name: str, url: str = PG_URL) -> str:
    """An empty database ``name`` on the server of ``url`` (dropped first if it exists)."""
    u = make_url(url)
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


def last_line_of(code: str, url: str, data_dir: Path) -> str:
    """Run ``code`` in a Python of its own against the database ``url``; the last line it
    printed."""
    res = subprocess.run(
        [sys.executable, "-c", code],
        env=env_for(url, data_dir),
        check=True,
        capture_output=True,
        text=True,
    )
    return res.stdout.strip().splitlines()[-1]


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
    return prepare_clerks(url, data_dir, 1)[0][1]


BENCH_PASSWORD = "Bench-Passw0rd!"


def prepare_clerks(url: str, data_dir: Path, n: int) -> list[tuple[str, str]]:
    """Migrate, create a small organisation and ``n`` clerks (``bench_clerk``, then
    ``bench_clerk01`` ...), each with an API token; return ``(username, token)`` pairs.
    One password hash is computed and shared: argon2 is slow on purpose."""
    code = f"""
import json
from bancheng.core import clock
from bancheng.core.config import get_settings
from bancheng.core.db import get_database
from bancheng.core.migrate import upgrade
from bancheng.org.auth import create_api_token
from bancheng.org.models import User
from bancheng.org.service import create_department, create_user
s = get_settings()
upgrade(s.resolved_database_url)
out = []
with get_database().transaction() as session:
    city = create_department(session, code="C", name="市政府", level="city", kind="government")
    centre = create_department(session, code="C-SC", name="市政务服务中心", level="city",
                               kind="centre", parent=city)
    first = create_user(session, s, username="bench_clerk", display_name="压测受理员",
                        role="clerk", department_id=centre.id, data_scope="all",
                        password={BENCH_PASSWORD!r}, must_change_password=False)
    clerks = [first]
    for i in range(1, {n}):
        u = User(username=f"bench_clerk{{i:02d}}", display_name=f"压测受理员{{i:02d}}",
                 role="clerk", department_id=centre.id, data_scope="all",
                 password_hash=first.password_hash, must_change_password=False,
                 active=True, failed_logins=0, created_at=clock.now())
        session.add(u)
        clerks.append(u)
    session.flush()
    for u in clerks:
        _, raw = create_api_token(session, u, "bench", ["case.create", "case.read"], 1)
        out.append([u.username, raw])
print(json.dumps(out))
"""
    return [(u, t) for u, t in json.loads(last_line_of(code, url, data_dir))]


def start_server(
    url: str, data_dir: Path, workers: int, port: int, log_name: str = "server.log"
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``bancheng serve`` in a process group of its own (the supervisor and its
    workers: ``os.killpg`` reaches them all) and wait until ``/api/health`` answers."""
    log_path = data_dir / log_name
    with log_path.open("ab") as log:  # a file, not a pipe nobody reads (a full pipe blocks)
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
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300  # a loaded machine imports slowly
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=1) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.2)
    kill_group(proc)
    raise RuntimeError("server did not start: " + log_path.read_text(errors="replace"))


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the server's process group (supervisor and workers) and reap it."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=15)
    kill_group(proc)  # stragglers: a worker the supervisor did not stop


@contextmanager
def server(url: str, data_dir: Path, workers: int) -> Iterator[str]:
    proc, base = start_server(url, data_dir, workers, free_port())
    SERVERS[base] = proc.pid
    try:
        yield base
    finally:
        print(f"server log: {data_dir / 'server.log'}", file=sys.stderr)
        SERVERS.pop(base, None)
        stop_group(proc)


# The process group of each running ``server()`` (its supervisor's pid), by base URL.
SERVERS: dict[str, int] = {}
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:  # gone, or not Linux
        return None


def _cpu_by_group() -> dict[str, float]:
    """CPU seconds (user + system) so far of every process on the machine, summed by
    what it is: ``server`` (a ``server()``'s process group), ``database`` (PostgreSQL's
    processes), ``load_generator`` (this process); and ``machine``, all CPUs' busy time."""
    groups = set(SERVERS.values())
    out = {"server": 0.0, "database": 0.0, "load_generator": 0.0, "machine": 0.0}
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not pid.isdigit():
            continue
        st = _proc_stat(pid)
        if st is None:
            continue
        cpu = (int(st[11]) + int(st[12])) / _TICK
        if int(st[2]) in groups:  # field 5 of /proc/PID/stat: the process group
            out["server"] += cpu
        elif int(pid) == os.getpid():
            out["load_generator"] += cpu
        else:
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip().startswith("postgres"):
                        out["database"] += cpu
            except OSError:
                pass
    with suppress(OSError), open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
        out["machine"] = (sum(ticks) - ticks[3] - ticks[4]) / _TICK  # all but idle, iowait
    return out


class CpuMeter:
    """Where the CPU went during a stretch of a benchmark: per unit of work (a case), the
    milliseconds of CPU of the server's processes, the database's, the load generator's
    and the whole machine's (Linux ``/proc``; empty elsewhere). A process that ends
    inside the stretch (a PostgreSQL backend) takes its CPU with it: ``database`` is a
    lower bound."""

    def __enter__(self) -> CpuMeter:
        self.before = _cpu_by_group()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.after = _cpu_by_group()
        self.seconds = time.perf_counter() - self.t0

    def per_unit_ms(self, units: int) -> dict[str, float]:
        if not units or not self.after["machine"]:
            return {}
        return {k: round((self.after[k] - self.before[k]) / units * 1000, 2) for k in self.before}

    def utilisation(self) -> float | None:
        """The machine's busy share of all its CPUs over the stretch."""
        cores = os.cpu_count() or 1
        if not self.after["machine"] or not self.seconds:
            return None
        return round((self.after["machine"] - self.before["machine"]) / (self.seconds * cores), 3)
