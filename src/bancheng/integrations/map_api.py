"""The console's map: which tile source to draw cases on, if one is configured."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from bancheng.core.config import Settings, get_settings
from bancheng.core.deps import api_router, require
from bancheng.integrations.schemas import MapConfig
from bancheng.org.scope import Principal

router = api_router(prefix="/api/v1/map", tags=["map"])


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
