"""The main flows in each shipped region: a site package with coordinates inside the
region is accepted and one outside refused, the portal's home, search and site pages,
the feeds, a report, and the administrator's region page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.audit import bind_actor
from app.db.models import Site
from app.domain.access import SYSTEM_ACTOR, Role
from app.domain.region import RegionFile
from app.services.region import current_region, store_region
from tests.factories import Factory, csrf_from

# Far from both regions.
HELSINKI = (60.1699, 24.9384)


def home_town(region: RegionFile) -> tuple[str, float, float]:
    """The first municipality with its town centre: (code, latitude, longitude)."""
    for point in region.reference_points:
        if point.kind == "town_centre" and point.municipality is not None:
            return point.municipality, point.latitude, point.longitude
    raise AssertionError("a shipped region names its town centres")


def publish(factory: Factory, region: RegionFile, **values: Any) -> Site:
    code, lat, lon = home_town(region)
    return factory.site(
        municipality=code,
        status="published",
        latitude=lat,
        longitude=lon,
        last_verified_on=datetime.now(UTC).date() - timedelta(days=30),
        published_at=datetime.now(UTC),
        public_changed_at=datetime.now(UTC),
        **values,
    )


def upload(client: TestClient, headers: dict[str, str], rows: str) -> dict[str, Any]:
    table = "external_ref;kind;name_fi;municipality_code;latitude;longitude\n" + rows
    response = client.post(
        "/api/v1/site-packages",
        files={"file": ("kohteet.csv", table.encode(), "text/csv")},
        data={"lang": "en"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_package_inside_the_region_accepted_outside_refused(
    client: TestClient, factory: Factory, db: Session, region: RegionFile
) -> None:
    code, lat, lon = home_town(region)
    _, headers = factory.api_user(Role.MUNICIPAL_CONTACT, municipality=code)

    outside = upload(
        client, headers, f"OUT-1;industrial_plot;Kaukana;{code};{HELSINKI[0]};{HELSINKI[1]}\n"
    )
    [row] = outside["report"]["rows"]
    [error] = row["errors"]
    assert error["code"] == "outside_region"
    assert region.display_name(region.default_language) in error["reason"]
    refused = client.post(f"/api/v1/site-packages/{outside['id']}/apply", headers=headers)
    assert refused.status_code == 409

    inside = upload(client, headers, f"IN-1;industrial_plot;Satamatontti;{code};{lat};{lon}\n")
    assert inside["report"]["summary"]["create"] == 1
    assert inside["report"]["summary"]["error"] == 0
    applied = client.post(f"/api/v1/site-packages/{inside['id']}/apply", headers=headers)
    assert applied.status_code == 200, applied.text
    site = db.scalar(select(Site).where(Site.external_ref == "IN-1"))
    assert site is not None and site.municipality_code == code
    # The slug starts with the municipality's slug from the region file.
    slug = next(m.slug for m in region.municipalities if m.code == code)
    assert site.slug.startswith(f"{slug}-")


def test_portal_home_search_and_site_page(
    client: TestClient, factory: Factory, region: RegionFile
) -> None:
    site = publish(factory, region, name_fi="Alueen koetontti", name_en="Regional test plot")
    code = site.municipality_code
    municipality = next(m for m in region.municipalities if m.code == code)

    home = client.get("/fi/")
    assert home.status_code == 200 and "Alueen koetontti" in home.text
    search = client.get(f"/en/sites?municipality={code}")
    assert search.status_code == 200 and "Regional test plot" in search.text
    page = client.get(f"/en/sites/{site.slug}")
    assert page.status_code == 200
    assert municipality.name["en"] in page.text
    # Structured data places the municipality in the region.
    assert f'"name":"{region.display_name("en")}"' in page.text
    listed = client.get(f"/fi/municipalities/{code}")
    assert listed.status_code == 200 and municipality.name["fi"] in listed.text


def test_feeds(client: TestClient, factory: Factory, region: RegionFile) -> None:
    site = publish(factory, region, name_fi="Syötteen tontti", name_en="Feed plot")
    as_json = client.get("/feeds/sites.json?lang=en")
    assert as_json.status_code == 200
    assert [item["title"] for item in as_json.json()["items"]] == ["Feed plot"]
    atom = client.get(f"/feeds/{site.municipality_code}/sites.atom?lang=fi")
    assert atom.status_code == 200 and "Syötteen tontti" in atom.text


def test_pipeline_report_and_the_regions_target(
    client: TestClient, factory: Factory, region: RegionFile
) -> None:
    _, headers = factory.api_user(Role.COORDINATOR)
    pipeline = client.get("/api/v1/reports/pipeline", headers=headers)
    assert pipeline.status_code == 200, pipeline.text
    targets = client.get("/api/v1/targets", headers=headers)
    assert targets.status_code == 200
    names = {t["name"] for t in targets.json()["items"]}
    assert {t.name for t in region.targets} <= names


def test_administrator_edits_the_region(
    client: TestClient, factory: Factory, db: Session, region: RegionFile
) -> None:
    admin = factory.user(Role.ADMIN)
    factory.login(client, admin)
    page = client.get("/admin/region")
    assert page.status_code == 200
    assert region.display_name("en") in page.text
    form = {
        "csrf_token": csrf_from(page.text),
        "name_fi": region.name["fi"],
        "name_sv": region.name.get("sv", ""),
        "name_en": "Renamed region",
        "portal_name_fi": "Invest here",
        "portal_name_en": "Invest here",
        "council_name_fi": "Liitto",
        "council_name_en": "Council",
        "primary_colour": "#123456",
        "accent_colour": "not a colour",
        "languages": ["fi", "en"],
        "default_language": "sv",
        "public_domain": "invest.example.fi",
    }
    refused = client.post("/admin/region", data=form)
    assert refused.status_code == 422
    assert 'id="accent_colour-error"' in refused.text
    assert 'id="default_language-error"' in refused.text
    assert current_region(db).display_name("en") == region.display_name("en")

    form |= {"accent_colour": "#abcdef", "default_language": "en"}
    saved = client.post("/admin/region", data=form, follow_redirects=False)
    assert saved.status_code == 303
    stored = current_region(db)
    assert stored.display_name("en") == "Renamed region"
    assert (stored.branding.primary_colour, stored.branding.accent_colour) == (
        "#123456",
        "#abcdef",
    )
    assert (stored.languages, stored.default_language) == (("fi", "en"), "en")
    assert stored.area == region.area  # what the form does not show stays


def test_only_administrators_see_the_region_page(
    client: TestClient, factory: Factory, region: RegionFile
) -> None:
    factory.login(client, factory.user(Role.COORDINATOR))
    assert client.get("/admin/region").status_code == 403


def test_the_portal_offers_only_the_regions_languages(
    client: TestClient, db: Session, region: RegionFile
) -> None:
    """A region that does not offer Swedish has no /sv/ pages, links or alternates, and
    a Swedish reader arriving at / is sent to the region's default language."""
    bind_actor(db, SYSTEM_ACTOR)
    store_region(
        db,
        region.model_copy(update={"languages": ("fi", "en"), "default_language": "fi"}),
        overwrite=True,
    )
    db.commit()
    assert client.get("/sv/").status_code == 404
    home = client.get("/fi/")
    assert home.status_code == 200
    assert 'hreflang="sv"' not in home.text and 'href="/sv/' not in home.text
    assert 'hreflang="en"' in home.text
    arrival = client.get("/", headers={"Accept-Language": "sv-FI"}, follow_redirects=False)
    assert arrival.headers["location"] == "/fi/"
    sitemap = client.get("/sitemap.xml").text
    assert "/sv/" not in sitemap and "/en/" in sitemap


def test_a_region_offering_swedish_has_swedish_pages(
    client: TestClient, db: Session, region: RegionFile
) -> None:
    bind_actor(db, SYSTEM_ACTOR)
    store_region(db, region.model_copy(update={"languages": ("fi", "sv", "en")}), overwrite=True)
    db.commit()
    page = client.get("/sv/")
    assert page.status_code == 200
    assert 'lang="sv"' in page.text
    arrival = client.get("/", headers={"Accept-Language": "sv-FI"}, follow_redirects=False)
    assert arrival.headers["location"] == "/sv/"
