"""The case's channel, kind and difficulty: the keys a deadline policy is selected by.

They live here, below ``bancheng.cases`` (which re-exports them from ``cases/enums.py``),
so that sla's policies and calendar never import cases.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    window = "window"
    mobile = "mobile"
    hotline = "hotline"
    director_hotline = "director_hotline"
    transfer_12345 = "transfer_12345"
    callback = "callback"
    online = "online"


class Kind(StrEnum):
    consultation = "consultation"
    cannot_do = "cannot_do"
    complaint = "complaint"
    report = "report"
    help = "help"
    suggestion = "suggestion"


class Difficulty(StrEnum):
    immediate = "immediate"
    general = "general"
    hard = "hard"
