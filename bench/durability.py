"""Durability benchmark: kill -9 a loaded multi-worker server, restart it, retry.

N concurrent clients (each its own clerk and API token) create cases, every request with a
unique ``Idempotency-Key`` (also written into the case title, so the database can be
searched per key). After ``--seconds-before-kill`` every server process — the uvicorn
supervisor and its workers, one process group — gets SIGKILL mid-load. The server is
started again and every key sent is retried with the same body (acknowledged or not).
Then the database is read:

- ``acknowledged``: keys with a 2xx answer received before the kill;
- ``found``: acknowledged keys with a case in the database;
- ``lost``: acknowledged keys without one;
- ``duplicated``: keys with more than one case, plus retries of acknowledged keys that
  created a case (201) or answered another case than the first answer did.

Exits 1 when ``lost`` or ``duplicated`` is not 0.

    uv run python bench/durability.py [--clients 24] [--seconds-before-kill 8]
        [--workers 2] [--database-url postgresql+psycopg://...] [--sqlite]

Without ``--database-url`` a fresh PostgreSQL database ``bench_durability`` is created
(and dropped at the end unless ``--keep``); ``--sqlite`` uses a fresh SQLite file instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    PG_URL,
    free_port,
    fresh_postgres,
    fresh_sqlite,
    kill_group,
    prepare_clerks,
    staff_case,
    start_server,
    stop_group,
)

TAG = "幂等压测"


async def post(
    http: aiohttp.ClientSession, token: str, key: str
) -> tuple[int | str, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    try:
        async with http.post(
            "/api/v1/cases", json=staff_case(f"{TAG} {key}"), headers=headers
        ) as r:
            data = await r.json(content_type=None)  # the whole answer, or it is not an ack
            return r.status, data if isinstance(data, dict) else {}
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        return type(exc).__name__, {}


async def load(
    base: str, clerks: list[tuple[str, str]], proc: Any, seconds: float
) -> tuple[dict[str, tuple[str, int, str]], dict[str, str], dict[str, int], float]:
    """Run the clients, SIGKILL the server group after ``seconds``. Returns the keys sent
    (key -> (token, client index, "")), the acknowledged ones (key -> "id:number" of the
    answer), the outcome counts and the time of the kill."""
    sent: dict[str, tuple[str, int, str]] = {}
    acked: dict[str, str] = {}
    outcomes: Counter[str] = Counter()
    killed = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=60)
    conn = aiohttp.TCPConnector(limit=len(clerks))
    async with aiohttp.ClientSession(base, connector=conn, timeout=timeout) as http:

        async def client(i: int, token: str) -> None:
            seq = 0
            while not killed.is_set():
                seq += 1
                key = f"dur-c{i:02d}-{seq:06d}"
                sent[key] = (token, i, "")
                status, data = await post(http, token, key)
                if isinstance(status, int) and 200 <= status < 300 and "id" in data:
                    # Even if read after the kill: the server sent it, so it was an ack.
                    acked[key] = f"{data['id']}:{data.get('number')}"
                    outcomes["acknowledged"] += 1
                else:
                    outcomes[str(status)] += 1

        async def killer() -> float:
            await asyncio.sleep(seconds)
            killed.set()  # no new request after this; those in flight end in errors
            t = time.time()
            os.killpg(proc.pid, signal.SIGKILL)
            return t

        tasks = [asyncio.create_task(client(i, t)) for i, (_, t) in enumerate(clerks)]
        killed_at = await killer()
        await asyncio.gather(*tasks)
    return sent, acked, dict(outcomes), killed_at


async def retry_all(
    base: str, sent: dict[str, tuple[str, int, str]], concurrency: int
) -> dict[str, tuple[int | str, str]]:
    out: dict[str, tuple[int | str, str]] = {}
    sem = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(base, timeout=timeout) as http:

        async def one(key: str, token: str) -> None:
            async with sem:
                for _attempt in range(5):
                    status, data = await post(http, token, key)
                    if isinstance(status, int) and status < 500:
                        break
                    await asyncio.sleep(0.5)
                out[key] = (status, f"{data.get('id')}:{data.get('number')}")

        await asyncio.gather(*(one(k, v[0]) for k, v in sent.items()))
    return out


def check(url: str) -> tuple[dict[str, list[str]], int]:
    from bancheng.cases.models import Case, IdempotencyKey

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Case.id, Case.number, Case.title).where(Case.title.like(f"{TAG} %"))
        ).all()
        dangling = conn.execute(
            select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.case_id.is_(None))
        ).scalar_one()
    engine.dispose()
    by_key: dict[str, list[str]] = {}
    for cid, number, title in rows:
        by_key.setdefault(title.split(" ", 1)[1], []).append(f"{cid}:{number}")
    return by_key, int(dangling)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=24)
    ap.add_argument("--seconds-before-kill", type=float, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--database-url", help="PostgreSQL or SQLite URL (used as is, not emptied)")
    ap.add_argument("--sqlite", action="store_true", help="a fresh SQLite file")
    ap.add_argument("--keep", action="store_true", help="keep the bench_durability database")
    args = ap.parse_args()

    _, data_dir = fresh_sqlite()  # the data directory (keys, logs), whatever the database
    created_db = None
    if args.sqlite:
        url = f"sqlite:///{data_dir}/bench.db"
    elif args.database_url:
        url = args.database_url
    else:
        created_db = "bench_durability"
        url = fresh_postgres(created_db)
    label = "sqlite" if url.startswith("sqlite") else "postgresql"
    clerks = prepare_clerks(url, data_dir, args.clients)
    port = free_port()

    proc, base = start_server(url, data_dir, args.workers, port, "server-1.log")
    sent, acked, outcomes, _killed_at = asyncio.run(
        load(base, clerks, proc, args.seconds_before_kill)
    )
    kill_group(proc)  # reap (and make sure nothing of the group survived)
    time.sleep(0.5)
    ps = subprocess.run(
        ["ps", "-o", "pid=,stat=", "-g", str(proc.pid)], capture_output=True, text=True
    ).stdout.split("\n")
    # Dead workers whose parent died are zombies until reaped: they count as gone.
    survivors = [ln for ln in ps if ln.split() and not ln.split()[1].startswith("Z")]
    t0 = time.time()
    proc2, base = start_server(url, data_dir, args.workers, port, "server-2.log")
    restart_s = time.time() - t0
    try:
        retried = asyncio.run(retry_all(base, sent, args.clients))
    finally:
        stop_group(proc2)
    by_key, dangling = check(url)

    found = [k for k in acked if by_key.get(k)]
    lost = [k for k in acked if not by_key.get(k)]
    dup_rows = {k: v for k, v in by_key.items() if len(v) > 1}
    # A retry of an acknowledged key must replay it: 200 and the same case.
    bad_retries = {
        k: (acked[k], retried[k])
        for k in acked
        if retried[k][0] != 200 or retried[k][1] != acked[k]
    }
    dup_retries = {k: v for k, v in bad_retries.items() if v[1][0] == 201}
    duplicated = set(dup_rows) | set(dup_retries)
    unacked = [k for k in sent if k not in acked]
    retry_status = Counter(str(s) for s, _ in retried.values())
    after_retry_missing = [k for k in sent if not by_key.get(k)]
    result = {
        "database": label,
        "workers": args.workers,
        "clients": args.clients,
        "seconds_before_kill": args.seconds_before_kill,
        "sent": len(sent),
        "acknowledged": len(acked),
        "found": len(found),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "unacknowledged_in_flight": len(unacked),
        "unacknowledged_committed_before_kill": sum(
            1 for k in unacked if retried[k][0] == 200
        ),  # the retry replayed them: committed, answer lost with the kill
        "load_outcomes": outcomes,
        "retry_status": dict(retry_status),
        "retries_not_replaying_ack": len(bad_retries),
        "keys_without_case_after_retry": len(after_retry_missing),
        "dangling_idempotency_claims": dangling,
        "surviving_processes_after_kill": len(survivors),
        "restart_s": round(restart_s, 1),
        "server_logs": str(data_dir),
    }
    print(json.dumps(result, ensure_ascii=False), flush=True)
    if lost:
        print("lost:", lost[:20], file=sys.stderr)
    if dup_rows:
        print("duplicate rows:", list(dup_rows.items())[:20], file=sys.stderr)
    if bad_retries:
        print("retries not replaying:", list(bad_retries.items())[:20], file=sys.stderr)

    if created_db and not args.keep:
        u = make_url(PG_URL)
        admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{created_db}" WITH (FORCE)'))
        admin.dispose()
    sys.exit(1 if lost or duplicated else 0)


if __name__ == "__main__":
    main()
