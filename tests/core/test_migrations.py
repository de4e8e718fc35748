"""The models and the migrations describe the same schema; the baseline is one revision."""

from __future__ import annotations

import re

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from bancheng.core.migrate import MIGRATIONS, alembic_config, upgrade
from bancheng.models import metadata


def test_models_match_migrations(database):
    with database.write_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_one_baseline_and_one_naming_scheme():
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(script.walk_revisions())
    assert script.get_heads() == [revisions[0].revision]
    assert revisions[-1].revision == "0001_baseline"
    assert revisions[-1].down_revision is None
    for rev in revisions:
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+", rev.revision)
        assert rev.path == str(MIGRATIONS / "versions" / f"{rev.revision}.py")


def test_baseline_seeds_and_downgrade_drops_everything(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert tables == set(metadata.tables) | {"alembic_version"}
        seeded = {
            t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
            for t in ("audit_chain_heads", "sla_policies", "indicator_sets", "calendar_years")
        }
    assert seeded["audit_chain_heads"] == 2
    assert seeded["sla_policies"] == 3
    assert seeded["indicator_sets"] == 2
    assert seeded["calendar_years"] > 0
    command.downgrade(alembic_config(url), "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    engine.dispose()
