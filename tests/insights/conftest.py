"""Shared by the insights tests: the constructed city of cases (``world``) and a
database double whose units of work run inside the test's transaction."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.insights.test_metrics import world  # noqa: F401


class SessionDatabase:
    """``Database.transaction()`` on the test's session (flushed, never committed)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Any]:
        yield self.session
        self.session.flush()
