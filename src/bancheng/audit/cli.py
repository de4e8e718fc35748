"""``bancheng audit verify | export | purge``."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from bancheng.core import clock
from bancheng.core.cli import Env, pass_env
from bancheng.core.config import get_settings


@click.group("audit")
def audit_group() -> None:
    """Operation and login logs (等保): verify the hash chain, export, purge past retention."""


@audit_group.command("verify")
@pass_env
def verify_command(env: Env) -> None:
    """Recompute both logs' hash chains; exit 1 naming the first row changed or removed."""
    from bancheng.audit.chain import verify

    with env.database.transaction(write=False) as session:
        reports = verify(session)
    bad = False
    for r in reports:
        state = "ok" if r.ok else "TAMPERED"
        click.echo(
            f"{r.chain}: {state}, {r.rows} chained rows"
            + (
                f", {r.unchained_before_start} older rows before the chain"
                if r.unchained_before_start
                else ""
            )
        )
        for problem in r.problems[:20]:
            click.echo(f"  - {problem}")
        bad = bad or not r.ok
    if bad:
        sys.exit(1)


@audit_group.command("export")
@click.option("--kind", type=click.Choice(["operations", "logins"]), required=True)
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--out", "out", type=click.Path(path_type=Path), required=True)
@pass_env
def export_command(env: Env, kind: str, date_from: object, date_to: object, out: Path) -> None:
    """Write one log (Beijing dates, inclusive) as CSV with each row's chain hash."""
    from bancheng.audit.export import write_csv

    def as_date(value: object) -> date | None:
        return value.date() if value is not None else None  # type: ignore[attr-defined]

    with env.database.transaction() as session:
        n = write_csv(session, kind, as_date(date_from), as_date(date_to), out, actor="cli")
    click.echo(f"exported {n} {kind} rows to {out}")


@audit_group.command("purge")
@click.option("--yes", is_flag=True, help="Do it (without it, only say what would go).")
@pass_env
def purge_command(env: Env, yes: bool) -> None:
    """Delete log rows older than BANCHENG_AUDIT_RETENTION_DAYS (never younger ones)."""
    from bancheng.audit.chain import CHAINS, purge_expired
    from bancheng.audit.repository import count_older_than
    from bancheng.audit.service import log_operation

    settings = get_settings()
    now = clock.now()
    with env.database.transaction() as session:
        if not yes:
            from datetime import timedelta

            cutoff = now - timedelta(days=settings.audit_retention_days)
            for chain, model in CHAINS.items():
                n = count_older_than(session, model, cutoff)
                click.echo(f"{chain}: {n} rows older than {settings.audit_retention_days} days")
            click.echo("nothing deleted (add --yes)")
            return
        removed = purge_expired(session, now, settings.audit_retention_days)
        log_operation(
            session,
            actor_id=None,
            actor_name="cli",
            action="audit.purge",
            details={"retention_days": settings.audit_retention_days, **removed},
        )
    click.echo(", ".join(f"{k}: {v} rows deleted" for k, v in removed.items()))
