"""Coordinates: conversion to WGS84 and guessing the reference system. Whether a place
lies in the region is the region's area (app/domain/region.py, `RegionArea.contains`).

Finnish municipal data usually arrives in ETRS-TM35FIN (EPSG:3067, metres); the
portal and the database keep WGS84 (EPSG:4326) latitude and longitude.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Final, Literal

from pyproj import Transformer

Crs = Literal["EPSG:4326", "EPSG:3067"]
WGS84: Final[Crs] = "EPSG:4326"
TM35FIN: Final[Crs] = "EPSG:3067"

# Decimal places kept for WGS84 degrees: 6 places is about 0.1 m, finer is noise.
COORDINATE_DECIMALS: Final = 6


# Plausible TM35FIN values for the whole of Finland (with margin).
_TM35FIN_EASTING: Final = (0.0, 1_000_000.0)
_TM35FIN_NORTHING: Final = (6_500_000.0, 7_900_000.0)


class CoordinateError(ValueError):
    """The coordinates cannot be converted (not finite, or outside the projection)."""


@lru_cache(maxsize=4)
def _transformer(crs: Crs) -> Transformer:
    # always_xy: input is (x, y) = (easting, northing) or (lon, lat), whatever the
    # CRS's official axis order is. pyproj >= 3.1 transformers are thread-safe.
    return Transformer.from_crs(crs, WGS84, always_xy=True)


def to_wgs84(x: float, y: float, crs: Crs) -> tuple[float, float]:
    """(x, y) in `crs` -> (lat, lon) in WGS84, rounded to 6 decimals.

    For EPSG:4326 x is the longitude and y the latitude; for EPSG:3067 x is the
    easting and y the northing.
    """
    if not (math.isfinite(x) and math.isfinite(y)):
        raise CoordinateError(f"coordinates must be finite numbers: {x!r}, {y!r}")
    if crs == WGS84:
        lon, lat = x, y
    else:
        lon, lat = _transformer(crs).transform(x, y)
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise CoordinateError(f"coordinates cannot be converted from {crs}: {x!r}, {y!r}")
    return round(lat, COORDINATE_DECIMALS), round(lon, COORDINATE_DECIMALS)


def guess_crs(a: float, b: float) -> Crs | None:
    """Which CRS a pair of numbers is in, in either order; None when neither fits.

    TM35FIN pairs are a northing of about 7 000 000 m and an easting below 1 000 000 m;
    WGS84 pairs are both within degree ranges.
    """

    def within(value: float, bounds: tuple[float, float]) -> bool:
        return bounds[0] <= value <= bounds[1]

    if within(a, _TM35FIN_NORTHING) and within(b, _TM35FIN_EASTING):
        return TM35FIN
    if within(b, _TM35FIN_NORTHING) and within(a, _TM35FIN_EASTING):
        return TM35FIN
    if abs(a) <= 180 and abs(b) <= 180 and min(abs(a), abs(b)) <= 90:
        return WGS84
    return None
