"""Distances computed, not typed: stored per site from the reference points, recomputed
when the site moves or a point changes, shown on the site page in the reader's language."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ReferencePoint, SiteDistance
from app.domain.access import SYSTEM_ACTOR
from app.services import geography

KAJAANI_CENTRE = (64.2270, 27.7285)
KAJAANI_AIRPORT = (64.2855, 27.6924)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance on a sphere of the mean Earth radius: independent of pyproj,
    within 0.5 % of the ellipsoidal distance."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def stored(db: Session, site_id: str) -> dict[str, tuple[str, int]]:
    rows = db.execute(
        select(SiteDistance.kind, SiteDistance.point_code, SiteDistance.distance_m).where(
            SiteDistance.site_id == site_id
        )
    )
    return {kind: (code, metres) for kind, code, metres in rows}


def test_a_new_site_gets_its_distance_to_the_nearest_place_of_every_kind(
    new_site: Callable[..., dict[str, Any]], db: Session
) -> None:
    site = new_site()
    distances = stored(db, site["id"])
    assert set(distances) == {
        "airport",
        "railway_station",
        "port",
        "road_junction",
        "town_centre",
        "substation_400kv",
        "substation_110kv",
    }
    code, metres = distances["airport"]
    assert code == "airport-kajaani"
    expected = haversine_km(KAJAANI_CENTRE, KAJAANI_AIRPORT)
    assert expected == pytest.approx(6.75, abs=0.1)  # the pair itself, for the reader
    assert metres / 1000 == pytest.approx(expected, rel=0.005)
    assert distances["town_centre"] == ("centre-kajaani", 0)
    assert distances["port"][0] == "port-oulu"


def test_moving_the_site_recomputes_its_distances(
    new_site: Callable[..., dict[str, Any]],
    client: TestClient,
    coordinator: dict[str, str],
    db: Session,
) -> None:
    site = new_site(municipality_code="765", latitude=64.1313, longitude=28.3903)
    assert stored(db, site["id"])["town_centre"] == ("centre-sotkamo", 0)
    moved = client.patch(
        f"/api/v1/sites/{site['id']}",
        json={"latitude": 64.1260, "longitude": 29.5200},
        headers=coordinator,
    )
    assert moved.status_code == 200, moved.text
    db.expire_all()
    distances = stored(db, site["id"])
    assert distances["town_centre"] == ("centre-kuhmo", 0)
    assert distances["airport"][0] == "airport-kajaani"
    expected = haversine_km((64.1260, 29.5200), KAJAANI_AIRPORT)
    assert distances["airport"][1] / 1000 == pytest.approx(expected, rel=0.005)
    removed = client.patch(
        f"/api/v1/sites/{site['id']}",
        json={"latitude": None, "longitude": None},
        headers=coordinator,
    )
    assert removed.status_code == 200, removed.text
    db.expire_all()
    assert stored(db, site["id"]) == {}


def test_a_changed_reference_point_recomputes_every_sites_distances(
    new_site: Callable[..., dict[str, Any]], db: Session
) -> None:
    site = new_site()
    bind = geography.save_point
    values = {
        "kind": "airport",
        "name_fi": "Testikenttä",
        "name_en": "Test airfield",
        "latitude": "64,2280",
        "longitude": "27.7285",
        "active": "on",
        "code": "airport-test",
    }
    bind(db, SYSTEM_ACTOR, None, values)
    db.expire_all()
    code, metres = stored(db, site["id"])["airport"]
    assert code == "airport-test"
    assert metres == pytest.approx(111, abs=2)  # 0.001° of latitude
    bind(db, SYSTEM_ACTOR, "airport-test", {**values, "active": ""})
    db.expire_all()
    assert stored(db, site["id"])["airport"][0] == "airport-kajaani"
    assert db.get(ReferencePoint, "airport-test") is not None


@pytest.mark.parametrize(
    ("lang", "airport", "heading"),
    [
        ("fi", "Kajaanin lentoasema (KAJ)", "Etäisyydet"),
        ("en", "Kajaani Airport (KAJ)", "Distances"),
    ],
)
def test_the_site_page_names_the_places_and_distances_in_the_readers_language(
    new_site: Callable[..., dict[str, Any]],
    client: TestClient,
    lang: str,
    airport: str,
    heading: str,
) -> None:
    site = new_site()
    page = client.get(f"/{lang}/sites/{site['slug']}")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert heading in text
    assert re.search(re.escape(airport) + r" 6[,.]8 km", text), text[:2000]
    assert "airport-kajaani" not in page.text and "town_centre" not in page.text
    facts = "Väkiluku" if lang == "fi" else "Population"
    assert facts in text
    assert ("36 000" if lang == "fi" else "36,000") in text.replace("\u00a0", " ")


def test_the_comparison_shows_the_computed_distances_over_the_typed_ones(
    new_site: Callable[..., dict[str, Any]], client: TestClient
) -> None:
    # Typed 25 km to an airport and nothing to a substation; Kajaani's airport is ~6.5 km.
    site = new_site(airport_km="25", latitude=64.2270, longitude=27.6000)
    page = client.get(f"/en/compare?sites={site['slug']}")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    airport = re.search(r"Distance to an airport ([\d.]+) km", text)
    assert airport is not None and 3 < float(airport.group(1)) < 15
    assert "25 km" not in text
    assert re.search(r"Distance to a 110 kV substation [\d.]+ km", text)
