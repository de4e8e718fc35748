"""Shared by the insights tests: the constructed city of cases (``world``)."""

from tests.insights.test_metrics import world  # noqa: F401
