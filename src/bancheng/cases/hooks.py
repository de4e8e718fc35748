"""Where the domains built on cases take part in its lifecycle, without cases importing them.

Imports flow one way (docs/architecture.md, "Import rules"): feedback, routing, notify and
integrations import cases, never the other way. Where something that happens to a case
must reach one of them, cases calls through ``hooks``, and each of them registers its part
at start-up (``bancheng.hooks.install``, through the domain's ``install_hooks``):

- ``event_added``: every timeline event as ``service.add_event`` adds it, in the same
  transaction (the 12345 platform's results: ``integrations.hotline_results``);
- ``notices``: a flushed event the people concerned hear of (``service.notify_event``:
  ``notify.events.on_case_event``);
- ``created``: a case a clerk has just registered (``cases.api``: routing's automatic
  dispatch);
- ``evaluate``: the effect of the ``evaluate`` move, a rating entered at the window
  (``feedback.service.window_evaluation``);
- ``master_moved``: after a move's notices, its merged followers follow
  (``routing.merge.on_master_move``);
- ``reopened``: a case reopened, before it leaves its state
  (``routing.merge.detach_on_reopen``).

Each runs where the call used to be, so the order of the effects and their transaction
are those of the move. Reading a hook before ``install`` fails loudly: a lifecycle that
silently skipped its notices or its 12345 results would be worse than none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from bancheng.cases.models import Case, CaseEvent
from bancheng.core.config import Settings
from bancheng.core.slots import Slot
from bancheng.org.scope import Principal

if TYPE_CHECKING:
    from bancheng.cases.lifecycle import MoveContext

EventAdded = Callable[[Session, Case, CaseEvent], None]
Notice = Callable[[Session, Settings, Case, CaseEvent], None]
Created = Callable[[Session, Settings, Principal, Case], object]
MasterMoved = Callable[[Session, Settings, Principal, Case, str], None]
Reopened = Callable[[Session, Case, dict[str, Any]], None]
Effect = Callable[["MoveContext"], None]
F = TypeVar("F")


class CaseHooks:
    """The registry; ``hooks`` is the one instance. Registering the same function twice
    (the app and the CLI in one process) keeps it once."""

    def __init__(self) -> None:
        self._event_added: list[EventAdded] = []
        self._notices: list[Notice] = []
        self._created: list[Created] = []
        self._master_moved: list[MasterMoved] = []
        self._reopened: list[Reopened] = []
        self._evaluate: Slot[Effect] = Slot("cases.hooks.evaluate")

    def on_event_added(self, fn: EventAdded) -> None:
        _add(self._event_added, fn)

    def on_notice(self, fn: Notice) -> None:
        _add(self._notices, fn)

    def on_created(self, fn: Created) -> None:
        _add(self._created, fn)

    def on_master_moved(self, fn: MasterMoved) -> None:
        _add(self._master_moved, fn)

    def on_reopened(self, fn: Reopened) -> None:
        _add(self._reopened, fn)

    def set_evaluate(self, fn: Effect) -> None:
        self._evaluate.provide(fn)

    def _installed(self, fns: list[F]) -> list[F]:
        """``fns``, once ``install`` ran (it fills the lists and the slot together)."""
        self._evaluate.get()
        return fns

    def event_added(self) -> list[EventAdded]:
        return self._installed(self._event_added)

    def notices(self) -> list[Notice]:
        return self._installed(self._notices)

    def created(self) -> list[Created]:
        return self._installed(self._created)

    def master_moved(self) -> list[MasterMoved]:
        return self._installed(self._master_moved)

    def reopened(self) -> list[Reopened]:
        return self._installed(self._reopened)

    def evaluate(self) -> Effect:
        return self._evaluate.get()


def _add(fns: list[Any], fn: Any) -> None:
    if fn not in fns:
        fns.append(fn)


hooks = CaseHooks()
