"""Imports every domain's models so that ``metadata`` knows all tables (Alembic, tests)."""

from bancheng.audit import models as _audit  # noqa: F401
from bancheng.cases import models as _cases  # noqa: F401
from bancheng.core import ratelimit as _ratelimit  # noqa: F401
from bancheng.core.db import Base
from bancheng.notify import models as _notify  # noqa: F401
from bancheng.org import models as _org  # noqa: F401
from bancheng.sla import models as _sla  # noqa: F401

metadata = Base.metadata
