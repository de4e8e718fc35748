"""One sweep over N open cases in PostgreSQL (default 1,000,000).

    uv run python bench/sweep.py [--cases 1000000]

Builds N open cases registered over the last 30 days with deadlines 1–18 days after
registration, then times: the catch-up sweep (every turn to yellow/red that has built up is
recorded at once: events, urge notices, escalations), and a steady-state sweep five
minutes later (the sweeper's normal tick). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bulk import build_cases, prepare_org
from common import fresh_postgres


def run_sweep_bench(n: int) -> dict[str, object]:
    from bancheng.core import clock
    from bancheng.core.config import Settings
    from bancheng.core.db import Database
    from bancheng.deadlines.sweeper import sweep

    url = fresh_postgres("bancheng_bench_sweep")
    org = prepare_org(url)
    build_s = build_cases(url, n, org, open_only=True, days_back=30)
    db = Database(url)
    settings = Settings(database_url=url)
    now = clock.now()
    t0 = time.perf_counter()
    with db.transaction() as s:
        first = sweep(s, settings, now)
    catch_up = time.perf_counter() - t0
    t0 = time.perf_counter()
    with db.transaction() as s:
        second = sweep(s, settings, now + timedelta(minutes=5))
    steady = time.perf_counter() - t0
    t0 = time.perf_counter()
    with db.transaction() as s:
        third = sweep(s, settings, now + timedelta(minutes=5))
    repeat = time.perf_counter() - t0
    db.dispose()
    return {
        "sweep_open_cases": n,
        "build_s": round(build_s, 1),
        "catch_up_sweep_s": round(catch_up, 2),
        "catch_up": first.as_dict(),
        "steady_sweep_s": round(steady, 3),
        "steady": second.as_dict(),
        "repeat_sweep_s": round(repeat, 3),
        "repeat_writes": third.turned_red + third.turned_yellow + third.escalated,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    args = ap.parse_args()
    print(json.dumps(run_sweep_bench(args.cases)))


if __name__ == "__main__":
    main()
