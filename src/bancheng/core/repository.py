"""Queries over any mapped model, shared by the domains' repositories."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from bancheng.core.db import Base

M = TypeVar("M", bound=Base)


def in_id_order(session: Session, model: type[M], where: ColumnElement[bool]) -> list[M]:
    """The rows of ``model`` that match ``where``, oldest (lowest ``id``) first: the
    children of one parent (a case's objections, a message's delivery attempts, ...)."""
    return list(session.scalars(select(model).where(where).order_by(model.__table__.c.id)))
