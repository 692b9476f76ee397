"""Coordinate conversion, and the range check with the Kainuu region file's area."""

from __future__ import annotations

import math

import pytest

from app.domain.geo import (
    TM35FIN,
    WGS84,
    CoordinateError,
    guess_crs,
    to_wgs84,
)
from app.regions import DEFAULT_REGION_FILE
from app.services.region import load_region_file

KAINUU_AREA = load_region_file(DEFAULT_REGION_FILE).area
in_kainuu = KAINUU_AREA.contains


def tm35fin_forward(lat: float, lon: float) -> tuple[float, float]:
    """(easting, northing) by the published ETRS-TM35FIN formulas (JHS 154: GRS80,
    transverse Mercator with Krüger's series, central meridian 27° E, scale 0.9996,
    false easting 500 000 m) — independent of pyproj."""
    a = 6378137.0
    f = 1 / 298.257222101
    k0, lon0, false_easting = 0.9996, math.radians(27.0), 500_000.0
    n = f / (2 - f)
    a1 = a / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    e = math.sqrt(f * (2 - f))
    h = (
        n / 2 - 2 / 3 * n**2 + 5 / 16 * n**3 + 41 / 180 * n**4,
        13 / 48 * n**2 - 3 / 5 * n**3 + 557 / 1440 * n**4,
        61 / 240 * n**3 - 103 / 140 * n**4,
        49561 / 161280 * n**4,
    )
    phi, lam = math.radians(lat), math.radians(lon)
    q = math.asinh(math.tan(phi)) - e * math.atanh(e * math.sin(phi))
    beta = math.atan(math.sinh(q))
    eta0 = math.atanh(math.cos(beta) * math.sin(lam - lon0))
    xi0 = math.asin(math.sin(beta) * math.cosh(eta0))
    xi = xi0 + sum(
        hj * math.sin(2 * j * xi0) * math.cosh(2 * j * eta0) for j, hj in enumerate(h, start=1)
    )
    eta = eta0 + sum(
        hj * math.cos(2 * j * xi0) * math.sinh(2 * j * eta0) for j, hj in enumerate(h, start=1)
    )
    return a1 * eta * k0 + false_easting, a1 * xi * k0


# Kajaani town centre (market square / town hall), as published in WGS84.
KAJAANI = (64.2270, 27.7285)


def test_independent_formula_gives_kajaani_tm35fin_coordinates() -> None:
    easting, northing = tm35fin_forward(*KAJAANI)
    # Anchors the formula itself: the centre of Kajaani is about 35 km east of the
    # 27° E central meridian and 7 122 km north of the equator on the TM35FIN grid.
    assert easting == pytest.approx(535_342.6, abs=0.5)
    assert northing == pytest.approx(7_122_512.1, abs=0.5)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        KAJAANI,
        (64.886, 28.907),  # Suomussalmi, Ämmänsaari
        (64.125, 29.52),  # Kuhmo
        (63.62, 30.55),  # near the south-eastern corner of the region
    ],
)
def test_tm35fin_to_wgs84_agrees_with_independent_formula_within_1_m(
    lat: float, lon: float
) -> None:
    easting, northing = tm35fin_forward(lat, lon)
    got_lat, got_lon = to_wgs84(easting, northing, TM35FIN)
    metres_north = (got_lat - lat) * 111_320
    metres_east = (got_lon - lon) * 111_320 * math.cos(math.radians(lat))
    assert math.hypot(metres_north, metres_east) < 1.0


def test_wgs84_passes_through_rounded_to_six_decimals() -> None:
    assert to_wgs84(27.72851234567, 64.22701234567, WGS84) == (64.227012, 27.728512)


def test_to_wgs84_returns_lat_lon_order_for_tm35fin() -> None:
    lat, lon = to_wgs84(535_342.568, 7_122_512.134, TM35FIN)
    assert (lat, lon) == (64.227, 27.7285)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_coordinates_are_refused(value: float) -> None:
    with pytest.raises(CoordinateError):
        to_wgs84(value, 7_000_000, TM35FIN)
    with pytest.raises(CoordinateError):
        to_wgs84(27.0, value, WGS84)


def test_degrees_beyond_the_globe_are_refused() -> None:
    with pytest.raises(CoordinateError):
        to_wgs84(27.0, 95.0, WGS84)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (7_122_512.0, 535_342.0, TM35FIN),  # northing, easting
        (535_342.0, 7_122_512.0, TM35FIN),  # easting, northing
        (64.2270, 27.7285, WGS84),
        (27.7285, 64.2270, WGS84),
        (5_000_000.0, 535_342.0, None),  # northing south of Finland
        (1_234.0, 5_678.0, None),
    ],
)
def test_guess_crs(a: float, b: float, expected: str | None) -> None:
    assert guess_crs(a, b) == expected


@pytest.mark.parametrize(
    ("place", "lat", "lon"),
    [
        ("Kajaani", 64.2270, 27.7285),
        ("Suomussalmi Ämmänsaari", 64.886, 28.907),
        ("Kuhmo", 64.125, 29.52),
        ("Puolanka", 64.868, 27.67),
        ("Hyrynsalmi", 64.676, 28.494),
        ("Paltamo", 64.406, 27.833),
        ("Ristijärvi", 64.506, 28.214),
        ("Sotkamo", 64.130, 28.39),
        ("Vuokatti", 64.14, 28.28),
        ("Kuhmo eastern border", 64.0, 30.6),
        ("Suomussalmi Hossa", 65.45, 29.6),
    ],
)
def test_every_municipality_is_in_kainuu(place: str, lat: float, lon: float) -> None:
    assert in_kainuu(lat, lon), place


@pytest.mark.parametrize(
    ("place", "lat", "lon"),
    [
        ("Helsinki", 60.1699, 24.9384),
        ("Oulu", 65.0121, 25.4651),
        ("Kuopio", 62.8924, 27.6770),
        ("Rovaniemi", 66.5039, 25.7294),
        ("swapped Kajaani", 27.7285, 64.2270),
    ],
)
def test_places_outside_kainuu(place: str, lat: float, lon: float) -> None:
    assert not in_kainuu(lat, lon), place


def test_bounds_are_the_documented_box() -> None:
    box = KAINUU_AREA.bounding_box
    assert box is not None
    assert (box.min_lat, box.max_lat, box.min_lon, box.max_lon) == (63.55, 65.75, 25.85, 30.65)
