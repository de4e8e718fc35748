"""Ledger benchmark: the case list for a handler whose scope is one district, over N cases
(default 1,000,000) in PostgreSQL, through the HTTP API of a multi-worker server.

    uv run python bench/ledger.py [--cases 1000000] [--requests 300]

Measures p50/p95 of: the first ledger page (newest first), a filtered page (state), a
keyword search, and a deep page, as the district handler `handler_jc`; and the same first
page for the city-wide clerk. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bulk import build_cases, prepare_org
from common import fresh_postgres, last_line_of, server


def token_for(url: str, data_dir: Path, username: str) -> str:
    code = f"""
from sqlalchemy import select
from bancheng.core.db import get_database
from bancheng.org.auth import create_api_token
from bancheng.org.models import User
with get_database().transaction() as s:
    u = s.scalar(select(User).where(User.username == {username!r}))
    _, raw = create_api_token(s, u, "bench", ["case.read"], 1)
print(raw)
"""
    return last_line_of(code, url, data_dir)


def timed(base: str, token: str, path: str, n: int) -> dict[str, float]:
    req_headers = {"Authorization": f"Bearer {token}"}
    lat = []
    total = None
    for i in range(n + 5):
        req = urllib.request.Request(base + path, headers=req_headers)
        t0 = time.perf_counter()
        with urllib.request.urlopen(req) as r:
            body = json.loads(r.read())
        if i >= 5:  # warm-up
            lat.append(time.perf_counter() - t0)
        total = body.get("total")
    q = statistics.quantiles(lat, n=100)
    return {"p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1), "total": total}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    args = ap.parse_args()
    import tempfile

    data_dir = Path(tempfile.mkdtemp(prefix="bancheng-bench-"))
    if args.reuse:
        from common import PG_URL
        from sqlalchemy.engine import make_url

        url = (
            make_url(PG_URL)
            .set(database="bancheng_bench_ledger")
            .render_as_string(hide_password=False)
        )
        build_s = 0.0
    else:
        url = fresh_postgres("bancheng_bench_ledger")
        org = prepare_org(url)
        build_s = build_cases(url, args.cases, org)
    district = token_for(url, data_dir, "handler_jc")
    city = token_for(url, data_dir, "clerk")
    out: dict[str, object] = {"cases": args.cases, "build_s": round(build_s, 1)}
    with server(url, data_dir, args.workers) as base:
        n = args.requests
        out["district_first_page"] = timed(base, district, "/api/v1/cases", n)
        out["district_state_filter"] = timed(base, district, "/api/v1/cases?state=in_progress", n)
        out["district_keyword"] = timed(base, district, "/api/v1/cases?q=%E7%A4%BE%E4%BF%9D", n)
        out["district_page_50"] = timed(base, district, "/api/v1/cases?page=50", n)
        out["city_first_page"] = timed(base, city, "/api/v1/cases", n)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
