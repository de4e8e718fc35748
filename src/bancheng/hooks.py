"""Everything that is registered rather than called: the session listeners, the outbox's
channels, the calendar's listeners, the request machinery's hooks and the periodic jobs.

Nothing registers itself when its module is imported. ``install()`` registers all of it,
explicitly, and is called by every entry point that writes: ``create_app`` (main.py), the
CLI's root command (cli.py: its commands, ``bancheng outbox run`` and the jobs it runs) and
the tests (tests/conftest.py, once per session). So the audit log's append-only guard and
its hash chain, the rollup's dirty-day marks and the outbox's wake-up hold on every path,
not only behind the HTTP API. It is idempotent: each registration is made once, however
often it runs (the app and the CLI in one process, a test's second app).

Like main.py, this module is a composition root: it may import every domain, and no
domain (nor ``core``) imports it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from bancheng.audit import chain as audit_chain
from bancheng.audit import service as audit_service
from bancheng.cases import lifecycle as cases_lifecycle
from bancheng.core.deps import RequestHooks, install_request_hooks
from bancheng.core.jobs import JobRegistry, registry
from bancheng.deadlines import jobs as sla_jobs
from bancheng.deadlines import service as sla_service
from bancheng.feedback import jobs as feedback_jobs
from bancheng.feedback import service as feedback_service
from bancheng.insights import jobs as insights_jobs
from bancheng.insights import marking as insights_marking
from bancheng.intake import service as intake_service
from bancheng.integrations import haochaping, hotline_results
from bancheng.notify import events as notify_events
from bancheng.notify import service as notify_service
from bancheng.org import caller
from bancheng.outbox import jobs as outbox_jobs
from bancheng.outbox import service as outbox_service
from bancheng.outbox.channels import ChannelFactory, LogChannel, register_channel
from bancheng.outbox.email import SmtpChannel
from bancheng.outbox.http import HttpChannel
from bancheng.outbox.sms import SmsChannel
from bancheng.routing import service as routing_service
from bancheng.sla.calendar import on_calendar_change
from bancheng.supervision import jobs as supervision_jobs
from bancheng.supervision import service as supervision_service

# (event, listener) on every ``Session``: the audit log's guards and seal, the outbox's
# wake-up after a commit, the rollup's dirty days after a flush.
SESSION_LISTENERS: tuple[tuple[str, Any], ...] = (
    *audit_chain.SESSION_LISTENERS,
    *outbox_service.SESSION_LISTENERS,
    *insights_marking.SESSION_LISTENERS,
)

# The outbox's ways out, delivered by the worker (``outbox.worker``).
CHANNELS: tuple[tuple[str, ChannelFactory], ...] = (
    ("log", LogChannel),
    ("email", SmtpChannel),
    ("webhook", HttpChannel),
    ("sms", SmsChannel),
)

# Each domain with periodic work has a ``jobs`` module whose ``register(jobs)`` adds its
# jobs to the registry (``core/jobs.py``).
JOB_MODULES = (sla_jobs, supervision_jobs, feedback_jobs, insights_jobs, outbox_jobs)

# The domains that take part in a lower domain's work register their part with
# ``install_hooks()``: the case lifecycle's (``bancheng.cases.hooks``), the deadlines
# recounted after a calendar import (``bancheng.deadlines.service.on_provisional_recount``).
# Imports flow one way: the lower domain never imports these.
HOOK_MODULES = (
    cases_lifecycle,
    hotline_results,
    haochaping,
    intake_service,
    notify_events,
    supervision_service,
    feedback_service,
    routing_service,
)


def register_session_listeners() -> None:
    for name, listener in SESSION_LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def register_channels() -> None:
    for name, factory in CHANNELS:
        register_channel(name, factory)
    # In-app notices are delivered inside the enqueuing transaction (a ``notices`` row).
    outbox_service.register_transactional_channel(
        notify_service.INAPP, notify_service.deliver_inapp
    )


def register_jobs(jobs: JobRegistry = registry) -> JobRegistry:
    for module in JOB_MODULES:
        module.register(jobs)
    return jobs


def install_hooks() -> None:
    for module in HOOK_MODULES:
        module.install_hooks()


def install() -> None:
    """Register every listener, channel, hook and job (idempotent)."""
    register_session_listeners()
    register_channels()
    # A loaded calendar year turns the provisional deadlines that ran through it exact.
    on_calendar_change(sla_service.recompute_after_import)
    install_request_hooks(
        RequestHooks(
            identify=caller.identify,
            after_identify=caller.after_identify,
            record_request=audit_service.record_request,
            record_denied=audit_service.record_denied,
        )
    )
    install_hooks()
    register_jobs()
