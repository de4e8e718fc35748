"""``bancheng ...``: serve, database, demo data, administration, and each domain's commands."""

from __future__ import annotations

import getpass
import importlib
import secrets
import sys
from pathlib import Path

import click

from bancheng.core.cli import Env, pass_env
from bancheng.core.config import get_settings
from bancheng.hooks import install

# Domains that add their own command groups: (module, attribute).
DOMAIN_GROUPS = (
    ("bancheng.audit.cli", "audit_group"),
    ("bancheng.deadlines.cli", "calendar_group"),
    ("bancheng.deadlines.cli", "sla_group"),
    ("bancheng.routing.cli", "routing_group"),
    ("bancheng.supervision.cli", "supervision_group"),
    ("bancheng.insights.cli", "insights_group"),
    ("bancheng.integrations.cli", "import_command"),
    ("bancheng.outbox.cli", "outbox_group"),
)


class DomainErrorsGroup(click.Group):
    """Shows the project's refusals (stable code and Chinese text) instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from pydantic import ValidationError
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from bancheng.core.config import Settings
        from bancheng.core.errors import DomainError

        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise click.ClickException(f"{exc.code}: {exc.detail}") from exc
        except ValidationError as exc:
            if exc.title != Settings.__name__:
                raise
            # The settings (BANCHENG_*) are refused, e.g. by BANCHENG_ENV=production.
            problems = "; ".join(
                ".".join(str(p) for p in e["loc"]) + ": " + e["msg"] if e["loc"] else e["msg"]
                for e in exc.errors()
            )
            raise click.ClickException(f"settings refused: {problems}") from exc
        except (OperationalError, ProgrammingError) as exc:
            raise click.ClickException(
                f"数据库尚未初始化或无法访问（请先运行 bancheng db upgrade）：{exc.orig}"
            ) from exc


@click.group(cls=DomainErrorsGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """办成 bancheng — the 办不成事 feedback window, end to end."""
    ctx.ensure_object(Env)  # the commands' database (tests pass their own as obj=)
    # Every command gets what the app gets: the audit log's guards, the outbox's channels,
    # the lifecycle's hooks, the jobs (``bancheng.hooks``). Registering reads no settings.
    install()


@main.command()
@click.option("--host", default=None, help="Defaults to BANCHENG_HOST (127.0.0.1).")
@click.option("--port", type=int, default=None, help="Defaults to BANCHENG_PORT (8000).")
@click.option("--workers", type=int, default=None, help="Defaults to BANCHENG_WORKERS (1).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API and the web UI."""
    import uvicorn

    from bancheng.core.observability import configure_logging

    s = get_settings()
    configure_logging(s.log_level)
    uvicorn.run(
        "bancheng.main:create_app",
        factory=True,
        host=host or s.host,
        port=port or s.port,
        workers=workers or s.workers,
        log_level=s.log_level.lower(),
        log_config=None,  # keep the JSON handlers configure_logging installed
        access_log=False,
        proxy_headers=False,
        # uvicorn kills a worker that does not answer its supervisor's ping in time. Its
        # default (5 s) kills workers that are still importing on a loaded machine, or busy
        # hashing passwords, over and over; a worker must not die mid-request for that.
        timeout_worker_healthcheck=s.worker_healthcheck_seconds,
        timeout_keep_alive=s.keep_alive_seconds,
    )


@main.command()
def openapi() -> None:
    """Print the OpenAPI document (the web console generates its API types from it)."""
    import json

    from bancheng.main import create_app

    click.echo(json.dumps(create_app().openapi(), ensure_ascii=False, indent=1))


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration (SQLite file or BANCHENG_DATABASE_URL)."""
    from bancheng.core.migrate import upgrade

    s = get_settings()
    if s.is_sqlite:
        s.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(s.resolved_database_url)
    click.echo(f"database at head: {_safe_url(s.resolved_database_url)}")


def _safe_url(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option("--cases", "n_cases", type=int, default=300, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has departments.")
@click.option("--seed", type=int, default=20261121, show_default=True)
@pass_env
def demo_load(env: Env, n_cases: int, if_empty: bool, seed: int) -> None:
    """Build a realistic city, staff accounts for every role, and cases in every state."""
    from bancheng.demo import demo_is_loaded, load_demo

    s = get_settings()
    if s.env == "production":
        raise click.ClickException("BANCHENG_ENV=production: demo data is never loaded")
    database = env.database
    with database.transaction() as session:
        if if_empty and demo_is_loaded(session):
            click.echo("demo data already present; nothing loaded")
            return
    password = s.demo_password
    generated = password is None
    if generated:
        password = "Bc-" + secrets.token_urlsafe(9)
    assert password is not None
    with database.transaction() as session:
        summary = load_demo(session, s, password=password, n_cases=n_cases, seed=seed)
    click.echo(summary)
    if generated:
        click.echo(f"demo staff password (all demo accounts): {password}")


@main.group()
def admin() -> None:
    """Administration."""


@admin.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", default="系统管理员")
@click.option("--password", default=None, help="Prompted when omitted.")
@pass_env
def admin_create(env: Env, username: str, display_name: str, password: str | None) -> None:
    """Create an administrator (also the first-run path to the first admin)."""
    from bancheng.org.service import create_first_admin

    s = get_settings()
    if password is None:
        password = getpass.getpass("password: ")
    with env.database.transaction() as session:
        user = create_first_admin(session, s, username, display_name, password)
    click.echo(f"created admin {user.username} (id {user.id})")


@admin.command("generate-keys")
@click.option("--key-id", default="k1", show_default=True, help="Id of the encryption key.")
def admin_generate_keys(key_id: str) -> None:
    """Print new random production secrets as BANCHENG_*=value lines, for the environment
    file (docs/deployment.md). Reads no settings: it works before any are configured."""
    import base64
    import os
    import re

    from bancheng.core.config import Settings, production_problems

    if not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", key_id):
        raise click.BadParameter("letters, digits, _ and - only", param_hint="--key-id")
    while True:
        values = {
            "BANCHENG_SECRET_KEY": secrets.token_urlsafe(48),
            "BANCHENG_ENCRYPTION_KEYS": f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}",
            "BANCHENG_LOOKUP_KEY": secrets.token_urlsafe(48),
            "BANCHENG_AUDIT_KEY": secrets.token_urlsafe(48),
            "BANCHENG_METRICS_TOKEN": secrets.token_urlsafe(32),
        }
        candidate = Settings.model_construct(
            secret_key=values["BANCHENG_SECRET_KEY"],
            encryption_keys=values["BANCHENG_ENCRYPTION_KEYS"],
            lookup_key=values["BANCHENG_LOOKUP_KEY"],
            demo_password=None,
            cookie_secure=None,
        )
        if not production_problems(candidate):  # (a draw this weak is all but impossible)
            break
    click.echo(
        "# bancheng secrets: keep them out of the backups and out of version control.\n"
        "# BANCHENG_LOOKUP_KEY and BANCHENG_AUDIT_KEY must never change; the encryption\n"
        "# key rotates with `bancheng admin rotate-keys` (docs/security.md)."
    )
    for name, value in values.items():
        click.echo(f"{name}={value}")


@admin.command("rotate-keys")
@pass_env
def admin_rotate_keys(env: Env) -> None:
    """Re-encrypt personal data under the first key of BANCHENG_ENCRYPTION_KEYS and the
    configured cipher (BANCHENG_FIELD_CIPHER); recompute look-up hashes (BANCHENG_LOOKUP_HASH)."""
    from bancheng.audit.service import log_operation
    from bancheng.core.crypto import get_crypto
    from bancheng.ops.key_rotation import rotate_encryption

    crypto = get_crypto()
    with env.database.transaction() as session:
        result = rotate_encryption(session)
        log_operation(
            session,
            actor_id=None,
            actor_name="cli",
            action="admin.rotate_keys",
            details={
                "key_id": crypto.active_id,
                "cipher": crypto.cipher,
                "lookup_hash": crypto.hash_algorithm,
                "reencrypted": result.reencrypted,
                "rehashed": result.rehashed,
            },
        )
    click.echo(
        f"re-encrypted {result.reencrypted} values under {crypto.active_id} ({crypto.cipher}); "
        f"recomputed {result.rehashed} look-up hashes ({crypto.hash_algorithm})"
    )


@main.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
def backup_command(dest: Path) -> None:
    """Write one consistent archive of the database and the files to DEST (a file, or a
    folder for a dated bancheng-backup-*.tar.gz)."""
    from bancheng.ops.backup import backup

    result = backup(get_settings(), dest)
    m = result.manifest
    click.echo(
        f"backup written: {result.path} ({m.database.dialect}, revision "
        f"{m.database.alembic_revision}, {len(m.files) - 1} files)"
    )


@main.command("restore")
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a target that already holds data.")
def restore_command(archive: Path, force: bool) -> None:
    """Verify ARCHIVE, restore it into the configured database and data folder, migrate."""
    from bancheng.ops.backup import restore

    result = restore(get_settings(), archive, force=force)
    m = result.manifest
    click.echo(
        f"restored backup of {m.created_at.isoformat()} ({m.database.dialect}, "
        f"{result.files} files); database at head"
    )


def _register_domain_groups() -> None:
    for module_name, attr in DOMAIN_GROUPS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        group = getattr(module, attr, None)
        if group is not None:
            main.add_command(group)


_register_domain_groups()


def _register_hot_issues() -> None:
    """`bancheng insights hot-issues` (routing's clustering) and `bancheng insights import`
    (the 12345 import, also `bancheng import`), under the insights group."""
    from bancheng.integrations.cli import import_command
    from bancheng.routing.cli import hot_issues_command

    group = main.commands.get("insights")
    if not isinstance(group, click.Group):
        group = click.Group("insights", help="Figures and findings from the ledger.")
        main.add_command(group)
    group.add_command(hot_issues_command)
    group.add_command(import_command)


_register_hot_issues()

if __name__ == "__main__":
    sys.exit(main())
