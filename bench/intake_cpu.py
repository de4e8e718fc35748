"""CPU per registration, in-process: robust to a shared machine's noise, unlike cases/s.

Registers ``--n`` cases through the app in this process (called as ASGI through
``httpx``'s ``ASGITransport`` in one event loop; no server, no lifespan, so the in-``serve``
jobs and outbox delivery do not run) on SQLite and on PostgreSQL, after ``--warmup``
registrations that fill the per-process caches, and prints, per database and scenario,
the ``time.process_time`` per registration (every thread of the process: the client, the
app, the driver) and the statements per registration (a ``before_cursor_execute`` counter
on the app's engines).

    uv run python bench/intake_cpu.py [--n 300] [--warmup 30] [--only postgresql|sqlite]
        [--scenarios staff,public] [--statements] [--profile FILE]

Also, per registration, the serialised windows with no other request running:
``write_tx_ms_per_case`` (the write transaction, BEGIN to COMMIT; on SQLite BEGIN
IMMEDIATE holds the database's write lock for all of it) and ``counter_lock_ms_per_case``
(the counter's ``UPDATE`` to the COMMIT, the row lock every registration of the year waits
for on PostgreSQL). 1,000 ms divided by the window is the most registrations per second
the lock lets through, however many workers and cores.

``--statements``: also print the statements of one registration of each scenario.
``--profile FILE``: run each child under py-spy (``uv tool run py-spy``; ``--gil``: only
the thread holding the interpreter, so CPU rather than waits), writing collapsed stacks to
``FILE.<database>`` (warm-up and set-up included; the figures then include the sampler's
cost, so measure without it).

Each database runs in a child process of its own (settings and engines are per process).
PostgreSQL: a fresh database ``$BENCH_PG_DB`` + ``_cpu`` (default ``bancheng_bench_cpu``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import env_for, fresh_postgres, fresh_sqlite, prepare_clerks, staff_case


def _public(i: int) -> dict[str, object]:
    return {
        "kind": "cannot_do",
        "title": f"CPU {i} 公积金提取",
        "description": "办理公积金提取时被要求反复提交材料，跑了三趟还没办成。",
        "name": "李四",
        "phone": f"139{i:08d}",
    }


def child(args: argparse.Namespace) -> None:
    asyncio.run(_child(args))


async def _child(args: argparse.Namespace) -> None:
    import httpx
    from sqlalchemy import event

    from bancheng.core.db import get_database
    from bancheng.main import create_app

    token = args.token
    app = create_app()
    # The app called directly (ASGI) in this event loop: no lifespan, no scheduler.
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bench")
    db = get_database()
    engines = {db.write_engine, db.read_engine}
    seen: list[str] = []

    def count(_conn, _cur, statement, *_a):  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()[:3]))

    # The serialised windows: a write transaction from its BEGIN to its COMMIT (on SQLite,
    # BEGIN IMMEDIATE: the write lock), and the counter row's lock, from the counter's
    # UPDATE to the COMMIT (PostgreSQL: every registration of the year waits for it).
    held = {"tx": 0.0, "counter": 0.0}
    opened: dict[str, float] = {}

    def began(_conn):  # type: ignore[no-untyped-def]
        opened["tx"] = time.perf_counter()

    def counter(_conn, _cur, statement, *_a):  # type: ignore[no-untyped-def]
        if statement.startswith("UPDATE case_number_counters"):
            opened["counter"] = time.perf_counter()

    def ended(_conn):  # type: ignore[no-untyped-def]
        now = time.perf_counter()
        for k in ("tx", "counter"):
            if k in opened:
                held[k] += now - opened.pop(k)

    for e in engines:
        event.listen(e, "before_cursor_execute", count)
    event.listen(db.write_engine, "begin", began)
    event.listen(db.write_engine, "before_cursor_execute", counter)
    event.listen(db.write_engine, "commit", ended)
    event.listen(db.write_engine, "rollback", ended)
    headers = {"Authorization": f"Bearer {token}"}
    results = []
    serial = 0
    for scenario in args.scenarios.split(","):

        async def one(i: int, scenario: str = scenario) -> None:
            if scenario == "staff":
                body = staff_case(f"CPU {i}")
                r = await client.post("/api/v1/cases", json=body, headers=headers)
            else:
                r = await client.post("/api/v1/public/reports", json=_public(i))
            assert r.status_code in (200, 201), (r.status_code, r.text)

        for _ in range(args.warmup):
            serial += 1
            await one(serial)
        if args.statements:
            seen.clear()
            serial += 1
            await one(serial)
            key = f"statements_of_one_{scenario}_registration"
            print(json.dumps({key: seen}, ensure_ascii=False))
        seen.clear()
        held.update(tx=0.0, counter=0.0)
        t0, w0 = time.process_time(), time.perf_counter()
        for _ in range(args.n):
            serial += 1
            await one(serial)
        cpu, wall = time.process_time() - t0, time.perf_counter() - w0
        results.append(
            {
                "database": args.label,
                "scenario": scenario,
                "n": args.n,
                "cpu_ms_per_case": round(cpu / args.n * 1000, 2),
                "wall_ms_per_case": round(wall / args.n * 1000, 2),
                "statements_per_case": round(len(seen) / args.n, 2),
                "write_tx_ms_per_case": round(held["tx"] / args.n * 1000, 3),
                "counter_lock_ms_per_case": round(held["counter"] / args.n * 1000, 3),
            }
        )
    print(json.dumps({"results": results}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--only", choices=["postgresql", "sqlite"])
    ap.add_argument("--scenarios", default="staff,public")
    ap.add_argument("--statements", action="store_true")
    ap.add_argument("--profile")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--label", help=argparse.SUPPRESS)
    ap.add_argument("--token", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    targets = []
    if args.only in (None, "postgresql"):
        name = os.environ.get("BENCH_PG_DB", "bancheng_bench") + "_cpu"
        targets.append(("postgresql", fresh_postgres(name), fresh_sqlite()[1]))
    if args.only in (None, "sqlite"):
        url, d = fresh_sqlite()
        targets.append(("sqlite", url, d))
    out = []
    for label, url, d in targets:
        token = prepare_clerks(url, d, 1)[0][1]
        env = env_for(url, d)
        cmd = [sys.executable, __file__, "--child", "--label", label, "--token", token]
        if args.profile:
            spy = ["uv", "tool", "run", "py-spy", "record", "--gil", "--rate", "200"]
            spy += ["--format", "raw"]
            cmd = [*spy, "--output", f"{args.profile}.{label}", "--", *cmd]
        cmd += ["--n", str(args.n), "--warmup", str(args.warmup), "--scenarios", args.scenarios]
        if args.statements:
            cmd.append("--statements")
        res = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        for line in res.stdout.strip().splitlines():
            if not line.startswith("{"):
                continue
            data = json.loads(line)
            if "results" in data:
                out.extend(data["results"])
                for r in data["results"]:
                    print(json.dumps(r), flush=True)
            else:
                print(json.dumps(data, ensure_ascii=False), flush=True)
    print(json.dumps({"intake_cpu": {f"{r['database']}/{r['scenario']}": r for r in out}}))


if __name__ == "__main__":
    main()
