"""Outbox delivery benchmark: queued messages, real sinks, worker processes, a kill -9.

    uv run python bench/outbox.py [--messages 10000] [--workers 2] [--kill]
                                  [--kill-at 0.3] [--database-url postgresql+psycopg://...]

``--messages`` rows are committed to the outbox (half e-mail, half signed webhooks) of a
fresh database — an SQLite file by default; with ``--database-url`` a database of its own
(``--pg-db``, default ``bench_outbox``, dropped and created again) on that PostgreSQL
server. Then ``--workers`` processes of ``bancheng outbox run`` (the real CLI, lease
``--lease`` seconds) deliver them to a local SMTP server (aiosmtpd) and a local HTTP sink
in this process, which record every idempotency key they receive: the SMTP Message-ID
(derived from the key) and the ``webhook-id`` header, whose signature is checked.

With ``--kill``, once ``--kill-at`` of the messages have arrived, one worker process is
killed with SIGKILL in the middle of its batch: the one that holds the SQLite sender
lease, or the first on PostgreSQL. Its claimed rows stay ``sending`` until their lease
runs out; then the other worker takes them (on SQLite once the 30-second sender lease
has also run out).

Prints one JSON line: messages/s (from the first to the last message received, and
including the workers' start-up), and

* ``lost``: committed but never received by a sink (expected 0),
* ``redelivered``: receipts beyond the first of a key (raw re-deliveries), and
  ``duplicate_keys``: distinct keys received more than once. Delivery is at least once:
  a worker killed after the sink accepted a message but before ``sent`` was committed
  leaves that row to be sent again after its lease; a receiver drops it by its key. So
  a kill may cost up to one re-delivery per message in the killed worker's hands (one at
  a time: it sends sequentially); without a kill both must be 0,
* ``not_sent``: rows whose state is not ``sent`` at the end (expected 0), and
  ``sent_attempts_ok``: recorded successful attempts (exactly one per message).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import env_for, free_port, fresh_postgres, fresh_sqlite

SECRET = "whsec_" + "YmVuY2gtb3V0Ym94LXNpZ25pbmctc2VjcmV0LTAwMQ=="
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


class Sinks:
    """An SMTP server and an HTTP server that count what they receive, by key."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        from bancheng.outbox.http import verify

        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()
        self.first: float | None = None
        self.last: float | None = None
        self.bad_signatures = 0
        self.by_message_id: dict[str, str] = {}  # Message-ID → idempotency key
        sinks = self

        class Smtp:
            async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
                m = MESSAGE_ID.search(envelope.content)
                mid = m.group(1).decode() if m else "?"
                sinks.got(sinks.by_message_id.get(mid, f"unknown-mail:{mid}"))
                return "250 OK"

        class Http(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the worker's client expects

            def do_POST(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n)
                headers = {k.lower(): v for k, v in self.headers.items()}
                if not verify(SECRET, headers, body):
                    with sinks.lock:
                        sinks.bad_signatures += 1
                sinks.got(headers.get("webhook-id", "?"))
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_a: Any) -> None:
                pass

        self.smtp_port = free_port()
        self.smtp = Controller(Smtp(), hostname="127.0.0.1", port=self.smtp_port)
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Http)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/hook"
        self.http_thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def got(self, key: str) -> None:
        now = time.perf_counter()
        with self.lock:
            self.received[key] += 1
            self.first = self.first or now
            self.last = now

    def count(self) -> int:
        with self.lock:
            return sum(self.received.values())

    def start(self) -> None:
        self.smtp.start()
        self.http_thread.start()

    def stop(self) -> None:
        self.smtp.stop()
        self.http.shutdown()
        self.http.server_close()


def enqueue_all(n: int, sinks: Sinks) -> list[str]:
    from bancheng.core.db import get_database
    from bancheng.outbox.email import message_id
    from bancheng.outbox.service import enqueue

    keys = []
    db = get_database()
    for start in range(0, n, 1000):
        with db.transaction() as s:
            for i in range(start, min(n, start + 1000)):
                key = f"bench:{i:06d}"
                if i % 2 == 0:
                    enqueue(
                        s,
                        channel="email",
                        kind="bench.email",
                        idempotency_key=key,
                        recipient=f"clerk{i % 97}@bench.example",
                        recipient_masked=f"clerk{i % 97}@bench.example",
                        subject="压测：{number}",
                        payload={
                            "subject": "压测：{number}",
                            "text": "案件{number}将于{deadline}到期，请抓紧办理。",
                            "params": {"number": f"BC-2026-{i:06d}", "deadline": "2026-12-31"},
                        },
                    )
                    sinks.by_message_id[message_id(key, "bench.example")] = key
                else:
                    enqueue(
                        s,
                        channel="webhook",
                        kind="webhook.case.state_changed",
                        idempotency_key=key,
                        recipient=sinks.url,
                        recipient_masked=sinks.url,
                        payload={
                            "body": {"version": 1, "id": key, "type": "case.state_changed"},
                            "webhook_id": key,
                        },
                        secrets={"signing_secret": SECRET},
                    )
                keys.append(key)
    return keys


def states() -> dict[str, int]:
    from sqlalchemy import func, select

    from bancheng.core.db import get_database
    from bancheng.outbox.models import OutboxMessage

    with get_database().transaction(write=False) as s:
        rows = s.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
    return {str(st): int(c) for st, c in rows}


def sender_pid() -> int | None:
    """The pid in the worker id that holds the SQLite sender lease."""
    from bancheng.core.db import get_database
    from bancheng.outbox.models import OutboxLease

    with get_database().transaction(write=False) as s:
        lease = s.get(OutboxLease, "sender")
        holder = lease.holder if lease else None
    try:
        return int(holder.split(":")[1]) if holder else None
    except (IndexError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill", action="store_true", help="kill -9 one worker mid-run")
    parser.add_argument("--kill-at", type=float, default=0.3, help="fraction received")
    parser.add_argument("--lease", type=float, default=10.0, help="claim lease, seconds")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite file)")
    parser.add_argument("--pg-db", default="bench_outbox")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()

    url, data_dir = fresh_sqlite()
    if args.database_url:
        url = fresh_postgres(args.pg_db, args.database_url)
    sinks = Sinks()
    env = env_for(url, data_dir)
    env.update(
        {
            "BANCHENG_SMTP_HOST": "127.0.0.1",
            "BANCHENG_SMTP_PORT": str(sinks.smtp_port),
            "BANCHENG_SMTP_FROM": "bancheng@bench.example",
            "BANCHENG_OUTBOX_ALLOW_PRIVATE_TARGETS": "true",
            "BANCHENG_OUTBOX_LEASE_SECONDS": str(args.lease),
            "BANCHENG_OUTBOX_BATCH_SIZE": str(args.batch),
            "BANCHENG_OUTBOX_BACKOFF_SECONDS": "1",
            "BANCHENG_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.update(env)
    from bancheng.core.migrate import upgrade

    upgrade(url)
    sinks.start()
    t0 = time.perf_counter()
    keys = enqueue_all(args.messages, sinks)
    enqueue_s = time.perf_counter() - t0

    logs = [(data_dir / f"worker{i}.log").open("wb") for i in range(args.workers)]
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bancheng.cli", "outbox", "run", "--poll", "0.2"],
            env=env,
            stdout=logs[i],
            stderr=logs[i],
        )
        for i in range(args.workers)
    ]
    killed: dict[str, Any] | None = None
    deadline = started + args.timeout
    final: dict[str, int] = {}
    checked = 0.0
    try:
        while time.perf_counter() < deadline:
            time.sleep(0.05)
            got = sinks.count()
            if args.kill and killed is None and got >= args.kill_at * args.messages:
                pid = sender_pid() if url.startswith("sqlite") else None
                victim = next((p for p in procs if p.pid == pid), procs[0])
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                killed = {
                    "pid": victim.pid,
                    "after_received": got,
                    "at_s": round(time.perf_counter() - started, 2),
                }
            # Counting the rows costs the workers' CPU: once a second, or when all arrived.
            if got < args.messages and time.perf_counter() - checked < 1.0:
                continue
            checked = time.perf_counter()
            final = states()
            if final.get("sent", 0) + final.get("dead", 0) >= args.messages:
                break
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in logs:
            f.close()
    done = time.perf_counter()
    time.sleep(0.2)  # the sinks' last replies
    sinks.stop()

    from sqlalchemy import func, select

    from bancheng.core.db import get_database
    from bancheng.outbox.models import OutboxAttempt

    with get_database().transaction(write=False) as s:
        ok_attempts = int(
            s.scalar(select(func.count()).select_from(OutboxAttempt).where(OutboxAttempt.ok)) or 0
        )
        workers_used = int(
            s.scalar(
                select(func.count(func.distinct(OutboxAttempt.worker))).where(OutboxAttempt.ok)
            )
            or 0
        )
    received = sinks.received
    committed = set(keys)
    lost = sorted(committed - set(received))
    span = (sinks.last or done) - (sinks.first or started)
    out = {
        "bench": "outbox",
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "messages": args.messages,
        "workers": args.workers,
        "batch": args.batch,
        "lease_s": args.lease,
        "enqueue_s": round(enqueue_s, 2),
        "delivery_s": round(span, 2),
        "messages_per_s": round(args.messages / span, 1) if span > 0 else None,
        "wall_s_with_startup": round(done - started, 2),
        "messages_per_s_with_startup": round(args.messages / (done - started), 1),
        "received": sum(received.values()),
        "lost": len(lost),
        "lost_sample": lost[:5],
        "redelivered": sum(c - 1 for c in received.values() if c > 1),
        "duplicate_keys": sum(1 for c in received.values() if c > 1),
        "duplicate_sample": sorted(k for k, c in received.items() if c > 1)[:5],
        "unknown_keys": sorted(k for k in received if k not in committed)[:5],
        "bad_signatures": sinks.bad_signatures,
        "states": final,
        "not_sent": args.messages - final.get("sent", 0),
        "sent_attempts_ok": ok_attempts,
        "workers_that_sent": workers_used,
        "killed": killed,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "worker_logs": str(data_dir),
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
