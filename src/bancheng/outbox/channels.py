"""Channel adapters: one small interface, one adapter per way out.

An adapter gets an :class:`Outgoing` (the row with its secrets decrypted for this one
send) and either returns a :class:`Delivered` or raises :class:`DeliveryError`
(``permanent=True`` when retrying cannot help: a refused address, a bad template code).
Adapters never touch the database; the worker records what happened.

A domain (or a deployment) adds a channel with :func:`register_channel`; the built-in ones
(log, email, webhook, sms) are registered by ``bancheng.hooks.install``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bancheng.core.config import Settings

log = logging.getLogger("bancheng.outbox")


@dataclass
class Outgoing:
    id: int
    channel: str
    kind: str
    idempotency_key: str
    recipient: str  # decrypted when the row keeps it encrypted
    recipient_masked: str
    subject: str | None
    payload: dict[str, Any]
    secrets: dict[str, Any] = field(default_factory=dict)
    attempt: int = 1

    def text(self, key: str = "text", mask_secrets: bool = False) -> str:
        """The payload's template text with ``{name}`` filled from params and secrets."""
        return render(
            str(self.payload.get(key) or ""),
            self.payload.get("params") or {},
            {k: "***" for k in self.secrets} if mask_secrets else self.secrets,
        )


@dataclass
class Delivered:
    ref: str | None = None  # the provider's message id, the HTTP status, ...
    status: str | None = None


class DeliveryError(Exception):
    def __init__(self, message: str, status: str | None = None, permanent: bool = False):
        super().__init__(message)
        self.status = status
        self.permanent = permanent


class Channel(Protocol):
    def send(self, msg: Outgoing) -> Delivered: ...


ChannelFactory = Callable[[Settings], Channel]
_FACTORIES: dict[str, ChannelFactory] = {}
_lock = threading.Lock()


def register_channel(name: str, factory: ChannelFactory) -> None:
    """Make ``name`` deliverable: ``factory(settings)`` builds the adapter (once per
    worker). Registering a name again replaces it (tests point a channel at a sink)."""
    with _lock:
        _FACTORIES[name] = factory


def factory_of(name: str) -> ChannelFactory | None:
    return _FACTORIES.get(name)


def build_channel(name: str, settings: Settings) -> Channel:
    factory = _FACTORIES.get(name)
    if factory is None:
        raise DeliveryError(f"no channel named {name!r}", permanent=True)
    return factory(settings)


_VAR = re.compile(r"\{(\w+)\}")


def render(template: str, params: dict[str, Any], secrets: dict[str, Any] | None = None) -> str:
    """``{name}`` → the value; unknown names stay as written (an admin's typo shows)."""
    values = {**params, **(secrets or {})}

    def sub(m: re.Match[str]) -> str:
        v = values.get(m.group(1))
        if v is None:
            return m.group(0)
        if isinstance(v, list | tuple):
            return "、".join(str(x) for x in v)
        return str(v)

    return _VAR.sub(sub, template)


# --- log ---------------------------------------------------------------------------------


class LogChannel:
    """Development: the message goes to the log (recipient masked) and the deliveries
    page. Secrets (private links) are shown only in development."""

    def __init__(self, settings: Settings) -> None:
        self.reveal = settings.env == "development"

    def send(self, msg: Outgoing) -> Delivered:
        body = msg.text(mask_secrets=not self.reveal) or str(msg.payload.get("body", ""))
        log.info("[%s → %s] %s %s", msg.kind, msg.recipient_masked or "-", msg.subject or "", body)
        return Delivered(ref=f"log:{msg.id}", status="logged")
