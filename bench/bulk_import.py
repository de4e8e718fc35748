"""Bulk import of N work orders from a CSV file (default 100,000), PostgreSQL and SQLite.

    nice -n 10 uv run python bench/bulk_import.py [--rows 100000] [--db postgresql,sqlite]

Generates a CSV of realistic 12345 work orders (the import's default headers: two years of
registrations, every state, Chinese labels, departments by name, a third of the open
orders with their own time limit, some masked phones), loads it into a fresh database
with the demo city (``bench/bulk.py prepare_org``) through ``import_rows`` in one
transaction, as ``bancheng import`` does, and verifies: as many cases as rows, numbers
consecutive per year from 1 with no gaps, every open order with its ``due_at``. Prints one
JSON line per database: orders/s, total seconds (reading the file, validating, writing,
committing), the importing process's CPU seconds, the load average, and the verification.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bulk import prepare_org
from common import fresh_postgres, fresh_sqlite

HEADER = [
    "编号",
    "12345工单号",
    "标题",
    "诉求内容",
    "反映人",
    "联系电话",
    "登记时间",
    "渠道",
    "类型",
    "难易程度",
    "状态",
    "当前部门",
    "办结期限",
    "办结时间",
    "办理结果",
]
STATES = ["已归档"] * 55 + ["已登记"] * 15 + ["办理中"] * 15 + ["已签收"] * 8 + ["已挂起(补正)"] * 4
STATES += ["已派单"] * 3
KINDS = ["办不成事", "办不成事", "咨询", "投诉", "求助", "建议", "举报"]
DIFFICULTIES = ["一般", "一般", "一般", "疑难", "即办"]
CHANNELS = ["12345转办", "12345转办", "12345转办", "窗口来访", "窗口热线"]
TITLES = [
    ("公积金提取被要求重复提交材料", "窗口要求再次提供已提交过的婚姻证明，已跑了三次"),
    ("不动产登记办理时间过长", "二手房过户申请已经一个月没有结果，电话无人接听"),
    ("社保转移接续卡在系统", "跨省转移社保，系统一直显示审核中，窗口说等通知"),
    ("企业开办营业执照迟迟未批", "网上提交开办申请后被退回三次，每次理由不同"),
    ("医保异地备案无法办理", "异地就医备案在手机上提交后无反馈，线下窗口让线上办"),
    ("户籍迁移需要回原籍开证明", "落户时被要求回原籍开具无犯罪证明，原籍说不开"),
    ("残疾人补贴申请被推诿", "街道和区残联互相推诿，补贴申请半年没有办下来"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def write_csv(path: Path, n: int, departments: list[str], seed: int = 18) -> None:
    rng = random.Random(seed)
    start = datetime(2025, 1, 2, 8, 0)
    span = int((datetime(2026, 11, 30, 18, 0) - start).total_seconds())
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(1, n + 1):
            reg = start + timedelta(seconds=rng.randrange(span))
            state = rng.choice(STATES)
            title, text = rng.choice(TITLES)
            phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            if rng.random() < 0.05:
                phone = phone[:3] + "****" + phone[7:]  # a masked historical record
            due = resolved = result = ""
            if state == "已归档":
                done = reg + timedelta(hours=rng.randint(2, 400))
                resolved = done.strftime("%Y-%m-%d %H:%M")
                due = (reg + timedelta(days=rng.choice((3, 5, 15)))).strftime("%Y-%m-%d")
                result = "已协调办结"
            elif rng.random() < 0.33:
                due = (reg + timedelta(days=rng.choice((2, 5, 10)))).strftime("%Y-%m-%d %H:%M")
            w.writerow(
                [
                    f"GD{i:08d}",
                    f"RX{reg:%Y%m%d}{i:06d}",
                    title,
                    text,
                    rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", *GIVEN)),
                    phone,
                    reg.strftime("%Y-%m-%d %H:%M:%S"),
                    rng.choice(CHANNELS),
                    rng.choice(KINDS),
                    rng.choice(DIFFICULTIES),
                    state,
                    rng.choice(departments),
                    due,
                    resolved,
                    result,
                ]
            )


def run(
    url: str, data_dir: Path, csv_path: Path | None, n: int, batch_size: int = 0
) -> dict[str, Any]:
    os.environ["BANCHENG_DATABASE_URL"] = url
    os.environ["BANCHENG_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("BANCHENG_ENV", "development")
    from sqlalchemy import func, select

    from bancheng.cases.enums import OPEN_STATES
    from bancheng.cases.models import Case
    from bancheng.core.config import get_settings
    from bancheng.core.crypto import get_crypto
    from bancheng.core.db import Database
    from bancheng.integrations.hotline_import import import_rows
    from bancheng.integrations.hotline_import_rows import parse_mapping, read_table
    from bancheng.org.models import Department
    from bancheng.sla.policies import seed_default_policies

    get_settings.cache_clear()
    get_crypto.cache_clear()
    prepare_org(url)
    settings = get_settings()
    db = Database(url)
    with db.transaction() as s:
        seed_default_policies(s)
        names = list(s.scalars(select(Department.name).order_by(Department.id)))
        centre = s.scalar(select(Department.id).where(Department.kind == "centre").limit(1))
    assert centre is not None
    if csv_path is None:
        csv_path = data_dir / "orders.csv"
        write_csv(csv_path, n, names)

    t0, cpu0 = time.perf_counter(), time.process_time()
    header, rows = read_table(csv_path)
    with db.transaction() as s:
        kw = {"batch_size": batch_size} if batch_size else {}
        report = import_rows(s, settings, header, rows, parse_mapping(None), "12345", centre, **kw)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0  # the importing process only (not the database server)
    assert not report.refused, [r for r in report.rows if r.status == "rejected"][:5]

    with db.transaction(write=False) as s:
        count = s.scalar(select(func.count()).select_from(Case)) or 0
        years = s.execute(
            select(Case.year, func.count(), func.min(Case.seq), func.max(Case.seq)).group_by(
                Case.year
            )
        ).all()
        open_states = sorted(x.value for x in OPEN_STATES)
        open_n = s.scalar(select(func.count()).where(Case.state.in_(open_states))) or 0
        open_without_due = s.scalar(
            select(func.count()).where(Case.state.in_(open_states), Case.due_at.is_(None))
        )
    db.dispose()
    consecutive = all(lo == 1 and hi == cnt for _, cnt, lo, hi in years)
    return {
        "database": url.split(":", 1)[0].split("+", 1)[0],
        "rows": n,
        "imported": report.imported,
        "seconds": round(seconds, 2),
        "orders_per_s": round(report.imported / seconds),
        "batch_size": batch_size or "default",
        "import_cpu_seconds": round(cpu, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "count_ok": count == n == report.imported,
        "numbers_consecutive": consecutive,
        "per_year": {str(y): cnt for y, cnt, _, _ in years},
        "open": open_n,
        "open_without_due_at": open_without_due,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--db", default="postgresql,sqlite")
    ap.add_argument("--batch-size", type=int, default=0, help="rows per batch (0: the importer's)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bancheng-bulk-import-"))
    csv_path: Path | None = None
    for which in args.db.split(","):
        if which == "postgresql":
            url, data_dir = fresh_postgres("bancheng_bench_bulk_import"), work / "pg"
            data_dir.mkdir(exist_ok=True)
        else:
            url, data_dir = fresh_sqlite()
        # Each database in its own process: settings and caches are per process.
        out = _in_subprocess(url, data_dir, csv_path, args.rows, args.batch_size)
        csv_path = csv_path or Path(out.pop("csv"))
        print(json.dumps(out, ensure_ascii=False), flush=True)


def _in_subprocess(
    url: str, data_dir: Path, csv_path: Path | None, n: int, batch_size: int
) -> dict[str, Any]:
    import subprocess

    code = (
        "import json, sys; from pathlib import Path; sys.path.insert(0, {bench!r}); "
        "import bulk_import as b; csv = {csv!r}; d = Path({data!r}); "
        "out = b.run({url!r}, d, Path(csv) if csv else None, {n}, {bs}); "
        "out['csv'] = csv or str(d / 'orders.csv'); print(json.dumps(out))"
    ).format(
        bench=str(Path(__file__).resolve().parent),
        csv=str(csv_path) if csv_path else "",
        data=str(data_dir),
        url=url,
        n=n,
        bs=batch_size,
    )
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
