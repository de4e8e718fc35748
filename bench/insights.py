"""Insights benchmark: N synthetic cases (bench/bulk.py), the first (full) rollup build,
an incremental refresh after changing cases spread over the year, the dashboard's queries
(p50/p95, in process: overview with lights, a year's monthly trend, departments, matters,
the month's assessment) for the city leader, a district leader, a district clerk and a
city agency's handler, and the ledger export of every case in a subprocess (peak RSS).
Prints one JSON line.

    uv run python bench/insights.py --db sqlite --cases 1000000
    uv run python bench/insights.py --db postgresql --cases 10000000 --no-export
    uv run python bench/insights.py --db postgresql --reuse bench_insights --no-export

``--reuse NAME`` measures an existing PostgreSQL database built by an earlier run
(migrated to the current schema first) instead of building a fresh one.
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


def touch_cases(db: Any, n: int, days: int) -> dict[str, Any]:
    """Resolve ``n`` open cases registered over the last ``days`` days through the ORM (as
    the service does: the flush hook marks their days), then time the refresh that brings
    the rollup up to date. Open cases being worked on are the recent ones."""
    from sqlalchemy import select

    from bancheng.cases.models import Case
    from bancheng.core import clock
    from bancheng.insights.service import refresh

    since = clock.now() - timedelta(days=days)
    with db.transaction() as s:
        ids = s.scalars(
            select(Case.id)
            .where(Case.state == "in_progress", Case.registered_at >= since)
            .order_by(Case.id)
        ).all()
        step = max(1, len(ids) // n)
        ids = ids[::step][:n]
        t0 = time.perf_counter()
        for c in s.scalars(select(Case).where(Case.id.in_(ids))):
            c.state = "resolved"
            c.resolved_at = clock.now()
        s.flush()
        write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with db.transaction() as s:
        out = refresh(s, lights=False)
    return {
        "cases_changed": len(ids),
        "over_days": days,
        "write_s": round(write_s, 2),
        "refresh_s": round(time.perf_counter() - t0, 1),
        "days_recomputed": out["days"],
    }


def time_lights(db: Any) -> float:
    from bancheng.core import clock
    from bancheng.insights.repository import count_lights

    t0 = time.perf_counter()
    with db.transaction(write=False) as s:
        count_lights(s, clock.now())
    return round(time.perf_counter() - t0, 1)


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
    from bancheng.insights.repository import rollup_scope

    out: dict[str, Any] = {}
    with db.transaction(write=False) as s:
        p = principal_for(s, s.scalar(select(User).where(User.username == username)))
        out["scope"] = rollup_scope(s, p)
        for name, fn in calls.items():
            lat = []
            for i in range(runs + 2):
                t0 = time.perf_counter()
                fn(s, p)
                if i >= 2:
                    lat.append(time.perf_counter() - t0)
            out[name] = pct(lat)
    out["max_p95_ms"] = max(v["p95_ms"] for v in out.values() if isinstance(v, dict))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--reuse", metavar="NAME", help="an existing PostgreSQL database")
    ap.add_argument(
        "--keep-rollup", action="store_true", help="with --reuse: skip the full rebuild"
    )
    ap.add_argument("--touch", type=int, default=200, help="cases changed before a refresh")
    ap.add_argument("--touch-days", type=int, default=30, help="...registered over N days")
    a = ap.parse_args()
    build_s = None
    if a.reuse:
        from common import PG_URL
        from sqlalchemy.engine import make_url

        url = make_url(PG_URL).set(database=a.reuse).render_as_string(hide_password=False)
        os.environ["BANCHENG_DATABASE_URL"] = url
        subprocess.run(
            [sys.executable, "-c", "from bancheng.cli import main; main()", "db", "upgrade"],
            check=True,
        )
    else:
        if a.db == "postgresql":
            url = fresh_postgres("bench_insights")
        else:
            url, data_dir = fresh_sqlite()
            os.environ["BANCHENG_DATA_DIR"] = str(data_dir)
        os.environ["BANCHENG_DATABASE_URL"] = url
        org = prepare_org(url)
        build_s = round(build_cases(url, a.cases, org), 1)

    from sqlalchemy import func, select

    from bancheng.cases.models import Case
    from bancheng.core.db import Database
    from bancheng.insights.models import CaseDailyStat
    from bancheng.insights.service import refresh

    db = Database(url)
    with db.transaction(write=False) as s:
        n_cases = s.scalar(select(func.count()).select_from(Case))
        handler = s.scalar(
            select(User.username)
            .where(User.username.like("handler_%"), User.data_scope == "dept")
            .order_by(User.username)
        )
    t0 = time.perf_counter()
    with db.transaction() as s:
        first = refresh(s, full=not a.keep_rollup)
    rollup_s = time.perf_counter() - t0
    with db.transaction(write=False) as s:
        rollup_rows = s.scalar(select(func.count()).select_from(CaseDailyStat))
    t0 = time.perf_counter()
    with db.transaction() as s:
        refresh(s, lights=False)
    idle_s = time.perf_counter() - t0
    figures: dict[str, Any] = {
        "bench": "insights",
        "db": a.db if not a.reuse else "postgresql",
        "cases": n_cases,
        "build_s": build_s,
        "rollup_first_refresh_s": round(rollup_s, 1),
        "rollup_first_refresh_mode": first["mode"],
        "rollup_rows": rollup_rows,
        "rollup_full_days": first["days"],
        "refresh_today_only_s": round(idle_s, 1),
        "refresh_after_changes": touch_cases(db, a.touch, a.touch_days),
        "light_count_s": time_lights(db),
    }
    viewers = {
        "city_leader": "leader",
        "district_leader": "leader_jc",
        "district_clerk": "clerk_jc",
        "agency_handler": handler,
    }
    for label, username in viewers.items():
        figures[label] = measure(db, username, a.runs)
        figures[label]["user"] = username
    figures["max_p95_ms"] = max(figures[k]["max_p95_ms"] for k in viewers)
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

from bancheng.org.models import User  # noqa: E402

if __name__ == "__main__":
    main()
