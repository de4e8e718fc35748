"""Insights benchmark: N synthetic cases (bench/bulk.py), the rollup build, the dashboard's
queries (p50/p95, in process) for the city leader (rollup + live today) and a district
leader (live SQL with scope), and the ledger export of every case in a subprocess (peak
RSS). Prints one JSON line.

    uv run python bench/insights.py --db sqlite --cases 1000000
    uv run python bench/insights.py --db postgresql --cases 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bulk import build_cases, prepare_org
from common import fresh_postgres, fresh_sqlite

EXPORT_CODE = """
import resource, sys, time, os
from sqlalchemy import select
from bancheng.cases.schemas import CaseFilter
from bancheng.core.db import Database
from bancheng.insights.export import write_xlsx
from bancheng.org.models import User
from bancheng.org.scope import principal_for
db = Database(sys.argv[1])
t0 = time.perf_counter()
with db.transaction(write=False) as s:
    p = principal_for(s, s.scalar(select(User).where(User.username == "leader")))
    path, n = write_xlsx(s, p, CaseFilter())
size = os.path.getsize(path)
os.unlink(path)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(n, round(time.perf_counter() - t0, 1), round(rss, 1), size)
"""


def pct(lat: list[float]) -> dict[str, float]:
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
    return {"p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1)}


def measure(db: Any, username: str, runs: int) -> dict[str, Any]:
    from sqlalchemy import select

    from bancheng.core.config import Settings
    from bancheng.insights import service
    from bancheng.org.models import User
    from bancheng.org.scope import principal_for

    settings = Settings()
    calls = {
        "overview": lambda s, p: service.overview(s, p, None, None),
        "trend_month_year": lambda s, p: service.trend(
            s, p, "month", date.today() - timedelta(days=364), None
        ),
        "by_department": lambda s, p: service.breakdown(s, p, "department"),
        "by_matter": lambda s, p: service.breakdown(s, p, "matter"),
        "assessment": lambda s, p: service.assessment(s, p, settings, "department", "month"),
    }
    out: dict[str, Any] = {}
    with db.transaction(write=False) as s:
        p = principal_for(s, s.scalar(select(User).where(User.username == username)))
        for name, fn in calls.items():
            lat = []
            for i in range(runs + 2):
                t0 = time.perf_counter()
                fn(s, p)
                if i >= 2:
                    lat.append(time.perf_counter() - t0)
            out[name] = pct(lat)
    out["max_p95_ms"] = max(v["p95_ms"] for v in out.values())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--no-export", action="store_true")
    a = ap.parse_args()
    if a.db == "postgresql":
        url = fresh_postgres("bench_insights")
    else:
        url, data_dir = fresh_sqlite()
        os.environ["BANCHENG_DATA_DIR"] = str(data_dir)
    os.environ["BANCHENG_DATABASE_URL"] = url
    org = prepare_org(url)
    build_s = build_cases(url, a.cases, org)

    from bancheng.core.db import Database
    from bancheng.insights.service import refresh_rollup

    db = Database(url)
    t0 = time.perf_counter()
    with db.transaction() as s:
        rollup = refresh_rollup(s, None)
    rollup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with db.transaction() as s:
        refresh_rollup(s, 35)
    recent_s = time.perf_counter() - t0
    figures: dict[str, Any] = {
        "bench": "insights",
        "db": a.db,
        "cases": a.cases,
        "build_s": round(build_s, 1),
        "rollup_full_s": round(rollup_s, 1),
        "rollup_rows": rollup["rows"],
        "rollup_recent35_s": round(recent_s, 1),
        "city_leader": measure(db, "leader", a.runs),
        "district_leader": measure(db, "leader_jc", a.runs),
    }
    db.dispose()
    if not a.no_export:
        out = subprocess.run(
            [sys.executable, "-c", EXPORT_CODE, url], check=True, capture_output=True, text=True
        )
        n, secs, rss, size = out.stdout.split()
        figures["export"] = {
            "rows": int(n),
            "seconds": float(secs),
            "peak_rss_mb": float(rss),
            "bytes": int(size),
        }
    print(json.dumps(figures, ensure_ascii=False))


from datetime import date, timedelta  # noqa: E402

if __name__ == "__main__":
    main()
