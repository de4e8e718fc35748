"""``bancheng import`` (also ``bancheng insights import``): historical cases and 12345
work orders from .xlsx or .csv (``integrations/hotline_import.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from bancheng.core.cli import Env, pass_env
from bancheng.core.config import get_settings


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", default=None, help='JSON, a JSON file, or "field=header,..."')
@click.option("--source", default="12345", show_default=True, help="Namespace of the ids.")
@click.option("--department", "department", required=True, help="Receiving unit (code).")
@click.option("--channel", default="transfer_12345", show_default=True)
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None)
@click.option(
    "--skip-invalid",
    is_flag=True,
    default=False,
    help="Import the valid rows and report the others (default: any rejected row means "
    "nothing is imported).",
)
@click.option("--dry-run", is_flag=True, default=False, help="Validate only, write nothing.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10000),
    default=None,
    help="Rows per batch (default: the importer's, 5000).",
)
@pass_env
def import_command(
    env: Env,
    file: Path,
    mapping: str | None,
    source: str,
    department: str,
    channel: str,
    report_path: str | None,
    skip_invalid: bool,
    dry_run: bool,
    batch_size: int | None,
) -> None:
    """Import historical cases or 12345 work orders from .xlsx or .csv. All or nothing:
    with a rejected row nothing is written (exit status 1) unless --skip-invalid."""
    from bancheng.integrations.hotline_import import BATCH_SIZE, import_rows
    from bancheng.integrations.hotline_import_rows import (
        CHOICES,
        department_id_by_code,
        parse_mapping,
        read_table,
    )

    settings = get_settings()
    batch_size = batch_size or BATCH_SIZE
    if channel not in CHOICES["channel"]:
        raise click.ClickException(f"渠道不正确：{channel}")
    mapped = parse_mapping(mapping, from_file=True)
    header, rows = read_table(file)
    data = list(rows)
    bars = _Bars()
    try:
        with env.database.transaction() as session:
            dept_id = department_id_by_code(session, department)
            if dept_id is None:
                raise click.ClickException(f"部门编码不存在：{department}")
            report = import_rows(
                session,
                settings,
                header,
                data,
                mapped,
                source,
                dept_id,
                CHOICES["channel"][channel],
                bars.update,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                batch_size=batch_size,
            )
    finally:
        bars.close()
    out = report.as_dict()
    if report_path:
        Path(report_path).write_text(json.dumps(out, ensure_ascii=False, indent=1), "utf-8")
    for r in report.rows:
        if r.status not in ("imported", "valid"):
            click.echo(f"第 {r.row} 行 [{r.status}] {r.external_id or ''}: {'；'.join(r.errors)}")
    done = "可导入" if report.refused or report.dry_run else "导入"
    click.echo(
        f"共 {report.total} 行：{done} {report.imported}，重复 {report.duplicates}，"
        f"拒绝 {report.rejected}"
        + (f"；缺少列：{', '.join(report.missing_columns)}" if report.missing_columns else "")
    )
    if report.refused:
        raise click.ClickException(
            f"有 {report.rejected} 行无法导入，未导入任何数据"
            "（修改后重新导入，或用 --skip-invalid 只导入有效行）"
        )


class _Bars:
    """A progress bar on stderr per stage of the import (validation, writing)."""

    LABELS = {"validate": "校验中", "write": "写入中"}

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar: Any = None

    def update(self, stage: str, rows: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(
                length=total, label=self.LABELS.get(stage, stage), file=sys.stderr
            )
            self.bar.__enter__()
        self.bar.update(rows)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
