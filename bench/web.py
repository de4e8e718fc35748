"""Staff console benchmark.

1. The gzip size of the JavaScript needed for the sign-in page and the ledger (target at
   most 400 KB): the entry chunk of ``index.html``, the sign-in, layout and ledger route
   chunks, and everything they import statically, read from ``web/dist/.vite/manifest.json``
   (build first: ``cd web && npm run build``).
2. With ``--render``: the time from navigation to the first ledger page rendered (rows on
   screen) in headless Chromium, against a server over N cases (default 1,000,000) in
   PostgreSQL, as the district handler and the city-wide clerk; cold (a fresh browser
   context, nothing cached) and warm (a second visit). Target at most 1 s. The database is
   built as bench/ledger.py builds it (``--reuse`` keeps the one it left).

    uv run python bench/web.py                    # sizes only
    uv run python bench/web.py --render [--cases 1000000] [--reuse] [--runs 5]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The chunks that the sign-in page and the ledger load, by their source.
SIGN_IN_AND_LEDGER = (
    "index.html",
    "src/views/LoginView.vue",
    "src/layouts/ConsoleLayout.vue",
    "src/views/LedgerView.vue",
)
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PASSWORD = "Bench-Passw0rd!"


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def bundle_sizes() -> dict[str, Any]:
    manifest = json.loads((DIST / ".vite" / "manifest.json").read_text())
    needed: set[str] = set()
    css: set[str] = set()

    def visit(key: str) -> None:
        if key in needed:
            return
        needed.add(key)
        chunk = manifest[key]
        css.update(chunk.get("css", []))
        for imp in chunk.get("imports", []):
            visit(imp)

    for key in SIGN_IN_AND_LEDGER:
        visit(key)
    js = sorted({manifest[k]["file"] for k in needed})
    all_js = sorted(p for p in (DIST / "assets").glob("*.js"))
    return {
        "sign_in_and_ledger_js_files": len(js),
        "sign_in_and_ledger_js_gzip_kb": round(sum(gz(DIST / f) for f in js) / 1024, 1),
        "sign_in_and_ledger_js_raw_kb": round(sum((DIST / f).stat().st_size for f in js) / 1024, 1),
        "sign_in_and_ledger_css_gzip_kb": round(sum(gz(DIST / f) for f in css) / 1024, 1),
        "all_js_gzip_kb": round(sum(gz(p) for p in all_js) / 1024, 1),
        "target_js_gzip_kb": 400,
    }


# Records, inside the page, when the first ledger rows appear (a MutationObserver set up
# before any script of the page runs), so the figure does not depend on polling.
WATCH_ROWS = """
new MutationObserver((_, observer) => {
  if (document.querySelector('[data-test=case-table] .el-table__body tr')) {
    window.__rowsAt = performance.now();
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""


# How long the page's own request for the ledger took (server time plus transfer).
API_MS = """() => {
  const e = performance.getEntriesByType('resource').find((r) => r.name.includes('/api/v1/cases?'));
  return e ? e.responseEnd - e.startTime : -1;
}"""


def render_times(base: str, username: str, runs: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    cold: list[float] = []
    warm: list[float] = []
    api: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            ctx = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            resp = ctx.request.post(
                base + "/api/v1/auth/login", data={"username": username, "password": PASSWORD}
            )
            assert resp.ok, resp.text()
            ctx.add_init_script(WATCH_ROWS)
            page = ctx.new_page()
            for bucket in (cold, warm):
                page.goto(base + "/cases")
                handle = page.wait_for_function("() => window.__rowsAt", timeout=60_000)
                bucket.append(float(handle.json_value()))
                api.append(page.evaluate(API_MS))
            ctx.close()
        browser.close()
    return {
        "cold_ms_median": round(statistics.median(cold), 1),
        "cold_ms_max": round(max(cold), 1),
        "warm_ms_median": round(statistics.median(warm), 1),
        "ledger_api_ms_median": round(statistics.median(api), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--render", action="store_true", help="also time the ledger in Chromium")
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--reuse", action="store_true", help="keep bench/ledger.py's database")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    if not (DIST / ".vite" / "manifest.json").exists():
        sys.exit("web/dist/.vite/manifest.json missing: run `cd web && npm run build`")
    out: dict[str, Any] = bundle_sizes()
    if args.render:
        from bulk import build_cases, prepare_org
        from common import PG_URL, fresh_postgres, server
        from sqlalchemy.engine import make_url

        name = "bancheng_bench_ledger"
        if args.reuse:
            url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        else:
            url = fresh_postgres(name)
            build_cases(url, args.cases, prepare_org(url, PASSWORD))
        out["cases"] = args.cases
        data_dir = Path(tempfile.mkdtemp(prefix="bancheng-bench-web-"))
        with server(url, data_dir, args.workers) as base:
            out["ledger_render_district_handler"] = render_times(base, "handler_jc", args.runs)
            out["ledger_render_city_clerk"] = render_times(base, "clerk", args.runs)
        out["target_render_ms"] = 1000
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
