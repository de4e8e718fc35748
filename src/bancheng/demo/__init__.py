"""Demo data: a plausible city (云川市), its service centres, staff for every role, and a few
hundred cases in every state, written through the project's own services.

Everything that is random comes from ``random.Random(seed)``: the same seed gives the same
city, accounts, titles, reporters and paths. Only the absolute timestamps follow the day the
demo is loaded (cases spread over the last six months, open ones recent).

The tables (departments, halls, matters, staff, case templates, scenarios, wording) are
JSON files in ``data/``, read by :mod:`.data`. Three stages:

1. :func:`.plan.plan_cases` (pure, no database, no clock): which scenario each case
   follows, its template, reporter, channel and the lifecycle steps (:mod:`.steps`) with
   their delays.
2. :func:`.schedule.schedule`: turns the delays into instants inside the halls' opening
   hours on working days of the SLA calendar (``bancheng.sla``), ending before "now".
3. :func:`.loader.load_demo`: builds the organisation (:mod:`.org`), replays the cases
   through ``cases.service`` and publishes library cases (:mod:`.library`).
"""

from bancheng.demo.data import (
    CITY,
    DISTRICTS,
    MATTERS,
    REMAINDER,
    ROUTING_TARGETS,
    SCENARIOS,
    TEMPLATES,
    Template,
)
from bancheng.demo.library import LIBRARY_SIZE
from bancheng.demo.loader import demo_is_loaded, load_demo
from bancheng.demo.people import chinese_name, credit_code, id_number, mobile_number
from bancheng.demo.plan import SPAN_DAYS, Plan, plan_cases
from bancheng.demo.steps import Step

__all__ = [
    "CITY",
    "DISTRICTS",
    "LIBRARY_SIZE",
    "MATTERS",
    "REMAINDER",
    "ROUTING_TARGETS",
    "SCENARIOS",
    "SPAN_DAYS",
    "TEMPLATES",
    "Plan",
    "Step",
    "Template",
    "chinese_name",
    "credit_code",
    "demo_is_loaded",
    "id_number",
    "load_demo",
    "mobile_number",
    "plan_cases",
]
