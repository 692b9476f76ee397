"""Editing the reference data the coordinator owns: key industries and municipalities'
contact details, with inline errors, audit entries and the portal showing the result;
every role tried."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEntry, Industry, Municipality
from app.domain.access import Role
from app.web.portal import render_cache
from tests.factories import Factory, csrf_from

ROLES = [
    (Role.ADMIN, {}),
    (Role.COORDINATOR, {}),
    (Role.MUNICIPAL_CONTACT, {"municipality": "205"}),
    (Role.FORUM_VIEWER, {}),
    (Role.PARTNER, {}),
]


def _login(client: TestClient, factory: Factory, role: Role, **binding: str):
    user = factory.user(role, **binding)
    factory.login(client, user)
    return user


def _entries(db: Session, entity_type: str, entity_id: str) -> list[AuditEntry]:
    return list(
        db.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
    )


def test_coordinator_edits_a_key_industry(
    client: TestClient, factory: Factory, db: Session
) -> None:
    coordinator = _login(client, factory, Role.COORDINATOR)
    listing = client.get("/reference/industries")
    assert listing.status_code == 200
    assert "ICT ja datakeskukset" in listing.text and "ict_data_centres" not in listing.text.split(
        "<main"
    )[1].replace('href="/reference/industries/ict_data_centres"', "")
    page = client.get("/reference/industries/ict_data_centres")
    token = csrf_from(page.text)
    refused = client.post(
        "/reference/industries/ict_data_centres",
        data={"csrf_token": token, "name_fi": "", "name_en": "x" * 121, "active": "yes"},
    )
    assert refused.status_code == 422
    assert 'id="name_fi-error"' in refused.text and "Give the name in English" not in refused.text
    assert "Give the name in Finnish." in refused.text
    assert "At most 120 characters." in refused.text
    assert 'aria-invalid="true" aria-describedby="name_en-error"' in refused.text
    before = len(_entries(db, "industries", "ict_data_centres"))
    saved = client.post(
        "/reference/industries/ict_data_centres",
        data={
            "csrf_token": token,
            "name_fi": "ICT ja datakeskukset",
            "name_en": "ICT and data centres",
            "description_fi": "Kainuussa on viileää ja uusiutuvaa sähköä.",
            "description_en": "Cool climate and renewable power.",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    industry = db.get(Industry, "ict_data_centres")
    db.refresh(industry)
    assert industry.description_en == "Cool climate and renewable power."
    assert industry.active is False  # the box was not ticked
    entries = _entries(db, "industries", "ict_data_centres")
    assert len(entries) == before + 1
    assert entries[-1].actor_user_id == coordinator.id
    assert set(entries[-1].changes) >= {"description_fi", "description_en", "active"}
    shown = client.get(saved.headers["location"])
    assert "The key industry was saved." in shown.text
    assert "Description in English" in shown.text.split('id="history-h"')[1]
    # The portal shows the description, and no longer lists the industry not in use.
    render_cache.clear()
    assert client.get("/en/industries/ict_data_centres").status_code == 404
    # Read again: the page shares this session in tests, and the portal detaches the
    # industries it keeps for its content version.
    industry = db.get(Industry, "ict_data_centres")
    assert industry is not None
    industry.active = True
    db.commit()
    render_cache.clear()
    assert "Cool climate and renewable power." in client.get("/en/industries/ict_data_centres").text


def test_coordinator_edits_a_municipality_contact(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _login(client, factory, Role.COORDINATOR)
    listing = client.get("/reference/municipalities")
    assert listing.text.count('href="/reference/municipalities/') == 8
    token = csrf_from(client.get("/reference/municipalities/765").text)
    refused = client.post(
        "/reference/municipalities/765",
        data={
            "csrf_token": token,
            "contact_name": "Sanna Sotkamo",
            "contact_email": "sanna@",
            "contact_phone": "call me",
            "website_url": "http://sotkamo.fi",
        },
    )
    assert refused.status_code == 422
    for message in (
        "Give a valid e-mail address.",
        "Give a phone number, e.g. +358 40 123 4567.",
        "Give an address starting with https://.",
    ):
        assert message in refused.text
    assert 'value="Sanna Sotkamo"' in refused.text
    assert db.get(Municipality, "765").contact_name is None  # type: ignore[union-attr]
    saved = client.post(
        "/reference/municipalities/765",
        data={
            "csrf_token": token,
            "contact_name": "Sanna Sotkamo",
            "contact_email": "Sanna@Sotkamo.example",
            "contact_phone": "+358 44 750 0000",
            "website_url": "https://www.sotkamo.fi/yrittajille",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    municipality = db.get(Municipality, "765")
    db.refresh(municipality)
    assert (municipality.contact_email, municipality.contact_phone) == (
        "sanna@sotkamo.example",
        "+358 44 750 0000",
    )
    assert {"contact_name", "contact_email", "contact_phone", "website_url"} <= set(
        _entries(db, "municipalities", "765")[-1].changes
    )
    render_cache.clear()
    portal = client.get("/fi/municipalities/765").text
    assert "Sanna Sotkamo" in portal and "mailto:sanna@sotkamo.example" in portal
    assert "https://www.sotkamo.fi/yrittajille" in portal


def test_a_municipal_contact_edits_only_their_own_municipality(
    client: TestClient, factory: Factory, db: Session
) -> None:
    _login(client, factory, Role.MUNICIPAL_CONTACT, municipality="205")
    listing = client.get("/reference/municipalities")
    assert listing.status_code == 200
    assert listing.text.count('href="/reference/municipalities/') == 1
    page = client.get("/reference/municipalities/205")
    assert page.status_code == 200
    token = csrf_from(page.text)
    saved = client.post(
        "/reference/municipalities/205",
        data={"csrf_token": token, "contact_name": "Kalle Kajaani"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert db.get(Municipality, "205").contact_name == "Kalle Kajaani"  # type: ignore[union-attr]
    assert client.get("/reference/municipalities/765").status_code == 403
    other = client.post(
        "/reference/municipalities/765", data={"csrf_token": token, "contact_name": "Intruder"}
    )
    assert other.status_code == 403
    assert db.get(Municipality, "765").contact_name is None  # type: ignore[union-attr]
    assert client.get("/reference/industries").status_code == 403
    assert (
        client.post(
            "/reference/industries/tourism",
            data={"csrf_token": token, "name_fi": "X", "name_en": "Y"},
        ).status_code
        == 403
    )
    nav = client.get("/reference/municipalities").text
    assert 'href="/reference/municipalities"' in nav and 'href="/reference/industries"' not in nav


@pytest.mark.parametrize(("role", "binding"), ROLES)
def test_who_may_use_the_reference_pages(
    client: TestClient, factory: Factory, db: Session, role: Role, binding: dict[str, str]
) -> None:
    _login(client, factory, role, **binding)
    staff = role in (Role.ADMIN, Role.COORDINATOR)
    municipal = role is Role.MUNICIPAL_CONTACT
    expect = {
        "/reference/industries": 200 if staff else 403,
        "/reference/industries/tourism": 200 if staff else 403,
        "/reference/municipalities": 200 if staff or municipal else 403,
        "/reference/municipalities/205": 200 if staff or municipal else 403,
        "/reference/municipalities/765": 200 if staff else 403,
    }
    assert {path: client.get(path).status_code for path in expect} == expect
    nav = client.get("/account").text
    assert ('href="/reference/industries"' in nav) is staff
    assert ('href="/reference/municipalities"' in nav) is (staff or municipal)
    assert ('href="/imports"' in nav) is staff
