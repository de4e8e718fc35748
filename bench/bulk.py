"""Fast bulk data for the benchmarks: the demo city (no cases) plus N synthetic cases
spread over its departments, a year of registrations and every state. PostgreSQL uses one
INSERT ... SELECT over generate_series; SQLite uses batched executemany."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine

from bancheng.cases.enums import BlockerType

STATES = (
    ["closed"] * 60
    + ["evaluated"] * 4
    + ["feedback_given"] * 4
    + ["resolved"] * 4
    + ["registered"] * 4
    + ["dispatched"] * 6
    + ["accepted"] * 5
    + ["in_progress"] * 9
    + ["suspended"] * 2
    + ["reopened"] * 2
)
CHANNELS = [
    "window",
    "window",
    "window",
    "hotline",
    "director_hotline",
    "transfer_12345",
    "transfer_12345",
    "online",
    "callback",
    "mobile",
]
KINDS = ["cannot_do", "cannot_do", "consultation", "complaint", "report", "help", "suggestion"]
DIFFICULTIES = ["immediate", "general", "general", "hard"]
BLOCKERS = [b.value for b in BlockerType]
TITLES = [
    "公积金提取被要求重复提交材料",
    "不动产登记办理时间过长",
    "社保转移接续卡在系统",
    "企业开办营业执照迟迟未批",
    "医保异地备案无法办理",
    "户籍迁移需要回原籍开证明",
]
OPEN = {"registered", "dispatched", "accepted", "in_progress", "suspended", "reopened"}


def prepare_org(url: str, password: str = "Bench-Passw0rd!") -> dict[str, Any]:
    """Migrate and load the demo city with its staff but no cases."""
    from bancheng.core.config import Settings
    from bancheng.core.db import Database
    from bancheng.core.migrate import upgrade
    from bancheng.demo import load_demo
    from bancheng.hooks import install
    from bancheng.org.models import Department, User

    install()  # the lifecycle's hooks, as every entry point sets them up
    upgrade(url)
    db = Database(url)
    settings = Settings(database_url=url)
    with db.transaction() as s:
        if s.scalar(select(Department.id).limit(1)) is None:
            load_demo(s, settings, password=password, n_cases=0, seed=1)
    with db.transaction(write=False) as s:
        depts = s.execute(select(Department.id, Department.kind, Department.path)).all()
        users = {u.username: (u.id, u.department_id) for u in s.scalars(select(User))}
    db.dispose()
    centres = [d for d, k, _ in depts if k == "centre"]
    return {
        "departments": [d for d, _, _ in depts],
        "centres": centres,
        "users": users,
        "paths": {d: p for d, _, p in depts},
    }


def _rows(
    n: int, org: dict[str, Any], start_id: int, now: datetime, seed: int
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    depts, centres = org["departments"], org["centres"]
    out = []
    for k in range(n):
        i = start_id + k
        state = rng.choice(STATES)
        reg = now - timedelta(seconds=rng.randint(0, 365 * 86400))
        due = reg + timedelta(days=rng.choice((1, 4, 5, 16, 17, 18)))
        origin = rng.choice(centres)
        current = rng.choice(depts) if state != "registered" else origin
        out.append(
            {
                "id": i,
                "number": f"BK-{reg.year}-{i:07d}",
                "jurisdiction": "BK",
                "year": reg.year,
                "seq": i,
                "state": state,
                "channel": rng.choice(CHANNELS),
                "kind": rng.choice(KINDS),
                "difficulty": rng.choice(DIFFICULTIES),
                "blocker_type": rng.choice(BLOCKERS),
                "title": rng.choice(TITLES),
                "description": "批量生成的压测案件描述",
                "reporter_type": "person",
                "reporter_name": "压测",
                "reporter_phone_enc": "x",
                "reporter_phone_hash": f"{i:064d}",
                "reporter_phone_masked": "138****0000",
                "first_receipt_department_id": origin,
                "current_department_id": current,
                "transfer_count": 0,
                "return_count": 0,
                "reopen_count": 0,
                "needs_supervision": False,
                "resolved_on_spot": False,
                "registered_at": reg,
                "updated_at": reg,
                "version": 1,
                "paused_seconds": 0.0,
                "extension_workdays": 0,
                "deadline_provisional": False,
                "clock_started_at": reg,
                "due_at": due,
                "due_date": due.date(),
                "yellow_at": due - timedelta(days=2),
            }
        )
    return out


OPEN_STATES = (
    ["registered"] * 4
    + ["dispatched"] * 6
    + ["accepted"] * 5
    + ["in_progress"] * 9
    + ["suspended"] * 2
    + ["reopened"] * 2
)


def build_cases(
    url: str,
    n: int,
    org: dict[str, Any],
    seed: int = 7,
    *,
    open_only: bool = False,
    days_back: int = 365,
) -> float:
    """Insert ``n`` cases (and their case_departments rows); returns seconds taken."""
    from bancheng.cases.models import Case, CaseDepartment

    engine = create_engine(url)
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    with engine.begin() as conn:
        start = (conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM cases")).scalar() or 0) + 1
    if engine.dialect.name == "postgresql":
        _build_pg(engine, n, org, start, now, OPEN_STATES if open_only else STATES, days_back)
    else:
        batch = 50_000
        for off in range(0, n, batch):
            rows = _rows(min(batch, n - off), org, start + off, now, seed + off)
            with engine.begin() as conn:
                conn.execute(Case.__table__.insert(), rows)
                links = [
                    {"case_id": r["id"], "department_id": r["first_receipt_department_id"]}
                    for r in rows
                ]
                links += [
                    {"case_id": r["id"], "department_id": r["current_department_id"]}
                    for r in rows
                    if r["current_department_id"] != r["first_receipt_department_id"]
                ]
                conn.execute(CaseDepartment.__table__.insert(), links)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - t0


def _build_pg(
    engine: Engine,
    n: int,
    org: dict[str, Any],
    start: int,
    now: datetime,
    states: list[str],
    days_back: int,
) -> None:
    params = {
        "n": n,
        "start": start,
        "now": now,
        "states": states,
        "span": days_back * 86400,
        "channels": CHANNELS,
        "kinds": KINDS,
        "diffs": DIFFICULTIES,
        "blockers": BLOCKERS,
        "titles": TITLES,
        "depts": org["departments"],
        "centres": org["centres"],
        "days": [1, 4, 5, 16, 17, 18],
    }
    sql = """
    WITH g AS (
      SELECT i,
             hashint4(i) AS h1, hashint4(i + 1000003) AS h2, hashint4(i + 2000003) AS h3
      FROM generate_series(:start, :start + :n - 1) AS i
    ), r AS (
      SELECT i, h1, h2, h3,
        (CAST(:states AS text[]))[1 + abs(h1 % cardinality(CAST(:states AS text[])))] AS state,
        :now - make_interval(secs => abs(h2 % CAST(:span AS int))) AS reg,
        (CAST(:centres AS int[]))[1 + abs(h3 % cardinality(CAST(:centres AS int[])))] AS origin,
        (CAST(:depts AS int[]))[1 + abs((h1 / 7) % cardinality(CAST(:depts AS int[])))] AS anydept,
        (CAST(:days AS int[]))[1 + abs((h2 / 11) % 6)] AS days
      FROM g
    )
    INSERT INTO cases (id, number, jurisdiction, year, seq, state, channel, kind, difficulty,
      blocker_type, title, description, reporter_type, reporter_name, reporter_phone_enc,
      reporter_phone_hash, reporter_phone_masked, first_receipt_department_id,
      current_department_id, transfer_count, return_count, reopen_count, needs_supervision,
      resolved_on_spot, registered_at, updated_at, version, paused_seconds, extension_workdays,
      deadline_provisional, clock_started_at, due_at, due_date, yellow_at)
    SELECT i, 'BK-' || extract(year FROM reg)::int || '-' || lpad(i::text, 7, '0'), 'BK',
      extract(year FROM reg)::int, i, state,
      (CAST(:channels AS text[]))[1 + abs((h3 / 13) % cardinality(CAST(:channels AS text[])))],
      (CAST(:kinds AS text[]))[1 + abs((h1 / 17) % cardinality(CAST(:kinds AS text[])))],
      (CAST(:diffs AS text[]))[1 + abs((h2 / 19) % cardinality(CAST(:diffs AS text[])))],
      (CAST(:blockers AS text[]))[1 + abs((h3 / 23) % cardinality(CAST(:blockers AS text[])))],
      (CAST(:titles AS text[]))[1 + abs((h1 / 29) % cardinality(CAST(:titles AS text[])))],
      '批量生成的压测案件描述', 'person', '压测', 'x', lpad(i::text, 64, '0'), '138****0000',
      origin, CASE WHEN state = 'registered' THEN origin ELSE anydept END,
      0, 0, 0, false, false, reg, reg, 1, 0, 0, false, reg,
      reg + make_interval(days => days), (reg + make_interval(days => days))::date,
      reg + make_interval(days => days - 2)
    FROM r
    """
    with engine.begin() as conn:
        conn.execute(text(sql), params)
        conn.execute(
            text("""
            INSERT INTO case_departments (case_id, department_id)
            SELECT id, first_receipt_department_id FROM cases WHERE id >= :start
            UNION
            SELECT id, current_department_id FROM cases WHERE id >= :start
        """),
            {"start": start},
        )
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT MAX(id) FROM cases))"
            )
        )
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
