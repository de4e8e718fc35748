"""The constructed city of cases (``world``) is shared by the insights tests."""

from tests.insights.test_metrics import world  # noqa: F401
