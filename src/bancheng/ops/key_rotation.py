"""Key rotation: every personal-data value of every domain re-encrypted under the active
key and cipher, every look-up hash recomputed (``bancheng admin rotate-keys``). It reads
the encrypted columns of several domains, so it lives with the operations, above them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bancheng.cases.models import Case
from bancheng.core.crypto import get_crypto
from bancheng.notify.models import WebhookSubscription
from bancheng.ops import repository
from bancheng.org.models import User
from bancheng.outbox.models import OutboxMessage


@dataclass(frozen=True)
class RotationResult:
    reencrypted: int
    rehashed: int


def rotate_encryption(session: Session, batch: int = 1000) -> RotationResult:
    """Re-encrypt every personal-data value that is not under the active key and cipher,
    and recompute every look-up hash made with another algorithm or key. Core updates by
    id: the cases' optimistic-lock versions stay as they are (nothing a user sees changed)."""
    crypto = get_crypto()
    reencrypted = rehashed = 0
    last_id = 0
    while True:
        rows = repository.case_secrets_after(session, last_id, batch)
        if not rows:
            break
        last_id = rows[-1].id
        for row in rows:
            values: dict[str, str] = {}
            phone = crypto.decrypt(row.reporter_phone_enc)
            if crypto.needs_rotation(row.reporter_phone_enc):
                values["reporter_phone_enc"] = crypto.encrypt(phone)
                reencrypted += 1
            if row.reporter_id_enc and crypto.needs_rotation(row.reporter_id_enc):
                values["reporter_id_enc"] = crypto.encrypt(crypto.decrypt(row.reporter_id_enc))
                reencrypted += 1
            digest = crypto.lookup_hash(phone)
            if digest != row.reporter_phone_hash:
                values["reporter_phone_hash"] = digest
                rehashed += 1
            if values:
                repository.update_by_id(session, Case, row.id, values)
    reencrypted += _rotate_columns(session, crypto, batch)
    session.flush()
    return RotationResult(reencrypted, rehashed)


def _encrypted_columns() -> list[tuple[Any, list[Any]]]:
    """Every other encrypted column: (model, [columns])."""
    return [
        (User, [User.phone_enc]),
        (WebhookSubscription, [WebhookSubscription.secret_enc]),
        (OutboxMessage, [OutboxMessage.recipient_enc, OutboxMessage.secret_enc]),
    ]


def _rotate_columns(session: Session, crypto: Any, batch: int) -> int:
    n = 0
    for model, columns in _encrypted_columns():
        last_id = 0
        while True:
            rows = repository.encrypted_values_after(session, model, columns, last_id, batch)
            if not rows:
                break
            last_id = rows[-1][0]
            for row in rows:
                values = {}
                for column, token in zip(columns, row[1:], strict=True):
                    if token and crypto.needs_rotation(token):
                        values[column.key] = crypto.encrypt(crypto.decrypt(token))
                if values:
                    n += len(values)
                    repository.update_by_id(session, model, row[0], values)
    return n
