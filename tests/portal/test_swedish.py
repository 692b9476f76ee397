"""Swedish readers get Swedish: the portal at /sv/, the staff UI for a user who chose
Swedish, and the API for Accept-Language: sv. Site content is written in Finnish and
English only, so Swedish pages show the Finnish text marked lang="fi"."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db.models import LeadMunicipality
from app.domain.access import Role
from app.domain.intake import HELSINKI
from app.domain.organizations import COUNTRY_CODES
from app.domain.portal import clean_inquiry
from app.i18n import translate
from app.services import portal
from app.settings import Settings
from tests.factories import Factory
from tests.portal.test_inquiry import GOOD

BASE = "http://127.0.0.1:8000"


def test_root_redirects_swedish_browsers_to_sv(client: TestClient) -> None:
    swedish = client.get("/", headers={"accept-language": "sv-FI,sv;q=0.9,en;q=0.5"})
    assert swedish.history[0].headers["location"] == "/sv/"


def test_home_in_swedish_with_hreflang_for_all_three_languages(client: TestClient, publish) -> None:
    publish(name_fi="Koetontti", name_en="Test plot")
    home = client.get("/sv/")
    assert home.status_code == 200
    assert '<html lang="sv">' in home.text
    for code in ("fi", "sv", "en"):
        assert f'<link rel="alternate" hreflang="{code}" href="{BASE}/{code}/">' in home.text
    assert 'hreflang="x-default"' in home.text
    # The switcher offers the two other languages, each named in itself.
    assert 'href="/fi/" hreflang="fi" lang="fi">Suomeksi</a>' in home.text
    assert 'href="/en/" hreflang="en" lang="en">In English</a>' in home.text
    assert "På svenska</a>" not in home.text
    assert '<meta property="og:locale" content="sv_FI">' in home.text
    assert "Hoppa till innehållet" in home.text
    assert translate("sv", "Sites") in home.text


def test_search_in_swedish_names_municipalities_in_swedish_and_marks_finnish_names(
    client: TestClient, publish
) -> None:
    publish(slug="dc", kind="data_centre", name_fi="Datakeskustontti", name_en="DC plot")
    page = client.get("/sv/sites")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text
    assert "Kajana" in page.text
    assert 'href="/sv/sites/dc" lang="fi">Datakeskustontti</a>' in page.text
    assert "DC plot" not in page.text


def test_site_page_in_swedish_shows_finnish_content_marked_as_finnish(
    client: TestClient, publish
) -> None:
    site = publish(
        slug="kajaani-dc",
        name_fi="Datakeskustontti",
        name_en="Data-centre plot",
        description_fi="Vihreää sähköä ja viileää ilmaa.",
        description_en="Green power and cool air.",
        price_eur=250000,
    )
    page = client.get(f"/sv/sites/{site.slug}")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text
    assert '<h1 lang="fi">Datakeskustontti</h1>' in page.text
    assert '<div class="prose" lang="fi"><p>Vihreää sähköä ja viileää ilmaa.</p>' in page.text
    assert "Green power" not in page.text
    assert ">Kajana</a>" in page.text
    assert "250\xa0000\xa0€" in page.text
    for code in ("fi", "sv", "en"):
        href = f"{BASE}/{code}/sites/{site.slug}"
        assert f'<link rel="alternate" hreflang="{code}" href="{href}">' in page.text
    # English readers read the English text, with no lang attribute to override.
    english = client.get(f"/en/sites/{site.slug}")
    assert "<h1>Data-centre plot</h1>" in english.text


def test_sitemap_and_robots_list_swedish_pages(client: TestClient, publish) -> None:
    publish(slug="in-sitemap")
    body = client.get("/sitemap.xml").text
    assert f"<loc>{BASE}/sv/sites/in-sitemap</loc>" in body
    assert f'hreflang="sv" href="{BASE}/sv/sites/in-sitemap"/>' in body
    robots = client.get("/robots.txt").text
    assert "Allow: /sv/" in robots and "Disallow: /sv/inquiry" in robots


def test_staff_ui_in_swedish_for_a_user_who_chose_swedish(
    client: TestClient, factory: Factory
) -> None:
    user = factory.user(Role.COORDINATOR, language="sv")
    factory.login(client, user)
    page = client.get("/staff")
    assert page.status_code == 200
    assert '<html lang="sv"' in page.text
    assert "Logga ut" in page.text
    assert f"Välkommen, {user.full_name}" in page.text
    assert 'lang="sv" hreflang="sv" aria-current="true">På svenska</a>' in page.text
    account = client.get("/account")
    assert '<option value="sv" lang="sv" selected>Svenska</option>' in account.text


def test_staff_user_can_choose_swedish(client: TestClient, factory: Factory) -> None:
    user = factory.user(Role.COORDINATOR, language="fi")
    factory.login(client, user)
    client.get("/lang/sv?next=/staff")
    assert '<html lang="sv"' in client.get("/staff").text


def test_api_answers_in_swedish_for_accept_language_sv(
    client: TestClient, factory: Factory, db: Session, settings: Settings
) -> None:
    _coordinator, headers = factory.api_user(Role.COORDINATOR)
    at = datetime(2025, 3, 3, 9, 0, tzinfo=HELSINKI)
    inquiry = clean_inquiry({**GOOD, "email": "sv@x.example"}, COUNTRY_CODES, "sv")
    lead = portal.submit_inquiry(db, settings, inquiry, now=at)
    db.add(LeadMunicipality(lead_id=lead.id, municipality_code="205"))
    db.commit()
    query = {"start": "2025-03-01", "end": (at + timedelta(days=20)).date().isoformat()}
    swedish = {**headers, "Accept-Language": "sv-FI,sv;q=0.9"}
    report = client.get("/api/v1/reports/response-times", params=query, headers=swedish)
    assert report.status_code == 200
    assert [row["label"] for row in report.json()["by_municipality"]] == ["Kajana"]
    assert report.json()["total"]["label"] == translate("sv", "All new leads")
