"""Coordinates: datums, conversion and distance.

Browsers (the Geolocation API) and Open311 give WGS-84. Most Chinese map services and many
12345 platforms give GCJ-02, the mainland's obfuscated datum, which is WGS-84 shifted by a
few hundred metres. A case keeps the coordinates as they were given, with their datum, and
a WGS-84 copy for area filters and distances.

The GCJ-02 transform is the published approximation used by open-source map tools; the
inverse is found by fixed-point iteration (under a centimetre after a few rounds).
Outside mainland China GCJ-02 equals WGS-84.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DATUMS = ("wgs84", "gcj02")
DATUM_LABELS_ZH = {"wgs84": "WGS-84", "gcj02": "GCJ-02"}
EARTH_RADIUS_M = 6371008.8

_A = 6378245.0  # Krasovsky 1940
_EE = 0.00669342162296594323


def out_of_china(lat: float, lng: float) -> bool:
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _dlat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _dlng(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if out_of_china(lat, lng):
        return lat, lng
    dlat = _dlat(lng - 105.0, lat - 35.0)
    dlng = _dlng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    if out_of_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _ in range(6):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        wlat, wlng = wlat - (glat - lat), wlng - (glng - lng)
    return wlat, wlng


def to_wgs84(lat: float, lng: float, datum: str) -> tuple[float, float]:
    return gcj02_to_wgs84(lat, lng) if datum == "gcj02" else (lat, lng)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine), both points in the same datum."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class BBox:
    """An area for the ledger: south-west and north-east corners, WGS-84."""

    min_lat: float
    min_lng: float
    max_lat: float
    max_lng: float

    @classmethod
    def parse(cls, text: str) -> BBox:
        """``min_lng,min_lat,max_lng,max_lat`` (the GeoJSON/OGC order). ValueError if bad."""
        parts = [float(p) for p in text.split(",")]
        if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
            raise ValueError(text)
        min_lng, min_lat, max_lng, max_lat = parts
        if not (-90 <= min_lat < max_lat <= 90 and -180 <= min_lng < max_lng <= 180):
            raise ValueError(text)
        return cls(min_lat, min_lng, max_lat, max_lng)

    @classmethod
    def around(cls, lat: float, lng: float, radius_m: float) -> BBox:
        dlat = math.degrees(radius_m / EARTH_RADIUS_M)
        dlng = dlat / max(0.01, math.cos(math.radians(lat)))
        return cls(
            max(-90.0, lat - dlat),
            max(-180.0, lng - dlng),
            min(90.0, lat + dlat),
            min(180.0, lng + dlng),
        )
