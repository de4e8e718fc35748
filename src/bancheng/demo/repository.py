"""The demo loader's own queries: whether the demo is there already, the units it looks up
by name, the routing targets it fills in, and the ratings it sums up (an account it looks up
by username goes through ``org/repository.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.cases.models import CaseEvent
from bancheng.org.models import Department
from bancheng.routing.models import RoutingTarget


def any_department(session: Session) -> bool:
    """Whether the organisation has a unit at all."""
    return session.scalar(select(Department.id).limit(1)) is not None


def department_id_by_name(session: Session, name: str) -> int | None:
    return session.scalar(select(Department.id).where(Department.name == name))


def routing_target(session: Session, category: str) -> RoutingTarget | None:
    return session.get(RoutingTarget, category)


def evaluation_details(session: Session, case_ids: list[int]) -> list[dict[str, Any]]:
    """The details of every evaluation (评价) event of these cases."""
    return list(
        session.scalars(
            select(CaseEvent.details).where(
                CaseEvent.action == "evaluate",
                CaseEvent.case_id.in_(case_ids),
            )
        )
    )
