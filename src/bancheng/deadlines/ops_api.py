"""Deadline operations: sweep now, recompute open cases, and the calendar coverage warning."""

from __future__ import annotations

from bancheng.core.config import get_settings
from bancheng.core.deps import DB, api_router, require
from bancheng.core.jobs import run_job
from bancheng.deadlines.jobs import SWEEP
from bancheng.deadlines.service import recompute_open, recompute_provisional
from bancheng.org.scope import Principal
from bancheng.sla.calendar import missing_years
from bancheng.sla.schemas import (
    RecomputeOut,
    StatusOut,
    SweepOut,
)

router = api_router(prefix="/api/v1/sla", tags=["sla"])


@router.post("/sweep", response_model=SweepOut)
def run_sweep(session: DB, _: Principal = require("sla.sweep")) -> SweepOut:
    """Sweep now, through the job registry's lock: a sweep under way elsewhere is waited
    for, then this one records what is left."""
    outcome = run_job(session, SWEEP, get_settings(), force=True, wait=True)
    return SweepOut(**outcome.result)


@router.post("/recompute", response_model=RecomputeOut)
def run_recompute(
    session: DB, provisional_only: bool = False, _: Principal = require("sla.recompute")
) -> RecomputeOut:
    """Apply the current policies and calendar to every open case; with
    ``provisional_only``, to every provisional working-day deadline (cases, extensions,
    orders, meeting decisions, rectifications). ``changed`` counts them all."""
    if provisional_only:
        return RecomputeOut(changed=sum(recompute_provisional(session).values()))
    return RecomputeOut(changed=recompute_open(session))


@router.get("/status", response_model=StatusOut)
def status(session: DB, _: Principal = require("calendar.read")) -> StatusOut:
    years = missing_years(session)
    warning = None
    if years:
        warning = (
            f"{'、'.join(str(y) for y in years)}年的节假日安排尚未导入，"
            "跨入该年的期限按周一至周五暂定计算，请尽快导入国务院办公厅通知。"
        )
    return StatusOut(missing_years=years, warning=warning)
