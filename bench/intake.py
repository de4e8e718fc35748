"""Intake benchmark: concurrent clients for a fixed time against a multi-worker server on
PostgreSQL and on SQLite, in three scenarios:

- ``staff``: clerks create cases (``POST /api/v1/cases``, API token);
- ``public``: citizens report from the phone page (``POST /api/v1/public/reports``);
- ``signin``: a sign-in storm (``POST /api/v1/auth/login``, the same clerk).

Every acknowledged case is then looked up in the database (found / lost). Each scenario
reports throughput, p50, p99, the slowest request, and errors (any non-2xx or failed
request, by status).

    uv run python bench/intake.py [--seconds 20] [--clients 32] [--workers 2]
        [--only postgresql|sqlite] [--scenarios staff,public,signin]

Prints one JSON line per database and scenario and a final combined line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fresh_postgres, fresh_sqlite, prepare, server

PAYLOAD = {
    "channel": "window",
    "kind": "cannot_do",
    "difficulty": "general",
    "blocker_type": "missing_materials",
    "title": "公积金提取被要求重复提交材料",
    "description": "第三次来办理公积金提取，每次都被要求补交不同的材料，希望一次性告知。",
    "reporter": {"type": "person", "name": "张三", "phone": "13812345678"},
}


def _public_payload(i: int) -> dict[str, object]:
    return {
        "kind": "cannot_do",
        "description": "办理公积金提取时被要求反复提交材料，跑了三趟还没办成。",
        "name": "李四",
        "phone": f"139{i % 100_000_000:08d}",
    }


async def drive(
    base: str, token: str, seconds: float, clients: int, scenario: str
) -> tuple[list[float], list[str], dict[str, int]]:
    latencies: list[float] = []
    numbers: list[str] = []
    errors: dict[str, int] = {}
    stop = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"} if scenario == "staff" else {}
    conn = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=120)
    sent = 0
    async with aiohttp.ClientSession(
        base, connector=conn, headers=headers, timeout=timeout
    ) as http:

        async def one_client() -> None:
            nonlocal sent
            while time.perf_counter() < stop:
                sent += 1
                if scenario == "staff":
                    path, body = "/api/v1/cases", PAYLOAD
                elif scenario == "public":
                    path, body = "/api/v1/public/reports", _public_payload(sent)
                else:
                    path, body = "/api/v1/auth/login", {"username": "bench_clerk",
                                                        "password": "Bench-Passw0rd!"}  # fmt: skip
                t0 = time.perf_counter()
                try:
                    async with http.post(path, json=body) as r:
                        data = await r.json(content_type=None)
                        ok = 200 <= r.status < 300
                        key = str(r.status)
                except (TimeoutError, aiohttp.ClientError) as exc:
                    ok, data, key = False, {}, type(exc).__name__
                latencies.append(time.perf_counter() - t0)
                if ok:
                    if "number" in data:
                        numbers.append(data["number"])
                else:
                    errors[key] = errors.get(key, 0) + 1

        await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies, numbers, errors


def run(label: str, url: str, data_dir: Path, args: argparse.Namespace) -> list[dict[str, object]]:
    token = prepare(url, data_dir)
    out = []
    with server(url, data_dir, args.workers) as base:
        asyncio.run(drive(base, token, 2, args.clients, "staff"))  # warm-up, not counted
        for scenario in args.scenarios.split(","):
            t0 = time.perf_counter()
            lat, numbers, errors = asyncio.run(
                drive(base, token, args.seconds, args.clients, scenario)
            )
            elapsed = time.perf_counter() - t0
            out.append((scenario, elapsed, lat, numbers, errors))
    from bancheng.cases.models import Case

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = set(conn.execute(select(Case.number)).scalars())
    engine.dispose()
    results = []
    for scenario, elapsed, lat, numbers, errors in out:
        found = sum(1 for n in numbers if n in stored)
        lat.sort()
        q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [0.0] * 99
        ok = len(lat) - sum(errors.values())
        results.append(
            {
                "database": label,
                "scenario": scenario,
                "workers": args.workers,
                "clients": args.clients,
                "seconds": round(elapsed, 2),
                "ok_per_s": round(ok / elapsed, 1),
                "p50_ms": round(q[49] * 1000, 1),
                "p99_ms": round(q[98] * 1000, 1),
                "max_ms": round(lat[-1] * 1000, 1) if lat else 0.0,
                "requests": len(lat),
                "errors": sum(errors.values()),
                "errors_by_status": errors,
                "acknowledged": len(numbers),
                "found": found,
                "lost": len(numbers) - found,
                "distinct_numbers": len(set(numbers)),
            }
        )
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", choices=["postgresql", "sqlite"])
    ap.add_argument("--scenarios", default="staff,public,signin")
    args = ap.parse_args()
    results = []
    if args.only in (None, "postgresql"):
        url = fresh_postgres(os.environ.get("BENCH_PG_DB", "bancheng_bench_intake"))
        _, d = fresh_sqlite()
        for r in run("postgresql", url, d, args):
            results.append(r)
            print(json.dumps(r, ensure_ascii=False), flush=True)
    if args.only in (None, "sqlite"):
        url, d = fresh_sqlite()
        for r in run("sqlite", url, d, args):
            results.append(r)
            print(json.dumps(r, ensure_ascii=False), flush=True)
    print(
        json.dumps(
            {
                "intake": {
                    f"{r['database']}/{r['scenario']}": {
                        k: r[k]
                        for k in ("ok_per_s", "p50_ms", "p99_ms", "max_ms", "errors", "lost")
                    }
                    for r in results
                }
            }
        )
    )


if __name__ == "__main__":
    main()
