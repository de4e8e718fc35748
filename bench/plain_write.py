"""The database's own limit for bancheng's registration write, measured without bancheng:
the driver alone (psycopg, or sqlite3) running, per transaction, what a registration must
write at the least — take the next number from the counter row, insert the case row,
insert its timeline row, commit — from ``processes`` processes of ``threads`` connections
each, for ``seconds``.

The rows are copies of a case and an event that bancheng wrote (same width, same indexes,
same constraints), numbered in a jurisdiction of their own (``PLAIN``) so that they never
meet the real counter. ``bench/intake.py`` runs this in the same run as the HTTP scenarios
and prints each HTTP figure with its ratio to this limit.

    uv run python bench/plain_write.py URL [--seconds 10] [--processes 2] [--threads 16]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

JURISDICTION = "PLAIN"


def _templates(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A case row and an event row that bancheng wrote, without their ids."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        case = conn.execute(text("SELECT * FROM cases ORDER BY id LIMIT 1")).mappings().first()
        if case is None:
            raise RuntimeError("plain_write needs one case written by bancheng as a template")
        event = (
            conn.execute(
                text("SELECT * FROM case_events WHERE case_id = :c ORDER BY id LIMIT 1"),
                {"c": case["id"]},
            )
            .mappings()
            .first()
        )
        assert event is not None
    engine.dispose()
    c = {k: v for k, v in case.items() if k != "id"}
    e = {k: v for k, v in event.items() if k not in ("id", "case_id")}
    return c, e


def _case_row(case: dict[str, Any], year: int, seq: int) -> dict[str, Any]:
    """The template case renumbered as the ``seq``-th case of ``year``."""
    row = dict(case)
    row.update(
        jurisdiction=JURISDICTION,
        seq=seq,
        number=f"{JURISDICTION}-{year}-{seq:06d}",
        title=f"plain {seq}",
    )
    return row


def _run_threads(run: Callable[[], tuple[int, list[float]]], threads: int, out: Any) -> None:
    """Run ``run`` on ``threads`` threads at once; put (total writes, all latencies) on ``out``."""
    counts: list[int] = []
    lat: list[float] = []
    lock = threading.Lock()

    def one() -> None:
        n, mine = run()
        with lock:
            counts.append(n)
            lat.extend(mine)

    ts = [threading.Thread(target=one) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put((sum(counts), lat))


@dataclass(frozen=True)
class _Job:
    """What each worker process writes, and for how long: the template rows, its
    ``threads`` connections, ``seconds`` of writing from the wall-clock ``start_at``."""

    case: dict[str, Any]
    event: dict[str, Any]
    threads: int
    seconds: float
    start_at: float


@dataclass(frozen=True)
class _Sql:
    """The three statements of one write in a driver's placeholder style."""

    ccols: list[str]
    ecols: list[str]
    ins_case: str
    ins_event: str
    bump: str


def _sql(job: _Job, ph: str, returning: str) -> _Sql:
    """The statements with the placeholder ``ph``; ``returning`` ends the case insert."""
    ccols = list(job.case)
    ecols = list(job.event)
    return _Sql(
        ccols,
        ecols,
        f"INSERT INTO cases ({', '.join(ccols)}) VALUES ({', '.join([ph] * len(ccols))})"
        + returning,
        f"INSERT INTO case_events (case_id, {', '.join(ecols)}) "
        f"VALUES ({ph}, {', '.join([ph] * len(ecols))})",
        "UPDATE case_number_counters SET last_seq = last_seq + 1 "
        f"WHERE jurisdiction = {ph} AND year = {ph} RETURNING last_seq",
    )


def _pg_worker(dsn: str, job: _Job, out: Any) -> None:
    import psycopg
    from psycopg.types.json import Jsonb

    def adapt(v: Any) -> Any:
        return Jsonb(v) if isinstance(v, dict | list) else v

    q = _sql(job, "%s", " RETURNING id")
    case, event, seconds, start_at = job.case, job.event, job.seconds, job.start_at
    year = case["year"]

    def run() -> tuple[int, list[float]]:
        n = 0
        mine: list[float] = []
        with psycopg.connect(dsn) as conn:
            while time.time() < start_at:
                time.sleep(0.001)
            stop = time.perf_counter() + seconds
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                with conn.transaction():
                    seq = conn.execute(q.bump, (JURISDICTION, year)).fetchone()[0]  # type: ignore[index]
                    row = _case_row(case, year, seq)
                    cid = conn.execute(q.ins_case, [adapt(row[k]) for k in q.ccols]).fetchone()[0]  # type: ignore[index]
                    conn.execute(q.ins_event, [cid, *(adapt(event[k]) for k in q.ecols)])
                mine.append(time.perf_counter() - t0)
                n += 1
        return n, mine

    _run_threads(run, job.threads, out)


def _sqlite_worker(path: str, job: _Job, out: Any) -> None:
    q = _sql(job, "?", "")
    case, event, seconds, start_at = job.case, job.event, job.seconds, job.start_at
    year = case["year"]

    def adapt(v: Any) -> Any:
        return json.dumps(v) if isinstance(v, dict | list) else v

    def run() -> tuple[int, list[float]]:
        # As bancheng opens SQLite: WAL, a busy timeout, BEGIN IMMEDIATE for a writer.
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        n = 0
        mine: list[float] = []
        while time.time() < start_at:
            time.sleep(0.001)
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            try:
                seq = conn.execute(q.bump, (JURISDICTION, year)).fetchone()[0]
                row = _case_row(case, year, seq)
                cur = conn.execute(q.ins_case, [adapt(row[k]) for k in q.ccols])
                conn.execute(q.ins_event, [cur.lastrowid, *(adapt(event[k]) for k in q.ecols)])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            mine.append(time.perf_counter() - t0)
            n += 1
        conn.close()
        return n, mine

    _run_threads(run, job.threads, out)


def measure(url: str, seconds: float, processes: int, threads: int) -> dict[str, Any]:
    """Transactions per second of the plain write, with p50/p99 in milliseconds."""
    case, event = _templates(url)
    u = make_url(url)
    sqlite = u.get_backend_name() == "sqlite"
    if sqlite:
        import datetime as dt

        # sqlite3 returns the stored text; keep it as it is (no adaptation needed).
        case = {k: (v.isoformat(" ") if isinstance(v, dt.datetime) else v) for k, v in case.items()}
        target: Any = _sqlite_worker
        where: str = str(u.database)
    else:
        target = _pg_worker
        where = u.set(drivername="postgresql").render_as_string(hide_password=False)
    _ensure_counter(url, int(case["year"]))
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    # Every process connected before the clock starts.
    job = _Job(case, event, threads, seconds, start_at=time.time() + 2.0)
    procs = [ctx.Process(target=target, args=(where, job, out)) for _ in range(processes)]
    for p in procs:
        p.start()
    total = 0
    lat: list[float] = []
    for _ in procs:
        n, ls = out.get()
        total += n
        lat.extend(ls)
    for p in procs:
        p.join()
    lat.sort()
    return {
        "tx_per_s": round(total / seconds, 1),
        "p50_ms": round(lat[len(lat) // 2] * 1000, 2) if lat else 0.0,
        "p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 2) if lat else 0.0,
        "transactions": total,
        "processes": processes,
        "connections": processes * threads,
        "seconds": seconds,
    }


def _ensure_counter(url: str, year: int) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO case_number_counters (jurisdiction, year, last_seq) "
                "VALUES (:j, :y, 0) ON CONFLICT DO NOTHING"
            ),
            {"j": JURISDICTION, "y": year},
        )
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--threads", type=int, default=16)
    a = ap.parse_args()
    print(json.dumps(measure(a.url, a.seconds, a.processes, a.threads)))


if __name__ == "__main__":
    main()
