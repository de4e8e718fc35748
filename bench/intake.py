"""Intake benchmark: concurrent clients create cases over HTTP for a fixed time, against a
multi-worker server on PostgreSQL and on SQLite; then every acknowledged case is looked up.

    uv run python bench/intake.py [--seconds 20] [--clients 32] [--workers 2]

Prints one JSON line per database and a final combined line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


async def drive(
    base: str, token: str, seconds: float, clients: int
) -> tuple[list[float], list[str], int]:
    latencies: list[float] = []
    numbers: list[str] = []
    errors = 0
    stop = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    conn = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, connector=conn, headers=headers) as http:

        async def one_client() -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                async with http.post("/api/v1/cases", json=PAYLOAD) as r:
                    body = await r.json()
                    if r.status == 201:
                        latencies.append(time.perf_counter() - t0)
                        numbers.append(body["number"])
                    else:
                        errors += 1

        await asyncio.gather(*(one_client() for _ in range(clients)))
    return latencies, numbers, errors


def run(label: str, url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, object]:
    token = prepare(url, data_dir)
    with server(url, data_dir, args.workers) as base:
        asyncio.run(drive(base, token, 2, args.clients))  # warm-up, not counted
        t0 = time.perf_counter()
        lat, numbers, errors = asyncio.run(drive(base, token, args.seconds, args.clients))
        elapsed = time.perf_counter() - t0
    from bancheng.cases.models import Case

    engine = create_engine(url)
    with engine.connect() as conn:
        stored = set(conn.execute(select(Case.number)).scalars())
    engine.dispose()
    found = sum(1 for n in numbers if n in stored)
    lat.sort()
    q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [0.0] * 99
    return {
        "database": label,
        "workers": args.workers,
        "clients": args.clients,
        "seconds": round(elapsed, 2),
        "cases_per_s": round(len(lat) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "acknowledged": len(numbers),
        "found": found,
        "lost": len(numbers) - found,
        "errors": errors,
        "distinct_numbers": len(set(numbers)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", choices=["postgresql", "sqlite"])
    args = ap.parse_args()
    results = []
    if args.only in (None, "postgresql"):
        url = fresh_postgres("bancheng_bench_intake")
        _, d = fresh_sqlite()
        results.append(run("postgresql", url, d, args))
        print(json.dumps(results[-1]), flush=True)
    if args.only in (None, "sqlite"):
        url, d = fresh_sqlite()
        results.append(run("sqlite", url, d, args))
        print(json.dumps(results[-1]), flush=True)
    print(
        json.dumps(
            {
                "intake": {
                    r["database"]: {
                        k: r[k]
                        for k in ("cases_per_s", "p50_ms", "p99_ms", "acknowledged", "found")
                    }
                    for r in results
                }
            }
        )
    )


if __name__ == "__main__":
    main()
