"""The model registry: every module that declares tables, so that ``metadata`` knows all of
them (Alembic's autogenerate and migration check, the tests). Importing a models module
declares its tables on ``Base.metadata``; ``MODEL_MODULES`` names each one explicitly and
``metadata`` is their common metadata."""

from types import ModuleType

from bancheng.audit import models as audit_models
from bancheng.cases import models as cases_models
from bancheng.core import cache as core_cache
from bancheng.core import jobs as core_jobs
from bancheng.core import ratelimit as core_ratelimit
from bancheng.core.db import Base
from bancheng.dispatch import models as dispatch_models
from bancheng.feedback import models as feedback_models
from bancheng.insights import models as insights_models
from bancheng.intake import models as intake_models
from bancheng.integrations import models as integrations_models
from bancheng.knowledge import models as knowledge_models
from bancheng.notify import models as notify_models
from bancheng.org import models as org_models
from bancheng.outbox import models as outbox_models
from bancheng.routing import models as routing_models
from bancheng.sla import models as sla_models
from bancheng.supervision import models as supervision_models

MODEL_MODULES: tuple[ModuleType, ...] = (
    audit_models,
    cases_models,
    core_cache,  # cache_stamps
    core_jobs,  # job_runs
    core_ratelimit,  # rate_limit_counters
    dispatch_models,
    feedback_models,
    insights_models,
    intake_models,
    integrations_models,
    knowledge_models,
    notify_models,
    org_models,
    outbox_models,
    routing_models,
    sla_models,
    supervision_models,
)

metadata = Base.metadata
