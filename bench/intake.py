"""Intake benchmark: concurrent clients for a fixed time against a multi-worker server on
PostgreSQL and on SQLite, in three scenarios:

- ``staff``: clerks create cases (``POST /api/v1/cases``, each client its own clerk and
  API token);
- ``public``: citizens report from the phone page (``POST /api/v1/public/reports``,
  anonymous, a distinct phone number per report);
- ``signin``: a sign-in storm (``POST /api/v1/auth/login``): all clients start at once,
  each signing in again and again to its own account (parallel sign-ins to one account
  would count against its lockout).

Every creation carries a unique tag in its title; every acknowledged one is then looked
up in the database: found, lost (not there), duplicated (there more than once), and
``stored_without_ack`` (there although the request failed). Each scenario reports
throughput (cases/s or sign-ins/s), p50, p99, the slowest request, and errors (any
non-2xx or failed request, by status and problem code).

    uv run python bench/intake.py [--seconds 20] [--clients 32] [--workers 2]
        [--only postgresql|sqlite] [--scenarios staff,public,signin] [--quick]

``--quick``: 3 s per scenario after a 1 s warm-up.

Before the scenarios, in the same run, ``plain_write.py`` measures the database's own limit
for the registration write (counter, case row, event row, one transaction) with the driver
alone; each scenario's figure is printed with its ratio to it (``ratio_to_plain``).

Each scenario also says where the CPU went (``cpu_ms_per_request``: milliseconds of CPU
per successful request of the server's processes, the database's, the load generator's
and the whole machine's, from Linux ``/proc``), how busy the machine was
(``machine_utilisation``: its busy share of all CPUs) and, for comparison, the machine's
CPU per transaction of the plain write (``plain_machine_cpu_ms_per_tx``). A scenario whose
machine CPU per request times the target rate exceeds the cores cannot reach that rate on
this machine, however the time is divided.

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
from collections import Counter
from pathlib import Path

import aiohttp
from sqlalchemy import create_engine, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    BENCH_PASSWORD,
    CpuMeter,
    fresh_postgres,
    fresh_sqlite,
    prepare_clerks,
    server,
    staff_case,
)
from plain_write import measure as plain_limit

MARK = "压测标记"


def _public_payload(tag: str, i: int) -> dict[str, object]:
    return {
        "kind": "cannot_do",
        "title": f"{MARK}{tag} 公积金提取",
        "description": "办理公积金提取时被要求反复提交材料，跑了三趟还没办成。",
        "name": "李四",
        "phone": f"139{i % 100_000_000:08d}",  # a distinct phone per report
    }


class Counters:
    phones = 0  # distinct public phones across scenarios and runs of one server


async def drive(
    base: str,
    clerks: list[tuple[str, str]],
    seconds: float,
    clients: int,
    scenario: str,
    prefix: str = "",
) -> tuple[list[float], list[str], dict[str, int]]:
    """``clients`` concurrent clients for ``seconds``, all starting at once. Client ``i``
    uses clerk ``i`` (its own account and token). Returns the latencies, the tags of the
    acknowledged creations and the errors by status and code."""
    latencies: list[float] = []
    tags: list[str] = []
    errors: dict[str, int] = {}
    conn = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(base, connector=conn, timeout=timeout) as http:
        stop = time.perf_counter() + seconds

        async def one_client(i: int) -> None:
            username, token = clerks[i % len(clerks)]
            headers = {"Authorization": f"Bearer {token}"} if scenario == "staff" else {}
            seq = 0
            while time.perf_counter() < stop:
                seq += 1
                tag = f"{prefix or scenario}-{i:02d}-{seq:06d}"
                if scenario == "staff":
                    path, body = (
                        "/api/v1/cases",
                        staff_case(f"{MARK}{tag} 公积金提取被要求重复提交材料"),
                    )
                elif scenario == "public":
                    Counters.phones += 1
                    path, body = "/api/v1/public/reports", _public_payload(tag, Counters.phones)
                else:
                    path = "/api/v1/auth/login"
                    body = {"username": username, "password": BENCH_PASSWORD}
                t0 = time.perf_counter()
                try:
                    async with http.post(path, json=body, headers=headers) as r:
                        data = await r.json(content_type=None)
                        ok = 200 <= r.status < 300
                        code = data.get("code") if isinstance(data, dict) else None
                        key = f"{r.status} {code}" if code else str(r.status)
                except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                    ok, data, key = False, {}, type(exc).__name__
                latencies.append(time.perf_counter() - t0)
                if ok:
                    if scenario != "signin":
                        tags.append(tag)
                else:
                    errors[key] = errors.get(key, 0) + 1

        await asyncio.gather(*(one_client(i) for i in range(clients)))
    return latencies, tags, errors


def run(label: str, url: str, data_dir: Path, args: argparse.Namespace) -> list[dict[str, object]]:
    clerks = prepare_clerks(url, data_dir, args.clients)
    out = []
    with server(url, data_dir, args.workers) as base:
        warm = 1 if args.quick else 2
        asyncio.run(drive(base, clerks, warm, args.clients, "staff", "warmup"))  # not counted
        # The database's own limit for the same write, in this run, on this machine: as many
        # processes as the server has workers, as many connections as there are clients.
        with CpuMeter() as meter:
            plain = plain_limit(
                url, args.seconds, args.workers, max(1, args.clients // args.workers)
            )
        plain["machine_cpu_ms_per_tx"] = meter.per_unit_ms(plain["transactions"]).get("machine")
        print(json.dumps({"database": label, "plain_write": plain}), flush=True)
        for scenario in args.scenarios.split(","):
            t0 = time.perf_counter()
            with CpuMeter() as meter:
                lat, tags, errors = asyncio.run(
                    drive(base, clerks, args.seconds, args.clients, scenario)
                )
            elapsed = time.perf_counter() - t0
            out.append((scenario, elapsed, lat, tags, errors, meter))
    from bancheng.cases.models import Case

    engine = create_engine(url)
    with engine.connect() as conn:
        titles = conn.execute(select(Case.title).where(Case.title.like(f"{MARK}%"))).scalars()
        stored = Counter(t[len(MARK) :].split(" ", 1)[0] for t in titles)
    engine.dispose()
    results = []
    for scenario, elapsed, lat, tags, errors, meter in out:
        found = sum(1 for t in tags if stored[t] >= 1)
        duplicated = sum(1 for t in tags if stored[t] > 1)
        # Cases of this scenario in the database that no acknowledged request accounts
        # for: a request that failed (or timed out) after its commit.
        acked = set(tags)
        unacked_stored = sum(1 for t in stored if t.startswith(scenario + "-") and t not in acked)
        lat.sort()
        q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 2 else [0.0] * 99
        ok = len(lat) - sum(errors.values())
        results.append(
            {
                "database": label,
                "scenario": scenario,
                "unit": "sign-ins/s" if scenario == "signin" else "cases/s",
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
                "acknowledged": len(tags),
                "found": found,
                "lost": len(tags) - found,
                "duplicated": duplicated,
                "stored_without_ack": unacked_stored,
                "plain_tx_per_s": plain["tx_per_s"],
                # Where the CPU went, per request that succeeded: the server's processes,
                # the database's, this load generator's, the whole machine's.
                "cpu_ms_per_request": meter.per_unit_ms(ok),
                "machine_utilisation": meter.utilisation(),
                "plain_machine_cpu_ms_per_tx": plain["machine_cpu_ms_per_tx"],
                # Sign-ins write no case: no ratio to the registration write.
                "ratio_to_plain": round(ok / elapsed / plain["tx_per_s"], 3)
                if plain["tx_per_s"] and scenario != "signin"
                else None,
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
    ap.add_argument(
        "--quick", action="store_true", help="3 s per scenario, 1 s warm-up (well under a minute)"
    )
    args = ap.parse_args()
    if args.quick:
        args.seconds = min(args.seconds, 3)
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
                        for k in (
                            "ok_per_s",
                            "p50_ms",
                            "p99_ms",
                            "max_ms",
                            "errors",
                            "lost",
                            "duplicated",
                            "plain_tx_per_s",
                            "ratio_to_plain",
                        )
                    }
                    for r in results
                }
            }
        )
    )

    if any(r["lost"] or r["duplicated"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
