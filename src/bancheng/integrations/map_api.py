"""The console's map: which tile source to draw cases on, if one is configured."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends
from pydantic import BaseModel

from bancheng.core.config import Settings, get_settings
from bancheng.core.deps import api_router, require
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1/map", tags=["map"])


class MapConfig(BaseModel):
    # None: no tile source is configured; the console lists cases instead of a map.
    tile_url: str | None
    datum: Literal["wgs84", "gcj02"]
    attribution: str


@router.get("/config", response_model=MapConfig)
def map_config(
    settings: Annotated[Settings, Depends(get_settings)],
    _: Principal = require("case.read"),
) -> MapConfig:
    """``BANCHENG_MAP_TILE_URL`` (a ``{z}/{x}/{y}`` template), its datum and attribution."""
    return MapConfig(
        tile_url=settings.map_tile_url or None,
        datum=settings.map_tile_datum,
        attribution=settings.map_attribution,
    )
