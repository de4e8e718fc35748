"""A function a lower domain calls and a higher one provides at start-up.

Imports flow one way (docs/architecture.md, "Import rules"). Where a lower domain's work
needs something only a domain above it can do (the sweep of deadlines sends notices, a
notice links to the reporter's status page), the lower one declares a ``Slot`` and calls
through it; the higher one fills it from its ``install_hooks`` (``bancheng.hooks.install``).
Calling an empty slot fails loudly instead of silently skipping the work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class Slot(Generic[F]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._fn: F | None = None

    def provide(self, fn: F) -> None:
        self._fn = fn

    def get(self) -> F:
        if self._fn is None:
            raise RuntimeError(f"{self.name} is not installed: call bancheng.hooks.install()")
        return self._fn
