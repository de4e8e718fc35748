"""The operation and login logs are append-only and hash-chained.

Append-only through the application: a session refuses to flush a change or a deletion of a
log row, and refuses ORM ``update()``/``delete()`` statements on the log tables
(``audit.append_only``). The only exception is ``purge_expired`` (rows older than the
retention, ``BANCHENG_AUDIT_RETENTION_DAYS``), which moves the chain's anchor forward.

Hash chain: when a transaction commits, its new log rows are sealed in order. Each row gets
the next gapless ``chain_seq`` of its log, the previous row's hash and its own keyed hash
(HMAC-SHA256, or HMAC-SM3 with ``BANCHENG_LOOKUP_HASH=hmac-sm3``; the algorithm is written
in front of each hash) over its canonical content and the previous hash. The head row
(``audit_chain_heads``) is locked only for that moment at commit. ``bancheng audit verify``
recomputes everything and names the first row changed, removed or slipped in. The key is
``BANCHENG_AUDIT_KEY`` (derived from the secret key when unset): without it a row cannot be
rewritten with a matching hash, so keep it, like the secret key, off the database server.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session, attributes

from bancheng.audit.models import AuditChainHead, LoginLog, OperationLog
from bancheng.core.config import Settings, get_settings
from bancheng.core.crypto import hmac_sm3
from bancheng.core.db import insert_now
from bancheng.core.errors import Conflict

LogRow = OperationLog | LoginLog
CHAINS: dict[str, Any] = {
    "operations": OperationLog,
    "logins": LoginLog,
}
_CHAIN_OF = {OperationLog: "operations", LoginLog: "logins"}
_TABLES = (OperationLog.__table__, LoginLog.__table__)
_SEAL_COLUMNS = {"chain_seq", "prev_hash", "row_hash"}
_PENDING = "bancheng_audit_unsealed"
_PURGING = "bancheng_audit_purging"


class AppendOnly(Conflict, code="audit.append_only"): ...


def _refuse() -> AppendOnly:
    return AppendOnly("audit.append_only", "操作日志和登录日志只能追加，不能修改或删除")


def _key(settings: Settings) -> bytes:
    secret = settings.audit_key or settings.secret_key
    return hashlib.sha256(f"bancheng:audit-chain:{secret}".encode()).digest()


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(row: LogRow, seq: int) -> bytes:
    if isinstance(row, OperationLog):
        content: list[Any] = [
            "operations",
            seq,
            _iso(row.at),
            row.actor_id,
            row.actor_name,
            row.action,
            row.object_type,
            row.object_id,
            row.outcome,
            row.ip,
            row.details or {},
        ]
    else:
        content = [
            "logins",
            seq,
            _iso(row.at),
            row.username,
            row.user_id,
            bool(row.success),
            row.reason,
            row.ip,
            row.user_agent,
        ]
    return json.dumps(
        content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    ).encode()


def row_hash(key: bytes, algorithm: str, prev: str, body: bytes) -> str:
    data = prev.encode() + b"\n" + body
    if algorithm == "sm3":
        return "sm3:" + hmac_sm3(key, data).hex()
    return "sha256:" + hmac.new(key, data, hashlib.sha256).hexdigest()


def _algorithm(settings: Settings) -> str:
    return "sm3" if settings.lookup_hash == "hmac-sm3" else "sha256"


# --- sealing at commit -----------------------------------------------------------------


def _track(session: Session, objs: Any) -> None:
    pending: list[LogRow] = session.info.setdefault(_PENDING, [])
    for obj in objs:
        fresh = isinstance(obj, OperationLog | LoginLog) and obj.row_hash is None
        if fresh and not any(o is obj for o in pending):
            pending.append(obj)


def _head(session: Session, chain: str) -> AuditChainHead:
    head = session.scalar(
        select(AuditChainHead).where(AuditChainHead.chain == chain).with_for_update()
    )
    if head is None:
        head = AuditChainHead(chain=chain, last_seq=0, last_hash="", anchor_seq=0, anchor_hash="")
        session.add(head)
    return head


def seal(session: Session, settings: Settings | None = None) -> int:
    """Give this transaction's new log rows their place in the chain (called at commit)."""
    _track(session, list(session.new))
    pending: list[LogRow] = session.info.get(_PENDING, [])
    rows = [r for r in pending if r in session and r.row_hash is None]
    session.info[_PENDING] = []
    if not rows:
        return 0
    settings = settings or get_settings()
    key, algorithm = _key(settings), _algorithm(settings)
    with session.no_autoflush:
        for chain in ("operations", "logins"):
            mine = [r for r in rows if _CHAIN_OF[type(r)] == chain]
            if not mine:
                continue
            held = _lock_head(session, chain)
            seq, last_hash = held or (0, "")
            unflushed = session.new if len(mine) <= _WRITE_NOW_AT_MOST else ()
            for row in mine:
                seq += 1
                row.chain_seq = seq
                row.prev_hash = last_hash
                row.row_hash = last_hash = row_hash(key, algorithm, last_hash, canonical(row, seq))
                if row in unflushed:  # sealed before its INSERT: write it now, not at the flush
                    insert_now(session, row)
            _move_head(session, chain, seq, last_hash, new=held is None)
    return len(rows)


# A request's one or two log rows are written by ``seal`` itself (one INSERT each, no unit
# of work); a transaction with more leaves them to the commit's flush (one batch).
_WRITE_NOW_AT_MOST = 4

# Every commit that writes a log row seals it: the head's lock and move are two Core
# statements on the session's connection (no ORM object, no unit of work).
_HEADS: Any = AuditChainHead.__table__


# The seal's statements on the chain head, built once (each execution binds its values).
_HEAD_FOR_UPDATE = (
    select(_HEADS.c.last_seq, _HEADS.c.last_hash)
    .where(_HEADS.c.chain == bindparam("b_chain"))
    .with_for_update()
)
_HEAD_MOVE = (
    update(_HEADS)
    .where(_HEADS.c.chain == bindparam("b_chain"))
    .values(last_seq=bindparam("b_seq"), last_hash=bindparam("b_hash"))
)


def _lock_head(session: Session, chain: str) -> tuple[int, str] | None:
    """The chain's last position and hash, its head row locked to the commit (None: the
    chain has no head yet)."""
    row = session.connection().execute(_HEAD_FOR_UPDATE, {"b_chain": chain}).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def _move_head(session: Session, chain: str, seq: int, digest: str, *, new: bool) -> None:
    conn = session.connection()
    if new:
        conn.execute(
            insert(_HEADS).values(
                chain=chain, last_seq=seq, last_hash=digest, anchor_seq=0, anchor_hash=""
            )
        )
    else:
        conn.execute(_HEAD_MOVE, {"b_chain": chain, "b_seq": seq, "b_hash": digest})


def guard_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    if any(isinstance(o, OperationLog | LoginLog) for o in session.deleted):
        raise _refuse()
    for obj in session.dirty:
        if not isinstance(obj, OperationLog | LoginLog):
            continue
        state = attributes.instance_state(obj)
        for attr in state.mapper.column_attrs:
            hist = state.attrs[attr.key].history
            if not hist.has_changes():
                continue
            if attr.key not in _SEAL_COLUMNS or any(v is not None for v in hist.deleted):
                raise _refuse()
    _track(session, list(session.new))


def seal_on_commit(session: Session) -> None:
    seal(session)


def forget_unsealed(session: Session, _previous: Any) -> None:
    session.info[_PENDING] = []


def guard_statements(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    table = getattr(state.statement, "table", None)
    if (mapper is not None and mapper.class_ in _CHAIN_OF) or table in _TABLES:
        if state.is_delete and state.session.info.get(_PURGING):
            return
        raise _refuse()


# Every session's listeners, registered by ``bancheng.hooks.install`` (not at import): the
# guards hold on every path that writes, the app's, the CLI's and the jobs'.
SESSION_LISTENERS = (
    ("before_flush", guard_flush),
    ("before_commit", seal_on_commit),
    ("after_soft_rollback", forget_unsealed),
    ("do_orm_execute", guard_statements),
)


# --- verification ----------------------------------------------------------------------


@dataclass
class ChainReport:
    chain: str
    rows: int = 0
    unchained_before_start: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    session: Session, settings: Settings | None = None, batch: int = 2000
) -> list[ChainReport]:
    settings = settings or get_settings()
    key = _key(settings)
    reports = []
    for chain, model in CHAINS.items():
        report = ChainReport(chain)
        head = session.get(AuditChainHead, chain)
        anchor_seq = head.anchor_seq if head else 0
        expected_prev = head.anchor_hash if head else ""
        expected_seq = anchor_seq + 1
        first_chained_id = session.scalar(
            select(func.min(model.id)).where(model.chain_seq.is_not(None))
        )
        unchained = select(func.count()).select_from(model).where(model.chain_seq.is_(None))
        if first_chained_id is None:
            report.unchained_before_start = session.scalar(unchained) or 0
        else:
            report.unchained_before_start = (
                session.scalar(unchained.where(model.id < first_chained_id)) or 0
            )
            slipped = session.scalars(
                select(model.id)
                .where(model.chain_seq.is_(None), model.id > first_chained_id)
                .order_by(model.id)
                .limit(1)
            ).first()
            if slipped is not None:
                report.problems.append(f"row id {slipped} was added outside the application")
        last = anchor_seq
        while True:
            rows: Sequence[LogRow] = session.scalars(
                select(model)  # type: ignore[arg-type]
                .where(model.chain_seq.is_not(None), model.chain_seq > last)
                .order_by(model.chain_seq)
                .limit(batch)
            ).all()
            if not rows:
                break
            for row in rows:
                seq = int(row.chain_seq or 0)
                report.rows += 1
                if seq != expected_seq:
                    report.problems.append(
                        f"rows {expected_seq}..{seq - 1} are missing (before row id {row.id})"
                    )
                if row.prev_hash != expected_prev:
                    report.problems.append(f"row id {row.id} (#{seq}) does not link to #{seq - 1}")
                stored = row.row_hash or ""
                algorithm = stored.split(":", 1)[0]
                if row_hash(key, algorithm, row.prev_hash or "", canonical(row, seq)) != stored:
                    report.problems.append(f"row id {row.id} (#{seq}) was changed")
                expected_prev, expected_seq = stored, seq + 1
                last = seq
            session.expunge_all()
        if head is not None and (head.last_seq != last or head.last_hash != expected_prev):
            report.problems.append(
                f"the chain ends at #{last} but its head says #{head.last_seq}: "
                "rows were removed from the end"
            )
        reports.append(report)
    return reports


# --- retention -------------------------------------------------------------------------


def purge_expired(session: Session, now: datetime, retention_days: int) -> dict[str, int]:
    """Delete chained rows older than the retention, oldest first, and move each chain's
    anchor to the last one deleted, so that what remains still verifies."""
    from datetime import timedelta

    cutoff = now - timedelta(days=retention_days)
    removed: dict[str, int] = {}
    session.info[_PURGING] = True
    try:
        for chain, model in CHAINS.items():
            head = _head(session, chain)
            # The longest run from the start whose rows are all past the retention.
            young = session.scalar(
                select(func.min(model.chain_seq)).where(
                    model.chain_seq.is_not(None), model.at >= cutoff
                )
            )
            bound = select(model.chain_seq, model.row_hash).where(
                model.chain_seq.is_not(None), model.at < cutoff
            )
            if young is not None:
                bound = bound.where(model.chain_seq < young)
            last = session.execute(bound.order_by(model.chain_seq.desc()).limit(1)).first()
            if last is None:
                removed[chain] = 0
                continue
            seq, digest = int(last[0]), str(last[1])
            result = session.execute(
                model.__table__.delete().where(  # type: ignore[attr-defined]
                    (model.chain_seq <= seq) | (model.chain_seq.is_(None) & (model.at < cutoff))
                )
            )
            head.anchor_seq, head.anchor_hash = seq, digest
            removed[chain] = int(getattr(result, "rowcount", 0) or 0)
        session.flush()
    finally:
        session.info.pop(_PURGING, None)
    return removed
