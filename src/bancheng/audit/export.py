"""Exporting the operation and login logs as CSV (UTF-8 with BOM, opens in Excel and WPS),
Beijing time, each row with its place in the hash chain. Every export is itself logged."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bancheng.audit import repository
from bancheng.audit.models import LoginLog, OperationLog
from bancheng.audit.service import log_operation
from bancheng.core.clock import SHANGHAI

# Each log's columns: (field, Chinese header). Values stay as stored, so that ``row_hash``
# can be recomputed from the file; the header row is for the people who read it.
FIELDS: dict[str, list[tuple[str, str]]] = {
    "operations": [
        ("id", "编号"), ("chain_seq", "链序号"), ("at", "时间（北京时间）"),
        ("actor_id", "操作人编号"), ("actor_name", "操作人"), ("action", "操作代码"),
        ("object_type", "对象类型"), ("object_id", "对象编号"), ("outcome", "结果"),
        ("ip", "IP 地址"), ("details", "详情"), ("row_hash", "行哈希"),
    ],
    "logins": [
        ("id", "编号"), ("chain_seq", "链序号"), ("at", "时间（北京时间）"),
        ("username", "用户名"), ("user_id", "用户编号"), ("success", "是否成功"),
        ("reason", "失败原因代码"), ("ip", "IP 地址"), ("user_agent", "浏览器标识"),
        ("row_hash", "行哈希"),
    ],
}  # fmt: skip
MODELS: dict[str, Any] = {"operations": OperationLog, "logins": LoginLog}


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat(timespec="seconds")
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet must not run it as a formula
    return value


def rows(
    session: Session, kind: str, date_from: date | None, date_to: date | None
) -> Iterator[list[Any]]:
    for row in repository.all_between(session, MODELS[kind], date_from, date_to):
        yield [_cell(getattr(row, field)) for field, _ in FIELDS[kind]]


def write_csv(
    session: Session,
    kind: str,
    date_from: date | None,
    date_to: date | None,
    out: Path,
    *,
    actor: str,
    actor_id: int | None = None,
    ip: str | None = None,
) -> int:
    n = 0
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([header for _, header in FIELDS[kind]])
        for r in rows(session, kind, date_from, date_to):
            w.writerow(r)
            n += 1
    log_operation(
        session,
        actor_id=actor_id,
        actor_name=actor,
        action="audit.export",
        object_type=kind,
        ip=ip,
        details={
            "rows": n,
            "date_from": date_from.isoformat() if date_from else None,
            "date_to": date_to.isoformat() if date_to else None,
        },
    )
    return n


def temp_csv(
    session: Session,
    kind: str,
    date_from: date | None,
    date_to: date | None,
    *,
    actor: str,
    actor_id: int | None,
    ip: str | None,
) -> tuple[str, int]:
    fd, name = tempfile.mkstemp(prefix="bancheng-audit-", suffix=".csv")
    os.close(fd)
    try:
        n = write_csv(
            session, kind, date_from, date_to, Path(name), actor=actor, actor_id=actor_id, ip=ip
        )
    except BaseException:
        os.unlink(name)
        raise
    return name, n
