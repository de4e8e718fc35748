"""Imports every domain's models so that ``metadata`` knows all tables (Alembic, tests)."""

from bancheng.audit import models as _audit  # noqa: F401
from bancheng.cases import models as _cases  # noqa: F401
from bancheng.core import cache as _cache  # noqa: F401
from bancheng.core import jobs as _jobs  # noqa: F401
from bancheng.core import ratelimit as _ratelimit  # noqa: F401
from bancheng.core.db import Base
from bancheng.dispatch import models as _dispatch  # noqa: F401
from bancheng.feedback import models as _feedback  # noqa: F401
from bancheng.insights import models as _insights  # noqa: F401
from bancheng.intake import models as _intake  # noqa: F401
from bancheng.integrations import models as _integrations  # noqa: F401
from bancheng.knowledge import models as _knowledge  # noqa: F401
from bancheng.notify import models as _notify  # noqa: F401
from bancheng.org import models as _org  # noqa: F401
from bancheng.outbox import models as _outbox  # noqa: F401
from bancheng.routing import models as _routing  # noqa: F401
from bancheng.sla import models as _sla  # noqa: F401
from bancheng.supervision import models as _supervision  # noqa: F401

metadata = Base.metadata
