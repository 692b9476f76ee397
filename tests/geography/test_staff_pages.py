"""The regional team's pages for the reference points the distances are measured to and
for each municipality's key facts: listed, added, edited and taken out of use, with
errors beside the fields in Finnish and English; a saved point moves the distances the
portal shows; every role tried."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEntry, MunicipalityFacts, ReferencePoint, SiteDistance
from app.domain.access import Role
from app.web.portal import render_cache
from app.web.session import LANG_COOKIE
from tests.factories import Factory, csrf_from

NEW_POINT = {
    "code": "airport-test",
    "kind": "airport",
    "name_fi": "Testikenttä",
    "name_en": "Test airfield",
    # 0.001° of latitude (about 111 m) north of the test site.
    "latitude": "64,2280",
    "longitude": "27.7285",
    "municipality_code": "205",
    "source": "Maanmittauslaitos",
    "active": "yes",
}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _airport(db: Session, site_id: str) -> tuple[str, int]:
    row = db.execute(
        select(SiteDistance.point_code, SiteDistance.distance_m).where(
            SiteDistance.site_id == site_id, SiteDistance.kind == "airport"
        )
    ).one()
    return row[0], row[1]


def test_the_coordinator_adds_edits_and_retires_a_reference_point(
    client: TestClient,
    factory: Factory,
    db: Session,
    new_site: Callable[..., dict[str, Any]],
) -> None:
    site = new_site()
    assert _airport(db, site["id"])[0] == "airport-kajaani"
    coordinator = factory.user(Role.COORDINATOR)
    factory.login(client, coordinator)
    listing = client.get("/reference/points")
    assert listing.status_code == 200
    shown = _text(listing.text)
    assert "Kajaani Airport (KAJ)" in shown and "Airport" in shown
    assert 'href="/reference/points/airport-kajaani"' in listing.text
    form = client.get("/reference/points/new")
    token = csrf_from(form.text)

    refused = client.post(
        "/reference/points",
        data={
            **NEW_POINT,
            "csrf_token": token,
            "code": "Airport Test",
            "latitude": "north",
            "kind": "spaceport",
            "name_en": "",
        },
    )
    assert refused.status_code == 422
    for field, message in [
        ("code", "Letters a–z, digits and hyphens, at most 60."),
        ("kind", "Choose a kind of place."),
        ("name_en", "This field is required."),
        ("latitude", "Give a number in decimal degrees."),
    ]:
        assert f'id="{field}-error">{message}</p>' in refused.text, field
    assert 'value="Testikenttä"' in refused.text  # what was typed stays
    assert db.get(ReferencePoint, "airport-test") is None

    # In Finnish, too.
    client.cookies.set(LANG_COOKIE, "fi")
    outside = client.post(
        "/reference/points",
        data={**NEW_POINT, "csrf_token": token, "latitude": "48.85", "longitude": "2.35"},
    )
    assert outside.status_code == 422
    assert 'id="latitude-error">Paikka ei ole Suomessa.</p>' in outside.text
    client.cookies.set(LANG_COOKIE, "en")

    added = client.post(
        "/reference/points", data={**NEW_POINT, "csrf_token": token}, follow_redirects=False
    )
    assert added.status_code == 303
    assert added.headers["location"] == "/reference/points/airport-test"
    db.expire_all()
    code, metres = _airport(db, site["id"])
    assert code == "airport-test" and metres == pytest.approx(111, abs=2)
    page = client.get(added.headers["location"])
    assert "The reference point was added and the sites' distances recomputed." in page.text
    render_cache.clear()
    assert "Test airfield" in _text(client.get(f"/en/sites/{site['slug']}").text)

    taken = client.post("/reference/points", data={**NEW_POINT, "csrf_token": token})
    assert taken.status_code == 422
    assert 'id="code-error">A reference point has this code.</p>' in taken.text

    # Moved 0.1° north (about 11 km): the site's nearest airport is Kajaani's again.
    moved = client.post(
        "/reference/points/airport-test",
        data={**NEW_POINT, "csrf_token": token, "latitude": "64.3270"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    db.expire_all()
    assert _airport(db, site["id"])[0] == "airport-kajaani"
    moved_back = {**NEW_POINT, "csrf_token": token}
    assert client.post("/reference/points/airport-test", data=moved_back).status_code == 200
    db.expire_all()
    assert _airport(db, site["id"])[0] == "airport-test"
    # Out of use (the box left unticked): left out of the distances, kept as a record.
    retired = {k: v for k, v in moved_back.items() if k != "active"}
    assert client.post("/reference/points/airport-test", data=retired).status_code == 200
    db.expire_all()
    assert _airport(db, site["id"])[0] == "airport-kajaani"
    point = db.get(ReferencePoint, "airport-test")
    assert point is not None and point.active is False
    assert "Not in use" in _text(client.get("/reference/points").text)
    entries = db.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "reference_points", AuditEntry.entity_id == "airport-test"
        )
    ).all()
    assert entries and all(e.actor_user_id == coordinator.id for e in entries)
    history = client.get("/reference/points/airport-test").text.split('id="history-h"')[1]
    assert "Latitude" in history and "In use" in history
    assert client.get("/reference/points/no-such-point").status_code == 404


def test_the_coordinator_edits_a_municipalitys_key_facts(
    client: TestClient, factory: Factory, db: Session
) -> None:
    factory.login(client, factory.user(Role.COORDINATOR))
    listing = client.get("/reference/facts")
    assert listing.status_code == 200
    assert listing.text.count('href="/reference/facts/') == 8
    assert "Sotkamo" in listing.text
    page = client.get("/reference/facts/765")
    assert page.status_code == 200
    token = csrf_from(page.text)
    bad = {
        "csrf_token": token,
        "population": "10 500",
        "workforce": "20000",
        "year": "1850",
        "source": "Tilastokeskus",
        "main_employers_fi": "Sotkamon kunta\nTerrafame",
    }
    client.cookies.set(LANG_COOKIE, "fi")
    refused = client.post("/reference/facts/765", data=bad)
    assert refused.status_code == 422
    assert 'id="workforce-error">Työvoima ei voi olla väkilukua suurempi.</p>' in refused.text
    assert 'id="year-error">' in refused.text
    client.cookies.set(LANG_COOKIE, "en")
    refused = client.post("/reference/facts/765", data=bad)
    assert 'id="workforce-error">The workforce cannot exceed the population.</p>' in refused.text
    assert 'id="year-error">Give a year.</p>' in refused.text
    assert "Terrafame" in refused.text  # what was typed stays
    saved = client.post(
        "/reference/facts/765",
        data={
            **bad,
            "workforce": "4 600",
            "year": "2024",
            "main_employers_en": "Municipality of Sotkamo\nTerrafame",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    facts = db.get(MunicipalityFacts, "765")
    assert facts is not None
    db.refresh(facts)
    assert (facts.population, facts.workforce, facts.year) == (10500, 4600, 2024)
    assert facts.employers("en") == ["Municipality of Sotkamo", "Terrafame"]
    assert "The key facts were saved." in client.get(saved.headers["location"]).text
    render_cache.clear()
    portal = _text(client.get("/en/municipalities/765").text)
    assert "10,500" in portal and "Terrafame" in portal
    assert client.get("/reference/facts/999").status_code == 404


@pytest.mark.parametrize(
    ("role", "binding"),
    [
        (Role.ADMIN, {}),
        (Role.COORDINATOR, {}),
        (Role.MUNICIPAL_CONTACT, {"municipality": "205"}),
        (Role.FORUM_VIEWER, {}),
        (Role.PARTNER, {}),
    ],
)
def test_only_the_regional_team_keeps_points_and_key_facts(
    client: TestClient, factory: Factory, db: Session, role: Role, binding: dict[str, str]
) -> None:
    factory.login(client, factory.user(role, **binding))
    staff = role in (Role.ADMIN, Role.COORDINATOR)
    paths = [
        "/reference/points",
        "/reference/points/new",
        "/reference/points/airport-kajaani",
        "/reference/facts",
        "/reference/facts/205",
    ]
    assert {p: client.get(p).status_code for p in paths} == {
        p: 200 if staff else 403 for p in paths
    }
    nav = client.get("/account").text
    assert ('href="/reference/points"' in nav) is staff
    assert ('href="/reference/facts"' in nav) is staff
    if staff:
        return
    token = csrf_from(client.get("/account").text)
    writes = {
        "/reference/points": {**NEW_POINT, "csrf_token": token},
        "/reference/points/airport-kajaani": {**NEW_POINT, "csrf_token": token},
        "/reference/facts/205": {"csrf_token": token, "population": "1"},
    }
    for path, data in writes.items():
        assert client.post(path, data=data).status_code == 403, path
    db.expire_all()
    assert db.get(ReferencePoint, "airport-test") is None
    assert db.get(ReferencePoint, "airport-kajaani").name_en == "Kajaani Airport (KAJ)"  # type: ignore[union-attr]
    assert db.get(MunicipalityFacts, "205").population != 1  # type: ignore[union-attr]
