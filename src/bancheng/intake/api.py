"""Public endpoints for the citizen channel: no account, rate-limited per client, and
kept apart from the staff API under ``/api/v1/public``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from bancheng.cases.enums import LABELS_ZH
from bancheng.core.deps import db_session
from bancheng.core.ratelimit import rate_limit
from bancheng.org.models import Matter

router = APIRouter(prefix="/api/v1/public", tags=["public"])
DB = Annotated[Session, Depends(db_session)]


class PublicMatter(BaseModel):
    id: int
    name: str
    materials: list[str]


class PublicOptions(BaseModel):
    kinds: dict[str, str]
    matters: list[PublicMatter]


@router.get("/options", response_model=PublicOptions, dependencies=[rate_limit("public")])
def options(session: DB) -> PublicOptions:
    """What the phone form needs: the kinds of report and the matter catalogue."""
    matters = session.scalars(select(Matter).where(Matter.active.is_(True)).order_by(Matter.code))
    return PublicOptions(
        kinds=LABELS_ZH["kind"],
        matters=[
            PublicMatter(id=m.id, name=m.name, materials=list(m.materials or [])) for m in matters
        ],
    )
