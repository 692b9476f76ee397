"""Another region's installation names itself, not Kainuu: the portal's pages, the
investor's acknowledgement e-mail, the staff pages, the feeds and the colours all come
from the region definition."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import Lead, MunicipalityFacts, OutboxEmail
from app.domain.access import SYSTEM_ACTOR, Role
from app.domain.region import RegionDefinition
from app.services import region as region_service
from app.settings import Settings
from app.web.portal import render_cache
from tests.factories import Factory, csrf_from

# Only the definition the pages read: the reference data stays the test database's.
OSTROBOTHNIA = RegionDefinition.model_validate(
    yaml.safe_load(
        """
code: "15"
slug: ostrobothnia
name: {fi: Pohjanmaa, sv: Österbotten, en: Ostrobothnia}
languages: [sv, fi, en]
default_language: sv
public_domain: invest.ostrobothnia.example
branding:
  portal_name: {fi: Invest in Ostrobothnia, sv: Invest in Österbotten, en: Invest in Ostrobothnia}
  council_name:
    fi: Pohjanmaan liitto
    sv: Österbottens förbund
    en: Regional Council of Ostrobothnia
  primary_colour: "#1d4f91"
  accent_colour: "#ffcd00"
area:
  bounding_box: {min_lat: 62.0, max_lat: 64.0, min_lon: 20.5, max_lon: 24.5}
"""
    )
)


@pytest.fixture
def ostrobothnia(monkeypatch: pytest.MonkeyPatch) -> Iterator[RegionDefinition]:
    monkeypatch.setattr(region_service, "current_region", lambda db: OSTROBOTHNIA)
    # Pages keep the region of their content version: none of another test's.
    render_cache.clear()
    yield OSTROBOTHNIA
    render_cache.clear()


def _other_region_only(text: str) -> None:
    assert "Kainuu" not in text and "Kainuun" not in text
    assert "Ostrobothnia" in text or "Pohjanmaa" in text


def test_portal_pages_name_the_region_of_the_installation(
    client: TestClient, db: Session, publish, ostrobothnia: RegionDefinition
) -> None:
    site = publish(slug="harbour-plot", name_fi="Satamatontti", name_en="Harbour plot")
    # The seeded municipalities' facts are Kainuu's data, not the page's texts.
    bind_actor(db, SYSTEM_ACTOR)
    for facts in db.scalars(select(MunicipalityFacts)):
        db.delete(facts)
    db.commit()
    for lang in ("en", "fi"):
        home = client.get(f"/{lang}/")
        assert home.status_code == 200
        _other_region_only(home.text)
        assert "<title>Invest in Ostrobothnia – " in home.text
        page = client.get(f"/{lang}/sites/{site.slug}")
        assert page.status_code == 200
        _other_region_only(page.text)
        assert '"containedInPlace":{"@type":"AdministrativeArea","name":"' in page.text
    english = client.get(f"/en/sites/{site.slug}").text
    assert "Investment coordinator, Regional Council of Ostrobothnia" in english
    finnish_home = client.get("/fi/").text
    assert "Investointien edistäminen: Pohjanmaan liitto ja maakunnan kunnat." in finnish_home
    # Nothing of Kainuu's own pitch: another region has its own texts, or none.
    assert "LUMI" not in finnish_home and "Terrafame" not in finnish_home


def test_the_colours_come_from_the_region(
    client: TestClient, ostrobothnia: RegionDefinition
) -> None:
    home = client.get("/en/")
    link = home.text.split('<link rel="stylesheet" href="/branding.css?v=')[1].split('"')[0]
    css = client.get(f"/branding.css?v={link}")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "--brand-primary: #1d4f91;" in css.text and "--brand-accent: #ffcd00;" in css.text
    assert "immutable" in css.headers["cache-control"]
    # An outdated version is not kept for good.
    assert "immutable" not in client.get("/branding.css?v=old").headers["cache-control"]


def test_the_acknowledgement_names_the_region(
    client: TestClient, db: Session, settings: Settings, ostrobothnia: RegionDefinition
) -> None:
    page = client.get("/en/inquiry")
    started = page.text.split('name="started" value="')[1].split('"')[0]
    sent = client.post(
        "/en/inquiry",
        data={
            "csrf_token": csrf_from(page.text),
            "started": started,
            "full_name": "Anna Investor",
            "organization": "Nordic Compute AB",
            "country": "SE",
            "email": "anna@nordiccompute.example",
            "message": "We look for a plot by the sea.",
            "consent": "yes",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    lead = db.scalar(select(Lead).where(Lead.source == "portal_inquiry"))
    assert lead is not None
    mail = db.scalar(
        select(OutboxEmail).where(OutboxEmail.reference == f"inquiry-confirmation:{lead.id}")
    )
    assert mail is not None
    assert mail.subject == "Thank you for your inquiry – Invest in Ostrobothnia"
    _other_region_only(mail.body_text)
    assert "Thank you for your inquiry to Invest in Ostrobothnia." in mail.body_text
    assert "The investment team of Regional Council of Ostrobothnia" in mail.body_text
    assert "Sent through the Invest in Ostrobothnia portal" in lead.description


def test_staff_pages_name_the_region(
    client: TestClient, factory: Factory, ostrobothnia: RegionDefinition
) -> None:
    login = client.get("/login")
    _other_region_only(login.text)
    assert "Invest in Ostrobothnia" in login.text
    factory.login(client, factory.user(Role.COORDINATOR))
    for path in ("/leads", "/account"):
        page = client.get(path)
        assert page.status_code == 200, path
        _other_region_only(page.text)
        assert "Regional Council of Ostrobothnia" in page.text or "Pohjanmaan liitto" in page.text


def test_feeds_name_the_region(client: TestClient, ostrobothnia: RegionDefinition) -> None:
    feed = client.get("/feeds/sites.json?lang=en").json()
    assert feed["title"] == "Invest in Ostrobothnia: sites for investment"
    assert feed["authors"][0]["name"] == "Regional Council of Ostrobothnia"
    assert "Kainuu" not in client.get("/feeds/sites.atom").text


def test_the_default_region_keeps_its_own_texts(client: TestClient) -> None:
    """Kainuu's pitch now comes from app/regions/kainuu/portal_texts.yaml."""
    finnish = client.get("/fi/").text
    assert "Miksi Kainuu" in finnish and "CSC:n LUMI-supertietokone Kajaanissa" in finnish
    assert "<title>Invest in Kainuu – kohteet ja tietoa sijoittajille" in finnish
    kajaani = client.get("/en/municipalities/205").text
    assert "Kajaani is Kainuu&#39;s regional centre" in kajaani
    privacy = client.get("/en/privacy/2026-01").text
    assert "Kauppakatu 1, 87100 Kajaani, Finland. Contact: the Invest in Kainuu team." in privacy
