"""``bancheng outbox run``: the delivery worker as its own process (any number of them)."""

from __future__ import annotations

import json
import logging
import signal
import threading

import click

from bancheng.core.cli import Env, pass_env
from bancheng.core.config import get_settings


@click.group("outbox")
def outbox_group() -> None:
    """Outward messages: SMS, e-mail, webhooks, in-app notices."""


@outbox_group.command("run")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option("--poll", type=float, default=None, help="Seconds between polls.")
@pass_env
def run(env: Env, once: bool, poll: float | None) -> None:
    """Deliver due messages until stopped (SIGTERM/SIGINT finish the batch in hand).

    The same worker as the ``outbox.deliver`` job inside ``serve``: run as many of these
    as you like beside (or instead of, with BANCHENG_OUTBOX_WORKER_IN_SERVE=false) the
    web workers; on PostgreSQL they share the rows, on SQLite one sends at a time."""
    from bancheng.outbox.worker import Deliverer, RunResult

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # httpx logs every request (with its full URL) at INFO: the delivery log has the outcome.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    deliverer = Deliverer(env.database, get_settings())
    if once:
        total = RunResult()
        try:
            while True:
                r = deliverer.drain()
                total.add(r)
                if r.claimed < deliverer.settings.outbox_batch_size:
                    break
        finally:
            deliverer.close()
        click.echo(json.dumps(total.as_dict()))
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"outbox worker {deliverer.worker} running")
    deliverer.run(stop, poll)


@outbox_group.command("status")
@pass_env
def status(env: Env) -> None:
    """Messages per state and channel."""
    from bancheng.outbox.repository import counts_by_channel_and_state

    with env.database.transaction(write=False) as s:
        rows = counts_by_channel_and_state(s)
    click.echo(json.dumps({f"{c}.{st}": n for c, st, n in rows}, sort_keys=True))
