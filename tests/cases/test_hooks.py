"""The lifecycle's hooks (``cases.hooks``): what the domains built on cases register, once."""

from __future__ import annotations

import pytest

from bancheng.cases.hooks import CaseHooks, hooks
from bancheng.feedback.service import window_evaluation
from bancheng.hooks import install
from bancheng.integrations.hotline_results import on_event_added
from bancheng.notify.events import on_case_event
from bancheng.routing.merge import detach_on_reopen, on_master_move
from bancheng.routing.service import auto_dispatch


def test_install_registers_each_domain_once() -> None:
    install()
    install()  # the app and the CLI in one process
    assert hooks.event_added() == [on_event_added]
    assert hooks.notices() == [on_case_event]
    assert hooks.created() == [auto_dispatch]
    assert hooks.master_moved() == [on_master_move]
    assert hooks.reopened() == [detach_on_reopen]
    assert hooks.evaluate() is window_evaluation


def test_hooks_refuse_to_run_before_install() -> None:
    fresh = CaseHooks()
    fresh.on_notice(on_case_event)
    reads = (fresh.event_added, fresh.notices, fresh.created, fresh.master_moved, fresh.reopened)
    for read in reads:
        with pytest.raises(RuntimeError, match="not installed"):
            read()
    with pytest.raises(RuntimeError, match="not installed"):
        fresh.evaluate()
