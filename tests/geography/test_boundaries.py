"""Site boundaries from a package: GeoJSON in WGS84 or coordinates in EPSG:3067, checked
(closed, valid, in the region, near the stated area) with per-row, per-field errors;
stored, drawn on the site page and sent in the feeds as GeoJSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Site
from app.domain.access import Role
from tests.domain.test_geo import KAJAANI, tm35fin_forward
from tests.domain.test_packages import manifest_zip, site_json, xlsx
from tests.factories import Factory
from tests.geography.test_distances import haversine_km
from tests.sites.test_packages_api import apply, checked

LAT, LON = KAJAANI
# A square of about 200 m × 200 m (4 ha) at the Kajaani town hall, WGS84.
SQUARE = [
    [LON, LAT],
    [LON + 0.0042, LAT],
    [LON + 0.0042, LAT + 0.0018],
    [LON, LAT + 0.0018],
    [LON, LAT],
]
EASTING, NORTHING = tm35fin_forward(*KAJAANI)


def wkt(points: list[tuple[float, float]]) -> str:
    return "POLYGON((" + ", ".join(f"{x:.2f} {y:.2f}" for x, y in points) + "))"


def square_3067(side: float = 200.0) -> list[tuple[float, float]]:
    e, n = EASTING, NORTHING
    return [(e, n), (e + side, n), (e + side, n + side), (e, n + side), (e, n)]


@pytest.fixture
def municipal(factory: Factory) -> dict[str, str]:
    return factory.api_user(Role.MUNICIPAL_CONTACT, municipality="205")[1]


def errors_of(report: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [
        (row["index"], error["field"], error["code"])
        for row in report["report"]["rows"]
        for error in row["errors"]
    ]


def test_a_geojson_boundary_is_stored_drawn_and_sent_in_the_feed(
    client: TestClient,
    municipal: dict[str, str],
    factory: Factory,
    db: Session,
) -> None:
    polygon = {"type": "Polygon", "coordinates": [SQUARE]}
    data = manifest_zip([site_json(polygon=polygon, area_ha=4)])
    report = checked(client, municipal, "paketti.zip", data)
    assert errors_of(report) == []
    apply(client, municipal, report["id"])
    site = db.scalar(select(Site).where(Site.external_ref == "KAJ-1"))
    assert site is not None and site.polygon is not None
    assert site.polygon["type"] == "Polygon"
    assert site.polygon["coordinates"][0][1] == pytest.approx(SQUARE[1])

    coordinator = factory.api_user(Role.COORDINATOR)[1]
    client.post(f"/api/v1/sites/{site.id}/verify", headers=municipal)
    assert client.post(f"/api/v1/sites/{site.id}/publish", headers=coordinator).status_code == 200
    page = client.get(f"/en/sites/{site.slug}")
    assert page.status_code == 200
    assert 'id="map-boundary"' in page.text
    assert json.dumps(SQUARE[1])[1:-1].replace(" ", "") in page.text
    feed = client.get("/feeds/sites.geojson").json()
    (feature,) = [f for f in feed["features"] if f["id"] == str(site.id)]
    assert feature["geometry"]["type"] == "Polygon"
    assert feature["geometry"]["coordinates"][0][2] == pytest.approx(SQUARE[2])


def test_a_boundary_in_tm35fin_is_transformed_to_wgs84(
    client: TestClient, municipal: dict[str, str], db: Session
) -> None:
    header = ["external_ref", "kind", "name_fi", "municipality_code", "crs", "easting",
              "northing", "area_ha", "polygon"]  # fmt: skip
    row = ["KAJ-9", "industrial_plot", "Rajattu tontti", "205", "EPSG:3067", EASTING,
           NORTHING, 4, wkt(square_3067())]  # fmt: skip
    report = checked(client, municipal, "kohteet.xlsx", xlsx([header, row]))
    assert errors_of(report) == []
    apply(client, municipal, report["id"])
    site = db.scalar(select(Site).where(Site.external_ref == "KAJ-9"))
    assert site is not None and site.polygon is not None
    ring = site.polygon["coordinates"][0]
    # The first corner is the site's own point: the same transformation, both ways.
    assert ring[0] == pytest.approx([site.longitude, site.latitude], abs=1e-6)
    assert ring[0] == pytest.approx([LON, LAT], abs=2e-5)
    # 200 m east along the grid is about 200 m on the ellipsoid.
    metres = 1000 * haversine_km((ring[0][1], ring[0][0]), (ring[1][1], ring[1][0]))
    assert metres == pytest.approx(200, rel=0.005)


def test_bad_boundaries_are_refused_per_row_and_field(
    client: TestClient, municipal: dict[str, str], db: Session
) -> None:
    e, n = EASTING, NORTHING
    bow_tie = [(e, n), (e + 200, n + 200), (e + 200, n), (e, n + 200), (e, n)]
    open_ring = square_3067()[:-1]
    header = ["external_ref", "kind", "name_fi", "municipality_code", "crs", "easting",
              "northing", "area_ha", "polygon"]  # fmt: skip
    rows = [
        ["B-1", "industrial_plot", "Rusetti", "205", "EPSG:3067", e, n, 4, wkt(bow_tie)],
        ["B-2", "industrial_plot", "Avoin", "205", "EPSG:3067", e, n, 4, wkt(open_ring)],
        ["B-3", "industrial_plot", "Liian iso", "205", "EPSG:3067", e, n, 0.5, wkt(square_3067())],
        ["B-4", "industrial_plot", "Ei monikulmio", "205", "EPSG:3067", e, n, 4, "LINESTRING(1 2)"],
        ["B-5", "industrial_plot", "Hyvä", "205", "EPSG:3067", e, n, 4, wkt(square_3067())],
    ]
    report = checked(client, municipal, "kohteet.xlsx", xlsx([header, *rows]))
    assert errors_of(report) == [
        (1, "polygon", "polygon_not_valid"),
        (2, "polygon", "invalid_polygon"),
        (3, "polygon", "polygon_area_mismatch"),
        (4, "polygon", "invalid_polygon_format"),
    ]
    by_code = {e["code"]: e for row in report["report"]["rows"] for e in row["errors"]}
    assert "Self-intersection" in by_code["polygon_not_valid"]["reason"]
    assert "encloses 4 ha" in by_code["polygon_area_mismatch"]["reason"]
    assert "0.5 ha" in by_code["polygon_area_mismatch"]["reason"]
    assert report["status"] == "invalid"
    refused = client.post(f"/api/v1/site-packages/{report['id']}/apply", headers=municipal)
    assert refused.status_code in (409, 422)
    assert db.scalar(select(Site).where(Site.external_ref == "B-5")) is None  # nothing half-done


def test_the_api_refuses_a_bad_boundary_naming_the_field(
    client: TestClient, factory: Factory
) -> None:
    coordinator = factory.api_user(Role.COORDINATOR)[1]
    bow_tie = [SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3], SQUARE[0]]
    response = client.post(
        "/api/v1/sites",
        json={
            "kind": "industrial_plot",
            "name_fi": "Rusetti",
            "municipality_code": "205",
            "polygon": {"type": "Polygon", "coordinates": [bow_tie]},
        },
        headers=coordinator,
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("polygon", "polygon_not_valid")
    ]
