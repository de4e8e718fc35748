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

COLUMNS: dict[str, list[str]] = {
    "operations": [
        "id", "chain_seq", "at", "actor_id", "actor_name", "action", "object_type",
        "object_id", "outcome", "ip", "details", "row_hash",
    ],
    "logins": [
        "id", "chain_seq", "at", "username", "user_id", "success", "reason", "ip",
        "user_agent", "row_hash",
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
        yield [_cell(getattr(row, c)) for c in COLUMNS[kind]]


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
        w.writerow(COLUMNS[kind])
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
